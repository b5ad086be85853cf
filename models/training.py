"""Train a recurrent model on a lab task, live: a generator of events, with or without a server.

    from models.training import TrainConfig, train
    for event in train(TrainConfig(task="recall", delay=20, cell="gru")):
        print(event.kind, event.data.get("update"))

The model is `torch.nn.RNN/LSTM/GRU(input_size, hidden_size, num_layers)` with an `nn.Linear`
child called `readout`, in float32, trained with backpropagation through time by SGD or Adam on
the task's loss (`tasks.py`). Each update k = 1..steps:

    g = dL/dtheta on a fresh batch;   grad_norm = ||g||_2 (all parameters, before clipping)
    clip "norm":  g <- g * min(1, threshold / (||g|| + 1e-6))    (torch's clip_grad_norm_)
    clip "value": g <- clamp(g, -threshold, threshold)          (torch's clip_grad_value_)
    theta <- optimizer step

At update 0 (before training), every `probe_every` and `snapshot_every` updates and at the end
the run measures the held-out metric and, unless `record` is off, the exact per-step gradient
norms of the task's loss on the fixed probe sequence (`probe.py`, float64, scaled: log10 values
that never underflow). A non-finite loss or gradient ends the run ("diverged at update k");
`stop` (a threading.Event) and `time_limit` end it early; every run ends with a "done" event.

Events (`Event.kind`: data):
    start     task, model config, probe, steps, estimated_seconds
    progress  update, loss, grad_norm, clipped, elapsed, eta, and every update's values since
              the last progress event (first_update, losses, grad_norms, clipped_flags); at most
              one per `progress_interval` seconds, and always after the last update
    eval      update, metric, value, solved
    probe     update, loss, grad_h (per layer, (T,) log10), grad_c (LSTM) or None; the series
              task also its forecast on the probe series (`forecast`)
    snapshot  update, state_dict, metric, probe_h (T, H), probe_c, probe_output, grad_h, grad_c
              (and forecast, series task)
    diverged  update, message
    done      reason ("finished" | "stopped" | "time_limit" | "diverged"), updates, model, metric
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.forecast import free_running
from models.network import Network
from models.probe import ProbeResult, probe_gradients
from models.spec import Cell, Nonlinearity, has_cell_state, make_spec
from models.tasks import Batch, Task, make_task
from models.torch_model import TORCH_CLASSES

TaskName = Literal[  # TASK_NAMES
    "hello", "corpus", "adding", "recall", "parity", "brackets", "surnames", "sentiment", "series"
]
Optimizer = Literal["sgd", "adam"]
Clip = Literal["off", "norm", "value"]
LstmInit = Literal["pytorch", "chrono"]
Reason = Literal["finished", "stopped", "time_limit", "diverged"]
CLIP_EPS = 1e-6  # clip_grad_norm_ divides by ||g|| + 1e-6


@dataclass(frozen=True)
class TrainConfig:
    task: TaskName = "hello"
    corpus: str = "zen"  # the corpus of task "corpus"
    series: str = "sine"  # the kind of task "series": walk | sine | square | sawtooth
    delay: int | None = None  # recall: distractor steps D (None: the task's default)
    length: int | None = None  # adding, parity, brackets, corpus, series: steps T (None: default)
    cell: Cell = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    nonlinearity: Nonlinearity = "tanh"  # vanilla RNN only
    lstm_init: LstmInit = "chrono"  # LSTM gate biases: PyTorch's uniform, or chrono init
    optimizer: Optimizer = "adam"
    lr: float = 0.01
    clip: Clip = "off"
    clip_threshold: float = 1.0  # max norm ("norm") or max |entry| ("value")
    steps: int = 500  # optimizer updates
    batch_size: int = 32  # sequences per update
    seed: int = 0  # weights, training data and held-out data
    probe_every: int = 25  # held-out metric and probe gradient curve every N updates
    snapshot_every: int = 50  # weights for the replay scrubber every N updates
    record: bool = True  # False: evals only, no probe curves or snapshots (comparison runs)
    stop_when_solved: bool = False  # end at the first eval that solves the task
    estimate: bool = True  # time a few throwaway updates first, for start's estimated_seconds
    time_limit: float | None = None  # seconds of wall time; None: no limit
    progress_interval: float = 0.05  # seconds between progress events (~20 per second)


@dataclass(frozen=True)
class Event:
    kind: str  # start | progress | eval | probe | snapshot | diverged | done
    data: dict[str, Any]


# --- The model ---------------------------------------------------------------------------------


def build_module(config: TrainConfig, task: Task) -> nn.Module:
    """`nn.RNN/LSTM/GRU(task.input_size, H, L)` (or `PeepholeLSTM`) with a `readout`
    Linear(H, task.output_size).

    Weights are drawn from the run's own NumPy generator with PyTorch's default distribution
    (every parameter uniform in +-1/sqrt(H); the readout's fan-in is H too), so concurrent runs
    never share the global torch RNG. With `lstm_init="chrono"` (Tallec & Ollivier 2018), every
    LSTM layer's forget-gate bias is log(u), u ~ U[1, T - 1], and its input-gate bias -log(u):
    the forget gate starts at sigmoid(log u) = u / (1 + u), keeping memories for about u steps,
    where PyTorch's default (bias near 0, f near 0.5) halves them every step. The peephole LSTM
    is an LSTM here too: it takes the same gate biases, and its peepholes the uniform draw.
    """
    kwargs: dict[str, Any] = {"nonlinearity": config.nonlinearity} if config.cell == "rnn" else {}
    size = config.hidden_size
    module = TORCH_CLASSES[config.cell](task.input_size, size, config.num_layers, **kwargs)
    module.readout = nn.Linear(size, task.output_size)
    rng = np.random.default_rng((config.seed, 2))
    bound = 1.0 / math.sqrt(size)
    with torch.no_grad():
        for _, param in sorted(module.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-bound, bound, size=tuple(param.shape))))
        if has_cell_state(config.cell) and config.lstm_init == "chrono":
            horizon = max(task.length, 2)  # T: the longest dependency the task can have
            for k in range(config.num_layers):
                forget = torch.from_numpy(np.log(rng.uniform(1.0, horizon - 1.0, size=size)))
                bias_ih, bias_hh = (getattr(module, f"bias_{m}_l{k}") for m in ("ih", "hh"))
                bias_hh[: 2 * size] = 0.0  # chunks i | f | g | o: b_i and b_f sit in bias_ih
                bias_ih[size : 2 * size] = forget
                bias_ih[:size] = -forget
    return module


def model_config(config: TrainConfig, task: Task) -> dict[str, Any]:
    """The model being trained (a series model also says its kind, as its spec will)."""
    setup = {
        "cell": config.cell,
        "hidden_size": config.hidden_size,
        "num_layers": config.num_layers,
        "nonlinearity": config.nonlinearity,
        "lstm_init": config.lstm_init if has_cell_state(config.cell) else None,
        "input_size": task.input_size,
        "output_size": task.output_size,
        "vocab": list(task.vocab) if task.vocab is not None else None,
        "classes": list(task.classes) if task.classes else None,
    }
    return {**setup, **SERIES_KIND} if task.loss == "every_value" else setup


SERIES_KIND = {"input": "real", "features": 1, "output": "value"}  # a series model (`spec.py`)


def model_spec(config: TrainConfig, task: Task, state_dict: dict[str, np.ndarray]) -> dict:
    """The trained model as a model spec that /api/trace accepts (`models/spec.py`: cell,
    vocab, hidden_size, num_layers, nonlinearity and the state_dict in PyTorch's names, the
    readout as `readout.weight`, `readout.bias`); a class task's model is a classifier (output
    "class" and its classes); the series task's is a series model (input "real", one feature,
    output "value", no vocabulary); the adding problem's real-valued model carries input_size
    and output_size instead of vocab."""
    spec: dict[str, Any] = {
        "cell": config.cell,
        "hidden_size": config.hidden_size,
        "num_layers": config.num_layers,
        "nonlinearity": config.nonlinearity,
        "state_dict": state_dict,
    }
    if task.classes:  # a classifier: the readout scores the classes
        classes = list(task.classes)
        return {**spec, "vocab": list(task.vocab or ()), "output": "class", "classes": classes}
    if task.vocab is not None:
        return {**spec, "vocab": list(task.vocab)}
    if task.loss == "every_value":
        return {**spec, "vocab": [], **SERIES_KIND}
    return {
        **spec,
        "input_size": task.input_size,
        "output_size": task.output_size,
        "note": "not a character model: it reads (value, marker) pairs and outputs one number, "
        "so /explore and /hello cannot open it",
    }


def state_arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """The float32 weights widened to float64 (exactly), PyTorch names. Widened, their JSON
    digits give back the very same numbers in float64 (/api/trace) and in float32; float32's
    shortest digits would be other numbers to a float64 reader."""
    return {name: t.detach().numpy().astype(np.float64) for name, t in module.state_dict().items()}


# --- Data and loss -----------------------------------------------------------------------------


class TaskTensors:
    """Turns a task's batches into float32 tensors: one-hot characters or real inputs."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.eye = torch.eye(task.input_size)  # (V, V) one-hot rows

    def inputs(self, batch: Batch) -> torch.Tensor:
        """(T, B, I) float32."""
        if self.task.vocab is None:
            return torch.from_numpy(batch.inputs)
        return self.eye[torch.from_numpy(batch.inputs)]

    def loss(self, outputs: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The task's loss, averaged over the batch (and over steps for every_step and
        every_value)."""
        targets = torch.from_numpy(batch.targets)
        if self.task.loss == "every_step":
            return F.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1))
        if self.task.loss == "last_step":
            return F.cross_entropy(outputs[-1], targets)
        if self.task.loss == "every_value":
            return F.mse_loss(outputs[..., 0], targets)  # mean over (T, B)
        return F.mse_loss(outputs[-1, :, 0], targets)


def forward(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Outputs (T, B, O) of the readout over every step."""
    hidden, _ = module(x)
    readout: nn.Module = module.get_submodule("readout")
    outputs: torch.Tensor = readout(hidden)
    return outputs


def make_optimizer(config: TrainConfig, module: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(module.parameters(), lr=config.lr)
    return torch.optim.SGD(module.parameters(), lr=config.lr)


def clip_gradients(config: TrainConfig, params: list[nn.Parameter]) -> tuple[float, bool]:
    """Measure ||g|| before clipping, clip as configured; return (||g||, whether it clipped)."""
    if config.clip == "norm":
        norm = float(nn.utils.clip_grad_norm_(params, config.clip_threshold))
        return norm, config.clip_threshold / (norm + CLIP_EPS) < 1.0
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(nn.utils.get_total_norm(grads))
    if config.clip == "off":
        return norm, False
    clipped = bool(max(float(g.abs().max()) for g in grads) > config.clip_threshold)
    nn.utils.clip_grad_value_(params, config.clip_threshold)
    return norm, clipped


# --- Measurements ------------------------------------------------------------------------------


def task_payload(task: Task) -> dict[str, Any]:
    return {
        "name": task.name,
        "title": task.title,
        "description": task.description,
        "loss": task.loss,
        "metric": task.metric,
        "threshold": task.threshold,
        "higher_is_better": task.higher_is_better,
        "chance": task.chance,
        "chance_note": task.chance_note,
        "length": task.length,
        "parameters": task.parameters,
        "vocab": list(task.vocab) if task.vocab is not None else None,
        "classes": list(task.classes) if task.classes else None,
    }


def probe_payload(task: Task) -> dict[str, Any]:
    probe = task.probe()
    if task.loss == "every_value":  # the next value at every step
        targets: Any = probe.targets[:, 0].astype(float).tolist()
        description = task.probe_description
        return {"inputs": task.probe_inputs(), "targets": targets, "description": description}
    target = probe.targets[:, 0] if task.loss == "every_step" else probe.targets[0]
    labels = task.classes or task.vocab  # what a target index names
    targets = float(target) if labels is None else [labels[i] for i in np.atleast_1d(target)]
    description = task.probe_description
    return {"inputs": task.probe_inputs(), "targets": targets, "description": description}


class Measure:
    """The held-out metric and the probe curves of the model's current weights."""

    def __init__(self, config: TrainConfig, task: Task, module: nn.Module) -> None:
        self.config, self.task, self.module = config, task, module
        self.tensors = TaskTensors(task)
        self.held_out = task.held_out(config.seed)
        self.held_out_x = self.tensors.inputs(self.held_out)
        probe = task.probe()
        self.probe_x = self.tensors.inputs(probe)[:, 0].double().numpy()  # (T, I)
        every_step = task.loss in ("every_step", "every_value")
        self.probe_targets = probe.targets[:, 0] if every_step else probe.targets[0]

    def metric(self) -> float:
        with torch.no_grad():
            outputs = forward(self.module, self.held_out_x)
        return self.task.metric_of(outputs.numpy(), self.held_out)

    def probe(self) -> ProbeResult:
        weights = state_arrays(self.module)
        return probe_gradients(
            self.config.cell,
            self.config.nonlinearity,
            weights,
            self.probe_x,
            self.task.loss,
            self.probe_targets,
        )

    def forecast(self) -> dict[str, Any] | None:
        """The series task's forecast on its probe series (`forecast`); None for other tasks."""
        if self.task.loss != "every_value":
            return None
        actual = np.append(self.probe_x[:, 0], self.probe_targets[-1])  # x_0 .. x_T
        return forecast(self.config, self.module, actual, len(actual) // 2)


def forecast(
    config: TrainConfig, module: nn.Module, actual: np.ndarray, start: int
) -> dict[str, Any]:
    """A series model's forecasts of the series x_0 .. x_T (`actual`, (T + 1,)), by the engine
    in float64 from the current weights (`models/forecast.py`):

        one_step      y_0 .. y_{T-1}: y_t forecasts x_{t+1} having read the actual x_0 .. x_t
                      (teacher forced, as in training)
        free_running  forecasts of x_k .. x_T (k = `start`, 1 <= k <= T): the model reads the
                      actual x_0 .. x_{k-1}, then its own last forecast as its next input

    The first free-running value is one_step's y_{k-1}; after it, errors feed back.
    """
    steps = len(actual) - 1  # T
    assert 1 <= start <= steps, f"start is {start}; it must be between 1 and {steps}"
    spec = make_spec(
        config.cell,
        [],
        config.hidden_size,
        config.num_layers,
        config.nonlinearity,
        input="real",
        output="value",
        features=1,
    )
    net = Network(spec, state_arrays(module))
    values = np.asarray(actual, dtype=np.float64)[:, None]  # (T + 1, 1)
    _, one_step = net.forward(values[:-1])  # (T, 1)
    return {
        "actual": values[:, 0],
        "one_step": one_step[:, 0],
        "free_running": free_running(net, values, start, steps - start + 1)[:, 0],  # (T - k + 1,)
        "start": start,
    }


# --- The loop ----------------------------------------------------------------------------------


def estimate_update_seconds(
    config: TrainConfig, task: Task | None = None, stop: threading.Event | None = None
) -> tuple[float, float]:
    """Seconds of one update and of one measurement (eval, and probe when recording), timed on
    this machine with throwaway weights and data (the run's own data stream is not touched).
    A set `stop` cuts the timing short after the first update: the run is over before it began.
    """
    task = task or config_task(config)
    module = build_module(config, task)
    optimizer = make_optimizer(config, module)
    tensors = TaskTensors(task)
    rng = np.random.default_rng((config.seed, 3))
    params = list(module.parameters())
    measure = Measure(config, task, module)
    start = time.perf_counter()
    measure.metric()
    if config.record:
        measure.probe()
        measure.forecast()
    measurement = time.perf_counter() - start
    times = []
    for _ in range(3):  # the first pass warms up; keep the faster of the next two
        start = time.perf_counter()
        batch = task.batch(rng, config.batch_size)
        loss = tensors.loss(forward(module, tensors.inputs(batch)), batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_gradients(config, params)
        loss.item()
        optimizer.step()
        times.append(time.perf_counter() - start)
        if stop is not None and stop.is_set():
            break
    return min(times[1:] or times), measurement


def measurement_updates(config: TrainConfig) -> list[int]:
    """Updates after which the run measures: 0, every probe/snapshot interval, the last."""
    every = [config.probe_every] + ([config.snapshot_every] if config.record else [])
    return sorted({0, config.steps} | {k for n in every for k in range(n, config.steps + 1, n)})


def estimated_seconds(
    config: TrainConfig, task: Task | None = None, stop: threading.Event | None = None
) -> float:
    update, measurement = estimate_update_seconds(config, task, stop)
    return config.steps * update + len(measurement_updates(config)) * measurement


def train(config: TrainConfig, stop: threading.Event | None = None) -> Iterator[Event]:
    """Train as configured, yielding events (module docstring); `stop` ends the run early."""
    return TrainingRun(config, stop).events()


class TrainingRun:
    """One run's model, optimiser, data stream and measurements."""

    def __init__(self, config: TrainConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.task = config_task(config)
        self.stop = stop or threading.Event()
        self.module = build_module(config, self.task)
        self.params = list(self.module.parameters())
        self.optimizer = make_optimizer(config, self.module)
        self.tensors = TaskTensors(self.task)
        self.measure = Measure(config, self.task, self.module)
        self.rng = np.random.default_rng((config.seed, 0))  # the training data stream
        self.measure_at = set(measurement_updates(config))
        self.update = 0  # optimizer updates applied so far
        self.metric = math.nan  # the latest held-out metric
        self.probe: ProbeResult | None = None  # the latest probe (None when not recording)
        self.forecast: dict[str, Any] | None = None  # the latest forecast (series task)
        self.measured_at = -1  # the update of the latest eval
        self.snapshot_at = -1  # the update of the latest snapshot
        self.start = time.monotonic()

    def events(self) -> Iterator[Event]:
        config, task = self.config, self.task
        estimate = estimated_seconds(config, task, self.stop) if config.estimate else None
        yield Event(
            "start",
            {
                "task": task_payload(task),
                "model": model_config(config, task),
                "probe": probe_payload(task),
                "steps": config.steps,
                "estimated_seconds": estimate,
                "config": asdict(config),
            },
        )
        self.start = time.monotonic()
        try:
            yield from self.measurements(0)
            reason = yield from self.updates()
            if reason != "diverged":
                yield from self.measurements(self.update, final=True)
        except FloatingPointError as overflow:  # the probe left float64 (ProbeOverflow, Scaled)
            reason = "diverged"
            message = f"diverged at update {self.update}: {overflow}"
            yield Event("diverged", {"update": self.update, "message": message})
        weights = state_arrays(self.module)
        finite = all(np.isfinite(a).all() for a in weights.values())
        yield Event(
            "done",
            {
                "reason": reason,
                "updates": self.update,
                "model": model_spec(config, task, weights) if finite else None,
                "metric": self.metric,
                "solved": task.solved(self.metric),
                "seconds": time.monotonic() - self.start,
            },
        )

    def updates(self) -> Generator[Event, None, Reason]:
        """Optimizer updates until `steps` (or stop, time limit, divergence); says why it ended."""
        config, task, tensors = self.config, self.task, self.tensors
        progress = Progress(config, self.start)
        while self.update < config.steps:
            if self.stop.is_set():
                yield from progress.flush(self.update)
                return "stopped"
            if config.time_limit is not None and time.monotonic() - self.start > config.time_limit:
                yield from progress.flush(self.update)
                return "time_limit"
            batch = task.batch(self.rng, config.batch_size)
            loss = tensors.loss(forward(self.module, tensors.inputs(batch)), batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm, clipped = clip_gradients(config, self.params)
            loss_value = loss.item()
            attempt = self.update + 1
            progress.add(attempt, loss_value, grad_norm, clipped)
            if not (math.isfinite(loss_value) and math.isfinite(grad_norm)):
                yield from progress.flush(attempt)
                message = divergence(config, attempt, loss_value, grad_norm)
                yield Event("diverged", {"update": attempt, "message": message})
                return "diverged"
            self.optimizer.step()
            self.update = attempt
            if progress.due() or attempt in self.measure_at:
                yield from progress.flush(attempt)
            if attempt in self.measure_at:
                yield from self.measurements(attempt, final=attempt == config.steps)
                if config.stop_when_solved and task.solved(self.metric):
                    break
        return "finished"

    def measurements(self, update: int, final: bool = False) -> Iterator[Event]:
        """Eval and probe at `update` (once), and a snapshot when one is due or `final`."""
        if self.measured_at != update:
            yield from self.eval_and_probe(update)
        due = final or update % self.config.snapshot_every == 0
        if self.probe is None or self.snapshot_at == update or not due:
            return
        self.snapshot_at = update
        snapshot = {
            "update": update,
            "state_dict": state_arrays(self.module),
            "metric": self.metric,
            "probe_h": self.probe.h[-1],
            "probe_c": self.probe.c[-1] if self.probe.c is not None else None,
            "probe_output": self.probe.outputs,
            "grad_h": self.probe.grad_h,
            "grad_c": self.probe.grad_c,
        }
        forecast = {"forecast": self.forecast} if self.forecast is not None else {}
        yield Event("snapshot", {**snapshot, **forecast})

    def eval_and_probe(self, update: int) -> Iterator[Event]:
        self.measured_at = update
        self.metric = self.measure.metric()
        solved = self.task.solved(self.metric)
        yield Event(
            "eval",
            {"update": update, "metric": self.task.metric, "value": self.metric, "solved": solved},
        )
        if not self.config.record:
            return
        self.probe = probe = self.measure.probe()
        self.forecast = self.measure.forecast()
        data = {
            "update": update,
            "loss": probe.loss,
            "grad_h": probe.grad_h,
            "grad_c": probe.grad_c,
        }
        forecast = {"forecast": self.forecast} if self.forecast is not None else {}
        yield Event("probe", {**data, **forecast})


def config_task(config: TrainConfig) -> Task:
    """The task a config names, with its parameter, corpus or series, and seed."""
    return make_task(
        config.task,
        config.delay,
        config.length,
        config.corpus,
        series=config.series,
        seed=config.seed,
    )


def divergence(config: TrainConfig, update: int, loss: float, grad_norm: float) -> str:
    bad = loss if not math.isfinite(loss) else grad_norm
    value = "NaN" if math.isnan(bad) else "infinite"
    what = f"the loss is {value}" if not math.isfinite(loss) else f"the gradient norm is {value}"
    advice = "lower the learning rate" + (
        "" if config.clip != "off" else " or turn on gradient clipping"
    )
    return (
        f"diverged at update {update}: {what}; the learning rate {config.lr} is too large "
        f"for {config.optimizer} on this task: {advice}"
    )


class Progress:
    """Per-update loss and gradient norm, sent in batches at most every `progress_interval`."""

    def __init__(self, config: TrainConfig, start: float) -> None:
        self.config = config
        self.start = start
        self.last_sent = start
        self.first_update = 1
        self.losses: list[float] = []
        self.grad_norms: list[float] = []
        self.clipped: list[bool] = []

    def add(self, update: int, loss: float, grad_norm: float, clipped: bool) -> None:
        if not self.losses:
            self.first_update = update
        self.losses.append(loss)
        self.grad_norms.append(grad_norm)
        self.clipped.append(clipped)

    def flush(self, update: int) -> Iterator[Event]:
        """A progress event with everything since the last one, if there is anything."""
        if self.losses:
            yield self.event(update)

    def due(self) -> bool:
        return time.monotonic() - self.last_sent >= self.config.progress_interval

    def event(self, update: int) -> Event:
        now = time.monotonic()
        elapsed = now - self.start
        data = {
            "update": update,
            "loss": self.losses[-1],
            "grad_norm": self.grad_norms[-1],
            "clipped": self.clipped[-1],
            "elapsed": elapsed,
            "eta": elapsed / update * (self.config.steps - update) if update else None,
            "first_update": self.first_update,
            "losses": self.losses,
            "grad_norms": self.grad_norms,
            "clipped_flags": self.clipped,
        }
        self.last_sent = now
        self.losses, self.grad_norms, self.clipped = [], [], []
        return Event("progress", data)
