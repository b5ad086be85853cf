"""The generated time series a series model reads (GET /api/series)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.series import SeriesKind


class SeriesResponse(BaseModel):
    kind: SeriesKind = Field(description="walk, sine, square or sawtooth")
    title: str = Field(description="what the series is, in words")
    length: int = Field(description="T, the steps")
    seed: int = Field(description="the seed of its phase, noise and (walk) steps")
    noise: float = Field(description="the standard deviation of the Gaussian noise added")
    period: int = Field(description="steps per cycle (the walk's season)")
    values: list[float] = Field(
        description="(T) x_0 .. x_{T-1}, rounded to 4 decimals: the numbers `text` writes"
    )
    text: str = Field(
        description="the values written out, separated by commas: a series model's `text` for "
        "/api/trace"
    )
