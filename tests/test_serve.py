"""`unrolled serve` starts a real server on the built-in models with no configuration."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

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
