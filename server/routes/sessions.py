"""Live classroom sessions: the lecturer's page, polls and shared models, streamed to every
follower.

POST creates a session (201: code, join URL, lecturer token); PUT .../state with the
lecturer's token sets the page every follower shows; GET .../events streams it
(`text/event-stream`: the state at once, then each change and poll, event id = the session's
version, an `end` event when the session ends); DELETE ends it. Polls and shared models live
under the session's path. See server/sessions/.
"""

from __future__ import annotations

import io
import socket
from typing import Annotated, Any

import orjson
import segno
from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from server.addresses import is_loopback, room_address, url
from server.assets import Assets
from server.deps import SettingsDep
from server.encoding import json_response
from server.errors import InputError, error_body, error_item
from server.routes.pages import TEMPLATES
from server.schemas.sessions import (
    DIGEST,
    PollAnswer,
    PollOpen,
    PollView,
    SessionCreated,
    SessionInfo,
    SessionState,
    SharedModel,
)
from server.sessions import CODE_ALPHABET, CODE_LENGTH, Record, SessionError, SessionStore
from server.sessions.stream import SessionStream

router = APIRouter(prefix="/api/sessions", tags=["sessions"])
join_router = APIRouter()

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "no live session has this code (never was, ended or expired)"},
    429: {"description": "over a bound: sessions, followers, polls or a poll's answers"},
    503: {"description": "several workers and no Redis to share sessions, or Redis is down"},
}
LECTURER_ERRORS: dict[int | str, dict[str, str]] = {
    **ERRORS,
    401: {"description": "no lecturer token (Authorization: Bearer <token>)"},
    403: {"description": "not this session's lecturer token"},
}
Authorization = Annotated[str | None, Header(description="Bearer <lecturer_token>")]
NO_STORE = {"Cache-Control": "no-store"}
VOTER = r"^[A-Za-z0-9_-]{8,64}$"


def session_store(request: Request, settings: SettingsDep) -> SessionStore:
    """The sessions, or 503 when several workers would each keep their own."""
    if settings.workers > 1 and not settings.redis_url:
        raise SessionError(
            503,
            ["settings", "workers"],
            f"live sessions are kept in one worker's memory and this server runs "
            f"{settings.workers} workers, whose students would not see each other's sessions: "
            "serve the lecture with one worker (unrolled serve --workers 1), or give the "
            "workers a Redis to share (UNROLLED_REDIS_URL=redis://host:6379/0)",
        )
    store: SessionStore = request.app.state.sessions
    return store


Store = Annotated[SessionStore, Depends(session_store)]


async def lecturer_session(code: str, store: Store, authorization: Authorization = None) -> Record:
    """The session whose lecturer token the request carries (401 without one, 403 wrong)."""
    return await store.lecturer(code, authorization)


LecturerSession = Annotated[Record, Depends(lecturer_session)]


def join_url(request: Request, code: str) -> str:
    """The link students open: this server as the room reaches it, never localhost."""
    host = request.url.hostname or "localhost"
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    if not is_loopback(host):
        base = str(request.base_url)
    else:  # the lecturer opened localhost: give the room this machine's network address
        base = url(room_address() or f"{socket.gethostname()}.local", port)
    return f"{base}join/{code}"


@router.post("", status_code=201, response_model=SessionCreated, responses=ERRORS)
async def create_session(request: Request, store: Store) -> Response:
    """Start a live session: students join with its code or URL."""
    session = await store.create()
    created = SessionCreated(
        code=session.code,
        join_url=join_url(request, session.code),
        lecturer_token=session.token,
        expires_at=session.expires_at,
    )
    return json_response(created.model_dump(), status_code=201)


@router.get("/{code}", response_model=SessionInfo, responses=ERRORS)
async def get_session(code: str, request: Request, store: Store) -> Response:
    """A session's join link, followers and current page (no token)."""
    session = await store.get(code)
    state = session.snapshot.state
    shown = SessionInfo(
        code=session.code,
        join_url=join_url(request, session.code),
        followers=await store.followers(session.code),
        expires_at=session.expires_at,
        state=SessionState(**state) if state is not None else None,
    )
    return json_response(shown.model_dump(), headers=NO_STORE)


STATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SessionState.model_json_schema()}},
    }
}


@router.put(
    "/{code}/state",
    status_code=204,
    responses={**LECTURER_ERRORS, 413: {"description": "state over max_session_state_bytes"}},
    openapi_extra=STATE_BODY,
)
async def put_state(
    request: Request, settings: SettingsDep, store: Store, session: LecturerSession
) -> Response:
    """Set the page every follower shows (lecturer only)."""
    body = await request.body()
    limit = settings.max_session_state_bytes
    if len(body) > limit:
        message = f"the state has {len(body)} bytes; the limit is {limit}"
        return json_response(error_body(["body"], message, "too_large"), status_code=413)
    try:
        state = SessionState.model_validate_json(body)
    except ValidationError as error:
        detail = [error_item(["body", *e["loc"]], e["msg"], e["type"]) for e in error.errors()]
        return json_response({"detail": detail}, status_code=422)
    shown = state.model_dump(exclude_none=True)
    await store.set_state(session, {**shown, "query": state.query.removeprefix("?")})
    return Response(status_code=204)


@router.delete("/{code}", status_code=204, responses=LECTURER_ERRORS)
async def end_session(store: Store, session: LecturerSession) -> Response:
    """End the session: every follower is told."""
    await store.end(session, "the lecturer ended the session")
    return Response(status_code=204)


EVENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the event stream",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get("/{code}/events", response_class=Response, responses={**ERRORS, **EVENTS})
async def follow_session(code: str, store: Store) -> Response:
    """The lecturer's page at once, then every change (`state` events), the current poll
    (`poll` events: opened, then revealed with its answer and counts), and `end` when the
    session ends. Event ids are the session's version; a reconnecting EventSource gets the
    latest state and poll again. Errors (404, 429, 503) come before the stream starts."""
    session = await store.get(code)
    await store.admit(session)
    return SessionStream(store, session)


@router.get(
    "/{code}/qr.svg",
    responses={**ERRORS, 200: {"content": {"image/svg+xml": {}}}},
    response_class=Response,
)
async def join_qr(code: str, request: Request, store: Store) -> Response:
    """The join URL as a QR code (SVG): black on white, as phone cameras read best, in
    either theme."""
    session = await store.get(code)
    qr = segno.make(join_url(request, session.code), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff", xmldecl=False)
    svg = out.getvalue()
    return Response(svg, media_type="image/svg+xml", headers=NO_STORE)


@router.post("/{code}/polls", status_code=201, response_model=PollView, responses=LECTURER_ERRORS)
async def open_poll(poll: PollOpen, store: Store, session: LecturerSession) -> Response:
    """Put a question to the class (lecturer only): it becomes the current poll, and every
    follower gets a `poll` event without its answer. Opening an earlier poll's id again
    brings it back as it was."""
    opened = await store.open_poll(session, poll.model_dump())
    return json_response(PollView(**opened).model_dump(), status_code=201, headers=NO_STORE)


@router.get("/{code}/polls/{poll_id}", response_model=PollView, responses=LECTURER_ERRORS)
async def get_poll(poll_id: str, store: Store, session: LecturerSession) -> Response:
    """The poll with its answers so far (lecturer only: the class sees them at the reveal)."""
    tally = await store.tally(session, poll_id)
    return json_response(PollView(**tally).model_dump(), headers=NO_STORE)


@router.put(
    "/{code}/polls/{poll_id}/answers/{voter}",
    status_code=204,
    responses={**ERRORS, 409: {"description": "the poll is revealed or not the current one"}},
)
async def answer_poll(
    code: str,
    poll_id: str,
    voter: Annotated[
        str,
        Path(
            pattern=VOTER,
            description="a random id this browser keeps: one answer per browser, anonymous",
        ),
    ],
    answer: PollAnswer,
    store: Store,
) -> Response:
    """A student's answer to the current poll; answering again changes it."""
    await store.answer(await store.get(code), poll_id, voter, answer.choice)
    return Response(status_code=204)


@router.post("/{code}/polls/{poll_id}/reveal", response_model=PollView, responses=LECTURER_ERRORS)
async def reveal_poll(poll_id: str, store: Store, session: LecturerSession) -> Response:
    """Close the poll and show every follower its answer and the class's counts."""
    revealed = await store.reveal(session, poll_id)
    return json_response(PollView(**revealed).model_dump(), headers=NO_STORE)


MODEL_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": "the model spec a page keeps (vocab, cell, sizes, state_dict)",
    }
}


def json_object(body: bytes) -> None:
    """A shared model is a JSON object (a page's model spec); parsed once its size is known to
    be within the limits."""
    try:
        spec = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InputError(["body"], f"the model is not JSON: {error}") from error
    if not isinstance(spec, dict):
        raise InputError(["body"], f"the model is a JSON {type(spec).__name__}, not an object")


@router.post(
    "/{code}/models",
    status_code=201,
    response_model=SharedModel,
    responses={**LECTURER_ERRORS, 413: {"description": "over a shared-model size limit"}},
    openapi_extra=MODEL_BODY,
)
async def share_model(request: Request, store: Store, session: LecturerSession) -> Response:
    """Share a model with the session (lecturer only): kept by its SHA-256 for the session's
    lifetime, so every student's page can open it, on any worker or replica."""
    body = await request.body()
    digest = await store.share_model(session, "application/json", body, json_object)
    shared = SharedModel(
        digest=digest, bytes=len(body), url=f"/api/sessions/{session.code}/models/{digest}"
    )
    return json_response(shared.model_dump(), status_code=201)


@router.get(
    "/{code}/models/{digest}",
    responses={**ERRORS, 200: {"content": {"application/json": {}}}},
    response_class=Response,
)
async def shared_model(
    code: str,
    digest: Annotated[str, Path(pattern=DIGEST, description="the model's SHA-256")],
    store: Store,
) -> Response:
    """A model shared with the session. Its digest names its bytes, so it never changes."""
    media_type, data = await store.shared_model(code, digest)
    cache = {"Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{digest}"'}
    return Response(data, media_type=media_type, headers=cache)


@join_router.get("/join", include_in_schema=False)
async def join_page(request: Request, settings: SettingsDep, code: str = "") -> Response:
    """Where a student types the code: a live one opens the lecturer's page (via the join
    link); anything else shows the form again saying what was wrong."""
    typed = "".join(code.split()).upper()
    if not typed:
        return join_form(request, "", "", 200)
    try:
        session = await session_store(request, settings).get(typed)
    except SessionError as error:  # a student reads why on the page, not as JSON
        problem = f"This server cannot take classes now: {error.message}."
        if error.status == 404:
            problem = f"No class has the code {typed!r} now. Check it on the lecturer's screen."
        if len(typed) != CODE_LENGTH or not set(typed) <= set(CODE_ALPHABET):
            problem = (
                f"{typed!r} is not a class code: codes have {CODE_LENGTH} letters and digits "
                "(no 0, 1, I, L or O)."
            )
        return join_form(request, typed, problem, error.status)
    return RedirectResponse(f"/join/{session.code}", status_code=303)


def join_form(request: Request, code: str, problem: str, status: int) -> Response:
    assets: Assets = request.app.state.assets
    context = {"page": "join", "code": code, "problem": problem, "entry": None}
    html = TEMPLATES.get_template("join.html").render(
        context | {"asset": assets.url, "preloads": assets.preloads}
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


@join_router.get("/join/{code}", include_in_schema=False)
async def join(code: str, request: Request, settings: SettingsDep) -> Response:
    """The join link: the lecturer's page as it is now (303), with `session=<code>`."""
    session = await session_store(request, settings).get(code)
    state = session.snapshot.state or {"path": "/", "query": ""}
    query = "&".join(part for part in (state["query"], f"session={session.code}") if part)
    return RedirectResponse(f"{state['path']}?{query}", status_code=303)


async def session_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SessionError)
    body = error_body(exc.loc, exc.message, "session")
    return json_response(body, status_code=exc.status, headers=exc.headers)


async def store_error_handler(_: Request, exc: Exception) -> Response:
    """Redis went away mid-lecture: a 503 that says so, not a 500."""
    message = f"the session store (Redis) does not answer: {exc}; try again in a moment"
    body = error_body(["settings", "redis_url"], message, "session_store")
    return json_response(body, status_code=503, headers={"Retry-After": "5"})
