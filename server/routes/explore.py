"""The gradient-vanishing explorer: measured gradient norms by distance, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

from models.explorer import CellResult, ExploreConfig, explore, phase_diagram
from models.spec import SpecError
from server.cache import Answers
from server.deps import SettingsDep
from server.encoding import json_bytes
from server.errors import InputError
from server.schemas.explore import ExploreRequest, ExploreResponse, PhaseRequest, PhaseResponse
from server.settings import Settings
from server.work import work_gate

router = APIRouter(prefix="/api/explore", tags=["explore"])

ERRORS: dict[int | str, dict[str, str]] = {
    422: {"description": "a setting is invalid or over its limit; the message names which"},
    429: {"description": "too many explorations running in this worker; see Retry-After"},
}


async def cached_or_computed(http: Request, key: str, compute: Callable[[], bytes]) -> Response:
    """The stored answer to `key`, or `compute()` run through the explore work gate.

    Explorations are deterministic (the seed is a setting): a class on the same preset, or a
    slider dragged back over positions already measured, gets the stored bytes, and identical
    requests arriving together share one computation.
    """
    answers: Answers[str, bytes] = http.app.state.explore_answers
    gate = work_gate(http, "explore")
    body = await answers.get(key, lambda: gate.run(compute))
    return Response(body, media_type="application/json")


def config_of(request: ExploreRequest, settings: Settings) -> ExploreConfig:
    """The engine's config, after the limits that live in the settings."""
    steps = len(request.text) - 1 if request.text is not None else request.steps
    if steps > settings.max_explore_steps:
        field = "text" if request.text is not None else "steps"
        raise InputError(
            ["body", field],
            f"{field} asks for {steps} steps; the limit is {settings.max_explore_steps}",
        )
    if request.hidden_size > settings.max_explore_hidden:
        raise InputError(
            ["body", "hidden_size"],
            f"hidden_size is {request.hidden_size}; the limit is {settings.max_explore_hidden}",
        )
    fields = request.model_dump(exclude={"gains", "distance"})
    return ExploreConfig(**{**fields, "cells": tuple(request.cells)})


def engine_error(request: ExploreRequest, error: SpecError) -> InputError:
    """An explorer error at the request field it is about (`ExploreRequest.engine_error`)."""
    field, message = request.engine_error(error.field, error.message)
    return InputError(["body", field], message)


def cell_payload(result: CellResult) -> dict[str, Any]:
    jacobian = None
    if result.jacobian_distance is not None:
        jacobian = {"distance": result.jacobian_distance, "log10": result.jacobian_log10}
    return {
        "cell": result.cell,
        "grad_h": result.grad_h,
        "grad_c": result.grad_c,
        "cell_path": result.cell_path,
        "bound": result.bound,
        "blocks": [asdict(block) for block in result.blocks],
        "jacobian": jacobian,
        "clipping": asdict(result.clipping),
    }


@router.post("", response_model=ExploreResponse, responses=ERRORS)
async def post_explore(http: Request, request: ExploreRequest, settings: SettingsDep) -> Response:
    """Gradient norms of the last step's loss by distance, for each cell, with the reasons."""
    config = config_of(request, settings)

    def compute() -> bytes:
        try:
            exploration = explore(config, settings.limits())
        except SpecError as error:
            raise engine_error(request, error) from error
        return json_bytes(
            {
                "text": exploration.text,
                "vocab": exploration.vocab,
                "steps": len(exploration.text) - 1,
                "results": [cell_payload(result) for result in exploration.results],
            }
        )

    return await cached_or_computed(http, f"explore {request.model_dump_json()}", compute)


@router.post("/phase", response_model=PhaseResponse, responses=ERRORS)
async def post_phase(http: Request, request: PhaseRequest, settings: SettingsDep) -> Response:
    """log10 gradient at one distance, swept over the recurrent matrix's gain, per cell."""
    config = config_of(request, settings)
    if request.distance + 1 > settings.max_explore_steps:
        raise InputError(
            ["body", "distance"],
            f"distance is {request.distance}; the limit is {settings.max_explore_steps - 1}",
        )

    def compute() -> bytes:
        try:
            rows = phase_diagram(config, request.gains, request.distance, settings.limits())
        except SpecError as error:
            raise engine_error(request, error) from error
        return json_bytes(
            {
                "gains": request.gains,
                "distance": request.distance,
                "scale": "radius" if config.scale == "radius" else "sigma",
                "results": [{"cell": cell, "log10": row} for cell, row in rows.items()],
            }
        )

    return await cached_or_computed(http, f"phase {request.model_dump_json()}", compute)
