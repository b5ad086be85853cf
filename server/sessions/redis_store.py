"""Sessions in Redis, so any number of workers and replicas serve one class.

Keys (all under `unrolled:session:<CODE>`, each with the session's idle lifetime as its TTL):
- `<CODE>` a hash: `token`, `expires_at`, `snapshot` (what followers see, JSON) and `polls`
  (every poll opened, JSON). Changes run in a WATCH/MULTI transaction that also PUBLISHes the
  new snapshot on `unrolled:sessions`, so the order of messages is the order of changes.
- `<CODE>:votes:<poll id>` a hash, browser -> choice: one answer per browser.
- `<CODE>:models` a hash, `data:<sha256>` and `type:<sha256>`, plus `bytes`, their total.
- `<CODE>:followers` a sorted set, follower -> last heartbeat. A follower counts while its
  heartbeat is under 3 heartbeats old, so a killed worker's followers stop counting by
  themselves.
- `unrolled:sessions:live` a sorted set, code -> idle deadline, to count live sessions.

Each worker subscribes once to `unrolled:sessions` and hands every snapshot to its watches
(server/sessions/store.py): one message per change and worker, however many followers.
A session whose keys expired has no message: followers find out at their next heartbeat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError, WatchError

from server.sessions.store import HEARTBEAT_SECONDS, Record, SessionStore, Snapshot

log = logging.getLogger("unrolled.sessions")
PREFIX = "unrolled:session:"
CHANNEL = "unrolled:sessions"
LIVE = "unrolled:sessions:live"
FOLLOWER_SECONDS = 3 * HEARTBEAT_SECONDS
POOL_CONNECTIONS = 32  # per worker (one of them listens for published changes)
POOL_WAIT_SECONDS = 20
# One browser's answer, unless the poll has ARGV[3] voters and this is a new one (atomic).
VOTE = """
local known = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if known or redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0
"""


class RedisStore(SessionStore):
    def __init__(self, url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = url
        # A class joining at once makes hundreds of requests in a burst: they wait their turn
        # for one of a bounded set of connections rather than fail with "Too many connections".
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_CONNECTIONS,
            timeout=POOL_WAIT_SECONDS,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Check Redis answers (or stop the server saying so), and listen for every worker's
        changes."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as error:
            await self.redis.aclose()
            raise RuntimeError(
                f"UNROLLED_REDIS_URL is {self.url} and that Redis does not answer ({error}): "
                "start it (apt-get install redis-server), or unset UNROLLED_REDIS_URL to keep "
                "live sessions in one worker's memory"
            ) from error
        self.listener = asyncio.create_task(self.listen())

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        await self.redis.aclose()

    async def listen(self) -> None:
        """Hand every published snapshot to this worker's watches; after a lost connection,
        subscribe again and reload the watched sessions (messages sent meanwhile are lost)."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self.reload_watched()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            sent = json.loads(message["data"])
                            self.publish(sent["code"], Snapshot.from_json(sent["snapshot"]))
            except (RedisError, OSError) as error:
                log.warning("lost the Redis subscription (%s); subscribing again", error)
                await asyncio.sleep(1)

    async def reload_watched(self) -> None:
        for code in list(self.watches):
            record = await self.load(code)
            if record is not None:
                self.publish(code, record.snapshot)

    def ttl(self) -> int:
        return int(self.idle_seconds * 1000)

    async def count(self) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(LIVE, "-inf", time.time())
            pipe.zcard(LIVE)
            _, live = await pipe.execute()
        return int(live)

    async def insert(self, record: Record) -> bool:
        key = PREFIX + record.code
        if not await self.redis.hsetnx(key, "token", record.token):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "expires_at": repr(record.expires_at),
                    "snapshot": json.dumps(record.snapshot.to_json()),
                    "polls": "{}",
                },
            )
            pipe.pexpire(key, self.ttl())
            pipe.zadd(LIVE, {record.code: record.expires_at})
            await pipe.execute()
        return True

    async def load(self, code: str) -> Record | None:
        values = await self.redis.hmget(PREFIX + code, "token", "expires_at", "snapshot", "polls")
        if None in values:
            return None
        token, expires_at, snapshot, polls = map(text, values)
        return Record(
            code,
            token,
            float(expires_at),
            Snapshot.from_json(json.loads(snapshot)),
            json.loads(polls),
        )

    async def save(self, code: str, changes: dict[str, Any]) -> Snapshot | None:
        key = PREFIX + code
        polls = changes.pop("polls", {})
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    old, old_polls = await pipe.hmget(key, "snapshot", "polls")
                    if old is None:
                        return None
                    snapshot = json.loads(old)
                    version = snapshot["version"] + 1
                    for part, value in changes.items():
                        snapshot.update({part: value, f"{part}_version": version})
                    snapshot["version"] = version
                    every_poll = {**json.loads(text(old_polls)), **polls}
                    expires_at = time.time() + self.idle_seconds
                    pipe.multi()
                    pipe.hset(
                        key,
                        mapping={
                            "snapshot": json.dumps(snapshot),
                            "polls": json.dumps(every_poll),
                            "expires_at": repr(expires_at),
                        },
                    )
                    for name in self.keys(code, every_poll):
                        pipe.pexpire(name, self.ttl())
                    pipe.zadd(LIVE, {code: expires_at})
                    pipe.publish(CHANNEL, json.dumps({"code": code, "snapshot": snapshot}))
                    await pipe.execute()
                    return Snapshot.from_json(snapshot)
                except WatchError:
                    continue

    def keys(self, code: str, polls: dict[str, Any]) -> list[str]:
        """Every key of a session."""
        base = PREFIX + code
        votes = [f"{base}:votes:{poll_id}" for poll_id in polls]
        return [base, f"{base}:models", f"{base}:followers", *votes]

    async def delete(self, code: str, reason: str) -> None:
        record = await self.load(code)
        if record is None:
            return
        snapshot = record.snapshot
        ended = {**snapshot.to_json(), "version": snapshot.version + 1, "ended": reason}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*self.keys(code, record.polls))
            pipe.zrem(LIVE, code)
            pipe.publish(CHANNEL, json.dumps({"code": code, "snapshot": ended}))
            await pipe.execute()

    async def vote(self, code: str, poll_id: str, voter: str, choice: int, limit: int) -> bool:
        key = f"{PREFIX}{code}:votes:{poll_id}"
        kept = await self.redis.eval(VOTE, 1, key, voter, choice, limit, self.ttl())
        return bool(kept)

    async def votes(self, code: str, poll_id: str) -> list[int]:
        return [int(choice) for choice in await self.redis.hvals(f"{PREFIX}{code}:votes:{poll_id}")]

    async def put_model(self, code: str, digest: str, media_type: str, data: bytes) -> int:
        key = f"{PREFIX}{code}:models"
        if await self.redis.hsetnx(key, f"data:{digest}", data):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, f"type:{digest}", media_type)
                pipe.hincrby(key, "bytes", len(data))
                pipe.pexpire(key, self.ttl())
                await pipe.execute()
        return await self.model_bytes(code)

    async def model_bytes(self, code: str) -> int:
        return int(await self.redis.hget(f"{PREFIX}{code}:models", "bytes") or 0)

    async def get_model(self, code: str, digest: str) -> tuple[str, bytes] | None:
        media_type, data = await self.redis.hmget(
            f"{PREFIX}{code}:models", f"type:{digest}", f"data:{digest}"
        )
        if media_type is None or data is None:
            return None
        return text(media_type), data if isinstance(data, bytes) else data.encode()

    async def join(self, code: str, follower: str) -> None:
        key = f"{PREFIX}{code}:followers"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {follower: time.time()})
            pipe.pexpire(key, self.ttl())
            await pipe.execute()

    async def beat(self, code: str, follower: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(f"{PREFIX}{code}:followers", {follower: time.time()}, xx=True)
            pipe.exists(PREFIX + code)
            _, exists = await pipe.execute()
        return bool(exists)

    async def leave(self, code: str, follower: str) -> None:
        await self.redis.zrem(f"{PREFIX}{code}:followers", follower)

    async def followers(self, code: str) -> int:
        key = f"{PREFIX}{code}:followers"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", time.time() - FOLLOWER_SECONDS)
            pipe.zcard(key)
            _, count = await pipe.execute()
        return int(count)


def text(value: bytes | str | None) -> str:
    """A value Redis answered (bytes: the client does not decode)."""
    assert value is not None
    return value.decode() if isinstance(value, bytes) else value
