"""The HTTP API: contract fields, caching, and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from models.analysis import analyse
from models.spec import read_values, tokenize
from models.trace import trace
from models.zoo import load_zoo
from server.encoding import gzip_etag
from server.schemas import ModelDetail, ModelList, TraceResponse
from server.settings import get_settings


def strict_json(response):
    """Parse as strict JSON: NaN or Infinity anywhere fails the test."""

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(response.text, parse_constant=refuse)


def error_message(response) -> str:
    detail = strict_json(response)["detail"]
    return detail if isinstance(detail, str) else " | ".join(item["msg"] for item in detail)


def rnn_spec(**overrides):
    spec = {
        "cell": "rnn",
        "vocab": ["a", "b"],
        "hidden_size": 2,
        "state_dict": {
            "weight_ih_l0": [[0.5, -0.2], [0.1, 0.3]],
            "weight_hh_l0": [[0.9, 0.0], [0.2, 0.4]],
            "readout.weight": [[1.0, 0.0], [0.0, 1.0]],
        },
    }
    spec.update(overrides)
    return spec


def test_health(client):
    health = strict_json(client.get("/healthz"))
    assert health == {
        "status": "ok",
        "models": len(client.get("/api/models").json()["models"]),
        "worker": os.getpid(),
    }


BUILTIN_IDS = [
    "brackets-gru",
    "brackets-lstm",
    "code-gru",
    "code-lstm",
    "code-rnn",
    "hello-gru",
    "hello-lstm",
    "hello-rnn",
    "sentiment-lstm",
    "series-lstm",
    "surnames-gru",
    "zen-lstm",
    "zen-words-lstm",
]


def test_model_list_names_each_builtin(client):
    body = ModelList.model_validate(strict_json(client.get("/api/models")))
    assert [m.id for m in body.models] == BUILTIN_IDS
    assert all(m.final_loss > 0 for m in body.models)
    corpora = {m.id: m.corpus for m in body.models}
    assert corpora["zen-lstm"] == "zen" and corpora["code-rnn"] == "stdlib"
    assert corpora["brackets-gru"] == "brackets" and corpora["hello-lstm"] == "hello"
    assert corpora["surnames-gru"] == "surnames" and corpora["sentiment-lstm"] == "sentiment"
    kinds = {m.id: (m.input, m.output) for m in body.models}
    assert kinds["zen-lstm"] == ("one_hot", "next_token")
    assert kinds["surnames-gru"] == ("one_hot", "class")
    assert kinds["series-lstm"] == ("real", "value") and corpora["series-lstm"] == "series"
    for model in body.models:
        if model.input == "real":  # a generated series, 100 steps
            assert len(read_values(model.sample, model.features or 0)[0]) == 100
            continue
        tokens = tokenize(model.sample) if model.input == "embedding" else model.sample
        assert 0 < len(model.sample) <= 200 and set(tokens) <= set(model.vocab)
        if model.corpus != "hello":
            assert model.training["corpus"] == model.corpus and model.training["sha256"]


def test_each_builtin_traces_its_sample(client):
    for model in strict_json(client.get("/api/models"))["models"]:
        params = {"model": model["id"], "text": model["sample"]}
        assert client.get("/api/trace", params=params).status_code == 200, model["id"]


def test_model_detail_has_pytorch_weights(client):
    body = ModelDetail.model_validate(strict_json(client.get("/api/models/hello-lstm")))
    assert np.shape(body.state_dict["weight_hh_l0"]) == (12, 3)
    assert np.shape(body.state_dict["readout.weight"]) == (4, 3)


def test_unknown_model_is_404_naming_it_and_the_ids(client):
    for response in (
        client.get("/api/models/nope"),
        client.get("/api/trace", params={"model": "nope", "text": "hello"}),
        client.post("/api/trace", json={"model": "nope", "text": "hello"}),
    ):
        assert response.status_code == 404
        assert "'nope'" in error_message(response) and "hello-rnn" in error_message(response)


@pytest.mark.parametrize("projections", [False, True])
def test_get_trace_returns_exactly_the_engine_values(client, projections):
    params = {"model": "hello-gru", "text": "hello", "loss": "last", "projections": projections}
    body = strict_json(client.get("/api/trace", params=params))
    TraceResponse.model_validate(body)
    expected = trace(load_zoo()["hello-gru"].net, "hello", "last", projections=projections)
    assert body["tokens"] == list("hello") and body["targets"] == ["e", "l", "l", "o", None]
    assert np.array_equal(body["layers"][0]["h"], expected.layers[0].h)  # bit-exact floats
    assert np.array_equal(body["layers"][0]["gates"]["z"], expected.layers[0].gates["z"])
    assert np.array_equal(body["probs"], expected.probs)
    assert body["loss"][-1] is None and np.array_equal(body["loss"][:-1], expected.loss[:-1])
    assert body["grads"][0]["h"][-1] is None  # exactly zero after the last target
    assert np.array_equal(body["grads"][0]["h"][:-1], expected.layers[0].grad_h[:-1])
    assert body["grads"][0]["c"] is None and body["layers"][0]["c"] is None
    assert body["total_loss"] == pytest.approx(expected.loss[-2])
    assert (body["layers"][0]["input_proj"] is not None) == projections


def test_trace_analysis_is_exactly_the_engine_analysis(client):
    text = '("a(b", [x])\n'
    params = {"model": "brackets-lstm", "text": text, "analysis": True}
    response = client.get("/api/trace", params=params)
    body = strict_json(response)
    TraceResponse.model_validate(body)
    expected = analyse(load_zoo()["brackets-lstm"].net, text)
    analysis = body["analysis"]
    assert analysis["connectivity"]["logit"] == expected.logit
    rows = analysis["connectivity"]["log10"]
    assert [len(row) for row in rows] == list(range(1, len(text) + 1))
    for got, want in zip(rows, expected.connectivity, strict=True):
        assert np.array_equal(got, want)  # bit-exact; this model has no exact zeros
    assert set(analysis["saturation"][0]) == {"i", "f", "o"}
    gate = expected.saturation[0]["f"]
    assert analysis["saturation"][0]["f"] == {"left": list(gate.left), "right": list(gate.right)}
    assert analysis["features"]["in_quotes"] == list(expected.features["in_quotes"])
    assert analysis["features"]["bracket_depth"][:4] == [1, 1, 1, 1]  # '(' in the string is text
    for feature, values in expected.correlations[0].h.items():
        assert np.array_equal(analysis["correlations"][0]["h"][feature], values)
    assert analysis["correlations"][0]["c"] is not None

    plain = client.get("/api/trace", params={**params, "analysis": False})
    assert strict_json(plain)["analysis"] is None
    assert plain.headers["etag"] != response.headers["etag"]
    posted = strict_json(client.post("/api/trace", json={**params, "analysis": True}))
    assert posted == body


def test_analysis_nulls_are_documented_cases(client):
    body = strict_json(
        client.post("/api/trace", json={"model": "hello-rnn", "text": "hello", "analysis": True})
    )
    analysis = body["analysis"]
    assert analysis["saturation"] == [{}]  # a vanilla RNN has no sigmoid gates
    assert analysis["correlations"][0]["c"] is None
    assert analysis["correlations"][0]["h"]["in_quotes"] == [None, None, None]  # constant
    assert analysis["connectivity"]["logit"][:4] == list("ello")


def test_analysis_has_its_own_text_limit(client):
    limit = get_settings().max_analysis_chars
    text = "hello" * (limit // 5 + 1)
    for response in (
        client.get("/api/trace", params={"model": "hello-rnn", "text": text, "analysis": True}),
        client.post("/api/trace", json={"model": "hello-rnn", "text": text, "analysis": True}),
    ):
        assert response.status_code == 422
        assert f"{len(text)} characters; with analysis the limit is {limit}" in error_message(
            response
        )
    ok = client.post("/api/trace", json={"model": "hello-rnn", "text": text})
    assert ok.status_code == 200


def test_post_trace_with_builtin_id_equals_get(client):
    got = strict_json(client.get("/api/trace", params={"model": "hello-lstm", "text": "hell"}))
    posted = strict_json(client.post("/api/trace", json={"model": "hello-lstm", "text": "hell"}))
    assert got == posted
    assert len(got["layers"][0]["c"]) == 4 and set(got["layers"][0]["gates"]) == set("ifgo")


def test_post_trace_with_inline_model(client):
    body = strict_json(client.post("/api/trace", json={"model": rnn_spec(), "text": "abba"}))
    TraceResponse.model_validate(body)
    assert body["model"] == "inline"
    h1 = np.tanh(np.array([0.5, 0.1]))  # h_1 = tanh(W_ih[:, 'a']), biases default to zero
    np.testing.assert_allclose(body["layers"][0]["h"][0], h1, rtol=0, atol=1e-15)


def test_get_trace_is_cached_with_a_strong_etag(client):
    params = {"model": "hello-rnn", "text": "hello"}
    first = client.get("/api/trace", params=params)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age" in first.headers["cache-control"]
    again = client.get("/api/trace", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = {**params, "text": "hell"}
    changed = client.get("/api/trace", params=other, headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_cached_trace_is_sent_gzipped_once_compressed(client):
    """A cached GET trace goes out as its stored gzip bytes to a client that takes gzip, and as
    the same JSON to one that does not; each representation has its own strong ETag."""
    params = {"model": "hello-lstm", "text": "hello", "projections": "true"}
    plain = client.get("/api/trace", params=params, headers={"Accept-Encoding": "identity"})
    zipped = client.get("/api/trace", params=params, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] == gzip_etag(plain.headers["etag"])
    assert zipped.content == plain.content  # httpx decoded the gzip bytes


def test_an_answer_sent_without_gzip_names_accept_encoding_once_in_vary(client):
    """Answers of 1 KB or more without gzip: a cached trace from the route and from the fast
    path, the model list, a trace computed per request. Starlette's identity responder used
    to append a second Accept-Encoding to the Vary of those that had it already."""
    identity = {"Accept-Encoding": "identity"}
    trace_url = "/api/trace?model=zen-lstm&text=Beautiful%20is%20better%20than%20ugly."
    answers = [client.get(url, headers=identity) for url in (trace_url, trace_url, "/api/models")]
    inline = {"model": rnn_spec(), "text": "abba" * 8}
    answers.append(client.post("/api/trace", json=inline, headers=identity))
    for answer in answers:
        assert answer.status_code == 200 and len(answer.content) >= 1024, answer.request.url
        assert "content-encoding" not in answer.headers
        assert answer.headers["vary"] == "Accept-Encoding", answer.request.url


def test_model_list_answers_304(client):
    etag = client.get("/api/models").headers["etag"]
    assert client.get("/api/models", headers={"If-None-Match": etag}).status_code == 304


def test_trace_rejects_unknown_characters(client):
    response = client.get("/api/trace", params={"model": "hello-rnn", "text": "help!"})
    assert response.status_code == 422
    message = error_message(response)
    assert "'p'" in message and "'!'" in message and "['h', 'e', 'l', 'o']" in message
    assert strict_json(response)["detail"][0]["loc"] == ["query", "text"]


def test_trace_rejects_empty_text(client):
    response = client.post("/api/trace", json={"model": "hello-rnn", "text": ""})
    assert response.status_code == 422 and "text is empty" in error_message(response)


def test_trace_rejects_text_over_the_limit_and_allows_1000(client):
    limit = get_settings().max_text_chars
    assert limit >= 1000
    ok = client.post("/api/trace", json={"model": "hello-rnn", "text": "hello" * 200})
    assert ok.status_code == 200
    response = client.post("/api/trace", json={"model": "hello-rnn", "text": "h" * (limit + 1)})
    assert response.status_code == 422
    assert f"{limit + 1} characters; the limit is {limit}" in error_message(response)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("hidden_size", 10_000, "hidden_size is 10000; it must be between 1 and 256"),
        ("num_layers", 4, "num_layers is 4; it must be between 1 and 3"),
        ("vocab", ["a", "a"], "vocab repeats ['a']"),
        ("vocab", ["ab", "c"], "single characters"),
    ],
)
def test_inline_model_limits(client, field, value, expected):
    response = client.post("/api/trace", json={"model": rnn_spec(**{field: value}), "text": "ab"})
    assert response.status_code == 422 and expected in error_message(response)
    assert strict_json(response)["detail"][0]["loc"][:3] == ["body", "model", field]


@pytest.mark.parametrize(
    ("tensors", "expected"),
    [
        ({"weight_hh_l0": None}, "missing tensor 'weight_hh_l0' of shape [2, 2]"),
        ({"weight_hh_l1": [[1.0]]}, "unexpected tensor 'weight_hh_l1' (shape [1, 1])"),
        ({"weight_ih_l0": [[1.0, 2.0, 3.0]]}, "'weight_ih_l0' has shape [1, 3]; expected [2, 2]"),
        ({"readout.bias": [1.0, 2.0, 3.0]}, "'readout.bias' has shape [3]; expected [2]"),
        ({"weight_ih_l0": [[1.0], [1.0, 2.0]]}, "not a rectangular array"),
        ({"weight_ih_l0": [["1", "2"], ["3", "4"]]}, "expected numbers"),
    ],
)
def test_inline_state_dict_errors_name_the_tensor_and_shapes(client, tensors, expected):
    spec = rnn_spec()
    for name, value in tensors.items():
        if value is None:
            del spec["state_dict"][name]
        else:
            spec["state_dict"][name] = value
    response = client.post("/api/trace", json={"model": spec, "text": "ab"})
    assert response.status_code == 422 and expected in error_message(response)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_weights_are_rejected(client, bad):
    body = json.dumps({"model": rnn_spec(), "text": "ab"}).replace("0.9", bad)
    response = client.post("/api/trace", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "'weight_hh_l0' has 1 non-finite value" in error_message(response)


def test_relu_overflow_is_a_clear_error_not_nan(client):
    spec = rnn_spec(nonlinearity="relu")
    spec["state_dict"]["weight_hh_l0"] = [[1e300, 0.0], [0.0, 1e300]]
    response = client.post("/api/trace", json={"model": spec, "text": "aaaa"})
    assert response.status_code == 422 and "overflowed float64 at step" in error_message(response)


def test_wrong_loss_mode_is_422(client):
    response = client.get("/api/trace", params={"model": "hello-rnn", "text": "he", "loss": "mean"})
    assert response.status_code == 422
    assert strict_json(response)["detail"][0]["loc"] == ["query", "loss"]


def test_oversized_body_is_413_naming_the_limit(client):
    limit = get_settings().max_body_bytes
    response = client.post(
        "/api/trace", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert f"the limit is {limit}" in error_message(response)


def test_malformed_json_is_422(client):
    response = client.post(
        "/api/trace", content=b'{"model": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_every_schema_field_is_described(client):
    schemas = strict_json(client.get("/openapi.json"))["components"]["schemas"]
    ours = {name: schema for name, schema in schemas.items() if "ValidationError" not in name}
    assert {"TraceResponse", "TraceRequest", "InlineModel", "ModelDetail"} <= set(ours)
    for name, schema in ours.items():
        fields = schema["properties"].items()
        undocumented = [field for field, prop in fields if not prop.get("description")]
        assert not undocumented, f"{name}: {undocumented}"
