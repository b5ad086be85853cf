"""Assemble the app: settings, built-in models, routers, static files, error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.exceptions import RedisError

from models.zoo import load_zoo
from server.assets import Assets
from server.cache import Answers
from server.encoding import NegotiatedGZip
from server.errors import UnexpectedErrors, install_error_handlers
from server.fastpath import CachedTraceGets
from server.head import HeadAsGet
from server.limits import BodySizeLimit
from server.routes import (
    explore,
    generate,
    health,
    imports,
    models,
    pages,
    series,
    sessions,
    trace,
    train,
    vendor,
)
from server.security import SecurityHeaders
from server.sessions import SessionError, open_store
from server.settings import get_settings
from server.tracing import BuiltinTraces
from server.work import install_work_gates


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.zoo = load_zoo(settings.checkpoint_dir)
    app.state.traces = BuiltinTraces(app.state.zoo, settings)
    app.state.explore_answers = Answers(settings.explore_cache_bytes, len)
    app.state.kept_bodies = {}  # server/encoding.py: kept_body
    app.state.sessions = await open_store(settings)
    yield
    await app.state.sessions.close()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Unrolled",
        summary="Hidden states, gates and per-step gradients of real RNN, LSTM and GRU models.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # /docs is served by pages.py with Swagger UI from a local package
        redirect_slashes=False,  # Starlette's redirect is absolute, to whatever Host says
    )
    routers = (
        health,
        imports,
        models,
        trace,
        series,
        generate,
        explore,
        train,
        sessions,
        vendor,
        pages,
    )
    for module in routers:  # pages last: catch-all /{page}
        app.include_router(module.router)
        if module is sessions:
            app.include_router(sessions.join_router)
    vendor.pinned_plotly()  # the pages load it from static/: no start without the pinned bytes
    app.state.assets = Assets(vendor.STATIC_DIR)
    vendor.mount_static(app, app.state.assets)
    install_error_handlers(app)
    app.add_exception_handler(SessionError, sessions.session_error_handler)
    app.add_exception_handler(RedisError, sessions.store_error_handler)
    install_work_gates(app)
    app.add_middleware(CachedTraceGets)
    # Level 5, not Starlette's 9: a T=300 trace compresses in ~0.2 s instead of ~1.1 s.
    app.add_middleware(NegotiatedGZip, minimum_size=1024, compresslevel=5)
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().max_body_bytes)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(HeadAsGet)
    # outermost: every answer carries the headers
    app.add_middleware(SecurityHeaders, frame_ancestors=get_settings().frame_ancestors)
    return app


app = create_app()
