"""`unrolled serve` starts a real server on the built-in models with no configuration."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

UNROLLED = Path(sys.executable).with_name("unrolled")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    port = free_port()
    process = subprocess.Popen([str(UNROLLED), "serve", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("unrolled serve did not answer /healthz")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


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
