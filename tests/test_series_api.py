"""Series models over HTTP: GET /api/series, traces of real numbers with their free-running
forecast, an inline series model, and every bad input as a 422 naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from models.forecast import free_running
from models.series import make_series
from models.trace import trace
from models.zoo import load_zoo
from server.schemas import TraceResponse
from server.schemas.series import SeriesResponse
from tests.test_api import error_message, strict_json

MODEL = "series-lstm"


@pytest.fixture(scope="module")
def net():
    return load_zoo()[MODEL].net


def test_a_generated_series_is_the_generator_rounded_and_written_out(client):
    response = client.get("/api/series", params={"kind": "walk", "length": 50, "seed": 3})
    body = SeriesResponse.model_validate(strict_json(response))
    expected = make_series("walk", 50, seed=3)
    np.testing.assert_allclose(body.values, expected, rtol=0, atol=5e-5)  # 4 decimals
    assert [float(v) for v in body.text.split(",")] == body.values
    assert (body.kind, body.length, body.noise, body.period) == ("walk", 50, 0.05, 20)
    again = client.get("/api/series", params={"kind": "walk", "length": 50, "seed": 3})
    assert again.content == response.content and response.headers["etag"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"kind": "triangle"}, "kind", "'walk', 'sine', 'square' or 'sawtooth'"),
        ({"length": 1}, "length", "length is 1; it must be between 2 and 2000"),
        ({"length": 5000}, "length", "length is 5000; it must be between 2 and 2000"),
        ({"noise": "nan"}, "noise", "noise is nan; it must be between 0 and 1.0"),
        ({"period": 0}, "period", "period is 0; it must be between 2 and 1000"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"seed": 2**70}, "seed", "less than or equal to 4294967295"),
    ],
)
def test_bad_series_parameters_are_422s_naming_the_field(client, params, field, words):
    response = client.get("/api/series", params=params)
    assert response.status_code == 422
    assert strict_json(response)["detail"][0]["loc"] == ["query", field]
    assert words in error_message(response)


def test_a_series_trace_has_values_predictions_and_a_forecast(client, net):
    text = client.get("/api/series", params={"kind": "sine", "length": 40}).json()["text"]
    response = client.get("/api/trace", params={"model": MODEL, "text": text, "forecast": 25})
    body = TraceResponse.model_validate(strict_json(response))
    expected = trace(net, text)
    assert (body.input, body.output, body.features, body.vocab) == ("real", "value", 1, [])
    np.testing.assert_array_equal(body.values, expected.values)
    np.testing.assert_array_equal(body.logits, expected.logits)  # the one-step forecast
    assert body.probs is None and body.loss[-1] is None  # no next step: null, never NaN
    np.testing.assert_array_equal(body.loss[:-1], expected.loss[:-1])
    assert body.tokens == text.split(",") and body.targets[-1] is None
    assert body.forecast is not None and body.forecast.start == 25
    np.testing.assert_array_equal(body.forecast.values, free_running(net, expected.values, 25, 15))
    posted = client.post("/api/trace", json={"model": MODEL, "text": text, "forecast": 25})
    assert strict_json(posted)["forecast"] == strict_json(response)["forecast"]


def test_an_inline_series_model_traces(client):
    spec = {
        "cell": "gru",
        "vocab": [],
        "hidden_size": 1,
        "input": "real",
        "features": 2,
        "output": "value",
        "state_dict": {
            "weight_ih_l0": [[0.5, -0.2], [0.1, 0.3], [0.2, 0.2]],
            "weight_hh_l0": [[0.9], [0.2], [0.4]],
            "readout.weight": [[1.0], [-1.0]],
        },
    }
    body = strict_json(
        client.post("/api/trace", json={"model": spec, "text": "1 2, 3 4, 5 6", "forecast": 1})
    )
    assert body["tokens"] == ["1 2", "3 4", "5 6"] and body["values"] == [[1, 2], [3, 4], [5, 6]]
    h = np.array(body["layers"][0]["h"])  # (3, 1)
    np.testing.assert_allclose(body["logits"], h @ [[1.0, -1.0]], rtol=0, atol=1e-15)
    assert np.array(body["forecast"]["values"]).shape == (2, 2)


@pytest.mark.parametrize(
    ("params", "loc", "words"),
    [
        ({"text": "0.1,zero"}, ["query", "text"], "text has 'zero' as its number 1"),
        ({"text": "0.1,inf"}, ["query", "text"], "text has 'inf' as its number 1"),
        ({"text": "0.1,0.2", "forecast": 3}, ["query", "forecast"], "between 1 and 2"),
        ({"text": "0.1,0.2", "forecast": 0}, ["query", "forecast"], "between 1 and 2"),
        ({"text": "0.1,0.2", "label": "up"}, ["query", "label"], "label is for class models"),
        ({"text": "0.1,0.2", "analysis": "true"}, ["query", "analysis"], "reads numbers"),
        ({"text": ",".join(["0.5"] * 2001)}, ["query", "text"], "text has 2001 steps; the limit"),
    ],
)
def test_bad_series_traces_are_422s_naming_the_field(client, params, loc, words):
    response = client.get("/api/trace", params={"model": MODEL, **params})
    assert response.status_code == 422, response.text
    assert strict_json(response)["detail"][0]["loc"] == loc
    assert words in error_message(response)


def test_a_character_model_has_no_forecast_and_a_series_model_writes_no_text(client):
    response = client.get(
        "/api/trace", params={"model": "hello-rnn", "text": "hell", "forecast": 2}
    )
    assert response.status_code == 422
    assert "forecast is for series models" in error_message(response)
    generated = client.post("/api/generate", json={"model": MODEL, "prompt": "0.5", "length": 5})
    assert generated.status_code == 422
    assert "series model: it predicts numbers" in error_message(generated)


def test_inline_series_specs_are_checked(client):
    spec = {
        "cell": "rnn",
        "vocab": ["a"],
        "hidden_size": 1,
        "input": "real",
        "features": 1,
        "output": "value",
        "state_dict": {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[0.5]], "readout.weight": [[1]]},
    }
    response = client.post("/api/trace", json={"model": spec, "text": "1 2"})
    assert response.status_code == 422 and "send []" in error_message(response)
    no_features = {**spec, "vocab": [], "features": None}
    response = client.post("/api/trace", json={"model": no_features, "text": "1 2"})
    assert response.status_code == 422 and "features is missing" in error_message(response)
