"""Numbers rounded for the pages: the compact encoding of a trace (`compact=true`).

A page writes numbers with at most 3 decimals and draws the rest; full float64 takes ~19
characters a number, and a 300-character code-lstm trace with analysis is 4.0 MB gzipped
(8.8 MB of JSON). The compact encoding keeps 5 decimals, or 4 significant digits for numbers
under 0.01 (a gradient norm of 1e-40 keeps its size on a log axis):

    grid(x) = 10^-max(5, 3 - floor(log10 |x|)),    x' = a multiple of grid(x) next to x

`x'` is x rounded *to odd* on that grid: exact when x is on it, else the neighbour whose last
digit is odd. Rounding x' to 3 decimals then gives what rounding x does (a tie at 3 decimals
ends in 5 then 0s, never in an odd digit, so x' is on the same side of every tie as x): every
number a page shows with up to 3 decimals is the exact number's, never off by one in the last
digit as rounding twice to nearest can be. (|x - x'| < grid(x): 1e-5 absolute, 1e-3 relative.)
Integers, strings, nulls, non-finite values and numbers beyond 10^10 or under 10^-290 pass
unchanged; the API's default and the downloads stay full float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DECIMALS = 5  # >= the 3 decimals a page shows, plus 2 (round to odd needs them)
SIGNIFICANT = 4  # digits kept of numbers under 10^(SIGNIFICANT - 1 - DECIMALS) = 0.01


def round_to_odd(values: np.ndarray) -> np.ndarray:
    """`values` (any shape, float) rounded to odd on the grid of the module docstring."""
    values = np.asarray(values, dtype=np.float64)
    rounded = values.copy()
    # Beyond 10^10 no decimals are left to drop within float64's 17 digits; under 10^-290
    # the grid's power of ten would overflow: both pass unchanged (zero, inf and NaN too).
    with np.errstate(invalid="ignore"):
        keep = (np.abs(values) >= 1e-290) & (np.abs(values) < 1e10)
    x = values[keep]
    decimals = np.maximum(DECIMALS, SIGNIFICANT - 1 - np.floor(np.log10(np.abs(x))))
    # Scaled by an exact power of ten, so a number already on the grid (0.0625) lands on an
    # integer exactly and stays; the grid's integers are exact too.
    power = 10.0**decimals
    scaled = x * power
    low = np.floor(scaled)
    odd = np.where((scaled == low) | (low % 2 == 1), low, low + 1)
    rounded[keep] = odd / power
    return rounded


def display_numbers(payload: Any) -> Any:
    """A JSON-ready payload with every float (and float array) rounded by `round_to_odd`."""
    if isinstance(payload, dict):
        return {key: display_numbers(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [display_numbers(value) for value in payload]
    if isinstance(payload, np.ndarray) and payload.dtype.kind == "f":
        return round_to_odd(payload)
    if isinstance(payload, float):
        return float(round_to_odd(np.array(payload)))
    return payload
