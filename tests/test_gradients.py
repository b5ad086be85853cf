"""Per-step gradient norms: against plain autograd, a NumPy BPTT, and high precision."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from models.network import Network, RecurrentStack
from models.probe import probe_gradients
from models.scaled import Scaled
from models.spec import make_spec
from models.torch_model import TORCH_CLASSES, tensors_to_arrays
from models.trace import trace
from tests.autograd_reference import autograd_grads, grads, unroll
from tests.helpers import TEXT, indices, log10_norms, one_hot, random_model

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh"), ("peephole", "tanh")]


def assert_same_log_norms(ours: np.ndarray, reference: np.ndarray) -> None:
    """Equal where finite; -inf (an exactly zero gradient) in exactly the same places."""
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(reference))
    finite = np.isfinite(reference)
    assert finite.any()
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=0, atol=1e-10)


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_gradient_norms_match_stepwise_autograd(cell, nonlinearity, num_layers, loss):
    _, module, net = random_model(cell, num_layers, nonlinearity)
    result = trace(net, TEXT, loss)
    reference = autograd_grads(module, indices(TEXT), loss)
    for k, layer in enumerate(result.layers):
        assert_same_log_norms(layer.grad_h, log10_norms(reference.grad_h[k]))
        if cell in ("lstm", "peephole"):
            assert reference.grad_c is not None and layer.grad_c is not None
            assert_same_log_norms(layer.grad_c, log10_norms(reference.grad_c[k]))
        else:
            assert layer.grad_c is None
    assert_same_log_norms(result.grad_input, log10_norms(reference.grad_x))


def test_last_loss_leaves_the_final_step_exactly_zero():
    _, _, net = random_model("lstm", 2)
    result = trace(net, TEXT, "last")
    for layer in result.layers:
        assert layer.grad_h[-1] == -math.inf and layer.grad_c is not None
        assert layer.grad_c[-1] == -math.inf
        assert np.isfinite(layer.grad_h[:-1]).all()
    assert result.grad_input[-1] == -math.inf


def numpy_bptt(net: Network, text: str) -> np.ndarray:
    """min-char-rnn's backward pass for a 1-layer tanh RNN: ||dL/dh_t|| for the summed loss."""
    w = net.weights
    w_hh, w_hy = w["weight_hh_l0"], w["readout.weight"]
    result = trace(net, text)
    hs, probs = result.layers[0].h, result.probs
    targets = [net.char_index[ch] for ch in text[1:]]
    dh_next = np.zeros(w_hh.shape[0])
    norms = np.zeros(len(text))
    for t in reversed(range(len(text))):
        dy = probs[t].copy()
        if t < len(targets):
            dy[targets[t]] -= 1
        else:
            dy[:] = 0.0  # the last step has no target
        dh = w_hy.T @ dy + dh_next
        norms[t] = np.linalg.norm(dh)
        dh_raw = (1 - hs[t] ** 2) * dh
        dh_next = w_hh.T @ dh_raw
    return norms


def test_vanilla_rnn_norms_match_hand_written_numpy_bptt():
    _, _, net = random_model("rnn", 1)
    result = trace(net, TEXT)
    np.testing.assert_allclose(10 ** result.layers[0].grad_h, numpy_bptt(net, TEXT), rtol=1e-12)


def tiny_recurrence_rnn(steps_vocab: list[str], scale: float) -> Network:
    """A 3-unit tanh RNN whose recurrent weights shrink every gradient by ~`scale` per step."""
    rng = np.random.default_rng(7)
    spec = make_spec("rnn", steps_vocab, 3)
    tensors = {
        "weight_ih_l0": rng.normal(size=(3, len(steps_vocab))),
        "weight_hh_l0": scale * rng.normal(size=(3, 3)),
        "bias_ih_l0": rng.normal(size=3),
        "readout.weight": rng.normal(size=(len(steps_vocab), 3)),
    }
    return Network(spec, tensors)


def high_precision_norms(net: Network, text: str, h: np.ndarray, probs: np.ndarray) -> list[float]:
    """log10 ||dL_last/dh_t|| by the same BPTT in 60-digit arithmetic (no underflow)."""
    mpmath.mp.dps = 60
    w_hh = mpmath.matrix(net.weights["weight_hh_l0"].tolist())
    w_hy = mpmath.matrix(net.weights["readout.weight"].tolist())
    last = len(text) - 2
    dy = mpmath.matrix(probs[last].tolist())
    dy[net.char_index[text[last + 1]]] -= 1
    dh = w_hy.T * dy
    logs = [-math.inf] * len(text)
    for t in range(last, -1, -1):
        logs[t] = float(mpmath.log10(mpmath.norm(dh)))
        slope = mpmath.matrix([1 - mpmath.mpf(v) ** 2 for v in h[t]])
        dh = w_hh.T * mpmath.matrix([slope[i] * dh[i] for i in range(len(slope))])
    return logs


def test_norms_stay_exact_far_below_float64_range():
    """A tanh RNN with small recurrent weights over 1000 steps: ~10^-900 and still exact."""
    vocab = list("ab")
    net = tiny_recurrence_rnn(vocab, 0.05)
    text = "".join(np.random.default_rng(1).choice(vocab, 1000))
    result = trace(net, text, "last")
    ours = result.layers[0].grad_h
    reference = high_precision_norms(net, text, result.layers[0].h, result.probs)
    assert ours[0] < -500, "the test must reach far below float64's smallest number (1e-308)"
    assert ours[-1] == -math.inf
    np.testing.assert_allclose(ours[:-1], reference[:-1], rtol=0, atol=1e-9)
    assert np.all(np.diff(ours[:-1]) > 0), "the gradient shrinks with every step back"


def test_scaled_vector_holds_magnitudes_beyond_float64():
    vector = Scaled(2)
    vector.add(np.array([3.0, 4.0]), 0.0)
    for _ in range(100):  # multiply by 1e10 a hundred times: 5e1000
        vector.vec *= 1e10
        vector.renormalize()
    assert vector.scale > 900
    assert_close(math.log10(np.linalg.norm(vector.vec)) + vector.scale, 1000 + math.log10(5))
    vector.vec[:] = 0.0
    vector.renormalize()
    assert vector.scale == -math.inf


def test_dead_relu_units_report_exactly_zero():
    """Every pre-activation negative: h_t = 0, relu'(a) = 0, so dL/dh_{t-1} is exactly zero."""
    spec = make_spec("rnn", ["a", "b"], 2, nonlinearity="relu")
    tensors = {
        "weight_ih_l0": -np.ones((2, 2)),
        "weight_hh_l0": np.eye(2),
        "readout.weight": np.eye(2),
        "readout.bias": np.array([0.5, -0.5]),
    }
    result = trace(Network(spec, tensors), "abab")
    assert np.isfinite(result.layers[0].grad_h[:3]).all()  # readout still pulls on h_t
    assert (result.grad_input == -math.inf).all()  # nothing reaches the input


# --- One driver: the trace, the lab's probe and any output gradient ---------------------------


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_driver_backpropagates_any_output_gradient_from_real_inputs(cell, nonlinearity, num_layers):
    """`RecurrentStack.backward` with an arbitrary dL/dy_t on real-valued inputs (no one-hot,
    I != O): L = sum_t <g_t, y_t>, so dL/dy_t = g_t, against stepwise autograd."""
    torch.manual_seed(1)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_CLASSES[cell](3, 5, num_layers, **kwargs).double()
    module.readout = torch.nn.Linear(5, 2).double()
    stack = RecurrentStack(cell, nonlinearity, tensors_to_arrays(module.state_dict()))
    x = torch.randn(12, 3, dtype=torch.float64)  # (T, I)
    g = torch.randn(12, 2, dtype=torch.float64)  # (T, O) dL/dy_t
    g[-3:] = 0.0  # the last steps are outside the loss: their gradients are exactly zero

    records, outputs = stack.forward(x.numpy())
    ours = stack.backward(records, g.numpy())
    xs = [row.clone().requires_grad_() for row in x]
    reference_outputs, hs, cs = unroll(module, xs)
    (reference_outputs * g).sum().backward()

    assert_close(torch.from_numpy(outputs), reference_outputs.detach(), rtol=1e-12, atol=1e-12)
    for k, layer in enumerate(ours.layers):
        assert_same_log_norms(layer.log_h, log10_norms(grads(hs[k])))
        if cell in ("lstm", "peephole"):
            assert layer.log_c is not None
            assert_same_log_norms(layer.log_c, log10_norms(grads(cs[k])))
    assert_same_log_norms(ours.grad_input, log10_norms(grads(xs)))


@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_probe_and_trace_give_the_same_numbers(cell, nonlinearity, num_layers):
    """The lab's probe (float rows, the task's loss) and the trace (character indices, the loss
    over the text) meet where their losses agree: every_step on text[:-1] scored against
    text[1:] is the trace's loss="all", last_step is its loss="last". One driver: equal to the
    last bit, states, outputs and every gradient norm alike."""
    _, _, net = random_model(cell, num_layers, nonlinearity)
    x = one_hot(TEXT[:-1]).numpy()  # (T-1, V) the probe reads rows
    targets = indices(TEXT[1:]).numpy()
    for probe_loss, trace_loss, probe_targets in (
        ("every_step", "all", targets),
        ("last_step", "last", targets[-1]),
    ):
        probe = probe_gradients(cell, nonlinearity, net.weights, x, probe_loss, probe_targets)
        traced = trace(net, TEXT, trace_loss)
        np.testing.assert_array_equal(probe.outputs, traced.probs[:-1])
        for k, layer in enumerate(traced.layers):
            np.testing.assert_array_equal(probe.h[k], layer.h[:-1])
            np.testing.assert_array_equal(probe.grad_h[k], layer.grad_h[:-1])
            if cell in ("lstm", "peephole"):
                assert probe.c is not None and probe.grad_c is not None
                np.testing.assert_array_equal(probe.c[k], layer.c[:-1])
                np.testing.assert_array_equal(probe.grad_c[k], layer.grad_c[:-1])
        assert probe.loss == pytest.approx(
            np.nansum(traced.loss) if trace_loss == "all" else traced.loss[-2], rel=1e-12
        )
