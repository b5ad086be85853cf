"""The built-in models: loadable, trained as claimed, rebuilt byte for byte by the script."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from models.build_zoo import RECIPES, build
from models.torch_model import build_torch_model, readout_logits
from models.trace import trace
from models.zoo import CHECKPOINT_DIR, load_zoo

HELLO_IDS = ["hello-rnn", "hello-lstm", "hello-gru"]


@pytest.fixture(scope="module")
def zoo():
    return load_zoo()


def test_hello_models_are_the_lecture_setup(zoo):
    for model_id, cell in zip(HELLO_IDS, ["rnn", "lstm", "gru"], strict=True):
        spec = zoo[model_id].spec
        assert (spec.cell, spec.vocab, spec.hidden_size) == (cell, ("h", "e", "l", "o"), 3)
    assert zoo["hello-rnn"].spec.nonlinearity == "tanh"


@pytest.mark.parametrize("model_id", HELLO_IDS)
def test_hello_models_predict_ello_from_hell(zoo, model_id):
    model = zoo[model_id]
    result = trace(model.net, "hello")
    predicted = "".join(model.spec.vocab[k] for k in result.probs[:-1].argmax(axis=1))
    assert predicted == "ello"
    assert np.isclose(np.nanmean(result.loss), model.final_loss, atol=1e-6)


@pytest.mark.parametrize("model_id", HELLO_IDS)
def test_checkpoint_loads_strictly_into_torch(zoo, model_id):
    model = zoo[model_id]
    module = build_torch_model(model.spec, torch.float64)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in model.net.weights.items()})
    x = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 2, 3]), 4).double()
    with torch.no_grad():
        logits = readout_logits(module, x)
    np.testing.assert_allclose(trace(model.net, "hello").logits, logits.numpy(), atol=1e-12)


def test_build_script_rebuilds_the_same_bytes(tmp_path):
    for recipe in RECIPES:
        if recipe.id in HELLO_IDS:
            build(recipe, tmp_path)
            for suffix in (".safetensors", ".json"):
                rebuilt = (tmp_path / f"{recipe.id}{suffix}").read_bytes()
                shipped = (CHECKPOINT_DIR / f"{recipe.id}{suffix}").read_bytes()
                digests = hashlib.sha256(rebuilt).digest(), hashlib.sha256(shipped).digest()
                assert digests[0] == digests[1], f"{recipe.id}{suffix} differs"
