"""Shared test helpers: random models in float64 and texts over their vocabulary."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from models.network import Network
from models.spec import ModelSpec, make_spec
from models.torch_model import build_torch_model, network_from_torch

VOCAB = list("abcdefg")
TEXT = "abcgfedcbaabgdd"


def random_model(
    cell: str, num_layers: int, nonlinearity: str = "tanh", hidden_size: int = 5, seed: int = 0
) -> tuple[ModelSpec, nn.RNNBase, Network]:
    """A torch model with random float64 weights (biases included) and the same Network."""
    torch.manual_seed(seed)
    spec = make_spec(cell, VOCAB, hidden_size, num_layers, nonlinearity)
    module = build_torch_model(spec, torch.float64)
    return spec, module, network_from_torch(spec, module)


def one_hot(text: str, vocab: list[str] = VOCAB) -> torch.Tensor:
    """(T, V) float64 one-hot rows."""
    indices = torch.tensor([vocab.index(ch) for ch in text])
    return nn.functional.one_hot(indices, len(vocab)).double()


def indices(text: str, vocab: list[str] = VOCAB) -> torch.Tensor:
    return torch.tensor([vocab.index(ch) for ch in text])


def log10_norms(rows: torch.Tensor) -> np.ndarray:
    """log10 ||row|| per row, -inf for an exactly zero row."""
    with np.errstate(divide="ignore"):
        return np.log10(rows.norm(dim=1).numpy())
