"""Training runs take turns: per worker, `max_training_runs` run at once and up to
`max_queued_runs` more wait in a first-come, first-served queue; one more gets 429.

A lecture hall presses Start within seconds, and a default /lab run takes about a second: a
queue turns that burst into runs one after another, where refusing them sent most of the class
a 429. A waiting request's event stream is already open, so its page can say where it stands
(`server/streams.py` sends the `queued` events); a client that leaves while waiting leaves the
queue at once, and those behind it move up.

A slot that frees is handed to the first in line under the lock, never to whoever asks next, so
nobody overtakes the queue. The queue is bounded in requests (each holds a small parsed body and
an open connection); beyond it a 429 says how long the queue is, its limit, and when a place
should free (Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import Request

from server.settings import get_settings
from server.work import Busy

RECENT_RUNS = 20  # the estimated wait takes the typical run from this many runs that ended


@dataclass(eq=False)
class Turn:
    """One request's turn: it waits in the queue, then runs (holds a slot), then is done.

    `changed` is set on the event loop that waits for the turn whenever its place in the queue
    changes or its run may start; the queue sets it from whatever thread frees a slot.
    """

    loop: asyncio.AbstractEventLoop
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    state: Literal["waiting", "running", "done"] = "waiting"
    started: float = 0.0  # clock time it began to hold a slot
    expected: float | None = None  # seconds the run says it takes (its start or plan event)

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            self.loop.call_soon_threadsafe(self.changed.set)


class RunQueue:
    """At most `slots` runs hold a slot at once in this worker, up to `limit` more wait in
    order, and the rest are Busy. Every method is safe from any thread."""

    def __init__(
        self,
        slots: int,
        limit: int,
        retry_after: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = slots
        self.limit = limit
        self.retry_after = retry_after
        self.clock = clock
        self.running: list[Turn] = []
        self.waiting: deque[Turn] = deque()
        self.durations: deque[float] = deque(maxlen=RECENT_RUNS)  # seconds runs held a slot
        self.lock = threading.Lock()

    def enter(self) -> Turn:
        """(event loop) A turn that runs at once when a slot is free and nobody waits, else
        waits at the end of the queue; Busy (429) when the queue is full."""
        turn = Turn(asyncio.get_running_loop())
        with self.lock:
            if len(self.running) < self.slots and not self.waiting:
                self.start(turn)
            elif len(self.waiting) >= self.limit:
                raise self.full()
            else:
                self.waiting.append(turn)
        return turn

    def full(self) -> Busy:
        """The 429 of a full queue: its length and limit, and (Retry-After) about when its
        first place frees: when the first running run should end, at least `retry_after`."""
        wait = self.wait_at(1)
        retry = self.retry_after if wait is None else max(self.retry_after, math.ceil(wait))
        message = (
            f"the training queue of this worker is full: {len(self.waiting)} waiting behind "
            f"{len(self.running)} running, and the limit is {self.limit} (max_queued_runs)"
        )
        return Busy("train", self.limit, retry, message)

    def start(self, turn: Turn) -> None:
        """(under the lock) The turn holds a slot now; its waiting stream is told."""
        turn.state = "running"
        turn.started = self.clock()
        self.running.append(turn)
        turn.wake()

    def leave(self, turn: Turn) -> None:
        """The turn is over, whatever it was doing: a waiting one leaves the queue, a running
        one frees its slot for the first in line. Everyone still waiting is told (their places
        or estimates changed). Calling it again does nothing."""
        with self.lock:
            if turn.state == "waiting":
                self.waiting.remove(turn)
            elif turn.state == "running":
                self.running.remove(turn)
                self.durations.append(self.clock() - turn.started)
                if self.waiting:
                    self.start(self.waiting.popleft())
            turn.state = "done"
            for waiting in self.waiting:
                waiting.wake()

    def expect(self, turn: Turn, seconds: float) -> None:
        """(run thread) The run said how long it should take (its own timed estimate)."""
        with self.lock:
            turn.expected = seconds

    def place(self, turn: Turn) -> dict[str, float | int | None] | None:
        """A waiting turn's `queued` event: its position (1 = next), the queue's length, the
        worker's slots, and the estimated seconds until it starts; None once it has a slot."""
        with self.lock:
            if turn.state != "waiting":
                return None
            position = self.waiting.index(turn) + 1
            wait = self.wait_at(position)
            return {
                "position": position,
                "waiting": len(self.waiting),
                "slots": self.slots,
                "estimated_seconds": None if wait is None else round(wait, 1),
            }

    def typical(self) -> float | None:
        """(under the lock) Seconds a run holds its slot: the mean of the last RECENT_RUNS
        runs that ended (stopped ones included: they freed their slot that soon), else the
        mean of what the running ones expect; None before any run has said or shown it."""
        if self.durations:
            return statistics.fmean(self.durations)
        expected = [t.expected for t in self.running if t.expected is not None]
        return statistics.fmean(expected) if expected else None

    def wait_at(self, position: int) -> float | None:
        """(under the lock) Seconds until the turn at `position` starts, if runs take as long
        as they have: a running run ends when its own estimate says (the start event's timed
        `estimated_seconds`, a comparison's upper bound, either cut to its time limit), else
        after the typical run, less what it has run already; each run ahead in the queue then
        takes the typical run on the slot that frees first. None when nothing tells how long
        runs take yet."""
        typical = self.typical()
        if typical is None:
            return None
        now = self.clock()
        free = [  # when each slot frees, seconds from now
            max(0.0, (typical if t.expected is None else t.expected) - (now - t.started))
            for t in self.running
        ]
        free += [0.0] * (self.slots - len(free))
        heapq.heapify(free)
        for _ in range(position - 1):
            heapq.heapreplace(free, free[0] + typical)
        return free[0]


def run_queue(request: Request) -> RunQueue:
    """This worker's queue for training runs and comparisons, made on first use."""
    state = request.app.state
    if not hasattr(state, "run_queue"):
        settings = get_settings()
        state.run_queue = RunQueue(
            settings.max_training_runs, settings.max_queued_runs, settings.retry_after_seconds
        )
    queue: RunQueue = state.run_queue
    return queue
