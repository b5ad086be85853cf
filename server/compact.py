"""Numbers rounded for the pages: the compact encoding of a trace (`compact=true`).

A page writes numbers with at most 3 decimals and draws the rest; full float64 takes ~19
characters a number, and a 300-character code-lstm trace with analysis is 4.0 MB gzipped
(8.8 MB of JSON). The compact encoding keeps 4 decimals, rounded *away from the ties*:

    x' = x                     when x is a multiple of 10^-4,
    x' = the neighbour of x on the 10^-4 grid whose last digit is neither 0 nor 5, otherwise

(the two neighbours end in consecutive digits, so exactly one qualifies). Every rounding of
x' to 3 or fewer decimals then gives what rounding x does: the ties and grid points of those
roundings end in 0 or 5 at the 4th decimal, so an inexact x' is never one of them and lies
on the same side of each as x (it is the decimal form of rounding to odd, which in binary
keeps a sticky bit for the same reason). Rounding twice to nearest instead would be one off
in the last digit about once in ten. |x - x'| < 10^-4; a number under 10^-4 comes as
±0.0001 (shown as 0.000, never as the exact zero it is not).

The gradient norms (`grads`, `grads_input`) are log10 values the page turns into m x 10^e:
they are few (one per step and layer) and pass at full precision, so the mantissa shown is
the exact one. Integers, strings, nulls, non-finite values and numbers beyond 10^10 pass
unchanged; the API's default and the downloads stay full float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DECIMALS = 4  # the 3 decimals a page shows, plus the one that keeps off the ties
FULL_PRECISION = frozenset({"grads", "grads_input"})  # log10 gradient norms, few and exact


def round_for_display(values: np.ndarray) -> np.ndarray:
    """`values` (any shape, float) rounded away from the ties, as in the module docstring."""
    values = np.asarray(values, dtype=np.float64)
    rounded = values.copy()
    # Beyond 10^10 no decimals are left to drop within float64's 17 digits; inf and NaN
    # pass unchanged too.
    with np.errstate(invalid="ignore"):
        keep = np.abs(values) < 1e10
    x = values[keep]
    # floor(x * 10^4) can come out one too high when the product rounds up onto an integer;
    # comparing x with that grid point (the double nearest it) settles which side x is on.
    low = np.floor(x * 10.0**DECIMALS)
    point = low / 10.0**DECIMALS
    low = np.where(x < point, low - 1, low)
    chosen = np.where((x == point) | (low % 5 != 0), low, low + 1)
    rounded[keep] = np.where(x == point, x, chosen / 10.0**DECIMALS)
    return rounded


def display_numbers(payload: Any) -> Any:
    """A JSON-ready payload with every float (and float array) rounded by `round_for_display`,
    except the gradient norms of `FULL_PRECISION`."""
    if isinstance(payload, dict):
        return {
            key: value if key in FULL_PRECISION else display_numbers(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [display_numbers(value) for value in payload]
    if isinstance(payload, np.ndarray) and payload.dtype.kind == "f":
        return round_for_display(payload)
    if isinstance(payload, float):
        return float(round_for_display(np.array(payload)))
    return payload
