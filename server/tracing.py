"""Turn a trace request into a JSON payload: resolve the model, check sizes, trace, shape.

Every size a request implies is computed and checked against its limit before anything is
allocated or computed (`check_trace_size`: the response's values are known from the model's
shape and the text's length), and memory is bounded by bytes: a kept trace is its gzip bytes,
counted against the trace cache's byte budget.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import HTTPException

from models.analysis import SATURATION_GATES, Analysis, analyse, check_analysable
from models.bptt import BPTT
from models.features import text_features
from models.forecast import free_running
from models.network import Network
from models.spec import Limits, ModelSpec, SpecError, has_cell_state, make_spec
from models.trace import LossMode, Trace, trace
from models.zoo import ZooModel
from server.cache import Answers
from server.compact import display_numbers
from server.encoding import GzippedJson, json_bytes
from server.errors import InputError, spec_error_at
from server.schemas import InlineModel
from server.schemas.core import shown
from server.settings import Settings

# model id, text, loss, projections, analysis, backward, compact, a class model's label, a
# series model's forecast start
TraceKey = tuple[str, str, LossMode, bool, bool, bool, bool, str | None, int | None]


def unknown_model(model_id: str, zoo: dict[str, ZooModel]) -> HTTPException:
    return HTTPException(
        404, f"unknown model {shown(model_id, 80)}; the built-in models are: {', '.join(zoo)}"
    )


def model_spec(
    model: str | InlineModel, zoo: dict[str, ZooModel], limits: Limits, where: str
) -> ModelSpec:
    """The shape of a built-in id (404 if unknown) or of an inline model (422 naming what is
    wrong), without reading its weights."""
    if isinstance(model, str):
        if model not in zoo:
            raise unknown_model(model, zoo)
        return zoo[model].net.spec
    try:
        return make_spec(
            model.cell,
            model.vocab,
            model.hidden_size,
            model.num_layers,
            model.nonlinearity,
            limits,
            model.output,
            model.classes,
            model.input,
            model.embedding_dim,
            model.features,
        )
    except SpecError as error:
        raise spec_error_at([where, "model"], error) from error


def resolve_model(
    model: str | InlineModel, zoo: dict[str, ZooModel], limits: Limits, where: str
) -> tuple[str, Network]:
    """A built-in id (404 if unknown) or an inline model (422 naming what is wrong)."""
    spec = model_spec(model, zoo, limits, where)
    if isinstance(model, str):
        return model, zoo[model].net
    try:
        return "inline", Network(spec, model.state_dict)
    except SpecError as error:
        raise spec_error_at([where, "model"], error) from error


FEATURES = len(text_features("."))  # text features of the analysis, each (T,)


def trace_values(
    spec: ModelSpec, steps: int, projections: bool, analysis: bool, backward: bool = False
) -> int:
    """How many values (numbers and characters) a trace response holds, from the model's
    shape and the text's length alone; the config's few scalars, vocab and nulls aside."""
    hidden = spec.hidden_size
    states = 2 if has_cell_state(spec.cell) else 1  # h, and c for the LSTMs
    # per layer: states and gates (T, H) each, the gradient norms of the states (T,) each
    layer = steps * hidden * (states + len(spec.gate_names)) + steps * states
    if spec.cell == "peephole":
        layer += 3 * hidden  # the peepholes p_i | p_f | p_o
    if projections:
        layer += 2 * steps * spec.gates_per_unit * hidden  # input_proj, hidden_proj: (T, G*H)
    # tokens, token_ids, targets, loss, grads_input: (T,); logits, probs: (T, O)
    values = spec.num_layers * layer + steps * (5 + 2 * spec.output_size)
    if spec.embedding_dim is not None:
        values += steps * spec.embedding_dim  # embedded: (T, D)
    if spec.features is not None:  # a series model: no probs, no token_ids
        values -= steps * (spec.output_size + 1)
        values += 2 * steps * spec.features  # values (T, I); a forecast of at most (T, I)
    if analysis:
        # logit (T,), connectivity (t + 1 values at each step t), features (F, T)
        values += steps + steps * (steps + 1) // 2 + FEATURES * steps
        saturation = 2 * len(SATURATION_GATES[spec.cell]) * hidden  # left, right: (H,) each
        correlations = FEATURES * hidden * states  # (F, H) for h, and for c
        values += spec.num_layers * (saturation + correlations)
    if backward:
        # per layer: dh, dc (LSTM), dpre (one (T, H) per gate: G*H); dlogits (T, V); per
        # weight (embedding.weight included), total and by_step: (T + 1) x its size
        weights = sum(int(np.prod(shape)) for shape in spec.expected_shapes().values())
        values += spec.num_layers * steps * hidden * (states + spec.gates_per_unit)
        values += steps * spec.output_size + (steps + 1) * weights
    return values


def check_trace_size(
    spec: ModelSpec,
    text: str,
    projections: bool,
    analysis: bool,
    backward: bool,
    settings: Settings,
    where: str,
) -> None:
    """Refuse (422) a trace over its limits before it is queued or computed: the text's length
    (characters, or a word model's words), with analysis its tighter limit (and a word model
    refused), and the number of values its response would hold."""
    unit = {"embedding": "words", "real": "steps"}.get(spec.input, "characters")
    try:
        steps = len(spec.tokens(text))
    except SpecError as error:  # a series model's text that is not numbers
        raise spec_error_at([where], error) from error
    if steps > settings.max_text_chars:
        raise InputError(
            [where, "text"], f"text has {steps} {unit}; the limit is {settings.max_text_chars}"
        )
    if analysis:
        try:
            check_analysable(spec)
        except SpecError as error:
            raise spec_error_at([where], error) from error
        if steps > settings.max_analysis_chars:
            raise InputError(
                [where, "text"],
                f"text has {steps} {unit}; with analysis the limit is "
                f"{settings.max_analysis_chars}",
            )
    values = trace_values(spec, steps, projections, analysis, backward)
    if values > settings.max_trace_values:
        raise InputError(
            [where],
            f"text of {steps} {unit} through model ({spec.cell}, num_layers "
            f"{spec.num_layers}, hidden_size {spec.hidden_size}, vocab of {spec.vocab_size}) "
            f"with projections={str(projections).lower()}, analysis={str(analysis).lower()}, "
            f"backward={str(backward).lower()} gives a response of {values} values; the limit "
            f"is {settings.max_trace_values} (max_trace_values): shorten the text, or leave out "
            "projections, analysis or backward",
        )


def trace_payload(
    model_name: str,
    net: Network,
    text: str,
    loss: LossMode,
    projections: bool,
    analysis: bool,
    backward: bool,
    settings: Settings,
    where: str,
    label: str | None = None,
    forecast: int | None = None,
) -> dict[str, Any]:
    """The trace response (schemas.TraceResponse) as plain data and NumPy arrays; its sizes
    passed `check_trace_size` before it was queued.

    `where` is "query" or "body": errors name the field as [where, "text"], [where, "model"].
    """
    limits = settings.limits()
    try:
        result = trace(net, text, loss, limits, projections, backward, label)
        extra = analysis_payload(analyse(net, text, limits)) if analysis else None
        ahead = forecast_payload(net, result, forecast)
    except SpecError as error:
        raise spec_error_at([where], error) from error
    spec = net.spec
    return {
        "model": model_name,
        **spec.to_config(),
        "loss_mode": loss,
        "label": result.label,
        "label_given": result.label_given,
        "tokens": result.tokens,
        "token_ids": result.token_ids,
        "embedded": result.embedded,
        "values": result.values,
        "targets": result.targets,
        "layers": [
            {
                "h": layer.h,
                "c": layer.c,
                "gates": layer.gates,
                "input_proj": layer.input_proj,
                "hidden_proj": layer.hidden_proj,
                "peephole": layer.peephole,
            }
            for layer in result.layers
        ],
        "logits": result.logits,
        "probs": result.probs,
        "loss": result.loss,
        "total_loss": total_loss(result),
        "forecast": ahead,
        "grads": [
            {"h": layer.grad_h, "c": layer.grad_c, **layer_bptt_payload(result.bptt, k)}
            for k, layer in enumerate(result.layers)
        ],
        "grads_input": result.grad_input,
        "analysis": extra,
        **bptt_payload(result.bptt),
    }


def forecast_payload(net: Network, result: Trace, start: int | None) -> dict[str, Any] | None:
    """schemas.ForecastOut: the free-running forecast of x_start .. x_{T-1}; None unasked."""
    if start is None:
        return None
    if result.values is None:
        raise SpecError("forecast", "forecast is for series models (input 'real', output 'value')")
    horizon = len(result.values) - start
    return {"start": start, "values": free_running(net, result.values, start, horizon)}


def bptt_payload(result: BPTT | None) -> dict[str, Any]:
    """`dlogits` and `weight_grads` of schemas.TraceResponse; null without backward."""
    if result is None:
        return {"dlogits": None, "weight_grads": None}
    weights = {name: {"total": g.total, "by_step": g.by_step} for name, g in result.weights.items()}
    return {"dlogits": result.d_outputs, "weight_grads": weights}


def layer_bptt_payload(result: BPTT | None, k: int) -> dict[str, Any]:
    """Layer k's backward-pass vectors of schemas.LayerGradsOut; null without backward."""
    if result is None:
        return {"dh": None, "dc": None, "dpre": None}
    layer = result.layers[k]
    return {"dh": layer.dh, "dc": layer.dc, "dpre": layer.dpre}


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
    """The server's one cache of trace answers: traces of built-in models, gzipped with their
    ETags, kept by the raw query string that asked for them and computed once (`Answers`),
    within `trace_cache_bytes`.

    Built-in models never change while the server runs, so the same GET gives the same bytes.
    The key is the query string itself, so server/fastpath.py answers a repeated GET before
    routing; a query spelt differently (parameters in another order) is computed and kept
    once more, which only browsers' own fixed spelling makes rare. `compute` runs the model
    (call it in a worker thread).
    """

    def __init__(self, zoo: dict[str, ZooModel], settings: Settings) -> None:
        self.zoo = zoo
        self.settings = settings
        self.answers: Answers[bytes, GzippedJson] = Answers(
            settings.trace_cache_bytes, GzippedJson.nbytes
        )

    def kept(self, query: bytes) -> GzippedJson | None:
        """The kept answer to a raw query string, if any."""
        return self.answers.cache.get(query)

    def compute(self, key: TraceKey) -> GzippedJson:
        model_id, text, loss, projections, analysis, backward, compact, label, forecast = key
        name, net = resolve_model(model_id, self.zoo, self.settings.limits(), "query")
        options = loss, projections, analysis, backward
        payload = trace_payload(name, net, text, *options, self.settings, "query", label, forecast)
        return GzippedJson.of(json_bytes(display_numbers(payload) if compact else payload))
