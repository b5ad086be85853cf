"""uvicorn's HTTP protocol with bounds on what a slow or huge request may hold.

uvicorn bounds neither the size of a request's headers nor the time a client takes to send
them or its body: httptools buffers a header of any length, copying it again on every read (a
150 MB header took 31 s and was answered 200), and a client sending one header byte every half
second, or a body shorter than its Content-Length, keeps its connection open for ever.
`GuardedHttpProtocol` adds, per connection and from `server.settings`:

- **header size**: while a request's headers are incomplete, the parser is fed at most
  `max_header_bytes` of them; a request line and headers that do not end within that many
  bytes get a 431 and the connection closes, before anything more is read or parsed
  (pipelined requests that share a read may get up to twice that);
- **header deadline**: `header_timeout_seconds` from the connection's opening (or, on a kept-alive
  connection, from a request's first byte) to the end of its headers, then 408 and close (a
  connection that sent nothing is closed without a word);
- **body idle timeout**: `body_timeout_seconds` without a byte of an unfinished body, then 408
  and close; time while uvicorn itself paused reading (the app not consuming) does not count;
- **connections per worker**: past `max_connections`, a new connection closes the connection
  that has waited longest with no request in progress; when every one has a request in
  progress, the new one is answered 503. uvicorn's `limit_concurrency` counts idle connections
  too, so 200 idle sockets would make every real request a 503; here they make room instead;
- **keep-alive**: an idle connection closes `keep_alive_seconds` after its last response.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from server.settings import get_settings


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that limits header size, header time, body idle time and connections."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.settings = get_settings()
        self.timeout_keep_alive = self.settings.keep_alive_seconds  # read by uvicorn
        self.reading_headers = True  # the next bytes belong to a request line or headers
        self.header_bytes = 0  # bytes read while the current request's headers were incomplete
        self.idle_since = self.loop.time()  # its opening or last response: idle since then
        self.header_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.body_read_at = 0.0  # loop time of the last byte of the current request's body

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.start_header_timer()
        if len(self.connections) > self.settings.max_connections:
            self.make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_header_timer()
        self.stop_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, giving a request's line and headers at most `max_header_bytes`."""
        limit = self.settings.max_header_bytes
        while data and not self.transport.is_closing():  # refused or timed out: parse no more
            if not self.reading_headers:
                super().data_received(data)
                return
            piece, data = data[: limit - self.header_bytes], data[limit - self.header_bytes :]
            self.header_bytes += len(piece)
            super().data_received(piece)
            too_long = self.reading_headers and self.header_bytes >= limit
            if too_long and not self.transport.is_closing():
                reason = f"request line and headers over {limit} bytes"
                self.refuse(431, reason, answer=self.between_responses())

    # Parser callbacks: a request's headers begin, end; its body arrives, ends.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.start_header_timer()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.reading_headers = False
        self.stop_header_timer()
        self.body_read_at = self.loop.time()
        self.body_timer = self.loop.call_later(
            self.settings.body_timeout_seconds, self.body_timeout_handler
        )

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self.body_read_at = self.loop.time()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.stop_body_timer()
        self.reading_headers = True
        self.header_bytes = 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.idle_since = self.loop.time()

    # Timers
    def start_header_timer(self) -> None:
        """Arm the header deadline unless it already runs (from the connection's opening)."""
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(
                self.settings.header_timeout_seconds, self.header_timeout_handler
            )

    def stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def stop_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def header_timeout_handler(self) -> None:
        """The headers did not end in time: 408 if a request began, else a silent close."""
        self.header_timer = None
        if self.transport.is_closing():
            return
        if self.header_bytes:
            reason = f"request headers not complete in {self.settings.header_timeout_seconds:g} s"
            self.refuse(408, reason, answer=self.between_responses())
        else:
            self.transport.close()

    def body_timeout_handler(self) -> None:
        """No body byte for the whole timeout while reading: 408; otherwise look again later."""
        timeout = self.settings.body_timeout_seconds
        now = self.loop.time()
        if self.flow.read_paused:  # uvicorn stopped reading, not the client sending
            self.body_read_at = now
        if now - self.body_read_at < timeout:
            deadline = self.body_read_at + timeout
            self.body_timer = self.loop.call_at(deadline, self.body_timeout_handler)
            return
        self.body_timer = None
        if not self.transport.is_closing():  # the app may have answered already (a 413, say)
            reason = f"no request body received for {timeout:g} s"
            self.refuse(408, reason, answer=not self.cycle.response_started)

    # Connections
    def between_responses(self) -> bool:
        """No response is due or under way: one written now would interleave with none."""
        return self.cycle is None or self.cycle.response_complete

    def idle(self) -> bool:
        """Open, with no request in progress (waiting for one, or partway through its headers)."""
        closing = self.transport.is_closing()
        return self.reading_headers and self.between_responses() and not closing

    def make_room(self) -> None:
        """Close the connection idle the longest; with none idle, refuse this one with a 503."""
        idle = [
            other
            for other in self.connections
            if isinstance(other, GuardedHttpProtocol) and other is not self and other.idle()
        ]
        if idle:
            min(idle, key=lambda other: other.idle_since).transport.close()
        else:
            limit = self.settings.max_connections
            self.refuse(503, f"{limit} connections with requests in progress", answer=True)

    def refuse(self, status: int, reason: str, answer: bool) -> None:
        """Log, answer `status` with `reason` as plain text if `answer`, and close."""
        self.logger.warning("Closing a connection: %d %s.", status, reason)
        if answer:
            body = reason.encode()
            headers = [
                *self.server_state.default_headers,
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"%d" % len(body)),
                (b"connection", b"close"),
            ]
            head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            self.transport.write(STATUS_LINE[status] + head + b"\r\n" + body)
        self.transport.close()
