"""Notebook figures carry the trace's own numbers; the CSV export round-trips exactly."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from models import figures
from models.analysis import analyse
from models.export import trace_csv
from models.network import Network
from models.spec import make_spec
from models.trace import trace
from tests.helpers import TEXT, VOCAB, random_model


@pytest.fixture(scope="module", params=["rnn", "lstm", "gru"])
def traced(request):
    _, _, net = random_model(request.param, 2, seed=8)
    return net, trace(net, TEXT), analyse(net, TEXT)


def test_hidden_heatmap_is_h_transposed(traced):
    _, result, _ = traced
    for layer in range(2):
        figure = figures.hidden_heatmap(result, layer)
        assert isinstance(figure, go.Figure)
        np.testing.assert_array_equal(figure.data[0].z, result.layers[layer].h.T)
        assert list(figure.data[0].x) == [f"{t}:{ch}" for t, ch in enumerate(TEXT)]
    if result.layers[0].c is not None:
        cells = figures.hidden_heatmap(result, 1, state="c")
        np.testing.assert_array_equal(cells.data[0].z, result.layers[1].c.T)
    else:
        with pytest.raises(ValueError, match="no 'c' state"):
            figures.hidden_heatmap(result, 0, state="c")


def test_gates_heatmap_has_one_panel_per_gate(traced):
    _, result, _ = traced
    gates = result.layers[1].gates
    if not gates:
        with pytest.raises(ValueError, match="no gates"):
            figures.gates_heatmap(result, 1)
        return
    figure = figures.gates_heatmap(result, 1)
    assert [trace_.name for trace_ in figure.data] == list(gates)
    for trace_, values in zip(figure.data, gates.values(), strict=True):
        np.testing.assert_array_equal(trace_.z, values.T)


def test_top_k_shows_the_k_most_likely_characters(traced):
    _, result, _ = traced
    figure = figures.top_k(result, 3, VOCAB, k=5)
    order = np.argsort(-result.probs[3])[:5]
    assert list(figure.data[0].x) == [VOCAB[k] for k in order]
    np.testing.assert_array_equal(figure.data[0].y, result.probs[3][order])
    assert repr(TEXT[4]) in figure.layout.title.text


def test_gradient_curve_plots_the_log10_norms(traced):
    _, result, _ = traced
    figure = figures.gradient_norms(result, cursor=4)
    curves = {trace_.name: np.array(trace_.y, dtype=float) for trace_ in figure.data}

    def gaps(values: np.ndarray) -> np.ndarray:  # exactly zero (-inf) is drawn as a gap
        return np.where(np.isfinite(values), values, np.nan)

    assert np.isfinite(result.layers[0].grad_h[:-1]).all()
    np.testing.assert_array_equal(curves["||dL/dh_t|| layer 0"], gaps(result.layers[0].grad_h))
    np.testing.assert_array_equal(curves["||dL/dx_t||"], gaps(result.grad_input))
    if result.layers[1].grad_c is not None:
        expected = gaps(result.layers[1].grad_c)
        np.testing.assert_array_equal(curves["||dL/dc_t|| layer 1"], expected)
    assert figure.layout.shapes[0].x0 == 4  # the cursor


def test_an_exactly_zero_gradient_is_a_gap_not_a_point(traced):
    net, _, _ = traced
    last = trace(net, TEXT, "last")  # nothing after the last target: exactly zero
    figure = figures.gradient_norms(last)
    assert figure.data[0].y[-1] is None or math.isnan(figure.data[0].y[-1])


def test_connectivity_bars_are_the_row_over_its_maximum(traced):
    _, _, analysis = traced
    figure = figures.connectivity(analysis, list(TEXT), 6)
    row = analysis.connectivity[6]
    np.testing.assert_allclose(figure.data[0].y, 10**row / (10**row).max(), rtol=1e-12)
    np.testing.assert_array_equal(figure.data[0].customdata, row)
    assert max(figure.data[0].y) == 1.0


def test_saturation_scatter_has_each_gate_units_fractions(traced):
    _, _, analysis = traced
    figure = figures.saturation_scatter(analysis, 0)
    gates = analysis.saturation[0]
    points = [trace_ for trace_ in figure.data if trace_.mode == "markers"]
    assert [p.name for p in points] == [f"{name} gate" for name in gates]
    for points_, gate in zip(points, gates.values(), strict=True):
        np.testing.assert_array_equal(points_.x, gate.left)
        np.testing.assert_array_equal(points_.y, gate.right)


def test_csv_round_trips_every_number(traced):
    _, result, _ = traced
    rows = list(csv.DictReader(io.StringIO(trace_csv(result))))
    assert len(rows) == len(TEXT)
    assert [row["token"] for row in rows] == list(TEXT)
    assert [row["target"] for row in rows] == [*TEXT[1:], ""]
    assert rows[-1]["loss"] == ""
    np.testing.assert_array_equal([float(r["loss"]) for r in rows[:-1]], result.loss[:-1])
    np.testing.assert_array_equal([float(r["grad_input_log10"]) for r in rows], result.grad_input)
    for k, layer in enumerate(result.layers):
        np.testing.assert_array_equal([float(r[f"grad_h_l{k}_log10"]) for r in rows], layer.grad_h)
        states = {"h": layer.h, "c": layer.c, **layer.gates}
        for name, values in states.items():
            if values is None:
                assert f"{name}_l{k}_u0" not in rows[0]
                continue
            for j in range(values.shape[1]):
                column = [float(r[f"{name}_l{k}_u{j}"]) for r in rows]
                np.testing.assert_array_equal(column, values[:, j])  # bit for bit


def test_csv_keeps_awkward_characters_and_exact_zeros():
    text = 'a,b\n"c'  # a comma, a newline and a quote as tokens
    vocab = sorted(set(text))
    weights = {
        "weight_ih_l0": np.ones((6, len(vocab))),
        "weight_hh_l0": np.ones((6, 2)) * 0.1,
        "readout.weight": np.ones((len(vocab), 2)),
    }
    result = trace(Network(make_spec("gru", vocab, 2), weights), text, "last")
    rows = list(csv.DictReader(io.StringIO(trace_csv(result))))
    assert [row["token"] for row in rows] == list(text)
    assert rows[-1]["grad_h_l0_log10"] == "-inf"  # nothing after the last target: exactly 0
    assert float(rows[-1]["grad_h_l0_log10"]) == result.layers[0].grad_h[-1] == -math.inf
