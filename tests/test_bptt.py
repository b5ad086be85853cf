"""Backpropagation through time in numbers (`backward=true`): every vector and every weight's
gradient, step by step, against autograd in float64, hand formulas, and the API."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from models.network import Network
from models.spec import SpecError, make_spec
from models.torch_model import readout_logits
from models.trace import trace
from models.zoo import load_zoo
from server.schemas import TraceResponse
from server.settings import get_settings
from server.tracing import trace_values
from tests.autograd_reference import autograd_grads, grads
from tests.helpers import TEXT, VOCAB, indices, one_hot, random_model

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh"), ("peephole", "tanh")]
GATES = {
    "rnn": ("a",),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
    "peephole": ("i", "f", "g", "o"),
}
EXACT = {"rtol": 0.0, "atol": 1e-10}


@dataclass
class StepwiseReference:
    """What autograd finds through a loop over time whose every step has its own leaf copy of
    every weight: the gradient of step t's copy is step t's term of the weight's gradient."""

    logits: torch.Tensor  # (T, V)
    dlogits: torch.Tensor  # (T, V)
    dh: list[torch.Tensor]  # per layer (T, H)
    dc: list[torch.Tensor]  # per layer (T, H); LSTM only, else empty
    dpre: list[dict[str, torch.Tensor]]  # per layer, gate -> (T, H)
    by_step: dict[str, torch.Tensor]  # weight name -> (T, *shape)


def stepwise_reference(module: nn.RNNBase, cell: str, text: str, loss: str) -> StepwiseReference:
    """PyTorch's equations (`torch.nn.RNN/LSTM/GRU` docs; the peephole LSTM's from Gers &
    Schmidhuber, written out) one step at a time, every pre-activation, h_t, c_t and logit
    retaining its gradient."""
    steps = len(text)
    copies = {  # name -> one leaf copy per step
        name: [p.detach().clone().requires_grad_() for _ in range(steps)]
        for name, p in module.named_parameters()
    }
    size = module.hidden_size
    below = list(one_hot(text))  # T rows (V,)
    hs, cs, pres = [], [], []
    for k in range(module.num_layers):
        h, c = torch.zeros(size, dtype=torch.float64), torch.zeros(size, dtype=torch.float64)
        layer_h, layer_c, layer_pre = [], [], []
        for t in range(steps):
            xp = copies[f"weight_ih_l{k}"][t] @ below[t] + copies[f"bias_ih_l{k}"][t]
            hp = copies[f"weight_hh_l{k}"][t] @ h + copies[f"bias_hh_l{k}"][t]
            if cell == "rnn":
                pre = {"a": xp + hp}
                h = torch.relu(pre["a"]) if module.nonlinearity == "relu" else torch.tanh(pre["a"])
            elif cell in ("lstm", "peephole"):
                pre = dict(zip("ifgo", (xp + hp).chunk(4), strict=True))
                peep = (
                    copies[f"weight_ch_l{k}"][t].chunk(3) if cell == "peephole" else (0.0, 0.0, 0.0)
                )
                pre["i"] = pre["i"] + peep[0] * c  # the gates i and f see c_{t-1}
                pre["f"] = pre["f"] + peep[1] * c
                i, f = torch.sigmoid(pre["i"]), torch.sigmoid(pre["f"])
                c = f * c + i * torch.tanh(pre["g"])
                pre["o"] = pre["o"] + peep[2] * c  # the gate o sees c_t
                h = torch.sigmoid(pre["o"]) * torch.tanh(c)
                c.retain_grad()
                layer_c.append(c)
            else:
                x_r, x_z, x_n = xp.chunk(3)
                h_r, h_z, h_n = hp.chunk(3)
                pre = {"r": x_r + h_r, "z": x_z + h_z}
                r, z = torch.sigmoid(pre["r"]), torch.sigmoid(pre["z"])
                pre["n"] = x_n + r * h_n  # the argument of the candidate's tanh
                h = (1 - z) * torch.tanh(pre["n"]) + z * h
            for value in (h, *pre.values()):
                value.retain_grad()
            layer_h.append(h)
            layer_pre.append(pre)
        hs.append(layer_h)
        cs.append(layer_c)
        pres.append(layer_pre)
        below = layer_h
    logits = [
        copies["readout.weight"][t] @ below[t] + copies["readout.bias"][t] for t in range(steps)
    ]
    for logit in logits:
        logit.retain_grad()
    losses = nn.functional.cross_entropy(
        torch.stack(logits[:-1]), indices(text)[1:], reduction="none"
    )  # (T-1,)
    (losses.sum() if loss == "all" else losses[-1]).backward()
    return StepwiseReference(
        logits=torch.stack(logits).detach(),
        dlogits=grads(logits),
        dh=[grads(layer) for layer in hs],
        dc=[grads(layer) for layer in cs if layer],
        dpre=[{g: grads([p[g] for p in layer]) for g in layer[0]} for layer in pres],
        by_step={name: grads(steps_copies) for name, steps_copies in copies.items()},
    )


def module_grads(module: nn.RNNBase, text: str, loss: str) -> dict[str, torch.Tensor]:
    """dL/dW of every parameter by autograd through the fused torch.nn module."""
    module.zero_grad()
    logits = readout_logits(module, one_hot(text))  # (T, V)
    losses = nn.functional.cross_entropy(logits[:-1], indices(text)[1:], reduction="none")
    (losses.sum() if loss == "all" else losses[-1]).backward()
    return {name: p.grad.detach().clone() for name, p in module.named_parameters()}


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


# --- The engine against autograd ---------------------------------------------------------------


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_every_field_matches_autograd(cell, nonlinearity, num_layers, loss):
    _, module, net = random_model(cell, num_layers, nonlinearity)
    result = trace(net, TEXT, loss, backward=True)
    ours = result.bptt
    assert ours is not None
    reference = stepwise_reference(module, cell, TEXT, loss)
    assert_close(
        as_tensor(result.logits), reference.logits, **EXACT
    )  # the reference is PyTorch's model
    oracle = autograd_grads(module, indices(TEXT), loss)  # torch.nn cells, retained h_t grads

    assert_close(as_tensor(ours.d_outputs), reference.dlogits, **EXACT)
    for k, layer in enumerate(ours.layers):
        assert_close(as_tensor(layer.dh), reference.dh[k], **EXACT)
        assert_close(as_tensor(layer.dh), oracle.grad_h[k], **EXACT)
        assert set(layer.dpre) == set(GATES[cell])
        for gate, values in layer.dpre.items():
            assert_close(as_tensor(values), reference.dpre[k][gate], **EXACT)
        if cell in ("lstm", "peephole"):
            assert layer.dc is not None and oracle.grad_c is not None
            assert_close(as_tensor(layer.dc), reference.dc[k], **EXACT)
            assert_close(as_tensor(layer.dc), oracle.grad_c[k], **EXACT)
        else:
            assert layer.dc is None

    totals = module_grads(module, TEXT, loss)
    assert list(ours.weights) == list(totals)  # every parameter, in state_dict order
    for name, grad in ours.weights.items():
        assert_close(as_tensor(grad.by_step), reference.by_step[name], **EXACT)
        assert_close(as_tensor(grad.total), totals[name], **EXACT)


@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_the_terms_by_step_sum_to_the_total(cell, nonlinearity):
    _, _, net = random_model(cell, 3, nonlinearity, seed=1)
    ours = trace(net, TEXT, backward=True).bptt
    assert ours is not None
    for name, grad in ours.weights.items():
        assert grad.by_step.shape == (len(TEXT), *net.weights[name].shape), name
        np.testing.assert_allclose(grad.by_step.sum(axis=0), grad.total, rtol=0, atol=1e-15)


@pytest.mark.parametrize("loss", ["all", "last"])
def test_dlogits_is_softmax_minus_onehot_at_the_steps_in_the_loss(loss):
    _, _, net = random_model("gru", 2)
    result = trace(net, TEXT, loss, backward=True)
    assert result.bptt is not None
    steps = len(TEXT)
    expected = np.zeros((steps, len(VOCAB)))
    for step in range(steps - 1) if loss == "all" else [steps - 2]:
        expected[step] = result.probs[step] - np.eye(len(VOCAB))[VOCAB.index(TEXT[step + 1])]
    np.testing.assert_array_equal(result.bptt.d_outputs, expected)
    assert not np.signbit(result.bptt.d_outputs[-1]).any()  # 0.0, not -0.0


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_step_terms_are_outer_products_of_dpre(nonlinearity):
    """dW_hh[t] = da_t h_{t-1}^T, dW_ih[t] = da_t x_t^T, dW_y[t] = dy_t h_t^T: by hand."""
    _, _, net = random_model("rnn", 1, nonlinearity)
    result = trace(net, TEXT, backward=True)
    ours = result.bptt
    assert ours is not None
    h, da, dy = result.layers[0].h, ours.layers[0].dpre["a"], ours.d_outputs
    for step in range(len(TEXT)):
        h_prev = h[step - 1] if step else np.zeros(h.shape[1])
        x = np.eye(len(VOCAB))[VOCAB.index(TEXT[step])]
        w = ours.weights
        np.testing.assert_array_equal(w["weight_hh_l0"].by_step[step], np.outer(da[step], h_prev))
        np.testing.assert_array_equal(w["weight_ih_l0"].by_step[step], np.outer(da[step], x))
        np.testing.assert_array_equal(w["bias_hh_l0"].by_step[step], da[step])
        np.testing.assert_array_equal(
            w["readout.weight"].by_step[step], np.outer(dy[step], h[step])
        )
    slope = (h > 0) if nonlinearity == "relu" else 1 - h**2
    np.testing.assert_allclose(da, ours.layers[0].dh * slope, rtol=0, atol=1e-15)


def test_the_gru_candidate_rows_of_weight_hh_carry_r():
    """n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)): the W_hn rows' term is
    (da_n * r_t) h_{t-1}^T, the W_in rows' is da_n x_t^T."""
    _, _, net = random_model("gru", 1)
    result = trace(net, TEXT, backward=True)
    ours = result.bptt
    assert ours is not None
    size = net.spec.hidden_size
    h, r, da_n = result.layers[0].h, result.layers[0].gates["r"], ours.layers[0].dpre["n"]
    step = 6
    x = np.eye(len(VOCAB))[VOCAB.index(TEXT[step])]
    w_hh, w_ih = ours.weights["weight_hh_l0"].by_step, ours.weights["weight_ih_l0"].by_step
    np.testing.assert_allclose(
        w_hh[step, 2 * size :], np.outer(da_n[step] * r[step], h[step - 1]), rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(w_ih[step, 2 * size :], np.outer(da_n[step], x), rtol=0, atol=0)


@pytest.mark.parametrize(("cell", "nonlinearity"), CASES)
def test_the_log10_norms_are_the_norms_of_the_vectors(cell, nonlinearity):
    _, _, net = random_model(cell, 2, nonlinearity)
    result = trace(net, TEXT, "last", backward=True)
    assert result.bptt is not None
    for layer, vectors in zip(result.layers, result.bptt.layers, strict=True):
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(
                np.log10(np.linalg.norm(vectors.dh, axis=1)), layer.grad_h, rtol=0, atol=1e-12
            )
            if layer.grad_c is not None:
                assert vectors.dc is not None
                norms = np.log10(np.linalg.norm(vectors.dc, axis=1))
                np.testing.assert_allclose(norms, layer.grad_c, rtol=0, atol=1e-12)


def one_unit_rnn(recurrent: float) -> Network:
    """h_t = tanh(recurrent * h_{t-1}): the input is ignored and h stays 0, so dL/dh_t is
    multiplied by exactly `recurrent` per step back."""
    tensors = {
        "weight_ih_l0": np.zeros((1, 2)),
        "weight_hh_l0": np.array([[recurrent]]),
        "readout.weight": np.array([[1.0], [-1.0]]),
    }
    return Network(make_spec("rnn", ["a", "b"], 1), tensors)


def test_a_vanishing_gradient_underflows_to_zero_where_its_norm_stays_exact():
    text = "ab" * 200
    result = trace(one_unit_rnn(0.01), text, "last", backward=True)
    assert result.bptt is not None
    assert result.bptt.layers[0].dh[0, 0] == 0.0
    # dL/dh_{T-2} = W_y^T (p - onehot(b)) = (0.5 - 0) - (0.5 - 1) = 1, then 0.01 per step back
    assert math.isclose(result.layers[0].grad_h[0], -2.0 * (len(text) - 2), abs_tol=1e-9)


def test_an_exploding_gradient_beyond_float64_is_refused_by_name():
    text = "ab" * 350
    net = one_unit_rnn(3.0)
    assert trace(net, text).layers[0].grad_h[0] > 308  # the log10 norm holds it
    with pytest.raises(SpecError) as refused:
        trace(net, text, backward=True)
    assert refused.value.field == "backward"
    assert "layer 0's dL/dh_t is beyond float64's range at" in refused.value.message
    assert "leave out backward" in refused.value.message


# --- The lecture's example: hello-rnn on "hello" ------------------------------------------------


def test_hello_rnn_on_hello_has_every_weight_by_step():
    net = load_zoo()["hello-rnn"].net
    ours = trace(net, "hello", backward=True).bptt
    assert ours is not None
    shapes = {name: grad.by_step.shape for name, grad in ours.weights.items()}
    assert shapes == {
        "weight_ih_l0": (5, 3, 4),
        "weight_hh_l0": (5, 3, 3),
        "bias_ih_l0": (5, 3),
        "bias_hh_l0": (5, 3),
        "readout.weight": (5, 4, 3),
        "readout.bias": (5, 4),
    }
    assert trace_values(net.spec, 5, False, False, True) - trace_values(
        net.spec, 5, False, False
    ) == (
        5 * 3 * 2 + 5 * 4 + 6 * 43  # dh and dpre a, dlogits, (T + 1) x 43 weights
    )


# --- The API ----------------------------------------------------------------------------------


def strict_json(response):
    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(response.text, parse_constant=refuse)


def assert_payload_is_the_engine(body: dict, net: Network, text: str, loss: str) -> None:
    expected = trace(net, text, loss, backward=True)
    assert expected.bptt is not None
    assert np.array_equal(body["dlogits"], expected.bptt.d_outputs)  # bit-exact floats
    for got, layer in zip(body["grads"], expected.bptt.layers, strict=True):
        assert np.array_equal(got["dh"], layer.dh)
        assert (got["dc"] is None) == (layer.dc is None)
        if layer.dc is not None:
            assert np.array_equal(got["dc"], layer.dc)
        assert set(got["dpre"]) == set(layer.dpre)
        for gate, values in layer.dpre.items():
            assert np.array_equal(got["dpre"][gate], values)
    assert list(body["weight_grads"]) == list(expected.bptt.weights)
    for name, grad in expected.bptt.weights.items():
        assert np.array_equal(body["weight_grads"][name]["total"], grad.total)
        assert np.array_equal(body["weight_grads"][name]["by_step"], grad.by_step)


@pytest.mark.parametrize(("model", "loss"), [("hello-rnn", "all"), ("hello-lstm", "last")])
def test_get_and_post_return_the_engine_numbers(client, model, loss):
    params = {"model": model, "text": "hello", "loss": loss, "backward": True}
    got = strict_json(client.get("/api/trace", params=params))
    TraceResponse.model_validate(got)
    assert_payload_is_the_engine(got, load_zoo()[model].net, "hello", loss)
    posted = strict_json(client.post("/api/trace", json=params))
    assert posted == got


def test_post_an_inline_gru_with_backward(client):
    _, _, net = random_model("gru", 2)
    state_dict = {name: array.tolist() for name, array in net.weights.items()}
    model = {**net.spec.to_config(), "state_dict": state_dict}
    body = strict_json(
        client.post("/api/trace", json={"model": model, "text": TEXT, "backward": True})
    )
    TraceResponse.model_validate(body)
    assert_payload_is_the_engine(body, net, TEXT, "all")
    assert set(body["grads"][1]["dpre"]) == {"r", "z", "n"} and body["grads"][1]["dc"] is None


def test_without_backward_the_fields_are_null_and_the_rest_unchanged(client):
    params = {"model": "hello-lstm", "text": "hello"}
    plain = strict_json(client.get("/api/trace", params=params))
    assert plain["dlogits"] is None and plain["weight_grads"] is None
    assert all(layer[k] is None for layer in plain["grads"] for k in ("dh", "dc", "dpre"))
    full = strict_json(client.get("/api/trace", params={**params, "backward": True}))
    new = {"dlogits", "weight_grads"}
    assert {k: v for k, v in full.items() if k not in new | {"grads"}} == {
        k: v for k, v in plain.items() if k not in new | {"grads"}
    }
    for with_it, without in zip(full["grads"], plain["grads"], strict=True):
        assert with_it["h"] == without["h"] and with_it["c"] == without["c"]


def test_the_openapi_schema_documents_backward(client):
    document = strict_json(client.get("/openapi.json"))
    schemas = document["components"]["schemas"]
    grads = schemas["LayerGradsOut"]["properties"]
    for field in ("dh", "dc", "dpre"):
        assert grads[field]["description"], field
    assert "a_n = W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)" in grads["dpre"]["description"]
    response = schemas["TraceResponse"]["properties"]
    assert "probs_t - onehot(target_t)" in response["dlogits"]["description"]
    assert "readout.weight" in response["weight_grads"]["description"]
    weight = schemas["WeightGradOut"]["properties"]
    assert (
        weight["total"]["description"] and "summed over steps" in weight["by_step"]["description"]
    )
    assert schemas["TraceRequest"]["properties"]["backward"]["default"] is False
    parameters = document["paths"]["/api/trace"]["get"]["parameters"]
    (backward,) = [p for p in parameters if p["name"] == "backward"]
    assert backward["description"] and backward["schema"]["default"] is False


def test_an_oversize_backward_trace_is_refused_naming_the_limit(client):
    limit = get_settings().max_trace_values
    net = load_zoo()["code-lstm"].net
    text = "x" * 100
    values = trace_values(net.spec, len(text), False, False, True)
    assert trace_values(net.spec, len(text), False, False) < limit < values
    query = f"model=code-lstm&text={text}&backward=true"
    for response, where in (
        (client.get(f"/api/trace?{query}"), "query"),
        (
            client.post("/api/trace", json={"model": "code-lstm", "text": text, "backward": True}),
            "body",
        ),
    ):
        assert response.status_code == 422, response.text
        (error,) = strict_json(response)["detail"]
        assert error["loc"] == [where]
        assert "backward=true" in error["msg"]
        assert f"{values} values; the limit is {limit} (max_trace_values)" in error["msg"]


def test_an_exploding_backward_is_a_422_naming_backward(client):
    net = one_unit_rnn(3.0)
    model = {**net.spec.to_config(), "state_dict": {k: v.tolist() for k, v in net.weights.items()}}
    body = {"model": model, "text": "ab" * 350, "backward": True}
    response = client.post("/api/trace", json=body)
    assert response.status_code == 422
    (error,) = strict_json(response)["detail"]
    assert error["loc"] == ["body", "backward"] and "beyond float64's range" in error["msg"]
    assert client.post("/api/trace", json={**body, "backward": False}).status_code == 200
