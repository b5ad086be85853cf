"""A thread-safe least-recently-used map for computed responses, bounded in bytes.

Deterministic work (a built-in model's trace, an exploration of given settings) gives the same
bytes every time, and a lecture hall asks for the same few of them at once: keeping the recent
answers turns the repeats into dictionary lookups, safe to do on the event loop.

A cache is bounded by the bytes it holds, not by its number of entries: one 2000-step trace
weighs as much as ten thousand short ones.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# An entry's own bookkeeping beyond its key and value: its OrderedDict node and its
# (value, size) tuple, rounded up.
ENTRY_OVERHEAD = 200
# A value bigger than this share of the budget is not kept: it would push out most of the
# others, and the cache always has room for at least this many of the largest values it keeps.
LARGEST_SHARE = 8


class LruCache(Generic[K, V]):
    """Values whose sizes add up to at most `max_bytes`; reading one makes it the most recent,
    the oldest go first. `size(value)` is the value's bytes; the key's and the entry's own
    bytes are added. A value over 1/LARGEST_SHARE of the budget is not kept."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self.size = size
        self.values: OrderedDict[K, tuple[V, int]] = OrderedDict()  # key -> (value, bytes)
        self.nbytes = 0  # bytes of every entry kept
        self.lock = threading.Lock()  # computed values are stored from worker threads

    def get(self, key: K) -> V | None:
        with self.lock:
            entry = self.values.get(key)
            if entry is None:
                return None
            self.values.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        """Keep `value` as the most recent, then drop the oldest until the budget holds."""
        size = self.size(value) + sys.getsizeof(key) + ENTRY_OVERHEAD
        with self.lock:
            replaced = self.values.pop(key, None)
            if replaced is not None:
                self.nbytes -= replaced[1]
            if size > self.max_bytes // LARGEST_SHARE:
                return
            self.values[key] = (value, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self.values.popitem(last=False)
                self.nbytes -= dropped


class Answers(Generic[K, V]):
    """Computed answers by key: kept in an `LruCache`, and computed once when many identical
    requests arrive together (a class clicking the same preset): they all await the one
    computation under way, which finishes and is kept even if its first asker leaves."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.cache: LruCache[K, V] = LruCache(max_bytes, size)
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
