"""Strict, fast JSON and HTTP caching for responses.

orjson writes float64 arrays with round-trip precision and encodes NaN and infinity as null,
so a response is always strict JSON; the schemas document where null means "no value"
(a step with no target) or "exactly zero" (a log10 gradient norm).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from fastapi import Request, Response

JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
# gzip level for bodies compressed once and kept: level 9 takes ~5x longer than level 5 on a
# multi-megabyte trace for ~3% fewer bytes.
CACHED_GZIP_LEVEL = 5


def contiguous(value: Any) -> Any:
    """orjson writes only C-contiguous arrays; a strided view (one gate of many) is copied."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, default=contiguous, option=JSON_OPTIONS)


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json_bytes(payload), status_code=status_code, media_type="application/json", headers=headers
    )


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class EncodedBody:
    """A body kept for repeated GETs: its bytes, gzipped once, its strong ETag, its type."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str = "application/json"

    @classmethod
    def of(
        cls, body: bytes, media_type: str = "application/json", level: int = CACHED_GZIP_LEVEL
    ) -> EncodedBody:
        compressed = gzip.compress(body, compresslevel=level, mtime=0)
        return cls(body, compressed, strong_etag(body), media_type)


def kept_body(
    request: Request,
    key: str,
    make: Callable[[], bytes],
    media_type: str = "application/json",
    level: int = CACHED_GZIP_LEVEL,
) -> EncodedBody:
    """The body kept under `key` in this worker (`app.state.kept_bodies`), made by `make()`
    on its first request: for answers that never change while the server runs (the pages,
    the built-in models, vendored browser code)."""
    kept: dict[str, EncodedBody] = request.app.state.kept_bodies
    body = kept.get(key)
    if body is None:
        body = kept[key] = EncodedBody.of(make(), media_type, level)
    return body


def cacheable_json(
    request: Request, body: bytes | EncodedBody, max_age: int, etag: str | None = None
) -> Response:
    """A deterministic GET: strong ETag, Cache-Control, and 304 when the client has it."""
    if etag is None:
        etag = body.etag if isinstance(body, EncodedBody) else strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    return cached_response(request, body, headers)


def cached_response(
    request: Request, body: bytes | EncodedBody, headers: dict[str, str]
) -> Response:
    """`body` with `headers` (ETag and Cache-Control), or a 304 when the client has it.

    An `EncodedBody` is sent as its stored gzip bytes to clients that accept gzip, so a cached
    multi-megabyte trace is not compressed again on every request.
    """
    if isinstance(body, EncodedBody):
        headers = {**headers, "Vary": "Accept-Encoding"}
    known = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if headers["ETag"] in known:
        return Response(status_code=304, headers=headers)
    if not isinstance(body, EncodedBody):
        return Response(body, media_type="application/json", headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(body.gzipped, media_type=body.media_type, headers=headers)
    return Response(body.body, media_type=body.media_type, headers=headers)
