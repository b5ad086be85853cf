"""The gradient-vanishing explorer: how far back does the gradient of the last loss reach?

A randomly initialised one-layer model (RNN, LSTM or GRU) reads T characters; the loss L is the
cross-entropy of the last step's prediction only. For every distance d = 0 .. T-1 from that
step (h_{L-d}, with L = T-1 the last step) it measures

    grad_h(d) = log10 ||dL / dh_{L-d}||

exactly at any magnitude (the driver of `network.py`: its scaled backward pass, given
dL/dlogits = softmax(logits_{T-1}) - onehot(target) at the last step and zero elsewhere, never
underflows float64), and shows why it vanishes or explodes:

- vanilla RNN: the per-step Jacobian factor ||dh_s/dh_{s-1}||_2 = ||diag(act'(a_s)) W_hh||_2,
  W_hh's largest singular value sigma_max and spectral radius rho, and the bound of Pascanu,
  Mikolov & Bengio (2013), ||dh_L/dh_t|| <= (gamma sigma_max)^(L-t) with gamma = 1 for tanh and
  relu, drawn over the measured curve as grad_h(0) + d log10(sigma_max);
- LSTM: the cell-state path dc_L/dc_t = prod_{s=t+1..L} diag(f_s) (the "constant error
  carousel"), as log10 of its largest entry, beside the hidden path;
- every cell: the parameter gradient of L and what norm clipping (Pascanu et al. 2013: rescale
  to the threshold when ||g|| >= threshold) and element-wise clipping (min-char-rnn: clip every
  entry to [-v, v]) make of that update.

The recurrent matrix is initialised per gate block (each H x H chunk of W_hh): PyTorch's
default uniform, orthogonal, or the identity (Le et al. 2015's IRNN, with zero biases), then
optionally rescaled so that each block's largest singular value or spectral radius is `gain`.
An initialisation and its blocks' measures are kept (`initial_weights`): moving the gain only
rescales, with no new draw and no new decomposition.
"""

from __future__ import annotations

import math
import string
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np

from models.cells import LayerGradients, LayerRecord
from models.network import Network
from models.spec import (
    GATE_NAMES,
    GATES_PER_CELL,
    Cell,
    Limits,
    ModelSpec,
    Nonlinearity,
    SpecError,
    has_cell_state,
    make_spec,
)
from models.trace import log_softmax

Init = Literal["default", "orthogonal", "identity"]
Scaling = Literal["none", "sigma", "radius"]
RANDOM_ALPHABET = string.ascii_lowercase
JACOBIAN_POINTS = 64  # per-step Jacobian norms are measured at most at this many steps
INITIAL_WEIGHTS_CACHED = 32  # initialisations kept: a dragged gain slider reuses one


@dataclass(frozen=True)
class ExploreConfig:
    cells: tuple[Cell, ...] = ("rnn", "lstm", "gru")
    steps: int = 200  # T: characters read; the loss is at the last one
    hidden_size: int = 64
    init: Init = "default"  # W_hh blocks: PyTorch's uniform, orthogonal, or identity (IRNN)
    scale: Scaling = "none"  # rescale each block to sigma_max = gain or spectral radius = gain
    gain: float = 1.0
    nonlinearity: Nonlinearity = "tanh"  # vanilla RNN only
    forget_bias: float = 1.0  # LSTMs: b_if + b_hf, the forget gate's total bias
    text: str | None = None  # a real text to read (its characters are the vocabulary)
    vocab_size: int = 16  # random characters when there is no text
    seed: int = 0
    clip_norm: float = 1.0  # threshold of norm clipping
    clip_value: float = 5.0  # bound of element-wise clipping


@dataclass(frozen=True)
class BlockStats:
    gate: str  # "h" for the vanilla RNN, else the gate of this W_hh chunk
    sigma_max: float  # largest singular value
    spectral_radius: float  # largest |eigenvalue|


@dataclass(frozen=True)
class Clipping:
    log10_norm: float  # log10 ||g|| of the whole parameter gradient; -inf if exactly zero
    threshold: float  # norm clipping threshold
    norm_clipped: bool  # ||g|| >= threshold, so norm clipping rescaled g
    norm_after: float  # ||g|| after norm clipping (= threshold when it applied)
    value: float  # element-wise bound
    value_clipped_fraction: float  # share of entries element-wise clipping changed
    value_norm_after: float  # ||clip(g, -value, value)||
    value_cosine: float | None  # cos(clip(g), g): 1 keeps the direction; None if g = 0


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    grad_h: np.ndarray  # (T,) log10 ||dL/dh_{L-d}|| at distance d; -inf where exactly zero
    grad_c: np.ndarray | None  # (T,) log10 ||dL/dc_{L-d}||, LSTM
    cell_path: np.ndarray | None  # (T,) log10 max_j prod_{s=L-d+1..L} f_s[j], LSTM
    blocks: list[BlockStats]
    bound: np.ndarray | None  # (T,) grad_h(0) + d log10(sigma_max), RNN
    jacobian_distance: np.ndarray | None  # (K,) distances d where the factor is measured, RNN
    jacobian_log10: np.ndarray | None  # (K,) log10 ||diag(act'(a_s)) W_hh||_2, s = L - d, RNN
    clipping: Clipping


@dataclass(frozen=True)
class Exploration:
    config: ExploreConfig
    text: str  # the T + 1 characters read (the last one is the target)
    vocab: tuple[str, ...]
    results: list[CellResult]


def input_text(config: ExploreConfig) -> tuple[str, tuple[str, ...]]:
    """The characters read (T + 1 of them: the last is the target) and the vocabulary."""
    if config.text is not None:
        if len(config.text) < 2:
            raise SpecError("text", f"text has {len(config.text)} characters; it needs at least 2")
        return config.text, tuple(sorted(set(config.text)))
    if not 2 <= config.vocab_size <= len(RANDOM_ALPHABET):
        raise SpecError(
            "vocab_size",
            f"vocab_size is {config.vocab_size}; it must be between 2 and {len(RANDOM_ALPHABET)}",
        )
    vocab = tuple(RANDOM_ALPHABET[: config.vocab_size])
    rng = np.random.default_rng(config.seed)
    return "".join(rng.choice(vocab, size=config.steps + 1)), vocab


def sigma_max(block: np.ndarray) -> float:
    return float(np.linalg.norm(block, ord=2))


def spectral_radius(block: np.ndarray) -> float:
    return float(np.abs(np.linalg.eigvals(block)).max())


def orthogonal(size: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random orthogonal matrix (QR of a Gaussian, signs fixed), as
    `torch.nn.init.orthogonal_` draws it."""
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class InitialWeights:
    """A model's weights as drawn, before W_hh is scaled, and each W_hh block's measures.

    The arrays are read-only: one initialisation serves every gain of a slider drag.
    """

    weights: dict[str, np.ndarray]
    sigma_max: np.ndarray  # (G,) largest singular value of each H x H block of W_hh
    spectral_radius: np.ndarray  # (G,) largest |eigenvalue| of each block


@lru_cache(maxsize=INITIAL_WEIGHTS_CACHED)
def initial_weights(
    cell: Cell, shapes: tuple[tuple[str, tuple[int, ...]], ...], init: Init, seed: int
) -> InitialWeights:
    """Every tensor of `shapes` (name, shape) drawn from U(-1/sqrt(H), 1/sqrt(H)), then W_hh's
    blocks replaced as `init` asks (orthogonal, or the identity); with each block's measures.

    The distribution is the one `torch.nn.RNN/LSTM/GRU` and the readout's `nn.Linear(H, V)`
    start from, drawn by a NumPy generator seeded with `seed`: torch's global generator is
    shared by every thread of a server, so two requests seeding it at once would get each
    other's weights.
    """
    hidden_size = dict(shapes)["weight_hh_l0"][1]
    rng = np.random.default_rng(seed)
    bound = 1.0 / math.sqrt(hidden_size)
    weights = {name: rng.uniform(-bound, bound, shape) for name, shape in shapes}
    w_hh = weights["weight_hh_l0"]  # (G*H, H)
    blocks_rng = np.random.default_rng(seed)
    blocks = []
    for block in np.split(w_hh, GATES_PER_CELL[cell]):  # G blocks of (H, H)
        if init == "orthogonal":
            block = orthogonal(hidden_size, blocks_rng)
        elif init == "identity":
            block = np.eye(hidden_size)
        blocks.append(block)
    weights["weight_hh_l0"] = np.vstack(blocks)
    for array in weights.values():
        array.flags.writeable = False
    return InitialWeights(
        weights,
        np.array([sigma_max(block) for block in blocks]),
        np.array([spectral_radius(block) for block in blocks]),
    )


def drawn_weights(
    cell: Cell, config: ExploreConfig, vocab: tuple[str, ...], limits: Limits
) -> tuple[ModelSpec, InitialWeights]:
    """The model's spec, checked against the limits, and its initialisation (cached)."""
    spec = make_spec(cell, vocab, config.hidden_size, 1, config.nonlinearity, limits)
    shapes = tuple(spec.expected_shapes().items())
    return spec, initial_weights(cell, shapes, config.init, config.seed)


def scale_factors(drawn: InitialWeights, config: ExploreConfig) -> np.ndarray:
    """(G,) the factor each W_hh block is multiplied by: gain / its sigma_max or radius."""
    if config.scale == "none":
        return np.ones(len(drawn.sigma_max))
    current = drawn.sigma_max if config.scale == "sigma" else drawn.spectral_radius
    if not current.all():
        raise SpecError("scale", f"a W_hh block has {config.scale} 0 and cannot be scaled")
    return config.gain / current


def build_network(
    cell: Cell, config: ExploreConfig, vocab: tuple[str, ...], limits: Limits
) -> Network:
    """A one-layer model of `cell`: `initial_weights`, then W_hh scaled as `config` asks."""
    spec, drawn = drawn_weights(cell, config, vocab, limits)
    factors = scale_factors(drawn, config)
    weights = {name: array.copy() for name, array in drawn.weights.items()}
    blocks = np.split(drawn.weights["weight_hh_l0"], len(factors))  # G blocks of (H, H)
    weights["weight_hh_l0"] = np.vstack([b * f for b, f in zip(blocks, factors, strict=True)])
    size = config.hidden_size
    if config.init == "identity":  # IRNN: zero recurrent and input biases
        weights["bias_ih_l0"][:] = 0.0
        weights["bias_hh_l0"][:] = 0.0
    if has_cell_state(cell):  # chunks i|f|g|o: the forget gate's total bias is forget_bias
        weights["bias_ih_l0"][size : 2 * size] = config.forget_bias
        weights["bias_hh_l0"][size : 2 * size] = 0.0
    return Network(spec, weights)


def block_stats(
    cell: Cell, config: ExploreConfig, vocab: tuple[str, ...], limits: Limits
) -> list[BlockStats]:
    """sigma_max and spectral radius of each W_hh block of `build_network`'s model.

    Scaling a matrix by c > 0 scales both by c, so they are the initialisation's measures
    times the block's factor: a dragged gain slider needs no decomposition.
    """
    _, drawn = drawn_weights(cell, config, vocab, limits)
    factors = scale_factors(drawn, config)
    return [
        BlockStats(gate, float(sigma * factor), float(radius * factor))
        for gate, sigma, radius, factor in zip(
            GATE_NAMES[cell] or ("h",), drawn.sigma_max, drawn.spectral_radius, factors, strict=True
        )
    ]


def by_distance(values: np.ndarray, last: int) -> np.ndarray:
    """values[t] for t = last, last-1, ..., 0: index d is distance d from the last step."""
    return values[last::-1].copy()


def cell_path(forget: np.ndarray, last: int) -> np.ndarray:
    """log10 max_j prod_{s=t+1..last} f_s[j] for t = last - d, d = 0..last.  forget: (T+1, H)"""
    with np.errstate(divide="ignore"):
        log_f = np.log10(forget[1 : last + 1])  # (last, H): factors f_1 .. f_last
    suffix = np.cumsum(log_f[::-1], axis=0)  # row d-1: sum_{s=last-d+1..last} log10 f_s
    return np.concatenate([[0.0], suffix.max(axis=1)])  # d = 0 is the empty product


def jacobian_factors(net: Network, h: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances d and log10 ||diag(act'(a_s)) W_hh||_2 at s = last - d (vanilla RNN), from the
    hidden states h (T+1, H).

    Exact spectral norms (largest singular values, one batched SVD), at no more than
    JACOBIAN_POINTS evenly spread steps s >= 1.
    """
    w_hh = net.weights["weight_hh_l0"]  # (H, H)
    relu = net.spec.nonlinearity == "relu"
    distances = np.unique(np.linspace(0, last - 1, min(last, JACOBIAN_POINTS)).round().astype(int))
    states = h[last - distances]  # (K, H) h_s
    slopes = (states > 0).astype(float) if relu else 1.0 - states**2  # (K, H) act'(a_s)
    factors = slopes[:, :, None] * w_hh[None]  # (K, H, H) diag(act'(a_s)) W_hh
    with np.errstate(divide="ignore"):
        return distances, np.log10(np.linalg.norm(factors, ord=2, axis=(1, 2)))


@dataclass(frozen=True)
class LastLoss:
    """One forward and backward pass of a one-layer model, L the last step's cross-entropy."""

    indices: np.ndarray  # (T+1,) the characters read
    record: LayerRecord  # the layer's internals at every step
    d_logits: np.ndarray  # (T+1, V) dL/dlogits_t, zero but at the last step
    grads: LayerGradients  # log10 ||dL/dh_t|| (and ||dL/dc_t||), scaled dL/da_t


def last_loss(net: Network, text: str, limits: Limits) -> LastLoss:
    """Run `net` over `text` and backpropagate L = CE(logits_{T-1}, text[T]):

    dL/dlogits_{T-1} = softmax(logits_{T-1}) - onehot(text[T]), and 0 at every other step.
    """
    indices = net.encode(text, limits)  # (T+1,)
    records, logits = net.forward(indices)  # logits (T+1, V)
    last = len(indices) - 2
    d_logits = np.zeros_like(logits)
    d_logits[last] = np.exp(log_softmax(logits[last])) - np.eye(net.spec.vocab_size)[indices[-1]]
    return LastLoss(indices, records[0], d_logits, net.backward(records, d_logits).layers[0])


def scaled_parameter_gradient(
    net: Network, backprop: LastLoss
) -> tuple[list[np.ndarray], float, list[np.ndarray]]:
    """dL/dtheta as (recurrent tensors) * 10**scale plus (readout tensors) at scale 1.

    With D_t = dL/da_t (rows of the scaled adjoint brought to one common scale):
        dW_ih = sum_t D_t x_t^T,  db_ih = sum_t D_t,
        dW_hh = sum_t D'_t h_{t-1}^T,  db_hh = sum_t D'_t
    where D'_t = D_t, except GRU's candidate chunk, D'_n = D_n * r_t (r applies after W_hn h).
    The readout's gradient never leaves float64's range: dW_y = sum_t dlogits_t h_t^T.
    """
    grads, record = backprop.grads, backprop.record
    scales = grads.d_xp_scale  # (T+1,)
    finite = np.isfinite(scales)
    scale = float(scales[finite].max()) if finite.any() else 0.0
    weight = np.where(finite, 10.0 ** (np.where(finite, scales, scale) - scale), 0.0)
    d_a = grads.d_xp * weight[:, None]  # (T+1, G*H) at 10**scale
    one_hot = np.eye(net.spec.vocab_size)[backprop.indices]  # (T+1, V)
    d_hp = d_a.copy()
    if net.spec.cell == "gru":
        size = net.spec.hidden_size
        d_hp[:, 2 * size :] *= record.gates["r"]
    h_prev = np.vstack([np.zeros((1, record.h.shape[1])), record.h[:-1]])  # (T+1, H)
    recurrent = [d_a.T @ one_hot, d_a.sum(0), d_hp.T @ h_prev, d_hp.sum(0)]
    readout = [backprop.d_logits.T @ record.h, backprop.d_logits.sum(0)]
    return recurrent, scale, readout


def log10_norm(tensors: list[np.ndarray]) -> float:
    """log10 of the 2-norm of all entries, scaled first so that squaring cannot overflow."""
    peak = max(float(np.abs(t).max()) for t in tensors)
    if peak == 0.0:
        return -math.inf
    total = math.sqrt(sum(float(np.sum((t / peak) ** 2)) for t in tensors))
    return math.log10(peak) + math.log10(total)


def clipping(
    recurrent: list[np.ndarray], scale: float, readout: list[np.ndarray], config: ExploreConfig
) -> Clipping:
    """Norm clipping and element-wise clipping of g = (recurrent * 10**scale, readout)."""
    parts = [log10_norm(recurrent) + scale, log10_norm(readout)]
    top = max(parts)
    if top == -math.inf:
        norm = -math.inf
    else:
        norm = top + 0.5 * math.log10(sum(10.0 ** (2 * (p - top)) for p in parts))
    applied = norm >= math.log10(config.clip_norm)
    with np.errstate(over="ignore"):
        values = np.concatenate(
            [np.ravel(t) * 10.0**scale for t in recurrent] + [np.ravel(t) for t in readout]
        )  # entries of g; may be inf where g overflows float64
        unit = (
            np.concatenate(
                [np.ravel(t) * 10.0 ** (scale - norm) for t in recurrent]
                + [np.ravel(t) * 10.0 ** (-norm) for t in readout]
            )
            if norm > -math.inf
            else np.zeros_like(values)
        )  # g / ||g||, always finite
    clipped = np.clip(values, -config.clip_value, config.clip_value)
    clipped_norm = float(np.linalg.norm(clipped))
    cosine = float(clipped @ unit) / clipped_norm if clipped_norm > 0 else None
    return Clipping(
        log10_norm=norm,
        threshold=config.clip_norm,
        norm_clipped=applied,
        norm_after=config.clip_norm if applied else 10.0**norm,
        value=config.clip_value,
        value_clipped_fraction=float(np.mean(np.abs(values) > config.clip_value)),
        value_norm_after=clipped_norm,
        value_cosine=cosine,
    )


def explore_cell(
    cell: Cell,
    config: ExploreConfig,
    text: str,
    vocab: tuple[str, ...],
    limits: Limits,
    beside: Executor,
) -> Future[CellResult]:
    """Trace `cell` and measure everything shown about it. The vanilla RNN's Jacobian factors
    (SVDs in LAPACK, which lets go of the GIL) are left to run in `beside` while the caller
    traces the next cell; the future holds the finished result."""
    net = build_network(cell, config, vocab, limits)
    blocks = block_stats(cell, config, vocab, limits)
    backprop = last_loss(net, text, limits)
    last = len(text) - 2  # the step whose prediction is the loss
    grads = backprop.grads
    grad_h = by_distance(grads.log_h, last)
    recurrent, scale, readout = scaled_parameter_gradient(net, backprop)
    measured = CellResult(
        cell=cell,
        grad_h=grad_h,
        grad_c=by_distance(grads.log_c, last) if grads.log_c is not None else None,
        cell_path=cell_path(backprop.record.gates["f"], last) if has_cell_state(cell) else None,
        blocks=blocks,
        bound=None,
        jacobian_distance=None,
        jacobian_log10=None,
        clipping=clipping(recurrent, scale, readout, config),
    )
    if cell != "rnn":
        finished: Future[CellResult] = Future()
        finished.set_result(measured)
        return finished
    with np.errstate(divide="ignore"):
        bound = grad_h[0] + np.arange(last + 1) * math.log10(blocks[0].sigma_max)

    def with_jacobian() -> CellResult:
        distances, factors = jacobian_factors(net, backprop.record.h, last)
        return replace(measured, bound=bound, jacobian_distance=distances, jacobian_log10=factors)

    return beside.submit(with_jacobian)


def explore(config: ExploreConfig, limits: Limits | None = None) -> Exploration:
    """Measure and explain the gradient of the last step's loss for every cell in `config`.

    Two threads: the RNN's Jacobian factors run beside the other cells' traces, so a request
    takes about the longer of the two instead of their sum.
    """
    limits = limits or Limits()
    if not config.cells:
        raise SpecError("cells", "cells is empty; choose at least one of 'rnn', 'lstm', 'gru'")
    text, vocab = input_text(config)
    with ThreadPoolExecutor(max_workers=1) as beside:
        futures = [explore_cell(cell, config, text, vocab, limits, beside) for cell in config.cells]
        results = [future.result() for future in futures]
    return Exploration(config, text, vocab, results)


def phase_diagram(
    config: ExploreConfig, gains: list[float], distance: int, limits: Limits | None = None
) -> dict[Cell, np.ndarray]:
    """log10 ||dL/dh|| at `distance` steps back, for each cell and each gain (W_hh rescaled to
    that largest singular value, or spectral radius when `config.scale` is "radius").

    Each point reads distance + 1 characters, so the gradient reaches the first hidden state.
    Returns cell -> (len(gains),).
    """
    limits = limits or Limits()
    scale: Scaling = "radius" if config.scale == "radius" else "sigma"
    sweep = replace(config, scale=scale, steps=distance + 1, text=None)
    text, vocab = input_text(sweep)
    out: dict[Cell, np.ndarray] = {}
    for cell in config.cells:
        row = []
        for gain in gains:
            net = build_network(cell, replace(sweep, gain=gain), vocab, limits)
            grad_h = last_loss(net, text, limits).grads.log_h
            row.append(grad_h[len(text) - 2 - distance])
        out[cell] = np.array(row)
    return out
