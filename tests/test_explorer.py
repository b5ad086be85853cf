"""The gradient explorer's numbers: autograd where float64 holds them, 60-digit arithmetic
where it cannot, the Pascanu bound as a property, and both kinds of clipping."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.explorer import (
    ExploreConfig,
    build_network,
    explore,
    initial_weights,
    input_text,
    phase_diagram,
    sigma_max,
    spectral_radius,
)
from models.spec import Limits
from models.torch_model import build_torch_model, network_state_dict
from models.trace import trace
from tests.autograd_reference import autograd_grads
from tests.helpers import log10_norms
from tests.test_gradients import high_precision_norms

SMALL = ExploreConfig(steps=30, hidden_size=6, vocab_size=5, seed=3)


def torch_twin(config: ExploreConfig, cell: str):
    """The explorer's network for `cell`, as a float64 torch module, and its input indices."""
    text, vocab = input_text(config)
    net = build_network(cell, config, vocab, Limits())
    module = build_torch_model(net.spec, torch.float64)
    module.load_state_dict(network_state_dict(net))
    return net, module, torch.tensor(net.encode(text)), text


def as_tensor(values: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(values.copy())


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
@pytest.mark.parametrize("init", ["default", "orthogonal", "identity"])
def test_norms_by_distance_match_autograd(cell, init):
    config = replace(SMALL, init=init, scale="sigma" if init != "default" else "none", gain=1.3)
    _, module, indices, _ = torch_twin(config, cell)
    reference = autograd_grads(module, indices, loss="last")
    result = explore(replace(config, cells=(cell,))).results[0]
    last = len(indices) - 2
    expected_h = log10_norms(reference.grad_h[0])[last::-1]  # by distance from the last step
    torch.testing.assert_close(
        as_tensor(result.grad_h), as_tensor(expected_h), rtol=1e-9, atol=1e-9
    )
    if cell in ("lstm", "peephole"):
        assert reference.grad_c is not None and result.grad_c is not None
        expected_c = log10_norms(reference.grad_c[0])[last::-1]
        torch.testing.assert_close(
            as_tensor(result.grad_c), as_tensor(expected_c), rtol=1e-9, atol=1e-9
        )


def test_vanilla_rnn_at_half_sigma_shows_its_true_tiny_gradient():
    """sigma_max 0.5 over 1000 steps: far below 1e-300, finite, shrinking, and exact."""
    config = ExploreConfig(
        cells=("rnn",), steps=1000, hidden_size=6, init="orthogonal", scale="sigma", gain=0.5
    )
    result = explore(config).results[0]
    text, vocab = input_text(config)
    net = build_network("rnn", config, vocab, Limits())
    traced = trace(net, text, "last")
    reference = high_precision_norms(net, text, traced.layers[0].h, traced.probs)
    last = len(text) - 2
    assert result.grad_h[-1] < -300
    assert np.all(np.isfinite(result.grad_h))
    assert np.all(np.diff(result.grad_h) < 0), "each step back multiplies by at most 0.5"
    np.testing.assert_allclose(result.grad_h, reference[last::-1], rtol=0, atol=1e-9)
    assert result.bound is not None and np.all(result.grad_h <= result.bound + 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(2, 5),
    steps=st.integers(3, 10),
    scale=st.floats(0.2, 3.0),
    seed=st.integers(0, 10_000),
)
def test_jacobian_never_exceeds_pascanu_bound(size, steps, scale, seed):
    """For a tanh RNN, ||dh_L/dh_t||_2 <= sigma_max^(L-t) (gamma = 1 for tanh)."""
    rng = np.random.default_rng(seed)
    w_hh = torch.tensor(scale * rng.standard_normal((size, size)) / math.sqrt(size))
    inputs = torch.tensor(rng.standard_normal((steps, size)))
    sigma = float(torch.linalg.matrix_norm(w_hh, ord=2))

    def unroll(h_start: torch.Tensor, start: int) -> torch.Tensor:
        h = h_start
        for s in range(start + 1, steps):
            h = torch.tanh(inputs[s] + w_hh @ h)
        return h

    h = torch.zeros(size, dtype=torch.float64)
    for t in range(steps - 1):
        h = torch.tanh(inputs[t] + w_hh @ h)
        jacobian = torch.autograd.functional.jacobian(lambda x, t=t: unroll(x, t), h)
        distance = steps - 1 - t
        assert float(torch.linalg.matrix_norm(jacobian, ord=2)) <= sigma**distance * (1 + 1e-9)


@settings(max_examples=15, deadline=None)
@given(gain=st.floats(0.3, 1.8), seed=st.integers(0, 1000))
def test_measured_curve_stays_under_the_drawn_bound(gain, seed):
    config = ExploreConfig(
        cells=("rnn",), steps=40, hidden_size=5, scale="sigma", gain=gain, seed=seed
    )
    result = explore(config).results[0]
    assert result.bound is not None
    assert np.all(result.grad_h <= result.bound + 1e-9)
    assert result.jacobian_log10 is not None
    assert np.all(result.jacobian_log10 <= math.log10(gain) + 1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("gain", [0.7, 1.6])
def test_jacobian_factors_are_spectral_norms_of_torch_step_jacobians(nonlinearity, gain):
    """Each factor is ||dh_s/dh_{s-1}||_2 of the real step, torch.nn.RNNCell with the model's
    weights, differentiated by autograd at the states the model passed through."""
    config = replace(
        SMALL, cells=("rnn",), steps=50, nonlinearity=nonlinearity, scale="sigma", gain=gain
    )
    _, module, indices, _ = torch_twin(config, "rnn")
    step = torch.nn.RNNCell(module.input_size, module.hidden_size, nonlinearity=nonlinearity)
    step = step.double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(step, name).copy_(module.get_parameter(f"{name}_l0"))
    x = torch.nn.functional.one_hot(indices, module.input_size).double()  # (T+1, V)
    h, _ = module(x)  # (T+1, H)
    result = explore(config).results[0]
    assert result.jacobian_distance is not None and result.jacobian_log10 is not None
    last = len(indices) - 2
    assert len(result.jacobian_distance) == min(last, 64)
    for distance, log10 in zip(result.jacobian_distance, result.jacobian_log10, strict=True):
        s = last - int(distance)
        jacobian = torch.autograd.functional.jacobian(
            lambda h_prev, s=s: step(x[s][None], h_prev[None])[0], h[s - 1].detach()
        )  # (H, H) dh_s/dh_{s-1}
        norm = float(torch.linalg.matrix_norm(jacobian, ord=2))
        if norm == 0.0:
            assert log10 == -math.inf
        else:
            assert log10 == pytest.approx(math.log10(norm), abs=1e-12)


@pytest.mark.parametrize("init", ["default", "orthogonal", "identity"])
@pytest.mark.parametrize("scale", ["none", "sigma", "radius"])
def test_block_measures_are_those_of_the_matrix_the_model_runs(init, scale):
    """sigma_max and the spectral radius reported per W_hh block equal torch's decomposition
    of the block of the network that was traced (they are derived from the cached
    initialisation times the block's factor)."""
    config = replace(SMALL, init=init, scale=scale, gain=0.8)
    _, vocab = input_text(config)
    for cell, count in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        result = explore(replace(config, cells=(cell,))).results[0]
        net = build_network(cell, config, vocab, Limits())
        blocks = torch.from_numpy(net.weights["weight_hh_l0"]).split(config.hidden_size)
        assert len(result.blocks) == len(blocks) == count
        for stats, block in zip(result.blocks, blocks, strict=True):
            sigma = float(torch.linalg.matrix_norm(block, ord=2))
            radius = float(torch.linalg.eigvals(block).abs().max())
            assert stats.sigma_max == pytest.approx(sigma, rel=1e-12)
            assert stats.spectral_radius == pytest.approx(radius, rel=1e-12)


def test_a_built_network_owns_its_weights():
    """One initialisation serves every gain of a dragged slider: changing one model's weights
    must not reach the next model built from the same settings."""
    config = replace(SMALL, init="orthogonal", scale="sigma", gain=0.9)
    _, vocab = input_text(config)
    first = build_network("lstm", config, vocab, Limits())
    expected = {name: array.copy() for name, array in first.weights.items()}
    for array in first.weights.values():
        array *= 2.0
    again = build_network("lstm", config, vocab, Limits())
    for name, array in again.weights.items():
        np.testing.assert_array_equal(array, expected[name])
    moved = explore(replace(config, gain=1.4))
    back = explore(config)  # from the cached initialisation
    initial_weights.cache_clear()
    fresh = explore(config)  # drawn anew
    for got, want in zip(back.results, fresh.results, strict=True):
        np.testing.assert_array_equal(got.grad_h, want.grad_h)
    assert moved.results[0].blocks[0].sigma_max == pytest.approx(1.4)


def autograd_parameter_gradient(config: ExploreConfig, cell: str) -> np.ndarray:
    """All of dL/dtheta (last-step loss) flattened in the explorer's order, by autograd."""
    _, module, indices, _ = torch_twin(config, cell)
    x = torch.nn.functional.one_hot(indices, module.input_size).double()
    out, _ = module(x)
    logits = module.get_submodule("readout")(out)
    loss = torch.nn.functional.cross_entropy(logits[-2], indices[-1])
    names = ["weight_ih_l0", "bias_ih_l0", "weight_hh_l0", "bias_hh_l0"]
    names += ["readout.weight", "readout.bias"]
    params = [module.get_parameter(name) for name in names]
    grads = torch.autograd.grad(loss, params)
    return torch.cat([g.reshape(-1) for g in grads]).numpy()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
@pytest.mark.parametrize("gain", [0.6, 1.8])
def test_clipping_acts_on_the_true_parameter_gradient(cell, gain):
    config = replace(
        SMALL, cells=(cell,), scale="sigma", gain=gain, clip_norm=0.05, clip_value=0.01
    )
    g = autograd_parameter_gradient(config, cell)
    result = explore(config).results[0].clipping
    norm = float(np.linalg.norm(g))
    assert result.log10_norm == pytest.approx(math.log10(norm), abs=1e-12)
    # Norm clipping (Pascanu et al. 2013): rescale to the threshold, same direction.
    assert result.norm_clipped == (norm >= 0.05)
    expected_after = 0.05 if norm >= 0.05 else norm
    assert result.norm_after == pytest.approx(expected_after, rel=1e-12)
    # Element-wise clipping (min-char-rnn): every entry into [-v, v]; the direction turns.
    clipped = np.clip(g, -0.01, 0.01)
    assert result.value_norm_after == pytest.approx(float(np.linalg.norm(clipped)), rel=1e-12)
    assert result.value_clipped_fraction == pytest.approx(float(np.mean(np.abs(g) > 0.01)))
    cosine = float(clipped @ g) / (np.linalg.norm(clipped) * norm)
    assert result.value_cosine == pytest.approx(cosine, rel=1e-12)


def test_exploding_gradient_is_exact_and_clipped():
    """IRNN (identity, ReLU) at gain 1.9 over 1000 steps: the gradient grows to ~10^280, where
    squaring it for a norm would overflow float64; the explorer's log10 norm stays exact."""
    config = ExploreConfig(
        cells=("rnn",),
        steps=1000,
        hidden_size=4,
        init="identity",
        scale="sigma",
        gain=1.9,
        nonlinearity="relu",
        clip_norm=1.0,
        clip_value=5.0,
    )
    result = explore(config).results[0]
    assert result.grad_h[-1] > 250, "the gradient must grow far past 1e154"
    assert np.all(np.diff(result.grad_h) > 0)
    g = autograd_parameter_gradient(config, "rnn")
    peak = np.abs(g).max()
    expected = math.log10(peak) + math.log10(float(np.linalg.norm(g / peak)))
    clip = result.clipping
    assert clip.log10_norm == pytest.approx(expected, abs=1e-9)
    assert clip.norm_clipped and clip.norm_after == 1.0
    clipped = np.clip(g, -5.0, 5.0)
    assert clip.value_norm_after == pytest.approx(float(np.linalg.norm(clipped)), rel=1e-12)
    assert clip.value_cosine is not None and 0 < clip.value_cosine < 1


@pytest.mark.parametrize(
    ("init", "scale", "measure"),
    [
        ("orthogonal", "sigma", sigma_max),
        ("default", "radius", spectral_radius),
        ("identity", "sigma", sigma_max),
    ],
)
def test_recurrent_blocks_get_the_asked_gain(init, scale, measure):
    config = replace(SMALL, init=init, scale=scale, gain=0.7)
    _, vocab = input_text(config)
    for cell, blocks in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        net = build_network(cell, config, vocab, Limits())
        for block in np.split(net.weights["weight_hh_l0"], blocks):
            assert measure(block) == pytest.approx(0.7, rel=1e-12)
            if init == "orthogonal":
                np.testing.assert_allclose(block @ block.T, 0.49 * np.eye(6), atol=1e-12)
            if init == "identity":
                np.testing.assert_array_equal(block, 0.7 * np.eye(6))
        if init == "identity":  # IRNN's zero biases (the LSTM's forget bias is its own setting)
            biases = net.weights["bias_ih_l0"] + net.weights["bias_hh_l0"]
            if cell in ("lstm", "peephole"):
                biases = np.delete(biases, np.s_[6:12])
            assert not biases.any()


def test_lstm_forget_bias_and_cell_path():
    config = replace(SMALL, cells=("lstm",), forget_bias=2.5)
    text, vocab = input_text(config)
    net = build_network("lstm", config, vocab, Limits())
    size = config.hidden_size
    np.testing.assert_allclose(
        net.weights["bias_ih_l0"][size : 2 * size] + net.weights["bias_hh_l0"][size : 2 * size],
        2.5,
    )
    forget = trace(net, text, "last").layers[0].gates["f"]
    result = explore(config).results[0]
    assert result.cell_path is not None
    last = len(text) - 2
    for distance in (0, 1, 7, last):
        product = np.prod(forget[last - distance + 1 : last + 1], axis=0)  # (H,)
        assert result.cell_path[distance] == pytest.approx(math.log10(product.max()), abs=1e-12)


def test_phase_diagram_matches_single_explorations():
    config = replace(SMALL, scale="sigma")
    gains = [0.5, 1.0, 1.5]
    rows = phase_diagram(config, gains, distance=12)
    for cell in ("rnn", "lstm", "gru"):
        for k, gain in enumerate(gains):
            single = explore(replace(config, cells=(cell,), gain=gain, steps=13)).results[0]
            assert rows[cell][k] == pytest.approx(single.grad_h[12], abs=1e-12)
    assert rows["rnn"][0] < rows["rnn"][2], "a larger gain lets more gradient through"


def test_concurrent_explorations_are_deterministic():
    """A server runs explorations in parallel threads: each must get its own seeded weights."""
    config = replace(SMALL, steps=200, hidden_size=16)
    serial = explore(config).results
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(explore, config) for _ in range(6)]
        jobs += [pool.submit(phase_diagram, config, [0.5, 1.5], 30) for _ in range(3)]
        parallel = [job.result() for job in jobs[:6]]
    for result in parallel:
        for got, want in zip(result.results, serial, strict=True):
            np.testing.assert_array_equal(got.grad_h, want.grad_h)
