"""The training loop: each task is learnt within its budget, the probe's gradient curve equals
plain autograd, clipping is torch's own, divergence and stop end a run cleanly, the events come
in the documented order, and the comparison mode reports what its runs found."""

from __future__ import annotations

import copy
import math
import threading

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from models.compare import CompareConfig, compare
from models.tasks import make_task
from models.training import (
    Event,
    TaskTensors,
    TrainConfig,
    TrainingRun,
    build_module,
    forward,
    train,
)
from tests.autograd_reference import grads, unroll

# One seeded run per task, stopped at its first solved eval. Updates it needs on this config
# (budget in brackets) and seconds on one core of a loaded 2-core machine, measured once:
# hello 50 (200) 0.3 s; corpus zen 75 (400) 1 s; adding T=30 400 (800) 3 s; recall D=10 125
# (400) 0.5 s; parity 20 bits ~150 (600) 1.5 s; brackets 12 150 (600) 2 s; series sine T=60
# 50 (300) 1.3 s.
BUDGETS = [
    ({"task": "hello"}, 200),
    ({"task": "corpus", "corpus": "zen"}, 400),
    ({"task": "adding", "length": 30}, 800),
    ({"task": "recall", "delay": 10}, 400),
    ({"task": "parity", "length": 20}, 600),
    ({"task": "brackets", "length": 12}, 600),
    ({"task": "series", "series": "sine", "length": 60}, 300),
]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As the server trains: one torch thread (tiny models gain nothing from more, and on a
    busy 2-core machine two threads can make training many times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_events(config: TrainConfig, stop: threading.Event | None = None) -> list[Event]:
    return list(train(config, stop))


def of_kind(events: list[Event], kind: str) -> list[dict]:
    return [e.data for e in events if e.kind == kind]


@pytest.mark.parametrize(("settings", "budget"), BUDGETS, ids=[s["task"] for s, _ in BUDGETS])
def test_each_task_reaches_its_threshold_within_its_budget(settings, budget):
    config = TrainConfig(**settings, steps=budget, record=False, stop_when_solved=True)
    events = run_events(config)
    done = of_kind(events, "done")[-1]
    task = make_task(config.task, config.delay, config.length, config.corpus)
    assert done["reason"] == "finished"
    assert done["solved"] and task.solved(done["metric"]), (done["metric"], task.threshold)
    assert done["updates"] < budget
    evals = of_kind(events, "eval")
    assert evals[0]["update"] == 0 and not evals[0]["solved"]  # it was not solved untrained
    assert evals[-1] == {
        "update": done["updates"],
        "metric": task.metric,
        "value": done["metric"],
        "solved": True,
    }


# --- The probe curve against plain autograd ---------------------------------------------------


def autograd_probe(module: torch.nn.RNNBase, task_name: str, parameter: int) -> tuple[list, list]:
    """Per layer: dL/dh_t and dL/dc_t on the task's probe, by a stepwise float64 autograd loop
    that retains every h_t's gradient; the loss written out from the task's definition."""
    task = make_task(task_name, parameter, parameter)
    probe = task.probe()
    if task.vocab is None:
        inputs = torch.from_numpy(probe.inputs[:, 0]).double()  # (T, 2)
    else:
        inputs = torch.eye(task.input_size, dtype=torch.float64)[probe.inputs[:, 0]]  # (T, V)
    outputs, hs, cs = unroll(module, list(inputs))  # outputs (T, O)
    targets = torch.from_numpy(np.asarray(probe.targets))
    if task.loss == "every_step":
        loss = torch.nn.functional.cross_entropy(outputs, targets[:, 0], reduction="sum")
    elif task.loss == "last_step":
        loss = torch.nn.functional.cross_entropy(outputs[-1:], targets)
    elif task.loss == "every_value":  # the next value at every step, summed
        loss = ((outputs[:, 0] - targets[:, 0].double()) ** 2).sum()
    else:
        loss = (outputs[-1, 0] - targets[0].double()) ** 2
    loss.backward()
    return [grads(layer) for layer in hs], [grads(layer) for layer in cs if layer]


def assert_same_log_norms(ours: np.ndarray, reference: torch.Tensor) -> None:
    with np.errstate(divide="ignore"):
        expected = np.log10(reference.norm(dim=1).numpy())  # (T,)
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert finite.any()
    assert_close(
        torch.from_numpy(ours[finite]), torch.from_numpy(expected[finite]), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
@pytest.mark.parametrize(
    ("task_name", "parameter"),
    [
        ("recall", 6),
        ("parity", 7),
        ("adding", 9),
        ("hello", 0),
        ("surnames", 0),
        ("sentiment", 0),
        ("series", 9),
    ],
)
def test_probe_curve_equals_plain_autograd(task_name, parameter, cell, num_layers):
    config = TrainConfig(
        task=task_name,
        delay=parameter,
        length=parameter,
        cell=cell,
        num_layers=num_layers,
        hidden_size=6,
        steps=15,
        probe_every=15,
        snapshot_every=15,
        lstm_init="pytorch",
    )
    run = TrainingRun(config)
    events = list(run.events())
    probe = of_kind(events, "probe")[-1]
    assert probe["update"] == 15  # measured on trained weights, not the initial ones
    reference_h, reference_c = autograd_probe(
        copy.deepcopy(run.module).double(), task_name, parameter
    )
    for k in range(num_layers):
        assert_same_log_norms(probe["grad_h"][k], reference_h[k])
        if cell in ("lstm", "peephole"):
            assert_same_log_norms(probe["grad_c"][k], reference_c[k])
    assert (probe["grad_c"] is None) == (cell not in ("lstm", "peephole"))
    if task_name in ("recall", "adding"):  # the loss is at the last step only
        assert probe["grad_h"][-1][-1] > -math.inf


def test_probe_reports_an_exactly_zero_gradient_as_minus_infinity():
    """A relu RNN whose units are all dead passes back exactly nothing."""
    config = TrainConfig(task="recall", delay=3, cell="rnn", nonlinearity="relu", hidden_size=4)
    run = TrainingRun(config)
    with torch.no_grad():
        for name, param in run.module.named_parameters():
            if name.startswith(("bias", "weight_hh")):
                param.fill_(-1.0 if name.startswith("bias") else 0.0)
    probe = run.measure.probe()
    assert np.isneginf(probe.grad_h[0][:-1]).all()  # h_t = relu(-2 + ...) = 0 before the cue
    assert np.isfinite(probe.grad_h[0][-1])  # the last step still reaches the loss


# --- Clipping, divergence, stop, time limit -----------------------------------------------------


def one_update_by_hand(config: TrainConfig, clip) -> tuple[dict[str, torch.Tensor], float]:
    """The weights after update 1 and ||g|| before clipping, from a plain PyTorch update with
    torch's own clipping function, on the same initial weights and batch."""
    task = make_task(config.task, config.delay, config.length)
    module = build_module(config, task)
    tensors = TaskTensors(task)
    batch = task.batch(np.random.default_rng((config.seed, 0)), config.batch_size)
    tensors.loss(forward(module, tensors.inputs(batch)), batch).backward()
    params = list(module.parameters())
    norm = float(torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in params])))
    clip(params)
    with torch.no_grad():
        for p in params:
            p -= config.lr * p.grad
    return {name: t.detach() for name, t in module.state_dict().items()}, norm


@pytest.mark.parametrize(
    ("clip", "threshold", "torch_clip", "clips"),
    [
        ("norm", 0.05, lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.05), True),
        ("norm", 1e4, lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1e4), False),
        ("value", 0.01, lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.01), True),
        ("off", 1.0, lambda ps: None, False),
    ],
)
def test_clipping_is_torchs_own(clip, threshold, torch_clip, clips):
    config = TrainConfig(
        task="recall",
        delay=4,
        cell="gru",
        optimizer="sgd",
        lr=0.5,
        steps=1,
        clip=clip,
        clip_threshold=threshold,
    )
    events = run_events(config)
    expected, norm = one_update_by_hand(config, torch_clip)
    progress = of_kind(events, "progress")[-1]
    assert progress["update"] == 1 and progress["clipped"] is clips
    assert progress["grad_norm"] == pytest.approx(norm, rel=1e-5)
    weights = of_kind(events, "done")[-1]["model"]["state_dict"]
    for name, tensor in expected.items():
        widened = weights[name]  # float32 weights written as float64, exactly
        np.testing.assert_array_equal(widened.astype(np.float32).astype(np.float64), widened)
        assert_close(torch.from_numpy(widened).float(), tensor)
    if clips and clip == "norm":
        assert norm > threshold


def test_value_clipping_bounds_every_entry():
    config = TrainConfig(
        task="adding",
        length=6,
        cell="rnn",
        optimizer="sgd",
        lr=1.0,
        steps=1,
        clip="value",
        clip_threshold=1e-3,
    )
    task = make_task("adding", length=6)
    before = {n: t.detach().clone() for n, t in build_module(config, task).state_dict().items()}
    after = of_kind(run_events(config), "done")[-1]["model"]["state_dict"]
    for name, tensor in before.items():
        step = torch.from_numpy(after[name]) - tensor
        assert step.abs().max() <= 1e-3 + 1e-6  # float32 rounding of w - step


def test_a_huge_learning_rate_diverges_with_the_update_number():
    config = TrainConfig(
        task="adding",
        length=30,
        cell="rnn",
        nonlinearity="relu",
        optimizer="sgd",
        lr=2.0,
        steps=300,
    )
    events = run_events(config)
    kinds = [e.kind for e in events]
    assert kinds[-2:] == ["diverged", "done"]
    diverged, done = of_kind(events, "diverged")[0], of_kind(events, "done")[0]
    k = diverged["update"]
    assert diverged["message"].startswith(f"diverged at update {k}: the loss is ")
    assert "learning rate 2.0" in diverged["message"]
    assert done["reason"] == "diverged" and done["updates"] == k - 1
    losses = [loss for p in of_kind(events, "progress") for loss in p["losses"]]
    assert len(losses) == k  # one per update attempted
    assert all(math.isfinite(loss) for loss in losses[:-1]) and not math.isfinite(losses[-1])
    # Independently: the weights after k - 1 updates give a non-finite loss on batch k.
    task = make_task("adding", length=30)
    rng = np.random.default_rng((config.seed, 0))
    for _ in range(k - 1):
        task.batch(rng, config.batch_size)
    batch = task.batch(rng, config.batch_size)
    module = build_module(config, task)
    if done["model"] is not None:
        module.load_state_dict(
            {n: torch.from_numpy(a) for n, a in done["model"]["state_dict"].items()}
        )
        tensors = TaskTensors(task)
        with torch.no_grad():
            assert not torch.isfinite(tensors.loss(forward(module, tensors.inputs(batch)), batch))


def test_stop_ends_the_run_at_the_next_update_with_a_last_snapshot():
    stop = threading.Event()
    events: list[Event] = []
    stopped_at = None
    for event in train(TrainConfig(task="recall", delay=8, steps=5000), stop):
        events.append(event)
        if event.kind == "progress" and event.data["update"] >= 5 and stopped_at is None:
            stopped_at = event.data["update"]
            stop.set()
    done = of_kind(events, "done")[-1]
    assert done["reason"] == "stopped"
    assert done["updates"] == stopped_at  # no update after the flag was seen
    assert of_kind(events, "progress")[-1]["update"] == stopped_at
    assert of_kind(events, "snapshot")[-1]["update"] == stopped_at
    assert of_kind(events, "eval")[-1]["update"] == stopped_at
    assert done["model"] is not None


def test_time_limit_ends_the_run():
    events = run_events(TrainConfig(task="hello", steps=1000, time_limit=1e-9))
    done = of_kind(events, "done")[-1]
    assert done["reason"] == "time_limit" and done["updates"] == 0


# --- Events, model, initialisation ----------------------------------------------------------------


def test_events_come_in_order_and_cover_every_update():
    config = TrainConfig(
        task="parity",
        length=6,
        cell="gru",
        steps=100,
        probe_every=25,
        snapshot_every=50,
        progress_interval=0.0,
    )
    events = run_events(config)
    assert events[0].kind == "start" and events[-1].kind == "done"
    assert [e.kind for e in events[1:4]] == ["eval", "probe", "snapshot"]
    assert [d["update"] for d in of_kind(events, "eval")] == [0, 25, 50, 75, 100]
    assert [d["update"] for d in of_kind(events, "probe")] == [0, 25, 50, 75, 100]
    assert [d["update"] for d in of_kind(events, "snapshot")] == [0, 50, 100]
    covered = []
    for data in of_kind(events, "progress"):
        covered += range(data["first_update"], data["update"] + 1)
        assert (
            len(data["losses"])
            == len(data["grad_norms"])
            == data["update"] - data["first_update"] + 1
        )
    assert covered == list(range(1, 101))
    seen = 0
    for event in events:  # no measurement before the progress of its update
        if event.kind == "progress":
            seen = event.data["update"]
        elif event.kind in ("eval", "probe", "snapshot"):
            assert event.data["update"] <= seen
    start = events[0].data
    assert start["steps"] == 100 and start["estimated_seconds"] > 0
    assert start["probe"]["inputs"] == list(
        make_task("parity", length=6).text_of(make_task("parity", length=6).probe().inputs[:, 0])
    )


def test_snapshot_carries_the_probe_states_of_its_weights():
    config = TrainConfig(
        task="recall",
        delay=3,
        cell="lstm",
        hidden_size=5,
        steps=20,
        probe_every=10,
        snapshot_every=10,
    )
    run = TrainingRun(config)
    events = list(run.events())
    snapshot = of_kind(events, "snapshot")[-1]
    assert snapshot["update"] == 20
    module = build_module(config, make_task("recall", 3))
    module.load_state_dict({n: torch.from_numpy(a) for n, a in snapshot["state_dict"].items()})
    probe = run.task.probe()
    x = TaskTensors(run.task).inputs(probe).double()  # (T, 1, V)
    with torch.no_grad():
        h, _ = module.double()(x)
        probs = torch.softmax(module.get_submodule("readout")(h), dim=-1)
    assert_close(torch.from_numpy(snapshot["probe_h"]), h[:, 0])
    assert_close(torch.from_numpy(snapshot["probe_output"]), probs[:, 0])
    assert snapshot["probe_c"].shape == (5, 5)


def test_same_seed_same_model_other_seed_other_model():
    def weights(seed: int) -> dict[str, np.ndarray]:
        config = TrainConfig(task="brackets", length=6, cell="rnn", steps=20, seed=seed)
        return of_kind(run_events(config), "done")[-1]["model"]["state_dict"]

    first, again, other = weights(0), weights(0), weights(1)
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["weight_hh_l0"], other["weight_hh_l0"])


@pytest.mark.parametrize("init", ["chrono", "pytorch"])
def test_lstm_init_sets_forget_and_input_biases(init):
    size, steps = 16, 32
    config = TrainConfig(
        task="recall", delay=steps - 2, cell="lstm", hidden_size=size, num_layers=2, lstm_init=init
    )
    module = build_module(config, make_task("recall", delay=steps - 2))
    for layer in range(2):
        b_ih = getattr(module, f"bias_ih_l{layer}").detach()  # chunks i | f | g | o
        b_hh = getattr(module, f"bias_hh_l{layer}").detach()
        forget = b_ih[size : 2 * size] + b_hh[size : 2 * size]
        input_gate = b_ih[:size] + b_hh[:size]
        if init == "chrono":  # b_f = log u, u ~ U[1, T - 1]; b_i = -b_f
            assert ((forget >= 0) & (forget <= math.log(steps - 1) + 1e-6)).all()
            assert_close(input_gate, -forget)
            assert forget.std() > 0.3  # spread over time scales 1 .. T-1
        else:  # PyTorch's: every bias uniform in +-1/sqrt(H)
            bound = 1 / math.sqrt(size)
            assert (b_ih.abs() <= bound).all() and (b_hh.abs() <= bound).all()
            assert forget.abs().max() < 2 * bound


def test_the_adding_model_says_it_is_not_a_character_model():
    done = of_kind(run_events(TrainConfig(task="adding", length=5, steps=2)), "done")[-1]
    model = done["model"]
    assert (model["input_size"], model["output_size"]) == (2, 1) and "vocab" not in model
    assert "not a character model" in model["note"]
    assert model["state_dict"]["readout.weight"].shape == (1, 32)


# --- The comparison -----------------------------------------------------------------------------


def test_comparison_reports_what_its_runs_found():
    config = CompareConfig(cells=("rnn", "gru"), delays=(3, 1), seeds=2, steps=60, hidden_size=8)
    events = list(compare(config))
    assert [e.kind for e in events] == ["plan"] + ["run"] * 8 + ["done"]
    plan, done = events[0].data, events[-1].data
    assert plan["runs"] == 8 and plan["estimated_seconds"] > 0 and plan["delays"] == [1, 3]
    runs = of_kind(events, "run")
    assert [(r["delay"], r["seed"], r["cell"]) for r in runs] == [
        (d, s, c) for d in (1, 3) for s in (0, 1) for c in ("rnn", "gru")
    ]
    for cell in ("rnn", "gru"):
        expected = [
            sum(r["solved"] for r in runs if r["cell"] == cell and r["delay"] == d) / 2
            for d in (1, 3)
        ]
        assert done["success"][cell] == expected
    task = make_task("recall", delay=1)
    for r in runs:
        assert r["solved"] == task.solved(r["metric"])
        assert r["solved"] or r["updates"] == 60  # unsolved runs used their whole budget
    assert done["reason"] == "finished" and done["threshold"] == 0.95


def test_comparison_stops():
    stop = threading.Event()
    events = []
    for event in compare(CompareConfig(delays=(2, 3), seeds=1, steps=40, hidden_size=4), stop):
        events.append(event)
        if event.kind == "run":
            stop.set()
    done = events[-1].data
    assert done["reason"] == "stopped"
    assert len(of_kind(events, "run")) == 1
    assert None in done["success"]["lstm"]  # not every delay was measured
