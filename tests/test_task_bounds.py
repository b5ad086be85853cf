"""Bounds before work in the training lab: a request over a limit is refused from its numbers
alone (nothing is built, so even a delay of 10^30 is an ordinary 422), and a training stream
holds bounded memory whatever its client does: one that never reads is dropped and its run
stopped, one that leaves right after the headers stops its run at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.sse import ServerSentEvent
from fastapi.testclient import TestClient

from models.tasks import TASK_NAMES, TaskError, make_task, task_length
from server.deps import current_settings
from server.settings import Settings
from server.streams import StreamBuffer
from tests.server_process import Server, running_server
from tests.test_train_api import sse, strict

BUFFER_BYTES = 2**20  # this module's server: a 1 MiB stream buffer ...
STALL_SECONDS = 1  # ... that a client may leave full for a second
DEADLINE = 60.0  # seconds: generous, for a busy 2-core machine
CHATTY = {  # snapshots of ~1 MB every 50 updates of a few milliseconds: megabytes a second
    "task": "recall",
    "delay": 10,
    "hidden_size": 64,
    "num_layers": 2,
    "steps": 5000,
    "probe_every": 50,
    "snapshot_every": 50,
}
SLOW_START = {  # near the activation limit: its start event takes the longest to compute
    "task": "recall",
    "delay": 198,
    "hidden_size": 80,
    "batch_size": 256,
    "steps": 5000,
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {
        "UNROLLED_MAX_TRAINING_RUNS": "1",
        "UNROLLED_MAX_QUEUED_RUNS": "0",  # a run beyond the slot gets 429: the slot is taken
        "UNROLLED_STREAM_BUFFER_BYTES": str(BUFFER_BYTES),
        "UNROLLED_STREAM_STALL_SECONDS": str(STALL_SECONDS),
    }
    with running_server(env=env) as running:
        yield running


@pytest.fixture(scope="module")
def start_peak(server: Server) -> int:
    """The server's peak resident memory before any test sent it anything big."""
    return peak_rss(server)


def peak_rss(server: Server) -> int:
    """VmHWM of the server process, in bytes."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024


def wait_for_free_slot(server: Server) -> None:
    """Poll until the server's one training slot takes a run again (the last one has ended)."""
    deadline = time.monotonic() + DEADLINE
    with httpx.Client(base_url=server.url, timeout=DEADLINE) as client:
        while (status := client.post("/api/train", json={"steps": 1}).status_code) == 429:
            assert time.monotonic() < deadline, f"the slot is still taken after {DEADLINE} s"
            time.sleep(0.1)
    assert status == 200


# --- Sizes are checked from the numbers, before anything is built -------------------------------


def test_task_length_is_the_built_tasks_length():
    for name in TASK_NAMES:
        assert task_length(name) == make_task(name).length, name
    assert task_length("recall", delay=7) == make_task("recall", delay=7).length == 9
    assert task_length("brackets", length=30) == make_task("brackets", length=30).length


@pytest.mark.parametrize(
    ("name", "delay", "length", "field"),
    [
        ("recall", 10**30, None, "delay"),  # numpy could not even allocate it
        ("brackets", None, 10**7, "length"),  # a Python loop of 10^7 steps per sequence
        ("adding", None, 10**9, "length"),
        ("parity", None, 10**9, "length"),
        ("corpus", None, 10**9, "length"),
        ("series", None, 10**9, "length"),
        ("hello", None, None, "task"),  # 4 steps, over a limit of 3
    ],
)
def test_make_task_refuses_a_long_task_before_building_it(name, delay, length, field):
    with pytest.raises(TaskError) as error:
        make_task(name, delay, length, max_length=3)
    steps = task_length(name, delay, length)
    assert error.value.field == field
    assert f"sequences of {steps} steps; the limit is 3 steps" in error.value.message


OVER_LIMIT = [
    ("/api/train", {"task": "recall", "delay": 10**9}, "delay", "delay is 1000000000", "200"),
    ("/api/train", {"task": "recall", "delay": 10**30}, "delay", f"delay is {10**30}", "200"),
    ("/api/train", {"task": "recall", "delay": 10**8}, "delay", "delay is 100000000", "200"),
    ("/api/train", {"task": "brackets", "length": 10**7}, "length", "length is 10000000", "200"),
    ("/api/train", {"task": "adding", "length": 10**9}, "length", "length is 1000000000", "200"),
    ("/api/train", {"task": "parity", "length": 10**9}, "length", "length is 1000000000", "200"),
    ("/api/train", {"task": "corpus", "length": 10**9}, "length", "length is 1000000000", "200"),
    ("/api/train", {"task": "series", "length": 10**9}, "length", "length is 1000000000", "200"),
    (
        "/api/train/compare",
        {"delays": [5, 10**9]},
        "delays",
        "in delays, delay is 1000000000",
        "200",
    ),
    ("/api/train/compare/estimate", {"delays": [10**9]}, "delays", "delay is 1000000000", "200"),
    (
        "/api/train/compare/estimate",
        {"task": "adding", "delays": [10**9]},
        "delays",
        "length is 1000000000",
        "200",
    ),
    ("/api/train", {"steps": 10**30}, "steps", f"steps is {10**30}", "5000"),
    ("/api/train", {"hidden_size": 10**9}, "hidden_size", "hidden_size is 1000000000", "128"),
    ("/api/train", {"batch_size": 10**9}, "batch_size", "batch_size is 1000000000", "256"),
    (
        "/api/train",
        {"task": "recall", "delay": 198, "batch_size": 256, "hidden_size": 128, "num_layers": 3},
        "batch_size",
        "256 sequences x 200 steps x 128 hidden units x 3 layers is 19660800 activations",
        "4194304",
    ),
    ("/api/train", {"steps": 5000, "snapshot_every": 1}, "snapshot_every", "5001 of them", "101"),
    ("/api/train/compare", {"steps": 10**30}, "steps", f"steps is {10**30}", "5000"),
]


@pytest.mark.parametrize(
    ("path", "body", "field", "value", "limit"),
    OVER_LIMIT,
    ids=[
        f"{k}-{path.rsplit('/', 1)[-1]}-{field}"
        for k, (path, _, field, *_) in enumerate(OVER_LIMIT)
    ],
)
def test_a_request_over_a_limit_is_a_422_naming_field_value_and_limit(
    server: Server, start_peak: int, path, body, field, value, limit
):
    response = httpx.post(f"{server.url}{path}", json=body, timeout=DEADLINE)
    assert response.status_code == 422, response.text
    [detail] = strict(response.text)["detail"]
    assert detail["loc"] == ["body", field]
    assert value in detail["msg"] and f"the limit is {limit}" in detail["msg"], detail["msg"]


def test_a_corpus_name_is_bounded_too(server: Server):
    response = httpx.post(
        f"{server.url}/api/train", json={"task": "corpus", "corpus": "x" * 100_000}
    )
    assert response.status_code == 422, response.text
    [detail] = strict(response.text)["detail"]
    assert detail["loc"] == ["body", "corpus"] and "at most 100 characters" in detail["msg"]


def test_refused_requests_allocated_nothing(server: Server, start_peak: int):
    """Before the fix a delay of 10^8 alone took the worker's peak memory up by 2.3 GB."""
    grown = peak_rss(server) - start_peak
    assert grown < 100 * 2**20, f"the server's peak memory grew {grown / 2**20:.0f} MB"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_a_comparison_over_the_activation_limit_names_hidden_size(client: TestClient):
    settings = Settings(max_train_activations=500_000)
    client.app.dependency_overrides[current_settings] = lambda: settings
    try:
        body = {"delays": [198], "hidden_size": 128}
        for path in ("/api/train/compare", "/api/train/compare/estimate"):
            response = client.post(path, json=body)
            assert response.status_code == 422, response.text
            [detail] = strict(response.text)["detail"]
            assert detail["loc"] == ["body", "hidden_size"]
            assert "hidden_size is 128: 32 sequences x 200 steps" in detail["msg"]
            assert "is 819200 activations per update; the limit is 500000" in detail["msg"]
    finally:
        client.app.dependency_overrides.clear()


# --- A stream's buffer is bounded in bytes ------------------------------------------------------


def message(size: int) -> ServerSentEvent:
    return ServerSentEvent(event="progress", raw_data="x" * size)


def test_the_buffer_never_holds_more_than_its_budget():
    """A thread puts 40 events of 300 bytes into a 1000-byte buffer read slowly: the reader gets
    them all, in order, and never finds more than the budget waiting."""

    async def read() -> list[int]:
        buffer = StreamBuffer(budget=1000, stall_seconds=DEADLINE)

        def produce() -> None:
            for k in range(40):
                assert buffer.put(ServerSentEvent(event=str(k), raw_data="x" * 300), 300)
            buffer.end()

        thread = threading.Thread(target=produce)
        thread.start()
        order = []
        while (received := await buffer.get()) is not None:
            assert buffer.buffered <= 1000
            order.append(int(str(received.event)))
            await asyncio.sleep(0.001)
        thread.join()
        return order

    assert asyncio.run(read()) == list(range(40))


def test_an_event_of_any_size_fits_an_empty_buffer():
    async def put_big() -> bool:
        return StreamBuffer(budget=10, stall_seconds=DEADLINE).put(message(1000), 1000)

    assert asyncio.run(put_big())


def test_a_full_buffer_nobody_reads_refuses_after_the_stall():
    async def put_into_full() -> tuple[bool, bool]:
        buffer = StreamBuffer(budget=1000, stall_seconds=0.2)
        first = buffer.put(message(800), 800)
        return first, await asyncio.to_thread(buffer.put, message(800), 800)

    assert asyncio.run(put_into_full()) == (True, False)


def test_closing_the_buffer_wakes_a_waiting_put():
    """The client left while the run waited for room: the run learns it at once, not after
    the stall (here a minute)."""

    async def close_while_waiting() -> list[bool]:
        buffer = StreamBuffer(budget=1000, stall_seconds=DEADLINE)
        buffer.put(message(800), 800)
        results: list[bool] = []
        thread = threading.Thread(target=lambda: results.append(buffer.put(message(800), 800)))
        thread.start()
        buffer.close()
        await asyncio.to_thread(thread.join, DEADLINE / 2)
        return results

    assert asyncio.run(close_while_waiting()) == [False]


# --- Streams over real HTTP --------------------------------------------------------------------


def test_a_client_that_never_reads_is_dropped_and_its_run_stopped(server: Server):
    with (
        httpx.Client(base_url=server.url, timeout=DEADLINE) as client,
        client.stream("POST", "/api/train", json=CHATTY) as response,
    ):
        assert response.status_code == 200
        # Read nothing: socket buffers fill, then the server's stream buffer, then the run
        # waits a second and is dropped, which frees this server's only slot.
        wait_for_free_slot(server)
        events = list(sse(response))
        received = response.num_bytes_downloaded
    # What the server still held for this client came through, then an error event ended it.
    kind, data = events[-1]
    assert kind == "error" and "done" not in [k for k, _ in events]
    assert data["message"].startswith("the client read too slowly")
    assert f"the limit is {BUFFER_BYTES} bytes. The run stopped." in data["message"]
    # Bounded: the 1 MiB buffer, a few events in flight and the sockets' buffers, where an
    # unread run used to grow its queue by megabytes a second until its time limit.
    assert received < 64 * 2**20, f"{received} bytes were held for a client that never read"
    assert "Traceback" not in server.log_text()


def test_a_stream_closed_right_after_its_headers_stops_its_run(server: Server):
    for _ in range(3):  # each run must free the slot for the next
        with (
            httpx.Client(base_url=server.url, timeout=DEADLINE) as client,
            client.stream("POST", "/api/train", json=SLOW_START) as response,
        ):
            assert response.status_code == 200  # the headers; the start event is still computing
        wait_for_free_slot(server)
    assert "Traceback" not in server.log_text()
