"""Bridge to PyTorch: build the equivalent `torch.nn` model, and move weights both ways.

`build_torch_model(spec)` is `nn.RNN/LSTM/GRU(I_0, hidden_size, num_layers)` (or our
`PeepholeLSTM`, which torch.nn lacks) with an `nn.Linear` child called `readout`, and for a word
model an `nn.Embedding(len(vocab), embedding_dim)` child called `embedding` (I_0 = D; else
I_0 = len(vocab)), so its state_dict has exactly the contract's names, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from models.network import Network
from models.peephole import PeepholeLSTM
from models.spec import ModelSpec

TORCH_CLASSES: dict[str, Callable[..., nn.Module]] = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "gru": nn.GRU,
    "peephole": PeepholeLSTM,
}


def build_torch_model(spec: ModelSpec, dtype: torch.dtype = torch.float32) -> nn.Module:
    """The torch.nn module a spec describes, with a `readout` linear layer (and an `embedding`
    for a word model); weights random."""
    module: nn.Module
    if spec.cell == "rnn":
        module = nn.RNN(
            input_size=spec.input_size,
            hidden_size=spec.hidden_size,
            num_layers=spec.num_layers,
            nonlinearity=spec.nonlinearity,
        )
    else:
        module = TORCH_CLASSES[spec.cell](spec.input_size, spec.hidden_size, spec.num_layers)
    if spec.embedding_dim is not None:  # registered before `readout`: the state_dict's order
        module.embedding = nn.Embedding(spec.vocab_size, spec.embedding_dim)
    module.readout = nn.Linear(spec.hidden_size, spec.output_size)
    return module.to(dtype)


def readout_logits(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run a module from `build_torch_model` on its inputs: one-hot rows (T, V) or (T, B, V), or
    for a word model word indices (T,) or (T, B), embedded first. Logits (T, O) or (T, B, O)."""
    if hasattr(module, "embedding"):
        x = module.get_submodule("embedding")(x)  # (T, D) or (T, B, D)
    output, _ = module(x)
    readout: nn.Module = module.get_submodule("readout")
    logits: torch.Tensor = readout(output)
    return logits


def tensors_to_arrays(tensors: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {name: t.detach().to(torch.float64).cpu().numpy() for name, t in tensors.items()}


def network_from_torch(spec: ModelSpec, module: nn.Module) -> Network:
    """A float64 Network holding the weights of a torch module (validated against `spec`)."""
    return Network(spec, tensors_to_arrays(module.state_dict()))


def network_state_dict(net: Network) -> dict[str, torch.Tensor]:
    """The network's weights as a state_dict that `build_torch_model(spec)` loads strictly."""
    return {name: torch.from_numpy(array.copy()) for name, array in net.weights.items()}
