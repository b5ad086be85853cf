"""Live classroom sessions: the lecturer's page state, streamed to every follower.

POST creates a session (201: code, join URL, lecturer token); PUT .../state with the
lecturer's token sets the page every follower shows; GET .../events streams it
(`text/event-stream`: the state at once, then each change, event id = the state's version,
an `end` event when the session ends); DELETE ends it. See server/sessions.py.
"""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError

from server.addresses import is_loopback, room_address, url
from server.deps import SettingsDep
from server.encoding import json_response
from server.errors import error_body, error_item
from server.schemas.sessions import SessionCreated, SessionInfo, SessionState
from server.sessions import Session, SessionError, SessionEvent, SessionStore
from server.settings import Settings
from server.streams import StreamRoute

router = APIRouter(prefix="/api/sessions", tags=["sessions"], route_class=StreamRoute)
join_router = APIRouter()

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "no live session has this code (never was, ended or expired)"},
    429: {"description": "too many sessions, or followers of this one; see Retry-After"},
    503: {"description": "this server runs several workers, which cannot share sessions"},
}
LECTURER_ERRORS: dict[int | str, dict[str, str]] = {
    **ERRORS,
    401: {"description": "no lecturer token (Authorization: Bearer <token>)"},
    403: {"description": "not this session's lecturer token"},
}
Authorization = Annotated[str | None, Header(description="Bearer <lecturer_token>")]


def session_store(request: Request, settings: Settings) -> SessionStore:
    """This worker's sessions, or 503 when several workers would each keep their own."""
    if settings.workers > 1:
        raise SessionError(
            503,
            ["settings", "workers"],
            f"live sessions are kept in one worker's memory and this server runs "
            f"{settings.workers} workers, whose students would not see each other's sessions: "
            "serve the lecture with one worker (unrolled serve --workers 1)",
        )
    store: SessionStore = request.app.state.sessions
    return store


def join_url(request: Request, code: str) -> str:
    """The link students open: this server as the room reaches it, never localhost."""
    host = request.url.hostname or "localhost"
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    if not is_loopback(host):
        base = str(request.base_url)
    else:  # the lecturer opened localhost: give the room this machine's network address
        base = url(room_address() or f"{socket.gethostname()}.local", port)
    return f"{base}join/{code}"


def info(request: Request, session: Session) -> SessionInfo:
    state = SessionState(**session.state) if session.state is not None else None
    return SessionInfo(
        code=session.code,
        join_url=join_url(request, session.code),
        followers=session.followers,
        expires_at=session.expires_at,
        state=state,
    )


@router.post("", status_code=201, response_model=SessionCreated, responses=ERRORS)
async def create_session(request: Request, settings: SettingsDep) -> Response:
    """Start a live session: students join with its code or URL."""
    session = session_store(request, settings).create()
    created = SessionCreated(
        code=session.code,
        join_url=join_url(request, session.code),
        lecturer_token=session.token,
        expires_at=session.expires_at,
    )
    return json_response(created.model_dump(), status_code=201)


@router.get("/{code}", response_model=SessionInfo, responses=ERRORS)
async def get_session(code: str, request: Request, settings: SettingsDep) -> Response:
    """A session's join link, followers and current page (no token)."""
    session = session_store(request, settings).get(code)
    return json_response(info(request, session).model_dump(), headers={"Cache-Control": "no-store"})


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
    code: str, request: Request, settings: SettingsDep, authorization: Authorization = None
) -> Response:
    """Set the page every follower shows (lecturer only)."""
    store = session_store(request, settings)
    session = store.lecturer(code, authorization)
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
    store.set_state(session, {"path": state.path, "query": state.query.removeprefix("?")})
    return Response(status_code=204)


@router.delete("/{code}", status_code=204, responses=LECTURER_ERRORS)
async def end_session(
    code: str, request: Request, settings: SettingsDep, authorization: Authorization = None
) -> Response:
    """End the session: every follower is told."""
    store = session_store(request, settings)
    store.end(store.lecturer(code, authorization), "the lecturer ended the session")
    return Response(status_code=204)


async def followed(
    code: str, request: Request, settings: SettingsDep
) -> AsyncIterator[AsyncIterator[SessionEvent]]:
    """A follower's events; errors (404, 429, 503) come before the stream starts."""
    store = session_store(request, settings)
    with store.following(store.get(code)) as events:
        yield events


@router.get("/{code}/events", response_class=EventSourceResponse, responses=ERRORS)
async def follow_session(
    events: Annotated[AsyncIterator[SessionEvent], Depends(followed)],
) -> AsyncIterator[ServerSentEvent]:
    """The lecturer's page at once, then every change (`state` events, id = version), and
    `end` when the session ends. A reconnecting EventSource gets the latest state again."""
    async for event in events:
        yield ServerSentEvent(event=event.kind, data=event.data, id=str(event.version))


@router.get(
    "/{code}/qr.svg",
    responses={**ERRORS, 200: {"content": {"image/svg+xml": {}}}},
    response_class=Response,
)
async def join_qr(code: str, request: Request, settings: SettingsDep) -> Response:
    """The join URL as a QR code (SVG): black on white, as phone cameras read best, in
    either theme."""
    session = session_store(request, settings).get(code)
    qr = segno.make(join_url(request, session.code), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff", xmldecl=False)
    svg = out.getvalue()
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@join_router.get("/join/{code}", include_in_schema=False)
async def join(code: str, request: Request, settings: SettingsDep) -> Response:
    """The join link: the lecturer's page as it is now (303), with `session=<code>`."""
    session = session_store(request, settings).get(code)
    state = session.state or {"path": "/", "query": ""}
    query = "&".join(part for part in (state["query"], f"session={session.code}") if part)
    return RedirectResponse(f"{state['path']}?{query}", status_code=303)


async def session_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SessionError)
    body = error_body(exc.loc, exc.message, "session")
    return json_response(body, status_code=exc.status, headers=exc.headers)
