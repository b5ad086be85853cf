"""Import a user's model: a `torch.nn.RNN/LSTM/GRU` + `nn.Linear` state_dict, from bytes or
from Python, validated into a model spec with its weights labelled by gate.

A file is read as data, never as code: safetensors (`safetensors.numpy.load`) or a
`torch.save` file through `torch.load(..., weights_only=True)`, whose unpickler refuses every
global but tensors and plain containers. Nothing is written to disk.

Key names: the recurrent module's tensors may carry a prefix (`rnn.weight_ih_l0`); with no
prefix given, the one every recurrent tensor shares is used. The readout `nn.Linear` is found
under `readout` (or another prefix) and renamed `readout.weight` / `readout.bias`. The cell
follows from weight_hh_l0's shape (G*H, H): G = 1 rnn, 4 lstm (i|f|g|o), 3 gru (r|z|n).
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load as load_safetensors

from models.network import Network
from models.spec import GATES_PER_CELL, Limits, ModelSpec, SpecError, make_spec, validate_weights

RECURRENT_KEY = re.compile(r"^(?P<prefix>.*?)(?P<name>(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?)$")
CELL_BY_GATES = {gates: cell for cell, gates in GATES_PER_CELL.items()}


@dataclass(frozen=True)
class ImportedModel:
    spec: ModelSpec
    weights: dict[str, np.ndarray]  # validated float64, the contract's names
    source: dict[str, Any]  # {"format": "safetensors" | "torch" | "python", "bytes", "tensors"}

    @property
    def net(self) -> Network:
        return Network(self.spec, self.weights)

    def gates(self) -> dict[str, list[dict[str, Any]]]:
        """The rows of each recurrent tensor per gate: {"gate": "i", "rows": [start, stop)}."""
        size = self.spec.hidden_size
        names = self.spec.gate_names or ("h",)  # an RNN's rows all make h_t's pre-activation
        chunks = [{"gate": g, "rows": [k * size, (k + 1) * size]} for k, g in enumerate(names)]
        return {
            f"{kind}_{part}_l{layer}": chunks
            for layer in range(self.spec.num_layers)
            for kind in ("weight", "bias")
            for part in ("ih", "hh")
        }


def parse_vocab(value: str) -> list[str]:
    """A JSON list of strings if `value` is one (`["a", "b"]`), else its characters (`"ab"`)."""
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
    return list(value)


def read_file(data: bytes) -> tuple[str, dict[str, Any]]:
    """The tensors of a safetensors or `torch.save` file: ("safetensors" | "torch", tensors)."""
    if looks_like_safetensors(data):
        try:
            return "safetensors", dict(load_safetensors(data))
        except Exception as error:  # the parser's own message says what is wrong
            raise SpecError(
                "file", f"the safetensors file could not be read: {brief(error)}"
            ) from error
    try:
        loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as error:  # not a torch file, or a pickle that asks for code
        raise SpecError(
            "file",
            "the file is neither safetensors nor a state_dict saved with torch.save "
            f"(read as data only, weights_only=True): {torch_load_reason(error)}",
        ) from error
    if not isinstance(loaded, Mapping):
        raise SpecError(
            "file",
            f"the file holds a {type(loaded).__name__}, not a state_dict (a dict from tensor "
            "names to tensors); save module.state_dict()",
        )
    return "torch", dict(loaded)


def looks_like_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON header."""
    if len(data) < 10:
        return False
    (header,) = struct.unpack("<Q", data[:8])
    return header < 2**32 and data[8:9] == b"{"  # a torch zip starts "PK", a pickle 0x80


def torch_load_reason(error: Exception) -> str:
    """The reason in torch.load's weights-only error, without its advice to load unsafely."""
    message = str(error)
    if not message.startswith("Weights only load failed"):
        return brief(error)
    if "WeightsUnpickler error:" in message:
        reason = message.split("WeightsUnpickler error:", 1)[1]
        reason = re.split(r"Please use|Check the documentation", reason)[0]
    else:  # the reason is the paragraph between torch's advice and its documentation link
        advice = ("Weights only load failed", "Check the documentation", "Please file an issue")
        paragraphs = [part.strip() for part in message.split("\n\n")]
        reason = " ".join(part for part in paragraphs if not part.startswith(advice))
    return "the weights-only unpickler refused it: " + brief(ValueError(reason.strip()))


def brief(error: Exception, limit: int = 300) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_array(name: str, value: Any) -> np.ndarray:
    """A tensor or array as a NumPy array; anything else names the entry."""
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided or value.is_complex() or value.dtype == torch.bool:
            raise SpecError(
                f"state_dict.{name}",
                f"tensor {name!r} is {value.dtype} ({value.layout}); expected dense real numbers",
            )
        return value.detach().to(torch.float64).numpy()
    if isinstance(value, np.ndarray):
        return value
    kind = "dict" if isinstance(value, Mapping) else type(value).__name__
    raise SpecError(
        "file",
        f"state_dict entry {name!r} is a {kind}, not a tensor; "
        "save module.state_dict() (tensors only)",
    )


def rename(
    tensors: Mapping[str, np.ndarray], prefix: str | None, readout: str
) -> dict[str, np.ndarray]:
    """The contract's names: the recurrent prefix dropped, the readout called `readout`."""
    recurrent = {key: RECURRENT_KEY.match(key) for key in tensors}
    matched = {key: m for key, m in recurrent.items() if m is not None}
    for key, m in matched.items():
        if m["name"].endswith("_reverse"):
            raise SpecError("file", f"tensor {key!r} belongs to a bidirectional RNN; not supported")
        if "_hr_" in m["name"]:
            raise SpecError(
                "file", f"tensor {key!r} is an LSTM projection (proj_size); not supported"
            )
    if prefix is None:
        prefixes = sorted({m["prefix"] for m in matched.values()})
        if len(prefixes) > 1:
            raise SpecError(
                "prefix",
                f"the recurrent tensors have different prefixes {prefixes!r}; "
                "name the recurrent module's with `prefix`",
            )
        prefix = prefixes[0] if prefixes else ""
    readout_names = {f"{readout}.weight": "readout.weight", f"{readout}.bias": "readout.bias"}
    if f"{readout}.weight" not in tensors:
        raise SpecError(
            "readout",
            f"no tensor {readout + '.weight'!r} for the readout Linear; the file has "
            f"{sorted(tensors)[:20]!r} (name its key prefix with `readout`)",
        )
    renamed: dict[str, np.ndarray] = {}
    for key, value in tensors.items():
        found = matched.get(key)
        if key in readout_names:
            new = readout_names[key]
        elif found is not None and found["prefix"] == prefix:
            new = found["name"]
        else:
            new = key  # validate_weights names it as unexpected
        renamed[new] = value
    return renamed


def infer_cell(weights: Mapping[str, np.ndarray], cell: str | None) -> tuple[str, int, int]:
    """(cell, hidden_size, num_layers) from weight_hh_l0's shape, checked against `cell`."""
    if "weight_hh_l0" not in weights:
        raise SpecError(
            "file",
            f"there is no recurrent tensor 'weight_hh_l0' (after the prefix); the tensors are "
            f"{sorted(weights)[:20]!r}",
        )
    shape = np.shape(weights["weight_hh_l0"])
    gates = shape[0] // shape[1] if len(shape) == 2 and shape[1] > 0 else 0
    if len(shape) != 2 or gates * shape[1] != shape[0] or gates not in CELL_BY_GATES:
        raise SpecError(
            "file",
            f"weight_hh_l0 has shape {list(shape)}; an RNN, GRU or LSTM has [G*H, H] with "
            "G = 1, 3 or 4",
        )
    inferred = CELL_BY_GATES[gates]
    if cell is not None and cell != inferred:
        raise SpecError(
            "cell",
            f"cell is {cell!r}, which needs weight_hh_l0 of shape "
            f"[{GATES_PER_CELL.get(cell, '?')}*H, H]; the file's is {list(shape)}, a {inferred}",
        )
    layers = len({key for key in weights if re.fullmatch(r"weight_hh_l\d+", key)})
    return inferred, shape[1], layers


def from_state_dict(
    state_dict: Mapping[str, Any],
    vocab: list[str] | str,
    cell: str | None = None,
    nonlinearity: str = "tanh",
    prefix: str | None = None,
    readout: str = "readout",
    limits: Limits | None = None,
    source: dict[str, Any] | None = None,
) -> ImportedModel:
    """A validated model from a state_dict (tensors or arrays) and its vocabulary."""
    if cell is not None and cell not in GATES_PER_CELL:
        raise SpecError("cell", f"cell {cell!r} is not one of 'rnn', 'lstm', 'gru'")
    vocab = list(vocab)
    arrays = {str(name): as_array(str(name), value) for name, value in state_dict.items()}
    weights = rename(arrays, prefix, readout)
    cell, hidden_size, num_layers = infer_cell(weights, cell)
    inputs = np.shape(weights.get("weight_ih_l0", np.zeros((0, 0))))
    if len(inputs) == 2 and inputs[1] != len(vocab):
        raise SpecError(
            "vocab",
            f"vocab has {len(vocab)} characters but weight_ih_l0 has {inputs[1]} input columns "
            "(shape " + str(list(inputs)) + "); the vocabulary lists one character per input",
        )
    try:
        spec = make_spec(cell, vocab, hidden_size, num_layers, nonlinearity, limits)
    except SpecError as error:
        field = error.field if error.field in ("vocab", "nonlinearity") else "file"
        raise SpecError(field, error.message) from error
    try:
        validated = validate_weights(spec, weights)
    except SpecError as error:  # a tensor of the file: missing, extra, misshapen, not finite
        raise SpecError("file", error.message) from error
    source = source or {"format": "python", "bytes": None, "tensors": len(arrays)}
    return ImportedModel(spec, validated, source)


def import_file(
    data: bytes,
    vocab: list[str] | str,
    cell: str | None = None,
    nonlinearity: str = "tanh",
    prefix: str | None = None,
    readout: str = "readout",
    limits: Limits | None = None,
) -> ImportedModel:
    """A validated model from the bytes of a safetensors or `torch.save` state_dict file."""
    kind, tensors = read_file(data)
    source = {"format": kind, "bytes": len(data), "tensors": len(tensors)}
    return from_state_dict(tensors, vocab, cell, nonlinearity, prefix, readout, limits, source)
