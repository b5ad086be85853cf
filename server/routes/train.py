"""The training lab: train live (server-sent events), compare cells across delays, the tasks.

See `server/schemas/train.py` for the event streams. Bounds before work: every size a request
implies (steps, hidden units, layers, batch, the sequence length T that a delay or length
makes, the activations B x T x H x L that backpropagation keeps, evals, snapshots, runs of a
comparison) is computed from the request and checked against its limit before anything is
allocated or computed, so a request over a limit is a 422 in milliseconds that names the
field, its value and the limit. Then the run takes its turn: a slot at once, else a place in
this worker's queue, its stream telling it where it stands (429 with Retry-After when the queue
is full, `server/run_queue.py`); once it has a slot it computes in its own thread
(`server/streams.py`) until it ends, its client disconnects, or its client reads too slowly.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from functools import partial
from typing import Annotated

import torch
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse

from models.compare import CompareConfig, compare, estimate
from models.series import SERIES_KINDS, SERIES_TITLES
from models.tasks import (
    PARAMETERS,
    TASK_NAMES,
    TASK_TITLES,
    Task,
    TaskError,
    available_corpora,
    check_series_kind,
    make_task,
)
from models.training import Event, TrainConfig, measurement_updates, train
from server.deps import SettingsDep
from server.encoding import cacheable_json, json_bytes
from server.errors import InputError
from server.run_queue import run_queue
from server.schemas.train import (
    CompareEstimate,
    CompareEvent,
    CompareRequest,
    TaskCatalogue,
    TrainEvent,
    TrainRequest,
)
from server.settings import Settings
from server.streams import EventSource, StreamBuffer, StreamedRun, StreamRoute
from server.work import work_gate

router = APIRouter(prefix="/api/train", tags=["train"], route_class=StreamRoute)

# torch.optim imports torch._dynamo on first use, which makes an (empty, never used) compile
# cache folder in the temporary directory. Pointing it at the temporary directory itself, which
# exists, keeps the server from writing anything to disk.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.gettempdir())

ERRORS: dict[int | str, dict[str, str]] = {
    422: {"description": "a setting is invalid or over its limit; the message names which"},
    429: {
        "description": "every training slot of this worker is taken and its queue is full "
        "(max_queued_runs); see Retry-After"
    },
}


def over(field: str, message: str) -> InputError:
    return InputError(["body", field], message)


def checked_task(
    name: str,
    delay: int | None,
    length: int | None,
    corpus: str,
    limit: int,
    series: str = "sine",
    seed: int = 0,
) -> Task:
    """The task, or a 422 naming the parameter that is invalid or makes sequences longer than
    `limit` (checked from the parameter, before the task draws any data). A series kind is
    checked whatever the task: the field has a fixed set of values."""
    try:
        check_series_kind(series)
        return make_task(name, delay, length, corpus, limit, series, seed)
    except TaskError as error:
        raise over(error.field, error.message) from error


def check_at_most(field: str, value: int, limit: int) -> None:
    if value > limit:
        raise over(field, f"{field} is {value}; the limit is {limit}")


def check_activations(
    field: str, value: int, batch: int, steps: int, hidden: int, layers: int, limit: int
) -> None:
    """Backpropagation through time keeps every step's activations until the update: about
    batch x T x hidden x layers numbers, ~80 bytes of memory each with the gates (measured)."""
    count = batch * steps * hidden * layers
    if count > limit:
        raise over(
            field,
            f"{field} is {value}: {batch} sequences x {steps} steps x {hidden} hidden units x "
            f"{layers} layers is {count} activations per update; the limit is {limit}",
        )


def train_config(body: TrainRequest, settings: SettingsDep) -> TrainConfig:
    """The run's config, every size it implies within its limit (module docstring)."""
    check_at_most("steps", body.steps, settings.max_train_steps)
    check_at_most("hidden_size", body.hidden_size, settings.max_train_hidden)
    check_at_most("num_layers", body.num_layers, settings.max_layers)
    check_at_most("batch_size", body.batch_size, settings.max_train_batch)
    task = checked_task(
        body.task,
        body.delay,
        body.length,
        body.corpus,
        settings.max_train_length,
        body.series,
        body.seed,
    )
    check_activations(
        "batch_size",
        body.batch_size,
        body.batch_size,
        task.length,
        body.hidden_size,
        body.num_layers,
        settings.max_train_activations,
    )
    config = TrainConfig(**body.model_dump(), time_limit=settings.max_train_seconds)
    for field, every, limit in (
        ("probe_every", body.probe_every, settings.max_train_measurements),
        ("snapshot_every", body.snapshot_every, settings.max_train_snapshots),
    ):
        count = len(measurement_updates(replace(config, probe_every=every, snapshot_every=every)))
        if count > limit:
            raise over(
                field,
                f"{field} is {every}: {count} of them over {body.steps} steps; the limit is "
                f"{limit} (make {field} at least {-(-body.steps // (limit - 1))})",
            )
    return config


def compare_config(body: CompareRequest, settings: SettingsDep) -> CompareConfig:
    check_at_most("steps", body.steps, settings.max_train_steps)
    check_at_most("hidden_size", body.hidden_size, settings.max_train_hidden)
    runs = len(body.cells) * len(body.delays) * body.seeds
    if runs > settings.max_compare_runs:
        raise over(
            "seeds",
            f"{len(body.cells)} cells x {len(body.delays)} delays x {body.seeds} seeds is "
            f"{runs} runs; the limit is {settings.max_compare_runs}",
        )
    config = CompareConfig(
        task=body.task,
        cells=tuple(body.cells),
        delays=tuple(body.delays),
        seeds=body.seeds,
        steps=body.steps,
        hidden_size=body.hidden_size,
        lr=body.lr,
        time_limit=settings.max_compare_seconds,
    )
    for delay in body.delays:
        try:
            task = checked_task(body.task, delay, delay, "zen", settings.max_train_length)
        except InputError as error:
            raise over("delays", f"in delays, {error.message}") from error
        check_activations(
            "hidden_size",
            body.hidden_size,
            config.batch_size,
            task.length,
            body.hidden_size,
            1,
            settings.max_train_activations,
        )
    return config


TrainConfigDep = Annotated[TrainConfig, Depends(train_config)]
CompareConfigDep = Annotated[CompareConfig, Depends(compare_config)]


def streamed_run(
    request: Request, settings: Settings, source: EventSource, time_limit: float | None
) -> StreamedRun:
    """A turn (a slot, a place in the queue, or 429) and a thread for `source`, which ends
    within `time_limit` seconds; its events buffered within the settings."""

    def events(stop: threading.Event) -> Iterator[Event]:
        torch.set_num_threads(settings.train_threads)  # per thread: set where torch runs
        return source(stop)

    buffer = StreamBuffer(settings.stream_buffer_bytes, settings.stream_stall_seconds)
    return StreamedRun(run_queue(request), events, buffer, time_limit)


async def training_run(
    request: Request, config: TrainConfigDep, settings: SettingsDep
) -> AsyncIterator[StreamedRun]:
    """The run's turn and thread; the run stops (or leaves the queue) when the response ends."""
    run = streamed_run(request, settings, partial(train, config), config.time_limit)
    try:
        yield run
    finally:
        run.close()


async def comparison_run(
    request: Request, config: CompareConfigDep, settings: SettingsDep
) -> AsyncIterator[StreamedRun]:
    """The comparison's turn and thread; it stops (or leaves the queue) when the response ends."""
    run = streamed_run(request, settings, partial(compare, config), config.time_limit)
    try:
        yield run
    finally:
        run.close()


@router.post("", response_class=EventSourceResponse, responses=ERRORS)
async def post_train(
    run: Annotated[StreamedRun, Depends(training_run)],
) -> AsyncIterator[TrainEvent]:
    """Train a model live: (queued ...) start, progress, eval, probe, snapshot, ... done."""
    async for message in run.events():
        yield message  # type: ignore[misc]  # FastAPI sends a ServerSentEvent as it is


@router.post("/compare", response_class=EventSourceResponse, responses=ERRORS)
async def post_compare(
    run: Annotated[StreamedRun, Depends(comparison_run)],
) -> AsyncIterator[CompareEvent]:
    """RNN vs LSTM vs GRU across delays: (queued ...) plan, run per training run, done."""
    async for message in run.events():
        yield message  # type: ignore[misc]


@router.post("/compare/estimate", response_model=CompareEstimate, responses=ERRORS)
async def post_compare_estimate(
    http: Request, config: CompareConfigDep, settings: SettingsDep
) -> Response:
    """How many runs a comparison makes and at most how long it takes, timed on this machine."""

    def compute() -> bytes:
        torch.set_num_threads(settings.train_threads)
        runs = len(config.cells) * len(config.delays) * config.seeds
        return json_bytes({"runs": runs, "estimated_seconds": estimate(config)})

    body = await work_gate(http, "train-estimate").run(compute)
    return Response(body, media_type="application/json")


@router.get("/tasks", response_model=TaskCatalogue)
async def get_tasks(request: Request, settings: SettingsDep) -> Response:
    """The tasks with their parameters, defaults, limits, metrics and thresholds; the corpora."""
    state = request.app.state
    if not hasattr(state, "train_catalogue"):  # the same for the worker's whole life
        state.train_catalogue = await run_in_threadpool(catalogue_body, settings)
    return cacheable_json(request, state.train_catalogue, settings.cache_max_age)


def catalogue_body(settings: Settings) -> bytes:
    tasks = []
    for name in TASK_NAMES:
        task = make_task(name)
        parameter = PARAMETERS[name]
        tasks.append(
            {
                "name": name,
                "title": TASK_TITLES[name],
                "description": task.description,
                "parameter": None
                if parameter is None
                else {
                    "name": parameter.name,
                    "default": parameter.default,
                    "minimum": parameter.minimum,
                    "maximum": settings.max_train_length - (2 if name == "recall" else 0),
                    "meaning": parameter.meaning,
                },
                "loss": task.loss,
                "metric": task.metric,
                "higher_is_better": task.higher_is_better,
                "threshold": task.threshold,
                "chance": task.chance,
                "chance_note": task.chance_note,
                "character_model": task.vocab is not None,
            }
        )
    corpora = [
        {
            "name": name,
            "description": corpus.source,
            "characters": len(corpus.text),
            "vocab_size": len(corpus.vocab),
            "threshold": make_task("corpus", corpus=name).threshold,
        }
        for name, corpus in available_corpora().items()
    ]
    series = [
        {
            "name": kind,
            "description": SERIES_TITLES[kind],
            "threshold": make_task("series", series=kind).threshold,
        }
        for kind in SERIES_KINDS
    ]
    limits = {
        "max_steps": settings.max_train_steps,
        "max_length": settings.max_train_length,
        "max_hidden_size": settings.max_train_hidden,
        "max_layers": settings.max_layers,
        "max_batch_size": settings.max_train_batch,
        "max_activations": settings.max_train_activations,
        "max_seconds": settings.max_train_seconds,
        "max_measurements": settings.max_train_measurements,
        "max_snapshots": settings.max_train_snapshots,
        "max_runs": settings.max_training_runs,
        "max_queued_runs": settings.max_queued_runs,
        "max_compare_runs": settings.max_compare_runs,
        "max_compare_seconds": settings.max_compare_seconds,
    }
    return json_bytes(
        {
            "tasks": tasks,
            "corpora": corpora,
            "series": series,
            "limits": limits,
            "train_defaults": TrainRequest().model_dump(),
            "compare_defaults": CompareRequest().model_dump(),
        }
    )
