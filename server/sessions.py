"""Live classroom sessions: the lecturer's page state, followed by every student's page.

A session is a short join code, a secret lecturer token and the lecturer's current state
(`{"path": "/hello", "query": "model=hello-lstm&step=3"}`). Each change of state bumps the
session's version; a follower's event stream sends the state at once and then the latest
state after every change, with the version as its event id. Followers only ever need the
latest state, so changes made faster than a follower reads are coalesced, never queued: a
slow phone holds no backlog.

This store keeps sessions in this worker's memory, which serves the default single-process
server. Sessions, followers per session and the state's size are bounded (settings), and a
session the lecturer leaves idle for `session_idle_seconds` expires.

Codes use an alphabet without look-alikes (no 0/O, 1/I/L): 31^6 codes, typed in any case.
Tokens are compared in constant time and never sent to followers.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PAGES = frozenset({"/", "/hello", "/gradients", "/explore", "/lab"})


class SessionError(Exception):
    """A session request refused: `status` (401, 403, 404, 413, 429, 503), the field at
    fault and a message naming the value and the limit."""

    def __init__(
        self, status: int, loc: list[str], message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.loc = loc
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class SessionEvent:
    """What a follower is sent: `kind` "state" or "end", its data, and its id (the version)."""

    kind: str
    data: dict[str, Any]
    version: int


@dataclass
class Session:
    code: str
    token: str
    expires_at: float  # time.time() after which the session is gone
    version: int = 0
    state: dict[str, str] | None = None
    ended: str | None = None  # why it ended, once it has
    followers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self) -> None:
        """Wake every follower: they read the session's latest version."""
        self.version += 1
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()

    def latest(self) -> SessionEvent | None:
        if self.ended is not None:
            return SessionEvent("end", {"reason": self.ended}, self.version)
        if self.state is None:
            return None
        return SessionEvent("state", self.state, self.version)


class SessionStore:
    """This worker's sessions, by code (see the module docstring). Call from the event loop."""

    def __init__(self, max_sessions: int, max_followers: int, idle_seconds: float) -> None:
        self.max_sessions = max_sessions
        self.max_followers = max_followers
        self.idle_seconds = idle_seconds
        self.sessions: dict[str, Session] = {}

    def create(self) -> Session:
        self.expire()
        if len(self.sessions) >= self.max_sessions:
            raise SessionError(
                429,
                ["body"],
                f"this server has {len(self.sessions)} live sessions; the limit is "
                f"{self.max_sessions} (UNROLLED_MAX_SESSIONS); end one or wait for one to expire",
                {"Retry-After": "60"},
            )
        code = new_code()
        while code in self.sessions:
            code = new_code()
        session = Session(code, secrets.token_urlsafe(24), time.time() + self.idle_seconds)
        self.sessions[code] = session
        return session

    def get(self, code: str) -> Session:
        self.expire()
        session = self.sessions.get(code.upper())
        if session is None:
            raise SessionError(
                404, ["path", "code"], f"no live session has the code {code!r}; has it ended?"
            )
        return session

    def lecturer(self, code: str, authorization: str | None) -> Session:
        """The session whose lecturer token `authorization` ("Bearer <token>") carries."""
        session = self.get(code)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SessionError(
                401,
                ["header", "authorization"],
                "changing a session needs its lecturer token: Authorization: Bearer <token>",
                {"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(token.strip().encode(), session.token.encode()):
            raise SessionError(
                403, ["header", "authorization"], f"that is not the lecturer token of {code!r}"
            )
        return session

    def set_state(self, session: Session, state: dict[str, str]) -> None:
        session.state = state
        session.expires_at = time.time() + self.idle_seconds
        session.publish()

    def end(self, session: Session, reason: str) -> None:
        """End `session`: its followers get an `end` event and its code is free again."""
        if self.sessions.get(session.code) is session:
            del self.sessions[session.code]
        session.ended = reason
        session.publish()

    def expire(self) -> None:
        now = time.time()
        for session in [s for s in self.sessions.values() if s.expires_at <= now]:
            self.end(session, f"the session was idle for {self.idle_seconds:g} s and expired")

    @contextmanager
    def following(self, session: Session) -> Iterator[AsyncIterator[SessionEvent]]:
        """A follower's events while the `with` lasts (it counts as a follower meanwhile);
        refused before its stream starts when the session has all the followers it may."""
        if session.followers >= self.max_followers:
            raise SessionError(
                429,
                ["path", "code"],
                f"session {session.code} has {session.followers} followers; the limit is "
                f"{self.max_followers} (UNROLLED_MAX_SESSION_FOLLOWERS)",
                {"Retry-After": "10"},
            )
        session.followers += 1
        try:
            yield self.events(session)
        finally:
            session.followers -= 1

    async def events(self, session: Session) -> AsyncIterator[SessionEvent]:
        """The latest state at once, then after every change; an `end` event closes it."""
        sent = -1
        while True:
            changed = session.changed
            latest = session.latest()
            if latest is not None and latest.version != sent:
                sent = latest.version
                yield latest
                if latest.kind == "end":
                    return
            if session.ended is None:
                wait = max(0.0, session.expires_at - time.time())
                try:
                    await asyncio.wait_for(changed.wait(), timeout=wait + 0.01)
                except TimeoutError:
                    self.expire()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
