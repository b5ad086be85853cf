"""Schemas of model import (`POST /api/models/import`, multipart form)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.spec import Cell
from server.schemas.core import InlineModel


class ImportForm(BaseModel):
    """The multipart form fields (documented here; the route reads the form itself, in memory)."""

    file: bytes = Field(
        description=(
            "a safetensors file, or a state_dict saved with torch.save (its zip archive read as "
            "data: the pickle may name only tensors and containers, never code), of "
            "torch.nn.RNN/LSTM/GRU(len(vocab), H, L) plus an nn.Linear(H, len(vocab)) readout; "
            "a word model's also holds an nn.Embedding(len(vocab), D) (a tensor named "
            "embedding.weight or embed.weight, under any prefix) and its RNN reads D inputs. "
            "Tensors are dense float16, bfloat16, float32 or float64 (not quantized, sparse or "
            "on the meta device). At most max_import_bytes (settings), its archive's records "
            "together too once uncompressed; at most 4 * max_layers + 3 tensors, none over "
            "4 * max_hidden_size * max(max_hidden_size, max_vocab) elements"
        ),
        json_schema_extra={"format": "binary"},
    )
    vocab: str = Field(
        description=(
            "the characters of the one-hot input, in order: a JSON list of strings "
            '(["a", "b"]) or a plain string of characters ("ab"); for a word model (a file '
            'with an embedding) its words, one per embedding row: a JSON list (["the", "cat"]) '
            'or a string of words separated by whitespace ("the cat")'
        )
    )
    cell: Cell | None = Field(
        None, description="the cell; inferred from weight_hh_l0's shape [G*H, H] when omitted"
    )
    nonlinearity: Literal["tanh", "relu"] = Field(
        "tanh", description="the vanilla RNN's activation (the weights cannot tell)"
    )
    prefix: str | None = Field(
        None,
        description=(
            "key prefix of the recurrent module's tensors, e.g. 'rnn.'; default: the one "
            "every recurrent tensor shares (none if they have none)"
        ),
    )
    readout: str = Field(
        "readout", description="key prefix of the readout nn.Linear (its .weight and .bias)"
    )


class GateRows(BaseModel):
    gate: str = Field(
        description="gate name: LSTM i f g o, GRU r z n; 'h' for a vanilla RNN (no gates)"
    )
    rows: list[int] = Field(description="[start, stop): the tensor's rows of this gate")


class ImportSource(BaseModel):
    format: Literal["safetensors", "torch"] = Field(description="how the file was read")
    bytes: int = Field(description="size of the uploaded file")
    tensors: int = Field(description="tensors in the file")


class ImportResponse(InlineModel):
    """A model spec usable inline as `model` in every request, plus what the import found."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "cell": "rnn",
                "vocab": ["a", "b"],
                "hidden_size": 1,
                "num_layers": 1,
                "nonlinearity": "tanh",
                "state_dict": {
                    "weight_ih_l0": [[0.5, -0.3]],
                    "weight_hh_l0": [[0.9]],
                    "bias_ih_l0": [0.0],
                    "bias_hh_l0": [0.0],
                    "readout.weight": [[1.0], [-1.0]],
                    "readout.bias": [0.0, 0.0],
                },
                "gates": {"weight_hh_l0": [{"gate": "h", "rows": [0, 1]}]},
                "source": {"format": "safetensors", "bytes": 512, "tensors": 6},
            }
        }
    )

    gates: dict[str, list[GateRows]] = Field(
        description=(
            "for each recurrent tensor (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, "
            "bias_hh_l{k}): its rows per gate, in PyTorch's chunk order"
        )
    )
    source: ImportSource = Field(description="the uploaded file")
