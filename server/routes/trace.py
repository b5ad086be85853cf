"""Run a model over a text: every internal and every per-step gradient norm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from models.trace import LossMode
from server.deps import SettingsDep, TraceCacheDep, ZooDep
from server.encoding import cacheable_json, json_bytes
from server.schemas import TraceRequest, TraceResponse
from server.tracing import resolve_model, trace_payload

router = APIRouter(prefix="/api/trace", tags=["trace"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "unknown model id"},
    422: {"description": "invalid text, model or limit exceeded; the message names which"},
}


@router.get("", response_model=TraceResponse, responses=ERRORS)
async def get_trace(
    request: Request,
    settings: SettingsDep,
    traces: TraceCacheDep,
    model: Annotated[str, Query(description="built-in model id", examples=["hello-rnn"])],
    text: Annotated[str, Query(description="characters to trace", examples=["hello"])],
    loss: Annotated[LossMode, Query(description="'all' steps or the 'last' target")] = "all",
    projections: Annotated[
        bool, Query(description="include W_ih x_t + b_ih and W_hh h_{t-1} + b_hh")
    ] = False,
) -> Response:
    """Trace a built-in model over `text` (cached; strong ETag)."""
    body, etag = await run_in_threadpool(traces, model, text, loss, projections)
    return cacheable_json(request, body, settings.cache_max_age, etag)


@router.post("", response_model=TraceResponse, responses=ERRORS)
async def post_trace(request: TraceRequest, zoo: ZooDep, settings: SettingsDep) -> Response:
    """Trace a built-in or inline model over `text`."""
    limits = settings.limits()

    def compute() -> bytes:
        name, net = resolve_model(request.model, zoo, limits, "body")
        return json_bytes(
            trace_payload(
                name, net, request.text, request.loss, request.projections, limits, "body"
            )
        )

    return Response(await run_in_threadpool(compute), media_type="application/json")
