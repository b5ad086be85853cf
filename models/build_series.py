"""The zoo's time-series model: real numbers in, the next number out.

    x_t                          (1,)  the series' value at step t, through W_ih as it is
    h_t = cell(x_t, h_{t-1})     as the character models
    y_t = W_y h_t + b_y          (1,)  the prediction of x_{t+1}
    loss = mean_t (y_t - x_{t+1})^2

Training reads batches of generated series (`series.py`): each sequence a walk, sine, square or
sawtooth wave of its own random seed (phase, noise, the walk's steps), with Adam,
gradient-norm clipping and a cosine learning-rate decay. The final loss is the mean squared
error of every one-step prediction on `EVAL_SERIES` held-out series of each kind, in float64,
beside the persistence forecast's (y_t = x_t), the baseline a forecaster must beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.series import DEFAULT_NOISE, SERIES_KINDS, make_series, series_batch
from models.spec import ModelSpec, make_spec
from models.torch_model import build_torch_model, readout_logits

EVAL_SERIES = 16  # held-out series per kind for the final loss
EVAL_SEED = 10_000  # their seeds are EVAL_SEED + k, never drawn in training (seeds < 2^31 ...)


@dataclass(frozen=True)
class SeriesRecipe:
    id: str
    title: str
    description: str
    cell: str
    hidden_size: int
    steps: int = 1500  # optimizer updates
    batch_size: int = 32  # series per update
    seq_len: int = 60  # values read per series
    lr: float = 1e-2  # Adam's initial learning rate, decayed to lr / 10 (cosine)
    clip_norm: float = 1.0
    noise: float = DEFAULT_NOISE
    seed: int = 0
    sample_kind: str = "sine"  # the series /explore opens on
    sample_seed: int = 7


def series_spec(recipe: SeriesRecipe) -> ModelSpec:
    return make_spec(recipe.cell, [], recipe.hidden_size, input="real", output="value", features=1)


def squared_errors(module: torch.nn.Module, series: np.ndarray) -> tuple[float, float]:
    """Mean (y_t - x_{t+1})^2 of the model, and of the persistence forecast y_t = x_t, over
    series (T + 1, B), in float64."""
    x = torch.from_numpy(series)[..., None]  # (T + 1, B, 1)
    module = module.double()
    with torch.no_grad():
        predictions = readout_logits(module, x[:-1])  # (T, B, 1)
    module.float()
    model = float(((predictions - x[1:]) ** 2).mean())
    persistence = float(((x[:-1] - x[1:]) ** 2).mean())
    return model, persistence


def held_out_series(recipe: SeriesRecipe) -> np.ndarray:
    """`EVAL_SERIES` series of each kind, (seq_len + 1, 4 x EVAL_SERIES)."""
    columns = [
        make_series(kind, recipe.seq_len + 1, EVAL_SEED + k, recipe.noise)
        for kind in SERIES_KINDS
        for k in range(EVAL_SERIES)
    ]
    return np.stack(columns, axis=1)


def train_series(recipe: SeriesRecipe) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Train a fresh model; return float32 weights and its held-out errors."""
    torch.manual_seed(recipe.seed)
    spec = series_spec(recipe)
    model = build_torch_model(spec)
    rng = np.random.default_rng(recipe.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=recipe.steps, eta_min=recipe.lr / 10
    )
    for _ in range(recipe.steps):
        batch = series_batch(SERIES_KINDS, recipe.seq_len + 1, recipe.batch_size, rng, recipe.noise)
        x = torch.from_numpy(batch).float()[..., None]  # (T + 1, B, 1)
        loss = ((readout_logits(model, x[:-1]) - x[1:]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        optimizer.step()
        schedule.step()
    weights = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    model_mse, persistence_mse = squared_errors(model, held_out_series(recipe))
    return weights, {"final_loss": model_mse, "persistence_loss": persistence_mse}
