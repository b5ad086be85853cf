"""Turn a trace request into a JSON payload: resolve the model, trace, shape the arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import HTTPException

from models.analysis import Analysis, analyse
from models.network import Network
from models.spec import Limits, SpecError, make_spec
from models.trace import LossMode, Trace, trace
from models.zoo import ZooModel
from server.cache import Answers, LruCache
from server.encoding import EncodedBody, json_bytes
from server.errors import InputError, spec_error_at
from server.schemas import InlineModel
from server.settings import Settings

TraceKey = tuple[str, str, LossMode, bool, bool]  # model id, text, loss, projections, analysis


def unknown_model(model_id: str, zoo: dict[str, ZooModel]) -> HTTPException:
    return HTTPException(
        404, f"unknown model {model_id!r}; the built-in models are: {', '.join(zoo)}"
    )


def resolve_model(
    model: str | InlineModel, zoo: dict[str, ZooModel], limits: Limits, where: str
) -> tuple[str, Network]:
    """A built-in id (404 if unknown) or an inline model (422 naming what is wrong)."""
    if isinstance(model, str):
        if model not in zoo:
            raise unknown_model(model, zoo)
        return model, zoo[model].net
    try:
        spec = make_spec(
            model.cell, model.vocab, model.hidden_size, model.num_layers, model.nonlinearity, limits
        )
        return "inline", Network(spec, model.state_dict)
    except SpecError as error:
        raise spec_error_at([where, "model"], error) from error


def trace_payload(
    model_name: str,
    net: Network,
    text: str,
    loss: LossMode,
    projections: bool,
    analysis: bool,
    settings: Settings,
    where: str,
) -> dict[str, Any]:
    """The trace response (schemas.TraceResponse) as plain data and NumPy arrays.

    `where` is "query" or "body": errors name the field as [where, "text"], [where, "model"].
    """
    limits = settings.limits()
    if analysis and len(text) > settings.max_analysis_chars:
        raise InputError(
            [where, "text"],
            f"text has {len(text)} characters; with analysis the limit is "
            f"{settings.max_analysis_chars}",
        )
    try:
        result = trace(net, text, loss, limits, projections)
        extra = analysis_payload(analyse(net, text, limits)) if analysis else None
    except SpecError as error:
        raise spec_error_at([where], error) from error
    spec = net.spec
    return {
        "model": model_name,
        **spec.to_config(),
        "loss_mode": loss,
        "tokens": result.tokens,
        "targets": result.targets,
        "layers": [
            {
                "h": layer.h,
                "c": layer.c,
                "gates": layer.gates,
                "input_proj": layer.input_proj,
                "hidden_proj": layer.hidden_proj,
            }
            for layer in result.layers
        ],
        "logits": result.logits,
        "probs": result.probs,
        "loss": result.loss,
        "total_loss": total_loss(result),
        "grads": [{"h": layer.grad_h, "c": layer.grad_c} for layer in result.layers],
        "grads_input": result.grad_input,
        "analysis": extra,
    }


def analysis_payload(result: Analysis) -> dict[str, Any]:
    """schemas.AnalysisOut as plain data and NumPy arrays (-inf and NaN encode as null)."""
    return {
        "connectivity": {"logit": result.logit, "log10": result.connectivity},
        "saturation": [
            {name: {"left": gate.left, "right": gate.right} for name, gate in layer.items()}
            for layer in result.saturation
        ],
        "features": result.features,
        "correlations": [{"h": layer.h, "c": layer.c} for layer in result.correlations],
    }


def total_loss(result: Trace) -> float:
    """The loss the gradients belong to: the sum over steps, or the last target's loss."""
    with_target = result.loss[~np.isnan(result.loss)]
    if with_target.size == 0:
        return 0.0
    return float(with_target.sum() if result.loss_mode == "all" else with_target[-1])


class BuiltinTraces:
    """Encoded traces of built-in models with their ETags, kept and computed once (`Answers`).

    Built-in models never change while the server runs, so the same GET gives the same bytes.
    `compute` runs the model (call it in a worker thread).
    """

    def __init__(self, zoo: dict[str, ZooModel], settings: Settings) -> None:
        self.zoo = zoo
        self.settings = settings
        self.answers: Answers[TraceKey, EncodedBody] = Answers(settings.trace_cache_entries)
        # The same answers by the raw query string that asked for them (server/fastpath.py).
        self.by_query: LruCache[bytes, EncodedBody] = LruCache(settings.trace_cache_entries)

    def compute(self, key: TraceKey) -> EncodedBody:
        model_id, text, loss, projections, analysis = key
        name, net = resolve_model(model_id, self.zoo, self.settings.limits(), "query")
        payload = trace_payload(
            name, net, text, loss, projections, analysis, self.settings, "query"
        )
        return EncodedBody.of(json_bytes(payload))
