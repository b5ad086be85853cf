"""Connectivity (Madsen, "Visualizing memorization in RNNs", Distill 2019): how strongly each
earlier input character drives the prediction at a cursor step.

For every output step t and every input step s <= t:

    connectivity(t, s) = || d logit_t[k_t] / d x_s ||_2

where x_s is the one-hot input at step s (the gradient is taken over all V of its
components) and k_t is the character whose logit is differentiated: the target text[t+1],
or the model's top prediction at the last step, which has no target. Madsen differentiates
the logit of the desired output (his "(h_L^t)_k"); the article's figure then divides each
cursor row by its maximum over s and colours linearly (`connectivity / max_s connectivity`
mapped onto the middle of the Viridis scale), so every row has its strongest input at 1.
We return the raw values as log10; that normalisation is the page's.

All T rows are computed in one batched backward pass. Walking back in time s = T-1 ... 0,
row t starts at s = t with dlogit_t[k_t]/dh_t^(L-1) = W_y[k_t]; each step applies every
layer's backward equations (those of `cells.py`, here for a batch of rows) to all live rows
at once, top layer first, so the adjoint that reaches layer k's input at step s flows into
layer k-1 at the same step. Each row carries its own log10 scale (as `scaled.py` does for
one vector), so a gradient of 10^-400 is still reported exactly; an exactly zero gradient
stays zero and is reported as -inf.
"""

from __future__ import annotations

import numpy as np

from models.cells import GRULayer, Layer, LayerRecord, LSTMLayer
from models.network import Network
from models.scaled import HIGH, LOW, ScaledOverflow


class RowBackward:
    """The backward step of one layer for a batch of rows, with its per-step local derivatives.

    `step(s, d_h, d_c)` takes the adjoints of h_s (and c_s) for every live row, (R, H), and
    returns dL/dxp_s (R, G*H), updating d_h (and d_c) in place to the adjoints of h_{s-1}
    (c_{s-1}) that flow through the recurrence.
    """

    def __init__(self, layer: Layer, rec: LayerRecord) -> None:
        self.layer = layer
        self.w_hh = layer.w_hh  # (G*H, H)
        h = rec.h
        size = h.shape[1]
        self.size = size
        h_prev = np.vstack([np.zeros((1, size)), h[:-1]])  # (T, H) h_{s-1}
        if isinstance(layer, LSTMLayer):
            assert rec.c is not None
            i, f, g, o = (rec.gates[name] for name in layer.gate_names)
            c_prev = np.vstack([np.zeros((1, size)), rec.c[:-1]])  # (T, H)
            tanh_c = np.tanh(rec.c)
            self.h_to_c = o * (1.0 - tanh_c**2)  # (T, H)
            self.c_to_a = np.stack(  # (T, 3, H): dc_s -> da_i, da_f, da_g
                [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g**2)], axis=1
            )
            self.h_to_a_o = tanh_c * o * (1 - o)  # (T, H)
            self.forget = f
            self.peep = layer.peepholes  # (3, H) p_i, p_f, p_o; None for the plain LSTM
        elif isinstance(layer, GRULayer):
            assert rec.hn is not None
            r, z, n = (rec.gates[name] for name in layer.gate_names)
            self.h_to_a_n = (1 - z) * (1 - n**2)  # (T, H)
            self.h_to_a_z = (h_prev - n) * z * (1 - z)
            self.a_n_to_a_r = rec.hn * r * (1 - r)
            self.reset, self.update = r, z
        else:
            self.slope = (h > 0.0).astype(float) if layer.relu else 1.0 - h**2  # (T, H)

    def step(self, s: int, d_h: np.ndarray, d_c: np.ndarray | None) -> np.ndarray:
        layer, size = self.layer, self.size
        if isinstance(layer, LSTMLayer):
            assert d_c is not None
            da = np.empty((d_h.shape[0], 4, size))  # (R, 4, H): i f g o
            da[:, 3] = d_h * self.h_to_a_o[s]
            d_c += d_h * self.h_to_c[s]  # total dL/dc_s (with a peephole: and through a_o)
            if self.peep is not None:
                d_c += da[:, 3] * self.peep[2]
            da[:, :3] = d_c[:, None, :] * self.c_to_a[s]
            d_xp = da.reshape(-1, 4 * size)  # (R, 4H)
            d_c *= self.forget[s]  # dc_{s-1}
            if self.peep is not None:  # and through the peepholes of a_i, a_f at step s
                d_c += da[:, 0] * self.peep[0] + da[:, 1] * self.peep[1]
            d_h[:] = d_xp @ self.w_hh  # dh_{s-1} = W_hh^T da_s
            return d_xp
        if isinstance(layer, GRULayer):
            da = np.empty((d_h.shape[0], 3, size))  # (R, 3, H): r z n
            da[:, 2] = d_h * self.h_to_a_n[s]
            da[:, 1] = d_h * self.h_to_a_z[s]
            da[:, 0] = da[:, 2] * self.a_n_to_a_r[s]
            d_hp = da.copy()
            d_hp[:, 2] *= self.reset[s]  # gradient of W_hh h_{s-1} + b_hh
            d_h *= self.update[s]
            d_h += d_hp.reshape(-1, 3 * size) @ self.w_hh  # dh_{s-1}
            return da.reshape(-1, 3 * size)
        da_rnn = d_h * self.slope[s]  # (R, H)
        d_h[:] = da_rnn @ self.w_hh  # dh_{s-1} = W_hh^T da_s
        return da_rnn


def connectivity_targets(net: Network, text: str, logits: np.ndarray) -> np.ndarray:
    """k_t for each step: the index of text[t+1], or of the top prediction at the last step.
    A class model's k_t is the class it predicts at the last step, at every step: how each
    character read so far drives the score of its final answer."""
    if net.spec.output == "class":
        return np.full(len(text), int(np.argmax(logits[-1])), dtype=np.int64)
    indices = [net.char_index[ch] for ch in text[1:]]
    return np.array([*indices, int(np.argmax(logits[-1]))], dtype=np.int64)


def connectivity(net: Network, records: list[LayerRecord], targets: np.ndarray) -> list[np.ndarray]:
    """log10 || d logit_t[targets[t]] / d x_s || for s = 0..t, as T rows of t + 1 values.

    `records` are the forward records of `net` over the text (`Network.forward`); -inf marks
    an exactly zero gradient.
    """
    steps = len(targets)
    sizes = [layer.hidden_size for layer in net.layers]
    backs = [RowBackward(layer, rec) for layer, rec in zip(net.layers, records, strict=True)]
    lstm = isinstance(net.layers[0], LSTMLayer)
    # Row t of every array is the cursor at step t; rows s..T-1 are live at step s.
    d_h = [np.zeros((steps, size)) for size in sizes]  # per layer (T, H) adjoint of h_s
    d_c = [np.zeros((steps, size)) for size in sizes] if lstm else None
    scales = np.zeros(steps)  # (T,) log10 scale shared by every layer's adjoint of a row
    injected = net.weights["readout.weight"][targets]  # (T, H) dlogit_t[k_t] / dh_t^(L-1)
    log10 = np.full((steps, steps), -np.inf)  # (T, T): [cursor t, input s], s <= t filled
    w_ih0 = net.w_ih(0)  # (G*H, V)
    for s in reversed(range(steps)):
        live = slice(s, steps)
        d_h[-1][s] = injected[s]  # row s starts here, at scale 0
        above: np.ndarray | None = None
        for k in reversed(range(len(backs))):
            if above is not None:
                d_h[k][live] += above
            d_xp = backs[k].step(s, d_h[k][live], d_c[k][live] if d_c else None)  # (R, G*H)
            if k > 0:
                above = d_xp @ net.w_ih(k)  # (R, H) into layer k - 1 at the same step
                continue
            d_x = d_xp @ w_ih0  # (R, V) d logit_t / d x_s for every live row t
            with np.errstate(divide="ignore"):
                log10[live, s] = np.log10(np.linalg.norm(d_x, axis=1)) + scales[live]
        renormalize(d_h, d_c, scales, live)
    return [log10[t, : t + 1] for t in range(steps)]


def renormalize(
    d_h: list[np.ndarray], d_c: list[np.ndarray] | None, scales: np.ndarray, live: slice
) -> None:
    """Move each live row's magnitude into its log10 scale once it drifts far from 1."""
    parts = [part[live] for part in d_h + (d_c or [])]
    squared = sum((part**2).sum(axis=1) for part in parts)  # (R,)
    drifted = np.flatnonzero(((squared < LOW) | (squared > HIGH)) & (squared > 0.0))
    if drifted.size == 0:
        return
    peak = np.max([np.abs(part[drifted]).max(axis=1) for part in parts], axis=0)  # (D,)
    if not np.isfinite(peak).all():
        raise ScaledOverflow(
            "the connectivity gradient overflowed float64 within a single step; "
            "the weights are too large"
        )
    for part in parts:
        part[drifted] /= peak[:, None]
    scales[live][drifted] += np.log10(peak)
