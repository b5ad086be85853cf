"""HEAD wherever GET is answered: the status and headers of the GET, no body (RFC 9110 9.3.2).

Starlette's own routes and static files answer HEAD beside GET; FastAPI's API routes answer
only the methods they list, so `HEAD /healthz` was a 405. `HeadAsGet` runs a HEAD request as
a GET when a route answers GET at its path, and drops the body the endpoint writes (uvicorn
would too; an ASGI test client and other servers need not). The OpenAPI document lists each
operation once, as a GET.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROUTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def methods_at(scope: Scope) -> list[str]:
    """The methods some route of the app answers at the scope's path; HEAD wherever GET is."""
    routes = scope["app"].router.routes
    methods = [
        method
        for method in ROUTED_METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ["HEAD", *methods] if "GET" in methods else methods


class HeadAsGet:
    """ASGI middleware: a HEAD request to a path with a GET route is that GET; the answer to
    any HEAD keeps its headers (Content-Length included) and loses its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        if "GET" in methods_at(scope):
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, headers_only)
