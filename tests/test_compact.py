"""The compact trace encoding (server/compact.py): every number a page shows with up to 3
decimals is the exact number's rounding, the rest within the grid, and the API's default stays
full float64."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.compact import display_numbers, round_for_display


def shown(value: float, decimals: int) -> str:
    """How a page writes a number (dom.js formatNumber: |x|.toFixed(decimals) with a sign; JS's
    toFixed rounds the double's exact value, a tie upwards)."""
    text = str(Decimal(abs(value)).quantize(Decimal(10) ** -decimals, ROUND_HALF_UP))
    return ("-" if value < 0 and float(text) != 0 else "") + text


numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(numbers, st.integers(0, 3))
def test_a_number_shown_with_up_to_3_decimals_is_the_exact_ones(x, decimals):
    assert shown(float(round_for_display(np.array(x))), decimals) == shown(x, decimals)


@given(numbers)
def test_the_rounding_stays_within_its_grid(x):
    assert abs(float(round_for_display(np.array(x))) - x) <= 1e-4 * (1 + 1e-9)


# Doubles next to ties and grid points, where x * 10^4 in floating point lands on an integer
# that x is not: 0.1235's neighbours show as 0.124 and 0.123, not as the double 0.1235 does.
NEAR_TIES = [
    np.nextafter(tie, direction)
    for tie in (0.1235, 0.0005, -2.0005, 0.9995, 0.125, 1.0, 1e-4, 123456.0015)
    for direction in (-np.inf, np.inf)
]


@pytest.mark.parametrize("near_a_tie", [*NEAR_TIES, 0.12349999, 0.12350001, 0.0625, 0.125])
@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_twice_to_nearest_would_lie_where_this_rounding_does_not(near_a_tie, decimals):
    rounded = float(round_for_display(np.array(near_a_tie)))
    assert shown(rounded, decimals) == shown(near_a_tie, decimals)


def test_grid_numbers_and_odd_values_pass_and_tiny_ones_keep_their_sign():
    values = np.array([0.0625, -1.5, 0.0, np.inf, -np.inf, np.nan, 1e12, 5e-324, -1e-9, 1 / 3])
    rounded = round_for_display(values)
    np.testing.assert_array_equal(rounded[:7], values[:7])  # NaN in the same place too
    np.testing.assert_array_equal(rounded[7:], [0.0001, -0.0001, 0.3333])


def test_gradient_norms_pass_at_full_precision():
    payload = {
        "grads": [{"h": [-3.123456789]}],
        "grads_input": [0.987654321],
        "loss": [0.987654321],
    }
    compact = display_numbers(payload)
    assert compact["grads"] == payload["grads"] and compact["grads_input"] == [0.987654321]
    assert compact["loss"] == [0.9876]  # 0.98765...: the neighbour not ending in 0 or 5


def test_only_floats_are_rounded():
    payload = {"tokens": ["h", "e"], "n": 3, "loss": [0.123456789, None], "x": np.array([[1 / 3]])}
    compact = display_numbers(payload)
    assert compact["tokens"] == ["h", "e"] and compact["n"] == 3
    assert compact["loss"] == [0.1234, None]
    np.testing.assert_array_equal(compact["x"], [[0.3333]])


def floats(value):
    """Every float of a JSON value, in order."""
    if isinstance(value, dict):
        return [x for item in value.values() for x in floats(item)]
    if isinstance(value, list):
        return [x for item in value for x in floats(item)]
    return [value] if isinstance(value, float) else []


@pytest.mark.parametrize("model", ["hello-lstm", "brackets-gru"])
def test_a_compact_trace_is_the_full_one_rounded(client, model):
    query = {
        "model": model,
        "text": "hello" if model.startswith("hello") else '(a[b]) "bye" {c, d}',
    }
    full = client.get("/api/trace", params={**query, "backward": "true"})
    compact = client.get("/api/trace", params={**query, "backward": "true", "compact": "true"})
    assert full.status_code == compact.status_code == 200, compact.text
    assert len(compact.content) < len(full.content) * 0.6
    exact, rounded = full.json(), compact.json()
    assert exact.keys() == rounded.keys() and exact["tokens"] == rounded["tokens"]
    pairs = list(zip(floats(exact), floats(rounded), strict=True))
    assert pairs and all(shown(a, 3) == shown(b, 3) for a, b in pairs)
    np.testing.assert_allclose([b for _, b in pairs], [a for a, _ in pairs], rtol=0, atol=1e-4)


def test_a_posted_trace_can_be_compact_too(client):
    body = {"model": "hello-rnn", "text": "hello"}
    full = client.post("/api/trace", json=body).json()
    compact = client.post("/api/trace", json={**body, "compact": True}).json()
    assert compact == display_numbers(full) != full
