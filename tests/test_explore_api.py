"""POST /api/explore and /api/explore/phase: the contract, strict JSON, and clear limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.explorer import ExploreConfig, explore, phase_diagram
from server.schemas.explore import ExploreResponse, PhaseResponse
from server.settings import get_settings
from tests.test_api import strict_json


def test_explore_returns_every_cell_with_the_engines_numbers(client):
    body = {"steps": 60, "hidden_size": 16, "seed": 4, "init": "orthogonal", "scale": "sigma"}
    response = client.post("/api/explore", json=body)
    assert response.status_code == 200, response.text
    data = strict_json(response)
    ExploreResponse.model_validate(data)
    assert [r["cell"] for r in data["results"]] == ["rnn", "lstm", "gru"]
    assert data["steps"] == 60 and len(data["text"]) == 61
    expected = explore(
        ExploreConfig(steps=60, hidden_size=16, seed=4, init="orthogonal", scale="sigma")
    )
    for got, want in zip(data["results"], expected.results, strict=True):
        np.testing.assert_array_equal(got["grad_h"], want.grad_h)
        assert len(got["grad_h"]) == 60
        assert got["blocks"][0]["sigma_max"] == pytest.approx(1.0)
    rnn, lstm, gru = data["results"]
    assert rnn["bound"] is not None and rnn["jacobian"] is not None and rnn["grad_c"] is None
    assert lstm["cell_path"] is not None and lstm["grad_c"] is not None and lstm["bound"] is None
    assert gru["cell_path"] is None and len(gru["blocks"]) == 3


def test_tiny_gradients_are_numbers_not_zeros(client):
    """sigma_max 0.5 over 1000 steps: 10^-300 and below, sent as numbers, never as 0."""
    body = {
        "cells": ["rnn"],
        "steps": 1000,
        "hidden_size": 8,
        "init": "orthogonal",
        "scale": "sigma",
        "gain": 0.5,
    }
    data = strict_json(client.post("/api/explore", json=body))
    grad_h = data["results"][0]["grad_h"]
    assert all(isinstance(v, float) for v in grad_h) and grad_h[-1] < -300


def test_phase_sweep_matches_the_engine(client):
    body = {"cells": ["rnn", "lstm"], "hidden_size": 8, "gains": [0.5, 1.0, 1.5], "distance": 20}
    response = client.post("/api/explore/phase", json=body)
    assert response.status_code == 200, response.text
    data = strict_json(response)
    PhaseResponse.model_validate(data)
    rows = phase_diagram(ExploreConfig(cells=("rnn", "lstm"), hidden_size=8), [0.5, 1.0, 1.5], 20)
    for got in data["results"]:
        np.testing.assert_array_equal(got["log10"], rows[got["cell"]])
    assert data["scale"] == "sigma"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"steps": 5000}, "steps", "the limit is 1000"),
        ({"hidden_size": 4096}, "hidden_size", "the limit is 128"),
        ({"text": "ab" * 800}, "text", "the limit is 1000"),
        ({"text": "a"}, "text", "at least 2"),
        ({"cells": []}, "cells", "at least 1"),
        ({"cells": ["rnn", "rnn"]}, "cells", "repeats"),
        ({"cells": ["transformer"]}, "cells", "rnn"),
        ({"gain": 0}, "gain", "greater than 0"),
        ({"gain": 50}, "gain", "less than or equal to 10"),
        ({"vocab_size": 1}, "vocab_size", "greater than or equal to 2"),
        ({"init": "xavier"}, "init", "orthogonal"),
    ],
)
def test_explore_rejects_bad_settings_naming_the_field(client, body, field, words):
    response = client.post("/api/explore", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert field in detail["loc"] and words in detail["msg"], detail


def test_phase_rejects_bad_gains_and_distance(client):
    bad_gain = client.post("/api/explore/phase", json={"gains": [0.5, -1]})
    assert bad_gain.status_code == 422 and "outside (0, 10]" in bad_gain.text
    limit = get_settings().max_explore_steps
    far = client.post("/api/explore/phase", json={"distance": limit})
    assert far.status_code == 422 and f"the limit is {limit - 1}" in far.text


def test_forget_bias_moves_the_lstm_cell_path(client):
    def cell_path(bias: float) -> list[float]:
        body = {"cells": ["lstm"], "steps": 100, "hidden_size": 16, "forget_bias": bias}
        return strict_json(client.post("/api/explore", json=body))["results"][0]["cell_path"]

    low, high = cell_path(-2.0), cell_path(4.0)
    assert high[99] > low[99] + 10, "a larger forget bias keeps the carousel open"
    assert all(math.isfinite(v) for v in high)
