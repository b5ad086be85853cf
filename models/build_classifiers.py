"""The zoo's many-to-one classifiers: a character RNN reads a whole text and names its class.

    h_t = cell(onehot(text[t]), h_{t-1})          every step, as the character models
    y = W_y h_{T-1} + b_y                         (C,) the readout of the last step only
    L = cross-entropy(y, class)

Trained on a labelled set (`labelled.py`: surnames by language, review sentences by sentiment),
80 % of it, the rest held out. Texts have different lengths and are never padded: each update
reads `batch_size` texts of one length, the length drawn in proportion to how many training
texts have it, so every text is read from h = 0 exactly as /explore reads it.

Like `build_zoo.py` (which writes these checkpoints with the others), training is seeded and
runs on one thread: the same bytes on the same machine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from models.labelled import LABELLED_SETS, LabelledSet
from models.spec import ModelSpec, make_spec
from models.torch_model import build_torch_model, readout_logits

HELD_OUT = 0.2  # share of each class held out


@dataclass(frozen=True)
class ClassifierRecipe:
    id: str
    title: str
    description: str
    dataset: str  # a key of LABELLED_SETS
    cell: str
    hidden_size: int
    num_layers: int = 1
    steps: int = 3000  # optimizer updates
    batch_size: int = 32  # texts per update, all of one length
    lr: float = 3e-3  # Adam, decayed to lr / 10 (cosine)
    clip_norm: float = 1.0
    seed: int = 0  # weights, split and batches


@dataclass(frozen=True)
class ByLength:
    """A labelled set's texts as index tensors, grouped by length."""

    inputs: dict[int, torch.Tensor]  # length T -> (T, N_T) character indices, time first
    labels: dict[int, torch.Tensor]  # length T -> (N_T,) class indices

    @property
    def count(self) -> int:
        return sum(len(labels) for labels in self.labels.values())


def by_length(examples: LabelledSet, vocab: list[str]) -> ByLength:
    index = {ch: k for k, ch in enumerate(vocab)}
    groups: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for text, label in examples.examples:
        groups[len(text)].append((text, label))
    ordered = sorted(groups.items())
    return ByLength(
        inputs={n: torch.tensor([[index[c] for c in t] for t, _ in rows]).T for n, rows in ordered},
        labels={n: torch.tensor([label for _, label in group]) for n, group in ordered},
    )


def last_logits(module: torch.nn.Module, inputs: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """The readout of the last step, (B, C), for index inputs (T, B)."""
    dtype = next(module.parameters()).dtype
    x = F.one_hot(inputs, vocab_size).to(dtype)  # (T, B, V)
    return readout_logits(module, x)[-1]


def evaluate(module: torch.nn.Module, data: ByLength, vocab_size: int) -> tuple[float, float]:
    """(mean cross-entropy in nats, accuracy) over every text of `data`, in float64."""
    module = module.double()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for n, inputs in data.inputs.items():
            logits = last_logits(module, inputs, vocab_size)  # (N_T, C)
            loss += float(F.cross_entropy(logits, data.labels[n], reduction="sum"))
            correct += int((logits.argmax(dim=1) == data.labels[n]).sum())
    module.float()
    return loss / data.count, correct / data.count


def classifier_spec(recipe: ClassifierRecipe, examples: LabelledSet) -> ModelSpec:
    return make_spec(
        recipe.cell,
        examples.vocab,
        recipe.hidden_size,
        recipe.num_layers,
        output="class",
        classes=examples.classes,
    )


@dataclass(frozen=True)
class TrainedClassifier:
    spec: ModelSpec
    weights: dict[str, torch.Tensor]  # float32, PyTorch names
    train_loss: float  # mean cross-entropy over the training texts, nats
    train_accuracy: float
    held_out_loss: float
    held_out_accuracy: float
    held_out: LabelledSet


def train_classifier(recipe: ClassifierRecipe) -> TrainedClassifier:
    """Train on 80 % of the recipe's set (module docstring); measure on both parts."""
    torch.manual_seed(recipe.seed)
    examples = LABELLED_SETS[recipe.dataset]()
    training, held_out = examples.split(HELD_OUT, recipe.seed)
    spec = classifier_spec(recipe, examples)
    vocab = list(spec.vocab)
    train_data, held_data = by_length(training, vocab), by_length(held_out, vocab)
    lengths = list(train_data.inputs)
    weights = np.array([len(train_data.labels[n]) for n in lengths], dtype=np.float64)
    rng = np.random.default_rng(recipe.seed)
    model = build_torch_model(spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=recipe.steps, eta_min=recipe.lr / 10
    )
    for _ in range(recipe.steps):
        n = lengths[int(rng.choice(len(lengths), p=weights / weights.sum()))]
        chosen = torch.from_numpy(rng.integers(0, len(train_data.labels[n]), recipe.batch_size))
        logits = last_logits(model, train_data.inputs[n][:, chosen], spec.vocab_size)
        loss = F.cross_entropy(logits, train_data.labels[n][chosen])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        optimizer.step()
        schedule.step()
    weights_out = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    train_loss, train_accuracy = evaluate(model, train_data, spec.vocab_size)
    held_loss, held_accuracy = evaluate(model, held_data, spec.vocab_size)
    return TrainedClassifier(
        spec, weights_out, train_loss, train_accuracy, held_loss, held_accuracy, held_out
    )


def sample_example(trained: TrainedClassifier, prefer: str) -> tuple[str, str]:
    """A held-out text the model classifies right, and its class: the first containing
    `prefer` (so a recipe can pick a telling one), else the first classified right."""
    module = build_torch_model(trained.spec, torch.float64)
    module.load_state_dict({name: t.double() for name, t in trained.weights.items()})
    vocab = list(trained.spec.vocab)
    right = []
    with torch.no_grad():
        for text, label in trained.held_out.examples:
            inputs = torch.tensor([[vocab.index(ch)] for ch in text])  # (T, 1)
            if int(last_logits(module, inputs, len(vocab)).argmax()) == label:
                right.append((text, trained.spec.classes[label]))
    return next((pair for pair in right if prefer in pair[0]), right[0])
