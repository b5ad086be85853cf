"""Live sessions from a test's side: create one, follow its event stream as a browser's
EventSource would (line by line, in a thread), wait for what it sends."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx


def create(client) -> dict:
    answer = client.post("/api/sessions")
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['lecturer_token']}"}


def message(answer) -> str:
    return answer.json()["detail"][0]["msg"]


def sse_events(lines: Iterator[str]) -> Iterator[dict]:
    """Parse text/event-stream lines into {event, id, data} dicts (comments skipped)."""
    event: dict = {}
    for line in lines:
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


def follow(base_url: str, code: str, got: list[dict], ready: threading.Event, **headers: str):
    """Follow a session in a thread, appending each event to `got` until `end`; a stream
    the server cut appends {"event": "lost"}."""

    def run() -> None:
        url = f"{base_url}/api/sessions/{code}/events"
        with httpx.stream("GET", url, headers=headers, timeout=30) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            ready.set()
            try:
                for event in sse_events(answer.iter_lines()):
                    got.append(event)
                    if event["event"] == "end":
                        return
            except httpx.RemoteProtocolError:
                got.append({"event": "lost"})

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("timed out")
