"""Bounded CPU work: a full gate answers 429 with Retry-After; health checks answer under load;
two workers share no state."""

from __future__ import annotations

import asyncio
import io
import json
import threading

import anyio
import httpx
import numpy as np
import pytest
import torch

from server.work import Busy, WorkGate
from tests.server_process import running_server


def test_gate_runs_queues_then_refuses():
    gate = WorkGate("trace", running=1, waiting=1, retry_after=3)
    first_started = threading.Event()
    release = threading.Event()
    started: list[int] = []

    def job(n: int) -> int:
        started.append(n)
        first_started.set()
        release.wait(timeout=10)
        return n

    async def scenario() -> list[int]:
        results: list[int] = []

        async def submit(n: int) -> None:
            results.append(await gate.run(job, n))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(submit, 1)
            await anyio.to_thread.run_sync(first_started.wait)  # job 1 holds the one slot
            tasks.start_soon(submit, 2)
            await anyio.wait_all_tasks_blocked()  # submit(2) has reached the gate
            # One runs, one waits for the slot: admitted, not started.
            assert started == [1] and gate.admitted == 2
            assert gate.slots.statistics().tasks_waiting == 1
            with pytest.raises(Busy) as refused:
                await gate.run(job, 3)
            assert (refused.value.limit, refused.value.retry_after) == (2, 3)
            release.set()
        return results

    assert sorted(anyio.run(scenario)) == [1, 2]
    assert gate.admitted == 0


def heavy_trace_body(text_chars: int = 1500, hidden: int = 96) -> dict:
    """An inline LSTM over a long text: long enough to keep a worker busy for a while."""
    rng = np.random.default_rng(0)
    vocab = ["a", "b", "c"]
    shapes = {
        "weight_ih_l0": (4 * hidden, len(vocab)),
        "weight_hh_l0": (4 * hidden, hidden),
        "readout.weight": (len(vocab), hidden),
    }
    state_dict = {
        name: (0.1 * rng.standard_normal(shape)).tolist() for name, shape in shapes.items()
    }
    text = "".join(rng.choice(vocab, size=text_chars))
    model = {
        "cell": "lstm",
        "vocab": vocab,
        "hidden_size": hidden,
        "num_layers": 1,
        "state_dict": state_dict,
    }
    return {"model": model, "text": text}


def test_full_gate_answers_429_and_health_answers_meanwhile():
    env = {"UNROLLED_MAX_RUNNING_JOBS": "1", "UNROLLED_MAX_WAITING_JOBS": "0"}
    body = heavy_trace_body()
    order: list[str] = []

    async def scenario(url: str) -> list[httpx.Response]:
        gate_full = asyncio.Event()
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:

            async def trace() -> httpx.Response:
                response = await client.post("/api/trace", json=body)
                order.append(f"trace {response.status_code}")
                if response.status_code == 429:
                    gate_full.set()
                return response

            async def health() -> None:
                # A 429 means the gate is full: a trace is computing right now.
                await asyncio.wait_for(gate_full.wait(), timeout=30)
                response = await client.get("/healthz")
                assert response.status_code == 200
                order.append("health")

            results = await asyncio.gather(*[trace() for _ in range(4)], health())
            return [r for r in results if r is not None]

    with running_server(env=env) as server:
        responses = asyncio.run(scenario(server.url))
        assert httpx.get(f"{server.url}/healthz").status_code == 200

    codes = sorted(r.status_code for r in responses)
    assert 200 in codes and 429 in codes, codes
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "2"
    message = refused.json()["detail"][0]["msg"]
    assert "trace is busy" in message and "the limit is 1" in message
    # The health check was answered while the admitted trace was still computing.
    assert order.index("health") < order.index("trace 200"), order


EXPLORE = {"cells": ["rnn", "lstm"], "steps": 30, "hidden_size": 8, "seed": 5}
TRAIN = {"task": "recall", "delay": 3, "cell": "gru", "hidden_size": 8, "steps": 20, "seed": 1}


def connection_per_worker(url: str, workers: int = 2) -> dict[int, httpx.Client]:
    """Open fresh connections until each worker holds one (a kept-alive connection stays on
    the worker that accepted it; /healthz names that worker)."""
    clients: dict[int, httpx.Client] = {}
    for _ in range(60):
        client = httpx.Client(base_url=url, timeout=60)
        worker = client.get("/healthz").json()["worker"]
        if worker in clients:
            client.close()
        else:
            clients[worker] = client
        if len(clients) == workers:
            return clients
    for client in clients.values():
        client.close()
    raise AssertionError(f"only worker(s) {sorted(clients)} answered 60 fresh connections")


def lstm_file() -> bytes:
    """A user's own model: `torch.save` of an nn.LSTM + nn.Linear state_dict."""
    torch.manual_seed(0)
    module = torch.nn.ModuleDict({"rnn": torch.nn.LSTM(3, 5), "fc": torch.nn.Linear(5, 3)})
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.getvalue()


def trained_model(client: httpx.Client) -> dict:
    """Train a small recall model over a stream; the `done` event carries its spec."""
    with client.stream("POST", "/api/train", json=TRAIN) as response:
        assert response.status_code == 200, response.read()
        done = [line for line in response.iter_lines() if line.startswith("data: ")][-1]
    event = json.loads(done.removeprefix("data: "))
    assert event["reason"] == "finished", event
    model: dict = event["model"]
    return model


def test_two_workers_share_no_state_in_a_session():
    """Every step of a session works on either worker, each step on the other worker than the
    one before: an import answered by one worker is traced and sampled by the other, a model
    trained on one is traced on the other, and both answer the same requests byte for byte."""
    with running_server("--workers", "2") as server:
        clients = connection_per_worker(server.url)
        a, b = clients.values()
        try:
            for first, second in ((a, b), (b, a)):
                imported = first.post(
                    "/api/models/import",
                    files={"file": ("model.pt", lstm_file())},
                    data={"vocab": "xyz", "prefix": "rnn.", "readout": "fc"},
                )
                assert imported.status_code == 200, imported.text
                spec = {k: v for k, v in imported.json().items() if k not in ("gates", "source")}
                traced = second.post("/api/trace", json={"model": spec, "text": "xyzzy"})
                assert traced.status_code == 200, traced.text
                generated = second.post(
                    "/api/generate", json={"model": spec, "prompt": "x", "length": 8, "seed": 2}
                )
                assert generated.status_code == 200, generated.text
                model = trained_model(first)
                body = {"model": model, "text": "".join(model["vocab"])}
                retraced = [client.post("/api/trace", json=body) for client in (a, b)]
                assert retraced[0].status_code == 200, retraced[0].text
                assert retraced[0].content == retraced[1].content
                same = [client.post("/api/explore", json=EXPLORE).content for client in (a, b)] + [
                    client.get("/api/trace", params={"model": "hello-gru", "text": "hell"}).content
                    for client in (a, b)
                ]
                assert same[0] == same[1] and same[2] == same[3]
                assert first.get("/hello").status_code == second.get("/hello").status_code == 200
        finally:
            for client in clients.values():
                client.close()
