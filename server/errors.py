"""Bad input becomes a 4xx whose message names the field, the value and the limit; anything
else that goes wrong becomes a logged JSON 500, never a traceback sent to the client."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.scaled import ScaledOverflow
from models.spec import SpecError
from server.encoding import json_bytes, json_response
from server.head import methods_at

log = logging.getLogger("unrolled.errors")


class InputError(Exception):
    """A request field is invalid: answered with 422 and FastAPI's error shape."""

    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = list(loc)
        self.message = message


def spec_error_at(prefix: Sequence[str], error: SpecError) -> InputError:
    """Place a models-level error under its request field, e.g. ("body", "model")."""
    return InputError([*prefix, *error.field.split(".", 1)], error.message)


class BodyTooLarge(Exception):
    """A request body passed the size limit while it was being read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size)
        self.size = size
        self.limit = limit

    def body(self) -> dict:
        message = f"request body has {self.size} bytes or more; the limit is {self.limit}"
        return error_body(["body"], message, "too_large")


def encodable(text: str) -> str:
    """`text` with any lone surrogate written as its escape (\\ud800): strict JSON is UTF-8,
    which has no surrogates, and an error about a bad field name must not fail itself."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_item(loc: Sequence[str | int], message: str, kind: str) -> dict:
    """One error in FastAPI's shape: where (`loc`), what (`msg`) and its `type`."""
    place = [encodable(part) if isinstance(part, str) else part for part in loc]
    return {"loc": place, "msg": encodable(message), "type": kind}


def error_body(loc: Sequence[str | int], message: str, kind: str = "value_error") -> dict:
    return {"detail": [error_item(loc, message, kind)]}


async def input_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    return json_response(error_body(exc.loc, exc.message), status_code=422)


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    """FastAPI's own 422, without echoing the input back (it may be huge or non-finite)."""
    assert isinstance(exc, RequestValidationError)
    detail = [error_item(err["loc"], err["msg"], err["type"]) for err in exc.errors()]
    return json_response({"detail": detail}, status_code=422)


async def overflow_handler(request: Request, exc: Exception) -> Response:
    """A model whose numbers overflow float64: the model is the field at fault."""
    where = "query" if request.method in ("GET", "HEAD") else "body"
    return json_response(error_body([where, "model"], str(exc)), status_code=422)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """An unreadable body is a 422 like any bad input; a 405's `Allow` lists the methods of
    every route at the path, not just the first one Starlette matched."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):  # FastAPI wraps errors raised reading a body
        return json_response(exc.__cause__.body(), status_code=413)
    if exc.status_code == 400:  # FastAPI could not parse the body (not UTF-8, not JSON, ...)
        kind = request.headers.get("content-type", "no content type")
        message = f"the request body could not be parsed as {kind}; is it valid UTF-8?"
        return json_response(error_body(["body"], message, "body_unreadable"), status_code=422)
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    allowed = ", ".join(methods_at(request.scope))
    message = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    return json_response(
        error_body(["method"], message, "method_not_allowed"),
        status_code=405,
        headers={"Allow": allowed},
    )


class UnexpectedErrors:
    """ASGI middleware: an exception no handler answered becomes a JSON 500 in the error shape
    of every other answer, and its traceback goes to the log under an id the answer names.

    Starlette's own last resort sits outside every middleware, so its 500 was text/plain and
    missed the security headers; this one runs inside `SecurityHeaders`. An exception after
    the response has started can only end the connection: it is raised on, to the server.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            error_id = uuid.uuid4().hex[:12]
            log.exception("error %s answering %s %s", error_id, scope["method"], scope["path"])
            message = (
                f"the server failed to answer {scope['method']} {scope['path'][:200]}; this is "
                f"a bug, logged as error {error_id}"
            )
            body = json_bytes(error_body([], message, "internal_error"))
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(ScaledOverflow, overflow_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
