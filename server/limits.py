"""Reject request bodies over the size limit before anything reads them (413)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.encoding import json_bytes
from server.errors import BodyTooLarge


class BodySizeLimit:
    """ASGI middleware: a body over `max_bytes` (declared or streamed) gets a 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.reject(BodyTooLarge(int(declared), self.max_bytes), send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(received, self.max_bytes)
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            await self.reject(exc, send)

    async def reject(self, exc: BodyTooLarge, send: Send) -> None:
        body = json_bytes(exc.body())
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
