"""The series task: one-step-ahead forecasting of a generated series. Its batches are the
series of `series.py` shifted by one, its chance and threshold are the persistence forecast's
error recomputed here, its forecast equals a float64 torch.nn module run independently (one
step ahead on the whole probe; free-running by re-reading the growing sequence from scratch
at every step), and a short run learns to forecast a sine wave."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.series import DEFAULT_NOISE, SERIES_KINDS, make_series
from models.tasks import (
    HELD_OUT_SEQUENCES,
    SERIES_PROBE_SEED,
    TaskError,
    make_task,
    persistence_mse,
)
from models.training import (
    TaskTensors,
    TrainConfig,
    TrainingRun,
    forward,
    model_spec,
    state_arrays,
    train,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As the server trains: one torch thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def drawn_series(kind: str, length: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """What a batch's stream draws, re-derived: per sequence a kind index (one kind: 0) and a
    seed, then `make_series` of T + 1 values: (T + 1, B) float64."""
    columns = []
    for _ in range(size):
        assert rng.integers(1) == 0
        columns.append(make_series(kind, length + 1, int(rng.integers(2**31)), DEFAULT_NOISE))
    return np.stack(columns, axis=1)


# --- Data -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SERIES_KINDS)
def test_a_batch_is_the_series_and_its_next_values(kind):
    task = make_task("series", length=12, series=kind)
    batch = task.batch(np.random.default_rng(4), 7)
    assert (task.input_size, task.output_size, task.vocab, task.length) == (1, 1, None, 12)
    assert batch.inputs.shape == (12, 7, 1) and batch.inputs.dtype == np.float32
    assert batch.targets.shape == (12, 7) and batch.targets.dtype == np.float32
    # The target at step t is the input at step t + 1: the next value.
    np.testing.assert_array_equal(batch.targets[:-1], batch.inputs[1:, :, 0])
    # Together they are the generator's series of T + 1 values, rounded to float32 once.
    expected = drawn_series(kind, 12, 7, np.random.default_rng(4)).astype(np.float32)
    np.testing.assert_array_equal(batch.inputs[:, :, 0], expected[:-1])
    np.testing.assert_array_equal(batch.targets, expected[1:])
    probe = task.probe()
    fixed = make_series(kind, 13, SERIES_PROBE_SEED, DEFAULT_NOISE).astype(np.float32)
    np.testing.assert_array_equal(probe.inputs[:, 0, 0], fixed[:-1])
    np.testing.assert_array_equal(probe.targets[:, 0], fixed[1:])


@pytest.mark.parametrize(("kind", "seed"), [("sine", 0), ("square", 0), ("walk", 3)])
def test_chance_and_threshold_are_the_persistence_forecasts_error(kind, seed):
    task = make_task("series", length=20, series=kind, seed=seed)
    held = task.held_out(seed)
    assert held.inputs.shape == (20, HELD_OUT_SEQUENCES, 1)
    # The held-out set is its own stream, default_rng((seed, 1)), never the training one.
    values = drawn_series(kind, 20, HELD_OUT_SEQUENCES, np.random.default_rng((seed, 1)))
    values = values.astype(np.float32).astype(np.float64)  # (T + 1, B)
    total = 0.0
    for b in range(HELD_OUT_SEQUENCES):  # y_t = x_t for x_{t+1}, written out
        for t in range(20):
            total += (values[t + 1, b] - values[t, b]) ** 2
    persistence = total / (20 * HELD_OUT_SEQUENCES)
    assert task.chance == pytest.approx(persistence, rel=1e-12)
    assert task.threshold == pytest.approx(persistence / 2, rel=1e-12)
    assert persistence_mse(held) == pytest.approx(persistence, rel=1e-12)
    # The persistence forecast, scored by the task's own metric, is chance; half of it solves.
    outputs = held.inputs.astype(np.float64)  # (T, B, 1): y_t = x_t
    assert task.metric_of(outputs, held) == pytest.approx(persistence, rel=1e-12)
    assert not task.solved(task.chance) and task.solved(task.threshold * 0.999)
    assert not task.solved(math.nan) and not task.higher_is_better
    training = task.batch(np.random.default_rng((seed, 0)), HELD_OUT_SEQUENCES)
    assert not np.array_equal(training.inputs, held.inputs)


def test_the_persistence_error_of_a_clean_sine_is_its_formula():
    """A sanity check of the scale: for x_t = sin(2 pi t / P + phi) averaged over the phase,
    E (x_{t+1} - x_t)^2 = 2 sin^2(pi / P); the noise adds 2 sigma^2."""
    task = make_task("series", length=60, series="sine")
    expected = 2 * math.sin(math.pi / 20) ** 2 + 2 * DEFAULT_NOISE**2
    assert task.chance == pytest.approx(expected, rel=0.1)


def test_the_loss_is_the_mean_squared_error_over_steps_and_batch():
    task = make_task("series", length=6)
    batch = task.batch(np.random.default_rng(0), 5)
    outputs = torch.from_numpy(np.random.default_rng(1).normal(size=(6, 5, 1)).astype(np.float32))
    loss = TaskTensors(task).loss(outputs, batch)
    errors = outputs[..., 0].double().numpy() - batch.targets.astype(np.float64)
    assert float(loss) == pytest.approx(float(np.mean(errors**2)), rel=1e-6)
    assert task.metric_of(outputs.numpy(), batch) == pytest.approx(float(np.mean(errors**2)))


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"series": "foo"}, "series", "series 'foo' is unknown; the series are walk, sine, square"),
        ({"length": 3}, "length", "length is 3; the series task needs at least 4"),
        ({"length": 10**9, "max_length": 200}, "length", "sequences of 1000000000 steps"),
    ],
)
def test_bad_series_parameters_name_their_field(kwargs, field, words):
    with pytest.raises(TaskError) as error:
        make_task("series", **kwargs)
    assert error.value.field == field and words in error.value.message


# --- The forecast against torch.nn, run independently ----------------------------------------

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def trained_run(cell: str, layers: int) -> TrainingRun:
    config = TrainConfig(
        task="series",
        series="sine",
        length=14,
        cell=cell,
        hidden_size=6,
        num_layers=layers,
        steps=20,
        probe_every=20,
        snapshot_every=20,
        estimate=False,
    )
    run = TrainingRun(config)
    for _ in run.events():  # trained: the forecast reads weights that are not the initial ones
        pass
    return run


def reference_module(run: TrainingRun) -> tuple[nn.Module, nn.Linear]:
    """A fresh float64 torch.nn cell and Linear with the run's weights."""
    config = run.config
    cell = TORCH[config.cell](1, config.hidden_size, config.num_layers).double()
    readout = nn.Linear(config.hidden_size, 1).double()
    weights = {n: torch.from_numpy(a) for n, a in state_arrays(run.module).items()}
    cell.load_state_dict({n: w for n, w in weights.items() if not n.startswith("readout.")})
    readout.load_state_dict({"weight": weights["readout.weight"], "bias": weights["readout.bias"]})
    return cell, readout


def outputs_of(cell: nn.Module, readout: nn.Linear, values: list[float]) -> torch.Tensor:
    """y_0 .. y_{n-1} of the module reading `values` from h = 0: (n,)."""
    x = torch.tensor(values, dtype=torch.float64).reshape(-1, 1, 1)
    with torch.no_grad():
        hidden, _ = cell(x)
        return readout(hidden)[:, 0, 0]


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_forecast_equals_torch_nn_run_by_hand(cell, layers):
    run = trained_run(cell, layers)
    forecast = run.forecast
    assert forecast is not None
    probe = run.task.probe()
    actual = np.append(probe.inputs[:, 0, 0], probe.targets[-1, 0]).astype(np.float64)  # x_0..x_T
    steps, start = 14, 7
    assert forecast["start"] == start == steps // 2
    np.testing.assert_array_equal(forecast["actual"], actual)
    module, readout = reference_module(run)

    # One step ahead: the whole probe read at once, teacher forced.
    one_step = outputs_of(module, readout, list(actual[:-1]))
    assert forecast["one_step"].shape == (steps,)
    assert_close(torch.from_numpy(forecast["one_step"]), one_step, rtol=0, atol=1e-12)

    # Free-running: re-read the whole growing sequence from h = 0 each time, its last output
    # the next forecast, appended to what it reads.
    read = list(actual[:start])
    free = []
    for _ in range(start, steps + 1):  # forecasts of x_k .. x_T
        forecast_next = float(outputs_of(module, readout, read)[-1])
        free.append(forecast_next)
        read.append(forecast_next)
    assert len(free) == steps - start + 1 == len(forecast["free_running"])
    assert_close(
        torch.from_numpy(forecast["free_running"]),
        torch.tensor(free, dtype=torch.float64),
        rtol=0,
        atol=1e-12,
    )
    assert free[0] == pytest.approx(float(one_step[start - 1]), abs=1e-12)
    # After k the two differ: the free run reads its own forecasts, not the series.
    assert not np.allclose(forecast["free_running"][1:], forecast["one_step"][start:])


def test_the_probe_and_snapshot_events_carry_the_forecast():
    config = TrainConfig(
        task="series",
        length=10,
        cell="gru",
        hidden_size=4,
        steps=10,
        probe_every=5,
        snapshot_every=10,
        estimate=False,
    )
    events = list(train(config))
    probes = [e.data for e in events if e.kind == "probe"]
    snapshots = [e.data for e in events if e.kind == "snapshot"]
    assert [p["update"] for p in probes] == [0, 5, 10]
    assert all(
        set(p["forecast"]) == {"actual", "one_step", "free_running", "start"} for p in probes
    )
    assert not np.array_equal(probes[0]["forecast"]["one_step"], probes[-1]["forecast"]["one_step"])
    for snapshot in snapshots:
        probe = next(p for p in probes if p["update"] == snapshot["update"])
        assert snapshot["forecast"] is probe["forecast"]
        # The one-step forecast is the probe's output, computed apart in NumPy (probe.py).
        np.testing.assert_allclose(
            snapshot["forecast"]["one_step"], snapshot["probe_output"][:, 0], rtol=0, atol=1e-12
        )
    start = events[0].data
    inputs = [x for (x,) in start["probe"]["inputs"]]  # (T, 1): x_0 .. x_{T-1}
    assert len(inputs) == len(start["probe"]["targets"]) == 10
    assert inputs[1:] == start["probe"]["targets"][:-1]  # the targets: x_1 .. x_T
    assert list(probes[0]["forecast"]["actual"]) == inputs + start["probe"]["targets"][-1:]
    # Other tasks carry no forecast.
    other = list(train(TrainConfig(task="adding", length=4, steps=2, estimate=False)))
    assert all("forecast" not in e.data for e in other if e.kind in ("probe", "snapshot"))


def test_the_model_is_a_series_model():
    config = TrainConfig(task="series", length=8, cell="lstm", hidden_size=5, steps=2)
    events = list(train(config))
    model = events[-1].data["model"]
    assert {k: v for k, v in model.items() if k != "state_dict"} == {
        "cell": "lstm",
        "hidden_size": 5,
        "num_layers": 1,
        "nonlinearity": "tanh",
        "vocab": [],
        "input": "real",
        "features": 1,
        "output": "value",
    }
    shapes = {name: tensor.shape for name, tensor in model["state_dict"].items()}
    assert shapes["weight_ih_l0"] == (20, 1) and shapes["readout.weight"] == (1, 5)
    setup = events[0].data["model"]
    assert (setup["input"], setup["features"], setup["output"], setup["vocab"]) == (
        "real",
        1,
        "value",
        None,
    )
    # The adding problem's spec is as it was.
    adding = make_task("adding", length=4)
    spec = model_spec(TrainConfig(task="adding"), adding, {})
    assert "input" not in spec and spec["note"].startswith("not a character model")


# --- Training ---------------------------------------------------------------------------------


def test_a_short_run_forecasts_a_sine_better_than_persistence():
    """150 updates of a 16-unit GRU (seed 0): the held-out MSE falls from 0.56 to about
    0.008, below the persistence forecast's 0.054 and its half, the threshold."""
    config = TrainConfig(
        task="series",
        series="sine",
        cell="gru",
        hidden_size=16,
        steps=150,
        record=False,
        estimate=False,
    )
    events = list(train(config))
    task = make_task("series", series="sine", seed=0)
    evals = [e.data for e in events if e.kind == "eval"]
    done = events[-1].data
    assert evals[0]["value"] > task.chance  # untrained it is worse than persistence
    assert done["reason"] == "finished" and done["updates"] == 150
    assert done["metric"] < task.chance / 5, (done["metric"], task.chance)
    assert done["solved"] and task.solved(done["metric"])
    # The metric is the mean squared error of the final weights on the held-out set.
    run = TrainingRun(config)
    run.module.load_state_dict(
        {n: torch.from_numpy(a) for n, a in done["model"]["state_dict"].items()}
    )
    held = task.held_out(0)
    with torch.no_grad():
        outputs = forward(run.module, torch.from_numpy(held.inputs)).double().numpy()
    mse = float(np.mean((outputs[..., 0] - held.targets.astype(np.float64)) ** 2))
    assert done["metric"] == pytest.approx(mse, rel=1e-9)
