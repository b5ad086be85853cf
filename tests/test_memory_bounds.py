"""Nothing a request sends can take a worker down: a trace's size is checked before it is
computed, the caches are bounded in bytes, and so are the request bodies a worker holds."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator

import httpx
import pytest

from models.spec import ModelSpec
from models.zoo import load_zoo
from server.deps import current_settings
from server.encoding import gzip_etag
from server.settings import Settings
from server.tracing import trace_values
from tests.server_process import running_server
from tests.test_work import connection_per_worker, heavy_trace_body

MiB = 2**20


def leaves(value: object) -> int:
    """The numbers, strings, booleans and nulls of decoded JSON."""
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaves(v) for v in value)
    return 1


@pytest.mark.parametrize("model", ["hello-rnn", "hello-lstm", "hello-gru", "zen-lstm"])
@pytest.mark.parametrize(
    ("projections", "analysis", "backward"),
    [(False, False, False), (True, False, False), (False, True, False), (True, True, False)]
    + [(False, False, True), (True, True, True)],  # backward: T x every weight, slow to gzip
)
def test_the_size_of_a_trace_is_known_before_it_is_computed(
    client, model: str, projections: bool, analysis: bool, backward: bool
):
    """trace_values counts every value of the response but the config's scalars, its vocab
    and the nulls of what the model does not have (c, peephole, embedded, projections,
    analysis, backward)."""
    spec = client.app.state.zoo[model].net.spec
    text = "".join(spec.vocab[(7 * t) % spec.vocab_size] for t in range(41))
    options = {"projections": projections, "analysis": analysis, "backward": backward}
    response = client.get("/api/trace", params={"model": model, "text": text, **options})
    assert response.status_code == 200, response.text
    counted = leaves(response.json())
    expected = trace_values(spec, len(text), projections, analysis, backward)
    assert 0 <= counted - expected <= spec.vocab_size + 20 + 8 * spec.num_layers


@pytest.mark.parametrize(("projections", "backward"), [(False, False), (True, True)])
def test_the_size_of_a_series_trace_is_known_before_it_is_computed(
    client, projections: bool, backward: bool
):
    """A series model's trace, its values and its free-running forecast included."""
    spec = client.app.state.zoo["series-lstm"].net.spec
    text = ",".join(str(round(0.1 * ((7 * t) % 11) - 0.5, 2)) for t in range(41))
    options = {"projections": projections, "backward": backward, "forecast": 1}
    response = client.get("/api/trace", params={"model": "series-lstm", "text": text, **options})
    assert response.status_code == 200, response.text
    counted = leaves(response.json())
    expected = trace_values(spec, 41, projections, False, backward)
    assert 0 <= counted - expected <= 20 + 8 * spec.num_layers


def inline_model(hidden_size: int, num_layers: int, vocab: list[str]) -> dict:
    """An inline LSTM spec with no weights: enough to know the size of its trace."""
    return {
        "cell": "lstm",
        "vocab": vocab,
        "hidden_size": hidden_size,
        "num_layers": num_layers,
        "state_dict": {},
    }


def test_an_oversize_inline_trace_is_refused_before_its_weights_are_read(client):
    """The 427 MB response of issue 10 (H=256, 3 layers, 2000 characters, projections):
    refused naming the fields, the value and the limit; the weights, here none at all, were
    never looked at."""
    vocab = [chr(0x100 + k) for k in range(256)]
    body = {
        "model": inline_model(256, 3, vocab),
        "text": "".join(vocab[k % 256] for k in range(2000)),
        "projections": True,
    }
    response = client.post("/api/trace", json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body"]
    values = trace_values(ModelSpec("lstm", tuple(vocab), 256, 3), 2000, True, False)
    for part in ("text of 2000 characters", "hidden_size 256", "num_layers 3", "vocab of 256"):
        assert part in error["msg"]
    assert "projections=true" in error["msg"]
    assert f"{values} values; the limit is 6000000 (max_trace_values)" in error["msg"]


@pytest.fixture
def small_output_limit(client) -> Iterator[int]:
    limit = 20_000
    settings = Settings(max_trace_values=limit)
    client.app.dependency_overrides[current_settings] = lambda: settings
    try:
        yield limit
    finally:
        client.app.dependency_overrides.clear()


def test_a_trace_get_over_the_output_limit_is_refused_and_not_kept(client, small_output_limit):
    query = "model=zen-lstm&text=" + "e" * 30
    response = client.get(f"/api/trace?{query}")
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query"]
    assert f"the limit is {small_output_limit} (max_trace_values)" in error["msg"]
    assert "text of 30 characters" in error["msg"]
    assert client.get(f"/api/trace?{query}").status_code == 422  # not answered from a cache


def test_a_text_over_its_limit_is_named_before_the_output_size(client, small_output_limit):
    body = {"model": inline_model(8, 1, ["a"]), "text": "a" * 2001}
    (error,) = client.post("/api/trace", json=body).json()["detail"]
    assert error["loc"] == ["body", "text"]
    assert error["msg"] == "text has 2001 characters; the limit is 2000"


def test_a_client_without_gzip_gets_the_same_json_from_the_kept_gzip(client):
    """Only the gzip of a trace is kept; a client that does not accept gzip gets the JSON
    inflated as it is sent, from the route and from the fast path alike."""
    params = {"model": "zen-lstm", "text": "Beautiful is better than ugly. " * 12}
    zipped = client.get("/api/trace", params=params)
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    identity = {"Accept-Encoding": "identity"}
    for _ in range(2):  # the route, then server/fastpath.py
        plain = client.get("/api/trace", params=params, headers=identity)
        assert "content-encoding" not in plain.headers
        assert plain.content == zipped.content
        assert zipped.headers["etag"] == gzip_etag(plain.headers["etag"])


def rss_mib(pid: int) -> float:
    """Resident memory of a process (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_workers_memory_stays_bounded_after_many_distinct_large_traces():
    """40 distinct 300-character code-lstm traces (7.7 MB of JSON, 3.5 MB of gzip each) on
    two workers with a 32 MiB trace cache: each worker grows by at most the cache and some
    room for the computation, where keeping every answer as JSON and gzip grew each by
    over 250 MiB."""
    budget = 32 * MiB
    vocab = [ch for ch in load_zoo()["code-lstm"].net.spec.vocab if ch.isalnum()]
    rng = random.Random(0)
    texts = ["".join(rng.choice(vocab) for _ in range(300)) for _ in range(40)]

    async def trace_all(url: str) -> list[int]:
        slots = asyncio.Semaphore(4)

        async def trace(text: str) -> int:
            async with slots, httpx.AsyncClient(base_url=url, timeout=120) as fresh:
                # a fresh connection each: the workers share them out
                params = {"model": "code-lstm", "text": text}
                return (await fresh.get("/api/trace", params=params)).status_code

        return list(await asyncio.gather(*[trace(text) for text in texts]))

    with running_server("--workers", "2", env={"UNROLLED_TRACE_CACHE_BYTES": str(budget)}) as s:
        clients = connection_per_worker(s.url)
        for connection in clients.values():
            connection.close()
        started = {pid: rss_mib(pid) for pid in clients}
        assert asyncio.run(trace_all(s.url)) == [200] * len(texts)
        grown = {pid: rss_mib(pid) - started[pid] for pid in clients}
    assert all(growth < budget / MiB + 128 for growth in grown.values()), grown


def test_request_bodies_beyond_the_held_bytes_budget_get_429():
    """With 2 MiB of bodies held per worker, concurrent traces of an inline model of ~0.8 MB
    each: two are admitted, the rest refused with Retry-After before anything parses them;
    once the two are answered, the budget is free again."""
    env = {"UNROLLED_MAX_HELD_BODY_BYTES": str(2 * MiB), "UNROLLED_MAX_RUNNING_JOBS": "1"}
    body = heavy_trace_body(text_chars=1000)

    async def post_all(url: str, count: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            return list(
                await asyncio.gather(*[client.post("/api/trace", json=body) for _ in range(count)])
            )

    with running_server(env=env) as server:
        responses = asyncio.run(post_all(server.url, 6))
        afterwards = asyncio.run(post_all(server.url, 1))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 429, 429, 429, 429], codes
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "2"
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body"] and error["type"] == "busy"
    assert f"the limit is {2 * MiB} (max_held_body_bytes)" in error["msg"]
    assert [r.status_code for r in afterwards] == [200]


def test_a_slow_upload_holds_none_of_the_budget():
    """A client that declares 1.9 MB and sends ten bytes of it holds no budget: only bodies
    read whole count, so it cannot keep every other request of its worker at 429."""
    env = {"UNROLLED_MAX_HELD_BODY_BYTES": str(2 * MiB)}
    body = heavy_trace_body(text_chars=100)
    with running_server(env=env) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as slow:
            head = (
                f"POST /api/trace HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {int(1.9 * MiB)}\r\n\r\n"
            )
            slow.sendall(head.encode() + b'{"model": ')
            response = httpx.post(f"{server.url}/api/trace", json=body, timeout=60)
    assert response.status_code == 200, response.text
