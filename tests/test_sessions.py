"""Live classroom sessions (server/sessions/): every error of the API in-process, and the
event stream against a real server process, read line by line as a browser's EventSource
would."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import segno

from server.sessions import CODE_ALPHABET, CODE_LENGTH
from tests.server_process import Server, running_server
from tests.session_helpers import bearer, create, follow, message, wait_for

HELLO = {"path": "/hello", "query": "model=hello-lstm&text=hello&step=3&story=forward&scene=2"}


def test_a_session_has_an_unambiguous_code_and_a_link_the_room_can_reach(client):
    session = create(client)
    assert len(session["code"]) == CODE_LENGTH and set(session["code"]) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    # The test client calls itself "testserver"; opened as localhost, the link is the room's.
    assert session["join_url"] == f"http://testserver/join/{session['code']}"
    local = client.post("/api/sessions", headers={"Host": "127.0.0.1:8000"}).json()
    host = urlsplit(local["join_url"]).hostname
    assert host not in ("127.0.0.1", "localhost") and local["join_url"].endswith(local["code"])


def test_the_lecturer_sets_the_state_and_anyone_reads_it_without_the_token(client):
    session = create(client)
    code = session["code"]
    assert client.get(f"/api/sessions/{code}").json()["state"] is None
    answer = client.put(f"/api/sessions/{code}/state", json=HELLO, headers=bearer(session))
    assert answer.status_code == 204, answer.text
    shown = client.get(f"/api/sessions/{code.lower()}").json()  # codes are typed in any case
    assert shown["state"] == {**HELLO, "shared_model": None} and shown["followers"] == 0
    assert "lecturer_token" not in shown and session["lecturer_token"] not in json.dumps(shown)


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({}, 401, "lecturer token"),
        ({"Authorization": "Basic abc"}, 401, "Bearer"),
        ({"Authorization": "Bearer not-the-token"}, 403, "not the lecturer token"),
    ],
)
def test_only_the_lecturer_changes_or_ends_a_session(client, headers, status, words):
    code = create(client)["code"]
    put = client.put(f"/api/sessions/{code}/state", json=HELLO, headers=headers)
    delete = client.delete(f"/api/sessions/{code}", headers=headers)
    for answer in (put, delete):
        assert answer.status_code == status and words in message(answer)
    assert client.get(f"/api/sessions/{code}").status_code == 200  # still live
    if status == 401:
        assert put.headers["www-authenticate"] == "Bearer"


def test_another_sessions_token_is_refused(client):
    first, second = create(client), create(client)
    answer = client.put(f"/api/sessions/{first['code']}/state", json=HELLO, headers=bearer(second))
    assert answer.status_code == 403


def test_an_unknown_or_ended_code_is_404_naming_the_code(client):
    session = create(client)
    code = session["code"]
    assert client.delete(f"/api/sessions/{code}", headers=bearer(session)).status_code == 204
    for answer in (
        client.get(f"/api/sessions/{code}"),
        client.get(f"/api/sessions/{code}/events"),
        client.get(f"/api/sessions/{code}/qr.svg"),
        client.put(f"/api/sessions/{code}/state", json=HELLO, headers=bearer(session)),
        client.get("/api/sessions/ZZZZZZ"),
    ):
        assert answer.status_code == 404 and "no live session" in message(answer)


def test_an_oversized_state_is_413_and_a_bad_one_422_naming_the_field(client):
    session = create(client)
    url = f"/api/sessions/{session['code']}/state"
    huge = {"path": "/hello", "query": "text=" + "a" * 5000}
    answer = client.put(url, json=huge, headers=bearer(session))
    assert answer.status_code == 413 and "the limit is 4096" in message(answer)
    answer = client.put(url, json={"path": "/admin", "query": ""}, headers=bearer(session))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "path"]
    answer = client.put(url, content=b"not json", headers=bearer(session))
    assert answer.status_code == 422
    answer = client.put(url, json={**HELLO, "token": "x"}, headers=bearer(session))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "token"]


def test_the_join_link_opens_the_lecturers_page_now(client):
    session = create(client)
    code = session["code"]
    answer = client.get(f"/join/{code}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/?session={code}"
    client.put(f"/api/sessions/{code}/state", json=HELLO, headers=bearer(session))
    answer = client.get(f"/join/{code.lower()}", follow_redirects=False)
    assert answer.headers["location"] == f"/hello?{HELLO['query']}&session={code}"
    assert client.get("/join/ZZZZZZ", follow_redirects=False).status_code == 404


def test_the_join_link_comes_as_a_qr_code(client):
    session = create(client)
    answer = client.get(f"/api/sessions/{session['code']}/qr.svg")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    assert answer.text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in answer.text
    expected = io.BytesIO()  # the join link, and nothing else, is what the code encodes
    segno.make(session["join_url"], error="m").save(
        expected, kind="svg", scale=8, border=2, dark="#000", light="#fff", xmldecl=False
    )
    assert answer.content == expected.getvalue()


def test_sessions_are_bounded(monkeypatch):
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import get_settings

    monkeypatch.setenv("UNROLLED_MAX_SESSIONS", "2")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            create(client), create(client)
            answer = client.post("/api/sessions")
            assert answer.status_code == 429 and "the limit is 2" in message(answer)
            assert answer.headers["retry-after"]
    finally:
        get_settings.cache_clear()


def test_several_workers_without_a_shared_store_answer_503(monkeypatch):
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import get_settings

    monkeypatch.setenv("UNROLLED_WORKERS", "2")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            answer = client.post("/api/sessions")
            assert answer.status_code == 503 and "2 workers" in message(answer)
    finally:
        get_settings.cache_clear()


# --- the event stream, over a real server ---------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server() as running:
        yield running


def test_followers_get_the_state_at_once_every_change_and_the_end(server):
    with httpx.Client(base_url=server.url) as http:
        session = create(http)
        code = session["code"]
        http.put(f"/api/sessions/{code}/state", json=HELLO, headers=bearer(session))
        streams = [([], threading.Event()) for _ in range(3)]
        threads = [follow(server.url, code, got, ready) for got, ready in streams]
        for got, _ in streams:
            wait_for(lambda got=got: len(got) == 1)
            assert got[0]["event"] == "state" and json.loads(got[0]["data"]) == HELLO
        assert http.get(f"/api/sessions/{code}").json()["followers"] == 3
        step4 = {"path": "/hello", "query": "model=hello-lstm&text=hello&step=4"}
        http.put(f"/api/sessions/{code}/state", json=step4, headers=bearer(session))
        for got, _ in streams:
            wait_for(lambda got=got: len(got) == 2)
            assert json.loads(got[1]["data"]) == step4
            assert int(got[1]["id"]) > int(got[0]["id"])
        assert http.delete(f"/api/sessions/{code}", headers=bearer(session)).status_code == 204
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive()
        for got, _ in streams:
            assert got[-1]["event"] == "end" and "ended" in json.loads(got[-1]["data"])["reason"]


def test_a_reconnecting_follower_resumes_with_the_latest_state(server):
    with httpx.Client(base_url=server.url) as http:
        session = create(http)
        code = session["code"]
        for step in range(5):
            state = {"path": "/hello", "query": f"step={step}"}
            http.put(f"/api/sessions/{code}/state", json=state, headers=bearer(session))
        got: list[dict] = []
        thread = follow(server.url, code, got, threading.Event(), **{"Last-Event-ID": "2"})
        wait_for(lambda: len(got) == 1)
        assert json.loads(got[0]["data"]) == {"path": "/hello", "query": "step=4"}
        http.delete(f"/api/sessions/{code}", headers=bearer(session))
        thread.join(timeout=10)
        assert [event["event"] for event in got] == ["state", "end"]


def test_the_join_page_takes_a_typed_code_and_says_what_is_wrong_with_a_bad_one(client):
    form = client.get("/join")
    assert form.status_code == 200 and 'name="code"' in form.text
    session = create(client)
    typed = " " + session["code"].lower()[:3] + " " + session["code"].lower()[3:]
    answer = client.get("/join", params={"code": typed}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/join/{session['code']}"
    shape = client.get("/join", params={"code": "hello1"})
    assert shape.status_code == 404 and "is not a class code" in shape.text
    gone = client.get("/join", params={"code": "ABCDEF"})
    assert gone.status_code == 404 and "No class has the code" in gone.text
    assert 'value="ABCDEF"' in gone.text  # typed again, not from scratch
