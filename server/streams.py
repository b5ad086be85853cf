"""Long runs streamed as server-sent events: one worker thread per run, its events through a
byte-bounded buffer to the event loop, and a stop flag that is set when the client goes away.

A run holds a slot from the moment its turn comes until its thread ends. Slots are few
(`max_training_runs` per worker); a request beyond them waits its turn in a bounded queue
(`server/run_queue.py`) with its stream already open, told its place and estimated wait in
`queued` events, and one beyond the queue is refused at once with 429 and Retry-After, before
its stream starts.

Encoded events wait for their client in a buffer of at most `stream_buffer_bytes`, and the run
waits while it is full. A client that leaves it full for `stream_stall_seconds` is dropped: its
run stops, its unsent events are discarded and an error event ends its stream. Past the buffer
only a few events are in flight (FastAPI's one-item streams, the socket), so whatever a client
does, its stream holds bounded memory. Once the stop flag is set (the client left or was
dropped) the thread computes nothing more: it leaves the run at its next event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
from fastapi.routing import APIRoute
from fastapi.sse import ServerSentEvent
from starlette.types import Receive, Scope, Send

from models.training import Event
from server.encoding import json_bytes
from server.run_queue import RunQueue, Turn

log = logging.getLogger("unrolled.streams")
EventSource = Callable[[threading.Event], Iterator[Event]]  # stop flag -> events
QUEUED_EVERY = 2.0  # seconds between two `queued` events of a waiting run whose place holds
ESTIMATING = ("start", "plan")  # the events that say how long their run should take


class StreamRoute(APIRoute):
    """A route whose event stream may lose its client at any moment.

    When a client leaves mid-stream, FastAPI's SSE keepalive task can be inside a send to the
    stream it just closed; it raises BrokenResourceError, which uvicorn then logs as an
    "Exception in ASGI application" for an ordinary disconnect (FastAPI discussion #15725,
    still so in 0.165). The run itself is stopped by `StreamedRun.events`; this only keeps the
    log for real errors.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().handle(scope, receive, send)
        except* (anyio.BrokenResourceError, anyio.ClosedResourceError):
            log.debug("a client left its event stream")


class StreamBuffer:
    """Encoded events on their way from a run's thread to the event loop: at most `budget`
    bytes of them, except that an event of any size fits when the buffer is empty.

    The thread calls `put` (it waits while the buffer is full), then `end` or `abandon`; the
    event loop calls `get` until None, and `close` when nobody reads any more.
    """

    def __init__(self, budget: int, stall_seconds: float) -> None:
        self.budget = budget
        self.stall_seconds = stall_seconds
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[ServerSentEvent | None, int]] = asyncio.Queue()
        self.room = threading.Condition()  # guards buffered and closed
        self.buffered = 0  # bytes put and not yet taken
        self.closed = False  # nobody reads: put refuses at once
        self.ended = False  # end or abandon was called (only the thread reads it)

    def fits(self, size: int) -> bool:
        """A message of `size` bytes may go in now (or nobody reads: put need not wait)."""
        return self.closed or self.buffered == 0 or self.buffered + size <= self.budget

    def put(self, message: ServerSentEvent, size: int) -> bool:
        """(thread) Buffer a message of `size` bytes once it fits. False if it did not fit
        within `stall_seconds`, or nobody reads any more."""
        with self.room:
            if not self.room.wait_for(lambda: self.fits(size), self.stall_seconds) or self.closed:
                return False
            self.buffered += size
        return self.to_loop(self.queue.put_nowait, (message, size))

    def end(self) -> None:
        """(thread) The stream ends after the events buffered so far."""
        if not self.ended:
            self.ended = True
            self.to_loop(self.queue.put_nowait, (None, 0))

    def abandon(self, last: ServerSentEvent) -> None:
        """(thread) Discard the events not yet taken; the stream ends with `last`."""
        if not self.ended:
            self.ended = True
            self.to_loop(self.replace_with, last)

    def to_loop(self, callback: Callable[..., None], *args: object) -> bool:
        """Run `callback` on the event loop; False if the loop has closed (server shutdown)."""
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            self.close()
            return False
        return True

    def replace_with(self, last: ServerSentEvent) -> None:
        """(event loop) Discard the events not yet taken; then `last`, then the end."""
        while not self.queue.empty():
            self.taken(self.queue.get_nowait()[1])
        self.queue.put_nowait((last, 0))
        self.queue.put_nowait((None, 0))

    async def get(self) -> ServerSentEvent | None:
        """(event loop) The next message; None at the end of the stream."""
        message, size = await self.queue.get()
        self.taken(size)
        return message

    def taken(self, size: int) -> None:
        with self.room:
            self.buffered -= size
            self.room.notify()

    def close(self) -> None:
        """Nobody reads any more: a waiting or later `put` returns False at once."""
        with self.room:
            self.closed = True
            self.room.notify()


class StreamedRun:
    """A turn in the run queue, the thread that computes the run, and its events as SSE.

    Create it on the event loop (it takes its place in the queue or raises Busy), then iterate
    `events()`: it says the run's place until its turn comes, then starts the thread. Leaving
    the iteration early (the client disconnected) or calling `close()` sets the stop flag; the
    turn ends when the thread does, or at `close()` if the thread never started.
    """

    def __init__(
        self,
        queue: RunQueue,
        source: EventSource,
        buffer: StreamBuffer,
        time_limit: float | None,
    ) -> None:
        self.turn: Turn = queue.enter()
        self.queue = queue
        self.source = source
        self.buffer = buffer
        self.time_limit = math.inf if time_limit is None else time_limit  # seconds it may run
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def release(self) -> None:
        """Free the slot (or the place in the queue) for the next in line; once."""
        self.queue.leave(self.turn)

    def stop_run(self) -> None:
        """Nobody reads the stream any more: the run stops, a waiting thread wakes."""
        self.stop.set()
        self.buffer.close()

    def close(self) -> None:
        """Stop the run; free its slot or place now if its thread never started."""
        self.stop_run()
        if self.thread is None:
            self.release()

    def expect(self, estimate: float | None) -> None:
        """(thread) The run said how long it should take: the queue's estimates use it, cut to
        the run's time limit (a run estimated past it ends there)."""
        if estimate is not None:
            self.queue.expect(self.turn, min(float(estimate), self.time_limit))

    def deliver(self, event: Event) -> bool:
        """Encode an event (in the thread: a snapshot can be megabytes) and buffer it for the
        client. False when nobody reads it: the client left, or is too slow and is dropped."""
        if self.stop.is_set():
            return False
        data = json_bytes(event.data)
        if self.buffer.put(ServerSentEvent(event=event.kind, raw_data=data.decode()), len(data)):
            return True
        if not self.buffer.closed:  # it waited for room in vain: the client stalled
            self.drop(len(data))
        return False

    def drop(self, size: int) -> None:
        """The next event (`size` bytes) found no room for `stall_seconds`: stop the run,
        discard the events the client has not taken, and end its stream with an error event."""
        self.stop_run()
        buffer = self.buffer
        message = (
            f"the client read too slowly: for {buffer.stall_seconds:g} s, {buffer.buffered} bytes "
            f"of events waited for it and the next {size} did not fit; the limit is "
            f"{buffer.budget} bytes. The run stopped."
        )
        log.info("dropped a training stream: %s", message)
        data = json_bytes({"message": message}).decode()
        self.buffer.abandon(ServerSentEvent(event="error", raw_data=data))

    def work(self) -> None:
        """(thread) Run the source and deliver its events until the last, or until nobody reads
        them: then the run is left at once, at its next event."""
        try:
            for event in self.source(self.stop):
                if event.kind in ESTIMATING:
                    self.expect(event.data.get("estimated_seconds"))
                if event.kind == "done":  # nothing is computed after it: free the slot first
                    self.release()
                if not self.deliver(event):
                    break
        except Exception as exc:  # a bug: say so in the stream, log the traceback
            log.exception("a streamed run failed")
            self.deliver(Event("error", {"message": f"the run failed: {exc!r}"}))
        finally:
            self.release()
            self.buffer.end()

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """The run's place while it waits; then start the thread and yield its events until the
        last; stop it if abandoned."""
        async for place in self.queued():
            yield place
        self.thread = threading.Thread(target=self.work, name="streamed-run", daemon=True)
        self.thread.start()
        try:
            while (message := await self.buffer.get()) is not None:
                yield message
        finally:
            self.stop_run()

    async def queued(self) -> AsyncIterator[ServerSentEvent]:
        """(event loop) A `queued` event each time the run's place changes, and every
        QUEUED_EVERY seconds while it holds (the estimate moves as the runs ahead progress);
        nothing once its turn has come. A client that leaves meanwhile cancels the wait, and
        `close()` takes its place out of the queue."""
        changed = self.turn.changed
        while True:
            changed.clear()  # before reading the place: a change after it sets it again
            place = self.queue.place(self.turn)
            if place is None:
                return
            yield ServerSentEvent(event="queued", raw_data=json_bytes(place).decode())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), QUEUED_EVERY)
