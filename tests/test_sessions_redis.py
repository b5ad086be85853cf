"""One class served by several server processes sharing a real Redis: a session created on
one is followed on another, its polls and shared models reach every process, and its
followers survive a killed server by reconnecting elsewhere."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.redis_process import running_redis
from tests.server_process import Server, free_port, running_server
from tests.session_helpers import bearer, create, follow, message, wait_for

STEP = {"path": "/hello", "query": "model=hello-lstm&text=hello&step=3"}
POLL = {"id": "forward:2", "prompt": "Which letter comes next?", "choices": ["h", "l"], "answer": 1}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture(scope="module")
def servers(redis_url) -> Iterator[tuple[Server, Server]]:
    env = {"UNROLLED_REDIS_URL": redis_url}
    with running_server(env=env) as first, running_server(env=env) as second:
        yield first, second


def test_a_session_made_on_one_server_is_followed_on_another(servers):
    lecturer_side, student_side = servers
    with (
        httpx.Client(base_url=lecturer_side.url) as lecturer,
        httpx.Client(base_url=student_side.url) as student,
    ):
        session = create(lecturer)
        code = session["code"]
        got: list[dict] = []
        thread = follow(student_side.url, code, got, threading.Event())
        lecturer.put(f"/api/sessions/{code}/state", json=STEP, headers=bearer(session))
        wait_for(lambda: [e["event"] for e in got] == ["state"])
        assert json.loads(got[0]["data"]) == STEP
        assert lecturer.get(f"/api/sessions/{code}").json()["followers"] == 1

        lecturer.post(f"/api/sessions/{code}/polls", json=POLL, headers=bearer(session))
        wait_for(lambda: len(got) == 2)
        opened = json.loads(got[1]["data"])
        assert got[1]["event"] == "poll" and opened["choices"] == ["h", "l"]
        assert "answer" not in opened  # the class predicts before it knows
        url = f"/api/sessions/{code}/polls/forward:2"
        assert student.put(f"{url}/answers/student-one", json={"choice": 1}).status_code == 204
        assert student.put(f"{url}/answers/student-two", json={"choice": 0}).status_code == 204
        assert lecturer.get(url, headers=bearer(session)).json()["counts"] == [1, 1]
        lecturer.post(f"{url}/reveal", headers=bearer(session))
        wait_for(lambda: len(got) == 3)
        revealed = json.loads(got[2]["data"])
        assert revealed["revealed"] and revealed["answer"] == 1 and revealed["counts"] == [1, 1]

        model = json.dumps({"cell": "gru", "vocab": ["a", "b"]}).encode()
        shared = lecturer.post(
            f"/api/sessions/{code}/models", content=model, headers=bearer(session)
        ).json()
        assert student.get(shared["url"]).content == model

        lecturer.delete(f"/api/sessions/{code}", headers=bearer(session))
        thread.join(timeout=15)
        assert got[-1]["event"] == "end"
        assert student.get(f"/api/sessions/{code}").status_code == 404


def test_followers_of_a_killed_server_reconnect_to_another_and_get_the_latest_state(redis_url):
    env = {"UNROLLED_REDIS_URL": redis_url}
    with (
        running_server(env=env) as survivor,
        running_server(env=env) as doomed,
        httpx.Client(base_url=survivor.url) as lecturer,
    ):
        session = create(lecturer)
        code = session["code"]
        lecturer.put(f"/api/sessions/{code}/state", json=STEP, headers=bearer(session))
        got: list[dict] = []
        follow(doomed.url, code, got, threading.Event())
        wait_for(lambda: len(got) == 1)
        doomed.process.kill()
        doomed.process.wait(timeout=10)
        wait_for(lambda: got[-1]["event"] == "lost")
        later = {**STEP, "query": "model=hello-lstm&text=hello&step=4"}
        lecturer.put(f"/api/sessions/{code}/state", json=later, headers=bearer(session))
        # The EventSource reconnects (here: to the other server) with the last id it saw.
        resumed: list[dict] = []
        thread = follow(
            survivor.url, code, resumed, threading.Event(), **{"Last-Event-ID": got[0]["id"]}
        )
        wait_for(lambda: len(resumed) == 1)
        assert json.loads(resumed[0]["data"]) == later
        assert int(resumed[0]["id"]) > int(got[0]["id"])
        lecturer.delete(f"/api/sessions/{code}", headers=bearer(session))
        thread.join(timeout=15)


def test_two_workers_share_sessions_through_redis(redis_url):
    with running_server("--workers", "2", env={"UNROLLED_REDIS_URL": redis_url}) as server:
        assert "answer 503" not in server.log_text()
        with httpx.Client(base_url=server.url) as http:
            session = create(http)
        code = session["code"]
        # Each connection may reach either worker: followers and PUTs on their own ones.
        streams = [([], threading.Event()) for _ in range(6)]
        threads = [follow(server.url, code, got, ready) for got, ready in streams]
        for _, ready in streams:
            assert ready.wait(timeout=15)
        url = f"{server.url}/api/sessions/{code}/state"
        for step in range(3):
            state = {**STEP, "query": f"step={step}"}
            assert httpx.put(url, json=state, headers=bearer(session)).status_code == 204
        for got, _ in streams:
            wait_for(lambda got=got: got and json.loads(got[-1]["data"])["query"] == "step=2")
        assert httpx.get(f"{server.url}/api/sessions/{code}").json()["followers"] == 6
        httpx.delete(f"{server.url}/api/sessions/{code}", headers=bearer(session))
        for thread in threads:
            thread.join(timeout=15)
            assert not thread.is_alive()


def test_a_lost_redis_is_a_503_that_says_so():
    with (
        running_redis() as url,
        running_server(env={"UNROLLED_REDIS_URL": url}) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        session = create(http)
        assert http.get(f"/api/sessions/{session['code']}").status_code == 200
        redis.Redis.from_url(url).shutdown(nosave=True)
        answer = http.get(f"/api/sessions/{session['code']}")
        assert answer.status_code == 503, answer.text
        assert "Redis" in message(answer) and answer.headers["retry-after"]
        assert http.get("/healthz").status_code == 200


def test_a_server_told_of_a_redis_that_does_not_answer_says_so_and_stops():
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with (
        pytest.raises(RuntimeError) as stopped,
        running_server(env={"UNROLLED_REDIS_URL": nowhere}),
    ):
        pass
    assert f"UNROLLED_REDIS_URL is {nowhere} and that Redis does not answer" in str(stopped.value)
