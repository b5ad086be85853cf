"""Run a model over a text: every internal and every per-step gradient norm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from models.trace import LossMode
from server.compact import display_numbers
from server.deps import SettingsDep, TraceCacheDep, ZooDep
from server.encoding import cacheable_json, json_bytes
from server.schemas import COMPACT, FORECAST, LABEL, TraceRequest, TraceResponse
from server.tracing import check_trace_size, model_spec, resolve_model, trace_payload
from server.work import work_gate

router = APIRouter(prefix="/api/trace", tags=["trace"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "unknown model id"},
    422: {
        "description": "invalid text, model or limit exceeded (the response's size included); "
        "the message names which"
    },
    429: {"description": "too many traces or request bytes in this worker; see Retry-After"},
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
    analysis: Annotated[
        bool, Query(description="include connectivity, saturation, features, correlations")
    ] = False,
    backward: Annotated[
        bool, Query(description="include dh, dc, dpre, dlogits and weight_grads: BPTT in numbers")
    ] = False,
    compact: Annotated[bool, Query(description=COMPACT)] = False,
    label: Annotated[str | None, Query(description=LABEL, examples=["German"])] = None,
    forecast: Annotated[int | None, Query(description=FORECAST, examples=[40])] = None,
) -> Response:
    """Trace a built-in model over `text` (cached; strong ETag)."""
    spec = model_spec(model, traces.zoo, settings.limits(), "query")
    check_trace_size(spec, text, projections, analysis, backward, settings, "query")
    key = (model, text, loss, projections, analysis, backward, compact, label, forecast)
    gate = work_gate(request, "trace")
    query = request.scope["query_string"]  # server/fastpath.py finds the answer by it
    answer = await traces.answers.get(query, lambda: gate.run(traces.compute, key))
    return cacheable_json(request, answer, settings.cache_max_age)


@router.post("", response_model=TraceResponse, responses=ERRORS)
async def post_trace(
    http: Request, request: TraceRequest, zoo: ZooDep, settings: SettingsDep
) -> Response:
    """Trace a built-in or inline model over `text`."""
    spec = model_spec(request.model, zoo, settings.limits(), "body")
    options = request.projections, request.analysis, request.backward
    check_trace_size(spec, request.text, *options, settings, "body")

    def compute() -> bytes:
        name, net = resolve_model(request.model, zoo, settings.limits(), "body")
        payload = trace_payload(
            name,
            net,
            request.text,
            request.loss,
            *options,
            settings,
            "body",
            request.label,
            request.forecast,
        )
        return json_bytes(display_numbers(payload) if request.compact else payload)

    body = await work_gate(http, "trace").run(compute)
    return Response(body, media_type="application/json")
