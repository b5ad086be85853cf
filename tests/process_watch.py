"""Watching a real server from outside: its workers' memory, and /healthz while it works."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.server_process import Server


def worker_pids(server: Server) -> list[int]:
    """The processes that answer requests: uvicorn's workers, or the server itself alone."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = [
        int(child)
        for child in children  # multiprocessing's resource tracker is a child too
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return workers or [pid]


def memory_status(pid: int, key: str) -> int:
    """Bytes of a /proc/<pid>/status memory line: VmRSS (now) or VmHWM (peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"process {pid} has no {key}")


def peak_rss(pid: int) -> int:
    return memory_status(pid, "VmHWM")


def reset_peak_rss(pid: int) -> None:
    """Start VmHWM again from the current resident set (Linux: 5 > clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class HealthWatch:
    """Polls /healthz every `interval` s in a thread; keeps the slowest answer and failures."""

    url: str
    interval: float = 0.2
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def __enter__(self) -> HealthWatch:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.wait(self.interval):
                started = time.monotonic()
                try:
                    status = client.get(f"{self.url}/healthz").status_code
                    if status != 200:
                        self.failures.append(f"/healthz answered {status}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"/healthz failed: {exc!r}")
                self.slowest = max(self.slowest, time.monotonic() - started)
