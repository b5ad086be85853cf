"""Strict, fast JSON and HTTP caching for responses.

orjson writes float64 arrays with round-trip precision and encodes NaN and infinity as null,
so a response is always strict JSON; the schemas document where null means "no value"
(a step with no target) or "exactly zero" (a log10 gradient norm).
"""

from __future__ import annotations

import gzip
import hashlib
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
class EncodedJson:
    """A JSON body kept for repeated GETs: its bytes, gzipped once, and its strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> EncodedJson:
        compressed = gzip.compress(body, compresslevel=CACHED_GZIP_LEVEL, mtime=0)
        return cls(body, compressed, strong_etag(body))


def cacheable_json(
    request: Request, body: bytes | EncodedJson, max_age: int, etag: str | None = None
) -> Response:
    """A deterministic GET: strong ETag, Cache-Control, and 304 when the client has it.

    An `EncodedJson` body is sent as its stored gzip bytes to clients that accept gzip, so a
    cached multi-megabyte trace is not compressed again on every request.
    """
    encoded = body if isinstance(body, EncodedJson) else None
    raw = encoded.body if encoded else body
    assert isinstance(raw, bytes)
    etag = etag or (encoded.etag if encoded else strong_etag(raw))
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if encoded:
        headers["Vary"] = "Accept-Encoding"
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    if encoded and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(encoded.gzipped, media_type="application/json", headers=headers)
    return Response(raw, media_type="application/json", headers=headers)
