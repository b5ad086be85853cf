"""Model specs: what a recurrent character or word model is, and the exact tensors it must carry.

A model is `torch.nn.RNN/LSTM/GRU(input_size=I_0, hidden_size, num_layers)` plus an
`nn.Linear(hidden_size, O)` called `readout` (and, for a word model, an `nn.Embedding(V, D)`
called `embedding` before the cell). Its weights use PyTorch's names and layout exactly, so
any state_dict of those modules loads unchanged, in this order (the module's state_dict order):

    weight_ih_l{k}    (G*H, I_k)   I_0 = V (one_hot) or D (embedding), I_k = H for k > 0
    weight_hh_l{k}    (G*H, H)
    bias_ih_l{k}      (G*H,)       optional: a missing bias is zero
    bias_hh_l{k}      (G*H,)       optional
    embedding.weight  (V, D)       embedding models only: row v is the vector of word v
    readout.weight    (O, H)
    readout.bias      (O,)         optional

Its kind says what goes in and what comes out. The input (`input`) is either a character,
one-hot over `vocab` ("one_hot": x_t = onehot(text[t])), or a word looked up in the embedding
("embedding": x_t = E[id(w_t)], `vocab` lists the words, `embedding_dim` is D). A word model
reads the tokens of `tokenize` (words, with inner apostrophes, and single punctuation marks).
The output (`output`) is either the next token ("next_token": O = V, a loss at every step with
a next token) or a class of the whole text ("class": O = len(classes), many to one, the loss on
the last step's readout only).

with G = 1 (rnn), 4 (lstm: chunks i|f|g|o) or 3 (gru: chunks r|z|n). The peephole LSTM
(`peephole.py`) is an LSTM with one more tensor per layer, optional (missing: zero, a plain LSTM):

    weight_ch_l{k}  (3H,)        diagonal peepholes p_i | p_f | p_o from the cell state
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Cell = Literal["rnn", "lstm", "gru", "peephole"]
Nonlinearity = Literal["tanh", "relu"]
InputKind = Literal["one_hot", "embedding", "real"]
INPUT_KINDS: tuple[InputKind, ...] = ("one_hot", "embedding", "real")
OutputKind = Literal["next_token", "class", "value"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("next_token", "class", "value")
MAX_CLASS_NAME = 40  # characters of one class label
MAX_WORD = 40  # characters of one word of an embedding model's vocabulary
TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")  # a word (inner apostrophes kept) or a punctuation mark

CELLS: tuple[Cell, ...] = ("rnn", "lstm", "gru", "peephole")
GATES_PER_CELL: dict[str, int] = {"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn": (),
    "lstm": ("i", "f", "g", "o"),  # PyTorch's chunk order
    "gru": ("r", "z", "n"),
    "peephole": ("i", "f", "g", "o"),
}
WITH_CELL_STATE: tuple[Cell, ...] = ("lstm", "peephole")  # cells that carry c_t


def has_cell_state(cell: str) -> bool:
    """Whether the cell carries a cell state c_t beside h_t (the LSTM and its peephole form)."""
    return cell in WITH_CELL_STATE


class SpecError(ValueError):
    """A model spec, its weights or its input is invalid; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one request may ask for (the server fills them from its settings)."""

    max_text_chars: int = 2000  # characters traced in one request
    max_hidden_size: int = 256  # units per layer
    max_layers: int = 3  # stacked layers
    max_vocab: int = 256  # distinct characters (or words)


@dataclass(frozen=True)
class ModelSpec:
    """The constructor arguments of a character or word model (no weights)."""

    cell: Cell
    vocab: tuple[str, ...]
    hidden_size: int
    num_layers: int = 1
    nonlinearity: Nonlinearity = "tanh"  # rnn only; lstm and gru ignore it
    output: OutputKind = "next_token"
    classes: tuple[str, ...] = ()  # the readout's labels, output "class" only
    input: InputKind = "one_hot"
    embedding_dim: int | None = None  # D, input "embedding" only
    features: int | None = None  # values per step (I_0 = O), input "real" only
    gate_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gate_names", GATE_NAMES[self.cell])

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def input_size(self) -> int:
        """I_0: what layer 0 reads, a one-hot vector over the vocabulary or an embedding."""
        if self.features is not None:
            return self.features
        return self.embedding_dim if self.embedding_dim is not None else self.vocab_size

    def tokens(self, text: str) -> list[str]:
        """What the model reads of `text`, one token per step: its characters, its words, or
        a series model's steps, each its values as written (`read_values`)."""
        if self.input == "real":
            return read_values(text, self.input_size)[0]
        return tokenize(text) if self.input == "embedding" else list(text)

    @property
    def output_size(self) -> int:
        """O: the readout's rows, a logit per token of the vocabulary or per class, or the
        next step's values."""
        if self.output == "value":
            return self.input_size
        return len(self.classes) if self.output == "class" else len(self.vocab)

    @property
    def output_labels(self) -> tuple[str, ...]:
        """What each output is the score of: a character or word, or a class; a series
        model's outputs are the next step's values x[0] .. x[I-1]."""
        if self.output == "value":
            return tuple(f"x[{k}]" for k in range(self.input_size))
        return self.classes if self.output == "class" else self.vocab

    @property
    def gates_per_unit(self) -> int:
        return GATES_PER_CELL[self.cell]

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor name the model may carry, with its exact shape, in state_dict order."""
        gh, h = self.gates_per_unit * self.hidden_size, self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for k in range(self.num_layers):
            shapes[f"weight_ih_l{k}"] = (gh, self.input_size if k == 0 else h)
            shapes[f"weight_hh_l{k}"] = (gh, h)
            shapes[f"bias_ih_l{k}"] = (gh,)
            shapes[f"bias_hh_l{k}"] = (gh,)
            if self.cell == "peephole":
                shapes[f"weight_ch_l{k}"] = (3 * h,)
        if self.embedding_dim is not None:
            shapes["embedding.weight"] = (self.vocab_size, self.embedding_dim)
        shapes["readout.weight"] = (self.output_size, h)
        shapes["readout.bias"] = (self.output_size,)
        return shapes

    def to_config(self) -> dict[str, object]:
        return {
            "cell": self.cell,
            "vocab": list(self.vocab),
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "nonlinearity": self.nonlinearity,
            "input": self.input,
            "embedding_dim": self.embedding_dim,
            "features": self.features,
            "output": self.output,
            "classes": list(self.classes) if self.output == "class" else None,
        }


OPTIONAL_TENSORS = ("bias_ih_l", "bias_hh_l", "weight_ch_l", "readout.bias")


def make_spec(
    cell: str,
    vocab: Sequence[str],
    hidden_size: int,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    limits: Limits | None = None,
    output: str = "next_token",
    classes: Sequence[str] | None = None,
    input: str = "one_hot",
    embedding_dim: int | None = None,
    features: int | None = None,
) -> ModelSpec:
    """Validate constructor arguments against `limits` and return the spec."""
    limits = limits or Limits()
    if cell not in GATES_PER_CELL:
        raise SpecError("cell", f"cell {cell!r} is not one of {', '.join(repr(c) for c in CELLS)}")
    if nonlinearity not in ("tanh", "relu"):
        raise SpecError("nonlinearity", f"nonlinearity {nonlinearity!r} is not 'tanh' or 'relu'")
    if input not in INPUT_KINDS:
        raise SpecError("input", f"input {input!r} is not 'one_hot', 'embedding' or 'real'")
    check_real_input(input, output, features, limits)
    vocab = tuple(vocab)
    if input == "real" and vocab:
        raise SpecError(
            "vocab",
            f"vocab has {len(vocab)} entries; a model of input 'real' reads numbers and has no "
            "vocabulary: send []",
        )
    if input != "real":
        vocab = check_vocab(vocab, input == "embedding", limits)
    if not 1 <= hidden_size <= limits.max_hidden_size:
        raise SpecError(
            "hidden_size",
            f"hidden_size is {hidden_size}; it must be between 1 and {limits.max_hidden_size}",
        )
    if not 1 <= num_layers <= limits.max_layers:
        raise SpecError(
            "num_layers",
            f"num_layers is {num_layers}; it must be between 1 and {limits.max_layers}",
        )
    check_embedding_dim(input, embedding_dim, limits)
    labels = check_classes(output, classes, limits)
    return ModelSpec(
        cell,  # type: ignore[arg-type]
        vocab,
        hidden_size,
        num_layers,
        nonlinearity,  # type: ignore[arg-type]
        output,  # type: ignore[arg-type]
        labels,
        input,  # type: ignore[arg-type]
        embedding_dim,
        features,
    )


def check_real_input(input: str, output: str, features: int | None, limits: Limits) -> None:
    """A series model reads real values and predicts the next step's (input "real" with output
    "value", each only with the other), `features` of them per step, and has no vocabulary."""
    if output == "value" and input != "real":
        raise SpecError(
            "output",
            f"output 'value' predicts the next step's values; it needs input 'real', not {input!r}",
        )
    if input != "real":
        if features is not None:
            raise SpecError("features", f"features is {features}; it is for input 'real' only")
        return
    if output != "value":
        raise SpecError(
            "output",
            f"output {output!r} is not 'value'; a model of input 'real' predicts the "
            "next step's values (output 'value')",
        )
    if features is None:
        raise SpecError("features", "features is missing; a model of input 'real' needs it")
    if not 1 <= features <= limits.max_vocab:
        raise SpecError(
            "features", f"features is {features}; it must be between 1 and {limits.max_vocab}"
        )


def check_vocab(vocab: tuple[str, ...], words: bool, limits: Limits) -> tuple[str, ...]:
    """A one-hot model's vocabulary: distinct single characters; an embedding model's: distinct
    words of 1 to MAX_WORD characters without whitespace. Both within `limits.max_vocab`."""
    kind, one = ("words", "word") if words else ("characters", "character")
    if not vocab:
        raise SpecError("vocab", f"vocab is empty; it needs at least one {one}")
    if len(vocab) > limits.max_vocab:  # first: the checks below read every entry
        raise SpecError("vocab", f"vocab has {len(vocab)} {kind}; the limit is {limits.max_vocab}")
    if words:
        bad = [s for s in vocab if not is_word(s)]
        rule = f"words of 1 to {MAX_WORD} characters without whitespace"
    else:
        bad = [s for s in vocab if not isinstance(s, str) or len(s) != 1]
        rule = "single characters"
    if bad:
        shown = ", ".join(repr(s)[:20] for s in bad[:5])  # an entry may be megabytes long
        raise SpecError("vocab", f"vocab entries must be {rule}; got [{shown}]")
    repeated = sorted(entry for entry, count in Counter(vocab).items() if count > 1)
    if repeated:
        raise SpecError("vocab", f"vocab repeats {repeated[:20]!r}; each {one} may appear once")
    return vocab


def is_word(entry: object) -> bool:
    """Whether `entry` can be a word of an embedding model's vocabulary."""
    return (
        isinstance(entry, str)
        and 1 <= len(entry) <= MAX_WORD
        and not any(ch.isspace() for ch in entry)
    )


def check_embedding_dim(input: str, embedding_dim: int | None, limits: Limits) -> None:
    """D: required for an embedding model, within 1..max_hidden_size; absent for one_hot."""
    if input != "embedding":
        if embedding_dim is not None:
            raise SpecError(
                "embedding_dim",
                f"embedding_dim is {embedding_dim}; it is for input 'embedding' only (this "
                f"model's input is {input!r})",
            )
        return
    if embedding_dim is None:
        raise SpecError(
            "embedding_dim", "embedding_dim is missing; an embedding model needs its size D"
        )
    if not 1 <= embedding_dim <= limits.max_hidden_size:
        raise SpecError(
            "embedding_dim",
            f"embedding_dim is {embedding_dim}; it must be between 1 and {limits.max_hidden_size}",
        )


def check_classes(output: str, classes: Sequence[str] | None, limits: Limits) -> tuple[str, ...]:
    """The class labels of a model of kind `output`: 2 or more distinct, short, non-empty
    labels for "class"; none for "next_token", whose readout scores the vocabulary."""
    if output not in OUTPUT_KINDS:
        raise SpecError("output", f"output {output!r} is not 'next_token', 'class' or 'value'")
    if output != "class":
        if classes:
            raise SpecError(
                "classes", f"classes are for output 'class'; this model's output is {output!r}"
            )
        return ()
    labels = tuple(classes or ())
    if not 2 <= len(labels) <= limits.max_vocab:
        raise SpecError(
            "classes",
            f"classes has {len(labels)} labels; a class model needs between 2 and "
            f"{limits.max_vocab}",
        )
    bad = [c for c in labels if not isinstance(c, str) or not 1 <= len(c) <= MAX_CLASS_NAME]
    if bad:
        raise SpecError(
            "classes",
            f"class labels must be 1 to {MAX_CLASS_NAME} characters; got {repr(bad[0])[:60]}",
        )
    repeated = sorted(c for c, count in Counter(labels).items() if count > 1)
    if repeated:
        raise SpecError("classes", f"classes repeats {repeated[:5]!r}; each label may appear once")
    return labels


SHOWN_VOCAB = 16  # a vocabulary this small is listed in full in an error; a larger one counted


def unknown_characters(field: str, text: str, vocab: Sequence[str]) -> SpecError | None:
    """The error for characters of `text` outside `vocab`, naming them (None if there are none).

    A zoo model's vocabulary has ~100 characters: the message names the strangers and counts the
    vocabulary, listing it only when it is small enough to read (the hello models' h e l o).
    """
    unknown = sorted(set(text) - set(vocab))
    if not unknown:
        return None
    known = f" {list(vocab)!r}" if len(vocab) <= SHOWN_VOCAB else ""
    return SpecError(
        field,
        f"{field} has character(s) {unknown[:20]!r} that are not in the model's vocabulary of "
        f"{len(vocab)} characters{known}",
    )


def tokenize(text: str) -> list[str]:
    """The tokens an embedding model reads, by one rule (`TOKEN`): words (letters, digits and
    underscores, with inner apostrophes: "don't") and single punctuation marks, in order, case
    kept; whitespace separates them and is not a token.

        tokenize("Don't stop, now!")  ->  ["Don't", "stop", ",", "now", "!"]
    """
    return TOKEN.findall(text)


NUMBER_SEPARATORS = re.compile(r"[\s,]+")  # between the numbers of a series model's text
MAX_NUMBER_CHARS = 32  # characters of one number written out
MAX_VALUE = 1e6  # the largest |x_t| a series model reads: its squared error stays far from overflow


def read_values(text: str, features: int) -> tuple[list[str], np.ndarray]:
    """A series model's text: numbers separated by commas and/or whitespace, `features` per step
    in order (so T = count / features). Returns each step's numbers as written (joined by a
    space) and their values (T, features) float64.

        read_values("0.5, -0.25 1e-2", 1)  ->  (["0.5", "-0.25", "1e-2"], [[0.5], [-0.25], [0.01]])

    Raises a SpecError (field "text") naming the first number that is not a finite number of at
    most MAX_VALUE in size, or a count that is not a multiple of `features`.
    """
    words = [word for word in NUMBER_SEPARATORS.split(text) if word]
    values = np.empty(len(words))
    for k, word in enumerate(words):
        try:
            value = float(word) if len(word) <= MAX_NUMBER_CHARS else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise SpecError(
                "text",
                f"text has {word[:MAX_NUMBER_CHARS]!r} as its number {k}; a series model reads "
                f"finite numbers of at most {MAX_NUMBER_CHARS} characters, separated by commas "
                "or spaces",
            )
        if abs(value) > MAX_VALUE:
            raise SpecError(
                "text",
                f"text has {word!r} as its number {k}; a series model reads numbers between "
                f"-{MAX_VALUE:g} and {MAX_VALUE:g}",
            )
        values[k] = value
    if len(words) % features:
        raise SpecError(
            "text",
            f"text has {len(words)} numbers; a model of {features} features per step needs a "
            "multiple of that",
        )
    steps = [" ".join(words[t : t + features]) for t in range(0, len(words), features)]
    return steps, values.reshape(-1, features)


def unknown_words(field: str, tokens: Sequence[str], vocab: Sequence[str]) -> SpecError | None:
    """The error for tokens outside a word model's `vocab`, naming up to 20 (None if none)."""
    known = set(vocab)
    unknown = sorted({token for token in tokens if token not in known})
    if not unknown:
        return None
    return SpecError(
        field,
        f"{field} has {len(unknown)} word(s) that are not in the model's vocabulary of "
        f"{len(vocab)} words: {[word[:MAX_WORD] for word in unknown[:20]]!r}",
    )


def shape_of(value: Any) -> str:
    """A tensor's shape for a message: nested lists may not be rectangular."""
    try:
        return str(list(np.shape(value)))
    except ValueError:
        return "not rectangular"


def check_no_extra_tensors(
    spec: ModelSpec, shapes: Mapping[str, str], field: str = "state_dict"
) -> None:
    """Every tensor named is one the model has (a missing one `validate_weights` names).
    `shapes` holds each name's shape as a message shows it (`shape_of`)."""
    expected = spec.expected_shapes()
    extra = sorted(set(shapes) - set(expected))
    if extra:
        raise SpecError(
            field,
            f"state_dict has unexpected tensor {extra[0]!r} (shape {shapes[extra[0]]}); "
            f"a {spec.cell} with {spec.num_layers} layer(s) has {sorted(expected)}",
        )


def validate_weights(spec: ModelSpec, tensors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check names, shapes and finiteness; return float64 copies with missing biases as zeros."""
    expected = spec.expected_shapes()
    extra = {name: value for name, value in tensors.items() if name not in expected}
    check_no_extra_tensors(spec, {name: shape_of(value) for name, value in extra.items()})
    weights: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        if name not in tensors:
            if name.startswith(OPTIONAL_TENSORS):
                weights[name] = np.zeros(shape)
                continue
            raise SpecError(
                "state_dict", f"state_dict is missing tensor {name!r} of shape {list(shape)}"
            )
        try:
            array = np.asarray(tensors[name])
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise SpecError(
                f"state_dict.{name}",
                f"tensor {name!r} is not a rectangular array; expected shape {list(shape)}",
            ) from exc
        if array.dtype.kind not in "fiu":
            raise SpecError(
                f"state_dict.{name}",
                f"tensor {name!r} holds {array.dtype} values; "
                f"expected numbers of shape {list(shape)}",
            )
        array = array.astype(np.float64)
        if array.shape != shape:
            raise SpecError(
                f"state_dict.{name}",
                f"tensor {name!r} has shape {list(array.shape)}; expected {list(shape)}",
            )
        if not np.isfinite(array).all():
            count = int((~np.isfinite(array)).sum())
            raise SpecError(
                f"state_dict.{name}",
                f"tensor {name!r} has {count} non-finite value(s) (NaN or infinity); "
                "every weight must be finite",
            )
        weights[name] = array
    return weights
