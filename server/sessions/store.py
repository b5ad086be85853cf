"""What every session store does, whatever keeps its data: the rules, the errors and the
followers' event streams. `MemoryStore` (one worker) and `RedisStore` (any number of workers
and replicas) only provide the storage primitives below, so both run the same logic.

A session's data is a `Record`: the lecturer token, the idle deadline, and what followers see,
a `Snapshot` (the lecturer's page state, the current poll, why it ended). Every change bumps the
snapshot's `version` and is published to every worker, where a `Watch` per followed code holds
the latest snapshot. A follower's stream reads the worker's watch, so one change costs one
message per worker, however many students follow there, and changes made faster than a phone
reads are coalesced, never queued: a follower only ever needs the latest snapshot.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import orjson

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
HEARTBEAT_SECONDS = 10.0  # a follower proves it is there, and checks its session is, this often
KEEPALIVE = b": keep-alive\n\n"  # what a quiet stream sends each heartbeat (proxies keep it)


class SessionError(Exception):
    """A session request refused: `status` (401, 403, 404, 409, 413, 422, 429, 503), the field
    at fault and a message naming the value and the limit."""

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
    """What a follower is sent: `kind` "state", "poll" or "end", its data, its id (version)."""

    kind: str
    data: dict[str, Any]
    version: int

    @cached_property
    def encoded(self) -> bytes:
        """As server-sent event: `event: <kind>`, `data: <json>`, `id: <version>`."""
        data = orjson.dumps(self.data)
        return b"event: %s\ndata: %s\nid: %d\n\n" % (self.kind.encode(), data, self.version)


@dataclass(frozen=True)
class Snapshot:
    """A session as its followers see it. Each part has the version it last changed at, so a
    follower sends only the parts that changed since it last sent."""

    version: int = 0
    state: dict[str, str] | None = None
    state_version: int = 0
    poll: dict[str, Any] | None = None  # the current poll, with its answer only once revealed
    poll_version: int = 0
    ended: str | None = None  # why it ended, once it has

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        return cls(**data)


@dataclass(frozen=True)
class Record:
    """A session as the store keeps it."""

    code: str
    token: str
    expires_at: float  # Unix time after which an idle session is gone
    snapshot: Snapshot
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)  # every poll opened, by id


class Watch:
    """The latest snapshot of one followed session in this worker, and an event set when it
    changes. Snapshots may arrive out of order (two workers publishing at once); the highest
    version wins, and an ended session stays ended. The events made of the latest snapshot
    are kept, so each is encoded once for all the worker's followers."""

    def __init__(self) -> None:
        self.latest: Snapshot | None = None
        self.changed = asyncio.Event()
        self.followers = 0
        self.made: dict[str, SessionEvent] = {}

    def event(self, kind: str, data: dict[str, Any]) -> SessionEvent:
        """The latest snapshot's `kind` event (made once)."""
        assert self.latest is not None
        made = self.made.get(kind)
        if made is None or made.version != self.latest.version:
            made = self.made[kind] = SessionEvent(kind, data, self.latest.version)
        return made

    def offer(self, snapshot: Snapshot) -> None:
        latest = self.latest
        if latest is not None:
            if latest.ended is not None:
                return
            if snapshot.ended is None and snapshot.version <= latest.version:
                return
        self.latest = snapshot
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()


class SessionStore(ABC):
    """Sessions, by code: the API's rules over a backend's primitives (see the module
    docstring). Call from the event loop."""

    def __init__(
        self,
        max_sessions: int,
        max_followers: int,
        idle_seconds: float,
        max_polls: int,
        max_model_bytes: int,
        max_session_model_bytes: int,
    ) -> None:
        self.max_sessions = max_sessions
        self.max_followers = max_followers
        self.idle_seconds = idle_seconds
        self.max_polls = max_polls
        self.max_model_bytes = max_model_bytes
        self.max_session_model_bytes = max_session_model_bytes
        self.watches: dict[str, Watch] = {}

    # --- what a backend provides ---------------------------------------------------------

    @abstractmethod
    async def count(self) -> int:
        """Live sessions."""

    @abstractmethod
    async def insert(self, record: Record) -> bool:
        """Store a new session; False if its code is taken."""

    @abstractmethod
    async def load(self, code: str) -> Record | None:
        """The live session with this (upper-case) code."""

    @abstractmethod
    async def save(self, code: str, changes: dict[str, Any]) -> Snapshot | None:
        """Change the snapshot's fields (`state` or `poll`; `polls` updates the poll record),
        bump its version, push the idle deadline back and publish the new snapshot to every
        worker. None if the session is gone."""

    @abstractmethod
    async def delete(self, code: str, reason: str) -> None:
        """Forget the session and publish its end to every worker."""

    @abstractmethod
    async def vote(self, code: str, poll_id: str, voter: str, choice: int, limit: int) -> bool:
        """Record (or replace) one browser's answer; False when the poll has `limit` voters
        and this is a new one."""

    @abstractmethod
    async def votes(self, code: str, poll_id: str) -> list[int]:
        """Every browser's answer."""

    @abstractmethod
    async def put_model(self, code: str, digest: str, media_type: str, data: bytes) -> int:
        """Keep a shared model under its digest; the bytes of all the session's models, after
        (a digest already kept adds nothing). Bounded by the caller before, with `model_bytes`."""

    @abstractmethod
    async def model_bytes(self, code: str) -> int:
        """Bytes of the models the session shares."""

    @abstractmethod
    async def get_model(self, code: str, digest: str) -> tuple[str, bytes] | None:
        """A shared model's media type and bytes."""

    @abstractmethod
    async def join(self, code: str, follower: str) -> None:
        """Count a follower in."""

    @abstractmethod
    async def beat(self, code: str, follower: str) -> bool:
        """The follower is still there; False when the session is gone (ended or expired)."""

    @abstractmethod
    async def leave(self, code: str, follower: str) -> None:
        """Count a follower out."""

    @abstractmethod
    async def followers(self, code: str) -> int:
        """Followers now, on every worker."""

    async def close(self) -> None:  # noqa: B027 (memory has nothing to let go of)
        """Let go of connections."""

    # --- the rules -----------------------------------------------------------------------

    async def create(self) -> Record:
        live = await self.count()
        if live >= self.max_sessions:
            raise SessionError(
                429,
                ["body"],
                f"this server has {live} live sessions; the limit is {self.max_sessions} "
                "(UNROLLED_MAX_SESSIONS); end one or wait for one to expire",
                {"Retry-After": "60"},
            )
        while True:
            record = Record(
                new_code(), secrets.token_urlsafe(24), time.time() + self.idle_seconds, Snapshot()
            )
            if await self.insert(record):
                return record

    async def get(self, code: str) -> Record:
        record = await self.load(code.upper())
        if record is None:
            raise gone(code)
        return record

    async def lecturer(self, code: str, authorization: str | None) -> Record:
        """The session whose lecturer token `authorization` ("Bearer <token>") carries."""
        record = await self.get(code)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SessionError(
                401,
                ["header", "authorization"],
                "changing a session needs its lecturer token: Authorization: Bearer <token>",
                {"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(token.strip().encode(), record.token.encode()):
            raise SessionError(
                403, ["header", "authorization"], f"that is not the lecturer token of {code!r}"
            )
        return record

    async def set_state(self, record: Record, state: dict[str, str]) -> None:
        await self.changed(record.code, {"state": state})

    async def end(self, record: Record, reason: str) -> None:
        """End the session: its followers get an `end` event and its code is free again."""
        await self.delete(record.code, reason)

    async def changed(self, code: str, changes: dict[str, Any]) -> Snapshot:
        snapshot = await self.save(code, changes)
        if snapshot is None:
            raise gone(code)
        return snapshot

    # --- polls ---------------------------------------------------------------------------

    async def open_poll(self, record: Record, poll: dict[str, Any]) -> dict[str, Any]:
        """Make `poll` ({id, prompt, choices, answer, explain}) the current one. A poll opened
        before comes back as it was (its answers, revealed or not)."""
        kept = record.polls.get(poll["id"])
        if kept is None:
            if len(record.polls) >= self.max_polls:
                raise SessionError(
                    429,
                    ["body", "id"],
                    f"session {record.code} has opened {len(record.polls)} polls; the limit "
                    f"is {self.max_polls} (UNROLLED_MAX_SESSION_POLLS)",
                )
            kept = {**poll, "revealed": False, "counts": None}
        await self.changed(record.code, {"polls": {kept["id"]: kept}, "poll": public_poll(kept)})
        return {**kept, "counts": count_votes(await self.votes(record.code, kept["id"]), kept)}

    def poll(self, record: Record, poll_id: str) -> dict[str, Any]:
        poll = record.polls.get(poll_id)
        if poll is None:
            raise SessionError(
                404,
                ["path", "poll_id"],
                f"session {record.code} has no poll {poll_id!r}; the lecturer opens polls",
            )
        return poll

    async def answer(self, record: Record, poll_id: str, voter: str, choice: int) -> None:
        """One browser's answer to the current poll; a second answer replaces the first."""
        poll = self.poll(record, poll_id)
        current = record.snapshot.poll
        if poll["revealed"] or current is None or current["id"] != poll_id:
            why = "has been revealed" if poll["revealed"] else "is not the current poll"
            raise SessionError(
                409, ["path", "poll_id"], f"poll {poll_id!r} {why}: answers are closed"
            )
        if not 0 <= choice < len(poll["choices"]):
            raise SessionError(
                422,
                ["body", "choice"],
                f"choice {choice} is not one of poll {poll_id!r}'s "
                f"{len(poll['choices'])} choices (0 to {len(poll['choices']) - 1})",
            )
        if not await self.vote(record.code, poll_id, voter, choice, self.max_followers):
            raise SessionError(
                429,
                ["path", "voter"],
                f"poll {poll_id!r} has answers from {self.max_followers} browsers, as many as "
                f"a session may have followers (UNROLLED_MAX_SESSION_FOLLOWERS)",
            )

    async def tally(self, record: Record, poll_id: str) -> dict[str, Any]:
        """The poll with its counts so far, as the lecturer sees it."""
        poll = self.poll(record, poll_id)
        return {**poll, "counts": count_votes(await self.votes(record.code, poll_id), poll)}

    async def reveal(self, record: Record, poll_id: str) -> dict[str, Any]:
        """Close the poll and show every follower its answer and the class's counts."""
        revealed = {**(await self.tally(record, poll_id)), "revealed": True}
        await self.changed(
            record.code, {"polls": {poll_id: revealed}, "poll": public_poll(revealed)}
        )
        return revealed

    # --- shared models -------------------------------------------------------------------

    async def share_model(
        self, record: Record, media_type: str, data: bytes, check: Callable[[bytes], None]
    ) -> str:
        """Keep a model the lecturer shares, by its SHA-256; the digest names it. Its sizes are
        checked first, then its content (`check` raises what is wrong), then it is kept."""
        if len(data) > self.max_model_bytes:
            raise SessionError(
                413,
                ["body"],
                f"the model has {len(data)} bytes; a shared model may have at most "
                f"{self.max_model_bytes} (UNROLLED_MAX_SHARED_MODEL_BYTES)",
            )
        digest = hashlib.sha256(data).hexdigest()
        kept = await self.model_bytes(record.code)
        if kept + len(data) > self.max_session_model_bytes and not await self.get_model(
            record.code, digest
        ):
            raise SessionError(
                413,
                ["body"],
                f"session {record.code} shares {kept} bytes of models; with this one's "
                f"{len(data)} that is over the limit of {self.max_session_model_bytes} "
                "(UNROLLED_MAX_SESSION_MODEL_BYTES)",
            )
        check(data)
        await self.put_model(record.code, digest, media_type, data)
        return digest

    async def shared_model(self, code: str, digest: str) -> tuple[str, bytes]:
        record = await self.get(code)
        model = await self.get_model(record.code, digest.lower())
        if model is None:
            raise SessionError(
                404, ["path", "digest"], f"session {record.code} shares no model {digest!r}"
            )
        return model

    # --- followers -----------------------------------------------------------------------

    def publish(self, code: str, snapshot: Snapshot) -> None:
        """A snapshot reached this worker: wake its followers here, if any."""
        watch = self.watches.get(code)
        if watch is not None:
            watch.offer(snapshot)

    async def admit(self, record: Record) -> None:
        """Refuse a follower, before its stream starts, when the session has all it may."""
        now = await self.followers(record.code)
        if now >= self.max_followers:
            raise SessionError(
                429,
                ["path", "code"],
                f"session {record.code} has {now} followers; the limit is "
                f"{self.max_followers} (UNROLLED_MAX_SESSION_FOLLOWERS)",
                {"Retry-After": "10"},
            )

    @asynccontextmanager
    async def following(self, record: Record) -> AsyncIterator[AsyncIterator[SessionEvent | None]]:
        """A follower's events while the `with` lasts (it counts as a follower meanwhile)."""
        follower = secrets.token_hex(8)
        watch = self.watches.setdefault(record.code, Watch())
        watch.followers += 1
        await self.join(record.code, follower)
        try:
            # Watch first, then read: a change published in between is not lost.
            fresh = await self.load(record.code)
            watch.offer(fresh.snapshot if fresh else replace(record.snapshot, ended="ended"))
            yield self.events(record.code, follower, watch)
        finally:
            watch.followers -= 1
            if watch.followers == 0:
                del self.watches[record.code]
            await self.leave(record.code, follower)

    async def events(
        self, code: str, follower: str, watch: Watch
    ) -> AsyncIterator[SessionEvent | None]:
        """The latest state (and poll) at once, then after every change; `end` closes it.
        None on each quiet heartbeat, for the stream to show it is alive."""
        sent_state = sent_poll = -1
        next_beat = time.monotonic() + HEARTBEAT_SECONDS
        while True:
            changed, latest = watch.changed, watch.latest
            assert latest is not None
            if latest.ended is not None:
                yield watch.event("end", {"reason": latest.ended})
                return
            if latest.state is not None and latest.state_version != sent_state:
                sent_state = latest.state_version
                yield watch.event("state", latest.state)
            if latest.poll is not None and latest.poll_version != sent_poll:
                sent_poll = latest.poll_version
                yield watch.event("poll", latest.poll)
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=next_beat - time.monotonic())
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
                if not changed.is_set():
                    yield None
                if not await self.beat(code, follower):
                    reason = f"the session ended or was idle for {self.idle_seconds:g} s"
                    watch.offer(replace(latest, ended=reason))


def public_poll(poll: dict[str, Any]) -> dict[str, Any]:
    """A poll as students see it: its answer, explanation and counts only once revealed."""
    shown = {key: poll[key] for key in ("id", "prompt", "choices", "revealed")}
    if poll["revealed"]:
        shown.update(answer=poll.get("answer"), explain=poll.get("explain"), counts=poll["counts"])
    return shown


def count_votes(votes: list[int], poll: dict[str, Any]) -> list[int]:
    counts = [0] * len(poll["choices"])
    for choice in votes:
        if 0 <= choice < len(counts):
            counts[choice] += 1
    return counts


def gone(code: str) -> SessionError:
    return SessionError(
        404, ["path", "code"], f"no live session has the code {code!r}; has it ended?"
    )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
