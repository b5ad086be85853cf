"""The peephole LSTM in PyTorch: `torch.nn` has no module for it, so here it is, written out.

Gers & Schmidhuber (2000) let the gates look at the cell state through diagonal "peephole"
weights: the input and forget gates see the previous cell state, the output gate the new one.
Everything else is `torch.nn.LSTM`'s cell, weights, chunk order (i|f|g|o) and names:

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi + p_i * c_{t-1})
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf + p_f * c_{t-1})
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho + p_o * c_t)
    h_t = o_t * tanh(c_t)

The peepholes of layer k are one tensor, `weight_ch_l{k}` (3H,), chunks p_i | p_f | p_o. With
them zero this is exactly `torch.nn.LSTM`; a plain LSTM's state_dict loads into it unchanged.

`PeepholeLSTM` is slower than `nn.LSTM` (a Python loop over steps, no fused kernel), fine for
the small models Unrolled trains. The engine's own forward and backward (`cells.py`) are tested
against autograd through this module's forward.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class PeepholeLSTM(nn.Module):
    """Like `nn.LSTM(input_size, hidden_size, num_layers)` (sequence first, no dropout), with
    diagonal peepholes `weight_ch_l{k}`. Inputs (T, I) or (T, B, I); returns the top layer's
    h_t for every step and the final (h_n, c_n), each (L, H) or (L, B, H), as `nn.LSTM` does."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        bound = 1.0 / math.sqrt(hidden_size)  # nn.LSTM's default: uniform in +-1/sqrt(H)
        for k in range(num_layers):
            fan_in = input_size if k == 0 else hidden_size
            shapes = {
                f"weight_ih_l{k}": (4 * hidden_size, fan_in),
                f"weight_hh_l{k}": (4 * hidden_size, hidden_size),
                f"bias_ih_l{k}": (4 * hidden_size,),
                f"bias_hh_l{k}": (4 * hidden_size,),
                f"weight_ch_l{k}": (3 * hidden_size,),
            }
            for name, shape in shapes.items():
                self.register_parameter(
                    name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
                )

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        batch_shape = x.shape[1:-1]  # () or (B,)
        if state is None:
            zeros = x.new_zeros((self.num_layers, *batch_shape, self.hidden_size))
            state = (zeros, zeros)
        below = list(x.unbind(0))  # T of (..., I)
        finals_h, finals_c = [], []
        for k in range(self.num_layers):
            below, h, c = self.layer(k, below, state[0][k], state[1][k])
            finals_h.append(h)
            finals_c.append(c)
        return torch.stack(below), (torch.stack(finals_h), torch.stack(finals_c))

    def layer(
        self, k: int, xs: list[torch.Tensor], h: torch.Tensor, c: torch.Tensor
    ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Layer k over the inputs `xs` from (h, c): every h_t, and the last h_t and c_t."""
        w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        bias = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")  # (4H,)
        p_i, p_f, p_o = getattr(self, f"weight_ch_l{k}").chunk(3)  # (H,) each
        xp = torch.stack(xs) @ w_ih.T + bias  # (T, ..., 4H): the input's terms, all steps at once
        out = []
        for xp_t in xp.unbind(0):
            a_i, a_f, a_g, a_o = (xp_t + h @ w_hh.T).chunk(4, dim=-1)
            i = torch.sigmoid(a_i + p_i * c)
            f = torch.sigmoid(a_f + p_f * c)
            c = f * c + i * torch.tanh(a_g)
            h = torch.sigmoid(a_o + p_o * c) * torch.tanh(c)
            out.append(h)
        return out, h, c
