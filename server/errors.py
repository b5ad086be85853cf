"""Bad input becomes a 4xx whose message names the field, the value and the limit."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from models.scaled import ScaledOverflow
from models.spec import SpecError
from server.encoding import json_response


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


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def error_body(loc: Sequence[str | int], message: str, kind: str = "value_error") -> dict:
    return {"detail": [{"loc": list(loc), "msg": message, "type": kind}]}


async def input_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    return json_response(error_body(exc.loc, exc.message), status_code=422)


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    """FastAPI's own 422, without echoing the input back (it may be huge or non-finite)."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    return json_response({"detail": detail}, status_code=422)


async def overflow_handler(_: Request, exc: Exception) -> Response:
    return json_response(error_body(["body", "model"], str(exc)), status_code=422)


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
    path = request.url.path
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.routes
        )
    ]
    message = f"{request.method} is not allowed on {path}; allowed: {', '.join(allowed)}"
    return json_response(
        error_body(["method"], message, "method_not_allowed"),
        status_code=405,
        headers={"Allow": ", ".join(allowed)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(ScaledOverflow, overflow_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
