"""The response caches: bounded in bytes, least recently used first out, and answers equal to
fresh computations."""

from __future__ import annotations

import asyncio
import string
import sys

import pytest

from server.cache import ENTRY_OVERHEAD, LARGEST_SHARE, Answers, LruCache

EXPLORE = {"cells": ["rnn", "gru"], "steps": 40, "hidden_size": 8, "seed": 7}
EXPLORE |= {"scale": "sigma", "gain": 0.9}


def entry_bytes(key: str, value: bytes) -> int:
    return len(value) + sys.getsizeof(key) + ENTRY_OVERHEAD


def test_lru_cache_keeps_the_most_recently_used_within_its_bytes():
    value = bytes(1000)
    cache: LruCache[str, bytes] = LruCache(LARGEST_SHARE * entry_bytes("a", value), len)
    for key in string.ascii_lowercase[:LARGEST_SHARE]:
        cache.put(key, value)
    assert cache.get("a") == value  # "a" is now the most recent
    cache.put("Z", value)  # the budget holds LARGEST_SHARE of them, so "b" goes
    assert (cache.get("a"), cache.get("b"), cache.get("Z")) == (value, None, value)
    assert cache.nbytes == LARGEST_SHARE * entry_bytes("a", value)


def test_lru_cache_lets_go_of_as_many_old_values_as_a_big_one_needs():
    budget = 100_000
    cache: LruCache[str, bytes] = LruCache(budget, len)
    for k in range(40):
        cache.put(f"small {k}", bytes(2000))
    assert cache.nbytes <= budget and len(cache.values) == 40
    cache.put("big", bytes(budget // LARGEST_SHARE - 1000))
    assert cache.nbytes <= budget and cache.get("big") is not None
    assert cache.get("small 0") is None and cache.get("small 39") is not None


def test_lru_cache_does_not_keep_a_value_over_its_share_of_the_budget():
    cache: LruCache[str, bytes] = LruCache(80_000, len)
    cache.put("a", bytes(100))
    cache.put("huge", bytes(80_000 // LARGEST_SHARE))
    assert cache.get("huge") is None and cache.get("a") is not None
    cache.put("a", bytes(80_000))  # a key put again with a value too big is let go
    assert cache.get("a") is None and cache.nbytes == 0


def test_a_cache_of_no_bytes_keeps_nothing():
    cache: LruCache[str, bytes] = LruCache(0, len)
    cache.put("a", b"1")
    assert cache.get("a") is None


def test_identical_requests_arriving_together_share_one_computation():
    answers: Answers[str, int] = Answers(10_000, sys.getsizeof)
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
    answers: Answers[str, int] = Answers(10_000, sys.getsizeof)

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
    answers: Answers[str, int] = Answers(10_000, sys.getsizeof)

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
    """The first GET goes through the route, which keeps its answer under the raw query
    string; the repeat is served from there (server/fastpath.py) with identical bytes and
    headers, a 304 for a matching ETag, and the security headers."""
    traces = client.app.state.traces
    query = "model=hello-gru&text=hello&loss=last"
    first = client.get(f"/api/trace?{query}")
    assert traces.kept(query.encode()) is not None
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
    assert client.app.state.traces.kept(query.encode()) is None
    assert client.get(f"/api/trace?{query}").status_code == 422
