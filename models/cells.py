"""The recurrent cells, forward and backward side by side, in PyTorch's exact equations (and the
peephole LSTM, which PyTorch lacks, in Gers & Schmidhuber's).

Each layer runs over a whole sequence. Its input arrives already projected,
`xp_t = W_ih x_t + b_ih` for every t at once, because the input does not depend on the
recurrence. The forward pass returns every internal; the backward pass carries the adjoint
(dL/dh_t, and dL/dc_t for the LSTM) from the last step to the first through a `Scaled`
vector (see `scaled.py`), so gradient norms far below or above float64's range stay exact.
Each backward sits beside its forward; everything that does not depend on the adjoint (the
local derivatives of each gate) is computed for all steps at once before the loop.

Weights keep PyTorch's layout: `w_hh` is (G*H, H) with the gate chunks stacked in PyTorch's
order, so a `torch.nn.LSTM` state_dict drops straight in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.scaled import Scaled, log10_norms


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-a)), written into `out` when given."""
    out = np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


@dataclass
class LayerRecord:
    """Everything one layer computed over T steps; arrays are float64."""

    h: np.ndarray  # (T, H) hidden state h_t
    gates: dict[str, np.ndarray]  # name -> (T, H), post-activation
    c: np.ndarray | None = None  # (T, H) LSTM cell state c_t
    hn: np.ndarray | None = None  # (T, H) GRU W_hn h_{t-1} + b_hn, kept for the backward pass


@dataclass
class LayerGradients:
    """What the backward pass of one layer found: log10 norms, and the adjoints it carried,
    scaled, one scale per step for all of them."""

    log_h: np.ndarray  # (T,) log10 ||dL/dh_t||, -inf where exactly zero
    log_c: np.ndarray | None  # (T,) log10 ||dL/dc_t|| (LSTM), -inf where exactly zero
    d_xp: np.ndarray  # (T, G*H) dL/dxp_t divided by 10**d_xp_scale[t]
    d_xp_scale: np.ndarray  # (T,) log10 scale of each row of d_xp, -inf for a zero row
    d_h: np.ndarray  # (T, H) dL/dh_t (total) divided by 10**d_xp_scale[t]
    d_c: np.ndarray | None  # (T, H) dL/dc_t (total, LSTM) divided by 10**d_xp_scale[t]


class RNNLayer:
    """Elman RNN, as `torch.nn.RNN`:

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)      (or relu)

    Backward, with dh_t the total adjoint of h_t:

        da_t = dh_t * tanh'(a_t) = dh_t * (1 - h_t^2)          (relu: dh_t * [h_t > 0])
        dh_{t-1} += W_hh^T da_t,     dxp_t = da_t
    """

    gate_names: tuple[str, ...] = ()

    def __init__(self, w_hh: np.ndarray, b_hh: np.ndarray, nonlinearity: str = "tanh") -> None:
        self.w_hh = np.ascontiguousarray(w_hh)  # (H, H)
        self.w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, H): row h_{t-1} @ w_hh_t = W_hh h_{t-1}
        self.b_hh = b_hh
        self.relu = nonlinearity == "relu"
        self.hidden_size = w_hh.shape[1]

    def forward(self, xp: np.ndarray) -> LayerRecord:
        steps, size = xp.shape[0], self.hidden_size
        h = np.zeros((steps, size))  # (T, H)
        xp_b = xp + self.b_hh  # (T, H) every term but W_hh h_{t-1}
        h_prev = np.zeros(size)
        for t in range(steps):
            a_t = xp_b[t] + h_prev @ self.w_hh_t
            h_prev = h[t] = np.maximum(a_t, 0.0) if self.relu else np.tanh(a_t)
        return LayerRecord(h=h, gates={})

    def backward(
        self, rec: LayerRecord, ext_rows: np.ndarray, ext_scales: np.ndarray
    ) -> LayerGradients:
        """`ext_rows * 10**ext_scales` is dL/dh_t from outside the recurrence, (T, H)."""
        steps, size = rec.h.shape
        slope = (rec.h > 0.0).astype(float) if self.relu else 1.0 - rec.h**2  # (T, H) act'(a_t)
        d_xp = np.zeros((steps, size))  # (T, H) da_t, at scale dh_scales[t]
        dh_rows, dh_scales = np.zeros((steps, size)), np.full(steps, -math.inf)
        dh = Scaled(size)
        for t in reversed(range(steps)):
            dh.add(ext_rows[t], ext_scales[t])
            dh_rows[t], dh_scales[t] = dh.vec, dh.scale
            da = d_xp[t] = dh.vec * slope[t]
            np.dot(da, self.w_hh, out=dh.vec)  # dh_{t-1} = W_hh^T da_t
            dh.renormalize()
        return LayerGradients(log10_norms(dh_rows, dh_scales), None, d_xp, dh_scales, dh_rows, None)

    def hidden_proj_grad(self, rec: LayerRecord, d_xp: np.ndarray) -> np.ndarray:
        """dL/d(W_hh h_{t-1} + b_hh) from dL/dxp_t, (T, H): both are terms of a_t, so equal."""
        return d_xp


class LSTMLayer:
    """LSTM, as `torch.nn.LSTM` (weight chunks i|f|g|o):

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     # input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     # forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)        # candidate cell
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     # output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Backward, with dh_t and dc_t the total adjoints:

        dc_t  = dc_t(from t+1) + dh_t * o_t * (1 - tanh^2 c_t)
        da_i = dc_t * g_t * i_t (1 - i_t)        da_f = dc_t * c_{t-1} * f_t (1 - f_t)
        da_g = dc_t * i_t * (1 - g_t^2)          da_o = dh_t * tanh(c_t) * o_t (1 - o_t)
        dh_{t-1} += W_hh^T da_t,   dc_{t-1} += dc_t * f_t,   dxp_t = da_t
    """

    gate_names = ("i", "f", "g", "o")
    peepholes: np.ndarray | None = None  # (3, H) p_i, p_f, p_o of the peephole LSTM

    def __init__(self, w_hh: np.ndarray, b_hh: np.ndarray) -> None:
        self.w_hh = np.ascontiguousarray(w_hh)  # (4H, H)
        self.w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 4H)
        self.b_hh = b_hh
        self.hidden_size = w_hh.shape[1]

    def forward(self, xp: np.ndarray) -> LayerRecord:
        steps, size = xp.shape[0], self.hidden_size
        h, c = np.zeros((steps, size)), np.zeros((steps, size))  # (T, H) each
        gates = np.zeros((steps, 4, size))  # (T, 4, H) chunks i|f|g|o
        xp_b = (xp + self.b_hh).reshape(steps, 4, size)  # (T, 4, H) every term but W_hh h_{t-1}
        h_prev, c_prev = np.zeros(size), np.zeros(size)
        for t in range(steps):
            a_t = xp_b[t] + (h_prev @ self.w_hh_t).reshape(4, size)  # (4, H)
            # One sigmoid call for i, f and o (cheaper than three on small H); g is a tanh.
            i_t, f_t, g_t, o_t = sigmoid(a_t, out=gates[t])  # input, forget, -, output gates
            g_t[:] = np.tanh(a_t[2])  # candidate cell
            c_prev = c[t] = f_t * c_prev + i_t * g_t
            h_prev = h[t] = o_t * np.tanh(c_prev)
        named = {name: gates[:, k] for k, name in enumerate(self.gate_names)}
        return LayerRecord(h=h, c=c, gates=named)

    def backward(
        self, rec: LayerRecord, ext_rows: np.ndarray, ext_scales: np.ndarray
    ) -> LayerGradients:
        assert rec.c is not None
        steps, size = rec.h.shape
        i, f, g, o = (rec.gates[name] for name in self.gate_names)  # (T, H) each
        c_prev = np.vstack([np.zeros((1, size)), rec.c[:-1]])  # (T, H) c_{t-1}
        tanh_c = np.tanh(rec.c)
        # Local derivatives for all t at once.
        h_to_c = o * (1.0 - tanh_c**2)  # (T, H)
        c_to_a = np.stack(  # (T, 3, H): dc_t -> da_i, da_f, da_g
            [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g**2)], axis=1
        )
        h_to_a_o = tanh_c * o * (1 - o)  # (T, H)
        d_xp = np.zeros((steps, 4, size))  # (T, 4, H) da_t, at scale rows_scales[t]
        rows, row_scales = np.zeros((steps, 2 * size)), np.full(steps, -math.inf)
        state = Scaled(2 * size)  # [dh | dc], one scale for both
        dh, dc = state.vec[:size], state.vec[size:]  # views into state.vec
        top = slice(0, size)
        peep = self.peepholes
        for t in reversed(range(steps)):
            state.add(ext_rows[t], ext_scales[t], top)
            da = d_xp[t]
            da[3] = dh * h_to_a_o[t]
            dc += dh * h_to_c[t]  # total dL/dc_t ...
            if peep is not None:
                dc += da[3] * peep[2]  # ... with a peephole, also through a_o
            rows[t], row_scales[t] = state.vec, state.scale
            da[:3] = dc * c_to_a[t]
            dc *= f[t]  # dc_{t-1} = dc_t * f_t ...
            if peep is not None:
                dc += da[0] * peep[0] + da[1] * peep[1]  # ... and through a_i, a_f of step t
            np.dot(da.reshape(-1), self.w_hh, out=dh)  # dh_{t-1} = W_hh^T da_t
            state.renormalize()
        log_h = log10_norms(rows[:, :size], row_scales)
        log_c = log10_norms(rows[:, size:], row_scales)
        d_h, d_c = rows[:, :size], rows[:, size:]  # (T, H) each
        return LayerGradients(log_h, log_c, d_xp.reshape(steps, 4 * size), row_scales, d_h, d_c)

    def hidden_proj_grad(self, rec: LayerRecord, d_xp: np.ndarray) -> np.ndarray:
        """dL/d(W_hh h_{t-1} + b_hh) from dL/dxp_t, (T, 4H): both are terms of a_t, so equal."""
        return d_xp


class GRULayer:
    """GRU, as `torch.nn.GRU` (weight chunks r|z|n):

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)             # reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)             # update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))         # candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    PyTorch applies r_t after the product with W_hn (Cho et al.'s original and d2l apply it
    before, to h_{t-1}); we follow PyTorch. The candidate's pre-activation is the argument of
    its tanh, a_n = W_in x_t + b_in + r_t * hn_t. Backward, with hn_t = W_hn h_{t-1} + b_hn:

        dn = dh_t * (1 - z_t);  da_n = dn * (1 - n_t^2)
        da_z = dh_t * (h_{t-1} - n_t) * z_t (1 - z_t)
        da_r = da_n * hn_t * r_t (1 - r_t)
        dh_{t-1} += dh_t * z_t + W_hh^T [da_r | da_z | da_n * r_t],   dxp_t = [da_r | da_z | da_n]
    """

    gate_names = ("r", "z", "n")

    def __init__(self, w_hh: np.ndarray, b_hh: np.ndarray) -> None:
        self.w_hh = np.ascontiguousarray(w_hh)  # (3H, H)
        self.w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 3H)
        self.b_hh = b_hh
        self.hidden_size = w_hh.shape[1]

    def forward(self, xp: np.ndarray) -> LayerRecord:
        steps, size = xp.shape[0], self.hidden_size
        h = np.zeros((steps, size))  # (T, H)
        gates = np.zeros((steps, 3, size))  # (T, 3, H) chunks r|z|n
        hn = np.zeros((steps, size))  # (T, H)
        h_prev = np.zeros(size)
        for t in range(steps):
            x_r, x_z, x_n = xp[t].reshape(3, size)
            h_r, h_z, hn[t] = (h_prev @ self.w_hh_t + self.b_hh).reshape(3, size)
            r_t = sigmoid(x_r + h_r)  # reset gate
            z_t = sigmoid(x_z + h_z)  # update gate
            n_t = np.tanh(x_n + r_t * hn[t])  # candidate
            h_prev = h[t] = (1.0 - z_t) * n_t + z_t * h_prev
            gates[t] = r_t, z_t, n_t
        named = {name: gates[:, k] for k, name in enumerate(self.gate_names)}
        return LayerRecord(h=h, gates=named, hn=hn)

    def backward(
        self, rec: LayerRecord, ext_rows: np.ndarray, ext_scales: np.ndarray
    ) -> LayerGradients:
        assert rec.hn is not None
        steps, size = rec.h.shape
        r, z, n = (rec.gates[name] for name in self.gate_names)  # (T, H) each
        h_prev = np.vstack([np.zeros((1, size)), rec.h[:-1]])  # (T, H) h_{t-1}
        # Local derivatives for all t at once: (T, H) each.
        h_to_a_n = (1 - z) * (1 - n**2)
        h_to_a_z = (h_prev - n) * z * (1 - z)
        a_n_to_a_r = rec.hn * r * (1 - r)
        d_xp = np.zeros((steps, 3, size))  # (T, 3, H) [da_r | da_z | da_n], at scale dh_scales[t]
        d_hp = np.zeros((3, size))  # gradient of W_hh h_{t-1} + b_hh: [da_r | da_z | da_n * r_t]
        dh_rows, dh_scales = np.zeros((steps, size)), np.full(steps, -math.inf)
        dh = Scaled(size)
        for t in reversed(range(steps)):
            dh.add(ext_rows[t], ext_scales[t])
            dh_rows[t], dh_scales[t] = dh.vec, dh.scale
            da = d_xp[t]
            da[2] = dh.vec * h_to_a_n[t]
            da[1] = dh.vec * h_to_a_z[t]
            da[0] = da[2] * a_n_to_a_r[t]
            d_hp[:2] = da[:2]
            d_hp[2] = da[2] * r[t]
            dh.vec[:] = dh.vec * z[t] + d_hp.reshape(-1) @ self.w_hh  # dh_{t-1}
            dh.renormalize()
        log_h = log10_norms(dh_rows, dh_scales)
        return LayerGradients(log_h, None, d_xp.reshape(steps, 3 * size), dh_scales, dh_rows, None)

    def hidden_proj_grad(self, rec: LayerRecord, d_xp: np.ndarray) -> np.ndarray:
        """dL/d(W_hh h_{t-1} + b_hh) = [da_r | da_z | da_n * r_t] from dL/dxp_t =
        [da_r | da_z | da_n], (T, 3H): r_t multiplies W_hn h_{t-1} + b_hn, not W_in x_t."""
        size = self.hidden_size
        d_hp = d_xp.copy()  # (T, 3H)
        d_hp[:, 2 * size :] *= rec.gates["r"]
        return d_hp


class PeepholeLSTMLayer(LSTMLayer):
    """LSTM with diagonal peepholes (Gers & Schmidhuber 2000; `peephole.py` has the torch
    module). The gates i, f see c_{t-1} and the gate o sees c_t, through p = p_i | p_f | p_o:

        a_i += p_i * c_{t-1},   a_f += p_f * c_{t-1},   a_o += p_o * c_t     (else as LSTMLayer)

    Backward (LSTMLayer.backward, which adds the peephole terms), with dh_t the total adjoint
    of h_t and dc_t(from t+1) what reaches c_t from later:

        da_o  = dh_t * tanh(c_t) * o_t (1 - o_t)
        dc_t  = dc_t(from t+1) + dh_t * o_t * (1 - tanh^2 c_t) + da_o * p_o
        da_i, da_f, da_g as for the LSTM, from this dc_t
        dc_{t-1} += dc_t * f_t + da_i * p_i + da_f * p_f,   dh_{t-1} += W_hh^T da_t
        dL/dp_i = sum_t da_i c_{t-1},  dL/dp_f = sum_t da_f c_{t-1},  dL/dp_o = sum_t da_o c_t
    """

    def __init__(self, w_hh: np.ndarray, b_hh: np.ndarray, w_ch: np.ndarray) -> None:
        super().__init__(w_hh, b_hh)
        self.peepholes = w_ch.reshape(3, self.hidden_size)  # (3, H)
        self.p_i, self.p_f, self.p_o = self.peepholes  # (H,) each

    def forward(self, xp: np.ndarray) -> LayerRecord:
        steps, size = xp.shape[0], self.hidden_size
        h, c = np.zeros((steps, size)), np.zeros((steps, size))  # (T, H) each
        gates = np.zeros((steps, 4, size))  # (T, 4, H) chunks i|f|g|o
        xp_b = (xp + self.b_hh).reshape(steps, 4, size)  # (T, 4, H) every term but W_hh h_{t-1}
        h_prev, c_prev = np.zeros(size), np.zeros(size)
        for t in range(steps):
            a_t = xp_b[t] + (h_prev @ self.w_hh_t).reshape(4, size)  # (4, H)
            a_t[0] += self.p_i * c_prev
            a_t[1] += self.p_f * c_prev
            i_t, f_t, g_t, o_t = gates[t]
            sigmoid(a_t[:2], out=gates[t, :2])  # input and forget gates
            g_t[:] = np.tanh(a_t[2])  # candidate cell
            c_prev = c[t] = f_t * c_prev + i_t * g_t
            sigmoid(a_t[3] + self.p_o * c_prev, out=o_t)  # output gate, seeing c_t
            h_prev = h[t] = o_t * np.tanh(c_prev)
        named = {name: gates[:, k] for k, name in enumerate(self.gate_names)}
        return LayerRecord(h=h, c=c, gates=named)

    def peephole_grad(self, rec: LayerRecord, d_xp: np.ndarray) -> np.ndarray:
        """Each step's term of dL/dp, (T, 3H) chunks p_i | p_f | p_o, from the plain dL/dxp_t."""
        assert rec.c is not None
        size = self.hidden_size
        c_prev = np.vstack([np.zeros((1, size)), rec.c[:-1]])  # (T, H)
        da = d_xp.reshape(-1, 4, size)  # (T, 4, H)
        return np.hstack([da[:, 0] * c_prev, da[:, 1] * c_prev, da[:, 3] * rec.c])


Layer = RNNLayer | LSTMLayer | GRULayer | PeepholeLSTMLayer
