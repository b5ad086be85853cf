"""Request and response schemas of the public JSON contract (the README's API section).

Large numeric responses are encoded straight from NumPy (`server/encoding.py`); these models
describe them in the OpenAPI schema, and tests validate real responses against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from models.spec import TOKEN, Cell, InputKind, OutputKind
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

StepTensorsJSON = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": "one tensor per step: (T, n) or (T, m, n) nested lists of numbers",
            "oneOf": [
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "number"}},
                    },
                },
            ],
        }
    ),
]


def lone_surrogate(field: str, value: str) -> str | None:
    """Why `value` cannot be `field`'s value if it holds a lone surrogate (JSON can write one,
    `"\\ud800"`), else None: a surrogate is half of a UTF-16 pair, not a character, and no
    answer that contains it can be written as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        where = f" at character {error.start}" if len(value) > 1 else ""
        return (
            f"{field} has a lone surrogate {value[error.start]!r}{where}; it must be valid "
            "Unicode (a surrogate is half of a UTF-16 pair, not a character)"
        )
    return None


def valid_unicode(value: str, info: ValidationInfo) -> str:
    """The validator of `Text`: refuse a lone surrogate, naming the field validated."""
    problem = lone_surrogate(info.field_name or "a string", value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(valid_unicode)]  # a string a response can echo


def shown(value: Any, limit: int = 40) -> str:
    """`value` as Python writes it (quotes and escapes included), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ModelConfig(BaseModel):
    cell: Cell = Field(description="recurrent cell type")
    vocab: list[Text] = Field(
        description=(
            "the tokens of the input (and of the readout, output next_token): characters of the "
            "one-hot input, or, input embedding, words (at most 40 characters, no whitespace)"
        )
    )
    hidden_size: int = Field(description="hidden units per layer (H)")
    num_layers: int = Field(1, description="stacked recurrent layers (L)")
    nonlinearity: Literal["tanh", "relu"] = Field(
        "tanh", description="the vanilla RNN's activation; ignored by lstm and gru"
    )
    input: InputKind = Field(
        "one_hot",
        description=(
            "what x_t is: one_hot, a one-hot vector over vocab (the text read character by "
            "character); embedding, the row E[id(w_t)] of `embedding.weight` (V, D) for the "
            "t-th word w_t of the text, split into words and punctuation marks by "
            f're.findall(r"{TOKEN.pattern}", text); real, `features` real numbers per step '
            "(a time series: the text is numbers separated by commas or spaces, read in order), "
            "through weight_ih_l0 as they are; vocab is then []"
        ),
    )
    embedding_dim: int | None = Field(
        None,
        description=(
            "D, the size of a word's vector (weight_ih_l0 then has D columns); input "
            "embedding only, else null"
        ),
    )
    features: int | None = Field(
        None,
        description="input real only, else null: the numbers per step (I_0 = O = features)",
    )
    output: OutputKind = Field(
        "next_token",
        description=(
            "what the readout scores: next_token, the next token (O = len(vocab), a loss "
            "at every step); class, a class of the whole text (O = len(classes), many to one: "
            "the loss on the last step's readout only); value (input real only), the next "
            "step's numbers y_t ~ x_{t+1} (O = features), the loss the squared error "
            "||y_t - x_{t+1}||^2 at every step with a next step"
        ),
    )
    classes: list[Text] | None = Field(
        None, description="the readout's class labels in order; output class only, else null"
    )


class InlineModel(ModelConfig):
    """A model sent in the request: its config plus a torch state_dict as nested lists."""

    model_config = ConfigDict(
        strict=True,  # hidden_size "1" or true is not a number
        extra="forbid",  # a misspelt field is an error, not ignored
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
        },
    )

    state_dict: dict[str, TensorJSON] = Field(
        description=(
            "tensors named as in torch.nn.RNN/LSTM/GRU(len(vocab), hidden_size, num_layers) "
            "plus an nn.Linear called `readout` (`readout.weight`, `readout.bias`) and, input "
            "embedding, an nn.Embedding called `embedding` (`embedding.weight`, (V, D); the RNN "
            "then reads D inputs); biases left out are zero"
        )
    )
    # What an import found (POST /api/models/import): its answer is an inline model as is.
    gates: Any = Field(None, description="ignored: an imported model's rows per gate")
    source: Any = Field(None, description="ignored: the file an imported model was read from")


def model_reference(value: Any) -> str | InlineModel:
    """A built-in id (a string) or an inline model (an object). Validated here rather than as
    a pydantic union, whose errors would name each branch ("str", "InlineModel") in their
    `loc`: an inline model's errors sit at ["model", <its field>]."""
    if isinstance(value, str | InlineModel):
        return value
    if isinstance(value, dict):
        return InlineModel.model_validate(value)
    raise PydanticCustomError(
        "model_type",
        "model is {value}; it must be a built-in model id (a string) or an inline model "
        "(an object)",
        {"value": shown(value)},
    )


ModelReference = Annotated[
    str | InlineModel, PlainValidator(model_reference, json_schema_input_type=str | InlineModel)
]


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
        description="short name of the text it was trained on: 'hello', 'zen', 'stdlib', ... "
        "('series' for the generated series of a series model)"
    )
    sample: str = Field(
        description=(
            "an excerpt of its corpus (at most ~200 characters, all in its vocabulary): a good "
            "default text to trace; a series model's is a generated series of 100 steps, its "
            "numbers written out"
        )
    )
    sample_label: str | None = Field(
        None, description="a class model's sample: its true class (a held-out example)"
    )


class ModelList(BaseModel):
    models: list[ModelSummary] = Field(description="every built-in model")


class ModelDetail(ModelSummary):
    state_dict: dict[str, TensorJSON] = Field(description="weights, PyTorch names and layout")


COMPACT = (
    "numbers rounded for display, 3-4x smaller: 4 decimals, the last never 0 or 5 unless "
    "exact, so that any number shown with up to 3 decimals is the exact one's; gradient norms "
    "(log10) stay exact (server/compact.py); the default is full float64"
)


LABEL = (
    "a class model's target class for the loss (one of its classes); left out, the model's own "
    "prediction at the last step. Not for next_token or value models"
)

FORECAST = (
    "a series model's free-running forecast from step k (1 <= k <= T): it reads the actual "
    "x_0 .. x_{k-1}, then its own last prediction as its next input, and `forecast` holds its "
    "predictions of x_k .. x_{T-1}. Series models only"
)


class TraceRequest(BaseModel):
    # A misspelt field is an error, not ignored; "true" is not a boolean.
    model_config = ConfigDict(strict=True, extra="forbid")

    model: ModelReference = Field(description="a built-in model id or an inline model")
    text: Text = Field(
        description="the characters to run through the model, in order (a word model's words; "
        "a series model's numbers, separated by commas or spaces)"
    )
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
    backward: bool = Field(
        False,
        description=(
            "also return backpropagation through time in numbers: `grads[l].dh`, `dc`, `dpre`, "
            "`dlogits` and `weight_grads` (T x every weight: the larger models' long texts go over "
            "max_trace_values)"
        ),
    )
    compact: bool = Field(False, description=COMPACT)
    label: Text | None = Field(None, description=LABEL)
    forecast: int | None = Field(None, description=FORECAST)


class LayerOut(BaseModel):
    h: Matrix = Field(description="(T, H) hidden state h_t")
    c: Matrix | None = Field(None, description="(T, H) cell state c_t; LSTMs only, else null")
    gates: dict[str, Matrix] = Field(
        description="(T, H) per gate, post-activation: LSTMs i f g o, GRU r z n, RNN none"
    )
    input_proj: Matrix | None = Field(
        None, description="(T, G*H) W_ih x_t + b_ih, gate chunks in PyTorch order; with projections"
    )
    hidden_proj: Matrix | None = Field(
        None, description="(T, G*H) W_hh h_{t-1} + b_hh (h_{-1} = 0); with projections"
    )
    peephole: list[float] | None = Field(
        None,
        description="(3H) the peephole weights p_i | p_f | p_o (`weight_ch_l{k}`): the gates i "
        "and f add p * c_{t-1}, the gate o adds p_o * c_t; peephole LSTM only, else null",
    )


class LayerGradsOut(BaseModel):
    h: LogNorms = Field(description="(T) log10 ||dL/dh_t||; null where the gradient is exactly 0")
    c: LogNorms | None = Field(
        None, description="(T) log10 ||dL/dc_t||, null where exactly 0; LSTMs only, else null"
    )
    dh: Matrix | None = Field(
        None,
        description=(
            "(T, H) the vector dL/dh_t, total: from this step's output (or the layer above) and "
            "from step t+1; plain float64, which may underflow to 0 on a long text where `h` "
            "stays exact; with backward, else null"
        ),
    )
    dc: Matrix | None = Field(
        None,
        description="(T, H) the vector dL/dc_t, total; LSTMs with backward only, else null",
    )
    dpre: dict[str, Matrix] | None = Field(
        None,
        description=(
            "gate name -> (T, H) dL/da_t, the gradient of the gate's pre-activation a_t (the "
            "argument of its sigmoid or tanh): LSTM i f g o; GRU r z n, where the candidate's "
            "is a_n = W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn); vanilla RNN `a` = "
            "W_ih x_t + b_ih + W_hh h_{t-1} + b_hh. With backward, else null"
        ),
    )


class WeightGradOut(BaseModel):
    total: TensorJSON = Field(description="dL/dW, in the weight's shape")
    by_step: StepTensorsJSON = Field(
        description=(
            "(T, *the weight's shape) each step's term of dL/dW (the weight is shared by every "
            "step); summed over steps, `total`. For weight_hh it is dpre_t h_{t-1}^T, but for "
            "the GRU's n rows (da_n * r_t) h_{t-1}^T; for weight_ih dpre_t x_t^T (x_t the one-hot "
            "input, the embedded word, or h_t of the layer below); for readout.weight "
            "dlogits_t h_t^T; for embedding.weight zeros but row token_ids[t], dL/dx_t = "
            "weight_ih_l0^T dpre_t"
        )
    )


class ForecastOut(BaseModel):
    start: int = Field(description="k: the forecast reads the actual x_0 .. x_{k-1}")
    values: Matrix = Field(
        description="(T - k, features) the predictions of x_k .. x_{T-1}, each step reading "
        "the prediction before it"
    )


class TraceResponse(ModelConfig):
    model: str = Field(description="the built-in id traced, or 'inline'")
    loss_mode: Literal["all", "last"] = Field(
        description="which loss the gradients are of (a class model's are the same: its one "
        "target is at the last step)"
    )
    label: str | None = Field(
        description="a class model's target class at the last step (given, or its own "
        "prediction); null for next_token models"
    )
    label_given: bool = Field(description="whether `label` came with the request")
    tokens: list[str] = Field(description="(T) the input token at each step: character or word")
    token_ids: list[int] | None = Field(
        None, description="(T) each token's index in vocab (the row of embedding.weight read)"
    )
    embedded: Matrix | None = Field(
        None,
        description="(T, D) x_t = E[token_ids[t]], the embedding's row each word became; input "
        "embedding only, else null",
    )
    values: Matrix | None = Field(
        None, description="(T, features) x_t, the numbers read; input real only, else null"
    )
    targets: list[str | None] = Field(
        description="(T) the next token (a series model's next step, as written); null at the "
        "last step, and at every step of a class model (its target is `label`)"
    )
    layers: list[LayerOut] = Field(description="(L) internals of each layer, bottom first")
    logits: Matrix = Field(
        description="(T, O) readout W_y h_t + b_y of the top layer: O = V, or one per class; "
        "for a series model its prediction y_t of x_{t+1}, the one-step forecast"
    )
    probs: Matrix | None = Field(
        description="(T, O) softmax of the logits: the next token's distribution, or the "
        "class distribution after reading tokens 0..t; null for a series model"
    )
    loss: list[float | None] = Field(
        description="(T) cross-entropy per step (a series model's squared error "
        "||y_t - x_{t+1}||^2); null with no target"
    )
    forecast: ForecastOut | None = Field(
        None, description="a series model's free-running forecast, when asked for; else null"
    )
    total_loss: float = Field(description="the loss the gradients are of (sum, or last step)")
    grads: list[LayerGradsOut] = Field(description="(L) per-step gradient norms of each layer")
    grads_input: LogNorms = Field(
        description="(T) log10 ||dL/dx_t|| of the input x_t (one-hot, or the embedded word); "
        "null where exactly 0"
    )
    analysis: AnalysisOut | None = Field(
        None, description="connectivity, saturation, features, correlations; with analysis"
    )
    dlogits: Matrix | None = Field(
        None,
        description=(
            "(T, O) dL/dlogits_t = probs_t - onehot(target_t) at the steps in the loss (every "
            "step with a target, or the last one), zeros elsewhere (a series model's: "
            "2 (y_t - x_{t+1})); with backward, else null"
        ),
    )
    weight_grads: dict[str, WeightGradOut] | None = Field(
        None,
        description=(
            "PyTorch weight name (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..., "
            "embedding.weight, readout.weight, readout.bias) -> its gradient, total and by "
            "step; with backward, else null"
        ),
    )


class Health(BaseModel):
    status: Literal["ok"] = Field(description="always 'ok' when the server answers")
    models: int = Field(description="built-in models loaded")
    worker: int = Field(description="process id of the worker that answered (any may answer)")
