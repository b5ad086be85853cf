"""A lecture hall in 30 seconds: 100 concurrent clients against a real server with 2 workers.

Drives wrk (Debian's `wrk` package: `apt-get install wrk`) against `unrolled serve --workers 2`
in four runs of the same length, one after the other in the same process:

- `/healthz` alone: the reference, what the server does with no model work at all;
- `GET /api/trace` of built-in models alone (served from the trace cache after the first hit);
- a classroom mix: /hello page loads, trace GETs and gradient-explorer POSTs in equal parts;
  the explorer POSTs move the gain slider over 24 positions, as a class following the lecture
  does (repeated settings are answered from the server's cache of explorations);
- explorer POSTs alone, each with a seed never asked before: what the server computes when
  nothing repeats.

Prints throughput, p50/p99 latency and errors (socket errors plus non-2xx/3xx answers) for
each, then the ratio of trace to health throughput. Browsers send Accept-Encoding: gzip, so
wrk does too. Usage: python benchmarks/load.py [--seconds 30] [--connections 100]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.server_process import running_server  # noqa: E402

TRACE_PATHS = [
    "/api/trace?model=hello-rnn&text=hello",
    "/api/trace?model=hello-lstm&text=hello",
    "/api/trace?model=hello-gru&text=hell",
]
EXPLORE_BODY = {"cells": ["rnn", "lstm", "gru"], "steps": 100, "hidden_size": 32, "seed": 0}
# (what one slider move on /gradients asks for at T=100, H=32)


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def lua_script(requests: list[tuple[str, str, str | None]]) -> str:
    """A wrk script cycling through (method, path, JSON body) requests."""
    lines = ["local requests = {}", "init = function(args)"]
    for k, (method, path, body) in enumerate(requests, start=1):
        headers = '{["Accept-Encoding"] = "gzip", ["Content-Type"] = "application/json"}'
        body_arg = json.dumps(body) if body is not None else "nil"
        lines.append(f'  requests[{k}] = wrk.format("{method}", "{path}", {headers}, {body_arg})')
    lines += [
        "end",
        "local i = 0",
        "request = function()",
        "  i = i % #requests + 1",
        "  return requests[i]",
        "end",
    ]
    return "\n".join(lines)


def fresh_explore_script() -> str:
    """A wrk script whose every request is an exploration with a new seed (never cached)."""
    body = json.dumps({**EXPLORE_BODY, "seed": 0}).replace('"seed": 0', '"seed": %d')
    return "\n".join(
        [
            "local counter = 1",
            "local thread_id = 0",
            "local threads = 0",
            "setup = function(thread)",
            "  thread:set('thread_id', threads)",
            "  threads = threads + 1",
            "end",
            "request = function()",
            "  counter = counter + 1",
            f"  local body = string.format('{body}', thread_id * 100000000 + counter)",
            '  local headers = {["Content-Type"] = "application/json"}',
            '  return wrk.format("POST", "/api/explore", headers, body)',
            "end",
        ]
    )


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def run_wrk(name: str, url: str, script: str, seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            file.name,
            url,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (
        int(non_2xx.group(1)) if non_2xx else 0
    )
    return Result(
        name=name,
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=milliseconds(latency["50"]),
        p99_ms=milliseconds(latency["99"]),
        errors=errors,
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=100)
    args = parser.parse_args()

    health = lua_script([("GET", "/healthz", None)])
    traces = lua_script([("GET", path, None) for path in TRACE_PATHS])
    slider = [{**EXPLORE_BODY, "scale": "sigma", "gain": 0.6 + 0.05 * k} for k in range(24)]
    mix = lua_script(
        [
            request
            for k, body in enumerate(slider)
            for request in (
                ("GET", "/hello", None),
                ("GET", TRACE_PATHS[k % len(TRACE_PATHS)], None),
                ("POST", "/api/explore", json.dumps(body)),
            )
        ]
    )
    runs = (
        ("healthz", health),
        ("trace GET", traces),
        ("mix", mix),
        ("explore new", fresh_explore_script()),
    )
    results = []
    with running_server("--workers", "2") as server:
        for name, script in runs:
            results.append(run_wrk(name, server.url, script, args.seconds, args.connections))
    print(f"{args.connections} connections, {args.seconds} s each, 2 workers")
    print(
        f"{'run':10s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s} {'requests':>9s}"
    )
    for r in results:
        print(
            f"{r.name:10s} {r.requests_per_s:9.1f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} "
            f"{r.errors:7d} {r.requests:9d}"
        )
    ratio = results[1].requests_per_s / results[0].requests_per_s
    print(f"trace GET / healthz throughput: {ratio:.2f}")


if __name__ == "__main__":
    main()
