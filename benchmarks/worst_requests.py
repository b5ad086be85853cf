"""The worst legal request per endpoint: each worker's peak memory and /healthz meanwhile.

Against a real `unrolled serve --workers 2` on the default settings, one request at a time:
each worker's peak resident set (VmHWM) is reset before the request, and read after it, so a
row is the most memory one request made a worker hold beyond its resting size. /healthz is
polled every 0.1 s throughout; its slowest answer is printed beside. Streams (training,
comparison) are read for `--stream-seconds` and then closed, as a student closing the tab.

Usage: python benchmarks/worst_requests.py [--stream-seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import torch
from safetensors.torch import save as safetensors_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.process_watch import (  # noqa: E402
    HealthWatch,
    memory_status,
    peak_rss,
    reset_peak_rss,
    worker_pids,
)
from tests.server_process import Server, running_server  # noqa: E402

MB = 2**20
CODE = "def dedent(text):\n    lines = text.split('\\n')\n    return [l.strip() for l in lines]\n"


def code_text(characters: int) -> str:
    return (CODE * (characters // len(CODE) + 1))[:characters]


def inline_lstm(hidden: int, vocab_size: int, layers: int) -> dict:
    """An inline LSTM spec with random weights: the largest the body limit lets through."""
    module = torch.nn.LSTM(vocab_size, hidden, layers)
    vocab = [chr(0x4E00 + k) for k in range(vocab_size)]
    state_dict = {name: value.tolist() for name, value in module.state_dict().items()}
    state_dict["readout.weight"] = torch.randn(vocab_size, hidden).tolist()
    return {
        "cell": "lstm",
        "vocab": vocab,
        "hidden_size": hidden,
        "num_layers": layers,
        "state_dict": state_dict,
    }


def import_file() -> bytes:
    """A safetensors LSTM near the import size limit (8 MB): 3 layers of 256 units."""
    module = torch.nn.LSTM(64, 256, 3)
    weights = {name: value.detach().contiguous() for name, value in module.state_dict().items()}
    weights["readout.weight"] = torch.randn(64, 256)
    return safetensors_bytes(weights)


Send = Callable[[httpx.Client, float], int]  # client, stream seconds -> status


def get(path: str, **params: object) -> Send:
    return lambda client, _: client.get(path, params=params).status_code


def post(path: str, body: dict) -> Send:
    return lambda client, _: client.post(path, json=body).status_code


def stream(path: str, body: dict) -> Send:
    def send(client: httpx.Client, seconds: float) -> int:
        started = time.monotonic()
        with client.stream("POST", path, json=body) as response:
            for _ in response.iter_bytes():
                if time.monotonic() - started > seconds:
                    break
            return response.status_code

    return send


def upload(client: httpx.Client, _: float) -> int:
    files = {"file": ("model.safetensors", import_file())}
    vocab = "".join(chr(0x4E00 + k) for k in range(64))
    return client.post("/api/models/import", files=files, data={"vocab": vocab}).status_code


def requests() -> dict[str, Send]:
    text = code_text(2000)
    inline = inline_lstm(256, 128, 1)
    return {
        "GET trace, 2000 chars, projections": get(
            "/api/trace", model="code-lstm", text=text, projections="true"
        ),
        "GET trace, 500 chars, analysis": get(
            "/api/trace", model="code-lstm", text=text[:500], analysis="true"
        ),
        "POST trace, inline LSTM 256 units": post(
            "/api/trace", {"model": inline, "text": "".join(inline["vocab"]) * 15}
        ),
        "POST generate, 1000 chars": post(
            "/api/generate", {"model": "code-lstm", "prompt": text[:1000], "length": 1000}
        ),
        "POST explore, T=1000, H=128": post(
            "/api/explore", {"cells": ["rnn", "lstm", "gru"], "steps": 1000, "hidden_size": 128}
        ),
        "POST explore/phase": post("/api/explore/phase", {"steps": 1000, "hidden_size": 128}),
        "POST import, 8 MB safetensors": upload,
        "POST train, LSTM 80 x batch 256 x T=200": stream(
            "/api/train",
            {
                "task": "adding",
                "cell": "lstm",
                "hidden_size": 80,  # batch x T x hidden at max_train_activations
                "batch_size": 256,
                "length": 200,
                "steps": 5000,
            },
        ),
        "POST train/compare, 60 runs": stream(
            "/api/train/compare",
            {"task": "recall", "delays": [10, 20, 40, 80, 160], "seeds": 4},
        ),
    }


def measure(server: Server, name: str, send: Send, seconds: float) -> None:
    pids = worker_pids(server)
    resting = {pid: memory_status(pid, "VmRSS") for pid in pids}
    for pid in pids:
        reset_peak_rss(pid)
    with (
        HealthWatch(server.url, interval=0.1) as health,
        httpx.Client(base_url=server.url, timeout=600) as client,
    ):
        started = time.monotonic()
        status = send(client, seconds)
        elapsed = time.monotonic() - started
    growth = max(peak_rss(pid) - resting[pid] for pid in pids)
    print(
        f"{name:44s} {status:4d} {elapsed:7.2f} s  peak +{growth / MB:7.1f} MB"
        f"  healthz max {health.slowest * 1000:6.0f} ms  failures {len(health.failures)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-seconds", type=float, default=10.0)
    args = parser.parse_args()
    with running_server("--workers", "2") as server:
        resting = [memory_status(pid, "VmRSS") // MB for pid in worker_pids(server)]
        print(f"workers at rest: {resting} MB")
        print(f"{'request':44s} code {'time':>9s}  worker peak beyond rest    /healthz")
        for name, send in requests().items():
            measure(server, name, send, args.stream_seconds)


if __name__ == "__main__":
    main()
