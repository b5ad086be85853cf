"""The peephole LSTM: torch.nn has no module for it, so it is checked three ways, in float64.

- Its torch module (`PeepholeLSTM`) with zero peepholes is exactly `torch.nn.LSTM`.
- The engine's forward (h_t, c_t, every gate) equals the hand-written equations run by autograd,
  and its gradients equal autograd's (also in test_bptt.py and test_gradients.py, beside the
  other cells).
- The peepholes matter: with them, the numbers differ from the plain LSTM's; a plain LSTM's
  state_dict loads as a peephole LSTM with zero peepholes and traces the same.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.network import Network
from models.peephole import PeepholeLSTM
from models.spec import SpecError, make_spec
from models.torch_model import network_from_torch, tensors_to_arrays
from models.trace import trace
from tests.autograd_reference import autograd_grads, peephole_step
from tests.helpers import TEXT, VOCAB, indices, log10_norms, one_hot, random_model

EXACT = {"rtol": 0.0, "atol": 1e-12}


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


@pytest.mark.parametrize("batch", [None, 3])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_zero_peepholes_are_torch_nn_lstm(num_layers, batch):
    torch.manual_seed(1)
    lstm = nn.LSTM(4, 5, num_layers).double()
    ours = PeepholeLSTM(4, 5, num_layers).double()
    missing, unexpected = ours.load_state_dict(lstm.state_dict(), strict=False)
    assert unexpected == [] and missing == [f"weight_ch_l{k}" for k in range(num_layers)]
    with torch.no_grad():
        for k in range(num_layers):
            getattr(ours, f"weight_ch_l{k}").zero_()
    shape = (7, 4) if batch is None else (7, batch, 4)
    x = torch.randn(*shape, dtype=torch.float64)
    state = tuple(torch.randn(num_layers, *x.shape[1:-1], 5).double() for _ in range(2))
    for args in ((x,), (x, state)):
        expected, (h_n, c_n) = lstm(*args)
        got, (our_h, our_c) = ours(*args)
        assert_close(got, expected, **EXACT)
        assert_close(our_h, h_n, **EXACT)
        assert_close(our_c, c_n, **EXACT)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_forward_internals_follow_the_hand_written_equations(num_layers):
    """h_t, c_t and each gate of every layer, against `peephole_step` step by step."""
    _, module, net = random_model("peephole", num_layers, seed=3)
    result = trace(net, TEXT)
    below = list(one_hot(TEXT))
    for k in range(num_layers):
        weights = {
            name: getattr(module, f"{name}_l{k}")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch")
        }
        cell = type("Cell", (), weights)  # the attributes `peephole_step` reads
        h = c = torch.zeros(5, dtype=torch.float64)
        hs, cs = [], []
        with torch.no_grad():
            for x in below:
                h, c = peephole_step(cell, x, (h, c))  # type: ignore[arg-type]
                hs.append(h)
                cs.append(c)
        layer = result.layers[k]
        assert_close(as_tensor(layer.h), torch.stack(hs), **EXACT)
        assert_close(as_tensor(layer.c), torch.stack(cs), **EXACT)
        # The gates from their definitions, given c: o_t = h_t / tanh(c_t), f and i from c.
        c_prev = np.vstack([np.zeros((1, 5)), layer.c[:-1]])
        p_i, p_f, p_o = net.weights[f"weight_ch_l{k}"].reshape(3, 5)
        xp = np.stack([b.numpy() for b in below]) @ net.weights[f"weight_ih_l{k}"].T
        h_prev = np.vstack([np.zeros((1, 5)), layer.h[:-1]])
        a = (
            xp
            + net.weights[f"bias_ih_l{k}"]
            + h_prev @ net.weights[f"weight_hh_l{k}"].T
            + net.weights[f"bias_hh_l{k}"]
        )  # (T, 4H)
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        np.testing.assert_allclose(layer.gates["i"], sig(a_i + p_i * c_prev), rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.gates["f"], sig(a_f + p_f * c_prev), rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.gates["g"], np.tanh(a_g), rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.gates["o"], sig(a_o + p_o * layer.c), rtol=0, atol=1e-12)
        below = hs
    logits = module.get_submodule("readout")(torch.stack(below)).detach()
    assert_close(as_tensor(result.logits), logits, **EXACT)


def test_the_module_and_the_engine_agree_on_every_gradient_norm():
    _, module, net = random_model("peephole", 2, seed=5)
    result = trace(net, TEXT, "all")
    reference = autograd_grads(module, indices(TEXT), "all")
    assert reference.grad_c is not None
    for k, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer.grad_h, log10_norms(reference.grad_h[k]), atol=1e-10)
        np.testing.assert_allclose(layer.grad_c, log10_norms(reference.grad_c[k]), atol=1e-10)
    np.testing.assert_allclose(result.grad_input, log10_norms(reference.grad_x), atol=1e-10)


def test_peepholes_change_the_numbers_and_a_plain_lstm_loads_with_zero_ones():
    _, lstm_module, lstm_net = random_model("lstm", 1, seed=2)
    spec = make_spec("peephole", VOCAB, 5, 1)
    plain = Network(spec, tensors_to_arrays(lstm_module.state_dict()))  # no weight_ch_l0
    assert not plain.weights["weight_ch_l0"].any()
    assert_close(as_tensor(trace(plain, TEXT).logits), as_tensor(trace(lstm_net, TEXT).logits))
    weights = dict(plain.weights, weight_ch_l0=np.full(15, 0.8))
    peeping = Network(spec, weights)
    difference = np.abs(trace(peeping, TEXT).layers[0].c - trace(plain, TEXT).layers[0].c)
    assert difference.max() > 1e-3


def test_peephole_weights_are_checked_like_the_rest():
    _, module, _ = random_model("peephole", 1)
    spec = make_spec("peephole", VOCAB, 5, 1)
    weights = tensors_to_arrays(module.state_dict())
    with pytest.raises(SpecError, match=r"'weight_ch_l0' has shape \[20\]; expected \[15\]"):
        Network(spec, dict(weights, weight_ch_l0=np.zeros(20)))
    with pytest.raises(SpecError, match="'weight_ch_l0' has 1 non-finite"):
        Network(spec, dict(weights, weight_ch_l0=np.r_[np.zeros(14), np.nan]))
    lstm_spec = make_spec("lstm", VOCAB, 5, 1)
    with pytest.raises(SpecError, match="unexpected tensor 'weight_ch_l0'"):
        Network(lstm_spec, weights)  # an LSTM has no peepholes
    assert network_from_torch(spec, module).spec.cell == "peephole"
