"""Generated time series, the kind a lecture forecasts: a price-like random walk, and sine,
square and sawtooth waves, each with noise.

Every series is a clean signal s_t scaled into [-1, 1], plus Gaussian noise,

    x_t = s_t + noise * e_t,       e_t ~ N(0, 1),       t = 0 .. T-1

with phase u ~ U[0, 1) and, for the walk, its steps drawn from `default_rng(seed)` (the same
seed gives the same series on any machine: NumPy's generators are specified bit for bit):

    sine      s_t = sin(2 pi (t / period + u))
    square    s_t = +1 where sin(2 pi (t / period + u)) >= 0, else -1
    sawtooth  s_t = 2 frac(t / period + u) - 1
    walk      p_t = drift t + sum_{j<=t} v_j + season sin(2 pi (t / period + u)),
              v_j ~ N(0, volatility^2), then s = p scaled by its own min and max to [-1, 1]
              (a price chart: a trend, a yearly rhythm and random shocks, on the chart's axis)

    make_series("sine", 100, seed=3, noise=0.05)      # (100,) float64
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

SeriesKind = Literal["walk", "sine", "square", "sawtooth"]
SERIES_KINDS: tuple[SeriesKind, ...] = get_args(SeriesKind)
SERIES_TITLES = {
    "walk": "price-like random walk (drift, seasonality, shocks)",
    "sine": "sine wave",
    "square": "square wave",
    "sawtooth": "sawtooth wave",
}
DEFAULT_PERIOD = 20  # steps per cycle (the walk's season)
DEFAULT_NOISE = 0.05
MAX_NOISE = 1.0
MIN_PERIOD, MAX_PERIOD = 2, 1000
WALK_DRIFT = 0.15  # the walk's trend per step, in units of its step's standard deviation
WALK_VOLATILITY = 1.0  # standard deviation of one step of the walk, before scaling
WALK_SEASON = 3.0  # amplitude of the walk's seasonal rhythm, in the same units


class SeriesError(ValueError):
    """A series parameter is invalid; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_series(kind: str, length: int, noise: float, period: int, max_length: int) -> None:
    """Refuse a parameter out of its range, naming it, its value and the range."""
    if kind not in SERIES_KINDS:
        raise SeriesError("kind", f"kind {kind!r} is not one of {', '.join(SERIES_KINDS)}")
    if not 2 <= length <= max_length:
        raise SeriesError("length", f"length is {length}; it must be between 2 and {max_length}")
    if not 0.0 <= noise <= MAX_NOISE:  # also refuses NaN
        raise SeriesError("noise", f"noise is {noise}; it must be between 0 and {MAX_NOISE}")
    if not MIN_PERIOD <= period <= MAX_PERIOD:
        raise SeriesError(
            "period", f"period is {period}; it must be between {MIN_PERIOD} and {MAX_PERIOD}"
        )


def make_series(
    kind: str,
    length: int,
    seed: int = 0,
    noise: float = DEFAULT_NOISE,
    period: int = DEFAULT_PERIOD,
    max_length: int = 100_000,
) -> np.ndarray:
    """The series x_0 .. x_{T-1} of the module docstring: (T,) float64."""
    check_series(kind, length, noise, period, max_length)
    rng = np.random.default_rng(seed)
    return clean_series(kind, length, period, rng) + noise * rng.standard_normal(length)


def clean_series(kind: str, length: int, period: int, rng: np.random.Generator) -> np.ndarray:
    """s_0 .. s_{T-1}, within [-1, 1]: (T,)."""
    cycles = np.arange(length) / period + rng.uniform()  # t / period + u
    wave = np.sin(2 * np.pi * cycles)
    if kind == "sine":
        return wave
    if kind == "square":
        return np.where(wave >= 0, 1.0, -1.0)
    if kind == "sawtooth":
        return 2 * (cycles % 1.0) - 1
    steps = rng.normal(WALK_DRIFT, WALK_VOLATILITY, size=length)
    price = np.cumsum(steps) + WALK_SEASON * wave
    low, high = price.min(), price.max()
    return 2 * (price - low) / (high - low) - 1


SHOWN_DECIMALS = 4  # a series as a page shows it and a GET carries it: the numbers a model reads


def written(values: np.ndarray) -> tuple[list[float], str]:
    """A series as a series model's text: each value rounded to SHOWN_DECIMALS, and those
    numbers written out, separated by commas (shortest digits: "0.5,-0.1235")."""
    rounded = [round(float(v), SHOWN_DECIMALS) + 0.0 for v in values]  # + 0.0: no "-0.0"
    return rounded, ",".join(repr(v) for v in rounded)


def series_batch(
    kinds: tuple[str, ...], length: int, size: int, rng: np.random.Generator, noise: float
) -> np.ndarray:
    """`size` series of `length` steps, each of a kind drawn from `kinds` and its own seed drawn
    from `rng`: (T, B) float64, the layout of a recurrent module's input."""
    columns = []
    for _ in range(size):
        kind = kinds[int(rng.integers(len(kinds)))]
        columns.append(make_series(kind, length, int(rng.integers(2**31)), noise))
    return np.stack(columns, axis=1)
