"""HTTP at its edges: unexpected errors, lone surrogates, overflowing weights, HEAD, trailing
slashes, conditional requests, content codings, strict request schemas and error locations.

Nothing a request sends may take a worker down or get an answer that is not JSON with the
security headers; every refusal names a field of the request it refused.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pydantic import BaseModel

from server.deps import get_zoo
from server.encoding import accepts_gzip, gzip_etag, if_none_match, json_bytes
from server.errors import error_body
from server.schemas.explore import ExploreRequest, PhaseRequest


def raw_post(client, path: str, body: str):
    """POST `body` as written: json.dumps escapes a lone surrogate as \\ud800, like JSON may."""
    return client.post(path, content=body, headers={"content-type": "application/json"})


def assert_json_refusal(response, status: int, loc: list | None = None) -> list[dict]:
    """A refusal in the API's error shape, with the security headers; its error list."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/json"
    assert "content-security-policy" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    detail = json.loads(response.text)["detail"]  # strict UTF-8 JSON
    if loc is not None:
        assert detail[0]["loc"] == loc, detail
    return detail


def tiny_rnn(**weights: Any) -> dict:
    """A one-unit RNN over "ab"; `weights` replace or add tensors of its state_dict."""
    state_dict = {
        "weight_ih_l0": [[5.0, -5.0]],
        "weight_hh_l0": [[0.5]],
        "readout.weight": [[1.0], [-1.0]],
        **weights,
    }
    return {"cell": "rnn", "vocab": ["a", "b"], "hidden_size": 1, "state_dict": state_dict}


# 1. An unexpected error is a logged JSON 500 with the security headers.


def test_an_unexpected_error_is_a_json_500_with_the_headers_and_a_logged_traceback(client, caplog):
    def broken_zoo() -> None:
        raise RuntimeError("the zoo fell over")

    client.app.dependency_overrides[get_zoo] = broken_zoo
    try:
        with caplog.at_level(logging.ERROR, logger="unrolled.errors"):
            response = client.get("/healthz")
    finally:
        del client.app.dependency_overrides[get_zoo]
    detail = assert_json_refusal(response, 500, [])
    assert detail[0]["type"] == "internal_error"
    assert "GET /healthz" in detail[0]["msg"]
    assert "zoo fell over" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "unrolled.errors"]
    assert record.exc_info is not None and "the zoo fell over" in str(record.exc_info[1])
    error_id = record.getMessage().split()[1]
    assert f"error {error_id}" in detail[0]["msg"]  # the answer names the log line
    assert client.get("/healthz").status_code == 200


# 2. Lone surrogates are 422s naming the field, never a 500.

SURROGATE = "\ud800"
SURROGATE_BODIES = [
    ("/api/trace", {"model": "hello-rnn", "text": "he" + SURROGATE}, ["body", "text"]),
    (
        "/api/trace",
        {"model": tiny_rnn() | {"vocab": ["a", SURROGATE]}, "text": "ab"},
        ["body", "model", "vocab", 1],
    ),
    (
        "/api/generate",
        {"model": tiny_rnn() | {"vocab": [SURROGATE, "b"]}, "prompt": "b"},
        ["body", "model", "vocab", 0],
    ),
    ("/api/generate", {"model": "hello-rnn", "prompt": SURROGATE}, ["body", "prompt"]),
    ("/api/explore", {"text": "ab" + SURROGATE, "hidden_size": 2}, ["body", "text"]),
    ("/api/trace", {"model": "hello-rnn", "text": "he", SURROGATE: 1}, ["body"]),
]


@pytest.mark.parametrize(("path", "body", "loc"), SURROGATE_BODIES)
def test_a_lone_surrogate_is_a_422_naming_the_field(client, path, body, loc):
    detail = assert_json_refusal(raw_post(client, path, json.dumps(body)), 422, loc)
    if loc != ["body"]:  # a field name that is not Unicode: the body is not
        assert "lone surrogate '\\ud800'" in detail[0]["msg"]


def test_an_error_about_a_surrogate_can_itself_be_written_as_json():
    body = error_body(["body", SURROGATE], f"field {SURROGATE} is unknown")
    assert json.loads(json_bytes(body))["detail"][0]["loc"] == ["body", "\\ud800"]


def test_a_surrogate_in_a_query_is_decoded_as_a_replacement_character(client):
    response = client.get("/api/trace?model=hello-rnn&text=%ED%A0%80")
    assert_json_refusal(response, 422, ["query", "text"])


# 3. Weights that overflow float64 are refused by generate as by trace.

OVERFLOWING = {
    "tanh logits": tiny_rnn(
        **{"readout.weight": [[1e308], [-1e308]], "readout.bias": [1e308, -1e308]}
    ),
    "relu hidden state": tiny_rnn(weight_hh_l0=[[1e300]]) | {"nonlinearity": "relu"},
    "lstm logits": {
        "cell": "lstm",
        "vocab": ["a", "b"],
        "hidden_size": 1,
        "state_dict": {
            "weight_ih_l0": [[10.0, 10.0]] * 4,  # every gate open: c_t = t + 1, h_t -> 1
            "weight_hh_l0": [[0.0]] * 4,
            "readout.weight": [[1e308], [-1e308]],
            "readout.bias": [1e308, -1e308],
        },
    },
}


@pytest.mark.parametrize("kind", sorted(OVERFLOWING))
def test_generation_refuses_weights_that_overflow_like_a_trace(client, kind):
    model = OVERFLOWING[kind]
    traced = client.post("/api/trace", json={"model": model, "text": "abab"})
    generated = client.post("/api/generate", json={"model": model, "prompt": "ab", "length": 5})
    assert_json_refusal(traced, 422, ["body", "model"])
    detail = assert_json_refusal(generated, 422, ["body", "model"])
    assert "overflowed float64 after character" in detail[0]["msg"]
    assert "the largest is 1e+" in detail[0]["msg"]


def test_generation_with_large_but_finite_numbers_still_answers(client):
    model = tiny_rnn(**{"readout.weight": [[1e300], [-1e300]]})
    response = client.post("/api/generate", json={"model": model, "prompt": "a", "length": 3})
    assert response.status_code == 200
    body = json.loads(response.text)
    assert all(step["prob"] is not None for step in body["steps"])


# 4. HEAD wherever GET.

HEAD_PATHS = [
    "/healthz",
    "/",
    "/hello",
    "/docs",
    "/api/models",
    "/api/models/hello-rnn",
    "/api/trace?model=hello-rnn&text=hello",
    "/vendor/plotly.min.js",
    "/static/js/api.js",
    "/favicon.ico",
    "/openapi.json",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_every_get_answers_head_with_its_headers_and_no_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    for header in ("content-type", "etag", "cache-control", "content-security-policy"):
        assert head.headers.get(header) == got.headers.get(header), header
    if "content-encoding" not in got.headers:  # httpx reports a gzip body's decoded length
        assert head.headers["content-length"] == str(len(got.content))


def test_head_where_there_is_no_get_is_a_405_listing_the_methods(client):
    response = client.head("/api/generate")
    assert response.status_code == 405 and response.content == b""
    assert response.headers["allow"] == "POST"
    assert "content-security-policy" in response.headers
    assert client.delete("/healthz").headers["allow"] == "HEAD, GET"


# 5. A trailing slash is not redirected to whatever Host says.


@pytest.mark.parametrize("path", ["/api/models/", "/hello/", "/api/trace/", "/docs/"])
def test_a_trailing_slash_redirects_nowhere(client, path):
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert "content-security-policy" in response.headers


# 6. Conditional requests (RFC 9110 section 13.1.2).


@pytest.mark.parametrize(
    ("header", "etag", "matches"),
    [
        ('"a"', '"a"', True),
        ('W/"a"', '"a"', True),
        ('"b", W/"a"', '"a"', True),
        ('"b",W/"a" ', '"a"', True),
        ("*", '"a"', True),
        (" * ", '"a"', True),
        ('"a-gz"', '"a"', False),
        ('"b"', '"a"', False),
        ("a", '"a"', False),
        ("", '"a"', False),
        (None, '"a"', False),
    ],
)
def test_if_none_match_uses_weak_comparison_and_star(header, etag, matches):
    assert if_none_match(header, etag) is matches


@pytest.mark.parametrize("path", ["/api/models", "/api/models/hello-gru", "/", "/static/js/api.js"])
def test_star_and_weak_validators_are_304s(client, path):
    etag = client.get(path).headers["etag"]
    for held in ("*", f"W/{etag}", f'"other", {etag}'):
        response = client.get(path, headers={"If-None-Match": held})
        assert response.status_code == 304 and response.content == b"", held
        assert response.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


# 7. gzip and identity: one strong ETag each, chosen by q-values.


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=2", False),
        ("gzip;q=nan", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(accept_encoding, gzip):
    assert accepts_gzip(accept_encoding) is gzip


@pytest.mark.parametrize("path", ["/api/models", "/hello", "/static/js/api.js", "/favicon.ico"])
def test_gzip_and_identity_have_their_own_strong_etags(client, path):
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert zipped.content == plain.content == refused.content  # httpx inflated the gzip
    assert zipped.headers["etag"] == gzip_etag(plain.headers["etag"]) != plain.headers["etag"]
    assert refused.headers["etag"] == plain.headers["etag"]
    assert not plain.headers["etag"].startswith("W/")
    # each validator matches its own representation only
    for encoding, etag, status in [
        ("gzip", zipped.headers["etag"], 304),
        ("identity", plain.headers["etag"], 304),
        ("gzip", plain.headers["etag"], 200),
        ("identity", zipped.headers["etag"], 200),
    ]:
        headers = {"Accept-Encoding": encoding, "If-None-Match": etag}
        assert client.get(path, headers=headers).status_code == status, (encoding, etag)


def test_answers_made_per_request_honour_gzip_q_0(client):
    body = {"model": "hello-rnn", "text": "hello"}
    refused = client.post("/api/trace", json=body, headers={"Accept-Encoding": "gzip;q=0"})
    zipped = client.post("/api/trace", json=body, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in refused.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert refused.content == zipped.content


# 8. Strict request schemas: unknown fields and non-numbers are 422s.


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"colour": "red"}, ["body", "model", "colour"]),
        ({"hidden_size": "1"}, ["body", "model", "hidden_size"]),
        ({"hidden_size": True}, ["body", "model", "hidden_size"]),
        ({"hidden_size": 1.0}, ["body", "model", "hidden_size"]),
        ({"num_layers": "1"}, ["body", "model", "num_layers"]),
        ({"vocab": "ab"}, ["body", "model", "vocab"]),
        ({"cell": "transformer"}, ["body", "model", "cell"]),
    ],
)
@pytest.mark.parametrize("path", ["/api/trace", "/api/generate"])
def test_an_inline_model_is_validated_strictly(client, path, change, loc):
    text = {"text": "ab"} if path == "/api/trace" else {"prompt": "ab"}
    response = client.post(path, json={"model": tiny_rnn() | change, **text})
    detail = assert_json_refusal(response, 422, loc)
    assert len(detail) == 1  # one error, not one per member of "id or inline model"


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"model": 5, "text": "ab"}, ["body", "model"], "model is 5; it must be a built-in"),
        ({"model": None, "text": "ab"}, ["body", "model"], "model is None"),
        ({"model": ["x"] * 100, "text": "a"}, ["body", "model"], "model is ['x', 'x', "),
        ({"model": "hello-rnn", "text": "he", "projections": "true"}, ["body", "projections"], ""),
        ({"model": "hello-rnn", "text": "he", "analysis": 1}, ["body", "analysis"], ""),
    ],
)
def test_a_trace_request_is_validated_strictly(client, body, loc, words):
    detail = assert_json_refusal(client.post("/api/trace", json=body), 422, loc)
    assert words in detail[0]["msg"] and len(detail[0]["msg"]) < 200


def test_the_openapi_document_still_offers_an_id_or_an_inline_model(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    for request in ("TraceRequest", "GenerateRequest"):
        options = schema[request]["properties"]["model"]["anyOf"]
        assert {"type": "string"} in options
        assert {"$ref": "#/components/schemas/InlineModel"} in options
    assert schema["InlineModel"]["additionalProperties"] is False


# 9. Every explorer error points at a field of its request.

EXPLORE_BAD = [
    {"cells": []},
    {"cells": ["rnn", "rnn"]},
    {"cells": ["transformer"]},
    {"cells": "rnn"},
    {"steps": 1},
    {"steps": "5"},
    {"steps": 10**6},
    {"hidden_size": 0},
    {"hidden_size": 10**6},
    {"hidden_size": 2.0},
    {"init": "zeros"},
    {"scale": "huge"},
    {"gain": 0},
    {"gain": 11},
    {"forget_bias": 100},
    {"nonlinearity": "sigmoid"},
    {"text": ""},
    {"text": "a"},
    {"text": 5},
    {"text": "".join(chr(0x4E00 + k) for k in range(300))},
    {"text": "a" * 10**5},
    {"vocab_size": 1},
    {"seed": -1},
    {"clip_norm": 0},
    {"clip_value": -1},
    {"colour": "red"},
    {
        "cells": ["rnn"],
        "init": "identity",
        "scale": "sigma",
        "gain": 10,
        "nonlinearity": "relu",
        "steps": 400,
        "hidden_size": 4,
    },
]
PHASE_BAD = [
    {"gains": []},
    {"gains": [0]},
    {"gains": [1, "x"]},
    {"gains": [1.0] * 26},
    {"distance": 0},
    {"distance": 10**6},
    {
        "cells": ["rnn"],
        "nonlinearity": "relu",
        "init": "identity",
        "gains": [10],
        "distance": 999,
        "hidden_size": 4,
    },
]


def names_a_field(schema: type[BaseModel], error: dict) -> bool:
    """The error's loc is ["body"] (the body as a whole), ["body", <a field of `schema`>,
    <list positions>...], or ["body", <the unknown field>] for an unknown field."""
    loc = error["loc"]
    if loc[0] != "body":
        return False
    if len(loc) == 1 or error["type"] == "extra_forbidden":
        return len(loc) <= 2
    return loc[1] in schema.model_fields and all(isinstance(p, int) for p in loc[2:])


@pytest.mark.parametrize(
    ("path", "schema", "body"),
    [("/api/explore", ExploreRequest, b) for b in EXPLORE_BAD]
    + [("/api/explore/phase", PhaseRequest, b) for b in PHASE_BAD],
)
def test_every_explorer_error_names_a_field_of_the_request(client, path, schema, body):
    base = {"cells": ["rnn"], "hidden_size": 4, "steps": 10}
    response = client.post(path, json=base | body)
    detail = assert_json_refusal(response, 422)
    for error in detail:
        assert names_a_field(schema, error), (body, error)


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        (
            "/api/explore",
            {
                "init": "identity",
                "scale": "sigma",
                "gain": 10,
                "nonlinearity": "relu",
                "steps": 400,
            },
            "gain",
            "gain is 10.0 (scale 'sigma'): layer 0's hidden state overflowed",
        ),
        (
            "/api/explore",
            {"text": "".join(chr(0x4E00 + k) for k in range(300))},
            "text",
            "distinct characters are the vocabulary: vocab has 300 characters; the limit is 256",
        ),
        (
            "/api/explore/phase",
            {"init": "identity", "nonlinearity": "relu", "gains": [1, 10], "distance": 999},
            "gains",
            "gains reach 10.0: layer 0's hidden state overflowed",
        ),
    ],
)
def test_engine_errors_are_placed_at_the_setting_that_caused_them(client, path, body, field, words):
    base = {"cells": ["rnn"], "hidden_size": 4}
    detail = assert_json_refusal(client.post(path, json=base | body), 422, ["body", field])
    assert words in detail[0]["msg"]
