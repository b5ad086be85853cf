"""CPU-heavy work, bounded: per endpoint and worker, a few jobs run, a few wait, the rest get 429.

Model computations run in worker threads, so the event loop keeps answering (health checks
included) while they compute. Each endpoint has its own gate: `running` jobs at once and up to
`waiting` more queued; a request beyond that is refused at once with 429 and `Retry-After`
rather than piling up until every client times out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from server.encoding import json_response
from server.errors import error_body
from server.settings import get_settings

T = TypeVar("T")


class Busy(Exception):
    """An endpoint's gate is full."""

    def __init__(self, endpoint: str, limit: int, retry_after: int) -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint
        self.limit = limit
        self.retry_after = retry_after


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
    message = (
        f"{exc.endpoint} is busy: {exc.limit} requests are already running or queued in this "
        f"worker, the limit is {exc.limit}; retry after {exc.retry_after} s"
    )
    return json_response(
        error_body([exc.endpoint], message, "busy"),
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install_work_gates(app: FastAPI) -> None:
    app.state.work_gates = {}
    app.add_exception_handler(Busy, busy_handler)
