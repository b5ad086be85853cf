"""Many-to-one class models: a character RNN reads a text and its last step names the class.

Every number against torch.nn and autograd in float64: the class distribution after every
step, the single loss at the last step, and its gradient flowing back through the sequence
(norms, BPTT vectors and every weight's gradient). Then the API: the kind in the spec and the
trace, the label, and clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.generate import generate
from models.network import Network
from models.spec import SpecError, make_spec
from models.torch_model import build_torch_model, readout_logits, tensors_to_arrays
from models.trace import trace
from tests.autograd_reference import grads, unroll
from tests.helpers import TEXT, VOCAB, log10_norms, one_hot, random_model

CLASSES = ["cat", "dog", "bird"]
EXACT = {"rtol": 0.0, "atol": 1e-10}


def class_model(cell: str, num_layers: int, seed: int = 0):
    """A float64 torch class model with random weights and the same Network."""
    torch.manual_seed(seed)
    spec = make_spec(cell, VOCAB, 5, num_layers, output="class", classes=CLASSES)
    module = build_torch_model(spec, torch.float64)
    return spec, module, Network(spec, tensors_to_arrays(module.state_dict()))


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_every_step_and_the_last_steps_loss_match_autograd(cell, num_layers):
    spec, module, net = class_model(cell, num_layers)
    assert module.get_submodule("readout").weight.shape == (3, 5)  # one row per class
    result = trace(net, TEXT, label="dog", backward=True)
    xs = [x.clone().requires_grad_() for x in one_hot(TEXT)]
    logits, hs, cs = unroll(module, xs)  # (T, C)
    loss = nn.functional.cross_entropy(logits[-1:], torch.tensor([1]))
    loss.backward()
    assert_close(as_tensor(result.probs), torch.softmax(logits, dim=1).detach(), **EXACT)
    steps = len(TEXT)
    assert result.targets == [None] * steps and result.label == "dog" and result.label_given
    assert np.isnan(result.loss[:-1]).all()
    assert result.loss[-1] == pytest.approx(float(loss), rel=1e-12)
    for k, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer.grad_h, log10_norms(grads(hs[k])), rtol=0, atol=1e-10)
        if cs[k]:
            np.testing.assert_allclose(layer.grad_c, log10_norms(grads(cs[k])), atol=1e-10)
    np.testing.assert_allclose(result.grad_input, log10_norms(grads(xs)), rtol=0, atol=1e-10)
    # The one loss reaches every step: through the sequence, back to the first character.
    assert np.isfinite(result.layers[0].grad_h).all()
    assert result.bptt is not None
    module.zero_grad()
    nn.functional.cross_entropy(
        readout_logits(module, one_hot(TEXT))[-1:], torch.tensor([1])
    ).backward()
    for name, param in module.named_parameters():
        assert_close(as_tensor(result.bptt.weights[name].total), param.grad, **EXACT)
    dy = result.bptt.d_outputs
    assert not dy[:-1].any()  # only the last step is scored
    np.testing.assert_allclose(dy[-1], result.probs[-1] - np.eye(3)[1], rtol=0, atol=1e-15)


def test_without_a_label_the_loss_is_of_the_models_own_answer():
    _, _, net = class_model("gru", 1, seed=2)
    result = trace(net, TEXT)
    predicted = CLASSES[int(result.probs[-1].argmax())]
    assert result.label == predicted and not result.label_given
    given = trace(net, TEXT, label=predicted)
    np.testing.assert_array_equal(given.layers[0].grad_h, result.layers[0].grad_h)
    # "all" and "last" are one loss for a class model: its only target is the last step's.
    last = trace(net, TEXT, loss="last")
    np.testing.assert_array_equal(last.layers[0].grad_h, result.layers[0].grad_h)


def test_labels_and_kinds_are_checked():
    _, _, net = class_model("lstm", 1)
    with pytest.raises(SpecError, match=r"label 'fish' is not one of the model's 3 classes"):
        trace(net, TEXT, label="fish")
    _, _, char_net = random_model("rnn", 1)
    with pytest.raises(SpecError, match="label is for class models"):
        trace(char_net, TEXT, label="cat")
    with pytest.raises(SpecError, match="cannot write text"):
        generate(net, "abc", length=5)
    for classes, words in [
        (["only"], "classes has 1 labels; a class model needs between 2 and"),
        (["a", "a"], "classes repeats ['a']"),
        (["a", ""], "class labels must be 1 to 40 characters"),
        (None, "classes has 0 labels"),
    ]:
        with pytest.raises(SpecError, match=words.replace("[", r"\[").replace("]", r"\]")):
            make_spec("gru", VOCAB, 4, output="class", classes=classes)
    with pytest.raises(SpecError, match="classes are for output 'class'"):
        make_spec("gru", VOCAB, 4, classes=["a", "b"])
    with pytest.raises(SpecError, match="output 'regression' is not"):
        make_spec("gru", VOCAB, 4, output="regression")


def test_the_spec_says_what_goes_in_and_comes_out():
    spec = make_spec("gru", VOCAB, 4, output="class", classes=CLASSES)
    assert spec.to_config()["input"] == "one_hot"
    assert (spec.to_config()["output"], spec.to_config()["classes"]) == ("class", CLASSES)
    assert spec.expected_shapes()["readout.weight"] == (3, 4)
    char = make_spec("gru", VOCAB, 4).to_config()
    assert (char["output"], char["classes"]) == ("next_token", None)


# --- The API -----------------------------------------------------------------------------------


def test_a_zoo_classifier_traces_with_its_label(client):
    response = client.get("/api/trace", params={"model": "surnames-gru", "text": "Kowalski"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["input"], body["output"]) == ("one_hot", "class")
    assert "Polish" in body["classes"] and len(body["probs"][0]) == len(body["classes"])
    assert body["label"] == body["classes"][int(np.argmax(body["probs"][-1]))]
    assert not body["label_given"] and body["targets"] == [None] * 8
    assert body["loss"][:-1] == [None] * 7 and body["loss"][-1] > 0
    german = client.get(
        "/api/trace", params={"model": "surnames-gru", "text": "Kowalski", "label": "German"}
    ).json()
    assert german["label"] == "German" and german["label_given"]
    p_german = german["probs"][-1][german["classes"].index("German")]
    assert german["loss"][-1] == pytest.approx(-np.log(p_german), rel=1e-12)


def test_inline_class_models_and_their_errors(client):
    _, module, _ = class_model("gru", 1)
    model = {
        "cell": "gru",
        "vocab": VOCAB,
        "hidden_size": 5,
        "output": "class",
        "classes": CLASSES,
        "state_dict": {k: v.tolist() for k, v in module.state_dict().items()},
    }
    ok = client.post("/api/trace", json={"model": model, "text": TEXT, "label": "bird"})
    assert ok.status_code == 200, ok.text
    logits = readout_logits(module, one_hot(TEXT)).detach()
    assert_close(torch.tensor(ok.json()["logits"], dtype=torch.float64), logits, **EXACT)
    bad = client.post("/api/trace", json={"model": model, "text": TEXT, "label": "fish"})
    assert bad.status_code == 422 and "label 'fish' is not one of" in bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "label"]
    few = client.post("/api/trace", json={"model": {**model, "classes": ["cat"]}, "text": TEXT})
    assert few.status_code == 422 and "classes has 1 labels" in few.text
    hello = client.get("/api/trace", params={"model": "hello-rnn", "text": "hell", "label": "x"})
    assert hello.status_code == 422 and "label is for class models" in hello.text
    written = client.post("/api/generate", json={"model": "sentiment-lstm", "prompt": "the"})
    assert written.status_code == 422 and "cannot write text" in written.text
