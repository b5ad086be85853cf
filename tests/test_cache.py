"""The response caches: bounded in bytes, least recently used first out, identical requests
computed once, and answers equal to fresh computations.

Over HTTP, a test counts what the server computes (`CountedTraces`, a counting `explore`) and
never looks inside a cache.
"""

from __future__ import annotations

import asyncio
import string
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.datastructures import State

from models.explorer import Exploration, ExploreConfig, explore
from models.spec import Limits
from server.cache import ENTRY_OVERHEAD, LARGEST_SHARE, Answers, LruCache
from server.encoding import GzippedJson
from server.routes import explore as explore_route
from server.settings import Settings
from server.tracing import BuiltinTraces, TraceKey

MiB = 2**20
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
    assert cache.nbytes <= budget and all(cache.get(f"small {k}") for k in range(40))
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
        together = await asyncio.gather(*[answers.get("k", compute) for _ in range(10)])
        return [*together, await answers.get("k", compute)]

    assert asyncio.run(scenario()) == [42] * 11
    assert computed == ["run"]  # the eleventh, asked later, was kept


def test_a_failed_computation_reaches_every_asker_and_is_not_kept():
    answers: Answers[str, int] = Answers(10_000, sys.getsizeof)

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("bad setting")

    async def succeed() -> int:
        return 7

    async def scenario() -> list[BaseException | int]:
        asks = [answers.get("k", fail) for _ in range(3)]
        return [
            *await asyncio.gather(*asks, return_exceptions=True),
            await answers.get("k", succeed),
        ]

    *failed, retried = asyncio.run(scenario())
    assert all(isinstance(outcome, ValueError) for outcome in failed)
    assert retried == 7  # asked again, it is computed again


def test_an_asker_who_leaves_does_not_cancel_the_computation():
    answers: Answers[str, int] = Answers(10_000, sys.getsizeof)
    computed: list[str] = []

    async def compute() -> int:
        computed.append("run")
        await asyncio.sleep(0.05)
        return 7

    async def scenario() -> int:
        first = asyncio.ensure_future(answers.get("k", compute))
        await asyncio.sleep(0.01)
        first.cancel()  # the client disconnected
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.sleep(0.1)
        return await answers.get("k", compute)

    assert asyncio.run(scenario()) == 7
    assert computed == ["run"]


@pytest.fixture
def state(client) -> Iterator[State]:
    """The app's state, for a test to put its own caches in: they are put back afterwards, as
    the session's client shares one app."""
    kept = {name: getattr(client.app.state, name) for name in ("traces", "explore_answers")}
    yield client.app.state
    for name, cache in kept.items():
        setattr(client.app.state, name, cache)


def test_a_repeated_exploration_is_answered_without_computing(client, state, monkeypatch):
    explored: list[ExploreConfig] = []

    def counted_explore(config: ExploreConfig, limits: Limits | None = None) -> Exploration:
        explored.append(config)
        return explore(config, limits)

    monkeypatch.setattr(explore_route, "explore", counted_explore)
    state.explore_answers = Answers(MiB, len)  # empty
    first = client.post("/api/explore", json=EXPLORE)
    again = client.post("/api/explore", json=EXPLORE)
    other = client.post("/api/explore", json={**EXPLORE, "gain": 1.1})
    assert [r.status_code for r in (first, again, other)] == [200] * 3
    assert again.content == first.content != other.content
    assert len(explored) == 2


class CountedTraces(BuiltinTraces):
    """The trace cache, noting each trace it computes; a computation waits for `release`,
    which is set unless a test holds it."""

    def __init__(self, traces: BuiltinTraces, budget: int) -> None:
        super().__init__(traces.zoo, Settings(trace_cache_bytes=budget))
        self.computed: list[TraceKey] = []
        self.release = threading.Event()
        self.release.set()

    def compute(self, key: TraceKey) -> GzippedJson:
        self.computed.append(key)
        self.release.wait(timeout=30)
        return super().compute(key)


def counted_traces(state: State, budget: int = 64 * MiB) -> CountedTraces:
    """An empty trace cache of `budget` bytes in place of the app's."""
    state.traces = traces = CountedTraces(state.traces, budget)
    return traces


def test_a_repeated_trace_get_is_answered_without_computing(client, state):
    """The first GET computes; its repeats (answered before routing, server/fastpath.py) get
    the same bytes and headers, a 304 for a matching ETag, and the same JSON without gzip."""
    traces = counted_traces(state)
    url = "/api/trace?model=hello-gru&text=hello&loss=last"
    first = client.get(url)
    again = client.get(url)
    not_modified = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert len(traces.computed) == 1
    assert first.status_code == again.status_code == plain.status_code == 200
    assert again.content == first.content == plain.content
    for header in ("etag", "cache-control", "vary", "content-security-policy"):
        assert again.headers[header] == first.headers[header]
    assert not_modified.status_code == 304


def test_a_refused_trace_get_is_not_kept(client, state):
    """'p' is not in the model's vocabulary, which tracing finds: each ask is refused anew."""
    traces = counted_traces(state)
    statuses = [client.get("/api/trace?model=hello-gru&text=help").status_code for _ in range(2)]
    assert statuses == [422, 422] and len(traces.computed) == 2


def test_identical_trace_gets_arriving_together_compute_once(client, state):
    """A cache of no bytes keeps nothing, so only sharing the computation under way can answer
    ten identical GETs with one; it is held until all ten have been sent."""
    traces = counted_traces(state, budget=0)
    traces.release.clear()
    url = "/api/trace?model=hello-lstm&text=hell&projections=true"
    with ThreadPoolExecutor(10) as pool:
        asked = [pool.submit(client.get, url) for _ in range(10)]
        time.sleep(1)  # every request reaches the server and waits for the one computation
        traces.release.set()
        answers = [future.result() for future in asked]
    assert [r.status_code for r in answers] == [200] * 10
    assert len({r.content for r in answers}) == 1
    assert len(traces.computed) == 1


def test_the_trace_cache_keeps_the_most_recent_traces_within_its_bytes(client, state):
    """Fourteen distinct traces of about 1.6 MB of gzip each through a 16 MiB cache, then
    asked again from the newest back: those still kept are answered without computing and
    their gzip adds up to at most the budget; the first one let go is computed again, to the
    same bytes."""
    budget = 16 * MiB
    traces = counted_traces(state, budget)
    texts = ["Beautiful is better than ugly. " * 7 + "a" * k for k in range(14)]

    def ask(text: str):
        return client.get("/api/trace", params={"model": "zen-lstm", "text": text})

    first = [ask(text) for text in texts]
    assert [r.status_code for r in first] == [200] * len(texts)
    assert len(traces.computed) == len(texts)
    kept_gzip_bytes = []
    for text, answer in zip(reversed(texts), reversed(first), strict=True):
        again = ask(text)
        assert again.content == answer.content
        if len(traces.computed) > len(texts):
            break
        kept_gzip_bytes.append(int(answer.headers["content-length"]))
    assert 4 <= len(kept_gzip_bytes) < len(texts)
    assert sum(kept_gzip_bytes) <= budget
