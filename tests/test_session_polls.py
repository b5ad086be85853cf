"""Polls and shared models of a live session, on both stores: this worker's memory and a
real Redis. Every error names the field, the value and the limit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import get_settings
from tests.redis_process import running_redis
from tests.session_helpers import bearer, create, message

QUESTION = {
    "id": "vanishing:3",
    "prompt": "What happens to the gradient 30 steps back?",
    "choices": ["it grows", "it shrinks towards 0", "it stays the same"],
    "answer": 1,
    "explain": "Each step multiplies it by a Jacobian of norm below 1.",
}
VOTERS = [f"browser-{k:04d}" for k in range(10)]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def client(request, monkeypatch) -> Iterator[TestClient]:
    """An app whose sessions live in memory or in Redis, with small limits to reach."""
    if request.param == "redis":
        monkeypatch.setenv("UNROLLED_REDIS_URL", request.getfixturevalue("redis_url"))
    monkeypatch.setenv("UNROLLED_MAX_SESSION_POLLS", "2")
    monkeypatch.setenv("UNROLLED_MAX_SESSION_FOLLOWERS", "12")
    monkeypatch.setenv("UNROLLED_MAX_SHARED_MODEL_BYTES", "2048")
    monkeypatch.setenv("UNROLLED_MAX_SESSION_MODEL_BYTES", "3000")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as test_client:
            yield test_client
    finally:
        get_settings.cache_clear()


def open_poll(client, session: dict, poll: dict = QUESTION) -> dict:
    answer = client.post(
        f"/api/sessions/{session['code']}/polls", json=poll, headers=bearer(session)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def vote(client, code: str, voter: str, choice: int, poll_id: str = QUESTION["id"]):
    url = f"/api/sessions/{code}/polls/{poll_id}/answers/{voter}"
    return client.put(url, json={"choice": choice})


def test_students_answer_once_per_browser_and_the_lecturer_sees_the_tally(client):
    session = create(client)
    code = session["code"]
    opened = open_poll(client, session)
    assert opened["counts"] == [0, 0, 0] and not opened["revealed"]
    for k, voter in enumerate(VOTERS):
        assert vote(client, code, voter, k % 3).status_code == 204
    assert vote(client, code, VOTERS[0], 1).status_code == 204  # changed their mind
    tally = client.get(f"/api/sessions/{code}/polls/vanishing:3", headers=bearer(session))
    assert tally.status_code == 200 and tally.json()["counts"] == [3, 4, 3]
    # The tally is the lecturer's until the reveal.
    assert client.get(f"/api/sessions/{code}/polls/vanishing:3").status_code == 401


def test_the_reveal_closes_the_poll_and_reopening_brings_it_back_as_it_was(client):
    session = create(client)
    code = session["code"]
    open_poll(client, session)
    vote(client, code, VOTERS[0], 1)
    url = f"/api/sessions/{code}/polls/vanishing:3/reveal"
    assert client.post(url).status_code == 401
    revealed = client.post(url, headers=bearer(session))
    assert revealed.status_code == 200 and revealed.json()["revealed"]
    late = vote(client, code, VOTERS[1], 0)
    assert late.status_code == 409 and "revealed" in message(late)
    again = open_poll(client, session)
    assert again["revealed"] and again["counts"] == [0, 1, 0]


def test_only_the_current_poll_takes_answers(client):
    session = create(client)
    code = session["code"]
    open_poll(client, session)
    open_poll(client, session, {**QUESTION, "id": "vanishing:4", "answer": None})
    old = vote(client, code, VOTERS[0], 0)
    assert old.status_code == 409 and "not the current poll" in message(old)
    assert vote(client, code, VOTERS[0], 0, "vanishing:4").status_code == 204


@pytest.mark.parametrize(
    ("voter", "body", "status", "words"),
    [
        ("browser-0001", {"choice": 3}, 422, "choice 3 is not one of"),
        ("browser-0001", {"choice": -1}, 422, "0 to 2"),
        ("short", {"choice": 0}, 422, "voter"),
        ("browser-0001", {"choice": "b"}, 422, "choice"),
    ],
)
def test_a_bad_answer_names_the_field_and_the_range(client, voter, body, status, words):
    session = create(client)
    open_poll(client, session)
    url = f"/api/sessions/{session['code']}/polls/vanishing:3/answers/{voter}"
    answer = client.put(url, json=body)
    assert answer.status_code == status, answer.text
    assert words in json.dumps(answer.json())


def test_polls_unknown_or_over_the_limit_are_refused(client):
    session = create(client)
    code = session["code"]
    missing = vote(client, code, VOTERS[0], 0, "nope")
    assert missing.status_code == 404 and "no poll 'nope'" in message(missing)
    bad = client.post(
        f"/api/sessions/{code}/polls",
        json={**QUESTION, "answer": 5},
        headers=bearer(session),
    )
    assert bad.status_code == 422 and "answer 5 is not one of the 3" in json.dumps(bad.json())
    open_poll(client, session)
    open_poll(client, session, {**QUESTION, "id": "b"})
    third = client.post(
        f"/api/sessions/{code}/polls", json={**QUESTION, "id": "c"}, headers=bearer(session)
    )
    assert third.status_code == 429 and "the limit is 2" in message(third)


def test_a_shared_model_is_kept_by_its_digest_and_bounded(client):
    session = create(client)
    code = session["code"]
    model = json.dumps({"cell": "lstm", "vocab": list("helo"), "pad": "x" * 1600}).encode()
    url = f"/api/sessions/{code}/models"
    assert client.post(url, content=model).status_code == 401
    shared = client.post(url, content=model, headers=bearer(session))
    assert shared.status_code == 201, shared.text
    digest = shared.json()["digest"]
    fetched = client.get(shared.json()["url"])
    assert fetched.status_code == 200 and fetched.content == model
    assert fetched.headers["etag"] == f'"{digest}"'
    # Sharing it again adds nothing; another one goes over the session's 3000 bytes.
    assert client.post(url, content=model, headers=bearer(session)).json()["digest"] == digest
    other = model.replace(b"x", b"y")
    full = client.post(url, content=other, headers=bearer(session))
    assert full.status_code == 413 and "limit of 3000" in message(full)
    big = client.post(url, content=b'{"a": "' + b"z" * 3000 + b'"}', headers=bearer(session))
    assert big.status_code == 413 and "at most 2048" in message(big)
    bad = client.post(url, content=b"[1, 2]", headers=bearer(session))
    assert bad.status_code == 422 and "not an object" in message(bad)
    # The size is checked before the body is parsed: a big body that is not JSON is a 413.
    huge = client.post(url, content=b"<" * 3000, headers=bearer(session))
    assert huge.status_code == 413 and "at most 2048" in message(huge)
    unknown = client.get(f"{url}/{'0' * 64}")
    assert unknown.status_code == 404 and "shares no model" in message(unknown)


def test_an_ended_session_forgets_its_polls_and_models(client):
    session = create(client)
    code = session["code"]
    open_poll(client, session)
    shared = client.post(f"/api/sessions/{code}/models", content=b"{}", headers=bearer(session))
    client.delete(f"/api/sessions/{code}", headers=bearer(session))
    assert vote(client, code, VOTERS[0], 0).status_code == 404
    assert client.get(shared.json()["url"]).status_code == 404


def test_a_poll_takes_as_many_browsers_as_a_session_has_followers(client):
    session = create(client)
    code = session["code"]
    open_poll(client, session)
    voters = [f"browser-{k:04d}" for k in range(13)]
    assert all(vote(client, code, voter, 0).status_code == 204 for voter in voters[:12])
    full = vote(client, code, voters[12], 0)
    assert full.status_code == 429 and "12 browsers" in message(full)
    assert vote(client, code, voters[0], 2).status_code == 204  # a known browser may change
