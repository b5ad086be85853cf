"""A live class: one lecturer and 300 students following over SSE, on 2 workers with Redis.

Starts a real `redis-server` and `unrolled serve --workers 2` with UNROLLED_REDIS_URL, then in
one run:

- followers: N event streams (default 300) open on the session; the lecturer PUTs a new
  page state every `--interval` seconds, `--changes` times. For each change and follower,
  the latency from the PUT being sent to that follower reading the state: p50, p99, max.
  Then the count of followers missing the final state (target 0).
- the reference: the same PUTs' own round trip (a follower cannot hear of a change before
  the PUT that makes it is answered... nearly: the event may arrive first).
- a poll: 60 students (own connections) answer at once; the time until every answer is
  in and the lecturer's tally counts them all.

The followers, the lecturer and the students all run in this process, on the same 2-core
machine as the servers: the latencies include this process's own share of the CPU.
Usage: python benchmarks/classroom.py [--followers 300] [--changes 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

try:
    import uvloop
except ImportError:  # Windows: the standard loop
    uvloop = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.redis_process import running_redis  # noqa: E402
from tests.server_process import running_server  # noqa: E402

STEP = re.compile(rb"event: state\ndata: [^\n]*step=(\d+)")


class Follower:
    """One student's event stream, read from a bare socket (as light as a client can be, so
    the latencies are the server's rather than this process's): when each step arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.status = b""  # the answer's status line

    async def follow(self, host: str, port: int, code: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as error:  # the server's listen queue is full
            self.status, _ = f"not connected: {error.strerror}".encode(), self.ready.set()
            return
        request = f"GET /api/sessions/{code}/events HTTP/1.1\r\nHost: {host}\r\n\r\n"
        writer.write(request.encode())
        pending = b""
        try:
            while chunk := await reader.read(65536):
                now = time.perf_counter()
                self.ready.set()
                self.status = self.status or chunk.split(b"\r\n", 1)[0]
                pending += chunk
                for match in STEP.finditer(pending):
                    self.arrived.setdefault(int(match[1]), now)
                if b"event: end" in pending:
                    return
                pending = pending[-200:]  # an event cut between two reads is found next time
        except OSError as error:  # the server dropped the connection
            self.status = self.status or f"dropped: {error.strerror}".encode()
        finally:
            self.ready.set()
            writer.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def lecture(url: str, followers: int, changes: int, interval: float) -> dict:
    limits = httpx.Limits(max_connections=followers + 100, max_keepalive_connections=followers)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        session = (await client.post("/api/sessions")).json()
        code, auth = session["code"], {"Authorization": f"Bearer {session['lecturer_token']}"}
        students = [Follower() for _ in range(followers)]
        where = httpx.URL(url)
        tasks = [
            asyncio.create_task(s.follow(where.host, where.port or 80, code)) for s in students
        ]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in students)), 120)
        shown = await client.get(f"/api/sessions/{code}")
        counted = shown.json()["followers"] if shown.is_success else shown.text

        sent: dict[int, float] = {}
        round_trips: list[float] = []
        failed: list[str] = []
        for step in range(1, changes + 1):
            query = f"model=hello-lstm&text=hello&step={step}"
            sent[step] = time.perf_counter()
            put = await client.put(
                f"/api/sessions/{code}/state", json={"path": "/hello", "query": query}, headers=auth
            )
            if put.status_code != 204:  # the server is past a limit: this change never left
                failed.append(f"{put.status_code} {put.text[:100]}")
                del sent[step]
                continue
            round_trips.append(time.perf_counter() - sent[step])
            await asyncio.sleep(interval)
        await asyncio.sleep(2.0)  # the last change's stragglers
        latencies = [
            student.arrived[step] - start
            for student in students
            for step, start in sent.items()
            if step in student.arrived
        ]
        missing = sum(changes not in student.arrived for student in students)
        refused = Counter(s.status.decode() for s in students if not s.status.endswith(b"200 OK"))
        lost = changes * followers - len(latencies)

        poll = await answer_poll(client, code, auth, 60)
        await client.delete(f"/api/sessions/{code}", headers=auth)
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    return {
        "followers": followers,
        "counted": counted,
        "latencies": latencies,
        "round_trips": round_trips,
        "missing_final": missing,
        "failed_puts": failed,
        "refused": dict(refused),
        "events_not_seen": lost,
        **poll,
    }


async def answer_poll(client: httpx.AsyncClient, code: str, auth: dict, students: int) -> dict:
    """`students` answer one poll at once (on as many connections as they need); then the
    tally."""
    poll = {"id": "bench:1", "prompt": "Which?", "choices": ["a", "b", "c"], "answer": 0}
    await client.post(f"/api/sessions/{code}/polls", json=poll, headers=auth)

    async def answer(k: int) -> int:
        path = f"/api/sessions/{code}/polls/bench:1/answers/student-{k:04d}"
        return (await client.put(path, json={"choice": k % 3})).status_code

    start = time.perf_counter()
    statuses = await asyncio.gather(*(answer(k) for k in range(students)))
    answered = time.perf_counter() - start
    tally = (await client.get(f"/api/sessions/{code}/polls/bench:1", headers=auth)).json()
    return {
        "poll_students": students,
        "poll_ok": sum(status == 204 for status in statuses),
        "poll_seconds": answered,
        "poll_counted": sum(tally["counts"]),
    }


def report(result: dict, workers: int) -> None:
    ms = [1000 * value for value in result["latencies"]]
    trips = [1000 * value for value in result["round_trips"]]
    print(f"followers: {result['followers']} on {workers} workers with Redis")
    print(f"  counted by the server: {result['counted']}")
    print(
        f"  PUT -> each follower's event: p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms "
        f"({len(ms)} events)"
    )
    print(f"  reference, the PUT's own round trip: p50 {statistics.median(trips):.1f} ms")
    print(f"  p99 / PUT round trip (p50): {percentile(ms, 0.99) / statistics.median(trips):.1f}x")
    print(f"  followers missing the final state: {result['missing_final']}")
    if result["failed_puts"]:
        print(
            f"  lecturer's changes refused: {len(result['failed_puts'])}, first: "
            f"{result['failed_puts'][0]}"
        )
    print(f"  streams refused: {result['refused'] or 'none'}")
    print(f"  changes never seen (coalesced or lost): {result['events_not_seen']}")
    print(
        f"poll: {result['poll_ok']}/{result['poll_students']} answers accepted in "
        f"{result['poll_seconds'] * 1000:.0f} ms; the tally counts {result['poll_counted']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=300)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with running_redis() as redis_url:
        env = {"UNROLLED_REDIS_URL": redis_url}
        with running_server("--workers", str(args.workers), env=env) as server:
            run = lecture(server.url, args.followers, args.changes, args.interval)
            result = uvloop.run(run) if uvloop else asyncio.run(run)
    report(result, args.workers)


if __name__ == "__main__":
    main()
