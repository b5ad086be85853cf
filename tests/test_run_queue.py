"""Training runs beyond a worker's slots wait their turn: in order, told their place and an
estimated wait, leaving at once when their client does, and a clear 429 beyond the queue.

First the queue alone (a fake clock makes its estimate exact arithmetic), then a real server
with one slot and two places, where every client is a task streaming its request and every
event any of them receives lands in one log in the order it arrived. Nothing here reads the
wall clock: a test waits for events, never for time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from server.run_queue import RunQueue, Turn
from server.schemas.train import QueuedEvent
from server.work import Busy
from tests.server_process import Server, running_server
from tests.test_train_api import strict

DEADLINE = 120.0  # seconds a test may wait for an event before it fails (a busy 2-core machine)
HOLD = {  # holds the slot until its client leaves: ~0.1 s an update, 5000 updates, few events
    "task": "recall",
    "delay": 40,
    "cell": "lstm",
    "hidden_size": 128,
    "batch_size": 256,
    "steps": 5000,
    "probe_every": 5000,
    "snapshot_every": 5000,
}
SHORT = {"task": "recall", "delay": 4, "cell": "gru", "steps": 60, "probe_every": 20}
COMPARE = {"task": "recall", "cells": ["gru"], "delays": [2], "seeds": 1, "steps": 20}


# --- The queue alone ------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def turns(queue: RunQueue, count: int) -> list[Turn]:
    """`count` requests arriving in order (a turn belongs to the event loop that waits)."""

    async def enter() -> list[Turn]:
        return [queue.enter() for _ in range(count)]

    return asyncio.run(enter())


def positions(queue: RunQueue, waiting: list[Turn]) -> list[int | float | None]:
    return [(queue.place(turn) or {}).get("position") for turn in waiting]


def test_a_freed_slot_goes_to_the_first_in_line():
    queue = RunQueue(slots=2, limit=10, retry_after=2)
    a, b, c, d, e = turns(queue, 5)
    assert [t.state for t in (a, b, c, d, e)] == ["running"] * 2 + ["waiting"] * 3
    assert positions(queue, [c, d, e]) == [1, 2, 3]
    queue.leave(b)
    assert c.state == "running" and positions(queue, [d, e]) == [1, 2]
    queue.leave(a)
    queue.leave(c)
    assert [d.state, e.state] == ["running", "running"]


def test_a_request_that_leaves_the_queue_moves_those_behind_it_up():
    queue = RunQueue(slots=1, limit=10, retry_after=2)
    _, b, c, d = turns(queue, 4)
    queue.leave(c)
    assert c.state == "done" and positions(queue, [b, d]) == [1, 2]
    queue.leave(c)  # again: nothing changes
    assert positions(queue, [b, d]) == [1, 2] and len(queue.running) == 1


def test_a_full_queue_refuses_naming_its_length_and_limit():
    queue = RunQueue(slots=1, limit=2, retry_after=2)
    turns(queue, 3)
    with pytest.raises(Busy) as refused:
        turns(queue, 1)
    assert refused.value.message == (
        "the training queue of this worker is full: 2 waiting behind 1 running, and the limit "
        "is 2 (max_queued_runs)"
    )
    assert refused.value.retry_after == 2  # no run has said how long it takes: the setting


def test_the_wait_is_the_runs_ahead_at_their_own_pace():
    """Two slots; runs have held theirs 10 s on average. The running ones started 4 s ago, one
    expecting 5 s in all: its slot frees in 1 s, the other in 6 s. Then the queue takes the
    slot that frees first, 10 s per run: the 1st in line starts in 1 s, the 2nd in 6 s, the
    3rd in 1 + 10 = 11 s, the 4th in 16 s."""
    clock = Clock()
    queue = RunQueue(slots=2, limit=4, retry_after=2, clock=clock)
    first, second = turns(queue, 2)
    clock.now = 100.0
    queue.leave(first)
    queue.leave(second)
    queue.durations.clear()
    queue.durations.extend([8.0, 12.0])
    a, b, *waiting = turns(queue, 6)
    queue.expect(a, 5.0)
    clock.now += 4.0
    waits = [(queue.place(turn) or {})["estimated_seconds"] for turn in waiting]
    assert waits == [1.0, 6.0, 11.0, 16.0]
    with pytest.raises(Busy) as refused:  # the queue is full
        turns(queue, 1)
    assert refused.value.retry_after == 2  # the next place frees in 1 s: the setting's 2 s


def test_before_any_run_ends_the_wait_is_what_the_running_runs_expect():
    queue = RunQueue(slots=1, limit=10, retry_after=2, clock=Clock())
    running, waiting = turns(queue, 2)
    assert (queue.place(waiting) or {})["estimated_seconds"] is None  # nothing known yet
    queue.expect(running, 30.0)
    assert (queue.place(waiting) or {})["estimated_seconds"] == 30.0


def test_a_full_queue_says_to_retry_when_its_first_place_should_free():
    clock = Clock()
    queue = RunQueue(slots=1, limit=1, retry_after=2, clock=clock)
    running, _ = turns(queue, 2)
    queue.expect(running, 30.0)
    clock.now += 0.5
    with pytest.raises(Busy) as refused:
        turns(queue, 1)
    assert refused.value.retry_after == 30  # 29.5 s, rounded up


# --- A real server: one slot, two places ------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {"UNROLLED_MAX_TRAINING_RUNS": "1", "UNROLLED_MAX_QUEUED_RUNS": "2"}
    with running_server(env=env) as running:
        yield running


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """(event name, data) of each server-sent event, as a browser reads them."""
    name, data = "message", []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield name, strict("\n".join(data))
            name, data = "message", []
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))


class Room:
    """Students of one server, each pressing Start once: a task streams their request."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.log: list[tuple[str, str, dict]] = []  # (client, event, data) as they arrived
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def press(self, name: str, body: dict, path: str = "/api/train") -> None:
        self.tasks[name] = asyncio.create_task(self.follow(name, path, body))

    async def follow(self, name: str, path: str, body: dict) -> None:
        async with self.client.stream("POST", path, json=body) as response:
            if response.status_code != 200:
                refusal = {"body": strict((await response.aread()).decode())}
                self.log.append((name, str(response.status_code), {**refusal, **response.headers}))
                return
            async for kind, data in events(response):
                self.log.append((name, kind, data))

    async def leave(self, name: str) -> None:
        """The student closes the tab: the connection closes wherever the stream is."""
        task = self.tasks.pop(name)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def until(self, condition: Callable[[], object], what: str) -> None:
        """Wait for events, not for time: until `condition()` holds (or the deadline fails)."""
        for _ in range(int(DEADLINE / 0.02)):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {what} within {DEADLINE} s; the log: {self.kinds()}")

    def of(self, name: str, kind: str) -> list[dict]:
        return [data for who, k, data in self.log if who == name and k == kind]

    def kinds(self) -> list[tuple[str, str]]:
        return [(who, kind) for who, kind, _ in self.log]

    def places(self, name: str) -> list[int]:
        """The positions a client was told, each once in a row."""
        told = [data["position"] for data in self.of(name, "queued")]
        return [p for k, p in enumerate(told) if k == 0 or told[k - 1] != p]

    async def close(self) -> None:
        for name in list(self.tasks):
            await self.leave(name)


def in_a_room(url: str, scene: Callable[[Room], Awaitable[None]]) -> Room:
    """Play `scene(room)` against the server; every client still there leaves at its end."""

    async def main() -> Room:
        async with httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client:
            room = Room(client)
            try:
                await scene(room)
            finally:
                await room.close()
            return room

    return asyncio.run(main())


async def hold_the_slot(room: Room) -> None:
    """A long run takes the only slot (after whatever an earlier test left has gone)."""
    room.press("hold", HOLD)
    await room.until(lambda: room.of("hold", "start"), "start of the run holding the slot")


def test_queued_runs_are_told_their_place_and_run_in_order(server: Server):
    async def scene(room: Room) -> None:
        await hold_the_slot(room)
        room.press("b", SHORT)
        await room.until(lambda: room.of("b", "queued"), "queued event for b")
        room.press("c", COMPARE, "/api/train/compare")  # a comparison waits the same way
        await room.until(lambda: room.of("c", "queued"), "queued event for c")
        await room.leave("hold")
        await room.until(lambda: room.of("c", "done"), "end of c")

    room = in_a_room(server.url, scene)
    kinds = room.kinds()
    assert kinds.index(("b", "start")) < kinds.index(("c", "plan"))  # first come, first served
    b = [kind for who, kind in kinds if who == "b"]
    c = [kind for who, kind in kinds if who == "c"]
    assert set(b[: b.index("start")]) == {"queued"} and b[-1] == "done"
    assert set(c[: c.index("plan")]) == {"queued"} and c[-1] == "done"
    assert room.places("b") == [1] and room.places("c") == [2, 1]  # c moved up once b started
    for who in ("b", "c"):
        for data in room.of(who, "queued"):
            QueuedEvent.model_validate(data)
            assert data["slots"] == 1 and data["waiting"] >= data["position"]
            assert data["estimated_seconds"] is not None  # the holding run said how long
    assert room.of("b", "done")[0]["reason"] == "finished"
    assert room.of("c", "done")[0]["reason"] == "finished"


def test_a_client_that_leaves_the_queue_frees_its_place_at_once(server: Server):
    async def scene(room: Room) -> None:
        await hold_the_slot(room)
        room.press("b", SHORT)
        await room.until(lambda: room.of("b", "queued"), "queued event for b")
        room.press("c", SHORT)
        await room.until(lambda: room.of("c", "queued"), "queued event for c")
        await room.leave("b")
        # c moves up while the slot is still held: b's place freed, not a run's end.
        await room.until(lambda: room.places("c")[-1:] == [1], "c moving up to 1st")
        assert not room.of("hold", "done")
        room.press("d", SHORT)  # the queue was full (b, c); b's place is d's now
        await room.until(lambda: room.of("d", "queued"), "queued event for d")
        assert room.places("d") == [2]
        await room.leave("hold")
        await room.until(lambda: room.of("d", "done"), "end of d")

    room = in_a_room(server.url, scene)
    starts = [who for who, kind in room.kinds() if kind == "start" and who != "hold"]
    assert starts == ["c", "d"]  # b never ran
    assert [d["reason"] for who in ("c", "d") for d in room.of(who, "done")] == ["finished"] * 2
    assert "Traceback" not in server.log_text()  # leaving a queue is an ordinary disconnect


def test_a_request_beyond_a_full_queue_is_a_429_naming_its_length_and_limit(server: Server):
    async def scene(room: Room) -> None:
        await hold_the_slot(room)
        for name in ("b", "c"):
            room.press(name, SHORT)
            await room.until(lambda name=name: room.of(name, "queued"), f"queued event for {name}")
        room.press("d", SHORT)
        room.press("e", COMPARE, "/api/train/compare")
        await room.until(lambda: room.of("d", "429") and room.of("e", "429"), "the 429s")

    room = in_a_room(server.url, scene)
    for who in ("d", "e"):
        [refused] = room.of(who, "429")
        [detail] = refused["body"]["detail"]
        assert detail["loc"] == ["train"] and detail["msg"] == (
            "the training queue of this worker is full: 2 waiting behind 1 running, and the "
            "limit is 2 (max_queued_runs)"
        )
        assert int(refused["retry-after"]) >= 2  # when the running run should end


def test_the_task_catalogue_names_the_queue_limit(server: Server):
    limits = json.loads(httpx.get(f"{server.url}/api/train/tasks").text)["limits"]
    assert (limits["max_runs"], limits["max_queued_runs"]) == (1, 2)
