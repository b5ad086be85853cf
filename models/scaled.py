"""Vectors whose magnitude may leave float64's range: `value = vec * 10**scale`.

Backpropagation through a long sequence multiplies the adjoint by one Jacobian per step. A
tanh RNN with small recurrent weights shrinks it by 10^-400 over 1000 steps, far below
float64's smallest number (~10^-308); a large one grows it past 10^308. Holding the adjoint
as a direction `vec` (kept near unit norm) and a log10 `scale` keeps every digit: the log10
norm is `log10 ||vec|| + scale`, exact to float64 precision at any magnitude. An exactly zero
vector has `scale = -inf`, so a zero gradient (a dead ReLU, a step after the last loss) is
reported as zero and never as a tiny number.
"""

from __future__ import annotations

import math

import numpy as np

# Renormalize once ||vec||^2 leaves [LOW, HIGH]: far from float64's limits, rarely triggered.
LOW, HIGH = 1e-200, 1e200


class ScaledOverflow(FloatingPointError):
    """A single step grew the adjoint past float64 before it could be rescaled."""


class Scaled:
    """A mutable vector `vec * 10**scale`; `vec` is one buffer updated in place."""

    def __init__(self, size: int) -> None:
        self.vec = np.zeros(size)
        self.scale = -math.inf

    def add(self, rows: np.ndarray, scale: float, part: slice = slice(None)) -> None:
        """self[part] += rows * 10**scale, keeping the larger of the two scales."""
        if scale == -math.inf:
            return
        if scale == self.scale:
            self.vec[part] += rows
        elif scale > self.scale:
            self.vec *= 10.0 ** (self.scale - scale)  # may underflow to 0: negligible beside rows
            self.vec[part] += rows
            self.scale = scale
        else:
            self.vec[part] += rows * 10.0 ** (scale - self.scale)
        self.renormalize()

    def renormalize(self) -> None:
        """Move magnitude from `vec` into `scale` when ||vec|| drifts far from 1."""
        squared = float(self.vec @ self.vec)
        if LOW < squared < HIGH:
            return
        if squared == 0.0:
            self.scale = -math.inf
            return
        peak = float(np.abs(self.vec).max())
        if not math.isfinite(peak):
            raise ScaledOverflow(
                "the gradient overflowed float64 within a single step; the weights are too large"
            )
        self.vec /= peak
        self.scale += math.log10(peak)


def log10_norms(rows: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """log10 of the norm of each row `rows[t] * 10**scales[t]`; -inf for an exactly zero row.

    rows: (T, n), scales: (T,) -> (T,)
    """
    with np.errstate(divide="ignore"):
        return np.log10(np.linalg.norm(rows, axis=1)) + np.where(np.isfinite(scales), scales, 0.0)


def scaled_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain float64 rows as (rows, scales) with scale 0, or -inf for an all-zero row."""
    zero = ~rows.any(axis=1)
    return rows, np.where(zero, -math.inf, 0.0)
