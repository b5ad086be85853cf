"""Reject request bodies over the size limit before anything reads them (413)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.encoding import json_bytes
from server.errors import error_body


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
            await self.reject(int(declared), send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(received)
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge as exc:
            await self.reject(exc.size, send)

    async def reject(self, size: int, send: Send) -> None:
        message = f"request body has {size} bytes or more; the limit is {self.max_bytes}"
        body = json_bytes(error_body(["body"], message, "too_large"))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
