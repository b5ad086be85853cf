"""Free-running forecasts of a series model: it reads the actual series up to a step, then its
own predictions.

A series model's output y_t predicts x_{t+1}. Read with the actual series throughout (teacher
forcing, the trace), y_t is the one-step forecast. Free running from step k, it reads the
actual x_0 .. x_{k-1} and from then on its own last prediction as its next input:

    x'_t = x_t              t < k
    x'_t = y'_{t-1}         t >= k        (y'_t: the output after reading x'_0 .. x'_t)

and its forecast of x_k, x_{k+1}, ... is y'_{k-1}, y'_k, ... The first error is a one-step
error; after that the errors compound, the way a lecture's "predict the stock price for the next
month" goes wrong.

    forecast = free_running(net, values, start=50, horizon=30)   # (30, I): x_50 .. x_79
"""

from __future__ import annotations

import numpy as np
import torch

from models.network import Network
from models.spec import SpecError
from models.torch_model import build_torch_model, network_state_dict


def free_running(net: Network, values: np.ndarray, start: int, horizon: int) -> np.ndarray:
    """The forecast of x_start .. x_{start+horizon-1} from the actual values[:start], (T, I):
    (horizon, I) float64, computed by the float64 torch module of the model, step by step."""
    if net.spec.output != "value":
        raise SpecError("forecast", "forecast is for series models (output 'value')")
    if not 1 <= start <= len(values):
        raise SpecError(
            "forecast", f"forecast is {start}; it must be between 1 and {len(values)} (the steps)"
        )
    module = build_torch_model(net.spec, torch.float64)
    module.load_state_dict(network_state_dict(net))
    readout = module.get_submodule("readout")
    predictions = np.empty((horizon, net.spec.input_size))
    with torch.no_grad():
        output, state = module(torch.from_numpy(values[:start]))  # (k, H)
        for j in range(horizon):
            prediction = readout(output[-1:])  # (1, I): the forecast of x_{start+j}
            predictions[j] = prediction[0].numpy()
            if j + 1 < horizon:
                output, state = module(prediction, state)
    if not np.isfinite(predictions).all():
        step = start + int(np.argmin(np.isfinite(predictions).all(axis=1)))
        raise SpecError(
            "forecast",
            f"the free-running forecast overflowed float64 at step {step}; the model's "
            "predictions grow without bound when fed back (a relu RNN)",
        )
    return predictions
