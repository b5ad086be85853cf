"""Per-step gradient norms of a lab model on one probe sequence, exact at any magnitude.

The lab trains in float32 PyTorch. To draw how far back the gradient reaches, it copies the
weights to float64 and runs the probe through the driver of `network.py`: forward, then the
scaled backward pass from dL/dy_t. The input may be one-hot characters or real values (the
adding problem, the series); the loss is the task's, on this one sequence:

    every_step:   L = sum_t CE(logits_t, target_t)      (as /api/trace with loss="all")
    last_step:    L = CE(logits_{T-1}, target)
    last_value:   L = (y_{T-1} - target)^2
    every_value:  L = sum_t (y_t - target_t)^2           (target_t = x_{t+1})

so dL/dy_t = softmax(logits_t) - onehot(target_t) for the cross-entropy at each step in L, and
2 (y_t - target_t) for the squared error at each step in L.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.network import RecurrentStack
from models.spec import SpecError, has_cell_state
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
    outputs: np.ndarray  # (T, O) softmax probabilities (characters) or values (adding, series)
    loss: float  # L above


def output_gradient(
    outputs: np.ndarray, loss: LossKind, targets: np.ndarray
) -> tuple[np.ndarray, float]:
    """dL/dy_t for every step (T, O), and L, for the readout's outputs (T, O)."""
    d_out = np.zeros_like(outputs)  # (T, O)
    if loss == "every_value":
        errors = outputs[:, 0] - np.asarray(targets, dtype=np.float64)  # (T,)
        d_out[:, 0] = 2.0 * errors
        return d_out, float(np.sum(errors**2))
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

    `targets`: (T,) indices (every_step), one index (last_step), one value (last_value) or
    (T,) values (every_value).
    """
    stack = RecurrentStack(cell, nonlinearity, weights)
    try:
        records, outputs = stack.forward(inputs)  # outputs (T, O)
    except SpecError as overflow:  # a forward pass fails only when h leaves float64's range
        raise ProbeOverflow(f"on the probe, {overflow.message}") from overflow
    with np.errstate(over="ignore"):  # a loss beyond float64 is reported as infinite
        d_out, loss_value = output_gradient(outputs, loss, targets)
    if not np.isfinite(d_out).all():
        raise ProbeOverflow("the probe's output overflowed float64; the weights grew too large")
    grads = stack.backward(records, d_out).layers
    is_lstm = has_cell_state(cell)
    shown = outputs if loss in ("last_value", "every_value") else np.exp(log_softmax(outputs))
    return ProbeResult(
        grad_h=[g.log_h for g in grads],
        grad_c=[g.log_c for g in grads if g.log_c is not None] if is_lstm else None,
        h=[record.h for record in records],
        c=[record.c for record in records if record.c is not None] if is_lstm else None,
        outputs=shown,
        loss=loss_value,
    )
