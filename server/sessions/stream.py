"""A follower's event stream as a bare ASGI response: the encoded events of this worker's
watch, sent as they come, with a keep-alive comment on each quiet heartbeat.

300 students following one lecturer means every change is 300 events at once. FastAPI's own
SSE streaming serializes each event (pydantic, jsonable_encoder) and passes it through two
tasks and two memory streams; here an event is encoded once per worker (the watch keeps it)
and each follower's stream is one `send` of those bytes. The follower counts as one while
the stream is open (`SessionStore.following`); it ends when the session ends or the client
leaves. The route admits the follower (or refuses it) before this starts.
"""

from __future__ import annotations

from contextlib import suppress

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.sessions.store import KEEPALIVE, Record, SessionStore

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
]


class SessionStream(Response):
    """The response of GET /api/sessions/{code}/events."""

    def __init__(self, store: SessionStore, record: Record) -> None:
        super().__init__(media_type="text/event-stream")
        self.store = store
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self.store.following(self.record) as events:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            with suppress(OSError):  # the client went away mid-send
                async with anyio.create_task_group() as group:
                    group.start_soon(self.until_gone, receive, group.cancel_scope)
                    async for event in events:
                        body = KEEPALIVE if event is None else event.encoded
                        await send({"type": "http.response.body", "body": body, "more_body": True})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    group.cancel_scope.cancel()

    @staticmethod
    async def until_gone(receive: Receive, scope: anyio.CancelScope) -> None:
        """Stop the stream when the client disconnects."""
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()
