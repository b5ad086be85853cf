"""The lecture's worked example, by hand: vocabulary h e l o, 3 hidden units, our own weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.network import Network
from models.spec import make_spec
from models.trace import trace
from models.zoo import load_zoo

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


def by_hand(ours, hand) -> None:
    """Equal to float64 rounding: numpy and these sums add in different orders."""
    np.testing.assert_allclose(ours, hand, rtol=0, atol=1e-14)


@pytest.mark.parametrize("net", [network(), load_zoo()["hello-rnn"].net], ids=["ours", "hello-rnn"])
def test_backward_through_the_last_two_targets_by_hand(net):
    """loss=all over "hello": the last step reads 'o' and has no target; step 3 reads 'l' with
    target 'o', and step 2 reads 'l' with target 'l' and gets step 3's gradient back."""
    result = trace(net, "hello", backward=True)
    assert result.bptt is not None
    grads, dh, da = result.bptt.weights, result.bptt.layers[0].dh, result.bptt.layers[0].dpre["a"]
    w_hh, w_hy = net.weights["weight_hh_l0"].tolist(), net.weights["readout.weight"].tolist()
    h, p = result.layers[0].h.tolist(), result.probs.tolist()
    o, l_ = net.char_index["o"], net.char_index["l"]
    # Step 4 has no target and nothing comes after it: every gradient there is exactly 0.
    assert not result.bptt.d_outputs[4].any() and not dh[4].any()
    assert not any(grad.by_step[4].any() for grad in grads.values())
    # Step 3: dy_3 = p_3 - onehot('o'); dh_3 = W_hy^T dy_3 (W_hh^T da_4 = 0);
    # da_3 = dh_3 * (1 - h_3^2), tanh's derivative.
    dy3 = [p[3][v] - float(v == o) for v in range(4)]
    dh3 = [sum(w_hy[v][j] * dy3[v] for v in range(4)) for j in range(3)]
    da3 = [dh3[j] * (1 - h[3][j] ** 2) for j in range(3)]
    by_hand(result.bptt.d_outputs[3], dy3)
    by_hand(dh[3], dh3)
    by_hand(da[3], da3)
    # Step 3's terms: dW_hh = da_3 h_2^T; dW_ih = da_3 in the column of the input 'l';
    # db_ih = db_hh = da_3; dW_hy = dy_3 h_3^T; db_hy = dy_3.
    at = {name: grad.by_step[3] for name, grad in grads.items()}
    by_hand(at["weight_hh_l0"], [[da3[i] * h[2][j] for j in range(3)] for i in range(3)])
    by_hand(at["weight_ih_l0"], [[da3[i] * float(v == l_) for v in range(4)] for i in range(3)])
    by_hand(at["bias_ih_l0"], da3)
    by_hand(at["bias_hh_l0"], da3)
    by_hand(at["readout.weight"], [[dy3[v] * h[3][j] for j in range(3)] for v in range(4)])
    by_hand(at["readout.bias"], dy3)
    # Step 2: its own output's gradient plus what comes back through time, W_hh^T da_3.
    dy2 = [p[2][v] - float(v == l_) for v in range(4)]
    dh2 = [
        sum(w_hy[v][j] * dy2[v] for v in range(4)) + sum(w_hh[i][j] * da3[i] for i in range(3))
        for j in range(3)
    ]
    by_hand(dh[2], dh2)
    by_hand(da[2], [dh2[j] * (1 - h[2][j] ** 2) for j in range(3)])
