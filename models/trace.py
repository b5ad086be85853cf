"""Trace a text through a model: every internal at every step, and per-step gradient norms.

The model reads every token of the text: its characters, or for a word model (input
"embedding") its words (`spec.tokenize`), each looked up in the embedding, x_t = E[id(w_t)].
A next-token model's target at step t is the token t+1, so the last step has none:

    loss_t = -log softmax(logits_t)[target_t]
    L = sum_t loss_t            (loss="all")
    L = loss_{T-2}              (loss="last": the last step that has a target)

A class model (many to one) has one target, the text's class `label`, at its last step: its
readout at every step is the class distribution after reading tokens 0..t, but only the last one
is scored, so "all" and "last" are the same loss,

    L = loss_{T-1} = -log softmax(logits_{T-1})[label]

With no label given, the label is the model's own prediction at the last step (the gradient then
shows what the model's answer rests on).

A series model (input "real", output "value") reads real rows x_t and its readout y_t predicts
the next row; its loss is the squared error,

    loss_t = ||y_t - x_{t+1}||^2,     dL/dy_t = 2 (y_t - x_{t+1})

For the others, the driver of `network.py` backpropagates
dL/dlogits_t = softmax(logits_t) - onehot(target_t) at every step in L (zero at the others).
Gradient norms are total derivatives (through every later step and every layer above), as a
plain autograd loop that retains each h_t's gradient reports them, but held as log10 values
that stay exact beyond float64's range (`scaled.py`); an exactly zero gradient is -inf.

With `backward`, the trace also holds the backward pass in numbers (`bptt.py`): dL/dh_t,
dL/dc_t and each gate's pre-activation gradient as vectors, dL/dlogits_t, and every weight's
gradient by step, in plain float64 (these may underflow to 0 on a long text; the norms above
do not). The by-step gradients hold T times every weight: T x (number of parameters) values.

    result = trace(net, "hello", backward=True)
    result.bptt.layers[0].dh                           # (T, H) dL/dh_t
    result.bptt.weights["weight_hh_l0"].by_step[2]     # step 2's term of dL/dW_hh
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.bptt import BPTT, bptt
from models.cells import LayerRecord
from models.network import Gradients, Network
from models.spec import Limits, ModelSpec, SpecError

LossMode = Literal["all", "last"]


@dataclass(frozen=True)
class LayerTrace:
    h: np.ndarray  # (T, H) hidden state h_t
    c: np.ndarray | None  # (T, H) cell state c_t, LSTMs only
    gates: dict[str, np.ndarray]  # gate name -> (T, H), post-activation
    grad_h: np.ndarray  # (T,) log10 ||dL/dh_t||, -inf where exactly zero
    grad_c: np.ndarray | None  # (T,) log10 ||dL/dc_t||, LSTMs only
    input_proj: np.ndarray | None = None  # (T, G*H) W_ih x_t + b_ih, when asked for
    hidden_proj: np.ndarray | None = None  # (T, G*H) W_hh h_{t-1} + b_hh, when asked for
    peephole: np.ndarray | None = None  # (3H,) p_i | p_f | p_o, peephole LSTM only


@dataclass(frozen=True)
class Trace:
    tokens: list[str]  # T input tokens: characters, or words
    targets: list[str | None]  # T next tokens, None at the last step (and for class models)
    layers: list[LayerTrace]
    logits: np.ndarray  # (T, O) logits, or a series model's predictions of x_{t+1}
    probs: np.ndarray | None  # (T, O) softmax of logits; None for a series model
    loss: np.ndarray  # (T,) cross-entropy (squared error) per step, NaN where there is no target
    grad_input: np.ndarray  # (T,) log10 ||dL/dx_t|| of the input x_t, -inf where zero
    loss_mode: LossMode
    bptt: BPTT | None = None  # the backward pass in numbers, when asked for
    label: str | None = None  # a class model's target class (given, or its prediction)
    label_given: bool = False  # whether `label` came with the request
    token_ids: np.ndarray | None = None  # (T,) each token's index in the vocabulary
    embedded: np.ndarray | None = None  # (T, D) x_t = E[token_ids[t]], embedding models only
    values: np.ndarray | None = None  # (T, I) x_t, series models only


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def trace(
    net: Network,
    text: str,
    loss: LossMode = "all",
    limits: Limits | None = None,
    projections: bool = False,
    backward: bool = False,
    label: str | None = None,
) -> Trace:
    """Run `net` over `text` and backpropagate the chosen loss; see the module docstring.

    With `projections`, each layer also carries W_ih x_t + b_ih and W_hh h_{t-1} + b_hh, the
    two terms every gate equation adds, so a page can print an equation with its numbers.
    With `backward`, it also carries the backward pass's vectors and weight gradients
    (`bptt.py`; a SpecError if they leave float64's range).
    """
    if loss not in ("all", "last"):
        raise SpecError("loss", f"loss {loss!r} is not 'all' or 'last'")
    indices = net.encode(text, limits)  # (T,), or a series model's values (T, I)
    if net.spec.output == "value":
        if label is not None:
            raise SpecError(
                "label", "label is for class models; this model predicts the next step's values"
            )
        return trace_series(net, text, indices, loss, projections, backward)
    steps, spec = len(indices), net.spec
    tokens = [spec.vocab[k] for k in indices]
    inputs = net.inputs(indices)  # (T,) one-hot indices, or (T, D) embedded rows
    word_ids = indices if spec.input == "embedding" else None  # the rows dL/dE gathers in
    records, logits = net.forward(inputs)
    log_probs = log_softmax(logits)  # (T, O)
    probs = np.exp(log_probs)

    label_index = class_label(net, label, logits)
    if label_index is None:  # next token
        has_target = np.arange(steps) < steps - 1
        target_idx = np.append(indices[1:], 0)  # (T,) placeholder at the last step
        in_loss = has_target if loss == "all" else np.arange(steps) == steps - 2
        targets: list[str | None] = [*tokens[1:], None]
    else:  # the class, at the last step only
        has_target = in_loss = np.arange(steps) == steps - 1
        target_idx = np.full(steps, label_index)
        targets = [None] * steps
    step_loss = np.where(has_target, -log_probs[np.arange(steps), target_idx], np.nan)
    onehot = np.eye(spec.output_size)[target_idx]  # (T, O)
    d_logits = np.where(in_loss[:, None], probs - onehot, 0.0)  # (T, O)
    grads = net.backward(records, d_logits)

    return Trace(
        tokens=tokens,
        targets=targets,
        layers=layer_traces(net, inputs, records, grads, projections),
        logits=logits,
        probs=probs,
        loss=step_loss,
        grad_input=grads.grad_input,
        loss_mode=loss,
        bptt=bptt(net, inputs, records, d_logits, grads, word_ids) if backward else None,
        label=None if label_index is None else spec.classes[label_index],
        label_given=label is not None,
        token_ids=indices,
        embedded=None if word_ids is None else inputs,
    )


def trace_series(
    net: Network,
    text: str,
    values: np.ndarray,
    loss: LossMode,
    projections: bool,
    backward: bool,
) -> Trace:
    """`trace` for a series model reading `values` (T, I): its outputs predict x_{t+1}, scored
    by the squared error (module docstring)."""
    steps = len(values)
    tokens = net.spec.tokens(text)
    records, outputs = net.forward(values)  # (T, O = I)
    has_target = np.arange(steps) < steps - 1
    in_loss = has_target if loss == "all" else np.arange(steps) == steps - 2
    with np.errstate(over="ignore", invalid="ignore"):
        error = np.where(has_target[:, None], outputs - np.vstack([values[1:], values[-1:]]), 0.0)
        step_loss = np.where(has_target, (error**2).sum(axis=1), np.nan)
    finite = np.isfinite(error).all(axis=1) & (np.isfinite(step_loss) | ~has_target)  # (T,)
    if not finite.all():
        step = int(np.argmin(finite))
        raise SpecError(
            "model",
            f"the prediction's squared error overflowed float64 at step {step}; the readout "
            "weights are too large for these values",
        )
    d_outputs = np.where(in_loss[:, None], 2 * error, 0.0)  # (T, O)
    grads = net.backward(records, d_outputs)
    return Trace(
        tokens=tokens,
        targets=[*tokens[1:], None],
        layers=layer_traces(net, values, records, grads, projections),
        logits=outputs,
        probs=None,
        loss=step_loss,
        grad_input=grads.grad_input,
        loss_mode=loss,
        bptt=bptt(net, values, records, d_outputs, grads) if backward else None,
        values=values,
    )


def layer_traces(
    net: Network,
    inputs: np.ndarray,
    records: list[LayerRecord],
    grads: Gradients,
    projections: bool,
) -> list[LayerTrace]:
    """Each layer's internals and gradient norms (and with `projections` its two terms)."""
    layers = []
    below = inputs
    for k, (rec, g) in enumerate(zip(records, grads.layers, strict=True)):
        extra = {}
        if net.spec.cell == "peephole":
            extra["peephole"] = net.weights[f"weight_ch_l{k}"]
        if projections:
            extra["input_proj"] = net.input_projection(k, below)
            extra["hidden_proj"] = net.hidden_projection(k, rec.h)
        layers.append(LayerTrace(rec.h, rec.c, rec.gates, g.log_h, g.log_c, **extra))
        below = rec.h
    return layers


def token_kind(spec: ModelSpec) -> str:
    """What one step reads: "word" for an embedding model, "step" for a series model, else
    "character"."""
    return {"embedding": "word", "real": "step"}.get(spec.input, "character")


def class_label(net: Network, label: str | None, logits: np.ndarray) -> int | None:
    """The index of a class model's label (its prediction at the last step when None); None
    for a next-character model, which must not be given one."""
    spec = net.spec
    if spec.output != "class":
        if label is not None:
            raise SpecError(
                "label", "label is for class models; this model predicts the next character"
            )
        return None
    if label is None:
        return int(np.argmax(logits[-1]))
    if label not in spec.classes:
        raise SpecError(
            "label",
            f"label {label[:60]!r} is not one of the model's {len(spec.classes)} classes "
            f"{list(spec.classes)[:20]!r}",
        )
    return spec.classes.index(label)
