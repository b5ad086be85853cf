"""Long runs streamed as server-sent events: one worker thread per run, its events through a
queue to the event loop, and a stop flag that is set when the client goes away.

A run holds a slot from the moment its request is accepted until its thread ends. Slots are few
(`max_training_runs` per worker) and never queue: a request beyond them is refused at once with
429 and Retry-After, before its stream starts, rather than hanging on an open connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.sse import ServerSentEvent
from starlette.types import Receive, Scope, Send

from models.training import Event
from server.encoding import json_bytes
from server.settings import get_settings
from server.work import Busy

log = logging.getLogger("unrolled.streams")
EventSource = Callable[[threading.Event], Iterator[Event]]  # stop flag -> events


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


class RunSlots:
    """At most `limit` streamed runs at once in this worker; the rest are Busy."""

    def __init__(self, endpoint: str, limit: int, retry_after: int) -> None:
        self.endpoint = endpoint
        self.limit = limit
        self.retry_after = retry_after
        self.running = 0
        self.lock = threading.Lock()  # released from the runs' threads

    def claim(self) -> None:
        with self.lock:
            if self.running >= self.limit:
                raise Busy(self.endpoint, self.limit, self.retry_after)
            self.running += 1

    def release(self) -> None:
        with self.lock:
            self.running -= 1


def run_slots(request: Request) -> RunSlots:
    """This worker's slots for training runs and comparisons, made on first use."""
    state = request.app.state
    if not hasattr(state, "run_slots"):
        settings = get_settings()
        state.run_slots = RunSlots(
            "train", settings.max_training_runs, settings.retry_after_seconds
        )
    slots: RunSlots = state.run_slots
    return slots


class StreamedRun:
    """A claimed slot, the thread that computes the run, and its events as SSE.

    Create it on the event loop (it claims a slot or raises Busy), then iterate `events()`:
    that starts the thread. Leaving the iteration early (the client disconnected) or calling
    `close()` sets the stop flag; the thread releases the slot when it ends.
    """

    def __init__(self, slots: RunSlots, source: EventSource) -> None:
        slots.claim()
        self.slots = slots
        self.source = source
        self.stop = threading.Event()
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[ServerSentEvent | None] = asyncio.Queue()
        self.thread: threading.Thread | None = None
        self.released = False
        self.release_lock = threading.Lock()

    def release(self) -> None:
        with self.release_lock:
            if not self.released:
                self.released = True
                self.slots.release()

    def close(self) -> None:
        """Stop the run; release the slot now if its thread never started."""
        self.stop.set()
        if self.thread is None:
            self.release()

    def deliver(self, event: Event | None) -> None:
        """Encode an event (in the thread: a snapshot can be megabytes) and hand it to the
        event loop; None ends the stream. A closed loop (server shutdown) stops the run."""
        message = None
        if event is not None:
            message = ServerSentEvent(event=event.kind, raw_data=json_bytes(event.data).decode())
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, message)
        except RuntimeError:  # the loop has closed: the server is shutting down
            self.stop.set()

    def work(self) -> None:
        try:
            for event in self.source(self.stop):
                if event.kind == "done":  # nothing is computed after it: free the slot first
                    self.release()
                self.deliver(event)
        except Exception as exc:  # a bug: say so in the stream, log the traceback
            log.exception("a streamed run failed")
            self.deliver(Event("error", {"message": f"the run failed: {exc!r}"}))
        finally:
            self.release()
            self.deliver(None)

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """Start the thread and yield its events until the last; stop it if abandoned."""
        self.thread = threading.Thread(target=self.work, name="streamed-run", daemon=True)
        self.thread.start()
        try:
            while (message := await self.queue.get()) is not None:
                yield message
        finally:
            self.stop.set()
