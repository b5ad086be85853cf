"""Bounded CPU work: a full gate answers 429 with Retry-After; health checks answer under load;
two workers share no state."""

from __future__ import annotations

import asyncio
import threading

import anyio
import httpx
import numpy as np
import pytest

from server.work import Busy, WorkGate
from tests.server_process import running_server


def test_gate_runs_queues_then_refuses():
    gate = WorkGate("trace", running=1, waiting=1, retry_after=3)
    release = threading.Event()
    started: list[int] = []

    def job(n: int) -> int:
        started.append(n)
        release.wait(timeout=10)
        return n

    async def scenario() -> list[int]:
        results: list[int] = []

        async def submit(n: int) -> None:
            results.append(await gate.run(job, n))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(submit, 1)
            tasks.start_soon(submit, 2)
            await anyio.sleep(0.2)
            assert started == [1]  # one runs, one waits
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
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:

            async def trace() -> httpx.Response:
                response = await client.post("/api/trace", json=body)
                order.append(f"trace {response.status_code}")
                return response

            async def health() -> None:
                await asyncio.sleep(0.05)  # the first trace is computing by now
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


def test_two_workers_answer_any_request_of_a_session():
    """Fresh connections land on either worker; every request of a session works on both."""
    body = heavy_trace_body(text_chars=40, hidden=8)
    workers: set[int] = set()
    explorations: set[bytes] = set()
    with running_server("--workers", "2") as server:
        for attempt in range(60):
            with httpx.Client(base_url=server.url, timeout=30) as fresh:  # a new connection
                health = fresh.get("/healthz").json()
                workers.add(health["worker"])
                posted = fresh.post("/api/trace", json=body)
                assert posted.status_code == 200, posted.text
                got = fresh.get("/api/trace", params={"model": "hello-gru", "text": "hell"})
                assert got.status_code == 200
                explored = fresh.post("/api/explore", json=EXPLORE)
                assert explored.status_code == 200, explored.text
                explorations.add(explored.content)
                assert fresh.get("/hello").status_code == 200
            if len(workers) == 2 and attempt >= 10:
                break
    assert len(workers) == 2, f"only worker(s) {workers} answered 60 fresh connections"
    assert len(explorations) == 1, "every worker measures the same exploration, byte for byte"
