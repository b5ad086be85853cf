"""Strict, fast JSON and HTTP caching for responses.

orjson writes float64 arrays with round-trip precision and encodes NaN and infinity as null,
so a response is always strict JSON; the schemas document where null means "no value"
(a step with no target) or "exactly zero" (a log10 gradient norm).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import orjson
from fastapi import Request, Response

JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


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


def cacheable_json(
    request: Request, body: bytes, max_age: int, etag: str | None = None
) -> Response:
    """A deterministic GET: strong ETag, Cache-Control, and 304 when the client has it."""
    etag = etag or strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
