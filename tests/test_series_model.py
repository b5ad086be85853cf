"""Series models: real-valued inputs x_t through W_ih, outputs y_t predicting x_{t+1}, squared
error (input "real", output "value"); free-running forecasts; the generated series.

Every number against torch.nn (nn.RNN/LSTM/GRU or our PeepholeLSTM + Linear) and a stepwise
autograd loop in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.forecast import free_running
from models.network import Network
from models.series import SERIES_KINDS, SeriesError, make_series, series_batch
from models.spec import Limits, SpecError, make_spec, read_values
from models.torch_model import build_torch_model, tensors_to_arrays
from models.trace import trace
from tests.autograd_reference import grads, unroll
from tests.helpers import log10_norms

CELLS = ["rnn", "lstm", "gru", "peephole"]
EXACT = {"rtol": 0.0, "atol": 1e-10}
VALUES = make_series("walk", 24, seed=5, noise=0.1)  # (T,)
TEXT = ", ".join(repr(float(v)) for v in VALUES)  # repr: the float64 digits, read back exactly


def series_model(cell: str, num_layers: int = 1, features: int = 1, seed: int = 0):
    """A float64 torch series model (H = 5) with random weights, and the same Network."""
    torch.manual_seed(seed)
    spec = make_spec(cell, [], 5, num_layers, input="real", output="value", features=features)
    module = build_torch_model(spec, torch.float64)
    return spec, module, Network(spec, tensors_to_arrays(module.state_dict()))


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def squared_errors(outputs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """loss_t = ||y_t - x_{t+1}||^2 for t < T - 1: (T - 1,)."""
    return ((outputs[:-1] - x[1:]) ** 2).sum(dim=1)


# --- The engine against torch -----------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_states_outputs_and_loss_match_torch(cell, num_layers):
    spec, module, net = series_model(cell, num_layers)
    result = trace(net, TEXT)
    x = as_tensor(VALUES[:, None])  # (T, 1)
    with torch.no_grad():
        top, _ = module(x)
        outputs = module.readout(top)  # (T, 1): the prediction of x_{t+1}
    np.testing.assert_array_equal(result.values, VALUES[:, None])  # the text read back exactly
    assert_close(as_tensor(result.layers[-1].h), top, **EXACT)
    assert_close(as_tensor(result.logits), outputs, **EXACT)
    assert result.probs is None
    assert_close(as_tensor(result.loss[:-1]), squared_errors(outputs, x), **EXACT)
    assert np.isnan(result.loss[-1])  # x_T is not given: the last step has no target
    assert result.tokens == TEXT.split(", ") and result.targets == [*result.tokens[1:], None]
    assert spec.to_config()["features"] == 1 and spec.output_labels == ("x[0]",)


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_gradient_norms_match_a_stepwise_autograd_loop(cell, num_layers, loss):
    _, module, net = series_model(cell, num_layers, seed=1)
    result = trace(net, TEXT, loss=loss)
    x = as_tensor(VALUES[:, None])
    xs = [row.clone().requires_grad_() for row in x]
    outputs, hs, cs = unroll(module, xs)
    losses = squared_errors(outputs, x)
    (losses.sum() if loss == "all" else losses[-1]).backward()
    for k, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer.grad_h, log10_norms(grads(hs[k])), rtol=0, atol=1e-10)
        if cs[k]:
            np.testing.assert_allclose(layer.grad_c, log10_norms(grads(cs[k])), rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.grad_input, log10_norms(grads(xs)), rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_every_weights_gradient_and_dl_dy_match_autograd(cell):
    _, module, net = series_model(cell, 2, features=2, seed=2)
    values = make_series("sine", 30, seed=1).reshape(15, 2)  # two features per step
    text = " ".join(repr(float(v)) for v in values.ravel())
    result = trace(net, text, backward=True)
    assert result.bptt is not None
    x = as_tensor(values)
    top, _ = module(x)
    outputs = module.readout(top)
    outputs.retain_grad()
    module.zero_grad()
    squared_errors(outputs, x).sum().backward()
    assert_close(as_tensor(result.bptt.d_outputs), outputs.grad, **EXACT)  # 2 (y_t - x_{t+1})
    assert list(result.bptt.weights) == [name for name, _ in module.named_parameters()]
    for name, param in module.named_parameters():
        assert_close(as_tensor(result.bptt.weights[name].total), param.grad, **EXACT)


def test_several_features_are_read_in_order():
    steps, values = read_values("1, 2\n3 4,5,  6", 2)
    assert steps == ["1 2", "3 4", "5 6"]
    np.testing.assert_array_equal(values, [[1, 2], [3, 4], [5, 6]])
    assert read_values(" -1e-3,+2.5 ", 1)[0] == ["-1e-3", "+2.5"]


# --- Free-running forecasts ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_a_free_running_forecast_is_the_trace_of_its_own_predictions(cell):
    """Fed back into the engine's own trace, the forecast predicts itself: the trace of
    x_0 .. x_{k-1} followed by the forecast has, from step k - 1 on, the forecast as outputs."""
    _, _, net = series_model(cell, 2, seed=3)
    start, horizon = 10, 8
    forecast = free_running(net, VALUES[:, None], start, horizon)  # (8, 1)
    fed_back = np.concatenate([VALUES[:start], forecast[:-1, 0]])  # x'_0 .. x'_{k+h-2}
    result = trace(net, " ".join(repr(float(v)) for v in fed_back))
    np.testing.assert_allclose(result.logits[start - 1 :], forecast, rtol=0, atol=1e-12)
    one_step = trace(net, TEXT).logits
    np.testing.assert_allclose(forecast[0], one_step[start - 1], rtol=0, atol=1e-12)


def test_free_running_refuses_a_start_outside_the_series():
    _, _, net = series_model("gru")
    for start in (0, 25):
        with pytest.raises(SpecError, match=f"forecast is {start}; it must be between 1 and 24"):
            free_running(net, VALUES[:, None], start, 3)


# --- Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field", "words"),
    [
        ({"input": "real", "output": "value"}, "features", "features is missing"),
        ({"input": "real", "output": "value", "features": 0}, "features", "between 1 and 256"),
        ({"input": "real", "output": "next_token", "features": 1}, "output", "'value'"),
        ({"input": "one_hot", "output": "value"}, "output", "it needs input 'real'"),
        ({"input": "one_hot", "features": 2, "vocab": ["a"]}, "features", "input 'real' only"),
        ({"input": "real", "output": "value", "features": 1, "vocab": ["a"]}, "vocab", "send []"),
        ({"input": "real", "output": "value", "features": 1, "classes": ["a", "b"]}, "classes", ""),
    ],
)
def test_bad_series_specs_name_the_field(arguments, field, words):
    arguments = {"vocab": [], **arguments}
    with pytest.raises(SpecError) as error:
        make_spec("gru", hidden_size=4, **arguments)
    assert error.value.field == field and words in error.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0.5, nan, 1", "text has 'nan' as its number 1; a series model reads finite numbers"),
        ("0.5 1e999", "text has '1e999' as its number 1"),
        ("1, two", "text has 'two' as its number 1"),
        ("0 2e6", "text has '2e6' as its number 1; a series model reads numbers between -1e+06"),
        ("1" * 40, "as its number 0; a series model reads finite numbers of at most 32"),
        (" , ", "text has no numbers"),
        ("1 2 3 4 5 6", "text has 6 steps; the limit is 5"),
    ],
)
def test_bad_series_texts_name_the_number_and_the_limit(text, words):
    _, _, net = series_model("rnn")
    with pytest.raises(SpecError) as error:
        trace(net, text, limits=Limits(max_text_chars=5))
    assert error.value.field == "text" and words in error.value.message


def test_predictions_that_overflow_are_refused_never_infinite():
    spec, _, net = series_model("gru")
    weights = {**net.weights, "readout.weight": np.full((1, 5), 1e308)}
    with pytest.raises(SpecError, match="squared error overflowed float64 at step 0") as error:
        trace(Network(spec, weights), "0.5 1 1.5")
    assert error.value.field == "model"


def test_an_odd_count_of_numbers_for_two_features_is_refused():
    _, _, net = series_model("lstm", features=2)
    with pytest.raises(SpecError, match="text has 3 numbers; a model of 2 features per step"):
        trace(net, "1 2 3")


# --- The generated series -----------------------------------------------------------------------


def test_the_waves_follow_their_formulas():
    t = np.arange(50)
    sine = make_series("sine", 50, seed=4, noise=0.0, period=10)
    phase = np.random.default_rng(4).uniform()
    np.testing.assert_allclose(sine, np.sin(2 * np.pi * (t / 10 + phase)), rtol=0, atol=1e-12)
    square = make_series("square", 50, seed=4, noise=0.0, period=10)
    assert (
        set(square) == {-1.0, 1.0}
        and (np.sign(sine[np.abs(sine) > 1e-9]) == square[np.abs(sine) > 1e-9]).all()
    )
    saw = make_series("sawtooth", 50, seed=4, noise=0.0, period=10)
    np.testing.assert_allclose(np.diff(saw)[np.diff(saw) > 0], 0.2, rtol=0, atol=1e-12)
    walk = make_series("walk", 200, seed=4, noise=0.0)
    assert walk.min() == -1.0 and walk.max() == 1.0
    noisy = make_series("sine", 50, seed=4, noise=0.3, period=10)
    assert 0.15 < np.std(noisy - sine) < 0.45  # the noise is the only difference


def test_the_walk_drifts_and_the_same_seed_gives_the_same_series():
    np.testing.assert_array_equal(make_series("walk", 80, seed=9), make_series("walk", 80, seed=9))
    assert not np.array_equal(make_series("walk", 80, seed=9), make_series("walk", 80, seed=10))
    rising = [
        np.polyfit(np.arange(400), make_series("walk", 400, seed=s, noise=0.0), 1)[0]
        for s in range(20)
    ]
    assert np.mean(np.array(rising) > 0) >= 0.9  # a drift up: most walks end above their start
    batch = series_batch(SERIES_KINDS, 30, 6, np.random.default_rng(0), 0.05)
    assert batch.shape == (30, 6) and np.isfinite(batch).all()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "triangle"}, "kind"),
        ({"length": 1}, "length"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"period": 1}, "period"),
    ],
)
def test_bad_series_parameters_name_the_field(arguments, field):
    kwargs = {"kind": "sine", "length": 10, **arguments}
    with pytest.raises(SeriesError) as error:
        make_series(**kwargs)
    assert error.value.field == field


def test_the_torch_model_reads_real_rows():
    spec, module, _ = series_model("gru", features=3)
    assert isinstance(module, nn.GRU) and module.input_size == 3
    assert spec.expected_shapes()["weight_ih_l0"] == (15, 3)
    assert spec.expected_shapes()["readout.weight"] == (3, 5)
