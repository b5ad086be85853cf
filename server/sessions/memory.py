"""Sessions in this worker's memory: the default single-process server needs nothing else.

With several workers each would keep its own sessions, and a student's request reaching
another worker than the lecturer's would find none: the routes answer 503 then, unless
`redis_url` gives the workers a shared store (server/sessions/redis_store.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from server.sessions.store import Record, SessionStore, Snapshot


@dataclass
class Kept:
    """One session's data (a Record, plus its answers, models and followers)."""

    record: Record
    votes: dict[str, dict[str, int]] = field(default_factory=dict)  # poll id -> voter -> choice
    models: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest -> type, bytes
    followers: set[str] = field(default_factory=set)


class MemoryStore(SessionStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept: dict[str, Kept] = {}

    def expire(self) -> None:
        now = time.time()
        for code in [c for c, k in self.kept.items() if k.record.expires_at <= now]:
            self.forget(code, f"the session was idle for {self.idle_seconds:g} s and expired")

    def live(self, code: str) -> Kept | None:
        self.expire()
        return self.kept.get(code)

    def forget(self, code: str, reason: str) -> None:
        kept = self.kept.pop(code, None)
        if kept is not None:
            snapshot = kept.record.snapshot
            self.publish(code, replace(snapshot, version=snapshot.version + 1, ended=reason))

    async def count(self) -> int:
        self.expire()
        return len(self.kept)

    async def insert(self, record: Record) -> bool:
        if record.code in self.kept:
            return False
        self.kept[record.code] = Kept(record)
        return True

    async def load(self, code: str) -> Record | None:
        kept = self.live(code)
        return kept.record if kept else None

    async def save(self, code: str, changes: dict[str, Any]) -> Snapshot | None:
        kept = self.live(code)
        if kept is None:
            return None
        record, polls = kept.record, changes.pop("polls", {})
        snapshot = record.snapshot
        version = snapshot.version + 1
        parts = {f"{part}_version": version for part in changes}
        snapshot = Snapshot.from_json(
            {**snapshot.to_json(), **changes, **parts, "version": version}
        )
        kept.record = replace(
            record,
            snapshot=snapshot,
            polls={**record.polls, **polls},
            expires_at=time.time() + self.idle_seconds,
        )
        self.publish(code, snapshot)
        return snapshot

    async def delete(self, code: str, reason: str) -> None:
        self.forget(code, reason)

    async def vote(self, code: str, poll_id: str, voter: str, choice: int, limit: int) -> bool:
        kept = self.live(code)
        if kept is None:
            return True  # gone meanwhile: nothing to count it in
        votes = kept.votes.setdefault(poll_id, {})
        if voter not in votes and len(votes) >= limit:
            return False
        votes[voter] = choice
        return True

    async def votes(self, code: str, poll_id: str) -> list[int]:
        kept = self.live(code)
        return list(kept.votes.get(poll_id, {}).values()) if kept else []

    async def put_model(self, code: str, digest: str, media_type: str, data: bytes) -> int:
        kept = self.live(code)
        if kept is not None:
            kept.models[digest] = (media_type, data)
        return await self.model_bytes(code)

    async def model_bytes(self, code: str) -> int:
        kept = self.live(code)
        return sum(len(data) for _, data in kept.models.values()) if kept else 0

    async def get_model(self, code: str, digest: str) -> tuple[str, bytes] | None:
        kept = self.live(code)
        return kept.models.get(digest) if kept else None

    async def join(self, code: str, follower: str) -> None:
        kept = self.live(code)
        if kept is not None:
            kept.followers.add(follower)

    async def beat(self, code: str, follower: str) -> bool:
        return self.live(code) is not None

    async def leave(self, code: str, follower: str) -> None:
        kept = self.kept.get(code)
        if kept is not None:
            kept.followers.discard(follower)

    async def followers(self, code: str) -> int:
        kept = self.live(code)
        return len(kept.followers) if kept else 0
