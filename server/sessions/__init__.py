"""Live classroom sessions: the lecturer's page, polls and shared models, followed by every
student's page. The rules are in `store.py`; where sessions live is the backend's business:
this worker's memory (`memory.py`, the default) or Redis (`redis_store.py`, when `redis_url`
is set), which lets several workers and replicas serve one class.
"""

from __future__ import annotations

from server.sessions.memory import MemoryStore
from server.sessions.redis_store import RedisStore
from server.sessions.store import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Record,
    SessionError,
    SessionEvent,
    SessionStore,
)
from server.settings import Settings

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "Record",
    "SessionError",
    "SessionEvent",
    "SessionStore",
    "open_store",
]


async def open_store(settings: Settings) -> SessionStore:
    """The store the settings ask for, ready: Redis when `redis_url` is set, else memory."""
    limits = (
        settings.max_sessions,
        settings.max_session_followers,
        settings.session_idle_seconds,
        settings.max_session_polls,
        settings.max_shared_model_bytes,
        settings.max_session_model_bytes,
    )
    if settings.redis_url:
        store = RedisStore(settings.redis_url, *limits)
        await store.start()
        return store
    return MemoryStore(*limits)
