"""Per-step gradient norms of a lab model on one probe sequence, exact at any magnitude.

The lab trains in float32 PyTorch. To draw how far back the gradient reaches, it copies the
weights to float64 and runs the probe through the cells of `cells.py`: forward, then the scaled
backward pass, which takes dL/dh_t of the top layer from outside the recurrence. The input may be
one-hot characters or real values (the adding problem); the loss is the task's, on this one
sequence:

    every_step:   L = sum_t CE(logits_t, target_t)      (as /api/trace with loss="all")
    last_step:   L = CE(logits_{T-1}, target)
    last_value:  L = (y_{T-1} - target)^2

The readout y_t = W_y h_t + b_y gives dL/dy_t = softmax(logits_t) - onehot(target_t) for the
cross-entropy and 2 (y_{T-1} - target) for the squared error, so the top layer receives
dL/dh_t = W_y^T dL/dy_t, and each layer passes dL/d(its input) = d_xp W_ih to the layer below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.cells import GRULayer, Layer, LayerRecord, LSTMLayer, RNNLayer
from models.scaled import scaled_rows
from models.tasks import LossKind
from models.trace import log_softmax


class ProbeOverflow(FloatingPointError):
    """The probe's forward pass left float64's range: the weights have diverged."""


@dataclass(frozen=True)
class ProbeResult:
    grad_h: list[np.ndarray]  # per layer (T,) log10 ||dL/dh_t||, -inf where exactly zero
    grad_c: list[np.ndarray] | None  # per layer (T,) log10 ||dL/dc_t||, LSTM only
    h: list[np.ndarray]  # per layer (T, H) hidden states
    c: list[np.ndarray] | None  # per layer (T, H) cell states, LSTM only
    outputs: np.ndarray  # (T, O) softmax probabilities (characters) or values (adding)
    loss: float  # L above


def make_layer(cell: str, weights: Mapping[str, np.ndarray], k: int, nonlinearity: str) -> Layer:
    w_hh, b_hh = weights[f"weight_hh_l{k}"], weights[f"bias_hh_l{k}"]
    if cell == "lstm":
        return LSTMLayer(w_hh, b_hh)
    if cell == "gru":
        return GRULayer(w_hh, b_hh)
    return RNNLayer(w_hh, b_hh, nonlinearity)


def output_gradient(
    outputs: np.ndarray, loss: LossKind, targets: np.ndarray
) -> tuple[np.ndarray, float]:
    """dL/dy_t for every step (T, O), and L, for the readout's outputs (T, O)."""
    d_out = np.zeros_like(outputs)  # (T, O)
    if loss == "last_value":
        error = outputs[-1, 0] - float(targets)
        d_out[-1, 0] = 2.0 * error
        return d_out, error**2
    log_probs = log_softmax(outputs)  # (T, O)
    if loss == "last_step":
        target = int(targets)
        d_out[-1] = np.exp(log_probs[-1])
        d_out[-1, target] -= 1.0
        return d_out, float(-log_probs[-1, target])
    steps = np.arange(len(outputs))
    d_out = np.exp(log_probs)
    d_out[steps, targets] -= 1.0
    return d_out, float(-log_probs[steps, targets].sum())


def probe_gradients(
    cell: str,
    nonlinearity: str,
    weights: Mapping[str, np.ndarray],
    inputs: np.ndarray,
    loss: LossKind,
    targets: np.ndarray,
) -> ProbeResult:
    """Run float64 `weights` (PyTorch names) over `inputs` (T, I) and backpropagate the loss.

    `targets`: (T,) indices (every_step), one index (last_step) or one value (last_value).
    """
    num_layers = sum(name.startswith("weight_hh_l") for name in weights)
    layers = [make_layer(cell, weights, k, nonlinearity) for k in range(num_layers)]
    records: list[LayerRecord] = []
    below = inputs  # (T, I)
    for k, layer in enumerate(layers):
        xp = below @ weights[f"weight_ih_l{k}"].T + weights[f"bias_ih_l{k}"]  # (T, G*H)
        with np.errstate(over="ignore", invalid="ignore"):
            record = layer.forward(xp)
        if not np.isfinite(record.h).all():
            raise ProbeOverflow(f"layer {k}'s hidden state on the probe overflowed float64")
        records.append(record)
        below = record.h
    outputs = below @ weights["readout.weight"].T + weights["readout.bias"]  # (T, O)
    with np.errstate(over="ignore"):  # a loss beyond float64 is reported as infinite
        d_out, loss_value = output_gradient(outputs, loss, targets)
    if not np.isfinite(d_out).all():
        raise ProbeOverflow("the probe's output overflowed float64")
    ext_rows, ext_scales = scaled_rows(d_out @ weights["readout.weight"])  # (T, H) dL/dh_t, top
    grad_h: list[np.ndarray] = [np.empty(0)] * num_layers
    grad_c: list[np.ndarray] = [np.empty(0)] * num_layers
    for k in reversed(range(num_layers)):
        grads = layers[k].backward(records[k], ext_rows, ext_scales)
        grad_h[k] = grads.log_h
        if grads.log_c is not None:
            grad_c[k] = grads.log_c
        ext_rows = grads.d_xp @ weights[f"weight_ih_l{k}"]  # (T, input size of layer k)
        ext_scales = grads.d_xp_scale
    is_lstm = cell == "lstm"
    shown = outputs if loss == "last_value" else np.exp(log_softmax(outputs))
    return ProbeResult(
        grad_h=grad_h,
        grad_c=grad_c if is_lstm else None,
        h=[record.h for record in records],
        c=[record.c for record in records if record.c is not None] if is_lstm else None,
        outputs=shown,
        loss=loss_value,
    )
