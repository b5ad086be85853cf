"""Rebuild the model zoo's checkpoints deterministically: `python -m models.build_zoo`.

Each recipe trains a real `torch.nn` model (`build_torch_model`) with a fixed seed on one
thread, then writes `<id>.safetensors` (float32 weights, PyTorch names) and `<id>.json`
(constructor arguments, training record with the final loss). Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from models.spec import make_spec
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


HELLO = "The lecture's example: vocabulary h e l o, trained to predict 'ello' from 'hell'."
RECIPES = [
    Recipe("hello-rnn", "hello: vanilla RNN", f"Tanh RNN, 3 units. {HELLO}", "rnn", 3, "hello"),
    Recipe("hello-lstm", "hello: LSTM", f"LSTM, 3 units. {HELLO}", "lstm", 3, "hello"),
    Recipe("hello-gru", "hello: GRU", f"GRU, 3 units. {HELLO}", "gru", 3, "hello"),
]


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
    for _ in range(recipe.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(readout_logits(model, inputs), targets)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        final = torch.nn.functional.cross_entropy(readout_logits(model, inputs), targets).item()
    weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    return weights, final


def build(recipe: Recipe, directory: Path) -> float:
    weights, final_loss = train(recipe)
    save_file(weights, str(directory / f"{recipe.id}.safetensors"), metadata={"format": "pt"})
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
    (directory / f"{recipe.id}.json").write_text(json.dumps(config, indent=2) + "\n")
    return final_loss


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
        print(f"{recipe.id}: final training loss {final_loss:.6f}")  # noqa: T201


if __name__ == "__main__":
    main()
