"""CPU-heavy work, bounded: per endpoint and worker, a few jobs run, a few wait, the rest get 429.

Model computations run in worker threads, so the event loop keeps answering (health checks
included) while they compute. Each endpoint has its own gate: `running` jobs at once and up to
`waiting` more queued; a request beyond that is refused at once with 429 and `Retry-After`
rather than piling up until every client times out.

Counting requests does not bound their memory: a queued request holds its parsed body, and an
inline model's state_dict parsed into Python lists takes up to ~8 times its JSON bytes. So
`HeldBodies` also bounds, per worker, the bytes of the request bodies held by requests in
progress, and refuses one beyond it before anything parses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.encoding import json_response
from server.errors import error_body
from server.settings import get_settings

T = TypeVar("T")


class Busy(Exception):
    """An endpoint's gate (or queue) is full; `message` says which, how full and its limit."""

    def __init__(self, endpoint: str, limit: int, retry_after: int, message: str = "") -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint
        self.limit = limit
        self.retry_after = retry_after
        self.message = message or (
            f"{endpoint} is busy: {limit} requests are already running or queued in this "
            f"worker, the limit is {limit}; retry after {retry_after} s"
        )


class WorkGate:
    """At most `running` jobs compute at once; `waiting` more may queue; the rest are Busy."""

    def __init__(self, endpoint: str, running: int, waiting: int, retry_after: int) -> None:
        self.endpoint = endpoint
        self.capacity = running + waiting
        self.retry_after = retry_after
        self.admitted = 0
        self.slots = anyio.Semaphore(running)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Run `work(*args)` in a thread once a slot is free; raise Busy if the queue is full."""
        if self.admitted >= self.capacity:
            raise Busy(self.endpoint, self.capacity, self.retry_after)
        self.admitted += 1
        try:
            async with self.slots:
                return await run_in_threadpool(work, *args)
        finally:
            self.admitted -= 1


def work_gate(request: Request, endpoint: str) -> WorkGate:
    """The gate of `endpoint` in this worker, made on first use from the settings."""
    gates: dict[str, WorkGate] = request.app.state.work_gates
    if endpoint not in gates:
        settings = get_settings()
        gates[endpoint] = WorkGate(
            endpoint,
            running=settings.max_running_jobs,
            waiting=settings.max_waiting_jobs,
            retry_after=settings.retry_after_seconds,
        )
    return gates[endpoint]


async def busy_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Busy)
    return busy_response([exc.endpoint], exc.message, exc.retry_after)


def busy_response(loc: list[str], message: str, retry_after: int) -> Response:
    """A 429 naming what is full, with Retry-After."""
    return json_response(
        error_body(loc, message, "busy"),
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


class HeldBodies:
    """ASGI middleware: the request bodies a worker holds at once are at most `max_bytes`.

    A body is read whole before the app sees it, then admitted if its bytes fit in what the
    requests in progress leave, or if no other body is held (so any body up to max_body_bytes
    gets its turn); else the request gets 429 and Retry-After before anything parses it. A
    Content-Length that cannot fit now is refused before its body is read. An admitted body's
    bytes are held until its response is sent. Only bodies read whole count: a slow upload
    holds none of the budget, only the bytes it has sent.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, retry_after: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.retry_after = retry_after
        self.held = 0  # bytes of the bodies of the requests in progress in this worker

    def fits(self, size: int) -> bool:
        return self.held == 0 or self.held + size <= self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        declared = headers.get(b"content-length", b"")
        if declared in (b"", b"0") and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        if declared.isdigit() and not self.fits(int(declared)):
            await self.refuse(int(declared), scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client left while sending it: nobody to answer
        size = len(body)
        if not self.fits(size):
            await self.refuse(size, scope, receive, send)
            return
        self.held += size
        try:
            await self.app(scope, replay(body, receive), send)
        finally:
            self.held -= size

    async def refuse(self, size: int, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"this worker already holds {self.held} bytes of request bodies in progress; this "
            f"body has {size} bytes and the limit is {self.max_bytes} (max_held_body_bytes); "
            f"retry after {self.retry_after} s"
        )
        await busy_response(["body"], message, self.retry_after)(scope, receive, send)


async def read_body(receive: Receive) -> bytes | None:
    """A request's whole body, or None if the client disconnects first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` whole, then what `receive` gives (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def install_work_gates(app: FastAPI) -> None:
    """The per-endpoint gates (made on first use), their 429, and the held-bodies budget."""
    app.state.work_gates = {}
    app.add_exception_handler(Busy, busy_handler)
    settings = get_settings()
    app.add_middleware(
        HeldBodies,
        max_bytes=settings.max_held_body_bytes,
        retry_after=settings.retry_after_seconds,
    )
