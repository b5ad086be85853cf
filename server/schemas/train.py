"""Schemas of the training lab: `POST /api/train`, `POST /api/train/compare`,
`POST /api/train/compare/estimate` and `GET /api/train/tasks`.

`POST /api/train` and `POST /api/train/compare` answer `text/event-stream`: each event is
`event: <name>` and one `data:` line holding one strict JSON object (NaN and infinity are
null; what null means is said per field), then a blank line. Lines starting with ":" are
keep-alive comments. A request the server refuses (bad input 422, or 429 with Retry-After when
every training slot of the worker is taken and its queue is full) is answered with JSON before
any event.

A request that finds every slot taken waits its turn, first come first served, with its stream
open: `queued` events tell its place (1 = next) and an estimated wait, each time its place
changes and every 2 s, until its run starts. Closing the connection meanwhile leaves the queue
at once; those behind move up. Both streams may begin with them.

A training stream, in order:

    queued ...                  only while it waits for a training slot
    start                       once
    eval, probe, snapshot       the untrained model (update 0)
    progress ...                every update's loss, coalesced to at most ~20 events a second;
                                always one for the update that a measurement follows
    eval, probe                 every `probe_every` updates, at every snapshot, and at the end
    snapshot                    every `snapshot_every` updates and at the end
    diverged                    only if the loss or gradient became NaN or infinite
    done                        always last, unless `error` ends the stream instead

A comparison stream: `queued` while it waits, `plan`, one `run` per finished training run,
`done` (`error` as above).

Closing the connection (the page's Stop button aborts the fetch) stops the run within a
second; nothing keeps computing for a client that has gone. A client that reads too slowly is
dropped the same way: the events waiting for it are bounded in bytes (`stream_buffer_bytes`),
the run waits while they are full, and when they stay full for `stream_stall_seconds` the run
stops, the unsent events are discarded and an `error` event ends the stream.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.compare import CompareConfig
from models.series import SERIES_KINDS
from models.spec import Cell
from models.training import TaskName, TrainConfig
from server.schemas.core import LogNorms, Matrix, TensorJSON

# --- Requests ------------------------------------------------------------------------------------


class TrainRequest(BaseModel):
    """One training run. Every field has a default, so `{}` trains an LSTM on hello."""

    # "5" or 5.5 is not an int, and a misspelt setting is an error, not silently ignored.
    # Every default is read from the engine's TrainConfig: one source (tests/test_defaults.py).
    model_config = ConfigDict(strict=True, extra="forbid")

    task: TaskName = Field(TrainConfig.task, description="what to learn (GET /api/train/tasks)")
    corpus: str = Field(
        TrainConfig.corpus,
        max_length=100,
        description="task 'corpus': which corpus (GET /api/train/tasks)",
    )
    series: str = Field(
        TrainConfig.series,
        max_length=100,
        description="task 'series': which generated series the model forecasts (GET "
        f"/api/train/tasks): {', '.join(SERIES_KINDS)}",
        json_schema_extra={"enum": list(SERIES_KINDS)},
    )
    delay: int | None = Field(
        TrainConfig.delay,
        ge=0,
        description="task 'recall': distractor steps D; null: the task's default",
    )
    length: int | None = Field(
        TrainConfig.length,
        ge=1,
        description="tasks 'adding', 'parity', 'brackets', 'corpus', 'series': sequence length "
        "T; "
        "null: the task's default. A parameter the task does not take is ignored",
    )
    cell: Cell = Field(TrainConfig.cell, description="recurrent cell")
    hidden_size: int = Field(TrainConfig.hidden_size, ge=1, description="hidden units per layer")
    num_layers: int = Field(TrainConfig.num_layers, ge=1, description="stacked recurrent layers")
    nonlinearity: Literal["tanh", "relu"] = Field(
        TrainConfig.nonlinearity, description="the vanilla RNN's"
    )
    lstm_init: Literal["pytorch", "chrono"] = Field(
        TrainConfig.lstm_init,
        description="LSTM gate biases: 'pytorch' keeps torch's uniform init (forget gate near "
        "0.5, memories halve every step); 'chrono' (Tallec & Ollivier 2018) sets each forget "
        "bias to log(u), u ~ U[1, T-1], and the input bias to -log(u)",
    )
    optimizer: Literal["sgd", "adam"] = Field(
        TrainConfig.optimizer, description="torch.optim.SGD or Adam"
    )
    lr: float = Field(TrainConfig.lr, gt=0, le=1e6, description="learning rate")
    clip: Literal["off", "norm", "value"] = Field(
        TrainConfig.clip,
        description="gradient clipping: 'norm' rescales g to the threshold when ||g|| exceeds "
        "it (clip_grad_norm_), 'value' clamps every entry to +-threshold (clip_grad_value_)",
    )
    clip_threshold: float = Field(
        TrainConfig.clip_threshold, gt=0, le=1e6, description="max norm or max |entry|"
    )
    steps: int = Field(TrainConfig.steps, ge=1, description="optimizer updates")
    batch_size: int = Field(TrainConfig.batch_size, ge=1, description="sequences per update")
    seed: int = Field(TrainConfig.seed, ge=0, le=2**31 - 1, description="seed of weights and data")
    probe_every: int = Field(
        TrainConfig.probe_every,
        ge=1,
        description="held-out metric and probe gradient curve every N updates",
    )
    snapshot_every: int = Field(
        TrainConfig.snapshot_every,
        ge=1,
        description="weight snapshots for the replay scrubber every N updates",
    )


class CompareRequest(BaseModel):
    """RNN vs LSTM vs GRU across delays: `seeds` training runs per cell and delay."""

    model_config = ConfigDict(strict=True, extra="forbid")
    # Every default is read from the engine's CompareConfig: one source (tests/test_defaults.py).

    task: Literal["recall", "adding"] = Field(
        CompareConfig.task,
        description="delayed recall (delay = D) or the adding problem (delay = T)",
    )
    cells: list[Cell] = Field(
        list(CompareConfig.cells), min_length=1, max_length=3, description="cells to compare"
    )
    delays: list[int] = Field(
        list(CompareConfig.delays),
        min_length=1,
        max_length=10,
        description="recall: distractor steps D; adding: sequence lengths T",
    )
    seeds: int = Field(
        CompareConfig.seeds, ge=1, le=10, description="runs per cell and delay (seeds 0, 1, ...)"
    )
    steps: int = Field(CompareConfig.steps, ge=1, description="update budget of each run")
    hidden_size: int = Field(CompareConfig.hidden_size, ge=1, description="hidden units")
    lr: float = Field(CompareConfig.lr, gt=0, le=10, description="Adam's learning rate")

    @field_validator("cells")
    @classmethod
    def distinct_cells(cls, cells: list[str]) -> list[str]:
        if len(set(cells)) != len(cells):
            raise ValueError(f"cells repeats a cell: {cells}")
        return cells

    @field_validator("delays")
    @classmethod
    def distinct_delays(cls, delays: list[int]) -> list[int]:
        if len(set(delays)) != len(delays):
            raise ValueError(f"delays repeats a delay: {delays}")
        return delays


# --- The task catalogue ----------------------------------------------------------------------


class TaskParameterOut(BaseModel):
    name: Literal["delay", "length"] = Field(description="the request field that sets it")
    default: int = Field(description="its value when the request leaves it out")
    minimum: int = Field(description="smallest value")
    maximum: int = Field(description="largest value (the server's sequence-length limit)")
    meaning: str = Field(description="what it is")


class TaskInfo(BaseModel):
    name: TaskName = Field(description="the request's `task`")
    title: str = Field(description="short name")
    description: str = Field(description="what the network must do (at the default parameter)")
    parameter: TaskParameterOut | None = Field(description="delay or length; null for hello")
    loss: Literal["every_step", "last_step", "last_value", "every_value"] = Field(
        description="cross-entropy at every step or at the last step, or squared error at the "
        "last step or at every step (the series task's one-step-ahead forecasts)"
    )
    metric: Literal["accuracy", "bits_per_char", "mse"] = Field(description="the held-out metric")
    higher_is_better: bool = Field(description="accuracy: true; bits and MSE: false")
    threshold: float = Field(
        description="solved when the metric reaches it (accuracy >= threshold) or gets below it; "
        "for 'corpus': the best bigram model's bits on the default corpus; for 'series': half "
        "the persistence forecast's error on the default series' held-out set of seed 0"
    )
    chance: float = Field(description="the metric of the best guess that ignores the input")
    chance_note: str = Field(description="what that guess is")
    character_model: bool = Field(
        description="true: the trained model is a character model /explore and /hello open"
    )


class CorpusInfo(BaseModel):
    name: str = Field(description="the request's `corpus`")
    description: str = Field(description="where the text comes from")
    characters: int = Field(description="length of the text")
    vocab_size: int = Field(description="distinct characters")
    threshold: float = Field(
        description="held-out bits per character of the best bigram model (default length)"
    )


class SeriesInfo(BaseModel):
    name: str = Field(description="the request's `series`")
    description: str = Field(description="what the series is (models/series.py)")
    threshold: float = Field(
        description="half the persistence forecast's mean squared error on its held-out set "
        "(default length, seed 0): the line it is solved below"
    )


class TrainLimits(BaseModel):
    max_steps: int = Field(description="optimizer updates of one run")
    max_length: int = Field(description="steps T of one sequence (a task's delay + 2, length)")
    max_hidden_size: int = Field(description="hidden units per layer")
    max_layers: int = Field(description="stacked layers")
    max_batch_size: int = Field(description="sequences per update")
    max_activations: int = Field(
        description="batch_size x T x hidden_size x num_layers: what one update keeps for "
        "backpropagation"
    )
    max_seconds: float = Field(description="wall time of one run; it ends with 'time_limit'")
    max_measurements: int = Field(description="evals per run: steps / probe_every + 1")
    max_snapshots: int = Field(description="snapshots per run: steps / snapshot_every + 1")
    max_runs: int = Field(description="runs streaming at once per worker; more wait in order")
    max_queued_runs: int = Field(description="runs that may wait per worker; more get 429")
    max_compare_runs: int = Field(description="training runs of one comparison")
    max_compare_seconds: float = Field(description="wall time of one comparison")


class TaskCatalogue(BaseModel):
    tasks: list[TaskInfo] = Field(description="every task")
    corpora: list[CorpusInfo] = Field(description="the corpora of task 'corpus'")
    series: list[SeriesInfo] = Field(description="the series of task 'series'")
    limits: TrainLimits = Field(description="what a request may ask for")
    train_defaults: TrainRequest = Field(description="POST /api/train's defaults")
    compare_defaults: CompareRequest = Field(
        description="POST /api/train/compare's defaults: sized so the comparison ends in about "
        "a minute on a 2-core machine and shows the lecture's claim"
    )


# --- Training events -------------------------------------------------------------------------

ValueOrNull = float | None


class TaskOut(BaseModel):
    name: TaskName = Field(description="the task")
    title: str = Field(description="short name with its parameter")
    description: str = Field(description="what the network must do")
    loss: Literal["every_step", "last_step", "last_value", "every_value"] = Field(
        description="see TaskInfo"
    )
    metric: Literal["accuracy", "bits_per_char", "mse"] = Field(description="held-out metric")
    threshold: float = Field(description="the metric's 'solved' line")
    higher_is_better: bool = Field(description="accuracy: true; bits and MSE: false")
    chance: float = Field(description="the metric of the best input-blind guess")
    chance_note: str = Field(description="what that guess is")
    length: int = Field(description="T: steps the model reads")
    parameters: dict[str, int] = Field(description="delay or length as used")
    vocab: list[str] | None = Field(description="characters; null for adding and series")
    classes: list[str] | None = Field(
        description="a class task's labels (surnames, sentiment): what the targets name; else null"
    )


class ModelSetup(BaseModel):
    cell: Cell = Field(description="recurrent cell")
    hidden_size: int = Field(description="H")
    num_layers: int = Field(description="L")
    nonlinearity: Literal["tanh", "relu"] = Field(description="the vanilla RNN's")
    lstm_init: Literal["pytorch", "chrono"] | None = Field(description="LSTMs only, else null")
    input_size: int = Field(description="one-hot size (characters), 2 (adding) or 1 (series)")
    output_size: int = Field(
        description="vocabulary size (characters), classes (surnames, sentiment) or 1 (adding, "
        "series)"
    )
    vocab: list[str] | None = Field(description="characters; null for adding and series")
    classes: list[str] | None = Field(
        description="a class task's labels (surnames, sentiment), the readout's rows; else null"
    )
    input: Literal["real"] | None = Field(
        None, description="series task only: 'real', the model reads numbers; else absent"
    )
    features: int | None = Field(None, description="series task only: 1 value per step")
    output: Literal["value"] | None = Field(
        None, description="series task only: 'value', it forecasts the next value"
    )


class ProbeInfo(BaseModel):
    inputs: list[str] | Matrix = Field(
        description="(T) the probe's characters, (T, 2) its (value, marker) pairs (adding), or "
        "(T, 1) its values x_0 .. x_{T-1} (series)"
    )
    targets: list[str] | list[float] | float = Field(
        description="the characters it is scored against (every step, or the last answer), the "
        "adding problem's target sum, or the series' next values x_1 .. x_T"
    )
    description: str = Field(description="what the probe is and its answer")


class QueuedEvent(BaseModel):
    """`event: queued`: every training slot of this worker is taken and the run waits its
    turn, first come first served. Sent when its place changes (a run ended, or someone ahead
    left) and every 2 s while it holds; the run's own events follow when its turn comes."""

    position: int = Field(description="its place in the queue: 1 is next")
    waiting: int = Field(description="runs waiting in this worker's queue, this one included")
    slots: int = Field(description="runs this worker trains at once")
    estimated_seconds: float | None = Field(
        description="about how long until it starts: each running run ends when its own timed "
        "estimate says (a comparison's: its upper bound; at most its time limit), each run "
        "ahead then takes as long as the last 20 runs held their slot on average; null until "
        "a run has said or shown how long it takes"
    )


class StartEvent(BaseModel):
    """`event: start`, first (after any `queued`)."""

    task: TaskOut = Field(description="the task as built")
    model: ModelSetup = Field(description="the model being trained")
    probe: ProbeInfo = Field(description="the fixed sequence whose gradient curve is drawn")
    steps: int = Field(description="updates planned")
    estimated_seconds: float = Field(
        description="how long the run should take: updates and measurements timed on this "
        "machine just before it starts"
    )
    config: dict[str, Any] = Field(description="every setting of the run, defaults filled in")


class ProgressEvent(BaseModel):
    """`event: progress`: the latest update, plus every update since the last progress event."""

    update: int = Field(description="k: updates applied (or attempted, before `diverged`)")
    loss: ValueOrNull = Field(description="training loss of update k (null: NaN or infinite)")
    grad_norm: ValueOrNull = Field(
        description="||dL/dtheta||_2 over all parameters, before clipping (null: non-finite)"
    )
    clipped: bool = Field(description="clipping changed the gradient of update k")
    elapsed: float = Field(description="seconds since training started")
    eta: ValueOrNull = Field(description="seconds left at the pace so far")
    first_update: int = Field(description="the update of losses[0]")
    losses: list[ValueOrNull] = Field(description="loss of updates first_update .. update")
    grad_norms: list[ValueOrNull] = Field(description="grad_norm of the same updates")
    clipped_flags: list[bool] = Field(description="clipped of the same updates")


class EvalEvent(BaseModel):
    """`event: eval`: the held-out metric."""

    update: int = Field(description="updates applied (0: the untrained model)")
    metric: Literal["accuracy", "bits_per_char", "mse"] = Field(description="which metric")
    value: ValueOrNull = Field(description="its value on held-out sequences (null: NaN)")
    solved: bool = Field(description="the value is past the task's threshold")


class Forecast(BaseModel):
    """The series task's forecasts of its probe series x_0 .. x_T by the model's current
    weights, computed in float64 (null: not finite)."""

    actual: list[ValueOrNull] = Field(description="(T + 1) the probe series x_0 .. x_T")
    one_step: list[ValueOrNull] = Field(
        description="(T) y_0 .. y_{T-1}: y_t forecasts x_{t+1} having read the actual x_0 .. x_t"
    )
    free_running: list[ValueOrNull] = Field(
        description="(T - start + 1) forecasts of x_start .. x_T: the model reads the actual "
        "x_0 .. x_{start-1}, then each of its own forecasts as its next input"
    )
    start: int = Field(description="k = T // 2, where the free-running forecast begins")


class ProbeEvent(BaseModel):
    """`event: probe`: exact per-step gradient norms of the task's loss on the probe."""

    update: int = Field(description="updates applied")
    loss: float = Field(description="the task's loss on the probe sequence alone")
    grad_h: list[LogNorms] = Field(
        description="(L, T) log10 ||dL/dh_t|| per layer, exact in float64 beyond its range "
        "(scaled backward of models/cells.py); null where the gradient is exactly zero"
    )
    grad_c: list[LogNorms] | None = Field(
        description="(L, T) log10 ||dL/dc_t|| (LSTMs; null entries: exactly zero), else null"
    )
    forecast: Forecast | None = Field(
        None, description="series task only: the forecast on the probe series; else absent"
    )


class TrainedModel(BaseModel):
    """The trained model as a model spec: for a character task, an inline model
    (`InlineModel`: cell, vocab, hidden_size, num_layers, nonlinearity and a state_dict with
    the tensor names of torch.nn.RNN/LSTM/GRU(len(vocab), hidden_size, num_layers) plus
    `readout.weight` and `readout.bias`) that /api/trace, /explore and /hello take as it is.
    The adding problem's model reads (value, marker) pairs: it has `input_size`/`output_size`
    and a `note` instead of `vocab`. A class task's model is a classifier: `output` "class"
    and its `classes`. The series task's model is a series model: `input` "real", `features`
    1, `output` "value" and an empty `vocab`."""

    cell: Cell = Field(description="recurrent cell")
    vocab: list[str] | None = Field(
        None, description="characters; [] for a series model; absent for the adding model"
    )
    hidden_size: int = Field(description="H")
    num_layers: int = Field(description="L")
    nonlinearity: Literal["tanh", "relu"] = Field(description="the vanilla RNN's")
    state_dict: dict[str, TensorJSON] = Field(
        description="the trained float32 weights, written with float64 digits so they read back "
        "exactly; torch names: weight_ih_l0 ... plus readout.weight, readout.bias"
    )
    input_size: int | None = Field(None, description="adding model only: 2")
    output_size: int | None = Field(None, description="adding model only: 1")
    note: str | None = Field(None, description="adding model only: why it is not a char model")
    output: Literal["class", "value"] | None = Field(
        None,
        description="a class task's model (surnames, sentiment): 'class'; a series model: "
        "'value'; else absent",
    )
    input: Literal["real"] | None = Field(
        None, description="a series model: 'real' (it reads numbers); else absent"
    )
    features: int | None = Field(None, description="a series model: values per step, 1")
    classes: list[str] | None = Field(
        None, description="a class task's model: its class labels, the readout's rows"
    )


class SnapshotEvent(BaseModel):
    """`event: snapshot`: everything the replay scrubber shows at one update."""

    update: int = Field(description="updates applied")
    state_dict: dict[str, TensorJSON] = Field(description="the weights then (torch names)")
    metric: ValueOrNull = Field(description="held-out metric then")
    probe_h: Matrix = Field(description="(T, H) top layer's hidden states on the probe")
    probe_c: Matrix | None = Field(description="(T, H) top layer's cell states (LSTMs), else null")
    probe_output: Matrix = Field(
        description="(T, O) softmax probabilities over the vocabulary, or the adding or series "
        "model's output (T, 1)"
    )
    grad_h: list[LogNorms] = Field(description="as in the probe event")
    grad_c: list[LogNorms] | None = Field(description="as in the probe event")
    forecast: Forecast | None = Field(
        None, description="series task only: as in the probe event; else absent"
    )


class DivergedEvent(BaseModel):
    """`event: diverged`: the loss or gradient became NaN or infinite; `done` follows."""

    update: int = Field(description="the update whose loss or gradient was not finite")
    message: str = Field(description="'diverged at update k: ...' with what to change")


class DoneEvent(BaseModel):
    """`event: done`, last."""

    reason: Literal["finished", "stopped", "time_limit", "diverged"] = Field(
        description="why the run ended ('time_limit': the server's wall-time limit)"
    )
    updates: int = Field(description="optimizer updates applied")
    model: TrainedModel | None = Field(
        description="the trained model; null only if its weights are no longer finite"
    )
    metric: ValueOrNull = Field(description="the last held-out metric")
    solved: bool = Field(description="the last metric is past the threshold")
    seconds: float = Field(description="wall time of training")


class ErrorEvent(BaseModel):
    """`event: error`: the stream ends without `done`: the client read too slowly and was
    dropped (its run stopped), or an unexpected failure (a bug; the server logs it)."""

    message: str = Field(description="what happened")


TrainEvent = (
    QueuedEvent
    | StartEvent
    | ProgressEvent
    | EvalEvent
    | ProbeEvent
    | SnapshotEvent
    | DivergedEvent
    | DoneEvent
    | ErrorEvent
)


# --- Comparison events -----------------------------------------------------------------------


class CompareEstimate(BaseModel):
    runs: int = Field(description="training runs: cells x delays x seeds")
    estimated_seconds: float = Field(
        description="at most this long: every run's whole budget, timed on this machine; runs "
        "stop at their first solved eval, so it usually ends sooner"
    )


class PlanEvent(CompareEstimate):
    """`event: plan`, first (after any `queued`)."""

    cells: list[Cell] = Field(description="in the order of each `success` list")
    delays: list[int] = Field(description="ascending")
    seeds: int = Field(description="runs per cell and delay")


class RunEvent(BaseModel):
    """`event: run`, after each training run."""

    cell: Cell = Field(description="the cell")
    delay: int = Field(description="D (recall) or T (adding)")
    seed: int = Field(description="the run's seed")
    metric: ValueOrNull = Field(description="its last held-out metric")
    solved: bool = Field(description="it reached the threshold within its budget")
    updates: int = Field(description="updates it took (the budget if never solved)")
    seconds: float = Field(description="its wall time")


class CompareDone(BaseModel):
    """`event: done`, last."""

    reason: Literal["finished", "stopped", "time_limit"] = Field(description="why it ended")
    success: dict[str, list[ValueOrNull]] = Field(
        description="per cell: the share of seeds that solved the task, per delay (null: not "
        "run before the comparison ended)"
    )
    delays: list[int] = Field(description="the delays of each success list")
    metric: Literal["accuracy", "mse"] = Field(description="the metric that decided success")
    threshold: float = Field(description="and its threshold")
    seconds: float = Field(description="wall time of the comparison")


CompareEvent = QueuedEvent | PlanEvent | RunEvent | CompareDone | ErrorEvent
