"""Bad input becomes a 4xx whose message names the field, the value and the limit."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(ScaledOverflow, overflow_handler)
