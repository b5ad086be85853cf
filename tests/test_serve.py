"""`unrolled serve` starts a real server on the built-in models with no configuration."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from server.addresses import room_address, serving_banner
from tests.server_process import running_server


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with running_server() as server:
        yield server.url


def test_serve_answers_a_trace(served):
    response = httpx.get(f"{served}/api/trace", params={"model": "hello-rnn", "text": "hello"})
    assert response.status_code == 200
    assert response.json()["tokens"] == list("hello")


def test_serve_compresses_json_and_serves_plotly_locally(served):
    response = httpx.get(f"{served}/api/models/hello-lstm", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    plotly_js = httpx.get(f"{served}/vendor/plotly.min.js")
    assert plotly_js.status_code == 200 and b"plotly" in plotly_js.content[:2000].lower()


def test_serve_pages_render(served):
    for page in ("/", "/hello"):
        response = httpx.get(f"{served}{page}")
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]


def test_serving_a_room_gives_the_students_an_address_they_can_reach():
    """Bound to every interface, the first line names this machine's address on the network
    (or says it has none): never localhost, which would open each student's own machine."""
    with running_server("--host", "0.0.0.0") as server:
        first = server.log_text().splitlines()[0]
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    address = room_address()
    if address is None:
        assert "no network address" in first
    else:
        assert first.startswith(f"Students open http://{address}:")
        assert not ipaddress.ip_address(address).is_loopback


@pytest.mark.parametrize(
    ("host", "first_line"),
    [
        ("127.0.0.1", "Unrolled serves this machine only: http://127.0.0.1:8000/"),
        ("localhost", "Unrolled serves this machine only: http://localhost:8000/"),
        ("::1", "Unrolled serves this machine only: http://[::1]:8000/"),
        ("10.0.0.3", "Students open http://10.0.0.3:8000/"),
    ],
)
def test_the_banner_says_whether_a_room_can_reach_the_server(host, first_line):
    banner = serving_banner(host, 8000).splitlines()
    assert banner[0] == first_line
    if "only" in first_line:
        assert banner[1].startswith("To serve a room: unrolled serve --host 0.0.0.0")


def test_two_workers_say_at_start_that_live_sessions_are_off_and_answer_503():
    """Each worker would keep its own sessions: a class split in two, never silently."""
    with running_server("--workers", "2") as server:
        banner = server.log_text()
        answers = [httpx.post(f"{server.url}/api/sessions") for _ in range(4)]
    assert "Live classroom sessions are off with 2 workers" in banner
    for answer in answers:
        assert answer.status_code == 503
        assert "one worker" in answer.json()["detail"][0]["msg"]
