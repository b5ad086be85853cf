"""The training lab over real HTTP: event streams in order and valid, the trained model traces,
a client that leaves stops its run (its slot frees long before the run could have ended),
divergence, the concurrency limit, and a clear 4xx for every bad setting. This module's server
queues nothing (a run beyond its one slot gets 429 at once), so a 429 tells that the slot is
taken; tests/test_run_queue.py tests the queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import torch
from pydantic import BaseModel
from torch.testing import assert_close

from models.series import DEFAULT_NOISE, make_series
from server.schemas.train import (
    CompareDone,
    CompareEstimate,
    DivergedEvent,
    DoneEvent,
    EvalEvent,
    PlanEvent,
    ProbeEvent,
    ProgressEvent,
    RunEvent,
    SnapshotEvent,
    StartEvent,
    TaskCatalogue,
)
from tests.server_process import Server, running_server

TRAIN_EVENTS: dict[str, type[BaseModel]] = {
    "start": StartEvent,
    "progress": ProgressEvent,
    "eval": EvalEvent,
    "probe": ProbeEvent,
    "snapshot": SnapshotEvent,
    "diverged": DivergedEvent,
    "done": DoneEvent,
}
COMPARE_EVENTS: dict[str, type[BaseModel]] = {
    "plan": PlanEvent,
    "run": RunEvent,
    "done": CompareDone,
}
RECALL = {
    "task": "recall",
    "delay": 4,
    "cell": "gru",
    "steps": 60,
    "probe_every": 20,
    "snapshot_every": 30,
    "seed": 3,
}
LONG = {"task": "recall", "delay": 40, "cell": "lstm", "hidden_size": 64, "steps": 5000}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {"UNROLLED_MAX_TRAINING_RUNS": "1", "UNROLLED_MAX_QUEUED_RUNS": "0"}
    with running_server(env=env) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


def strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    data: dict = json.loads(text, parse_constant=refuse)
    return data


def sse(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(event name, data) of each server-sent event, as a browser reads them."""
    name, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, strict("\n".join(data))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
    assert not data, "the stream ended inside an event"


def stream(http: httpx.Client, path: str, body: dict) -> list[tuple[str, dict]]:
    with http.stream("POST", path, json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse(response))


def test_a_run_streams_its_events_in_order(http: httpx.Client):
    events = stream(http, "/api/train", RECALL)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds[1:4] == ["eval", "probe", "snapshot"]  # the untrained model
    for kind, data in events:
        TRAIN_EVENTS[kind].model_validate(data)
    updates = {kind: [d["update"] for k, d in events if k == kind] for kind in ("eval", "snapshot")}
    assert updates == {"eval": [0, 20, 30, 40, 60], "snapshot": [0, 30, 60]}  # + at snapshots
    progress = [d for k, d in events if k == "progress"]
    covered = [u for d in progress for u in range(d["first_update"], d["update"] + 1)]
    assert covered == list(range(1, 61))
    start, done = events[0][1], events[-1][1]
    assert start["task"]["parameters"] == {"delay": 4} and start["model"]["cell"] == "gru"
    assert done["reason"] == "finished" and done["updates"] == 60


@pytest.mark.parametrize(
    "body",
    [
        RECALL,
        {**RECALL, "cell": "peephole"},
        {**RECALL, "task": "surnames", "hidden_size": 16},  # a classifier
    ],
    ids=["gru", "peephole", "surnames"],
)
def test_the_trained_model_traces_and_matches_its_last_snapshot(http: httpx.Client, body: dict):
    events = stream(http, "/api/train", body)
    start, done = events[0][1], events[-1][1]
    snapshot = [d for k, d in events if k == "snapshot"][-1]
    probe = start["probe"]
    request = {"model": done["model"], "loss": "last"}
    if body["task"] == "surnames":  # its answer is a class: the trace's label
        assert (
            done["model"]["output"] == "class" and probe["targets"][0] in start["task"]["classes"]
        )
        request |= {"text": "".join(probe["inputs"]), "label": probe["targets"][0]}
    else:
        request["text"] = "".join(probe["inputs"]) + probe["targets"][0]  # the probe, its answer
    traced = http.post("/api/trace", json=request)
    assert traced.status_code == 200, traced.text
    trace = strict(traced.text)
    steps = len(probe["inputs"])
    # The trace's last loss is the task's loss on the probe: same hidden states, same outputs,
    # same per-step gradient curve as the lab measured at its last snapshot.
    assert_close(torch.tensor(trace["layers"][0]["h"][:steps]), torch.tensor(snapshot["probe_h"]))
    assert_close(torch.tensor(trace["probs"][:steps]), torch.tensor(snapshot["probe_output"]))
    assert_close(
        torch.tensor(trace["grads"][0]["h"][:steps]),
        torch.tensor(snapshot["grad_h"][0]),
        rtol=0,
        atol=1e-12,
    )
    assert trace["total_loss"] == pytest.approx(
        [d for k, d in events if k == "probe"][-1]["loss"], rel=1e-9
    )


def test_a_series_run_streams_its_forecast(http: httpx.Client):
    body = {
        "task": "series",
        "series": "square",
        "length": 20,
        "cell": "gru",
        "hidden_size": 8,
        "steps": 20,
        "probe_every": 10,
        "snapshot_every": 10,
    }
    events = stream(http, "/api/train", body)
    for kind, data in events:
        TRAIN_EVENTS[kind].model_validate(data)
    start, done = events[0][1], events[-1][1]
    assert start["config"]["series"] == "square" and "square wave" in start["task"]["title"]
    assert start["task"]["loss"] == "every_value" and start["task"]["metric"] == "mse"
    assert start["task"]["chance"] == pytest.approx(2 * start["task"]["threshold"])
    series = make_series("square", 21, 0, DEFAULT_NOISE).astype(np.float32).tolist()  # the probe
    assert [x for (x,) in start["probe"]["inputs"]] == series[:-1]
    assert start["probe"]["targets"] == series[1:]
    probes = [d for k, d in events if k == "probe"]
    snapshots = [d for k, d in events if k == "snapshot"]
    assert [p["update"] for p in probes] == [0, 10, 20] == [s["update"] for s in snapshots]
    for probe, snapshot in zip(probes, snapshots, strict=True):
        forecast = probe["forecast"]
        assert snapshot["forecast"] == forecast
        assert forecast["actual"] == series and forecast["start"] == 10
        assert len(forecast["one_step"]) == 20 and len(forecast["free_running"]) == 11
        assert forecast["free_running"][0] == pytest.approx(forecast["one_step"][9], abs=1e-12)
    model = done["model"]
    assert (model["input"], model["features"], model["output"], model["vocab"]) == (
        "real",
        1,
        "value",
        [],
    )
    assert done["reason"] == "finished" and done["metric"] < start["task"]["chance"] * 3

    # The trained model traces as a series model: on the probe series, its outputs are the
    # forecast's one-step values, its loss and gradient curve the last probe's.
    text = ", ".join(repr(value) for value in series)  # every digit: the very same numbers
    traced = http.post("/api/trace", json={"model": model, "text": text, "loss": "all"})
    assert traced.status_code == 200, traced.text
    trace = strict(traced.text)
    outputs = [row[0] for row in trace["logits"][:20]]
    assert outputs == pytest.approx(probes[-1]["forecast"]["one_step"], abs=1e-12)
    assert trace["total_loss"] == pytest.approx(probes[-1]["loss"], rel=1e-9)
    assert_close(
        torch.tensor(trace["grads"][0]["h"][:20]),
        torch.tensor(probes[-1]["grad_h"][0]),
        rtol=0,
        atol=1e-12,
    )


def test_an_unknown_series_is_refused_whatever_the_task(http: httpx.Client):
    for task in ("series", "recall"):
        response = http.post("/api/train", json={"task": task, "series": "foo"})
        assert response.status_code == 422, response.text
        [detail] = strict(response.text)["detail"]
        assert detail["loc"] == ["body", "series"]
        assert (
            detail["msg"] == "series 'foo' is unknown; the series are walk, sine, square, sawtooth"
        )


def seconds_until_a_run_is_admitted(url: str, limit: float = 30.0) -> float:
    """Seconds until this server admits a new run, asking again after each 429; the run it
    admits then streams to "finished".

    The server has one slot, and a run holds it until its thread has left the run for good
    (`server/streams.py`): a new run admitted means the run before it computes nothing more.
    """
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=60) as client:
        while time.monotonic() - start < limit:
            with client.stream("POST", "/api/train", json={"steps": 2}) as response:
                if response.status_code == 200:
                    admitted = time.monotonic() - start
                    assert list(sse(response))[-1][1]["reason"] == "finished"
                    return admitted
                assert response.status_code == 429, response.read()
            time.sleep(0.05)  # ask again: nothing to wait on from outside the server
    raise AssertionError(f"the slot was still taken {limit} s after its run lost its client")


def test_a_client_that_disconnects_stops_its_run(server: Server):
    with (
        httpx.Client(base_url=server.url, timeout=60) as client,
        client.stream("POST", "/api/train", json=LONG) as response,
    ):
        events = sse(response)  # held: a generator closed early would close the connection
        progress: list[dict] = []
        while len(progress) < 3:
            kind, data = next(events)
            if kind == "progress":
                progress.append(data)
        left = LONG["steps"] - progress[-1]["update"]
        eta = progress[-1]["eta"]  # seconds the run still needs at its pace so far
        # While the client reads, the run holds the only slot.
        assert httpx.post(f"{server.url}/api/train", json={"steps": 2}).status_code == 429
    # Leaving the block closed the connection in the middle of the stream. The run stops (its
    # thread frees the slot) within seconds, while it had thousands of updates left.
    freed = seconds_until_a_run_is_admitted(server.url)
    assert left > 4000 and freed < 5.0 and freed < eta / 2, (left, freed, eta)
    assert "Traceback" not in server.log_text()


def test_a_huge_learning_rate_ends_with_a_diverged_event(http: httpx.Client):
    body = {
        "task": "adding",
        "length": 30,
        "cell": "rnn",
        "nonlinearity": "relu",
        "optimizer": "sgd",
        "lr": 2.0,
        "steps": 300,
    }
    events = stream(http, "/api/train", body)  # strict JSON all along: NaN is null
    assert [k for k, _ in events][-2:] == ["diverged", "done"]
    diverged, done = events[-2][1], events[-1][1]
    assert diverged["message"].startswith(f"diverged at update {diverged['update']}: the loss is")
    assert done["reason"] == "diverged" and done["updates"] == diverged["update"] - 1
    last = [d for k, d in events if k == "progress"][-1]
    assert last["update"] == diverged["update"] and last["loss"] is None


def test_runs_beyond_the_limit_get_429_with_retry_after(server: Server, http: httpx.Client):
    with (
        httpx.Client(base_url=server.url, timeout=60) as first,
        first.stream("POST", "/api/train", json=LONG) as running,
    ):
        events = sse(running)  # held: a generator closed early would close the connection
        assert next(events)[0] == "start"
        for path, body in (("/api/train", RECALL), ("/api/train/compare", {"seeds": 1})):
            refused = http.post(path, json=body)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) >= 2
            message = strict(refused.text)["detail"][0]["msg"]
            assert "the training queue of this worker is full" in message
            assert "0 waiting behind 1 running" in message
            assert "the limit is 0 (max_queued_runs)" in message
    assert seconds_until_a_run_is_admitted(server.url) < 5.0  # once the run stops, its slot frees


def test_a_comparison_streams_plan_runs_and_done(http: httpx.Client):
    body = {
        "task": "recall",
        "cells": ["rnn", "peephole"],
        "delays": [2, 1],
        "seeds": 1,
        "steps": 40,
        "hidden_size": 8,
    }
    events = stream(http, "/api/train/compare", body)
    assert [k for k, _ in events] == ["plan", "run", "run", "run", "run", "done"]
    for kind, data in events:
        COMPARE_EVENTS[kind].model_validate(data)
    runs = [d for k, d in events if k == "run"]
    done = events[-1][1]
    assert done["delays"] == [1, 2]
    for run in runs:
        assert done["success"][run["cell"]][done["delays"].index(run["delay"])] == float(
            run["solved"]
        )


def test_estimate_answers_at_once(http: httpx.Client):
    response = http.post("/api/train/compare/estimate", json={"delays": [5, 10], "seeds": 3})
    assert response.status_code == 200, response.text
    estimate = CompareEstimate.model_validate(strict(response.text))
    assert estimate.runs == 3 * 2 * 3 and estimate.estimated_seconds > 0


def test_the_task_catalogue(http: httpx.Client):
    response = http.get("/api/train/tasks")
    catalogue = TaskCatalogue.model_validate(strict(response.text))
    assert [t.name for t in catalogue.tasks] == [
        "hello",
        "corpus",
        "adding",
        "recall",
        "parity",
        "brackets",
        "surnames",
        "sentiment",
        "series",
    ]
    assert {c.name for c in catalogue.corpora} >= {"zen"}
    assert [s.name for s in catalogue.series] == ["walk", "sine", "square", "sawtooth"]
    series = next(t for t in catalogue.tasks if t.name == "series")
    assert series.parameter is not None and series.parameter.name == "length"
    assert (series.parameter.default, series.parameter.minimum) == (60, 4)
    assert series.threshold == next(s.threshold for s in catalogue.series if s.name == "sine")
    assert series.chance == pytest.approx(2 * series.threshold) and not series.character_model
    assert catalogue.limits.max_runs == 1  # this server's setting
    recall = next(t for t in catalogue.tasks if t.name == "recall")
    assert recall.parameter is not None and recall.parameter.name == "delay"
    assert recall.parameter.maximum == catalogue.limits.max_length - 2
    again = http.get("/api/train/tasks", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


BAD_TRAIN = [
    ({"task": "chess"}, "task", "'surnames', 'sentiment' or 'series'"),
    ({"steps": 5001}, "steps", "the limit is 5000"),
    ({"hidden_size": 129}, "hidden_size", "the limit is 128"),
    ({"num_layers": 4}, "num_layers", "the limit is 3"),
    ({"batch_size": 1000}, "batch_size", "the limit is 256"),
    ({"task": "recall", "delay": 500}, "delay", "sequences of 502 steps; the limit is 200"),
    ({"task": "adding", "length": 1}, "length", "at least 2"),
    ({"task": "brackets", "length": 9}, "length", "even"),
    ({"task": "corpus", "corpus": "shakespeare"}, "corpus", "'shakespeare' is unknown"),
    ({"task": "series", "series": "foo"}, "series", "'foo' is unknown; the series are walk, sine"),
    ({"task": "series", "length": 3}, "length", "length is 3; the series task needs at least 4"),
    ({"steps": 5000, "probe_every": 1}, "probe_every", "the limit is 1001"),
    ({"steps": 5000, "snapshot_every": 10}, "snapshot_every", "the limit is 101"),
    ({"lr": -0.1}, "lr", "greater than 0"),
    ({"lr": "0.1"}, "lr", "valid number"),
    ({"steps": 10.5}, "steps", "valid integer"),
    ({"cell": "transformer"}, "cell", "'rnn', 'lstm', 'gru' or 'peephole'"),
    ({"learning_rate": 0.1}, "learning_rate", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_TRAIN, ids=[f for _, f, _ in BAD_TRAIN])
def test_bad_training_settings_get_a_clear_422(http: httpx.Client, body, field, words):
    response = http.post("/api/train", json=body)
    assert response.status_code == 422, response.text
    detail = strict(response.text)["detail"]
    assert any(d["loc"][-1] == field and words in d["msg"] for d in detail), detail


BAD_COMPARE = [
    ({"seeds": 10, "delays": [1, 2, 3, 4, 5, 6, 7]}, "seeds", "210 runs; the limit is 60"),
    ({"delays": [5, 500]}, "delays", "in delays, delay is 500: sequences of 502 steps"),
    ({"delays": [5, 5]}, "delays", "repeats"),
    ({"cells": ["rnn", "rnn"]}, "cells", "repeats"),
    ({"task": "adding", "delays": [1]}, "delays", "at least 2"),
    ({"task": "parity"}, "task", "'recall' or 'adding'"),
    ({"steps": 6000}, "steps", "the limit is 5000"),
]


@pytest.mark.parametrize(
    ("body", "field", "words"), BAD_COMPARE, ids=[f for _, f, _ in BAD_COMPARE]
)
@pytest.mark.parametrize("path", ["/api/train/compare", "/api/train/compare/estimate"])
def test_bad_comparison_settings_get_a_clear_422(http: httpx.Client, path, body, field, words):
    response = http.post(path, json=body)
    assert response.status_code == 422, response.text
    detail = strict(response.text)["detail"]
    assert any(d["loc"][-1] == field and words in d["msg"] for d in detail), detail


def test_the_server_is_healthy_afterwards(server: Server):
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert "Traceback" not in server.log_text()
