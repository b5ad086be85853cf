"""Word models: x_t = E[id(w_t)], an nn.Embedding before the cell (input "embedding").

Every number against torch.nn (nn.Embedding + nn.RNN/LSTM/GRU or our PeepholeLSTM + Linear) and
a stepwise autograd loop in float64: states, gates, logits, the lookup itself, gradient norms,
every weight's gradient (the embedding's gathered in the rows of the words read). Then the
errors, and the API: an inline word model, a 422, and the import of a torch.save'd file.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.importer import from_state_dict
from models.network import Network
from models.spec import Limits, SpecError, make_spec, tokenize
from models.torch_model import build_torch_model, readout_logits, tensors_to_arrays
from models.trace import trace
from server.tracing import trace_values
from tests.autograd_reference import grads, unroll
from tests.helpers import log10_norms

WORDS = ["the", "cat", "sat", "on", "mat", ".", ",", "a", "dog", "didn't"]
TEXT = "the cat sat on the mat, a dog didn't."  # "the" twice: dL/dE adds up in its row
IDS = torch.tensor([WORDS.index(w) for w in tokenize(TEXT)])
CELLS = ["rnn", "lstm", "gru", "peephole"]
EXACT = {"rtol": 0.0, "atol": 1e-10}


def word_model(cell: str, num_layers: int = 1, seed: int = 0, **kinds):
    """A float64 torch word model (H = 5, D = 3) with random weights and the same Network."""
    torch.manual_seed(seed)
    spec = make_spec(cell, WORDS, 5, num_layers, input="embedding", embedding_dim=3, **kinds)
    module = build_torch_model(spec, torch.float64)
    return spec, module, Network(spec, tensors_to_arrays(module.state_dict()))


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def embedded_leaves(module: nn.Module) -> list[torch.Tensor]:
    """x_t = E[id(w_t)] for the text, each a leaf that keeps its gradient."""
    rows = module.get_submodule("embedding")(IDS).detach()  # (T, D)
    return [row.clone().requires_grad_() for row in rows]


def next_word_loss(logits: torch.Tensor) -> torch.Tensor:
    """L = sum_t -log p_t(w_{t+1}), as the trace's loss "all"."""
    return nn.functional.cross_entropy(logits[:-1], IDS[1:], reduction="sum")


def torch_gates(cell: str, module: nn.Module, k: int, below, h, c) -> dict[str, torch.Tensor]:
    """Layer k's gates (T, H) from torch ops on the reference's own h_{t-1} and c."""
    w_ih, b_ih = getattr(module, f"weight_ih_l{k}"), getattr(module, f"bias_ih_l{k}")
    w_hh, b_hh = getattr(module, f"weight_hh_l{k}"), getattr(module, f"bias_hh_l{k}")
    zero = torch.zeros(1, h.shape[1], dtype=h.dtype)
    h_prev = torch.cat([zero, h[:-1]])
    x_part, h_part = below @ w_ih.T + b_ih, h_prev @ w_hh.T + b_hh
    if cell == "gru":
        (x_r, x_z, x_n), (h_r, h_z, h_n) = x_part.chunk(3, dim=1), h_part.chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        return {"r": r, "z": torch.sigmoid(x_z + h_z), "n": torch.tanh(x_n + r * h_n)}
    a_i, a_f, a_g, a_o = (x_part + h_part).chunk(4, dim=1)
    p_i, p_f, p_o = getattr(module, f"weight_ch_l{k}", torch.zeros(3 * h.shape[1])).chunk(3)
    c_prev = torch.cat([zero, c[:-1]])
    return {
        "i": torch.sigmoid(a_i + p_i * c_prev),
        "f": torch.sigmoid(a_f + p_f * c_prev),
        "g": torch.tanh(a_g),
        "o": torch.sigmoid(a_o + p_o * c),
    }


# --- The engine against torch -----------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_states_gates_logits_and_the_lookup_match_torch(cell, num_layers):
    spec, module, net = word_model(cell, num_layers)
    result = trace(net, TEXT)
    np.testing.assert_array_equal(result.token_ids, IDS.numpy())
    table = module.get_submodule("embedding").weight.detach().numpy()
    np.testing.assert_array_equal(result.embedded, table[IDS.numpy()])  # exactly E[id(w_t)]
    with torch.no_grad():
        logits = readout_logits(module, IDS)  # nn.Embedding, the recurrent module, the Linear
        top = module(module.embedding(IDS))[0]
    _, hs, cs = unroll(module, embedded_leaves(module))  # every layer's h_t and c_t
    assert_close(as_tensor(result.layers[-1].h), top, **EXACT)
    assert_close(as_tensor(result.logits), logits, **EXACT)
    assert_close(as_tensor(result.probs), torch.softmax(logits, dim=1), **EXACT)
    below = module.embedding.weight[IDS].detach()
    for k, layer in enumerate(result.layers):
        h = torch.stack(hs[k]).detach()
        c = torch.stack(cs[k]).detach() if cs[k] else None
        assert_close(as_tensor(layer.h), h, **EXACT)
        if c is not None:
            assert_close(as_tensor(layer.c), c, **EXACT)
        if cell != "rnn":
            expected = torch_gates(cell, module, k, below, h, c)
            for name, gate in expected.items():
                assert_close(as_tensor(layer.gates[name]), gate.detach(), **EXACT)
        below = h
    assert spec.to_config()["input"] == "embedding" and spec.to_config()["embedding_dim"] == 3


def test_tokens_targets_and_the_tokenizer():
    _, _, net = word_model("gru")
    result = trace(net, TEXT)
    words = ["the", "cat", "sat", "on", "the", "mat", ",", "a", "dog", "didn't", "."]
    assert result.tokens == words and result.targets == [*words[1:], None]
    assert tokenize("Don't stop,  now!\n") == ["Don't", "stop", ",", "now", "!"]
    assert tokenize("rock'n'roll x2 ...") == ["rock'n'roll", "x2", ".", ".", "."]


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_gradient_norms_match_a_stepwise_autograd_loop(cell, num_layers, loss):
    _, module, net = word_model(cell, num_layers, seed=1)
    result = trace(net, TEXT, loss=loss)
    xs = embedded_leaves(module)
    logits, hs, cs = unroll(module, xs)
    losses = nn.functional.cross_entropy(logits[:-1], IDS[1:], reduction="none")
    (losses.sum() if loss == "all" else losses[-1]).backward()
    for k, layer in enumerate(result.layers):
        np.testing.assert_allclose(layer.grad_h, log10_norms(grads(hs[k])), rtol=0, atol=1e-10)
        if cs[k]:
            np.testing.assert_allclose(layer.grad_c, log10_norms(grads(cs[k])), rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.grad_input, log10_norms(grads(xs)), rtol=0, atol=1e-10)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_every_weights_gradient_matches_autograd_the_embeddings_by_row(cell, num_layers):
    _, module, net = word_model(cell, num_layers, seed=2)
    result = trace(net, TEXT, backward=True)
    assert result.bptt is not None
    module.zero_grad()
    next_word_loss(readout_logits(module, IDS)).backward()
    assert list(result.bptt.weights) == [name for name, _ in module.named_parameters()]
    for name, param in module.named_parameters():
        grad = result.bptt.weights[name]
        assert_close(as_tensor(grad.total), param.grad, **EXACT)
        np.testing.assert_allclose(grad.by_step.sum(axis=0), grad.total, rtol=0, atol=1e-13)
    xs = embedded_leaves(module)
    next_word_loss(unroll(module, xs)[0]).backward()
    by_step = result.bptt.weights["embedding.weight"].by_step  # (T, V, D)
    assert by_step.shape == (len(IDS), len(WORDS), 3)
    for t, word in enumerate(IDS.tolist()):
        others = np.delete(by_step[t], word, axis=0)
        assert not others.any()  # step t touches only the row of the word it read
        assert_close(as_tensor(by_step[t, word]), xs[t].grad, **EXACT)
    the = WORDS.index("the")
    total = result.bptt.weights["embedding.weight"].total
    assert_close(as_tensor(total[the]), xs[0].grad + xs[4].grad, **EXACT)  # read twice


def test_a_class_model_reads_words():
    classes = ["calm", "busy"]
    _, module, net = word_model("lstm", 2, output="class", classes=classes)
    result = trace(net, TEXT, label="busy", backward=True)
    with torch.no_grad():
        logits = readout_logits(module, IDS)  # (T, 2)
    assert_close(as_tensor(result.probs), torch.softmax(logits, dim=1), **EXACT)
    assert result.targets == [None] * len(IDS) and result.label == "busy"
    module.zero_grad()
    nn.functional.cross_entropy(readout_logits(module, IDS)[-1:], torch.tensor([1])).backward()
    for name, param in module.named_parameters():
        assert_close(as_tensor(result.bptt.weights[name].total), param.grad, **EXACT)
    batch = torch.stack([IDS, IDS.flip(0)], dim=1)  # (T, B): readout_logits embeds a batch too
    assert readout_logits(module, batch).shape == (len(IDS), 2, 2)


def test_one_hot_models_are_unchanged():
    spec = make_spec("gru", list("abc"), 4)
    assert (spec.input, spec.embedding_dim, spec.to_config()["embedding_dim"]) == (
        "one_hot",
        None,
        None,
    )
    assert "embedding.weight" not in spec.expected_shapes()
    assert spec.expected_shapes()["weight_ih_l0"] == (12, 3)
    assert not hasattr(build_torch_model(spec), "embedding")


# --- Errors -------------------------------------------------------------------------------------


def words_spec(**changes):
    arguments = {"vocab": WORDS, "input": "embedding", "embedding_dim": 3, **changes}
    return make_spec("gru", hidden_size=4, limits=Limits(max_vocab=12), **arguments)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"vocab": ["the", "big cat"]}, "vocab", "without whitespace; got ['big cat']"),
        ({"vocab": ["the", "\t"]}, "vocab", "without whitespace; got ['\\t']"),
        ({"vocab": ["a", "b", "a"]}, "vocab", "vocab repeats ['a']; each word may appear once"),
        ({"vocab": ["a", "x" * 41]}, "vocab", "words of 1 to 40 characters"),
        ({"vocab": ["a", ""]}, "vocab", "words of 1 to 40 characters"),
        ({"vocab": [f"w{k}" for k in range(13)]}, "vocab", "vocab has 13 words; the limit is 12"),
        ({"embedding_dim": None}, "embedding_dim", "embedding_dim is missing"),
        ({"embedding_dim": 0}, "embedding_dim", "embedding_dim is 0; it must be between 1 and 256"),
        ({"embedding_dim": 257}, "embedding_dim", "embedding_dim is 257; it must be between 1"),
        (
            {"vocab": list("abc"), "input": "one_hot"},
            "embedding_dim",
            "embedding_dim is 3; it is for input 'embedding' only",
        ),
        (
            {"input": "bag_of_words"},
            "input",
            "input 'bag_of_words' is not 'one_hot', 'embedding' or 'real'",
        ),
    ],
)
def test_bad_specs_name_the_field_and_the_limit(changes, field, words):
    with pytest.raises(SpecError) as error:
        words_spec(**changes)
    assert error.value.field == field and words in error.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "the bird sat on the sofa",
            "text has 2 word(s) that are not in the model's vocabulary "
            "of 10 words: ['bird', 'sofa']",
        ),
        ("", "text is empty"),
        ("  \n ", "text has no words; it needs at least 1 word or punctuation mark"),
        ("the cat sat on a mat .", "text has 7 words; the limit is 6"),
    ],
)
def test_bad_texts_name_the_words_and_the_limit(text, words):
    _, _, net = word_model("rnn")
    with pytest.raises(SpecError) as error:
        trace(net, text, limits=Limits(max_text_chars=6))
    assert error.value.field == "text" and words in error.value.message


def test_bad_embedding_weights_are_named():
    spec, module, _ = word_model("lstm")
    state = tensors_to_arrays(module.state_dict())
    with pytest.raises(
        SpecError, match=r"'embedding.weight' has shape \[10, 4\]; expected \[10, 3"
    ):
        Network(spec, {**state, "embedding.weight": np.zeros((10, 4))})
    nan = state["embedding.weight"].copy()
    nan[2, 1] = np.nan
    with pytest.raises(SpecError, match="'embedding.weight' has 1 non-finite value") as error:
        Network(spec, {**state, "embedding.weight": nan})
    assert error.value.field == "state_dict.embedding.weight"
    missing = {k: v for k, v in state.items() if k != "embedding.weight"}
    with pytest.raises(SpecError, match="missing tensor 'embedding.weight' of shape \\[10, 3\\]"):
        Network(spec, missing)


# --- The API ------------------------------------------------------------------------------------


def inline(module: nn.Module, **changes) -> dict:
    model = {
        "cell": "gru",
        "vocab": WORDS,
        "hidden_size": 5,
        "num_layers": 1,
        "input": "embedding",
        "embedding_dim": 3,
        "state_dict": {k: v.tolist() for k, v in module.state_dict().items()},
    }
    return {**model, **changes}


def leaves(value: object) -> int:
    """The numbers, strings, booleans and nulls of decoded JSON."""
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaves(v) for v in value)
    return 1


def test_an_inline_word_model_traces_equal_to_torch(client):
    spec, module, _ = word_model("gru")
    response = client.post(
        "/api/trace", json={"model": inline(module), "text": TEXT, "backward": True}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["input"], body["embedding_dim"], body["vocab"]) == ("embedding", 3, WORDS)
    assert body["tokens"] == tokenize(TEXT) and body["token_ids"] == IDS.tolist()
    table = module.get_submodule("embedding").weight.detach()
    assert_close(torch.tensor(body["embedded"], dtype=torch.float64), table[IDS], **EXACT)
    logits = readout_logits(module, IDS).detach()
    assert_close(torch.tensor(body["logits"], dtype=torch.float64), logits, **EXACT)
    assert len(body["weight_grads"]["embedding.weight"]["by_step"]) == len(IDS)
    # The size check counts the new fields: the response is what trace_values said.
    counted, expected = leaves(body), trace_values(spec, len(IDS), False, False, True)
    assert 0 <= counted - expected <= spec.vocab_size + 17 + 8 * spec.num_layers


def test_word_model_errors_are_422_naming_the_field(client):
    _, module, _ = word_model("gru")
    unknown = client.post("/api/trace", json={"model": inline(module), "text": "the bird sat"})
    assert unknown.status_code == 422 and "['bird']" in unknown.text
    assert unknown.json()["detail"][0]["loc"] == ["body", "text"]
    no_dim = client.post(
        "/api/trace", json={"model": inline(module, embedding_dim=None), "text": TEXT}
    )
    assert no_dim.status_code == 422 and "embedding_dim is missing" in no_dim.text
    assert no_dim.json()["detail"][0]["loc"] == ["body", "model", "embedding_dim"]
    analysed = client.post(
        "/api/trace", json={"model": inline(module), "text": TEXT, "analysis": True}
    )
    assert analysed.status_code == 422 and "analysis is for character models" in analysed.text
    assert analysed.json()["detail"][0]["loc"] == ["body", "analysis"]
    written = client.post("/api/generate", json={"model": inline(module), "prompt": "the cat"})
    assert written.status_code == 422 and "the model reads words" in written.text
    assert written.json()["detail"][0]["loc"] == ["body", "model"]


class WordLM(nn.Module):
    """How a user would write it: an embedding, a recurrent module and a Linear, own names."""

    def __init__(self, cell: type[nn.Module], layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(WORDS), 3)
        self.rnn = cell(3, 4, layers)
        self.fc = nn.Linear(4, len(WORDS))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embed(ids))
        return self.fc(output)


def torch_file(state_dict: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    return buffer.getvalue()


def import_form(client, data: bytes, vocab: str):
    form = {"vocab": vocab, "readout": "fc"}
    return client.post("/api/models/import", files={"file": ("model.pt", data)}, data=form)


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_an_imported_word_model_traces_equal_to_torch(client, cell):
    torch.manual_seed(3)
    model = WordLM(cell, 2).double()
    response = import_form(client, torch_file(model.state_dict()), " ".join(WORDS))
    assert response.status_code == 200, response.text
    spec = response.json()
    assert (spec["input"], spec["embedding_dim"], spec["vocab"]) == ("embedding", 3, WORDS)
    assert "embedding.weight" in spec["state_dict"]
    traced = client.post("/api/trace", json={"model": spec, "text": TEXT})
    assert traced.status_code == 200, traced.text
    with torch.no_grad():
        logits = model(IDS)
    assert_close(torch.tensor(traced.json()["logits"], dtype=torch.float64), logits, **EXACT)


def test_import_errors_name_both_sizes(client):
    state = WordLM(nn.GRU, 1).state_dict()
    few = import_form(client, torch_file(state), '["the", "cat"]')
    assert few.status_code == 422
    assert "vocab has 2 words but the embedding has 10 rows" in few.text
    assert few.json()["detail"][0]["loc"] == ["body", "vocab"]
    wide = {**state, "embed.weight": torch.zeros(len(WORDS), 5)}
    columns = import_form(client, torch_file(wide), " ".join(WORDS))
    assert columns.status_code == 422
    assert "weight_ih_l0 has 3 input columns" in columns.text and "has 5 (shape" in columns.text
    _, module, _ = word_model("rnn")
    imported = from_state_dict(module.state_dict(), WORDS)  # the contract's own names
    assert imported.spec.input == "embedding" and imported.spec.embedding_dim == 3
