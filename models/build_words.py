"""The zoo's word-level model: an embedding before the cell, the next word as the target.

    x_t = E[id(w_t)]             (D,)  `embedding.weight` (V, D): a learned row per word
    h_t = cell(x_t, h_{t-1})     as the character models
    y_t = W_y h_t + b_y          (V,)  logits of the next word

The corpus is tokenized by the word models' one rule (`spec.tokenize`: words and punctuation
marks) and the vocabulary is every token of it, sorted. Training reads random windows of
`seq_len` + 1 tokens with Adam, gradient-norm clipping and a cosine learning-rate decay, as
the character corpus models do (`build_zoo.py` writes the checkpoint with the others); the
final loss is the mean cross-entropy of every next-word prediction, in float64, read in
windows of `seq_len` tokens from a zero state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch.nn import functional as F  # noqa: N812

from models.corpora import Corpus
from models.spec import ModelSpec, make_spec, tokenize
from models.torch_model import build_torch_model, readout_logits


@dataclass(frozen=True)
class WordRecipe:
    id: str
    title: str
    description: str
    corpus: str  # a key of build_zoo.CORPORA
    cell: str
    hidden_size: int
    embedding_dim: int  # D
    steps: int = 1500  # optimizer updates
    batch_size: int = 16  # windows per update
    seq_len: int = 20  # words read per window
    lr: float = 5e-3  # Adam's initial learning rate, decayed to lr / 10 (cosine)
    clip_norm: float = 1.0
    seed: int = 0
    sample_from: str = ""  # the excerpt shown in /explore starts here


def word_spec(recipe: WordRecipe, words: list[str]) -> ModelSpec:
    return make_spec(
        recipe.cell,
        sorted(set(words)),
        recipe.hidden_size,
        input="embedding",
        embedding_dim=recipe.embedding_dim,
    )


def word_loss(module: torch.nn.Module, ids: torch.Tensor, seq_len: int) -> float:
    """Mean cross-entropy (nats per word) of every next-word prediction, in windows of
    `seq_len` + 1 tokens overlapping by one, each read from h = 0, in float64."""
    module = module.double()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, seq_len):
            window = ids[start : start + seq_len + 1]  # (S + 1,)
            logits = readout_logits(module, window[:-1])  # (S, V)
            total += float(F.cross_entropy(logits, window[1:], reduction="sum"))
    module.float()
    return total / (len(ids) - 1)


class WindowRecipe(Protocol):
    """What windowed next-token training reads of a recipe (a corpus's or a word model's)."""

    @property
    def seed(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def seq_len(self) -> int: ...
    @property
    def lr(self) -> float: ...
    @property
    def clip_norm(self) -> float: ...


def train_windows(spec: ModelSpec, ids: torch.Tensor, recipe: WindowRecipe) -> torch.nn.Module:
    """Next-token training of a fresh `build_torch_model(spec)` on the token ids (N,) of a text.

    Each update reads `batch_size` windows of `seq_len + 1` tokens at random offsets (drawn
    from a generator seeded by the recipe), from a zero state: characters one-hot, words
    through the embedding. Adam, gradient-norm clipping, cosine decay to lr / 10.
    """
    torch.manual_seed(recipe.seed)
    model = build_torch_model(spec)
    offsets = torch.arange(recipe.seq_len + 1)  # (S + 1,)
    windows_rng = torch.Generator().manual_seed(recipe.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=recipe.steps, eta_min=recipe.lr / 10
    )
    for _ in range(recipe.steps):
        starts = torch.randint(
            0, len(ids) - recipe.seq_len, (recipe.batch_size,), generator=windows_rng
        )
        batch = ids[starts[None, :] + offsets[:, None]]  # (S + 1, B), time first
        inputs = batch[:-1]  # (S, B) word ids, embedded by the model ...
        if spec.input == "one_hot":  # ... or characters, (S, B, V)
            inputs = F.one_hot(inputs, spec.vocab_size).float()
        logits = readout_logits(model, inputs)  # (S, B, V)
        loss = F.cross_entropy(logits.reshape(-1, spec.vocab_size), batch[1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        optimizer.step()
        schedule.step()
    return model


def train_words(recipe: WordRecipe, corpus: Corpus) -> tuple[dict[str, torch.Tensor], float]:
    """Next-word training on random windows; returns float32 weights and the final loss."""
    words = tokenize(corpus.text)
    spec = word_spec(recipe, words)
    ids = torch.tensor([spec.vocab.index(word) for word in words])  # (N,)
    model = train_windows(spec, ids, recipe)
    weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    return weights, word_loss(model, ids, recipe.seq_len)
