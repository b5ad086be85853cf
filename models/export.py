"""A trace as CSV: one row per step, for a spreadsheet or pandas.

Columns, in order (k is the layer, j the unit, both from 0):

    step                    t, from 0
    token                   the input character at step t
    target                  the next character (empty at the last step)
    loss                    cross-entropy at step t (empty at the last step: no target)
    grad_input_log10        log10 ||dL/dx_t|| of the one-hot input
    grad_h_l{k}_log10       log10 ||dL/dh_t|| of layer k
    grad_c_l{k}_log10       log10 ||dL/dc_t|| of layer k (LSTM only)
    h_l{k}_u{j}             h_t of unit j in layer k
    c_l{k}_u{j}             c_t (LSTM only)
    {gate}_l{k}_u{j}        each gate post-activation: LSTM i f g o, GRU r z n

Gradients are for the trace's loss (sum over steps, or the last target). Numbers are written
with Python's repr, so reading them back gives the same float64 bits; an exactly zero
gradient is written `-inf` (its log10), and a log10 norm far outside float64's range (say
-420.5) is still an ordinary number.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from models.trace import Trace


def columns(result: Trace) -> list[tuple[str, np.ndarray]]:
    """(name, (T,) values) for every numeric column, in the order above."""
    out: list[tuple[str, np.ndarray]] = [
        ("loss", result.loss),
        ("grad_input_log10", result.grad_input),
    ]
    for k, layer in enumerate(result.layers):
        out.append((f"grad_h_l{k}_log10", layer.grad_h))
        if layer.grad_c is not None:
            out.append((f"grad_c_l{k}_log10", layer.grad_c))
    for k, layer in enumerate(result.layers):
        states = {"h": layer.h, "c": layer.c, **layer.gates}
        for name, values in states.items():
            if values is not None:
                out.extend((f"{name}_l{k}_u{j}", values[:, j]) for j in range(values.shape[1]))
    return out


def number(value: float) -> str:
    """repr of a float (round-trips exactly); NaN (no value) as an empty cell."""
    return "" if math.isnan(value) else repr(float(value))


def trace_csv(result: Trace) -> str:
    """The trace as CSV text with a header row; see the module docstring for the columns."""
    numeric = columns(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["step", "token", "target", *(name for name, _ in numeric)])
    for t, token in enumerate(result.tokens):
        target = result.targets[t]
        cells = [number(values[t]) for _, values in numeric]
        writer.writerow([t, token, "" if target is None else target, *cells])
    return buffer.getvalue()
