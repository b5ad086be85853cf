"""Generation: every step's probabilities equal the trace's of the generated text; seeded,
greedy at temperature 0, sampled from softmax(logits / T); bad requests name field and limit."""

from __future__ import annotations

import numpy as np
import pytest
from torch.testing import assert_close

from models.generate import GenerateLimits, generate, sample, sampling_probs
from models.spec import SpecError
from models.trace import log_softmax, trace
from models.zoo import load_zoo
from tests.helpers import VOCAB, random_model


@pytest.mark.parametrize("temperature", [0.0, 0.7, 1.0, 2.0])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_step_probabilities_equal_the_trace_of_the_generated_text(cell, num_layers, temperature):
    _, _, net = random_model(cell, num_layers, seed=4)
    prompt = "abc"
    result = generate(net, prompt, length=25, temperature=temperature, seed=11)
    assert result.text == prompt + result.generated and len(result.steps) == 25
    traced = trace(net, result.text)
    for j, step in enumerate(result.steps):
        t = len(prompt) - 1 + j  # the trace step that predicts generated character j
        probs = traced.probs[t]
        assert step.char == result.generated[j]
        assert_close(step.prob, float(probs[VOCAB.index(step.char)]), rtol=1e-12, atol=1e-15)
        best = np.argsort(-probs, kind="stable")[:5]
        assert [char for char, _ in step.top] == [VOCAB[k] for k in best]
        assert_close(np.array([p for _, p in step.top]), probs[best], rtol=1e-12, atol=1e-15)
        q = sampling_probs(traced.logits[t], temperature)
        assert_close(step.sample_prob, float(q[VOCAB.index(step.char)]), rtol=1e-12, atol=1e-15)
        if temperature == 0:
            assert VOCAB.index(step.char) == int(np.argmax(probs))


def test_the_same_seed_gives_the_same_text_and_another_seed_another():
    _, _, net = random_model("lstm", 2, seed=2)
    first = generate(net, "ab", 60, 1.0, seed=5)
    assert generate(net, "ab", 60, 1.0, seed=5) == first
    assert generate(net, "ab", 60, 1.0, seed=6).generated != first.generated


def test_sampling_follows_the_tempered_distribution():
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    rng = np.random.default_rng(0)
    for temperature in (0.5, 1.0, 3.0):
        q = np.exp(log_softmax(logits / temperature))
        draws = np.bincount([sample(logits, temperature, rng) for _ in range(20_000)], minlength=4)
        sigma = np.sqrt(q * (1 - q) / 20_000)
        assert np.all(np.abs(draws / 20_000 - q) < 5 * sigma + 1e-12), (temperature, draws)


def test_tiny_temperature_is_greedy_without_overflow():
    logits = np.array([0.3, 2.0, -5.0])
    q = sampling_probs(logits, 1e-300)
    np.testing.assert_array_equal(q, [0.0, 1.0, 0.0])
    assert sample(logits, 1e-300, np.random.default_rng(0)) == 1


def test_zoo_model_writes_from_its_prompt():
    net = load_zoo()["hello-lstm"].net
    result = generate(net, "hell", length=1, temperature=0)
    assert result.generated == "o" and result.steps[0].prob > 0.9


@pytest.mark.parametrize(
    ("prompt", "length", "temperature", "field", "message"),
    [
        ("", 5, 1.0, "prompt", "prompt is empty"),
        ("a" * 11, 5, 1.0, "prompt", "prompt has 11 characters; the limit is 10"),
        ("abz!", 5, 1.0, "prompt", "character(s) ['!', 'z'] that are not in the model's vocab"),
        ("ab", 0, 1.0, "length", "length is 0; it must be between 1 and 20"),
        ("ab", 21, 1.0, "length", "length is 21; it must be between 1 and 20"),
        ("a" * 10, 20, 1.0, "length", "is 30 characters; the limit is 25"),
        ("ab", 5, -1.0, "temperature", "temperature is -1.0; it must be 0 or more"),
        ("ab", 5, float("nan"), "temperature", "temperature is nan"),
    ],
)
def test_bad_requests_name_the_field_value_and_limit(prompt, length, temperature, field, message):
    _, _, net = random_model("gru", 1)
    limits = GenerateLimits(max_length=20, max_prompt_chars=10, max_text_chars=25)
    with pytest.raises(SpecError) as caught:
        generate(net, prompt, length, temperature, 0, limits)
    assert caught.value.field == field and message in caught.value.message


def test_api_generates_what_the_engine_generates_and_the_trace_agrees(client):
    request = {"model": "hello-gru", "prompt": "he", "length": 12, "temperature": 0.8, "seed": 3}
    response = client.post("/api/generate", json=request)
    assert response.status_code == 200
    body = response.json()
    expected = generate(load_zoo()["hello-gru"].net, "he", 12, 0.8, 3)
    assert body["text"] == expected.text and body["generated"] == expected.generated
    assert body["prompt"] == "he" and body["model"] == "hello-gru"
    assert [s["prob"] for s in body["steps"]] == [s.prob for s in expected.steps]
    assert [len(s["top"]) for s in body["steps"]] == [4] * 12  # the vocabulary has only 4
    traced = client.post("/api/trace", json={"model": "hello-gru", "text": body["text"]}).json()
    for j, step in enumerate(body["steps"]):
        assert_close(step["prob"], traced["probs"][1 + j][traced["vocab"].index(step["char"])])


def test_api_generation_with_an_inline_model(client):
    spec = {
        "cell": "rnn",
        "vocab": ["a", "b"],
        "hidden_size": 1,
        "state_dict": {
            "weight_ih_l0": [[2.0, -2.0]],
            "weight_hh_l0": [[0.0]],
            "readout.weight": [[-3.0], [3.0]],
        },
    }
    body = client.post(
        "/api/generate", json={"model": spec, "prompt": "a", "length": 6, "temperature": 0}
    ).json()
    assert body["model"] == "inline" and body["text"] == "abababa"  # it flips every step


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"prompt": "hex"}, ["body", "prompt"], "['x'] that are not in the model's vocabulary"),
        ({"prompt": ""}, ["body", "prompt"], "prompt is empty"),
        ({"length": 0}, ["body", "length"], "length is 0; it must be between 1 and 1000"),
        ({"length": 10**6}, ["body", "length"], "length is 1000000; it must be between 1 and"),
        ({"prompt": "h" * 1001}, ["body", "prompt"], "prompt has 1001 characters; the limit is"),
        ({"temperature": -1}, ["body", "temperature"], "greater than or equal to 0"),
        ({"seed": -1}, ["body", "seed"], "greater than or equal to 0"),
        ({"model": "nope"}, None, "unknown model 'nope'"),
        ({"colour": "red"}, ["body", "colour"], "Extra inputs are not permitted"),
    ],
)
def test_api_bad_generation_requests(client, change, loc, message):
    request = {"model": "hello-lstm", "prompt": "he", "length": 5, **change}
    response = client.post("/api/generate", json=request)
    assert response.status_code == (404 if loc is None else 422)
    detail = response.json()["detail"]
    text = detail if isinstance(detail, str) else " | ".join(item["msg"] for item in detail)
    assert message in text
    if loc is not None:
        assert detail[0]["loc"] == loc
