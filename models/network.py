"""A stacked recurrent model in float64, and the one forward/backward driver every gradient of
`models/` runs through: the trace, the lab's probe and the gradient explorer.

    x_t                                          (I,)   one-hot character, embedded word,
                                                        or real values
    h_t^(0) = cell(x_t, h_{t-1}^(0))             (H,)   layer 0 reads the input
    h_t^(k) = cell(h_t^(k-1), h_{t-1}^(k))       (H,)   layer k reads the layer below
    y_t = W_y h_t^(L-1) + b_y                    (O,)   `readout.weight`, `readout.bias`

The backward pass takes dL/dy_t for every step (the loss is the caller's) and passes it down.
With xp_t^(k) = W_ih^(k) x_t^(k) + b_ih^(k) the projected input of layer k:

    dL/dh_t^(L-1), from outside the recurrence  = W_y^T dL/dy_t
    dL/dxp_t^(k)   = layer k's backward through time (`cells.py`), given what reaches h_t^(k)
    dL/dh_t^(k-1), from outside the recurrence  = W_ih^(k)T dL/dxp_t^(k)
    dL/dx_t                                      = W_ih^(0)T dL/dxp_t^(0)

Every adjoint is held scaled (`scaled.py`): the norms it reports are log10 values, exact far
beyond float64's range, and -inf only where a gradient is exactly zero. `bptt.py` reads the
same adjoints back as plain vectors and adds each weight's gradient, step by step.

A character model (`Network`) reads x_t = onehot(text[t]) and its outputs are logits over the
vocabulary (I = O = V). A series model reads real rows x_t (I = O = features) and its outputs
are its predictions of x_{t+1}. A word model reads x_t = E[id(w_t)], the row of its embedding E
(`embedding.weight`, (V, D)) for the t-th word (I = D); dL/dx_t is then the gradient of the
embedded vector, and dL/dE gathers it in the rows of the words read (`bptt.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.cells import (
    GRULayer,
    Layer,
    LayerGradients,
    LayerRecord,
    LSTMLayer,
    PeepholeLSTMLayer,
    RNNLayer,
)
from models.scaled import log10_norms, scaled_rows
from models.spec import (
    Limits,
    ModelSpec,
    SpecError,
    read_values,
    unknown_characters,
    unknown_words,
    validate_weights,
)


@dataclass(frozen=True)
class Gradients:
    """What the backward pass found for one dL/dy."""

    layers: list[LayerGradients]  # per layer: log10 ||dL/dh_t||, ||dL/dc_t||, scaled dL/dxp_t
    grad_input: np.ndarray  # (T,) log10 ||dL/dx_t||, -inf where exactly zero


class RecurrentStack:
    """Float64 weights (PyTorch names) of stacked RNN/LSTM/GRU layers and their readout, the
    cells built from them, and the forward/backward driver."""

    def __init__(self, cell: str, nonlinearity: str, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = dict(weights)
        num_layers = sum(name.startswith("weight_hh_l") for name in weights)
        self.layers: list[Layer] = [self._layer(cell, nonlinearity, k) for k in range(num_layers)]

    def _layer(self, cell: str, nonlinearity: str, k: int) -> Layer:
        w_hh, b_hh = self.weights[f"weight_hh_l{k}"], self.weights[f"bias_hh_l{k}"]
        if cell == "lstm":
            return LSTMLayer(w_hh, b_hh)
        if cell == "peephole":
            return PeepholeLSTMLayer(w_hh, b_hh, self.weights[f"weight_ch_l{k}"])
        if cell == "gru":
            return GRULayer(w_hh, b_hh)
        return RNNLayer(w_hh, b_hh, nonlinearity)

    def w_ih(self, k: int) -> np.ndarray:
        return self.weights[f"weight_ih_l{k}"]

    def input_projection(self, k: int, below: np.ndarray) -> np.ndarray:
        """W_ih x_t + b_ih for every step of layer k: (T, G*H).

        `below` is what layer k reads: real rows (T, I_k), or one-hot inputs given as their
        indices (T,), whose product with W_ih is a column pick.
        """
        b_ih = self.weights[f"bias_ih_l{k}"]
        if below.ndim == 1:
            return self.w_ih(k).T[below] + b_ih
        return below @ self.w_ih(k).T + b_ih

    def hidden_projection(self, k: int, h: np.ndarray) -> np.ndarray:
        """W_hh h_{t-1} + b_hh for every step of layer k, with h_{-1} = 0: (T, G*H)."""
        h_prev = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])  # (T, H)
        return h_prev @ self.weights[f"weight_hh_l{k}"].T + self.weights[f"bias_hh_l{k}"]

    def forward(self, inputs: np.ndarray) -> tuple[list[LayerRecord], np.ndarray]:
        """Run every layer over `inputs`, one-hot indices (T,) or rows (T, I); return the layer
        records and the readout's outputs y_t (T, O)."""
        records: list[LayerRecord] = []
        below = inputs
        for k, layer in enumerate(self.layers):
            xp = self.input_projection(k, below)  # (T, G*H)
            with np.errstate(over="ignore", invalid="ignore"):
                record = layer.forward(xp)
            if not np.isfinite(record.h).all():  # only a relu RNN's state is unbounded
                step = int(np.argmin(np.isfinite(record.h).all(axis=1)))
                raise SpecError(
                    "model",
                    f"layer {k}'s hidden state overflowed float64 at step {step}; "
                    "the recurrent weights are too large for a relu RNN over this input",
                )
            records.append(record)
            below = record.h
        outputs = below @ self.weights["readout.weight"].T + self.weights["readout.bias"]  # (T, O)
        return records, outputs

    def backward(self, records: list[LayerRecord], d_outputs: np.ndarray) -> Gradients:
        """Backpropagate dL/dy_t (T, O) through the readout and every layer (module docstring)."""
        rows, scales = scaled_rows(d_outputs @ self.weights["readout.weight"])  # (T, H), top
        layers: list[LayerGradients] = []
        for k in reversed(range(len(self.layers))):
            grads = self.layers[k].backward(records[k], rows, scales)
            layers.insert(0, grads)
            rows, scales = grads.d_xp @ self.w_ih(k), grads.d_xp_scale  # (T, I_k): dL/dx_t^(k)
        return Gradients(layers, log10_norms(rows, scales))


class Network(RecurrentStack):
    """A character or word model: the validated float64 weights of a model spec. It reads the
    characters of a text, or its words (`ModelSpec.tokens`)."""

    def __init__(self, spec: ModelSpec, tensors: Mapping[str, np.ndarray]) -> None:
        super().__init__(spec.cell, spec.nonlinearity, validate_weights(spec, tensors))
        self.spec = spec
        self.char_index = {token: k for k, token in enumerate(spec.vocab)}  # character or word

    def encode(self, text: str, limits: Limits | None = None) -> np.ndarray:
        """Token indices of `text` into the vocabulary, (T,), or a series model's values (T, I);
        errors name the characters, words or numbers and the limit."""
        limits = limits or Limits()
        if not text:
            raise SpecError("text", "text is empty; it needs at least 1 character")
        if self.spec.input == "embedding":
            return self.encode_words(text, limits)
        if self.spec.input == "real":
            return self.encode_values(text, limits)
        if len(text) > limits.max_text_chars:
            raise SpecError(
                "text", f"text has {len(text)} characters; the limit is {limits.max_text_chars}"
            )
        if error := unknown_characters("text", text, self.spec.vocab):
            raise error
        return np.array([self.char_index[ch] for ch in text], dtype=np.int64)

    def encode_words(self, text: str, limits: Limits) -> np.ndarray:
        """Word indices of `text`'s tokens (`tokenize`), (T,)."""
        tokens = self.spec.tokens(text)
        if not tokens:
            raise SpecError(
                "text", "text has no words; it needs at least 1 word or punctuation mark"
            )
        if len(tokens) > limits.max_text_chars:
            raise SpecError(
                "text", f"text has {len(tokens)} words; the limit is {limits.max_text_chars}"
            )
        if error := unknown_words("text", tokens, self.spec.vocab):
            raise error
        return np.array([self.char_index[token] for token in tokens], dtype=np.int64)

    def encode_values(self, text: str, limits: Limits) -> np.ndarray:
        """A series model's values (T, I): `read_values`."""
        values = read_values(text, self.spec.input_size)[1]
        if not len(values):
            raise SpecError("text", "text has no numbers; it needs at least 1 step")
        if len(values) > limits.max_text_chars:
            raise SpecError(
                "text", f"text has {len(values)} steps; the limit is {limits.max_text_chars}"
            )
        return values

    def inputs(self, indices: np.ndarray) -> np.ndarray:
        """What layer 0 reads for token indices (T,): the indices themselves, one-hot inputs
        (`input_projection`), or for a word model the embedded rows E[indices], (T, D). A
        series model's `encode` gives its rows (T, I), read as they are."""
        if self.spec.input == "embedding":
            return self.weights["embedding.weight"][indices]
        return indices
