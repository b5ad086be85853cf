"""The lab's training tasks: seeded, batched data generators, each with its metric and the
threshold that counts as solved.

A model reads T steps and is trained in one of three ways (`Task.loss`):

- "every_step": many-to-many, a character target y_t at every step,
  loss = mean_t cross-entropy(logits_t, y_t). hello and the corpora predict the next character
  (y_t = x_{t+1}; metric: next-character accuracy, or bits per character on text never trained
  on); parity answers the parity of the bits so far (metric: accuracy of the last answer, the
  parity of the whole string).
- "last_step" (recall, brackets, surnames, sentiment): many-to-one. Only the last step has a
  target: a character of the vocabulary, or (surnames, sentiment: `Task.classes`) a class of
  the whole text; loss = cross-entropy(logits_{T-1}, y); metric: accuracy.
- "last_value" (adding): many-to-one regression. Inputs are real (value, marker) pairs:
  loss = (y_{T-1} - target)^2; metric: mean squared error.
- "every_value" (series): many-to-many regression, one-step-ahead forecasting. The model reads
  x_0 .. x_{T-1} of a generated series (`series.py`) and at every step predicts the next value:
  loss = mean_t (y_t - x_{t+1})^2; metric: mean squared error.

Character tasks give a character model (one-hot input over `vocab`, readout back to `vocab`), so
a trained model opens in /explore and /hello; its text is `Task.text_of(inputs, target)`. The
series task gives a series model (input "real", output "value", `spec.py`).

Seeds: `batch(rng, size)` draws from the caller's NumPy Generator; `held_out(seed)` draws from
its own stream (`held_out_rng`), never the training stream; `probe()` is fixed per task, so
gradient curves of different runs compare.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import numpy as np

from models.corpora import Corpus, brackets, stdlib_code, zen
from models.labelled import LABELLED_SETS, LabelledSet
from models.series import DEFAULT_NOISE, SERIES_KINDS, SERIES_TITLES, make_series, series_batch

LossKind = Literal["every_step", "last_step", "last_value", "every_value"]
MetricName = Literal["accuracy", "bits_per_char", "mse"]
TASK_TITLES = {
    "hello": "hello",
    "corpus": "next character of a corpus",
    "adding": "the adding problem",
    "recall": "delayed recall",
    "parity": "parity",
    "brackets": "balanced brackets",
    "surnames": "surname → language",
    "sentiment": "review → sentiment",
    "series": "forecast a time series",
}
TASK_NAMES = tuple(TASK_TITLES)
HELD_OUT_SEQUENCES = 256  # sequences in a synthetic task's held-out set
HELD_OUT_STREAM = 1  # held-out data come from default_rng((seed, 1)); training from (seed, 0)
HELD_OUT_CHARS = 4096  # characters of a corpus's held-out tenth that the metric reads
BIGRAM_ALPHAS = (1.0, 0.3, 0.1, 0.03, 0.01)  # smoothing tried for the bigram baseline
HELLO_TEXT = "hello"  # the hello task reads all but its last character
RECALL_EXTRA_STEPS = 2  # recall reads the symbol and the cue besides its D distractors


class TaskError(ValueError):
    """A task parameter is invalid; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Batch:
    """B sequences of T steps. Character tasks carry indices into the vocabulary."""

    inputs: np.ndarray  # (T, B) int64 character indices, or (T, B, I) float32 (adding, series)
    targets: np.ndarray  # every_step: (T, B) int64; last_step: (B,) int64; last_value: (B,)
    # float32; every_value: (T, B) float32, the next value x_{t+1} at every step

    @property
    def size(self) -> int:
        return int(self.inputs.shape[1])


@dataclass(frozen=True)
class Task:
    """A data generator with its loss, metric and the threshold that counts as solved."""

    name: str
    title: str
    description: str
    loss: LossKind
    metric: MetricName
    threshold: float  # solved when the held-out metric is >= it (accuracy) or < it (otherwise)
    chance: float  # the metric of the best guess that ignores the input
    chance_note: str  # what that guess is
    length: int  # T: steps the model reads
    input_size: int
    output_size: int
    vocab: tuple[str, ...] | None  # characters (character tasks), None for adding and series
    probe_description: str
    make_batch: Callable[[np.random.Generator, int], Batch] = field(repr=False)
    probe_batch: Batch = field(repr=False)
    held_out_batch: Callable[[int], Batch] = field(repr=False)
    parameters: dict[str, int] = field(default_factory=dict)  # delay / length as asked
    scored_steps: Literal["all", "last"] = "all"  # every_step tasks: which steps the metric reads
    classes: tuple[str, ...] | None = None  # a class task's labels: the readout scores these

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"

    def batch(self, rng: np.random.Generator, size: int) -> Batch:
        return self.make_batch(rng, size)

    def probe(self) -> Batch:
        """The fixed probe sequence (B = 1) whose gradient curve the lab draws."""
        return self.probe_batch

    def held_out(self, seed: int) -> Batch:
        return self.held_out_batch(seed)

    def solved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value >= self.threshold if self.higher_is_better else value < self.threshold

    def probe_inputs(self) -> list[str] | list[list[float]]:
        """The probe as the page shows it: characters, (value, marker) pairs, or (x_t,)."""
        inputs = self.probe_batch.inputs[:, 0]  # (T,) or (T, 2)
        if self.vocab is None:
            return inputs.astype(float).tolist()  # type: ignore[no-any-return]
        return [self.vocab[i] for i in inputs]

    def text_of(self, inputs: np.ndarray, target: int | None = None) -> str:
        """Characters of one sequence (T,), plus its last-step target when that is a character
        (a class task's is a class): what /api/trace reads."""
        assert self.vocab is not None, "the adding problem has no characters"
        text = "".join(self.vocab[i] for i in inputs)
        return text if target is None or self.classes else text + self.vocab[target]

    def metric_of(self, outputs: np.ndarray, batch: Batch) -> float:
        """The task's metric from the model's outputs (T, B, O) on `batch`."""
        if self.loss == "last_value":
            return float(np.mean((outputs[-1, :, 0].astype(np.float64) - batch.targets) ** 2))
        if self.loss == "every_value":
            return float(np.mean((outputs[..., 0].astype(np.float64) - batch.targets) ** 2))
        if self.metric == "bits_per_char":
            return mean_bits(outputs, batch.targets)
        if self.loss == "last_step":
            return float(np.mean(outputs[-1].argmax(axis=-1) == batch.targets))
        if self.scored_steps == "last":
            return float(np.mean(outputs[-1].argmax(axis=-1) == batch.targets[-1]))
        return float(np.mean(outputs.argmax(axis=-1) == batch.targets))


def mean_bits(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy in bits of logits (..., V) against target indices (...)."""
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)
    return float(-picked.mean() / math.log(2))


# --- Text: hello and the corpora -------------------------------------------------------------


@cache
def available_corpora() -> dict[str, Corpus]:
    """The zoo's corpora (`corpora.py`) by name, for the "corpus" task."""
    return {corpus.name: corpus for corpus in (zen(), stdlib_code(), brackets())}


def vocabulary(text: str) -> tuple[str, ...]:
    """Characters in order of first appearance: 'hello' gives h e l o, as on the slides."""
    return tuple(dict.fromkeys(text))


def hello_task() -> Task:
    """The lecture's example: read 'hell', predict 'ello'."""
    text = HELLO_TEXT
    vocab = vocabulary(text)
    indices = np.array([vocab.index(ch) for ch in text])
    steps = len(text) - 1

    def make(_: np.random.Generator, size: int) -> Batch:
        inputs = np.repeat(indices[:-1, None], size, axis=1)  # (T, B)
        return Batch(inputs, np.repeat(indices[1:, None], size, axis=1))

    common = Counter(text[1:]).most_common(1)[0]
    return Task(
        name="hello",
        title="hello",
        description="The lecture's example: read 'hell' and predict the next character at "
        "every step, 'ello'. Every sequence of a batch is the same word.",
        loss="every_step",
        metric="accuracy",
        threshold=1.0,
        chance=common[1] / steps,
        chance_note=f"always predict the most common target, {common[0]!r}",
        length=steps,
        input_size=len(vocab),
        output_size=len(vocab),
        vocab=vocab,
        probe_description="the word 'hello': the model reads 'hell' and should predict 'ello'",
        make_batch=make,
        probe_batch=make(np.random.default_rng(0), 1),
        held_out_batch=lambda _: make(np.random.default_rng(0), 1),
    )


def corpus_task(name: str, length: int) -> Task:
    """Next-character prediction on random windows of a corpus.

    The last tenth of the text is held out: never trained on, it is where the metric is read,
    the cross-entropy in bits per character (on at most HELD_OUT_CHARS of it). Solved when that
    beats the best bigram model, which knows only the previous character: the add-alpha
    smoothed counts of the training part, with alpha chosen on the held-out text itself.
    """
    corpora = available_corpora()
    if name not in corpora:
        known = ", ".join(corpora)
        raise TaskError("corpus", f"corpus {name!r} is unknown; the corpora are {known}")
    corpus = corpora[name]
    vocab = tuple(corpus.vocab)
    lookup = {ch: k for k, ch in enumerate(vocab)}
    indices = np.array([lookup[ch] for ch in corpus.text])
    split = len(indices) - len(indices) // 10
    train = indices[:split]
    test = indices[split - 1 : split - 1 + HELD_OUT_CHARS + 1]  # starts with its context
    longest = min(len(train), len(test)) - 1
    if not 2 <= length <= longest:
        raise TaskError(
            "length", f"length is {length}; for corpus {name!r} it must be between 2 and {longest}"
        )

    def windows(source: np.ndarray, starts: np.ndarray) -> Batch:
        rows = source[starts[:, None] + np.arange(length + 1)]  # (B, T + 1)
        return Batch(rows[:, :-1].T.copy(), rows[:, 1:].T.copy())

    def make(rng: np.random.Generator, size: int) -> Batch:
        return windows(train, rng.integers(0, len(train) - length, size=size))

    held_out = windows(test, np.arange(0, len(test) - length, length))  # each character once
    vocab_size = len(vocab)
    return Task(
        name="corpus",
        title=f"corpus: {name}",
        description=f"Predict the next character of {corpus.source} ({len(indices)} "
        f"characters, {vocab_size} distinct) at every step of {length}-character windows. The "
        "last tenth is held out; solved when the model beats the best bigram model there.",
        loss="every_step",
        metric="bits_per_char",
        threshold=bigram_bits(train, held_out, vocab_size),
        chance=math.log2(vocab_size),
        chance_note="a uniform guess over the vocabulary",
        length=length,
        input_size=vocab_size,
        output_size=vocab_size,
        vocab=vocab,
        probe_description=f"the first {length} characters of the held-out tenth",
        make_batch=make,
        probe_batch=windows(test, np.array([0])),
        held_out_batch=lambda _: held_out,
        parameters={"length": length},
    )


def bigram_bits(train: np.ndarray, held_out: Batch, vocab_size: int) -> float:
    """Bits per character on `held_out` of the best add-alpha bigram model fitted on `train`:

    p(b | a) = (count(a b) + alpha) / (count(a) + alpha V)
    """
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    previous, following = held_out.inputs.ravel(), held_out.targets.ravel()
    best = math.inf
    for alpha in BIGRAM_ALPHAS:
        probs = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * vocab_size)
        best = min(best, float(-np.log2(probs[previous, following]).mean()))
    return best


# --- Delayed recall ----------------------------------------------------------------------------

RECALL_SYMBOLS = "abcdefgh"  # what must be remembered
RECALL_DISTRACTORS = "0123456789"  # what comes in between
RECALL_CUE = "?"


def recall_task(delay: int) -> Task:
    """A symbol, `delay` random distractors, the cue '?': answer the symbol at the cue.

    x = s d_1 ... d_D ?      (T = D + 2)      target at the last step: s
    """
    if delay < 0:
        raise TaskError("delay", f"delay is {delay}; it must be 0 or more")
    vocab = tuple(RECALL_SYMBOLS + RECALL_DISTRACTORS + RECALL_CUE)
    first_distractor, cue = len(RECALL_SYMBOLS), len(vocab) - 1

    def make(rng: np.random.Generator, size: int) -> Batch:
        symbols = rng.integers(0, len(RECALL_SYMBOLS), size=size)  # (B,)
        distractors = rng.integers(first_distractor, cue, size=(delay, size))  # (D, B)
        inputs = np.vstack([symbols[None], distractors, np.full((1, size), cue)])  # (T, B)
        return Batch(inputs.astype(np.int64), symbols.astype(np.int64))

    probe = make(np.random.default_rng(0), 1)
    probe_text = "".join(vocab[i] for i in probe.inputs[:, 0])
    return Task(
        name="recall",
        title=f"delayed recall, D = {delay}",
        description=f"Remember a symbol ({', '.join(RECALL_SYMBOLS)}) through {delay} random "
        f"digits, then name it when the cue '{RECALL_CUE}' arrives: 'I grew up in France ... "
        "I speak fluent French'. Only the last step is scored.",
        loss="last_step",
        metric="accuracy",
        threshold=0.95,
        chance=1 / len(RECALL_SYMBOLS),
        chance_note="guess one of the symbols",
        length=delay + RECALL_EXTRA_STEPS,
        input_size=len(vocab),
        output_size=len(vocab),
        vocab=vocab,
        probe_description=f"{probe_text!r}: the answer at the last step is "
        f"{vocab[int(probe.targets[0])]!r}, {delay} steps after it was seen",
        make_batch=make,
        probe_batch=probe,
        held_out_batch=lambda seed: make(held_out_rng(seed), HELD_OUT_SEQUENCES),
        parameters={"delay": delay},
    )


def held_out_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng((seed, HELD_OUT_STREAM))


# --- The adding problem ------------------------------------------------------------------------


def adding_task(length: int) -> Task:
    """Hochreiter & Schmidhuber 1997; Le et al. 2015. Each step reads a pair (value, marker):
    values uniform in [0, 1), exactly two markers are 1 (one in each half of the sequence), the
    rest 0. Predict the sum of the two marked values at the last step.

        target = sum_t value_t * marker_t

    Predicting 1.0 always gives MSE = Var(u1 + u2) = 2/12 = 0.167; solved below 0.04.
    """
    if length < 2:
        raise TaskError("length", f"length is {length}; the adding problem needs at least 2")
    half = length // 2

    def make(rng: np.random.Generator, size: int) -> Batch:
        values = rng.random((length, size))  # (T, B)
        markers = np.zeros((length, size))  # (T, B)
        columns = np.arange(size)
        markers[rng.integers(0, half, size=size), columns] = 1.0
        markers[rng.integers(half, length, size=size), columns] = 1.0
        inputs = np.stack([values, markers], axis=-1).astype(np.float32)  # (T, B, 2)
        targets = (inputs[..., 0].astype(np.float64) * inputs[..., 1]).sum(axis=0)  # (B,)
        return Batch(inputs, targets.astype(np.float32))

    probe = make(np.random.default_rng(0), 1)
    marked = np.flatnonzero(probe.inputs[:, 0, 1])
    return Task(
        name="adding",
        title=f"adding problem, T = {length}",
        description=f"Read {length} (value, marker) pairs; exactly two markers are 1, one in "
        "each half. Output the sum of the two marked values at the last step "
        "(Hochreiter & Schmidhuber 1997; Le et al. 2015).",
        loss="last_value",
        metric="mse",
        threshold=0.04,
        chance=2 / 12,
        chance_note="always predict 1.0, the mean of the sum",
        length=length,
        input_size=2,
        output_size=1,
        vocab=None,
        probe_description=f"{length} pairs with markers at steps {marked[0]} and {marked[1]}; "
        f"the answer is {float(probe.targets[0]):.3f}",
        make_batch=make,
        probe_batch=probe,
        held_out_batch=lambda seed: make(held_out_rng(seed), HELD_OUT_SEQUENCES),
        parameters={"length": length},
    )


# --- One-step-ahead forecasting of a generated series -------------------------------------------

SERIES_PROBE_SEED = 0  # the probe series: make_series(kind, T + 1, seed=SERIES_PROBE_SEED)


def check_series_kind(kind: str) -> None:
    """Refuse a series kind that `series.py` does not make, naming it and the kinds."""
    if kind not in SERIES_KINDS:
        known = ", ".join(SERIES_KINDS)
        raise TaskError("series", f"series {kind!r} is unknown; the series are {known}")


def persistence_mse(batch: Batch) -> float:
    """Mean squared error of the persistence forecast y_t = x_t (tomorrow is like today) on a
    series batch: mean over t, b of (x_{t+1} - x_t)^2."""
    return float(np.mean((batch.targets.astype(np.float64) - batch.inputs[..., 0]) ** 2))


def series_task(kind: str, length: int, seed: int = 0) -> Task:
    """One-step-ahead forecasting. A sequence is a generated series of T + 1 values x_0 .. x_T
    (`series.py`, noise DEFAULT_NOISE, each with its own seed drawn from the batch's stream);
    the model reads x_0 .. x_{T-1} and at every step t outputs y_t, its forecast of x_{t+1}:

        loss = mean_{t, b} (y_t - x_{t+1})^2

    Values are rounded to float32 once, so the float32 training and the float64 measurements
    read the same numbers. Chance is the persistence forecast y_t = x_t on the held-out set of
    `seed` (`held_out_rng(seed)`); solved below half of it.
    """
    check_series_kind(kind)
    if length < 4:
        raise TaskError("length", f"length is {length}; the series task needs at least 4")

    def of_values(values: np.ndarray) -> Batch:
        values = values.astype(np.float32)  # (T + 1, B)
        return Batch(values[:-1, :, None].copy(), values[1:].copy())  # (T, B, 1), (T, B)

    def make(rng: np.random.Generator, size: int) -> Batch:
        return of_values(series_batch((kind,), length + 1, size, rng, DEFAULT_NOISE))

    def held_out(at: int) -> Batch:
        return make(held_out_rng(at), HELD_OUT_SEQUENCES)

    probe = of_values(make_series(kind, length + 1, SERIES_PROBE_SEED, DEFAULT_NOISE)[:, None])
    held = held_out(seed)  # drawn once: the threshold's set, the run's metric reads it too
    persistence = persistence_mse(held)
    title = SERIES_TITLES[kind]
    return Task(
        name="series",
        title=f"forecast: {title}, T = {length}",
        description=f"Read a noisy generated series one value at a time and predict the next "
        f"value at every step ({length} steps, noise {DEFAULT_NOISE}). Scored by the mean "
        "squared error on held-out series; solved below half the error of the persistence "
        "forecast 'the next value is this one'. (A random walk's shocks cannot be foreseen, "
        "only its drift and rhythm: on it even the best forecast stays near persistence.)",
        loss="every_value",
        metric="mse",
        threshold=persistence / 2,
        chance=persistence,
        chance_note="the persistence forecast: predict that the next value is the one just read",
        length=length,
        input_size=1,
        output_size=1,
        vocab=None,
        probe_description=f"a fixed {title} (seed {SERIES_PROBE_SEED}) of {length + 1} values: "
        f"the model reads the first {length} and forecasts each next one",
        make_batch=make,
        probe_batch=probe,
        held_out_batch=lambda at: held if at == seed else held_out(at),
        parameters={"length": length},
    )


# --- Many-to-one classification: parity and balanced brackets ----------------------------------


def parity_task(length: int) -> Task:
    """Read a bit string over '0' '1'; at every step answer the parity of the bits so far,
    '1' for an odd number of ones (y_t = x_0 XOR ... XOR x_t). The metric is the last answer,
    the parity of the whole string. (Scored at the last step only, parity gives gradient
    descent no signal until it guesses the whole function: even 4 bits stall at chance.)"""
    if length < 1:
        raise TaskError("length", f"length is {length}; parity needs at least 1 bit")
    vocab = ("0", "1")

    def make(rng: np.random.Generator, size: int) -> Batch:
        bits = rng.integers(0, 2, size=(length, size))  # (T, B)
        return Batch(bits.astype(np.int64), (np.cumsum(bits, axis=0) % 2).astype(np.int64))

    probe = make(np.random.default_rng(0), 1)
    return Task(
        name="parity",
        title=f"parity of {length} bits",
        description=f"Read {length} bits; at every step answer '1' if there have been an odd "
        "number of ones so far, else '0'. Scored on the last answer, the parity of the whole "
        "string: one bit of memory carried through every step.",
        loss="every_step",
        metric="accuracy",
        threshold=0.95,
        chance=0.5,
        chance_note="guess '0' or '1'",
        length=length,
        input_size=2,
        output_size=2,
        vocab=vocab,
        probe_description=f"the bits {''.join(vocab[i] for i in probe.inputs[:, 0])}: the "
        f"last answer is {vocab[int(probe.targets[-1, 0])]!r}",
        make_batch=make,
        probe_batch=probe,
        held_out_batch=lambda seed: make(held_out_rng(seed), HELD_OUT_SEQUENCES),
        parameters={"length": length},
        scored_steps="last",
    )


BRACKETS_VOCAB = ("(", ")", "y", "n")  # the answer is 'y' (balanced) or 'n'


def balanced_string(rng: np.random.Generator, length: int) -> np.ndarray:
    """A random balanced bracket string (0 = '(', 1 = ')') of even `length`: a walk that opens
    at depth 0, closes when only enough steps remain to return, else flips a coin."""
    out = np.zeros(length, dtype=np.int64)
    depth = 0
    for t in range(length):
        close = depth > 0 and (depth == length - t or rng.random() < 0.5)
        out[t] = 1 if close else 0
        depth += -1 if close else 1
    return out


def is_balanced(brackets: np.ndarray) -> bool:
    depths = np.cumsum(np.where(brackets == 0, 1, -1))
    return bool(depths.size == 0 or (depths.min() >= 0 and depths[-1] == 0))


def unbalanced_string(rng: np.random.Generator, length: int) -> np.ndarray:
    """A random unbalanced string: half the time with as many '(' as ')' (only the order is
    wrong, so counting alone cannot tell), else any mix."""
    while True:
        if length % 2 == 0 and rng.random() < 0.5:
            candidate = rng.permutation(np.repeat([0, 1], length // 2))
        else:
            candidate = rng.integers(0, 2, size=length)
        if not is_balanced(candidate):
            return candidate.astype(np.int64)


def brackets_task(length: int) -> Task:
    """Read a string of '(' and ')'; at the last step answer 'y' if it is balanced, else 'n'.
    Half of the sequences are balanced."""
    if length < 2 or length % 2:
        raise TaskError("length", f"length is {length}; brackets needs an even length of 2 or more")
    yes, no = BRACKETS_VOCAB.index("y"), BRACKETS_VOCAB.index("n")

    def make(rng: np.random.Generator, size: int) -> Batch:
        balanced = rng.random(size) < 0.5  # (B,)
        rows = [
            balanced_string(rng, length) if ok else unbalanced_string(rng, length)
            for ok in balanced
        ]
        inputs = np.stack(rows, axis=1)  # (T, B)
        return Batch(inputs, np.where(balanced, yes, no).astype(np.int64))

    probe_rng = np.random.default_rng(0)
    probe = Batch(balanced_string(probe_rng, length)[:, None], np.array([yes]))
    return Task(
        name="brackets",
        title=f"balanced brackets, length {length}",
        description=f"Read {length} brackets; at the last step answer 'y' if they are "
        "balanced, else 'n'. The network must track the depth and remember whether it ever "
        "went below zero.",
        loss="last_step",
        metric="accuracy",
        threshold=0.95,
        chance=0.5,
        chance_note="guess 'y' or 'n'",
        length=length,
        input_size=len(BRACKETS_VOCAB),
        output_size=len(BRACKETS_VOCAB),
        vocab=BRACKETS_VOCAB,
        probe_description=f"the balanced string "
        f"{''.join(BRACKETS_VOCAB[i] for i in probe.inputs[:, 0])}: answer 'y'",
        make_batch=make,
        probe_batch=probe,
        held_out_batch=lambda seed: make(held_out_rng(seed), HELD_OUT_SEQUENCES),
        parameters={"length": length},
    )


# --- Labelled texts: surnames and sentiment ------------------------------------------------------

PAD = " "  # what a shorter text is padded with, on the left
LABELLED_SPLIT_SEED = 0  # the zoo's classifiers hold out the same texts


@cache
def labelled_set(name: str) -> LabelledSet:
    return LABELLED_SETS[name]()


def labelled_task(name: str) -> Task:
    """Name the class of a whole text (`labelled.py`): many-to-one, scored at the last step.

    A batch holds texts of different lengths, so each is padded on the left with spaces to
    the longest text of the set, T: the model reads the padding first, from h = 0, and the
    text's last character at the last step. (The zoo's classifiers are trained without
    padding, on batches of one length; /explore reads a text as it is.) 20 % of each class is
    held out, never trained on; the metric is the accuracy on all of it. The probe is the
    longest held-out text (no padding).
    """
    examples = labelled_set(name)
    training, held_out = examples.split(0.2, LABELLED_SPLIT_SEED)
    vocab = tuple(sorted({PAD, *examples.vocab}))
    index = {ch: k for k, ch in enumerate(vocab)}
    steps = max(len(text) for text, _ in examples.examples)

    def batch_of(rows: list[tuple[str, int]]) -> Batch:
        padded = [[index[ch] for ch in text.rjust(steps, PAD)] for text, _ in rows]
        labels = np.array([label for _, label in rows], dtype=np.int64)
        return Batch(np.array(padded, dtype=np.int64).T, labels)  # (T, B), (B,)

    def make(rng: np.random.Generator, size: int) -> Batch:
        chosen = rng.integers(0, len(training.examples), size=size)
        return batch_of([training.examples[int(k)] for k in chosen])

    probe = max(held_out.examples, key=lambda example: len(example[0]))
    counts = Counter(label for _, label in examples.examples)
    common, share = counts.most_common(1)[0][0], max(counts.values()) / len(examples.examples)
    return Task(
        name=name,
        title=TASK_TITLES[name],
        description=f"Read a whole text and name its class ({', '.join(examples.classes)}): "
        f"{examples.source}. Only the last step is scored; shorter texts are padded on the "
        f"left with spaces to {steps} characters.",
        loss="last_step",
        metric="accuracy",
        threshold={"surnames": 0.6, "sentiment": 0.95}[name],
        chance=share,
        chance_note=f"always name the most common class, {examples.classes[common]!r}",
        length=steps,
        input_size=len(vocab),
        output_size=len(examples.classes),
        vocab=vocab,
        probe_description=f"{probe[0]!r}, a held-out text of class {examples.classes[probe[1]]!r}",
        make_batch=make,
        probe_batch=batch_of([probe]),
        held_out_batch=lambda _: batch_of(list(held_out.examples)),
        classes=examples.classes,
    )


# --- The catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskParameter:
    name: str  # "delay" or "length"
    default: int
    minimum: int
    meaning: str


PARAMETERS: dict[str, TaskParameter | None] = {
    "hello": None,
    "corpus": TaskParameter("length", 32, 2, "characters per training window"),
    "adding": TaskParameter("length", 30, 2, "steps T; one marker in each half"),
    "recall": TaskParameter("delay", 10, 0, "distractor steps D between symbol and cue"),
    "parity": TaskParameter("length", 20, 1, "bits read"),
    "brackets": TaskParameter("length", 12, 2, "brackets read (even)"),
    "surnames": None,
    "sentiment": None,
    "series": TaskParameter("length", 60, 4, "steps T read; one forecast at each"),
}
LABELLED_TASKS = ("surnames", "sentiment")  # texts of a labelled set, padded to one length


def asked_parameter(
    name: str, delay: int | None = None, length: int | None = None
) -> tuple[str, int] | None:
    """The parameter task `name` takes, as (field, value), its default when not asked; None for
    hello, which takes none. Recall reads `delay`, every other task `length`."""
    if name not in PARAMETERS:
        raise TaskError("task", f"task {name!r} is unknown; the tasks are {', '.join(TASK_NAMES)}")
    parameter = PARAMETERS[name]
    if parameter is None:
        return None
    asked = delay if parameter.name == "delay" else length
    return parameter.name, parameter.default if asked is None else asked


def task_length(name: str, delay: int | None = None, length: int | None = None) -> int:
    """T, the steps of one sequence of the task, from its parameter alone: nothing is built."""
    parameter = asked_parameter(name, delay, length)
    if name in LABELLED_TASKS:
        return max(len(text) for text, _ in labelled_set(name).examples)
    if parameter is None:
        return len(HELLO_TEXT) - 1
    field, value = parameter
    return value + RECALL_EXTRA_STEPS if field == "delay" else value


def make_task(
    name: str,
    delay: int | None = None,
    length: int | None = None,
    corpus: str = "zen",
    max_length: int | None = None,
    series: str = "sine",
    seed: int = 0,
) -> Task:
    """The task `name` with its parameter (delay for recall, length otherwise; None: default).
    `corpus` is the corpus task's text, `series` the series task's kind; `seed` picks the series
    task's held-out set, whose persistence error sets its threshold (the run's own seed).

    With `max_length`, T is computed from the parameter and checked before the task draws any
    data: a longer task is a TaskError naming the parameter, its value and the limit.
    """
    parameter = asked_parameter(name, delay, length)
    steps = task_length(name, delay, length)
    if max_length is not None and steps > max_length:
        field, value = parameter or ("task", name)
        raise TaskError(
            field,
            f"{field} is {value}: sequences of {steps} steps; the limit is {max_length} steps",
        )
    if name in LABELLED_TASKS:
        return labelled_task(name)
    if parameter is None:
        return hello_task()
    value = parameter[1]
    if name == "corpus":
        return corpus_task(corpus, value)
    if name == "series":
        return series_task(series, value, seed)
    builders: dict[str, Callable[[int], Task]] = {
        "adding": adding_task,
        "recall": recall_task,
        "parity": parity_task,
        "brackets": brackets_task,
    }
    return builders[name](value)
