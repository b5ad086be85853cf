"""Model import: real nn.RNN/LSTM/GRU + nn.Linear files become specs that trace equal to the
module; every kind of bad file is a clear 4xx, and a malicious pickle never runs."""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as safetensors_bytes
from torch import nn
from torch.testing import assert_close

from models.importer import from_state_dict, parse_vocab
from models.peephole import PeepholeLSTM
from models.trace import trace
from server.deps import current_settings
from server.main import app
from server.settings import Settings

VOCAB = list("abcde")
TEXT = "abcdeedcbaab"


class CharModel(nn.Module):
    """How a user would write it: a recurrent module and a Linear, under their own names."""

    def __init__(self, cell: str, hidden: int, layers: int, nonlinearity: str = "tanh") -> None:
        super().__init__()
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "peephole": PeepholeLSTM}
        self.rnn = kinds[cell](len(VOCAB), hidden, layers, **extra)
        self.fc = nn.Linear(hidden, len(VOCAB))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output, _ = self.rnn(x)
        return output, self.fc(output)


def make_model(cell: str, layers: int = 1, nonlinearity: str = "tanh", seed: int = 0):
    torch.manual_seed(seed)
    return CharModel(cell, 4, layers, nonlinearity)


def torch_file(state_dict: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    return buffer.getvalue()


def upload(client, data: bytes, **fields: str):
    form = {"vocab": "".join(VOCAB), "readout": "fc", **fields}
    return client.post("/api/models/import", files={"file": ("model.bin", data)}, data=form)


def message(response) -> str:
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(item["msg"] for item in detail)


@pytest.mark.parametrize("file_format", ["safetensors", "torch"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize(
    ("cell", "nonlinearity"),
    [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh"), ("peephole", "tanh")],
)
def test_good_files_trace_equal_to_the_torch_module(
    client, cell, nonlinearity, layers, file_format
):
    model = make_model(cell, layers, nonlinearity)
    state = model.state_dict()
    data = safetensors_bytes(dict(state)) if file_format == "safetensors" else torch_file(state)
    fields = {"nonlinearity": nonlinearity} if nonlinearity == "relu" else {}
    response = upload(client, data, **fields)
    assert response.status_code == 200, response.text
    spec = response.json()
    assert (spec["cell"], spec["hidden_size"], spec["num_layers"]) == (cell, 4, layers)
    assert spec["source"] == {"format": file_format, "bytes": len(data), "tensors": len(state)}
    assert set(spec["state_dict"]) >= {"weight_ih_l0", "weight_hh_l0", "readout.weight"}

    traced = client.post("/api/trace", json={"model": spec, "text": TEXT}).json()
    x = nn.functional.one_hot(torch.tensor([VOCAB.index(ch) for ch in TEXT]), 5).double()
    with torch.no_grad():
        output, logits = model.double()(x)
    assert_close(
        torch.tensor(traced["layers"][-1]["h"], dtype=torch.float64), output, rtol=1e-12, atol=1e-13
    )
    assert_close(
        torch.tensor(traced["logits"], dtype=torch.float64), logits, rtol=1e-12, atol=1e-13
    )


def test_gates_label_the_rows_of_each_recurrent_tensor(client):
    spec = upload(client, safetensors_bytes(dict(make_model("lstm", 2).state_dict()))).json()
    chunks = [{"gate": g, "rows": [4 * k, 4 * k + 4]} for k, g in enumerate("ifgo")]
    names = {
        f"{kind}_{part}_l{k}"
        for kind in ("weight", "bias")
        for part in ("ih", "hh")
        for k in (0, 1)
    }
    assert spec["gates"] == {name: chunks for name in names}
    gru = upload(client, torch_file(make_model("gru").state_dict())).json()
    assert [c["gate"] for c in gru["gates"]["weight_hh_l0"]] == ["r", "z", "n"]
    rnn = upload(client, torch_file(make_model("rnn").state_dict())).json()
    assert rnn["gates"]["weight_ih_l0"] == [{"gate": "h", "rows": [0, 4]}]
    peephole = upload(client, torch_file(make_model("peephole").state_dict())).json()
    assert peephole["cell"] == "peephole"
    assert peephole["gates"]["weight_ch_l0"] == [
        {"gate": g, "rows": [4 * k, 4 * k + 4]} for k, g in enumerate("ifo")
    ]


def test_a_plain_lstm_file_imports_as_a_peephole_lstm_when_asked(client):
    plain = upload(client, torch_file(make_model("lstm").state_dict()), cell="peephole")
    assert plain.status_code == 200, plain.text
    assert plain.json()["cell"] == "peephole"  # zero peepholes: the same numbers as the LSTM
    wrong = upload(client, torch_file(make_model("peephole").state_dict()), cell="lstm")
    assert wrong.status_code == 422
    assert "cell is 'lstm'" in message(wrong) and "a peephole" in message(wrong)


def test_bare_keys_and_the_default_readout_name(client):
    rnn, readout = nn.GRU(5, 3), nn.Linear(3, 5)
    state = {**rnn.state_dict(), **{f"readout.{k}": v for k, v in readout.state_dict().items()}}
    response = client.post(
        "/api/models/import",
        files={"file": ("m.pt", torch_file(state))},
        data={"vocab": json.dumps(VOCAB)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["cell"] == "gru" and response.json()["vocab"] == VOCAB


def test_python_import_from_a_state_dict_traces_equal_to_torch():
    model = make_model("lstm", 2).double()
    imported = from_state_dict(model.state_dict(), "abcde", readout="fc")
    x = nn.functional.one_hot(torch.tensor([VOCAB.index(ch) for ch in TEXT]), 5).double()
    with torch.no_grad():
        _, logits = model(x)
    assert_close(torch.from_numpy(trace(imported.net, TEXT).logits), logits, rtol=1e-12, atol=0)


def test_vocab_is_a_json_list_or_a_plain_string():
    assert parse_vocab('["a", "b", "\\n"]') == ["a", "b", "\n"]
    assert parse_vocab("ab\n") == ["a", "b", "\n"]
    assert parse_vocab("[]ab") == ["[", "]", "a", "b"]  # not JSON: its characters


class RunsCode:
    """A pickle whose loading would run code: create a folder and set an env var."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __reduce__(self):
        code = f"import os; os.mkdir({str(self.folder)!r}); os.environ['UNROLLED_PWNED'] = '1'"
        return (exec, (code,))


@pytest.mark.parametrize("wrapper", ["torch.save", "pickle"])
def test_a_pickle_that_would_run_code_does_not_run(client, tmp_path, wrapper):
    folder = tmp_path / "pwned"
    payload = {"weight_hh_l0": RunsCode(folder)}
    data = torch_file(payload) if wrapper == "torch.save" else pickle.dumps(payload)
    response = upload(client, data)
    assert response.status_code == 422
    assert "neither safetensors nor a state_dict" in message(response)
    if wrapper == "torch.save":
        assert "names the global __builtin__.exec, which is not allowed" in message(response)
    assert not folder.exists() and "UNROLLED_PWNED" not in os.environ
    assert "weights_only set to `False`" not in message(response)  # no advice to load unsafely


def drop(state: dict, name: str) -> dict:
    return {k: v for k, v in state.items() if k != name}


def replaced(state: dict, name: str, value: torch.Tensor) -> dict:
    return {**state, name: value}


LSTM_STATE = make_model("lstm", 2).state_dict()
BAD_FILES = {
    "wrong shape": (
        torch_file(replaced(LSTM_STATE, "rnn.weight_hh_l1", torch.zeros(16, 5))),
        "file",
        "tensor 'weight_hh_l1' has shape [16, 5]; expected [16, 4]",
    ),
    "missing tensor": (
        torch_file(drop(LSTM_STATE, "rnn.weight_ih_l1")),
        "file",
        "missing tensor 'weight_ih_l1' of shape [16, 4]",
    ),
    "unexpected tensor": (
        torch_file(replaced(LSTM_STATE, "decoder.weight", torch.zeros(5, 4))),
        "file",
        "unexpected tensor 'decoder.weight' (shape [5, 4])",
    ),
    "NaN": (
        safetensors_bytes(replaced(LSTM_STATE, "rnn.bias_hh_l0", torch.full((16,), float("nan")))),
        "file",
        "tensor 'bias_hh_l0' has 16 non-finite value(s)",
    ),
    "infinity": (
        torch_file(replaced(LSTM_STATE, "fc.weight", torch.full((5, 4), float("inf")))),
        "file",
        "tensor 'readout.weight' has 20 non-finite value(s)",
    ),
    "wrong vocabulary size": (
        torch_file(make_model("gru").state_dict()),
        "vocab",
        "vocab has 4 characters but weight_ih_l0 has 5 input columns",
    ),
    "a tensor, not a state_dict": (
        torch_file(torch.zeros(3)),  # type: ignore[arg-type]
        "file",
        "the file holds a Tensor, not a state_dict",
    ),
    "a list, not a state_dict": (
        torch_file([torch.zeros(3)]),  # type: ignore[arg-type]
        "file",
        "the file holds a list, not a state_dict",
    ),
    "a checkpoint around the state_dict": (
        torch_file({"model": LSTM_STATE, "epoch": 3}),
        "file",
        "state_dict entry 'model' is a dict, not a tensor",
    ),
    "garbage bytes": (
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "file",
        "neither safetensors nor a state_dict saved with torch.save",
    ),
    "truncated torch file": (
        torch_file(LSTM_STATE)[:300],
        "file",
        "neither safetensors nor a state_dict",
    ),
    "truncated safetensors": (
        safetensors_bytes(dict(LSTM_STATE))[:200],
        "file",
        "the safetensors file could not be read",
    ),
    "bidirectional": (
        torch_file(nn.GRU(5, 4, bidirectional=True).state_dict()),
        "file",
        "belongs to a bidirectional RNN; not supported",
    ),
    "booleans": (
        safetensors_bytes(replaced(LSTM_STATE, "fc.bias", torch.ones(5, dtype=torch.bool))),
        "file",
        "tensor 'readout.bias' holds bool values",
    ),
    "over the hidden-size limit": (
        torch_file(
            {
                "weight_hh_l0": torch.zeros(300, 300),
                "weight_ih_l0": torch.zeros(300, 5),
                "fc.weight": torch.zeros(5, 300),
            }
        ),
        "file",
        "hidden_size is 300; it must be between 1 and 256",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_each_kind_of_bad_file_is_a_clear_422(client, kind):
    data, field, expected = BAD_FILES[kind]
    vocab = "abcd" if kind == "wrong vocabulary size" else "abcde"
    response = upload(client, data, vocab=vocab)
    assert response.status_code == 422, (kind, response.text)
    assert expected in message(response), message(response)
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_wrong_vocabulary_names_both_sizes(client):
    response = upload(client, torch_file(make_model("gru").state_dict()), vocab="abcd")
    assert "vocab has 4 characters but weight_ih_l0 has 5 input columns" in message(response)


@pytest.mark.parametrize(
    ("fields", "loc", "expected"),
    [
        ({"cell": "gru"}, "cell", "cell is 'gru', which needs weight_hh_l0 of shape [3*H, H]"),
        ({"cell": "conv"}, "cell", "cell 'conv' is not one of 'rnn', 'lstm', 'gru'"),
        ({"nonlinearity": "sigmoid"}, "nonlinearity", "nonlinearity 'sigmoid' is not"),
        ({"readout": "head"}, "readout", "no tensor 'head.weight' for the readout Linear"),
        ({"prefix": "encoder."}, "file", "there is no recurrent tensor 'weight_hh_l0'"),
        ({"vocab": "aabcd"}, "vocab", "vocab repeats ['a']"),
        ({"colour": "red"}, "colour", "unknown field 'colour'"),
    ],
)
def test_bad_form_fields_name_the_field(client, fields, loc, expected):
    response = upload(client, torch_file(make_model("lstm").state_dict()), **fields)
    assert response.status_code == 422
    assert expected in message(response)
    assert response.json()["detail"][0]["loc"] == ["body", loc]


def test_a_file_over_the_import_limit_is_413_naming_the_limit(client):
    app.dependency_overrides[current_settings] = lambda: Settings(max_import_bytes=4096)
    try:
        data = torch_file(make_model("lstm", 2).state_dict())
        assert len(data) > 4096
        response = upload(client, data)
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 413
    assert f"file has {len(data)} bytes; the limit is 4096" in message(response)


def test_missing_parts_and_other_bodies_are_422(client):
    no_file = client.post("/api/models/import", files={"vocab": (None, "abc")})
    assert no_file.status_code == 422 and "file is missing" in message(no_file)
    as_text = client.post(
        "/api/models/import", files={"vocab": (None, "abc"), "file": (None, "weights")}
    )
    assert as_text.status_code == 422 and "file is missing" in message(as_text)
    no_vocab = client.post("/api/models/import", files={"file": ("m", b"1234")})
    assert no_vocab.status_code == 422 and "vocab is missing" in message(no_vocab)
    as_json = client.post("/api/models/import", json={"file": "x", "vocab": "ab"})
    assert as_json.status_code == 422 and "send multipart/form-data" in message(as_json)


def test_imported_weights_are_the_file_values(client):
    state = make_model("rnn").state_dict()
    spec = upload(client, safetensors_bytes(dict(state))).json()
    for name, tensor in state.items():
        ours = name.replace("rnn.", "").replace("fc.", "readout.")
        np.testing.assert_array_equal(spec["state_dict"][ours], tensor.double().numpy())


def test_the_form_is_documented_field_by_field(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/models/import"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {
        "file",
        "vocab",
        "cell",
        "nonlinearity",
        "prefix",
        "readout",
    }
    assert set(schema["required"]) == {"file", "vocab"}
    assert schema["properties"]["file"]["format"] == "binary"
    assert all(prop.get("description") for prop in schema["properties"].values())


def test_the_largest_model_within_the_limits_imports(client):
    """3 layers of a peephole LSTM: 5 tensors per layer and the readout's 2, all counted."""
    model = make_model("peephole", layers=3)
    response = upload(client, torch_file(model.state_dict()))
    assert response.status_code == 200, response.text
    assert (response.json()["cell"], response.json()["num_layers"]) == ("peephole", 3)
