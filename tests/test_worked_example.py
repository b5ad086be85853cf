"""The lecture's worked example, by hand: vocabulary h e l o, 3 hidden units, our own weights."""

from __future__ import annotations

import math

import numpy as np

from models.network import Network
from models.spec import make_spec
from models.trace import trace

VOCAB = ["h", "e", "l", "o"]
W_XH = [[0.3, -0.1, 0.5, 0.0], [-0.4, 0.2, 0.1, 0.6], [0.2, 0.7, -0.3, 0.1]]  # (3, 4)
W_HH = [[0.1, -0.2, 0.0], [0.4, 0.1, -0.3], [0.0, 0.5, 0.2]]  # (3, 3)
B = [0.1, 0.0, -0.1]  # (3,)
W_HY = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.0], [0.0, -1.0, 1.0], [-0.5, 0.2, 0.3]]  # (4, 3)


def network() -> Network:
    spec = make_spec("rnn", VOCAB, 3)
    tensors = {
        "weight_ih_l0": np.array(W_XH),
        "weight_hh_l0": np.array(W_HH),
        "bias_ih_l0": np.array(B),
        "readout.weight": np.array(W_HY),
    }
    return Network(spec, tensors)


def test_first_two_steps_by_hand():
    result = trace(network(), "hello")
    # Step 1 reads 'h' = [1, 0, 0, 0]; h_0 = 0, so h_1 = tanh(W_xh x_1 + b) = tanh(W_xh[:, 0] + b).
    h1 = [math.tanh(0.3 + 0.1), math.tanh(-0.4 + 0.0), math.tanh(0.2 - 0.1)]
    np.testing.assert_allclose(result.layers[0].h[0], h1, rtol=0, atol=1e-15)
    # Step 2 reads 'e' = [0, 1, 0, 0]: h_2 = tanh(W_hh h_1 + W_xh[:, 1] + b).
    h2 = [
        math.tanh(sum(W_HH[i][j] * h1[j] for j in range(3)) + W_XH[i][1] + B[i]) for i in range(3)
    ]
    np.testing.assert_allclose(result.layers[0].h[1], h2, rtol=0, atol=1e-15)
    # y_1 = W_hy h_1; the softmax over h e l o; the loss of target 'e'.
    y1 = [sum(W_HY[v][j] * h1[j] for j in range(3)) for v in range(4)]
    p1 = [math.exp(y) / sum(math.exp(z) for z in y1) for y in y1]
    np.testing.assert_allclose(result.logits[0], y1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.probs[0], p1, rtol=0, atol=1e-15)
    assert math.isclose(result.loss[0], -math.log(p1[1]), rel_tol=1e-14)
    assert result.targets == ["e", "l", "l", "o", None]
