"""Every internal of the trace equals torch.nn.RNN/LSTM/GRU, in float64, to 1e-10."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.torch_model import TORCH_CLASSES
from models.trace import trace
from tests.helpers import TEXT, one_hot, random_model

CASES = [
    ("rnn", "tanh"),
    ("rnn", "relu"),
    ("lstm", "tanh"),
    ("gru", "tanh"),
]
TOL = {"rtol": 1e-10, "atol": 1e-10}


def torch_layer_outputs(module: nn.RNNBase, x: torch.Tensor) -> list[torch.Tensor]:
    """h_t of every layer from torch itself: layer k is the output of the first k+1 layers."""
    outputs = []
    for k in range(module.num_layers):
        kwargs = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
        prefix = type(module)(module.input_size, module.hidden_size, k + 1, **kwargs).double()
        layers = {name: p for name, p in module.state_dict().items() if "_l" in name}
        prefix.load_state_dict({name: p for name, p in layers.items() if int(name[-1]) <= k})
        with torch.no_grad():
            outputs.append(prefix(x)[0])
    return outputs


def as_tensor(array) -> torch.Tensor:
    return torch.from_numpy(array.copy())


@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_hidden_states_logits_and_probs_match_torch(cell, nonlinearity, num_layers):
    _, module, net = random_model(cell, num_layers, nonlinearity)
    result = trace(net, TEXT)
    x = one_hot(TEXT)
    for k, expected in enumerate(torch_layer_outputs(module, x)):
        assert_close(as_tensor(result.layers[k].h), expected, **TOL)
    with torch.no_grad():
        logits = module.readout(module(x)[0])
    assert_close(as_tensor(result.logits), logits, **TOL)
    assert_close(as_tensor(result.probs), torch.softmax(logits, dim=1), **TOL)
    targets = torch.tensor([ord(ch) - ord("a") for ch in TEXT[1:]])
    expected_loss = nn.functional.cross_entropy(logits[:-1], targets, reduction="none")
    assert_close(as_tensor(result.loss[:-1]), expected_loss, **TOL)
    assert torch.isnan(as_tensor(result.loss[-1:])).all()


@pytest.mark.parametrize("num_layers", [1, 3])
def test_lstm_cell_states_match_torch(num_layers):
    """torch.nn.LSTM only returns the last c; run every prefix of the text to get each c_t."""
    _, module, net = random_model("lstm", num_layers)
    result = trace(net, TEXT)
    x = one_hot(TEXT)
    with torch.no_grad():
        c_n = torch.stack([module(x[: t + 1])[1][1] for t in range(len(TEXT))])  # (T, L, H)
    for k in range(num_layers):
        assert_close(as_tensor(result.layers[k].c), c_n[:, k], **TOL)


def split_gates(pre: torch.Tensor, count: int) -> list[torch.Tensor]:
    return list(pre.chunk(count, dim=1))


@pytest.mark.parametrize("num_layers", [1, 3])
def test_lstm_gates_follow_pytorch_equations(num_layers):
    """i f g o from torch ops on torch's own h_{t-1}; then h_t = o_t tanh(c_t) closes the loop."""
    _, module, net = random_model("lstm", num_layers)
    result = trace(net, TEXT)
    below = one_hot(TEXT)
    for k, h in enumerate(torch_layer_outputs(module, one_hot(TEXT))):
        h_prev = torch.cat([torch.zeros(1, h.shape[1], dtype=h.dtype), h[:-1]])
        pre = below @ getattr(module, f"weight_ih_l{k}").T + getattr(module, f"bias_ih_l{k}")
        pre = pre + h_prev @ getattr(module, f"weight_hh_l{k}").T + getattr(module, f"bias_hh_l{k}")
        a_i, a_f, a_g, a_o = split_gates(pre.detach(), 4)
        expected = {
            "i": torch.sigmoid(a_i),
            "f": torch.sigmoid(a_f),
            "g": torch.tanh(a_g),
            "o": torch.sigmoid(a_o),
        }
        for name, gate in expected.items():
            assert_close(as_tensor(result.layers[k].gates[name]), gate, **TOL)
        o_t, c_t = as_tensor(result.layers[k].gates["o"]), as_tensor(result.layers[k].c)
        assert_close(o_t * torch.tanh(c_t), h, **TOL)
        below = h


@pytest.mark.parametrize("num_layers", [1, 3])
def test_gru_gates_follow_pytorch_equations(num_layers):
    """r z n from torch ops on torch's own h_{t-1}; then h_t = (1-z) n + z h_{t-1} closes it."""
    _, module, net = random_model("gru", num_layers)
    result = trace(net, TEXT)
    below = one_hot(TEXT)
    for k, h in enumerate(torch_layer_outputs(module, one_hot(TEXT))):
        h_prev = torch.cat([torch.zeros(1, h.shape[1], dtype=h.dtype), h[:-1]])
        w_ih, b_ih = getattr(module, f"weight_ih_l{k}"), getattr(module, f"bias_ih_l{k}")
        w_hh, b_hh = getattr(module, f"weight_hh_l{k}"), getattr(module, f"bias_hh_l{k}")
        x_r, x_z, x_n = split_gates((below @ w_ih.T + b_ih).detach(), 3)
        h_r, h_z, h_n = split_gates((h_prev @ w_hh.T + b_hh).detach(), 3)
        r_t, z_t = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n_t = torch.tanh(x_n + r_t * h_n)
        for name, gate in {"r": r_t, "z": z_t, "n": n_t}.items():
            assert_close(as_tensor(result.layers[k].gates[name]), gate, **TOL)
        assert_close((1 - z_t) * n_t + z_t * h_prev, h, **TOL)
        below = h


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_projections_are_the_two_terms_of_each_gate(cell):
    _, module, net = random_model(cell, 2)
    result = trace(net, TEXT, projections=True)
    x = one_hot(TEXT)
    for k, h in enumerate(torch_layer_outputs(module, x)):
        h_prev = torch.cat([torch.zeros(1, h.shape[1], dtype=h.dtype), h[:-1]])
        w_ih, b_ih = getattr(module, f"weight_ih_l{k}"), getattr(module, f"bias_ih_l{k}")
        w_hh, b_hh = getattr(module, f"weight_hh_l{k}"), getattr(module, f"bias_hh_l{k}")
        assert_close(as_tensor(result.layers[k].input_proj), (x @ w_ih.T + b_ih).detach(), **TOL)
        hidden_proj = (h_prev @ w_hh.T + b_hh).detach()
        assert_close(as_tensor(result.layers[k].hidden_proj), hidden_proj, **TOL)
        x = h


def test_every_torch_class_is_covered():
    """torch.nn has no peephole LSTM: test_peephole.py checks ours against nn.LSTM and autograd."""
    assert set(TORCH_CLASSES) == {cell for cell, _ in CASES} | {"peephole"}
