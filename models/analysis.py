"""What the internals explorer computes about a model reading a text, beyond the trace.

    connectivity   log10 || d logit_t[k_t] / d x_s || for every s <= t (`connectivity.py`)
    saturation     per gate unit, the fraction of steps it is left-saturated (< 0.1) and
                   right-saturated (> 0.9), as Karpathy, Johnson & Fei-Fei (2015) plot them
    features       per-character features of the text (`features.py`)
    correlations   Pearson r of each unit's h_t (and c_t) with each feature over the text

    r = sum_t (a_t - mean a)(b_t - mean b) / sqrt(sum_t (a_t - mean a)^2 sum_t (b_t - mean b)^2)

r is undefined (NaN) when either series is constant, e.g. a text without quotes.

Character models only: the features and connectivity's targets are per character, so a word
model (input "embedding") is refused (`check_analysable`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.connectivity import connectivity, connectivity_targets
from models.features import text_features
from models.network import Network
from models.spec import Limits, ModelSpec, SpecError

SATURATED_LOW, SATURATED_HIGH = 0.1, 0.9
SATURATION_GATES: dict[str, tuple[str, ...]] = {  # the sigmoid gates; g and n are tanh
    "rnn": (),
    "lstm": ("i", "f", "o"),
    "peephole": ("i", "f", "o"),
    "gru": ("r", "z"),
}


@dataclass(frozen=True)
class GateSaturation:
    left: np.ndarray  # (H,) fraction of steps with gate < 0.1
    right: np.ndarray  # (H,) fraction of steps with gate > 0.9


@dataclass(frozen=True)
class LayerCorrelations:
    h: dict[str, np.ndarray]  # feature -> (H,) r of each unit's h_t, NaN where undefined
    c: dict[str, np.ndarray] | None  # the same for c_t (LSTM only)


@dataclass(frozen=True)
class Analysis:
    logit: list[str]  # (T) the character whose logit row t differentiates
    connectivity: list[np.ndarray]  # T rows; row t: (t + 1,) log10 norms, -inf if exactly 0
    saturation: list[dict[str, GateSaturation]]  # per layer: gate -> fractions
    features: dict[str, np.ndarray]  # name -> (T,)
    correlations: list[LayerCorrelations]  # per layer


def saturation(gates: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, GateSaturation]:
    """Fractions of steps each unit of each named gate (T, H) spends below 0.1 and above 0.9."""
    return {
        name: GateSaturation(
            left=(gates[name] < SATURATED_LOW).mean(axis=0),
            right=(gates[name] > SATURATED_HIGH).mean(axis=0),
        )
        for name in names
    }


def pearson(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """r of each column of `states` (T, H) with `feature` (T,): (H,), NaN where undefined."""
    a = states - states.mean(axis=0)  # (T, H)
    b = feature - feature.mean()  # (T,)
    constant = (np.ptp(states, axis=0) == 0.0) | (np.ptp(feature) == 0.0)  # (H,)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (b @ a) / np.sqrt((a**2).sum(axis=0) * (b @ b))
    return np.where(constant, np.nan, np.clip(r, -1.0, 1.0))


def correlations(
    states: np.ndarray, cells: np.ndarray | None, features: dict[str, np.ndarray]
) -> LayerCorrelations:
    return LayerCorrelations(
        h={name: pearson(states, series) for name, series in features.items()},
        c=None
        if cells is None
        else {name: pearson(cells, series) for name, series in features.items()},
    )


def check_analysable(spec: ModelSpec) -> None:
    """Refuse (field `analysis`) a model whose steps are not characters."""
    if spec.input != "one_hot":
        reads = "numbers" if spec.input == "real" else "words"
        raise SpecError(
            "analysis",
            f"analysis is for character models; this model reads {reads} (input "
            f"{spec.input!r}), and the text features and connectivity are per character: leave "
            "out analysis",
        )


def analyse(net: Network, text: str, limits: Limits | None = None) -> Analysis:
    """Everything above for `net` reading `text` (same checks on the text as the trace)."""
    check_analysable(net.spec)
    indices = net.encode(text, limits)  # (T,)
    records, logits = net.forward(indices)
    targets = connectivity_targets(net, text, logits)  # (T,)
    features = text_features(text)
    return Analysis(
        logit=[net.spec.output_labels[k] for k in targets],
        connectivity=connectivity(net, records, targets),
        saturation=[saturation(rec.gates, SATURATION_GATES[net.spec.cell]) for rec in records],
        features=features,
        correlations=[correlations(rec.h, rec.c, features) for rec in records],
    )
