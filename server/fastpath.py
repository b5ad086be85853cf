"""A GET /api/trace asked before is answered from the trace cache before routing.

A lecture hall opens the same page at once, so most trace GETs repeat a query string already
answered. FastAPI's parameter validation and dependency solving cost several times the cached
answer itself: served from the route, a repeated trace GET measured 0.7 times /healthz's
throughput in benchmarks/load.py, under its 0.8 target; served from here, above 1. So this
ASGI middleware is where a kept trace is answered: it looks the raw query string up in the
trace cache (`BuiltinTraces`, which the route fills) and answers with the ETag, 304 and gzip
handling of `encoding.cached_response`. A query never seen, or whose answer the cache has let go,
goes on to the route, which checks it and computes it once.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from server.encoding import cacheable_json
from server.tracing import BuiltinTraces

TRACE_PATH = "/api/trace"


class CachedTraceGets:
    """ASGI middleware: answer a repeated GET /api/trace from `app.state.traces`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == TRACE_PATH:
            traces: BuiltinTraces = scope["app"].state.traces
            kept = traces.kept(scope["query_string"])
            if kept is not None:
                response = cacheable_json(Request(scope), kept, traces.settings.cache_max_age)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
