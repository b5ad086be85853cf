"""Nothing a slow or huge request sends can hold a worker (server/protocol.py), on real servers.

Timeouts are shrunk through the environment so the tests are quick; every wait for the server
to act polls against a generous deadline instead of asserting how fast it acted.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server_process import Server, running_server

MB = 2**20
DEADLINE = 30.0  # seconds to wait for what the server should do within a few
SHORT_TIMEOUTS = {"UNROLLED_HEADER_TIMEOUT_SECONDS": "1", "UNROLLED_BODY_TIMEOUT_SECONDS": "2"}
TRACE_BODY = json.dumps({"model": "hello-rnn", "text": "hello"}).encode()


@pytest.fixture(scope="module")
def one_worker() -> Iterator[Server]:
    """One worker: nothing else could answer /healthz while a request holds it."""
    with running_server(env=SHORT_TIMEOUTS) as server:
        yield server


@pytest.fixture(scope="module")
def two_workers() -> Iterator[Server]:
    with running_server("--workers", "2", env=SHORT_TIMEOUTS) as server:
        yield server


@pytest.fixture(scope="module")
def crowded() -> Iterator[Server]:
    """One worker that keeps at most 20 connections (default timeouts)."""
    with running_server(env={"UNROLLED_MAX_CONNECTIONS": "20"}) as server:
        yield server


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=DEADLINE)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; fail if it never does."""
    received = b""
    deadline = time.monotonic() + DEADLINE
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    pytest.fail(f"the server kept the connection open for {DEADLINE} s")


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length, read from a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def trickle_until_closed(sock: socket.socket) -> bytes:
    """Send a header byte every half second until the server closes; what it sent first."""
    sock.settimeout(0.5)
    deadline = time.monotonic() + DEADLINE
    for byte in itertools.cycle(b"slow"):
        if time.monotonic() > deadline:
            break
        try:
            sock.send(bytes([byte]))
            received = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:  # reset: the server closed while a byte was on its way
            return b""
        return received + read_until_closed(sock) if received else b""
    pytest.fail(f"the server kept the connection open for {DEADLINE} s")


def get_healthz(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    return read_response(sock)


def post_head(length: int, *extra: bytes) -> bytes:
    lines = [
        b"POST /api/trace HTTP/1.1",
        b"Host: test",
        b"Content-Type: application/json",
        b"Content-Length: %d" % length,
        *extra,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_a_huge_header_is_refused_early_while_healthz_keeps_answering(one_worker):
    sent: list[int] = []
    answer: list[bytes] = []

    def send_a_150_mb_header() -> None:
        with connect(one_worker) as sock:
            total = 0
            try:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Huge: ")
                while total < 150 * MB:
                    sock.sendall(b"a" * MB)
                    total += MB
                sock.sendall(b"\r\n\r\n")
            except OSError:  # the server closed the connection
                pass
            sent.append(total)
            answer.append(read_until_closed(sock))

    sender = threading.Thread(target=send_a_150_mb_header)
    sender.start()
    statuses = []
    while sender.is_alive():
        statuses.append(httpx.get(f"{one_worker.url}/healthz", timeout=10).status_code)
    sender.join()
    statuses.append(httpx.get(f"{one_worker.url}/healthz", timeout=10).status_code)

    assert set(statuses) == {200}
    assert sent[0] < 32 * MB  # refused after 64 KB; socket buffers hold the few MB beyond
    assert answer[0] == b"" or answer[0].startswith(b"HTTP/1.1 431 ")  # or reset mid-send


def test_headers_over_the_limit_get_431_however_they_arrive(one_worker):
    response = httpx.get(f"{one_worker.url}/healthz", headers={"X-Big": "a" * 70_000})
    assert response.status_code == 431
    assert response.headers["connection"] == "close"
    assert httpx.get(f"{one_worker.url}/healthz", headers={"X-Fine": "a" * 60_000}).is_success


def test_a_slowloris_connection_is_closed_after_the_header_timeout(one_worker):
    with connect(one_worker) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        answer = trickle_until_closed(sock)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def test_a_body_shorter_than_its_content_length_is_closed_after_the_body_timeout(one_worker):
    with connect(one_worker) as sock:
        sock.sendall(post_head(1000) + TRACE_BODY[:10])
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert "Traceback" not in one_worker.log_text()


def test_a_slow_but_steady_body_is_read_to_its_end(one_worker):
    """The body timeout is the idle time between reads, not the time for the whole body."""
    pieces = [TRACE_BODY[start : start + 5] for start in range(0, len(TRACE_BODY), 5)]
    with connect(one_worker) as sock:
        sock.sendall(post_head(len(TRACE_BODY), b"Connection: close"))
        for piece in pieces:  # about 4 s in all, twice the body timeout
            time.sleep(0.5)
            sock.sendall(piece)
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_kept_alive_connection_waits_for_its_next_request_beyond_the_header_timeout(
    one_worker,
):
    """The header deadline runs from a request's first byte; between requests, keep-alive."""
    with connect(one_worker) as sock:
        assert get_healthz(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(2)  # twice the header timeout, less than keep-alive's 5 s
        assert get_healthz(sock).startswith(b"HTTP/1.1 200 ")


def test_every_worker_refuses_huge_headers(two_workers):
    """`--workers 2` starts each worker with the guarded protocol (it imports by name)."""
    refused_by: set[int] = set()
    deadline = time.monotonic() + DEADLINE
    while len(refused_by) < 2:
        assert time.monotonic() < deadline, f"only workers {refused_by} answered"
        with connect(two_workers) as sock:
            worker = json.loads(get_healthz(sock).partition(b"\r\n\r\n")[2])["worker"]
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 100_000)
            if read_until_closed(sock).startswith(b"HTTP/1.1 431 "):
                refused_by.add(worker)


def test_two_hundred_idle_connections_do_not_stop_healthz(two_workers):
    idle = [connect(two_workers) for _ in range(200)]
    try:
        assert httpx.get(f"{two_workers.url}/healthz", timeout=10).status_code == 200
        for sock in idle:  # each closed by the header timeout, without a word
            assert read_until_closed(sock) == b""
    finally:
        for sock in idle:
            sock.close()


def test_past_the_connection_cap_the_longest_idle_connection_makes_room(crowded):
    idle = [connect(crowded) for _ in range(100)]
    try:
        assert httpx.get(f"{crowded.url}/healthz", timeout=10).status_code == 200
        assert read_until_closed(idle[0]) == b""  # the oldest, closed to make room
    finally:
        for sock in idle:
            sock.close()


def test_past_the_connection_cap_with_every_request_in_progress_a_503(crowded):
    busy = []
    try:
        for _ in range(20):  # each request in the app, waiting for the rest of its body
            sock = connect(crowded)
            busy.append(sock)
            sock.sendall(post_head(1000, b"Expect: 100-continue"))
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        with connect(crowded) as refused:
            assert read_until_closed(refused).startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in busy:
            sock.close()
    deadline = time.monotonic() + DEADLINE
    while httpx.get(f"{crowded.url}/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
