"""Schema of the trace analysis (`"analysis": true` on `/api/trace`): what `/explore` shows
beyond the trace, computed by `models/analysis.py`."""

from __future__ import annotations

from pydantic import BaseModel, Field

Series = list[float | None]


class Connectivity(BaseModel):
    logit: list[str] = Field(
        description=(
            "(T) the character whose logit row t differentiates: the target text[t+1], or "
            "the model's top prediction at the last step (which has no target)"
        )
    )
    log10: list[Series] = Field(
        description=(
            "ragged, T rows; row t has t+1 entries, s = 0..t: log10 || d logit_t[logit[t]] / "
            "d x_s ||_2, x_s the one-hot input at step s (Madsen, 'Visualizing memorization "
            "in RNNs', Distill 2019); null where the gradient is exactly zero. Values may lie "
            "far outside float64's range (e.g. -500) and stay exact. The article colours each "
            "row divided by its own maximum, linearly: 10**(log10[t][s] - max_s log10[t][s]), "
            "mapped onto the middle of the Viridis scale (0.29 to 0.67)"
        )
    )


class GateSaturationOut(BaseModel):
    left: list[float] = Field(description="(H) fraction of steps with the gate < 0.1, per unit")
    right: list[float] = Field(description="(H) fraction of steps with the gate > 0.9, per unit")


class LayerCorrelationsOut(BaseModel):
    h: dict[str, Series] = Field(
        description=(
            "feature name -> (H) Pearson r of each unit's h_t with the feature over the text; "
            "null where undefined (the unit or the feature is constant over the text)"
        )
    )
    c: dict[str, Series] | None = Field(
        description="the same for the cell state c_t; LSTMs only, else null"
    )


class AnalysisOut(BaseModel):
    connectivity: Connectivity = Field(
        description="how strongly each earlier character drives each step's prediction"
    )
    saturation: list[dict[str, GateSaturationOut]] = Field(
        description=(
            "(L) per layer, per sigmoid gate (LSTM i f o; GRU r z; RNN: an empty object): the "
            "fractions of steps each unit is left- (< 0.1) and right-saturated (> 0.9), as in "
            "Karpathy, Johnson & Fei-Fei, 'Visualizing and understanding recurrent networks' "
            "(2015)"
        )
    )
    features: dict[str, list[float]] = Field(
        description=(
            "per-character features of the text, (T) each, the state after reading character "
            "t: 'in_quotes' (1 inside a string: its opening quote is 1, its closing quote 0), "
            "'bracket_depth' (open ( [ { outside strings; '(' is 1, its ')' 0), "
            "'line_position' (the column of character t, 0 first; a newline's column is its "
            "line's length). An apostrophe after a letter or digit opens no string; '#' "
            "outside a string starts a comment to the end of the line"
        )
    )
    correlations: list[LayerCorrelationsOut] = Field(
        description="(L) per layer: unit-feature correlations, to find interpretable units"
    )
