"""Generated time series for the series models: a price-like walk, sine, square, sawtooth."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from models.series import (
    DEFAULT_NOISE,
    DEFAULT_PERIOD,
    SERIES_TITLES,
    SeriesError,
    SeriesKind,
    make_series,
    written,
)
from server.deps import SettingsDep
from server.encoding import cacheable_json, json_bytes
from server.errors import InputError
from server.schemas.series import SeriesResponse

router = APIRouter(prefix="/api/series", tags=["series"])
MAX_SEED = 2**32 - 1  # a seed JSON writes back as it came


@router.get(
    "",
    response_model=SeriesResponse,
    responses={422: {"description": "a parameter out of range; the message names which"}},
)
async def get_series(
    request: Request,
    settings: SettingsDep,
    kind: Annotated[SeriesKind, Query(description="walk, sine, square or sawtooth")] = "sine",
    length: Annotated[int, Query(description="T, the steps")] = 100,
    seed: Annotated[
        int, Query(description="seed of phase, noise and steps", ge=0, le=MAX_SEED)
    ] = 0,
    noise: Annotated[float, Query(description="noise standard deviation")] = DEFAULT_NOISE,
    period: Annotated[int, Query(description="steps per cycle")] = DEFAULT_PERIOD,
) -> Response:
    """One generated series (`models/series.py`), the same for the same parameters."""
    try:
        values = make_series(kind, length, seed, noise, period, settings.max_text_chars)
    except SeriesError as error:
        raise InputError(["query", error.field], error.message) from error
    rounded, text = written(values)
    body = {
        "kind": kind,
        "title": SERIES_TITLES[kind],
        "length": length,
        "seed": seed,
        "noise": noise,
        "period": period,
        "values": rounded,
        "text": text,
    }
    return cacheable_json(request, json_bytes(body), settings.cache_max_age)
