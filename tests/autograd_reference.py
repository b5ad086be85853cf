"""The test oracle: the slow, obvious way to get what the engine's backward pass computes, a
stepwise autograd loop.

Each step calls `torch.nn.RNNCell/GRUCell` (sharing the weights of a module from
`build_torch_model`) and retains the gradient of every h_t, c_t and input x_t. The peephole
LSTM, which torch.nn lacks, is written out from Gers & Schmidhuber's equations
(`peephole_step`). Tests use it to check the gradient norms of the trace, the lab's probe and
the driver itself; the trace benchmark uses it as the naive baseline.

The LSTM step is written out (`lstm_step`) instead of calling `nn.LSTMCell`: the fused cell
computes h_t from an internal copy of c_t, so the c_t it returns would only collect the
gradient that flows through the next step, not the total dL/dc_t.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.peephole import PeepholeLSTM

CELL_CLASSES: dict[type[nn.Module], type[nn.Module]] = {
    nn.RNN: nn.RNNCell,
    nn.LSTM: nn.LSTMCell,
    nn.GRU: nn.GRUCell,
    PeepholeLSTM: nn.LSTMCell,  # with the layer's peepholes as `weight_ch`
}
WITH_CELL_STATE = (nn.LSTM, PeepholeLSTM)


@dataclass
class ReferenceGrads:
    logits: torch.Tensor  # (T, V)
    grad_h: list[torch.Tensor]  # per layer (T, H): dL/dh_t
    grad_c: list[torch.Tensor] | None  # per layer (T, H): dL/dc_t, LSTM only
    grad_x: torch.Tensor  # (T, V): dL/dx_t


def lstm_step(
    cell: nn.LSTMCell, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """One `torch.nn.LSTM` step in plain autograd ops (chunks i|f|g|o)."""
    h_prev, c_prev = state
    a = cell.weight_ih @ x + cell.bias_ih + cell.weight_hh @ h_prev + cell.bias_hh  # (4H,)
    a_i, a_f, a_g, a_o = a.chunk(4)
    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c), c


def peephole_step(
    cell: nn.LSTMCell, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """One peephole LSTM step in plain autograd ops: `lstm_step`, with the input and forget
    gates also seeing p * c_{t-1} and the output gate p_o * c_t (p = cell.weight_ch, i|f|o)."""
    h_prev, c_prev = state
    p_i, p_f, p_o = cell.weight_ch.chunk(3)
    a = cell.weight_ih @ x + cell.bias_ih + cell.weight_hh @ h_prev + cell.bias_hh  # (4H,)
    a_i, a_f, a_g, a_o = a.chunk(4)
    c = torch.sigmoid(a_f + p_f * c_prev) * c_prev + torch.sigmoid(a_i + p_i * c_prev) * torch.tanh(
        a_g
    )
    return torch.sigmoid(a_o + p_o * c) * torch.tanh(c), c


def dtype_of(module: nn.Module) -> torch.dtype:
    return next(module.parameters()).dtype


def layer_cells(module: nn.RNNBase) -> list[nn.Module]:
    """One torch cell per layer, holding that layer's weights (shared, not copied)."""
    cells = []
    for k in range(module.num_layers):
        kwargs = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
        input_size = module.input_size if k == 0 else module.hidden_size
        cell = CELL_CLASSES[type(module)](input_size, module.hidden_size, **kwargs)
        cell = cell.to(dtype_of(module))
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        for name in (*names, "weight_ch") if isinstance(module, PeepholeLSTM) else names:
            setattr(cell, name, getattr(module, f"{name}_l{k}"))
        cells.append(cell)
    return cells


def unroll(
    module: nn.RNNBase, xs: list[torch.Tensor]
) -> tuple[torch.Tensor, list[list[torch.Tensor]], list[list[torch.Tensor]]]:
    """The readout's outputs (T, O) over inputs `xs` (T of them), and every layer's h_t (and c_t,
    LSTM; else empty lists), one step at a time, each retaining its gradient."""
    dtype = dtype_of(module)
    is_lstm = isinstance(module, WITH_CELL_STATE)
    step = peephole_step if isinstance(module, PeepholeLSTM) else lstm_step
    hs: list[list[torch.Tensor]] = []
    cs: list[list[torch.Tensor]] = []
    below = xs
    for cell in layer_cells(module):
        h = torch.zeros(module.hidden_size, dtype=dtype)
        c = torch.zeros(module.hidden_size, dtype=dtype)
        layer_h, layer_c = [], []
        for x in below:
            if is_lstm:
                assert isinstance(cell, nn.LSTMCell)
                h, c = step(cell, x, (h, c))
                c.retain_grad()
                layer_c.append(c)
            else:
                h = cell(x, h)
            h.retain_grad()
            layer_h.append(h)
        hs.append(layer_h)
        cs.append(layer_c)
        below = layer_h
    outputs = module.get_submodule("readout")(torch.stack(below))  # (T, O)
    return outputs, hs, cs


def grads(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The retained gradients of `tensors`, stacked (T, n); zero where none reached one."""
    return torch.stack([t.grad if t.grad is not None else torch.zeros_like(t) for t in tensors])


def autograd_grads(module: nn.RNNBase, indices: torch.Tensor, loss: str = "all") -> ReferenceGrads:
    """Forward step by step, backward with autograd, every intermediate's .grad retained."""
    dtype = dtype_of(module)
    xs = [
        torch.nn.functional.one_hot(i, module.input_size).to(dtype).requires_grad_()
        for i in indices
    ]
    logits, hs, cs = unroll(module, xs)  # logits (T, V)
    targets = indices[1:]
    losses = torch.nn.functional.cross_entropy(logits[:-1], targets, reduction="none")  # (T-1,)
    total = losses.sum() if loss == "all" else losses[-1]
    total.backward()
    return ReferenceGrads(
        logits=logits.detach(),
        grad_h=[grads(layer) for layer in hs],
        grad_c=[grads(layer) for layer in cs] if isinstance(module, WITH_CELL_STATE) else None,
        grad_x=grads(xs),
    )
