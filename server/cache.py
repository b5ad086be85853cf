"""A bounded, thread-safe least-recently-used map for computed responses.

Deterministic work (a built-in model's trace, an exploration of given settings) gives the same
bytes every time, and a lecture hall asks for the same few of them at once: keeping the last
few hundred answers turns the repeats into dictionary lookups, safe to do on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most `entries` values; reading one makes it the most recent, the oldest goes first."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.values: OrderedDict[K, V] = OrderedDict()
        self.lock = threading.Lock()  # computed values are stored from worker threads

    def get(self, key: K) -> V | None:
        with self.lock:
            value = self.values.get(key)
            if value is not None:
                self.values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self.values[key] = value
            self.values.move_to_end(key)
            while len(self.values) > self.entries:
                self.values.popitem(last=False)


class Answers(Generic[K, V]):
    """Computed answers by key: kept in an `LruCache`, and computed once when many identical
    requests arrive together (a class clicking the same preset): they all await the one
    computation under way, which finishes and is kept even if its first asker leaves."""

    def __init__(self, entries: int) -> None:
        self.cache: LruCache[K, V] = LruCache(entries)
        self.under_way: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The kept answer to `key`, or the one being computed, or `compute()`'s."""
        value = self.cache.get(key)
        if value is not None:
            return value
        task = self.under_way.get(key)
        if task is None:
            task = asyncio.ensure_future(self.compute(key, compute))
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            self.under_way[key] = task
        return await asyncio.shield(task)

    async def compute(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await compute()
            self.cache.put(key, value)
            return value
        finally:
            del self.under_way[key]
