"""A stacked character model in float64: one-hot input, 1-3 recurrent layers, linear readout.

    x_t = onehot(text[t])                        (V,)
    h_t^(0) = cell(x_t, h_{t-1}^(0))             (H,)   layer 0 reads the character
    h_t^(k) = cell(h_t^(k-1), h_{t-1}^(k))       (H,)   layer k reads the layer below
    logits_t = W_y h_t^(L-1) + b_y               (V,)   `readout.weight`, `readout.bias`
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from models.cells import GRULayer, Layer, LayerRecord, LSTMLayer, RNNLayer
from models.spec import Limits, ModelSpec, SpecError, validate_weights


class Network:
    """Validated float64 weights of a model spec, with the cells built from them."""

    def __init__(self, spec: ModelSpec, tensors: Mapping[str, np.ndarray]) -> None:
        self.spec = spec
        self.weights = validate_weights(spec, tensors)
        self.layers: list[Layer] = [self._layer(k) for k in range(spec.num_layers)]
        self.char_index = {ch: k for k, ch in enumerate(spec.vocab)}

    def _layer(self, k: int) -> Layer:
        w_hh, b_hh = self.weights[f"weight_hh_l{k}"], self.weights[f"bias_hh_l{k}"]
        if self.spec.cell == "lstm":
            return LSTMLayer(w_hh, b_hh)
        if self.spec.cell == "gru":
            return GRULayer(w_hh, b_hh)
        return RNNLayer(w_hh, b_hh, self.spec.nonlinearity)

    def w_ih(self, k: int) -> np.ndarray:
        return self.weights[f"weight_ih_l{k}"]

    def encode(self, text: str, limits: Limits | None = None) -> np.ndarray:
        """Character indices of `text`, (T,); errors name the characters and the limit."""
        limits = limits or Limits()
        if not text:
            raise SpecError("text", "text is empty; it needs at least 1 character")
        if len(text) > limits.max_text_chars:
            raise SpecError(
                "text", f"text has {len(text)} characters; the limit is {limits.max_text_chars}"
            )
        unknown = sorted(set(text) - set(self.char_index))
        if unknown:
            raise SpecError(
                "text",
                f"text has character(s) {unknown[:20]!r} that are not in the model's vocabulary "
                f"{list(self.spec.vocab)!r}",
            )
        return np.array([self.char_index[ch] for ch in text], dtype=np.int64)

    def input_projection(self, k: int, below: np.ndarray) -> np.ndarray:
        """W_ih x_t + b_ih for every step of layer k: (T, G*H).

        Layer 0 reads character indices (T,), whose one-hot product is a column pick;
        layer k > 0 reads the hidden states of the layer below (T, H).
        """
        b_ih = self.weights[f"bias_ih_l{k}"]
        if k == 0:
            return self.w_ih(0).T[below] + b_ih
        return below @ self.w_ih(k).T + b_ih

    def hidden_projection(self, k: int, h: np.ndarray) -> np.ndarray:
        """W_hh h_{t-1} + b_hh for every step of layer k, with h_{-1} = 0: (T, G*H)."""
        h_prev = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])  # (T, H)
        return h_prev @ self.weights[f"weight_hh_l{k}"].T + self.weights[f"bias_hh_l{k}"]

    def forward(self, indices: np.ndarray) -> tuple[list[LayerRecord], np.ndarray]:
        """Run every layer over the sequence; return the layer records and logits (T, V)."""
        records: list[LayerRecord] = []
        below = indices
        for k, layer in enumerate(self.layers):
            xp = self.input_projection(k, below)  # (T, G*H)
            with np.errstate(over="ignore", invalid="ignore"):
                record = layer.forward(xp)
            if not np.isfinite(record.h).all():
                step = int(np.argmin(np.isfinite(record.h).all(axis=1)))
                raise SpecError(
                    "model",
                    f"layer {k}'s hidden state overflowed float64 at step {step}; "
                    "the recurrent weights are too large for a relu RNN over this text",
                )
            records.append(record)
            below = record.h
        logits = below @ self.weights["readout.weight"].T + self.weights["readout.bias"]  # (T, V)
        return records, logits
