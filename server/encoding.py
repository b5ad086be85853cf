"""Strict, fast JSON, and HTTP caching and content negotiation for responses.

orjson writes float64 arrays with round-trip precision and encodes NaN and infinity as null,
so a response is always strict JSON; the schemas document where null means "no value"
(a step with no target) or "exactly zero" (a log10 gradient norm).

A cacheable answer has two representations, its bytes and their gzip, and each has its own
strong ETag (the gzip's ends in `-gz`): different bytes never share a strong validator.
`negotiate` picks one by Accept-Encoding, q-values included (RFC 9110 section 12.5.3), and
evaluates If-None-Match as section 13.1.2 says for GET and HEAD: `*` or the chosen
representation's tag, compared weakly (a `W/` prefix is ignored), is a 304.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from zlib_ng import gzip_ng

JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
# gzip (zlib-ng) level for bodies compressed once and kept. On a 2000-step code-lstm trace
# with projections (42.6 MB of compact JSON): 0.63 s and 14.9 MB, where zlib's level 5 takes
# 1.5 s for 14.5 MB and zlib-ng's level 1 0.21 s for 23.4 MB.
CACHED_GZIP_LEVEL = 4
QVALUE = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")  # RFC 9110 section 12.4.2
OPAQUE_TAG = re.compile(r'(?:W/)?("[^"]*")')  # an entity-tag; the group drops a weak prefix


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


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip of the bytes whose strong ETag is `etag`: '"x"' -> '"x-gz"'."""
    return etag[:-1] + '-gz"'


def q_value(parameters: str) -> float:
    """The q-value in an Accept-Encoding member's parameters (";q=0.5"): 1 when there is
    none, 0 when it is malformed (so a garbled member never turns compression on)."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether a client with this Accept-Encoding takes gzip: `gzip` (or `x-gzip`) listed with
    a q-value above 0, or, when neither is listed, `*` with one. `gzip;q=0` refuses it. A
    request without the header gets the identity: a client that says nothing may not inflate
    (RFC 9110 allows either; curl without --compressed would print gzip bytes)."""
    weights: dict[str, float] = {}
    for member in (accept_encoding or "").split(","):
        coding, _, parameters = member.partition(";")
        weights[coding.strip().lower()] = q_value(parameters)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def if_none_match(header: str | None, etag: str) -> bool:
    """RFC 9110 section 13.1.2 for GET and HEAD: True (answer 304) when If-None-Match is `*`
    (the answer exists) or lists `etag`, compared weakly (`W/"x"` matches `"x"`)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return etag in OPAQUE_TAG.findall(header)


@dataclass(frozen=True)
class Negotiated:
    """The representation chosen for one request: gzip or not, its ETag, and whether the
    client already holds it (a 304)."""

    gzip: bool
    etag: str
    not_modified: bool


def negotiate(request: Request, etag: str) -> Negotiated:
    """Choose between the bytes whose strong ETag is `etag` and their gzip (ETag
    `gzip_etag(etag)`) for a GET or HEAD, and evaluate its If-None-Match."""
    wants_gzip = accepts_gzip(request.headers.get("accept-encoding"))
    chosen = gzip_etag(etag) if wants_gzip else etag
    held = if_none_match(request.headers.get("if-none-match"), chosen)
    return Negotiated(wants_gzip, chosen, held)


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
        compressed = gzip_ng.compress(body, compresslevel=level, mtime=0)
        return cls(body, compressed, strong_etag(body), media_type)


# A client that does not accept gzip gets the JSON inflated in pieces of at most this many
# bytes, from this many bytes of gzip at a time.
INFLATE_CHUNK = 2**18


@dataclass(frozen=True)
class GzippedJson:
    """A JSON answer as kept for repeated GETs: its gzip bytes and the strong ETag of the JSON.

    Only the gzip is kept: a trace's JSON is about 2.2 times its gzip (a 2000-step code-lstm
    trace: 53 MB of JSON, 24 MB of gzip), browsers all accept gzip, and the rare client that
    does not gets the JSON decompressed a chunk at a time as it is sent.
    """

    gzipped: bytes
    etag: str
    media_type: str = "application/json"

    @classmethod
    def of(cls, body: bytes) -> GzippedJson:
        return cls(
            gzip_ng.compress(body, compresslevel=CACHED_GZIP_LEVEL, mtime=0), strong_etag(body)
        )

    def nbytes(self) -> int:
        return sys.getsizeof(self) + sys.getsizeof(self.gzipped) + sys.getsizeof(self.etag)

    async def inflated(self) -> AsyncIterator[bytes]:
        """The JSON, in chunks of at most INFLATE_CHUNK bytes (never an empty one)."""
        inflate = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
        data = memoryview(self.gzipped)
        for start in range(0, len(data), INFLATE_CHUNK):
            pending: bytes | memoryview = data[start : start + INFLATE_CHUNK]
            while pending:
                chunk = inflate.decompress(pending, INFLATE_CHUNK)
                pending = inflate.unconsumed_tail
                if chunk:
                    yield chunk
        rest = inflate.flush()
        if rest:
            yield rest


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
    request: Request, body: bytes | EncodedBody | GzippedJson, max_age: int
) -> Response:
    """A deterministic GET: strong ETag, Cache-Control for `max_age` seconds, and 304s."""
    return cached_response(request, body, f"public, max-age={max_age}")


def cached_response(
    request: Request, body: bytes | EncodedBody | GzippedJson, cache_control: str
) -> Response:
    """`body` as its bytes or its gzip (`negotiate`), with its ETag, `cache_control` and
    `Vary: Accept-Encoding`, or a 304 when the client holds that representation.

    A kept body (`EncodedBody`, `GzippedJson`) is sent as its stored gzip bytes, so a cached
    multi-megabyte answer is not compressed again on every request; plain bytes (JSON) are
    compressed for this request.
    """
    if isinstance(body, bytes):
        body = EncodedBody.of(body)
    chosen = negotiate(request, body.etag)
    headers = {"ETag": chosen.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if chosen.not_modified:
        return Response(status_code=304, headers=headers)
    if chosen.gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(body.gzipped, media_type=body.media_type, headers=headers)
    if isinstance(body, GzippedJson):  # only its gzip is kept: inflated as it is sent
        return StreamingResponse(body.inflated(), media_type=body.media_type, headers=headers)
    return Response(body.body, media_type=body.media_type, headers=headers)


class NegotiatedGZip(GZipMiddleware):
    """Starlette's GZipMiddleware for answers made per request, deciding by `accepts_gzip`:
    Starlette's looks for "gzip" anywhere in Accept-Encoding, so `gzip;q=0` got gzip. An answer
    that already has a Content-Encoding (every gzipped `cached_response`) passes through
    unchanged; one sent as it is keeps a single `Vary: Accept-Encoding` (`vary_once`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: ASGIApp
        if accepts_gzip(Headers(scope=scope).get("accept-encoding")):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
            send = vary_once(send)
        await responder(scope, receive, send)


def vary_once(send: Send) -> Send:
    """`send`, with each field of a response's Vary listed once: Starlette's IdentityResponder
    appends Accept-Encoding to the Vary of an answer of 1 KB or more, and a negotiated answer
    (`cached_response`) already has it."""

    async def send_vary_once(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            listed = ",".join(headers.getlist("vary"))
            if listed:
                fields = dict.fromkeys(field.strip() for field in listed.split(","))
                headers["vary"] = ", ".join(fields)
        await send(message)

    return send_vary_once
