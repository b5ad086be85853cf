"""The bad-input catalogue: every endpoint, every kind of bad value, a clear 4xx each time.

Against a real server started in an empty folder with an empty TMPDIR: after the whole
catalogue it is still healthy and has written nothing to disk.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch

from tests.server_process import Server, running_server

BODY_LIMIT = 256 * 1024
IMPORT_LIMIT = 64 * 1024

# A valid body per JSON endpoint and its required fields; the catalogue breaks one at a time.
JSON_ENDPOINTS: dict[str, tuple[dict, set[str]]] = {
    "/api/trace": ({"model": "hello-rnn", "text": "hello", "loss": "all"}, {"model", "text"}),
    "/api/explore": ({"cells": ["rnn", "gru"], "steps": 20, "hidden_size": 8, "gain": 1.0}, set()),
    "/api/explore/phase": (
        {"cells": ["lstm"], "hidden_size": 4, "gains": [0.5], "distance": 5},
        set(),
    ),
    "/api/generate": (
        {"model": "hello-rnn", "prompt": "he", "length": 5, "temperature": 1.0, "seed": 0},
        {"model", "prompt"},
    ),
    "/api/train": ({"task": "corpus", "corpus": "zen", "steps": 2, "hidden_size": 4}, set()),
    "/api/train/compare": (
        {"cells": ["rnn"], "delays": [2], "seeds": 1, "steps": 3, "hidden_size": 4},
        set(),
    ),
    "/api/train/compare/estimate": (
        {"cells": ["rnn"], "delays": [2], "seeds": 1, "steps": 3, "hidden_size": 4},
        set(),
    ),
}

HOSTILE_STRINGS = [
    "",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "\x00\x01\x02",
    "' OR 1=1 --",
    "{{7*7}}",
    "\N{COLLISION SYMBOL}" * 3,
    "he\ud800",  # a lone surrogate: JSON can write it, UTF-8 cannot
    "x" * 100_000,
]
WRONG_TYPES: list[object] = [None, 7, -1, 1.5, True, [], {}, [1, 2], {"a": {"b": [None]}}]
RAW_BODIES = {
    "empty": b"",
    "null": b"null",
    "not JSON": b"model=hello-rnn&text=hello",
    "not UTF-8": b'{"model": "hello-rnn", "text": "\xff\xfe\xfa"}',
    "NaN literal": b'{"model": "hello-rnn", "text": "hello", "loss": NaN}',
    "Infinity in weights": (
        b'{"model": {"cell": "rnn", "vocab": ["a"], "hidden_size": 1,'
        b' "state_dict": {"weight_ih_l0": [[Infinity]], "weight_hh_l0": [[1e400]],'
        b' "readout.weight": [[0.5]]}}, "text": "aa"}'
    ),
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "deeply nested object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "a pickle": pickle.dumps({"model": "hello-rnn", "text": "hello"}),
    "a list": b'[{"model": "hello-rnn", "text": "hello"}]',
}
HOSTILE_PATHS = [
    "/api/models/..%2F..%2Fetc%2Fpasswd",
    "/api/models/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/models/<script>alert(1)</script>",
    "/api/models/hello-rnn%00.json",
    "/api/trace?model=../../etc/passwd&text=hello",
    "/api/trace?model=hello-rnn&text=",
    "/api/trace?model=hello-rnn&text=hello&loss=<script>",
    "/api/trace?model=hello-rnn&text=hello&projections=maybe",
    "/api/trace?model=hello-rnn",
    "/static/..%2Fserver%2Fmain.py",
    "/static/%2e%2e/pyproject.toml",
    "/..%2F..%2Fetc%2Fpasswd",
    "/hello%00",
    "/<script>",
    "/api/models/",  # no redirect to whatever Host says
    "/api/trace?model=hello-rnn&text=%ED%A0%80",  # a lone surrogate, percent-encoded
]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The server's working folder and its TMPDIR, both empty at start."""
    return tmp_path_factory.mktemp("cwd"), tmp_path_factory.mktemp("tmp")


@pytest.fixture(scope="module")
def server(folders: tuple[Path, Path]) -> Iterator[Server]:
    workdir, tmpdir = folders
    env = {
        "UNROLLED_MAX_BODY_BYTES": str(BODY_LIMIT),
        "UNROLLED_MAX_IMPORT_BYTES": str(IMPORT_LIMIT),
        "TMPDIR": str(tmpdir),
    }
    with running_server(env=env, cwd=workdir) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def assert_clear_4xx(response: httpx.Response) -> None:
    """A 4xx that says what went wrong, in strict JSON for the API, echoing no markup."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if response.request.url.path.startswith("/api/"):
        body = json.loads(response.text, parse_constant=pytest.fail)  # no NaN/Infinity
        messages = (
            [d["msg"] for d in body["detail"]]
            if isinstance(body["detail"], list)
            else [body["detail"]]
        )
        assert all(isinstance(m, str) and m for m in messages), body
    assert "<script>" not in response.text or "application/json" in response.headers.get(
        "content-type", ""
    )


def json_type(value: object) -> str:
    return (
        type(value).__name__
        if not isinstance(value, int | float) or isinstance(value, bool)
        else "number"
    )


def broken_bodies(valid: dict, required: set[str]) -> Iterator[tuple[str, dict]]:
    """Each field in turn: hostile strings where a string belongs, every wrong JSON type."""
    for field, good in valid.items():
        hostile = HOSTILE_STRINGS if isinstance(good, str) else []
        wrong = [v for v in WRONG_TYPES if json_type(v) != json_type(good)]
        for value in [*hostile, *wrong]:
            if value != good:
                yield f"{field}={value!r:.40}", {**valid, field: value}
    for field in required:
        yield f"without {field}", {k: v for k, v in valid.items() if k != field}
    yield "an unknown field", {**valid, "\u003cscript\u003e": 1}


@pytest.mark.parametrize("path", sorted(JSON_ENDPOINTS))
def test_every_broken_field_gets_a_clear_4xx(http: httpx.Client, path: str):
    valid, required = JSON_ENDPOINTS[path]
    assert http.post(path, json=valid).status_code == 200, "the baseline body must be valid"
    for label, body in broken_bodies(valid, required):
        raw = json.dumps(body)  # ASCII, a lone surrogate as its escape \ud800, as JSON allows
        response = http.post(path, content=raw, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (label, response.status_code)
        assert_clear_4xx(response)


@pytest.mark.parametrize("path", sorted(JSON_ENDPOINTS))
@pytest.mark.parametrize("kind", sorted(RAW_BODIES))
def test_raw_bodies_get_a_clear_4xx(http: httpx.Client, path: str, kind: str):
    response = http.post(
        path, content=RAW_BODIES[kind], headers={"content-type": "application/json"}
    )
    assert_clear_4xx(response)


@pytest.mark.parametrize("path", sorted(JSON_ENDPOINTS))
def test_oversized_bodies_get_413_naming_the_limit(http: httpx.Client, path: str):
    huge = json.dumps({"model": "hello-rnn", "text": "h" * (2 * BODY_LIMIT)}).encode()
    response = http.post(path, content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert f"the limit is {BODY_LIMIT}" in response.json()["detail"][0]["msg"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(8):
            yield b" " * (BODY_LIMIT // 4)

    streamed = http.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_get_a_clear_4xx(http: httpx.Client, path: str):
    response = http.get(path)
    assert_clear_4xx(response)
    assert "root:" not in response.text and "[tool." not in response.text


def test_wrong_methods_get_405_listing_the_allowed_ones(http: httpx.Client):
    response = http.delete("/api/trace")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert "DELETE is not allowed on /api/trace" in response.json()["detail"][0]["msg"]


class WritesAFile:
    """A pickle whose loading would write `pwned` into the server's working folder."""

    def __reduce__(self):
        return (exec, ("open('pwned', 'w').write('ran')",))


def torch_saved(value: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


IMPORT_FILES: dict[str, bytes] = {
    "a pickle that would write a file": torch_saved({"weight_hh_l0": WritesAFile()}),
    "a raw pickle that would write a file": pickle.dumps({"weight_hh_l0": WritesAFile()}),
    "empty": b"",
    "garbage": bytes(range(256)) * 8,
    "JSON": b'{"weight_hh_l0": [[1.0]]}',
    "a safetensors header only": b"\x10\x00\x00\x00\x00\x00\x00\x00{}",
    "a tensor": torch_saved(torch.zeros(3)),
    "NaN weights": torch_saved(
        {
            "weight_ih_l0": torch.zeros(1, 2),
            "weight_hh_l0": torch.full((1, 1), float("nan")),
            "readout.weight": torch.zeros(2, 1),
        }
    ),
    "over the import limit": b"\x00" * (IMPORT_LIMIT + 1),
}


@pytest.mark.parametrize("kind", sorted(IMPORT_FILES))
@pytest.mark.parametrize("vocab", ["ab", "", "<script>alert(1)</script>", '["a", 1]'])
def test_bad_import_files_get_a_clear_4xx(http: httpx.Client, kind: str, vocab: str):
    response = http.post(
        "/api/models/import",
        files={"file": ("model.pt", IMPORT_FILES[kind])},
        data={"vocab": vocab},
    )
    assert_clear_4xx(response)
    if kind == "over the import limit":
        assert response.status_code == 413
        assert f"the limit is {IMPORT_LIMIT}" in response.json()["detail"][0]["msg"]


def test_an_import_over_the_body_limit_is_413(http: httpx.Client):
    response = http.post(
        "/api/models/import",
        files={"file": ("model.pt", b"\x00" * (BODY_LIMIT + 1))},
        data={"vocab": "ab"},
    )
    assert response.status_code == 413
    assert f"the limit is {BODY_LIMIT}" in response.json()["detail"][0]["msg"]


def test_the_server_is_healthy_after_the_catalogue(server: Server):
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    assert "Traceback" not in server.log_text()


def test_nothing_was_written_to_disk(server: Server, folders: tuple[Path, Path]):
    """Runs last in this file: the whole catalogue left the server's folders empty."""
    for folder in folders:
        assert list(folder.iterdir()) == [], f"the server wrote {list(folder.iterdir())}"
