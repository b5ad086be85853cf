"""Dependencies shared by the routers, as type aliases.

Each is an `async def` because FastAPI runs a plain `def` dependency in a worker thread: these
only read app state, and a thread hop per dependency per request cost more than the cached
trace GET itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from models.zoo import ZooModel
from server.settings import Settings, get_settings
from server.tracing import BuiltinTraces

Zoo = dict[str, ZooModel]


async def get_zoo(request: Request) -> Zoo:
    zoo: Zoo = request.app.state.zoo
    return zoo


async def current_settings() -> Settings:
    return get_settings()


async def get_trace_cache(request: Request) -> BuiltinTraces:
    traces: BuiltinTraces = request.app.state.traces
    return traces


ZooDep = Annotated[Zoo, Depends(get_zoo)]
SettingsDep = Annotated[Settings, Depends(current_settings)]
TraceCacheDep = Annotated[BuiltinTraces, Depends(get_trace_cache)]
