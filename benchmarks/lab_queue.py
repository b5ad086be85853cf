"""A class pressing Start in /lab at once: 60 clients against a real default server (one worker,
its default training slots and queue), each sending the run the page sends by default, at
random moments within 10 seconds.

Each client streams its run to the end, as the page does, and notes when it pressed Start, the
places in line and estimated waits it was told (`queued` events), when its run started and when
it ended. Before the class, the same run alone (median of a few) is the reference. Prints how
many runs finished (the target is all of them, none refused), the largest place in line, how
far the estimates were from the real waits (the first each client heard, and all of them),
when the last run started and ended after the first press, and the ratio of the whole class's
time to one run alone, with the ideal: every slot busy throughout, each run as fast as alone.
Then the CPU the server and these clients used: on a small machine they share its cores.

Usage: python benchmarks/lab_queue.py [--clients 60] [--within 10] [--seed 0] [--workers 1]
(`--workers 2`: two worker processes, each with its own slots and queue.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.process_watch import worker_pids  # noqa: E402
from tests.server_process import running_server  # noqa: E402

# What /lab sends when Start is pressed on its defaults (tests/browser/test_lab.py `train_body`).
DEFAULT_RUN = {
    "task": "recall",
    "delay": 10,
    "cell": "lstm",
    "hidden_size": 32,
    "num_layers": 1,
    "nonlinearity": "tanh",
    "lstm_init": "chrono",
    "optimizer": "adam",
    "lr": 0.01,
    "clip": "norm",
    "clip_threshold": 1,
    "steps": 500,
    "batch_size": 32,
    "seed": 0,
    "probe_every": 25,
    "snapshot_every": 50,
}


@dataclass
class Student:
    pressed: float  # seconds after the class began
    status: int = 0
    told: list[tuple[float, int, float | None]] = field(default_factory=list)  # (when, place, wait)
    started: float | None = None
    ended: float | None = None
    reason: str | None = None


async def press_start(client: httpx.AsyncClient, student: Student, origin: float) -> None:
    """Wait for the moment, then stream the run to its end as the page does."""
    await asyncio.sleep(student.pressed)
    async with client.stream("POST", "/api/train", json=DEFAULT_RUN) as response:
        student.status = response.status_code
        if response.status_code != 200:
            await response.aread()
            return
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event in ("queued", "start", "done"):
                data = json.loads(line.removeprefix("data: "))
                now = time.perf_counter() - origin
                if event == "queued":
                    student.told.append((now, data["position"], data["estimated_seconds"]))
                elif event == "start":
                    student.started = now
                else:
                    student.ended, student.reason = now, data["reason"]


async def one_run(url: str) -> float:
    """Seconds from pressing Start to the done event, on an idle server."""
    student = Student(pressed=0.0)
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        await press_start(client, student, time.perf_counter())
    assert student.reason == "finished" and student.ended is not None, student
    return student.ended


async def a_class(url: str, clients: int, within: float, seed: int) -> list[Student]:
    rng = random.Random(seed)
    students = sorted(
        (Student(pressed=rng.uniform(0, within)) for _ in range(clients)), key=lambda s: s.pressed
    )
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        origin = time.perf_counter()
        await asyncio.gather(*(press_start(client, s, origin) for s in students))
    return students


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def estimate_errors(students: list[Student], first: bool) -> list[float]:
    """|estimated wait - real wait from then to the start| of every `queued` event with an
    estimate (`first`: only each student's first one, heard as they pressed Start)."""
    errors = []
    for s in students:
        told = s.told[:1] if first else s.told
        for when, _, wait in told:
            if wait is not None and s.started is not None:
                errors.append(abs(wait - (s.started - when)))
    return errors


def report(args: argparse.Namespace, slots: int, alone: float, students: list[Student]) -> None:
    finished = [s for s in students if s.reason == "finished"]
    refused = [s for s in students if s.status == 429]
    started = [s for s in students if s.started is not None]
    first = students[0].pressed
    waits = [s.started - s.pressed for s in started if s.started is not None]
    runs = [s.ended - s.started for s in started if s.started is not None and s.ended is not None]
    places = [place for s in students for _, place, _ in s.told]
    at_once = slots * args.workers
    ideal = args.clients * alone / at_once
    print(
        f"{args.clients} clients pressed Start within {args.within:g} s; {args.workers} "
        f"worker(s), {slots} training slots each; the default /lab run "
        f"({DEFAULT_RUN['steps']} updates)"
    )
    print(f"one run alone: {alone:.2f} s (median of {args.repeats}, press to done)")
    print(f"got their run: {len(finished)} of {args.clients} (refused: {len(refused)})")
    print(f"queued: {sum(1 for s in students if s.told)}; largest place in line: {max(places)}")
    print(
        f"wait from press to start: median {statistics.median(waits):.1f} s, max {max(waits):.1f} s"
    )
    for only_first, which in ((True, "first estimate each heard"), (False, "every estimate")):
        errors = estimate_errors(students, only_first)
        print(
            f"{which} vs the real wait: median error {statistics.median(errors):.1f} s, "
            f"max {max(errors):.1f} s ({len(errors)} estimates)"
        )
    print(f"a run, start to done, {at_once} at a time: median {statistics.median(runs):.2f} s")
    last_start = max(s.started for s in started if s.started is not None) - first
    last_end = max(s.ended for s in students if s.ended is not None) - first
    print(f"last run started {last_start:.1f} s after the first press, last ended {last_end:.1f} s")
    print(
        f"class / one run alone: {last_end / alone:.1f}x (ideal, {at_once} runs at once "
        f"as fast as one alone: {ideal / alone:.1f}x = {ideal:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--within", type=float, default=10.0, help="seconds of presses")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs alone for the reference")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with running_server("--workers", str(args.workers)) as server:
        slots = httpx.get(f"{server.url}/api/train/tasks").json()["limits"]["max_runs"]
        asyncio.run(one_run(server.url))  # warm-up: the first run loads what later ones reuse
        alone = statistics.median([asyncio.run(one_run(server.url)) for _ in range(args.repeats)])
        workers = worker_pids(server)
        server_cpu, client_cpu = sum(map(cpu_seconds, workers)), time.process_time()
        students = asyncio.run(a_class(server.url, args.clients, args.within, args.seed))
        server_cpu = sum(map(cpu_seconds, workers)) - server_cpu
        client_cpu = time.process_time() - client_cpu
    report(args, slots, alone, students)
    print(
        f"CPU during the class: server {server_cpu:.1f} s, these {args.clients} clients "
        f"{client_cpu:.1f} s, on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
