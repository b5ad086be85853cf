"""Rebuild the model zoo's checkpoints deterministically: `python -m models.build_zoo`.

Each recipe trains a real `torch.nn` model (`build_torch_model`) with a fixed seed on one
thread, then writes `<id>.safetensors` (float32 weights, PyTorch names) and `<id>.json`
(constructor arguments, training record with the final loss). Same seed, same bytes on the
same machine (another CPU or PyTorch build may round differently in the last float bits).

Five kinds of recipe:

- `Recipe`: the lecture's "hello" models, full-batch on one short word.
- `CorpusRecipe`: character models of a corpus (`corpora.py`), trained on random windows
  with Adam, gradient-norm clipping and a cosine learning-rate decay. Their final loss is
  the mean cross-entropy of every next-character prediction in the corpus, read in windows
  of `seq_len` characters from a zero state (`corpus_loss`), in float64.
- `ClassifierRecipe`: many-to-one classifiers of a labelled set (`build_classifiers.py`);
  their final loss is the mean cross-entropy of the class over the training texts.
- `WordRecipe`: word-level models of a corpus, an embedding before the cell
  (`build_words.py`); their final loss is the mean next-word cross-entropy over the corpus.
- `SeriesRecipe`: a time-series model, real numbers in and the next number out, trained on
  generated series (`build_series.py`); its final loss is the mean squared error of every
  one-step prediction over held-out series, beside the persistence forecast's.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from models import corpora
from models.build_classifiers import ClassifierRecipe, sample_example, train_classifier
from models.build_series import SeriesRecipe, series_spec, train_series
from models.build_words import WordRecipe, train_windows, train_words, word_spec
from models.labelled import LABELLED_SETS
from models.series import SERIES_TITLES, make_series, written
from models.spec import ModelSpec, make_spec, tokenize
from models.torch_model import build_torch_model, readout_logits
from models.zoo import CHECKPOINT_DIR


@dataclass(frozen=True)
class Recipe:
    id: str
    title: str
    description: str
    cell: str
    hidden_size: int
    text: str  # the model learns to predict text[t+1] from text[:t+1]
    steps: int = 400  # full-batch optimizer updates
    lr: float = 0.05  # Adam learning rate
    num_layers: int = 1
    nonlinearity: str = "tanh"
    seed: int = 0


@dataclass(frozen=True)
class CorpusRecipe:
    id: str
    title: str
    description: str
    corpus: str  # a key of CORPORA
    cell: str
    hidden_size: int
    num_layers: int = 1
    steps: int = 3000  # optimizer updates
    batch_size: int = 32  # windows per update
    seq_len: int = 100  # characters read per window (backpropagation through time)
    lr: float = 3e-3  # Adam's initial learning rate, decayed to lr / 10 (cosine)
    clip_norm: float = 1.0  # gradient-norm clipping threshold
    seed: int = 0  # initial weights and window order
    sample_from: str = ""  # the excerpt shown in /explore starts here ("" = the start)
    nonlinearity: str = "tanh"


CORPORA: dict[str, Callable[[], corpora.Corpus]] = {
    "zen": corpora.zen,
    "stdlib": corpora.stdlib_code,
    "brackets": corpora.brackets,
}
SAMPLE_CHARS = 200

HELLO = "The lecture's example: vocabulary h e l o, trained to predict 'ello' from 'hell'."
ZEN = "Trained on the Zen of Python (19 aphorisms, 857 characters): it learns them by heart."
CODE = "Trained on Python's own source (textwrap, bisect, colorsys, queue, sched)"
BRACKETS = (
    "Trained on generated nested brackets and quoted strings, where knowing whether you are "
    "inside a string and how deep the brackets go decides what comes next"
)
SURNAMES = (
    "Reads a surname letter by letter and names its language (English, French, German, "
    "Italian, Spanish, Polish, Dutch, Finnish): the PyTorch tutorial's many-to-one classifier, on "
    "2,400 surnames from the Faker package's name lists"
)
SENTIMENT = (
    "Reads a short review and says whether it is positive or negative; a 'not' early on or a "
    "'but' clause at the end decides, so the answer must be carried to the last step. 2,000 "
    "sentences generated from word lists written for Unrolled"
)
AnyRecipe = Recipe | CorpusRecipe | ClassifierRecipe | WordRecipe | SeriesRecipe
RECIPES: list[AnyRecipe] = [
    Recipe("hello-rnn", "hello: vanilla RNN", f"Tanh RNN, 3 units. {HELLO}", "rnn", 3, "hello"),
    Recipe("hello-lstm", "hello: LSTM", f"LSTM, 3 units. {HELLO}", "lstm", 3, "hello"),
    Recipe("hello-gru", "hello: GRU", f"GRU, 3 units. {HELLO}", "gru", 3, "hello"),
    CorpusRecipe(
        "zen-lstm",
        "Zen of Python: LSTM",
        f"LSTM, 2 layers of 64 units. {ZEN}",
        "zen",
        "lstm",
        64,
        num_layers=2,
        steps=1500,
        seq_len=100,
        sample_from="Beautiful is better",
    ),
    CorpusRecipe(
        "code-lstm",
        "Python source: LSTM",
        f"LSTM, 2 layers of 96 units. {CODE}.",
        "stdlib",
        "lstm",
        96,
        num_layers=2,
        lr=6e-3,  # at 3e-3 it ends at 0.94 nats/char, far behind the GRU's 0.37
        sample_from="def dedent(text):",
    ),
    CorpusRecipe(
        "code-gru",
        "Python source: GRU",
        f"GRU, 2 layers of 96 units. {CODE}.",
        "stdlib",
        "gru",
        96,
        num_layers=2,
        sample_from="def dedent(text):",
    ),
    CorpusRecipe(
        "code-rnn",
        "Python source: vanilla RNN",
        f"Tanh RNN, 2 layers of 96 units. {CODE}.",
        "stdlib",
        "rnn",
        96,
        num_layers=2,
        lr=2e-3,
        sample_from="def dedent(text):",
    ),
    CorpusRecipe(
        "brackets-lstm",
        "Brackets and strings: LSTM",
        f"LSTM, 64 units. {BRACKETS}.",
        "brackets",
        "lstm",
        64,
        steps=3000,
    ),
    CorpusRecipe(
        "brackets-gru",
        "Brackets and strings: GRU",
        f"GRU, 64 units. {BRACKETS}.",
        "brackets",
        "gru",
        64,
        steps=3000,
    ),
    ClassifierRecipe(
        "surnames-gru",
        "Surname to language: GRU",
        f"GRU, 64 units. {SURNAMES}.",
        "surnames",
        "gru",
        64,
        steps=1500,  # 3000 fit the training names better (98 %) but not the held-out ones
    ),
    ClassifierRecipe(
        "sentiment-lstm",
        "Review sentiment: LSTM",
        f"LSTM, 64 units. {SENTIMENT}.",
        "sentiment",
        "lstm",
        64,
        steps=4000,
        lr=5e-3,  # at 32 units, 3e-3 and 3000 steps it stays near chance (57 % held out)
    ),
    WordRecipe(
        "zen-words-lstm",
        "Zen of Python, word by word: LSTM",
        "LSTM, 64 units, reading words through a 16-dimensional embedding (95 words and "
        "punctuation marks): the Zen of Python, 174 tokens, learned by heart one word at a time.",
        "zen",
        "lstm",
        64,
        16,
        sample_from="Beautiful is better",
    ),
    SeriesRecipe(
        "series-lstm",
        "Time series: LSTM forecaster",
        "LSTM, 32 units, reading one number per step and predicting the next: trained on "
        "generated series (a price-like random walk with drift and seasonality, sine, square "
        "and sawtooth waves of period 20, noise 0.05).",
        "lstm",
        32,
    ),
]
SERIES_SAMPLE_STEPS = 100  # the sample series /explore opens on
SAMPLE_PREFERENCE = {"surnames": "wski", "sentiment": " but "}  # a telling held-out example


def vocabulary(text: str) -> list[str]:
    """Characters in order of first appearance: 'hello' gives h e l o, as on the slides."""
    return list(dict.fromkeys(text))


def train(recipe: Recipe) -> tuple[dict[str, torch.Tensor], float]:
    """Full-batch next-character training; returns float32 weights and the final loss."""
    torch.manual_seed(recipe.seed)
    vocab = vocabulary(recipe.text)
    spec = make_spec(recipe.cell, vocab, recipe.hidden_size, recipe.num_layers, recipe.nonlinearity)
    model = build_torch_model(spec)
    indices = torch.tensor([vocab.index(ch) for ch in recipe.text])
    inputs = torch.nn.functional.one_hot(indices[:-1], len(vocab)).float()  # (T-1, V)
    targets = indices[1:]  # (T-1,)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    # oneDNN's fused LSTM rounds differently on different CPUs; PyTorch's own kernels give
    # the same bytes on every AVX2 and AVX-512 machine, so the checkpoints rebuild anywhere.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "TF32 acceleration on top of oneDNN")  # Intel GPUs
        with torch.backends.mkldnn.flags(enabled=False):
            for _ in range(recipe.steps):
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(readout_logits(model, inputs), targets)
                loss.backward()
                optimizer.step()
    with torch.no_grad():
        final = torch.nn.functional.cross_entropy(readout_logits(model, inputs), targets).item()
    weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    return weights, final


def windows(length: int, seq_len: int) -> list[slice]:
    """Consecutive windows of seq_len + 1 characters overlapping by one: every next-character
    prediction of a text of `length` characters is made exactly once."""
    return [
        slice(start, min(start + seq_len + 1, length)) for start in range(0, length - 1, seq_len)
    ]


def corpus_loss(
    spec: ModelSpec, weights: dict[str, torch.Tensor], indices: torch.Tensor, seq_len: int
) -> float:
    """Mean cross-entropy (nats per character) over `windows`, in float64, each from h = 0.

    Windows of the same length run as one batch (all but the last are seq_len + 1 long).
    """
    module = build_torch_model(spec, torch.float64)
    module.load_state_dict({name: t.double() for name, t in weights.items()})
    by_length: dict[int, list[torch.Tensor]] = {}
    for window in windows(len(indices), seq_len):
        by_length.setdefault(window.stop - window.start, []).append(indices[window])
    total = 0.0
    with torch.no_grad():
        for chunks in by_length.values():
            batch = torch.stack(chunks, dim=1)  # (S + 1, B), time first
            x = torch.nn.functional.one_hot(batch[:-1], spec.vocab_size).double()  # (S, B, V)
            logits = readout_logits(module, x)  # (S, B, V)
            total += float(
                torch.nn.functional.cross_entropy(
                    logits.reshape(-1, spec.vocab_size), batch[1:].reshape(-1), reduction="sum"
                )
            )
    return total / (len(indices) - 1)


def train_corpus(
    recipe: CorpusRecipe, corpus: corpora.Corpus
) -> tuple[dict[str, torch.Tensor], float]:
    """Next-character training on random windows (`train_windows`); returns float32 weights
    and the final loss."""
    spec = corpus_spec(recipe, corpus)
    indices = torch.tensor([spec.vocab.index(ch) for ch in corpus.text])  # (N,)
    model = train_windows(spec, indices, recipe)
    weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    return weights, corpus_loss(spec, weights, indices, recipe.seq_len)


def corpus_spec(recipe: CorpusRecipe, corpus: corpora.Corpus) -> ModelSpec:
    return make_spec(
        recipe.cell, corpus.vocab, recipe.hidden_size, recipe.num_layers, recipe.nonlinearity
    )


def excerpt(text: str, start_at: str, limit: int = SAMPLE_CHARS) -> str:
    """Whole lines of `text` from the first `start_at`, at most `limit` characters."""
    start = text.index(start_at) if start_at else 0
    piece = text[start : start + limit]
    return piece[: piece.rindex("\n") + 1] if "\n" in piece else piece


def write_checkpoint(
    directory: Path, model_id: str, weights: dict[str, torch.Tensor], config: dict[str, Any]
) -> None:
    save_file(weights, str(directory / f"{model_id}.safetensors"), metadata={"format": "pt"})
    (directory / f"{model_id}.json").write_text(json.dumps(config, indent=2) + "\n")


def build_hello(recipe: Recipe, directory: Path) -> float:
    weights, final_loss = train(recipe)
    training = {k: v for k, v in asdict(recipe).items() if k in ("text", "steps", "lr", "seed")}
    config = {
        "id": recipe.id,
        "title": recipe.title,
        "description": recipe.description,
        "cell": recipe.cell,
        "vocab": vocabulary(recipe.text),
        "hidden_size": recipe.hidden_size,
        "num_layers": recipe.num_layers,
        "nonlinearity": recipe.nonlinearity,
        "training": {**training, "optimizer": "adam", "final_loss": round(final_loss, 6)},
    }
    write_checkpoint(directory, recipe.id, weights, config)
    return final_loss


def build_corpus_model(recipe: CorpusRecipe, directory: Path) -> float:
    corpus = CORPORA[recipe.corpus]()
    weights, final_loss = train_corpus(recipe, corpus)
    spec = corpus_spec(recipe, corpus)
    training = window_record(recipe, corpus, final_loss, "char")
    sample = excerpt(corpus.text, recipe.sample_from)
    config = checkpoint_config(recipe, spec, corpus.name, sample, training)
    write_checkpoint(directory, recipe.id, weights, config)
    return final_loss


def build_classifier(recipe: ClassifierRecipe, directory: Path) -> float:
    trained = train_classifier(recipe)
    examples = LABELLED_SETS[recipe.dataset]()
    sample, sample_label = sample_example(trained, SAMPLE_PREFERENCE[recipe.dataset])
    hyper = ("steps", "batch_size", "lr", "clip_norm", "seed")
    training = {
        "corpus": examples.name,
        "source": examples.source,
        "licence": examples.licence,
        "examples": len(examples.examples),
        "sha256": examples.sha256,
        "held_out": f"{len(trained.held_out.examples)} examples, 20 % of each class",
        **{k: v for k, v in asdict(recipe).items() if k in hyper},
        "optimizer": "adam, cosine decay to lr/10, gradient-norm clipping; batches of one length",
        "loss": "mean cross-entropy (nats) of the class at the last step, over the training texts",
        "final_loss": round(trained.train_loss, 6),
        "train_accuracy": round(trained.train_accuracy, 4),
        "held_out_loss": round(trained.held_out_loss, 6),
        "held_out_accuracy": round(trained.held_out_accuracy, 4),
    }
    config = checkpoint_config(recipe, trained.spec, examples.name, sample, training, sample_label)
    write_checkpoint(directory, recipe.id, trained.weights, config)
    return trained.train_loss


def build_word_model(recipe: WordRecipe, directory: Path) -> float:
    corpus = CORPORA[recipe.corpus]()
    weights, final_loss = train_words(recipe, corpus)
    words = tokenize(corpus.text)
    training = window_record(recipe, corpus, final_loss, "word", len(words))
    spec, sample = word_spec(recipe, words), excerpt(corpus.text, recipe.sample_from)
    config = checkpoint_config(recipe, spec, corpus.name, sample, training)
    write_checkpoint(directory, recipe.id, weights, config)
    return final_loss


def build_series_model(recipe: SeriesRecipe, directory: Path) -> float:
    weights, losses = train_series(recipe)
    hyper = ("steps", "batch_size", "seq_len", "lr", "clip_norm", "noise", "seed")
    training = {
        "series": list(SERIES_TITLES.values()),
        **{k: v for k, v in asdict(recipe).items() if k in hyper},
        "optimizer": "adam, cosine decay to lr/10, gradient-norm clipping",
        "loss": "mean squared error of every one-step prediction on 16 held-out series of "
        "each kind; persistence_loss: the forecast y_t = x_t's",
        **{name: round(value, 6) for name, value in losses.items()},
    }
    values = make_series(recipe.sample_kind, SERIES_SAMPLE_STEPS, recipe.sample_seed, recipe.noise)
    config = checkpoint_config(recipe, series_spec(recipe), "series", written(values)[1], training)
    write_checkpoint(directory, recipe.id, weights, config)
    return losses["final_loss"]


def window_record(
    recipe: CorpusRecipe | WordRecipe,
    corpus: corpora.Corpus,
    final_loss: float,
    unit: str,
    words: int | None = None,
) -> dict[str, Any]:
    """How a corpus model (`unit` "char") or a word model ("word", of `words` tokens) was
    trained on windows of its corpus, with its final loss."""
    hyper = ("steps", "batch_size", "seq_len", "lr", "clip_norm", "seed")
    return {
        "corpus": corpus.name,
        "source": corpus.source,
        "characters": len(corpus.text),
        **({} if words is None else {"words": words}),
        "sha256": corpus.sha256,
        **{k: v for k, v in asdict(recipe).items() if k in hyper},
        "optimizer": "adam, cosine decay to lr/10, gradient-norm clipping",
        "loss": f"mean cross-entropy (nats/{unit}) over the whole corpus in seq_len windows",
        "final_loss": round(final_loss, 6),
    }


def checkpoint_config(
    recipe: CorpusRecipe | ClassifierRecipe | WordRecipe | SeriesRecipe,
    spec: ModelSpec,
    corpus: str,
    sample: str,
    training: dict[str, Any],
    sample_label: str | None = None,
) -> dict[str, Any]:
    """A checkpoint's JSON: the recipe's names, the spec's constructor arguments, the training
    text's name, the sample /explore opens on (a classifier's with its true class) and the
    training record."""
    config = {
        "id": recipe.id,
        "title": recipe.title,
        "description": recipe.description,
        **spec.to_config(),
        "corpus": corpus,
        "sample": sample,
    }
    if sample_label is not None:
        config["sample_label"] = sample_label
    return {**config, "training": training}


def build(recipe: AnyRecipe, directory: Path) -> float:
    """Train one recipe and write its checkpoint into `directory`; return the final loss."""
    if isinstance(recipe, Recipe):
        return build_hello(recipe, directory)
    if isinstance(recipe, ClassifierRecipe):
        return build_classifier(recipe, directory)
    if isinstance(recipe, WordRecipe):
        return build_word_model(recipe, directory)
    if isinstance(recipe, SeriesRecipe):
        return build_series_model(recipe, directory)
    return build_corpus_model(recipe, directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKPOINT_DIR, help="checkpoint folder")
    parser.add_argument("--only", nargs="*", help="recipe ids to build (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    args.out.mkdir(parents=True, exist_ok=True)
    for recipe in RECIPES:
        if args.only and recipe.id not in args.only:
            continue
        final_loss = build(recipe, args.out)
        print(f"{recipe.id}: final training loss {final_loss:.6f}", flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
