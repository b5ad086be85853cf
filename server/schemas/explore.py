"""Schemas of the gradient-vanishing explorer (`POST /api/explore`, `POST /api/explore/phase`).

Log10 norms are numbers; null means the gradient is exactly zero (never a tiny number).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.explorer import ExploreConfig
from models.spec import Cell
from server.schemas.core import LogNorms, Text


class ExploreRequest(BaseModel):
    # "5" or 5.0 is not an int, and a misspelt setting is an error, not silently ignored.
    # Every default is read from the engine's ExploreConfig: one source (tests/test_defaults.py).
    model_config = ConfigDict(strict=True, extra="forbid")

    cells: list[Cell] = Field(
        list(ExploreConfig.cells), min_length=1, max_length=3, description="cells to compare"
    )
    steps: int = Field(
        ExploreConfig.steps,
        ge=2,
        description="T: characters read; the loss is at the last one",
    )
    hidden_size: int = Field(ExploreConfig.hidden_size, ge=1, description="hidden units H")
    init: Literal["default", "orthogonal", "identity"] = Field(
        ExploreConfig.init,
        description="each H x H block of W_hh: PyTorch's uniform, orthogonal, or identity "
        "(Le et al. 2015's IRNN, with zero biases)",
    )
    scale: Literal["none", "sigma", "radius"] = Field(
        ExploreConfig.scale,
        description="rescale each W_hh block to largest singular value = gain ('sigma') or "
        "spectral radius = gain ('radius'); 'none' keeps the initialisation",
    )
    gain: float = Field(
        ExploreConfig.gain, gt=0, le=10, description="target sigma_max or spectral radius"
    )
    nonlinearity: Literal["tanh", "relu"] = Field(
        ExploreConfig.nonlinearity, description="vanilla RNN activation"
    )
    forget_bias: float = Field(
        ExploreConfig.forget_bias,
        ge=-20,
        le=20,
        description="LSTM forget gate's total bias b_if + b_hf",
    )
    text: Text | None = Field(
        ExploreConfig.text,
        description="a real text to read instead of random characters (its characters are "
        "the vocabulary; T = len(text) - 1)",
    )
    vocab_size: int = Field(
        ExploreConfig.vocab_size, ge=2, le=26, description="random characters a..z used"
    )
    seed: int = Field(
        ExploreConfig.seed, ge=0, le=2**31 - 1, description="seed of weights and random input"
    )
    clip_norm: float = Field(
        ExploreConfig.clip_norm, gt=0, le=1e6, description="threshold of norm clipping"
    )
    clip_value: float = Field(
        ExploreConfig.clip_value, gt=0, le=1e6, description="bound of element-wise clipping"
    )

    @field_validator("cells")
    @classmethod
    def distinct(cls, cells: list[str]) -> list[str]:
        if len(set(cells)) != len(cells):
            raise ValueError(f"cells repeats a cell: {cells}")
        return cells

    def engine_error(self, field: str, message: str) -> tuple[str, str]:
        """The field of this request an explorer error is about, and its message.

        The engine (models/explorer.py) names what it built: the `text` read (random when the
        request has none: `steps` long), its `vocab` (the text's characters, or `vocab_size`
        letters), the `model` whose state overflowed (its recurrent weights, set by `gain`).
        """
        if field == "text" and self.text is None:
            return "steps", f"steps is {self.steps} ({self.steps + 1} characters read): {message}"
        if field == "vocab":
            if self.text is None:
                return "vocab_size", f"vocab_size is {self.vocab_size}: {message}"
            return "text", f"the text's distinct characters are the vocabulary: {message}"
        if field == "model":
            return "gain", f"gain is {self.gain} (scale {self.scale!r}): {message}"
        return field, message


class PhaseRequest(ExploreRequest):
    gains: list[float] = Field(
        [0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3, 1.5],
        min_length=1,
        max_length=25,
        description="largest singular values (or spectral radii) to sweep, each in (0, 10]",
    )
    distance: int = Field(50, ge=1, description="steps between the hidden state and the loss")

    @field_validator("gains")
    @classmethod
    def positive(cls, gains: list[float]) -> list[float]:
        bad = [g for g in gains if not 0 < g <= 10]
        if bad:
            raise ValueError(f"gains {bad} are outside (0, 10]")
        return gains

    def engine_error(self, field: str, message: str) -> tuple[str, str]:
        """As for an exploration, but the sweep reads `distance + 1` random characters (never
        `text`) and scales W_hh by each of `gains`."""
        if field == "text":
            reads = self.distance + 1
            return "distance", f"distance is {self.distance} ({reads} characters read): {message}"
        if field == "vocab":
            return "vocab_size", f"vocab_size is {self.vocab_size}: {message}"
        if field == "model":
            return "gains", f"gains reach {max(self.gains)}: {message}"
        return super().engine_error(field, message)


class BlockOut(BaseModel):
    gate: str = Field(description="'h' for the vanilla RNN, else the gate of this W_hh block")
    sigma_max: float = Field(description="largest singular value of the block")
    spectral_radius: float = Field(description="largest |eigenvalue| of the block")


class JacobianOut(BaseModel):
    distance: list[int] = Field(description="distances d where the factor was measured")
    log10: LogNorms = Field(
        description="log10 ||diag(act'(a_s)) W_hh||_2 at s = L - d (null: exactly zero)"
    )


class ClippingOut(BaseModel):
    log10_norm: float | None = Field(
        description="log10 ||g|| of the whole parameter gradient (null: exactly zero)"
    )
    threshold: float = Field(description="norm clipping threshold")
    norm_clipped: bool = Field(description="||g|| >= threshold: norm clipping rescaled g")
    norm_after: float = Field(description="||g|| after norm clipping (threshold if it applied)")
    value: float = Field(description="element-wise clipping bound")
    value_clipped_fraction: float = Field(description="share of entries clipped element-wise")
    value_norm_after: float = Field(description="||clip(g, -value, value)||")
    value_cosine: float | None = Field(
        description="cos(clip(g), g): 1 keeps the direction (null: g is exactly zero)"
    )


class CellOut(BaseModel):
    cell: Cell = Field(description="which cell")
    grad_h: LogNorms = Field(description="log10 ||dL/dh_{L-d}|| for d = 0..T-1 (index = d)")
    grad_c: LogNorms | None = Field(description="log10 ||dL/dc_{L-d}||, LSTMs only")
    cell_path: LogNorms | None = Field(
        description="log10 max_j prod_{s=L-d+1..L} f_s[j]: the cell-state path, LSTMs only"
    )
    bound: LogNorms | None = Field(
        description="grad_h[0] + d log10(sigma_max): Pascanu et al. 2013's bound, RNN only"
    )
    blocks: list[BlockOut] = Field(description="W_hh per gate block")
    jacobian: JacobianOut | None = Field(description="per-step Jacobian factor, RNN only")
    clipping: ClippingOut = Field(description="the last loss's update, clipped two ways")


class ExploreResponse(BaseModel):
    text: str = Field(description="the T + 1 characters read; the last is the target")
    vocab: list[str] = Field(description="the models' vocabulary")
    steps: int = Field(description="T")
    results: list[CellOut] = Field(description="one per requested cell, in order")


class PhaseCellOut(BaseModel):
    cell: Cell = Field(description="which cell")
    log10: LogNorms = Field(description="log10 ||dL/dh|| at the distance, per gain")


class PhaseResponse(BaseModel):
    gains: list[float] = Field(description="the gains swept")
    distance: int = Field(description="steps between the hidden state and the loss")
    scale: Literal["sigma", "radius"] = Field(description="what each gain set")
    results: list[PhaseCellOut] = Field(description="one per requested cell")
