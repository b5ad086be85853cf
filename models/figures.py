"""The explorer's charts as Plotly `Figure`s, for a notebook: trace a text, then `.show()`.

    from models.zoo import load_zoo
    from models.trace import trace
    from models.analysis import analyse
    from models import figures

    model = load_zoo()["brackets-lstm"]
    result = trace(model.net, model.sample)
    figures.hidden_heatmap(result).show()

Each function takes a `Trace` (and an `Analysis` where it needs one) and returns a new figure
holding exactly the numbers it was given. Colour scales are colour-blind safe: a diverging
purple-orange for signed states, Viridis for values in [0, 1].
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.analysis import Analysis
from models.trace import Trace

DIVERGING = "PuOr"  # signed values around 0 (h_t, c_t)
SEQUENTIAL = "Viridis"  # values in [0, 1] (gates, probabilities)
MADSEN_RANGE = (0.29, 2 / 3)  # the part of Viridis the Distill article colours with


def shown(char: str) -> str:
    """A character as a label: whitespace made visible."""
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(char, char)


def step_labels(result: Trace) -> list[str]:
    return [f"{t}:{shown(ch)}" for t, ch in enumerate(result.tokens)]


def hidden_heatmap(result: Trace, layer: int = 0, state: str = "h") -> go.Figure:
    """Units x time heatmap of h_t (state="h") or the LSTM's c_t (state="c")."""
    values = result.layers[layer].h if state == "h" else result.layers[layer].c
    if values is None:
        raise ValueError(f"layer {layer} has no {state!r} state (c_t is the LSTM's only)")
    figure = go.Figure(
        go.Heatmap(
            z=values.T,  # (H, T)
            x=step_labels(result),
            y=[f"unit {j}" for j in range(values.shape[1])],
            colorscale=DIVERGING,
            zmid=0.0,
            colorbar={"title": f"{state}_t"},
        )
    )
    figure.update_layout(title=f"layer {layer}: {state}_t", xaxis_title="step: input character")
    return figure


def gates_heatmap(result: Trace, layer: int = 0) -> go.Figure:
    """One units x time heatmap per gate (LSTM i f g o, GRU r z n), post-activation."""
    gates = result.layers[layer].gates
    if not gates:
        raise ValueError("a vanilla RNN has no gates")
    figure = make_subplots(rows=len(gates), cols=1, shared_xaxes=True, subplot_titles=list(gates))
    for row, (name, values) in enumerate(gates.items(), start=1):
        tanh_gate = name in ("g", "n")  # candidates are tanh, in [-1, 1]
        figure.add_trace(
            go.Heatmap(
                z=values.T,  # (H, T)
                x=step_labels(result),
                y=[f"unit {j}" for j in range(values.shape[1])],
                name=name,
                colorscale=DIVERGING if tanh_gate else SEQUENTIAL,
                zmin=-1.0 if tanh_gate else 0.0,
                zmax=1.0,
                showscale=row == 1,
            ),
            row=row,
            col=1,
        )
    figure.update_layout(title=f"layer {layer}: gates", height=220 * len(gates))
    return figure


def top_k(result: Trace, step: int, vocab: tuple[str, ...] | list[str], k: int = 5) -> go.Figure:
    """The k most likely next characters at `step`, with the target marked in the title."""
    assert result.probs is not None, "a series model has no next-token distribution"
    probs = result.probs[step]  # (V,)
    best = np.argsort(-probs, kind="stable")[:k]
    figure = go.Figure(
        go.Bar(x=[shown(vocab[i]) for i in best], y=probs[best], marker={"color": probs[best]})
    )
    target = result.targets[step]
    title = f"step {step}: after {shown(result.tokens[step])!r}, target "
    figure.update_layout(
        title=title + (repr(shown(target)) if target is not None else "none"),
        yaxis={"title": "probability", "range": [0, 1]},
    )
    return figure


def gradient_norms(result: Trace, cursor: int | None = None) -> go.Figure:
    """log10 of every per-step gradient norm. The axis holds log10 values, not the norms on a
    log axis: a norm of 10^-400 has no float64 to plot, its log10 does. An exactly zero
    gradient leaves a gap."""
    figure = go.Figure()
    steps = np.arange(len(result.tokens))

    def add(name: str, values: np.ndarray) -> None:
        finite = np.where(np.isfinite(values), values, np.nan)  # -inf (exactly 0) -> gap
        figure.add_trace(go.Scatter(x=steps, y=finite, mode="lines+markers", name=name))

    for k, layer in enumerate(result.layers):
        add(f"||dL/dh_t|| layer {k}", layer.grad_h)
        if layer.grad_c is not None:
            add(f"||dL/dc_t|| layer {k}", layer.grad_c)
    add("||dL/dx_t||", result.grad_input)
    if cursor is not None:
        figure.add_vline(x=cursor, line_dash="dot")
    figure.update_layout(
        title=f"gradient norms (loss: {result.loss_mode})",
        xaxis_title="step",
        yaxis_title="log10 norm",
    )
    return figure


def madsen_normalised(row: np.ndarray) -> np.ndarray:
    """A connectivity row (log10) divided by its maximum, as the Distill article colours it:
    10**(log10 - max log10), in [0, 1]; an exactly zero gradient (-inf) is 0."""
    if not np.isfinite(row).any():
        return np.zeros_like(row)
    return 10.0 ** (row - row[np.isfinite(row)].max())


def connectivity(analysis: Analysis, tokens: list[str], cursor: int) -> go.Figure:
    """How strongly each character up to `cursor` drives the logit of analysis.logit[cursor],
    normalised per row as Madsen's article does (hover shows the raw log10)."""
    row = analysis.connectivity[cursor]  # (cursor + 1,) log10
    normalised = madsen_normalised(row)
    low, high = MADSEN_RANGE
    figure = go.Figure(
        go.Bar(
            x=[f"{s}:{shown(tokens[s])}" for s in range(cursor + 1)],
            y=normalised,
            customdata=np.where(np.isfinite(row), row, np.nan),
            hovertemplate="%{x}: %{y:.3g} of the row's maximum, log10 %{customdata:.3f}",
            marker={
                "color": low + normalised * (high - low),
                "colorscale": SEQUENTIAL,
                "cmin": 0.0,
                "cmax": 1.0,
            },
        )
    )
    figure.update_layout(
        title=f"connectivity at step {cursor}: d logit[{shown(analysis.logit[cursor])!r}] / d x_s",
        yaxis={"title": "relative to the row's maximum", "range": [0, 1]},
    )
    return figure


def saturation_scatter(analysis: Analysis, layer: int = 0) -> go.Figure:
    """Each gate unit at (fraction of steps < 0.1, fraction > 0.9), as Karpathy et al. plot it."""
    figure = go.Figure()
    for name, gate in analysis.saturation[layer].items():
        units = np.arange(len(gate.left))
        figure.add_trace(
            go.Scatter(
                x=gate.left,
                y=gate.right,
                mode="markers",
                name=f"{name} gate",
                customdata=units,
                hovertemplate="unit %{customdata}: left %{x:.2f}, right %{y:.2f}",
            )
        )
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[1, 0], mode="lines", line={"dash": "dot"}, showlegend=False)
    )
    figure.update_layout(
        title=f"layer {layer}: gate saturation",
        xaxis={"title": "fraction left-saturated (< 0.1)", "range": [0, 1]},
        yaxis={"title": "fraction right-saturated (> 0.9)", "range": [0, 1]},
    )
    return figure
