"""The trace analysis: connectivity against plain autograd and 60-digit arithmetic, saturation
against a direct count, features on hand-written texts, correlations against np.corrcoef."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from models.analysis import analyse, pearson, saturation
from models.features import text_features
from models.network import Network
from models.spec import make_spec
from models.torch_model import build_torch_model, network_from_torch, readout_logits
from models.trace import trace
from tests.helpers import TEXT, VOCAB, one_hot, random_model

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh"), ("peephole", "tanh")]


def autograd_connectivity(module: torch.nn.RNNBase, text: str, logit: list[str]) -> list:
    """One backward per cursor t: || d logits[t, logit[t]] / d x_s || for s <= t."""
    x = one_hot(text).requires_grad_()  # (T, V)
    logits = readout_logits(module, x)  # (T, V)
    rows = []
    for t, char in enumerate(logit):
        (grad,) = torch.autograd.grad(logits[t, VOCAB.index(char)], x, retain_graph=True)
        rows.append(grad[: t + 1].norm(dim=1))  # (t + 1,)
    return rows


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("cell", "nonlinearity"), CELLS)
def test_connectivity_matches_autograd(cell, nonlinearity, num_layers):
    _, module, net = random_model(cell, num_layers, nonlinearity)
    result = analyse(net, TEXT)
    expected_logit = [*TEXT[1:], VOCAB[int(trace(net, TEXT).probs[-1].argmax())]]
    assert result.logit == expected_logit
    reference = autograd_connectivity(module, TEXT, result.logit)
    assert [len(row) for row in result.connectivity] == list(range(1, len(TEXT) + 1))
    for ours, theirs in zip(result.connectivity, reference, strict=True):
        assert theirs.min() > 0  # random weights: no exact zeros to hide behind
        assert_close(torch.from_numpy(10**ours), theirs, rtol=1e-10, atol=0)


def test_connectivity_stays_exact_far_below_float64_range():
    """A tanh RNN with small recurrent weights: the first character's pull on the last
    prediction is ~10^-600, against the same backward pass in 60-digit arithmetic."""
    rng = np.random.default_rng(7)
    vocab = ["a", "b"]
    tensors = {
        "weight_ih_l0": rng.normal(size=(3, 2)),
        "weight_hh_l0": 0.05 * rng.normal(size=(3, 3)),
        "bias_ih_l0": rng.normal(size=3),
        "readout.weight": rng.normal(size=(2, 3)),
    }
    net = Network(make_spec("rnn", vocab, 3), tensors)
    text = "".join(rng.choice(vocab, 400))
    result = analyse(net, text)
    ours = result.connectivity[-1]  # the last cursor, (T,)
    assert ours[0] < -400, "the test must reach far below float64's smallest number (1e-308)"

    mpmath.mp.dps = 60
    h = trace(net, text).layers[0].h
    w_ih, w_hh = (
        mpmath.matrix(tensors[name].tolist()) for name in ("weight_ih_l0", "weight_hh_l0")
    )
    dh = mpmath.matrix(tensors["readout.weight"][vocab.index(result.logit[-1])].tolist())
    reference = np.zeros(len(text))
    for s in reversed(range(len(text))):
        da = mpmath.matrix([(1 - mpmath.mpf(v) ** 2) * dh[i] for i, v in enumerate(h[s])])
        reference[s] = float(mpmath.log10(mpmath.norm(w_ih.T * da)))
        dh = w_hh.T * da
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-9)


def test_dead_relu_connectivity_is_exactly_zero():
    """Every pre-activation negative: h_t = 0 and relu' = 0, so no input reaches a logit."""
    spec = make_spec("rnn", ["a", "b"], 2, nonlinearity="relu")
    tensors = {
        "weight_ih_l0": -np.ones((2, 2)),
        "weight_hh_l0": np.eye(2),
        "readout.weight": np.eye(2),
        "readout.bias": np.array([0.5, -0.5]),
    }
    result = analyse(Network(spec, tensors), "abab")
    assert all((row == -math.inf).all() for row in result.connectivity)
    assert result.logit[-1] == "a"  # the top prediction: the readout bias favours 'a'


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_saturation_fractions_equal_a_direct_count(cell, num_layers):
    spec, module, _ = random_model(cell, num_layers, hidden_size=6, seed=3)
    with torch.no_grad():
        for weight in module.parameters():
            weight.mul_(6.0)  # PyTorch's small initial weights rarely saturate a gate
    net = network_from_torch(spec, module)
    result = analyse(net, TEXT)
    layers = trace(net, TEXT).layers
    expected_gates = {"rnn": set(), "gru": {"r", "z"}}.get(cell, {"i", "f", "o"})
    counted = 0
    for layer, fractions in zip(layers, result.saturation, strict=True):
        assert set(fractions) == expected_gates
        for name, gate in fractions.items():
            values = layer.gates[name]  # (T, H)
            for unit in range(values.shape[1]):
                column = list(values[:, unit])
                left = sum(1 for v in column if v < 0.1) / len(column)
                right = sum(1 for v in column if v > 0.9) / len(column)
                assert gate.left[unit] == left and gate.right[unit] == right
                counted += left > 0 or right > 0
    assert counted > 0 or cell == "rnn", "large weights should saturate some gate unit"


def test_saturation_thresholds_are_strict():
    gates = {"f": np.array([[0.1, 0.9], [0.0999, 0.9001], [0.5, 1.0]])}  # (T=3, H=2)
    fractions = saturation(gates, ("f",))["f"]
    np.testing.assert_array_equal(fractions.left, [1 / 3, 0.0])
    np.testing.assert_array_equal(fractions.right, [0.0, 2 / 3])


@pytest.mark.parametrize(
    ("text", "in_quotes", "depth", "column"),
    [
        ('a("b)")c', "00111000", "01111100", "01234567"),
        ("f(x[1],\n y)", "00000000000", "01122111110", "01234567012"),
        ("it's 'ok'", "000001110", "000000000", "012345678"),
        ('"a\\"b" (', "11111000", "00000001", "01234567"),
        ("x#'(\ny(", "0000000", "0000001", "0123401"),
        ('"#"(', "1100", "0001", "0123"),
        (")]x", "000", "000", "012"),
    ],
)
def test_features_on_hand_written_texts(text, in_quotes, depth, column):
    assert len(in_quotes) == len(depth) == len(column) == len(text)
    features = text_features(text)
    np.testing.assert_array_equal(features["in_quotes"], [int(v) for v in in_quotes])
    np.testing.assert_array_equal(features["bracket_depth"], [int(v) for v in depth])
    np.testing.assert_array_equal(features["line_position"], [int(v) for v in column])


def test_line_position_restarts_after_each_newline():
    features = text_features("ab\ncde\n\nf")
    np.testing.assert_array_equal(features["line_position"], [0, 1, 2, 0, 1, 2, 3, 0, 0])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_correlations_equal_numpy_corrcoef(cell):
    text = 'ab("c)d")\nef[g, (a)]\n"a"b\n'
    torch.manual_seed(5)
    spec = make_spec(cell, sorted(set(text)), 5, 2)
    net = network_from_torch(spec, build_torch_model(spec, torch.float64))
    result = analyse(net, text)
    features = text_features(text)
    assert all(np.ptp(series) > 0 for series in features.values())
    layers = trace(net, text).layers
    for layer, corr in zip(layers, result.correlations, strict=True):
        for states, table in ((layer.h, corr.h), (layer.c, corr.c)):
            if states is None:
                assert table is None and cell != "lstm"
                continue
            assert table is not None
            for name, series in features.items():
                expected = [np.corrcoef(states[:, unit], series)[0, 1] for unit in range(5)]
                assert_close(table[name], np.array(expected), rtol=1e-12, atol=1e-14)


def test_correlation_is_undefined_for_a_constant_series():
    states = np.array([[1.0, 0.5], [2.0, 0.5], [4.0, 0.5]])  # unit 1 is constant
    r = pearson(states, np.array([0.0, 1.0, 3.0]))
    assert_close(r[0], np.corrcoef(states[:, 0], [0.0, 1.0, 3.0])[0, 1])
    assert math.isnan(r[1])
    assert np.isnan(pearson(states, np.zeros(3))).all()
