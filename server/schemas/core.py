"""Request and response schemas of the public JSON contract (DESIGN.md section 3).

Large numeric responses are encoded straight from NumPy (`server/encoding.py`); these models
describe them in the OpenAPI schema, and tests validate real responses against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from server.schemas.analysis import AnalysisOut

Matrix = list[list[float]]
LogNorms = list[float | None]

TensorJSON = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": "a tensor as nested lists of numbers: a vector or a matrix",
            "oneOf": [
                {"type": "array", "items": {"type": "number"}},
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            ],
        }
    ),
]


class ModelConfig(BaseModel):
    cell: Literal["rnn", "lstm", "gru"] = Field(description="recurrent cell type")
    vocab: list[str] = Field(description="characters of the one-hot input and the readout")
    hidden_size: int = Field(description="hidden units per layer (H)")
    num_layers: int = Field(1, description="stacked recurrent layers (L)")
    nonlinearity: Literal["tanh", "relu"] = Field(
        "tanh", description="the vanilla RNN's activation; ignored by lstm and gru"
    )


class InlineModel(ModelConfig):
    """A model sent in the request: its config plus a torch state_dict as nested lists."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "cell": "rnn",
                "vocab": ["h", "e", "l", "o"],
                "hidden_size": 1,
                "num_layers": 1,
                "nonlinearity": "tanh",
                "state_dict": {
                    "weight_ih_l0": [[0.5, -0.3, 0.1, 0.2]],
                    "weight_hh_l0": [[0.9]],
                    "readout.weight": [[1.0], [-1.0], [0.5], [0.0]],
                },
            }
        }
    )

    state_dict: dict[str, TensorJSON] = Field(
        description=(
            "tensors named as in torch.nn.RNN/LSTM/GRU(len(vocab), hidden_size, num_layers) "
            "plus an nn.Linear called `readout` (`readout.weight`, `readout.bias`); biases "
            "left out are zero"
        )
    )


class ModelSummary(ModelConfig):
    id: str = Field(description="built-in model id, usable as `model` in any request")
    title: str = Field(description="short human-readable name")
    description: str = Field(description="what the model is and what it was trained on")
    final_loss: float = Field(description="mean cross-entropy at the end of training")
    training: dict[str, Any] = Field(
        description=(
            "how the build script trained it: the corpus (name, source, characters, sha256), "
            "steps, learning rate, seed, ... and final_loss"
        )
    )
    corpus: str = Field(
        description="short name of the text it was trained on: 'hello', 'zen', 'stdlib', ..."
    )
    sample: str = Field(
        description=(
            "an excerpt of its corpus (at most ~200 characters, all in its vocabulary): a good "
            "default text to trace"
        )
    )


class ModelList(BaseModel):
    models: list[ModelSummary] = Field(description="every built-in model")


class ModelDetail(ModelSummary):
    state_dict: dict[str, TensorJSON] = Field(description="weights, PyTorch names and layout")


class TraceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    model: str | InlineModel = Field(description="a built-in model id or an inline model")
    text: str = Field(description="the characters to run through the model, in order")
    loss: Literal["all", "last"] = Field(
        "all",
        description="gradients of the loss summed over all steps, or of the last target only",
    )
    projections: bool = Field(
        False, description="also return W_ih x_t + b_ih and W_hh h_{t-1} + b_hh per layer"
    )
    analysis: bool = Field(
        False,
        description=(
            "also return `analysis`: connectivity, gate saturation, text features and "
            "unit-feature correlations (the text limit is then max_analysis_chars)"
        ),
    )


class LayerOut(BaseModel):
    h: Matrix = Field(description="(T, H) hidden state h_t")
    c: Matrix | None = Field(None, description="(T, H) cell state c_t; LSTM only, else null")
    gates: dict[str, Matrix] = Field(
        description="(T, H) per gate, post-activation: LSTM i f g o, GRU r z n, RNN none"
    )
    input_proj: Matrix | None = Field(
        None, description="(T, G*H) W_ih x_t + b_ih, gate chunks in PyTorch order; with projections"
    )
    hidden_proj: Matrix | None = Field(
        None, description="(T, G*H) W_hh h_{t-1} + b_hh (h_{-1} = 0); with projections"
    )


class LayerGradsOut(BaseModel):
    h: LogNorms = Field(description="(T) log10 ||dL/dh_t||; null where the gradient is exactly 0")
    c: LogNorms | None = Field(
        None, description="(T) log10 ||dL/dc_t||, null where exactly 0; LSTM only, else null"
    )


class TraceResponse(ModelConfig):
    model: str = Field(description="the built-in id traced, or 'inline'")
    loss_mode: Literal["all", "last"] = Field(description="which loss the gradients are of")
    tokens: list[str] = Field(description="(T) the input character at each step")
    targets: list[str | None] = Field(description="(T) the next character; null at the last step")
    layers: list[LayerOut] = Field(description="(L) internals of each layer, bottom first")
    logits: Matrix = Field(description="(T, V) readout W_y h_t + b_y of the top layer")
    probs: Matrix = Field(description="(T, V) softmax of the logits")
    loss: list[float | None] = Field(description="(T) cross-entropy per step; null with no target")
    total_loss: float = Field(description="the loss the gradients are of (sum, or last step)")
    grads: list[LayerGradsOut] = Field(description="(L) per-step gradient norms of each layer")
    grads_input: LogNorms = Field(
        description="(T) log10 ||dL/dx_t|| of the one-hot input; null where exactly 0"
    )
    analysis: AnalysisOut | None = Field(
        None, description="connectivity, saturation, features, correlations; with analysis"
    )


class Health(BaseModel):
    status: Literal["ok"] = Field(description="always 'ok' when the server answers")
    models: int = Field(description="built-in models loaded")
    worker: int = Field(description="process id of the worker that answered (any may answer)")
