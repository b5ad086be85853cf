"""A GET /api/trace asked before is answered from the trace cache before routing.

A lecture hall opens the same page at once, so most trace GETs repeat a query string already
answered. FastAPI's parameter validation and dependency solving cost more than the cached
answer itself; this ASGI middleware looks the raw query string up first (the route keeps every
answer under its query string) and answers as the route does, with the same ETag, 304 and gzip
handling. A query never seen, or whose answer the cache has let go, goes on to the route.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from server.tracing import BuiltinTraces

TRACE_PATH = "/api/trace"


class CachedTraceGets:
    """ASGI middleware: answer a repeated GET /api/trace from `app.state.traces`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == TRACE_PATH:
            traces: BuiltinTraces | None = getattr(scope["app"].state, "traces", None)
            hit = traces.kept(scope["query_string"]) if traces else None
            if traces is not None and hit is not None:
                response = hit.response(Request(scope), traces.settings.cache_max_age)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
