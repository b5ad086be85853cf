"""The response caches: bounded, least recently used first out, and answers equal to fresh
computations."""

from __future__ import annotations

import asyncio

import pytest

from server.cache import Answers, LruCache

EXPLORE = {"cells": ["rnn", "gru"], "steps": 40, "hidden_size": 8, "seed": 7}
EXPLORE |= {"scale": "sigma", "gain": 0.9}


def test_lru_cache_keeps_the_most_recently_used():
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)  # so "b" goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_a_cache_of_no_entries_keeps_nothing():
    cache: LruCache[str, int] = LruCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None


def test_identical_requests_arriving_together_share_one_computation():
    answers: Answers[str, int] = Answers(4)
    computed: list[str] = []

    async def compute() -> int:
        computed.append("run")
        await asyncio.sleep(0.05)
        return 42

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*[answers.get("k", compute) for _ in range(10)]))

    assert asyncio.run(scenario()) == [42] * 10
    assert computed == ["run"]
    assert answers.cache.get("k") == 42 and answers.under_way == {}


def test_a_failed_computation_reaches_every_asker_and_is_not_kept():
    answers: Answers[str, int] = Answers(4)

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("bad setting")

    async def scenario() -> list[BaseException | int]:
        asks = [answers.get("k", fail) for _ in range(3)]
        return await asyncio.gather(*asks, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert answers.cache.get("k") is None and answers.under_way == {}


def test_an_asker_who_leaves_does_not_cancel_the_computation():
    answers: Answers[str, int] = Answers(4)

    async def compute() -> int:
        await asyncio.sleep(0.05)
        return 7

    async def scenario() -> int | None:
        first = asyncio.ensure_future(answers.get("k", compute))
        await asyncio.sleep(0.01)
        first.cancel()  # the client disconnected
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.sleep(0.1)
        return answers.cache.get("k")

    assert asyncio.run(scenario()) == 7


def test_a_repeated_exploration_is_answered_from_the_cache_with_the_same_bytes(client):
    answers = client.app.state.explore_answers.cache
    first = client.post("/api/explore", json=EXPLORE)
    assert first.status_code == 200
    key = next(k for k in answers.values if '"seed":7' in k and '"steps":40' in k)
    assert answers.get(key) == first.content
    again = client.post("/api/explore", json=EXPLORE)
    assert again.content == first.content
    other = client.post("/api/explore", json={**EXPLORE, "gain": 1.1})
    assert other.content != first.content


def test_a_repeated_trace_get_is_answered_before_routing_with_the_same_bytes(client):
    """The first GET goes through the route, which files its answer under the raw query
    string; the repeat is served from there (server/fastpath.py) with identical bytes and
    headers, a 304 for a matching ETag, and the security headers."""
    by_query = client.app.state.traces.by_query
    query = "model=hello-gru&text=hello&loss=last"
    first = client.get(f"/api/trace?{query}")
    assert by_query.get(query.encode()) is not None
    again = client.get(f"/api/trace?{query}")
    assert again.content == first.content
    for header in ("etag", "cache-control", "content-security-policy"):
        assert again.headers[header] == first.headers[header]
    etag = {"If-None-Match": first.headers["etag"]}
    not_modified = client.get(f"/api/trace?{query}", headers=etag)
    assert not_modified.status_code == 304


def test_a_refused_trace_get_is_not_filed_for_the_fast_path(client):
    query = "model=hello-gru&text=help"
    assert client.get(f"/api/trace?{query}").status_code == 422
    assert client.app.state.traces.by_query.get(query.encode()) is None
    assert client.get(f"/api/trace?{query}").status_code == 422
