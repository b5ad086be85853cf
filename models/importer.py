"""Import a user's model: a `torch.nn.RNN/LSTM/GRU` + `nn.Linear` state_dict (with an
`nn.Embedding` before the cell for a word model), from bytes or from Python, validated into a
model spec with its weights labelled by gate.

A file is read as data, never as code (`models.tensor_files`: safetensors, or a `torch.save`
archive whose pickle may name only tensors and containers). Nothing is written to disk, and no
tensor's values are read before its declaration is checked: every entry is first a dtype and
a shape, checked against the limits (element counts from the declared shape, so a stride-0
view of one stored float cannot pose as billions), renamed, and matched against the model's
expected names and shapes; only then are its values read, made float64 and checked finite.

Key names: the recurrent module's tensors may carry a prefix (`rnn.weight_ih_l0`); with no
prefix given, the one every recurrent tensor shares is used. The readout `nn.Linear` is found
under `readout` (or another prefix) and renamed `readout.weight` / `readout.bias`. The cell
follows from weight_hh_l0's shape (G*H, H): G = 1 rnn, 4 lstm (i|f|g|o), 3 gru (r|z|n); an
LSTM with peepholes (`weight_ch_l0`, `peephole.py`) is a peephole LSTM.

A word model: a tensor whose module is called `embedding` or `embed` (`embedding.weight`, or
under a prefix: `model.embed.weight`) is the nn.Embedding, renamed `embedding.weight`; its shape
(V, D) gives embedding_dim D, and `vocab` then lists V words (a JSON list, or a string of words
separated by whitespace). Without one, the model is a character model and `vocab` its
characters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import torch

from models.network import Network
from models.spec import (
    GATES_PER_CELL,
    Limits,
    ModelSpec,
    SpecError,
    check_no_extra_tensors,
    make_spec,
    validate_weights,
)
from models.tensor_files import FLOAT_DTYPES, StoredTensor, Unsupported, read_tensors

RECURRENT_KEY = re.compile(
    r"^(?P<prefix>.*?)(?P<name>(weight|bias)_(ih|hh|hr|ch)_l\d+(_reverse)?)$"
)
EMBEDDING_KEY = re.compile(r"^(.*\.)?(embedding|embed)\.weight$")
CELL_BY_GATES = {1: "rnn", 3: "gru", 4: "lstm"}  # 4 is a peephole LSTM with `weight_ch_l*`
SUPPORTED = "the supported dtypes are " + ", ".join(FLOAT_DTYPES)
T = TypeVar("T")


class Declared(Protocol):
    """A tensor whose dtype and shape are known before its values are read."""

    @property
    def dtype(self) -> str: ...

    @property
    def shape(self) -> tuple[int, ...]: ...

    def values(self) -> np.ndarray:
        """The values in NumPy, any float dtype: validate_weights makes them float64."""
        ...


@dataclass(frozen=True)
class GivenTensor:
    """A tensor or array passed from Python."""

    value: torch.Tensor | np.ndarray

    @property
    def dtype(self) -> str:
        return str(self.value.dtype).removeprefix("torch.")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)

    def values(self) -> np.ndarray:
        if isinstance(self.value, np.ndarray):
            return self.value
        tensor = self.value.detach().cpu()
        return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


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
        rows = {
            f"{kind}_{part}_l{layer}": chunks
            for layer in range(self.spec.num_layers)
            for kind in ("weight", "bias")
            for part in ("ih", "hh")
        }
        if self.spec.cell == "peephole":  # p_i | p_f | p_o
            peep = [{"gate": g, "rows": [k * size, (k + 1) * size]} for k, g in enumerate("ifo")]
            rows |= {f"weight_ch_l{layer}": peep for layer in range(self.spec.num_layers)}
        return rows


def form_vocab(value: str) -> list[str] | str:
    """A JSON list of strings if `value` is one (`["a", "b"]`), else `value` as it is: a
    character model's characters or a word model's words (`vocab_entries`)."""
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
    return value


def vocab_entries(vocab: list[str] | str, words: bool) -> list[str]:
    """The vocabulary as a list: a string is its characters, or (`words`) split on whitespace."""
    if isinstance(vocab, str):
        return vocab.split() if words else list(vocab)
    return list(vocab)


def parse_vocab(value: str) -> list[str]:
    """A character vocabulary: a JSON list of strings (`["a", "b"]`), or characters (`"ab"`)."""
    return vocab_entries(form_vocab(value), words=False)


def is_text(value: str) -> bool:
    """False for a string holding a lone surrogate ("\\ud800"), which no UTF-8 can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_vocab_text(vocab: list[str]) -> None:
    for item in vocab:
        if isinstance(item, str) and not is_text(item):
            raise SpecError(
                "vocab", f"vocab entry {item!r} is a lone surrogate, not a character; send UTF-8"
            )


def most_tensors(limits: Limits) -> int:
    """The tensors of the largest model within the limits: 5 per layer (a peephole LSTM's 4
    and its peepholes), the embedding and the readout's 2."""
    return 5 * limits.max_layers + 3


def largest_tensor(limits: Limits) -> int:
    """The elements of the largest tensor of a model within the limits: 4 gates x H rows,
    max(H, V) columns."""
    widest = max(limits.max_hidden_size, limits.max_vocab)
    return max(GATES_PER_CELL.values()) * limits.max_hidden_size * widest


def tensor_kind(value: torch.Tensor) -> str | None:
    """Why a tensor passed from Python has no dense values to read, or None."""
    if value.is_meta:
        return "on the meta device (it has no values)"
    if value.is_quantized:
        return "quantized"
    if value.is_nested:
        return "nested"
    if value.layout != torch.strided:
        return f"sparse ({value.layout})"
    return None


def declared(name: str, value: Any) -> Declared | Unsupported:
    """An entry as a tensor declaration; an entry that is not a tensor is named."""
    if isinstance(value, StoredTensor | Unsupported | GivenTensor):
        return value
    if isinstance(value, torch.Tensor):
        kind = tensor_kind(value)
        return Unsupported(kind) if kind else GivenTensor(value)
    if isinstance(value, np.ndarray):
        return GivenTensor(value)
    kind = "dict" if isinstance(value, Mapping) else type(value).__name__
    raise SpecError(
        "file",
        f"state_dict entry {name!r} is a {kind}, not a tensor; "
        "save module.state_dict() (tensors only)",
    )


def entries(state_dict: Mapping[Any, Any], limits: Limits) -> dict[str, Declared | Unsupported]:
    """The entries under their names, as declarations, their count within the limits."""
    if len(state_dict) > most_tensors(limits):
        raise SpecError(
            "file",
            f"the state_dict holds {len(state_dict)} entries; the limit is {most_tensors(limits)}, "
            f"the tensors of a model of {limits.max_layers} layers",
        )
    for name in state_dict:
        if not isinstance(name, str):
            raise SpecError(
                "file", f"a state_dict key is of type {type(name).__name__}; tensor names are text"
            )
        if not is_text(name):
            raise SpecError("file", f"the state_dict key {name!r} is a lone surrogate, not text")
    return {name: declared(name, value) for name, value in state_dict.items()}


def checked(name: str, tensor: Declared | Unsupported, limits: Limits) -> Declared:
    """The tensor, if it is dense floating point and no larger than the limits allow."""
    if isinstance(tensor, Unsupported):
        raise SpecError(
            "file", f"tensor {name!r} is {tensor.kind}; expected dense values ({SUPPORTED})"
        )
    if tensor.dtype not in FLOAT_DTYPES:
        raise SpecError("file", f"tensor {name!r} holds {tensor.dtype} values; {SUPPORTED}")
    count, limit = math.prod(tensor.shape), largest_tensor(limits)
    if count > limit:
        raise SpecError(
            "file",
            f"tensor {name!r} has shape {list(tensor.shape)}: {count} elements; the limit is "
            f"{limit}, the largest tensor of a model within the limits (4 gates x "
            f"max_hidden_size {limits.max_hidden_size} x the wider of max_hidden_size and "
            f"max_vocab {limits.max_vocab})",
        )
    return tensor


def check_names_and_shapes(spec: ModelSpec, weights: Mapping[str, Declared]) -> None:
    """Every tensor is one the model has, in its shape (a missing one validate_weights names)."""
    expected = spec.expected_shapes()
    shapes = {name: str(list(tensor.shape)) for name, tensor in weights.items()}
    check_no_extra_tensors(spec, shapes, "file")
    for name, tensor in weights.items():
        if tensor.shape != expected[name]:
            raise SpecError(
                "file",
                f"tensor {name!r} has shape {list(tensor.shape)}; expected {list(expected[name])}",
            )


def rename(tensors: Mapping[str, T], prefix: str | None, readout: str) -> dict[str, T]:
    """The contract's names: the recurrent prefix dropped, the readout called `readout`, the
    embedding (if any, `EMBEDDING_KEY`) `embedding`."""
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
    embeddings = [key for key in tensors if EMBEDDING_KEY.match(key)]
    if len(embeddings) > 1:
        raise SpecError(
            "file", f"the file has {len(embeddings)} embeddings {embeddings[:5]!r}; a model has one"
        )
    readout_names = {f"{readout}.weight": "readout.weight", f"{readout}.bias": "readout.bias"}
    if f"{readout}.weight" not in tensors:
        raise SpecError(
            "readout",
            f"no tensor {readout + '.weight'!r} for the readout Linear; the file has "
            f"{sorted(tensors)[:20]!r} (name its key prefix with `readout`)",
        )
    renamed: dict[str, T] = {}
    for key, value in tensors.items():
        found = matched.get(key)
        if key in readout_names:
            new = readout_names[key]
        elif key in embeddings:
            new = "embedding.weight"
        elif found is not None and found["prefix"] == prefix:
            new = found["name"]
        else:
            new = key  # validate_weights names it as unexpected
        renamed[new] = value
    return renamed


def infer_cell(weights: Mapping[str, Declared], cell: str | None) -> tuple[str, int, int]:
    """(cell, hidden_size, num_layers) from weight_hh_l0's shape, checked against `cell`."""
    if "weight_hh_l0" not in weights:
        raise SpecError(
            "file",
            f"there is no recurrent tensor 'weight_hh_l0' (after the prefix); the tensors are "
            f"{sorted(weights)[:20]!r}",
        )
    shape = weights["weight_hh_l0"].shape
    gates = shape[0] // shape[1] if len(shape) == 2 and shape[1] > 0 else 0
    if len(shape) != 2 or gates * shape[1] != shape[0] or gates not in CELL_BY_GATES:
        raise SpecError(
            "file",
            f"weight_hh_l0 has shape {list(shape)}; an RNN, GRU or LSTM has [G*H, H] with "
            "G = 1, 3 or 4",
        )
    inferred = CELL_BY_GATES[gates]
    if inferred == "lstm" and ("weight_ch_l0" in weights or cell == "peephole"):
        inferred = "peephole"
    if cell is not None and cell != inferred:
        raise SpecError(
            "cell",
            f"cell is {cell!r}, which needs weight_hh_l0 of shape "
            f"[{GATES_PER_CELL.get(cell, '?')}*H, H]; the file's is {list(shape)}, a {inferred}",
        )
    layers = len({key for key in weights if re.fullmatch(r"weight_hh_l\d+", key)})
    return inferred, shape[1], layers


def input_size(weights: Mapping[str, Declared], vocab: list[str]) -> int | None:
    """A word model's embedding_dim D (None for a character model), once the sizes agree: layer 0
    reads len(vocab) one-hot columns, or the D columns of an embedding of len(vocab) rows."""
    inputs = weights["weight_ih_l0"].shape if "weight_ih_l0" in weights else ()
    columns = inputs[1] if len(inputs) == 2 else None
    if "embedding.weight" not in weights:
        if columns is not None and columns != len(vocab):
            raise SpecError(
                "vocab",
                f"vocab has {len(vocab)} characters but weight_ih_l0 has {columns} input "
                f"columns (shape {list(inputs)}); the vocabulary lists one character per input",
            )
        return None
    shape = weights["embedding.weight"].shape
    if len(shape) != 2:
        raise SpecError(
            "file", f"the embedding has shape {list(shape)}; an nn.Embedding's weight is [V, D]"
        )
    if shape[0] != len(vocab):
        raise SpecError(
            "vocab",
            f"vocab has {len(vocab)} words but the embedding has {shape[0]} rows (shape "
            f"{list(shape)}); the vocabulary lists one word per row",
        )
    if columns is not None and columns != shape[1]:
        raise SpecError(
            "file",
            f"weight_ih_l0 has {columns} input columns (shape {list(inputs)}) but the embedding "
            f"has {shape[1]} (shape {list(shape)}); layer 0 reads the embedded words, D values",
        )
    return shape[1]


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
    """A validated model from a state_dict (tensors, arrays or a file's StoredTensors) and its
    vocabulary (a string: its characters, or a word model's words separated by whitespace);
    values are read only once names, dtypes and shapes are the model's."""
    if cell is not None and cell not in GATES_PER_CELL:
        cells = ", ".join(repr(c) for c in GATES_PER_CELL)
        raise SpecError("cell", f"cell {cell!r} is not one of {cells}")
    limits = limits or Limits()
    check_vocab_text(vocab_entries(vocab, words=False))
    found = entries(state_dict, limits)
    renamed = rename(found, prefix, readout)
    weights = {name: checked(name, tensor, limits) for name, tensor in renamed.items()}
    cell, hidden_size, num_layers = infer_cell(weights, cell)
    words = "embedding.weight" in weights
    vocab = vocab_entries(vocab, words)
    embedding_dim = input_size(weights, vocab)
    try:
        spec = make_spec(
            cell,
            vocab,
            hidden_size,
            num_layers,
            nonlinearity,
            limits,
            input="embedding" if words else "one_hot",
            embedding_dim=embedding_dim,
        )
    except SpecError as error:
        field = error.field if error.field in ("vocab", "nonlinearity") else "file"
        raise SpecError(field, error.message) from error
    check_names_and_shapes(spec, weights)
    arrays = {name: tensor.values() for name, tensor in weights.items()}
    try:
        with np.errstate(invalid="ignore"):  # a signalling NaN widens quietly, then is named
            validated = validate_weights(spec, arrays)
    except SpecError as error:  # a tensor of the file missing, or not finite
        raise SpecError("file", error.message) from error
    source = source or {"format": "python", "bytes": None, "tensors": len(found)}
    return ImportedModel(spec, validated, source)


def import_file(
    data: bytes,
    vocab: list[str] | str,
    cell: str | None = None,
    nonlinearity: str = "tanh",
    prefix: str | None = None,
    readout: str = "readout",
    limits: Limits | None = None,
    max_bytes: int | None = None,
) -> ImportedModel:
    """A validated model from the bytes of a safetensors or `torch.save` state_dict file.

    `max_bytes` bounds what a torch.save archive's records hold uncompressed, together; by
    default the file's own size (torch.save stores its records uncompressed)."""
    limits = limits or Limits()
    kind, loaded = read_tensors(data, most_tensors(limits), max_bytes or len(data))
    if not isinstance(loaded, Mapping):
        held = "Tensor" if isinstance(loaded, StoredTensor | Unsupported) else type(loaded).__name__
        raise SpecError(
            "file",
            f"the file holds a {held}, not a state_dict (a dict from tensor names to tensors); "
            "save module.state_dict()",
        )
    source = {"format": kind, "bytes": len(data), "tensors": len(loaded)}
    return from_state_dict(loaded, vocab, cell, nonlinearity, prefix, readout, limits, source)
