"""Backpropagation through time with numbers: the vectors the backward pass carries, as plain
float64, and every weight's gradient step by step.

The driver's backward pass (`RecurrentStack.backward`, each layer's in `cells.py`) already
carries every adjoint in full; it holds them scaled (`scaled.py`) to report exact log10 norms.
`bptt` reads the same vectors back as plain numbers and adds what the norms leave out:

    dh_t^(k) = dL/dh_t^(k), total: from y_t (top layer) or from the layer above, and from t+1
    dc_t^(k) = dL/dc_t^(k), total (LSTM)
    da_t^(k) = dL/dxp_t^(k), one (H,) chunk per gate: the gradient of the gate's
               pre-activation, the argument of its sigmoid or tanh (`a` of the vanilla RNN;
               the GRU's candidate: a_n = W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    dy_t     = dL/dy_t, as given

Weights are shared by every step, so a weight's gradient is a sum over steps of one term per
step; `by_step[t]` is that term and `total` the sum (x_t^(0) the input, x_t^(k) = h_t^(k-1),
h_{-1} = 0):

    dW_ih^(k)[t] = da_t^(k) x_t^(k)T          db_ih^(k)[t] = da_t^(k)
    dW_hh^(k)[t] = dhp_t^(k) h_{t-1}^(k)T     db_hh^(k)[t] = dhp_t^(k)
    dW_y[t]      = dy_t h_t^(L-1)T            db_y[t]      = dy_t
    dp^(k)[t]    = [da_i c_{t-1} | da_f c_{t-1} | da_o c_t]      (peephole LSTM, `weight_ch_l{k}`)
    dE[t]        = onehot(id(w_t)) dx_t^T     (V, D): zero but row id(w_t)   (word models)

where a word model's input is x_t^(0) = E[id(w_t)] (`embedding.weight`) and
dx_t = dL/dx_t^(0) = W_ih^(0)T da_t^(0); a word read at several steps gathers every step's dx_t
in its row of the total.

with dhp_t = dL/d(W_hh h_{t-1} + b_hh): da_t, but da_n * r_t for the GRU's candidate chunk
(each cell's `hidden_proj_grad`).

These are float64 numbers: on a long text a vanishing gradient underflows to 0 here while its
log10 norm stays exact; one beyond float64's range is refused (`SpecError`), never inf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.cells import LayerRecord, PeepholeLSTMLayer
from models.network import Gradients, RecurrentStack
from models.spec import SpecError


@dataclass(frozen=True)
class WeightGrad:
    """dL/dW of one weight, shared by every step: the sum over steps of each step's term."""

    total: np.ndarray  # the weight's shape
    by_step: np.ndarray  # (T, *the weight's shape): step t's term; summed over t, `total`


@dataclass(frozen=True)
class LayerBPTT:
    """The adjoints of one layer at every step, as plain float64 vectors."""

    dh: np.ndarray  # (T, H) dL/dh_t, total
    dc: np.ndarray | None  # (T, H) dL/dc_t, total; LSTM only
    dpre: dict[str, np.ndarray]  # gate name -> (T, H) dL/da_t of its pre-activation


@dataclass(frozen=True)
class BPTT:
    """A backward pass in numbers: every layer's adjoints, dL/dy_t, every weight's gradient."""

    layers: list[LayerBPTT]  # bottom first
    d_outputs: np.ndarray  # (T, O) dL/dy_t; a character model's dL/dlogits_t
    weights: dict[str, WeightGrad]  # every PyTorch weight name, in state_dict order


def unscaled(rows: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The plain values rows[t] * 10**scales[t], (T, n); a zero row (scale -inf) stays 0.

    The factor is applied as two halves: a row far from unit norm can hold a value within
    float64's range whose scale alone is not (1e5 * 10**-310).
    """
    half = np.where(np.isfinite(scales), scales, 0.0) / 2  # (T,)
    with np.errstate(over="ignore", under="ignore"):
        factor = (10.0**half)[:, None]  # (T, 1)
        return rows * factor * factor


def weight_grad(by_step: np.ndarray) -> WeightGrad:
    """A weight's gradient from its terms, (T, *shape)."""
    return WeightGrad(by_step.sum(axis=0), by_step)


def outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per step outer products: (T, m), (T, n) -> (T, m, n). Adding 0.0 writes a zero times a
    negative number (a one-hot input's zeros, h_{-1} = 0) as 0.0, not -0.0."""
    return a[:, :, None] * b[:, None, :] + 0.0


def embedding_grad(word_ids: np.ndarray, d_x: np.ndarray, vocab_size: int) -> WeightGrad:
    """dL/dE of the words read, `word_ids` (T,), from dL/dx_t `d_x` (T, D): step t's term is
    zero but row word_ids[t], which is dx_t. (T, V, D)"""
    by_step = np.zeros((len(word_ids), vocab_size, d_x.shape[1]))
    by_step[np.arange(len(word_ids)), word_ids] = d_x
    return weight_grad(by_step)


def bptt(
    stack: RecurrentStack,
    inputs: np.ndarray,
    records: list[LayerRecord],
    d_outputs: np.ndarray,
    grads: Gradients,
    word_ids: np.ndarray | None = None,
) -> BPTT:
    """The plain vectors and weight gradients (module docstring) of `grads`, the backward pass
    of dL/dy_t `d_outputs` (T, O) through `records`, the forward pass of `stack` over `inputs`
    (one-hot indices (T,) or rows (T, I)). With `word_ids` (T,), `inputs` are a word model's
    embedded rows E[word_ids] and the gradient of `embedding.weight` E is added."""
    below = inputs if inputs.ndim == 2 else np.eye(stack.w_ih(0).shape[1])[inputs]  # (T, I)
    layers: list[LayerBPTT] = []
    weights: dict[str, WeightGrad] = {}
    with np.errstate(over="ignore", invalid="ignore"):  # refused below, by name
        for k, (layer, rec, g) in enumerate(zip(stack.layers, records, grads.layers, strict=True)):
            size = layer.hidden_size
            d_xp = unscaled(g.d_xp, g.d_xp_scale)  # (T, G*H) da_t
            d_hp = layer.hidden_proj_grad(rec, d_xp)  # (T, G*H) dhp_t
            h_prev = np.vstack([np.zeros((1, size)), rec.h[:-1]])  # (T, H)
            names = layer.gate_names or ("a",)  # the vanilla RNN's one pre-activation
            layers.append(
                LayerBPTT(
                    dh=unscaled(g.d_h, g.d_xp_scale),
                    dc=None if g.d_c is None else unscaled(g.d_c, g.d_xp_scale),
                    dpre={name: d_xp[:, j * size : (j + 1) * size] for j, name in enumerate(names)},
                )
            )
            weights[f"weight_ih_l{k}"] = weight_grad(outer(d_xp, below))  # (T, G*H, I_k)
            weights[f"weight_hh_l{k}"] = weight_grad(outer(d_hp, h_prev))  # (T, G*H, H)
            weights[f"bias_ih_l{k}"] = weight_grad(d_xp)
            weights[f"bias_hh_l{k}"] = weight_grad(d_hp)
            if isinstance(layer, PeepholeLSTMLayer):
                weights[f"weight_ch_l{k}"] = weight_grad(layer.peephole_grad(rec, d_xp))
            below = rec.h
        if word_ids is not None:  # dx_t = W_ih^(0)T da_t^(0)
            d_x = unscaled(grads.layers[0].d_xp, grads.layers[0].d_xp_scale) @ stack.w_ih(0)
            vocab_size = stack.weights["embedding.weight"].shape[0]
            weights["embedding.weight"] = embedding_grad(word_ids, d_x, vocab_size)
        weights["readout.weight"] = weight_grad(outer(d_outputs, below))  # (T, O, H)
        weights["readout.bias"] = weight_grad(d_outputs)
    result = BPTT(layers, d_outputs, weights)
    refuse_overflow(result)
    return result


def refuse_overflow(result: BPTT) -> None:
    """Raise a SpecError naming the first gradient found beyond float64's range, and where."""
    per_step: dict[str, np.ndarray] = {}
    for k, layer in enumerate(result.layers):
        per_step[f"layer {k}'s dL/dh_t"] = layer.dh
        if layer.dc is not None:
            per_step[f"layer {k}'s dL/dc_t"] = layer.dc
        for name, values in layer.dpre.items():
            per_step[f"layer {k}'s dL/da_t of gate {name}"] = values
    for name, grad in result.weights.items():
        per_step[f"the term of each step in dL/d{name}"] = grad.by_step
    advice = (
        "; plain float64 cannot hold it: shorten the text, or leave out backward (the log10 "
        "gradient norms stay exact)"
    )
    steps = len(result.d_outputs)
    for what, values in per_step.items():
        finite = np.isfinite(values.reshape(steps, -1)).all(axis=1)  # (T,)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise SpecError(
                "backward",
                f"{what} is beyond float64's range at {bad.size} of {steps} steps "
                f"(the latest: step {int(bad[-1])}){advice}",
            )
    for name, grad in result.weights.items():
        if not np.isfinite(grad.total).all():
            raise SpecError(
                "backward", f"dL/d{name}, summed over the steps, is beyond float64's range{advice}"
            )
