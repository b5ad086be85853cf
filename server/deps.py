"""Dependencies shared by the routers, as type aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from models.zoo import ZooModel
from server.settings import Settings, get_settings
from server.tracing import BuiltinTraces

Zoo = dict[str, ZooModel]


def get_zoo(request: Request) -> Zoo:
    zoo: Zoo = request.app.state.zoo
    return zoo


ZooDep = Annotated[Zoo, Depends(get_zoo)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_trace_cache(request: Request) -> BuiltinTraces:
    traces: BuiltinTraces = request.app.state.traces
    return traces


TraceCacheDep = Annotated[BuiltinTraces, Depends(get_trace_cache)]
