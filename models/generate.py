"""Generate text one character at a time, feeding each prediction back as the next input.

The model first reads the prompt; then at every step

    p_t = softmax(logits_t)                        the model's distribution (as in the trace)
    q_t = softmax(logits_t / temperature)          the distribution sampled from
    x_{t+1} = onehot(c_t),  c_t ~ q_t              (temperature 0: c_t = argmax p_t)

with the hidden state carried from step to step (one-to-many, as at test time). Character
models only: a word model (input "embedding") is refused. Sampling uses a NumPy generator
seeded by `seed`, so the same call gives the same text. The steps run through the equivalent
`torch.nn` module in float64, so every p_t equals the trace's probabilities of the generated
text (to float64 rounding). Weights so large that a hidden state or a logit overflows float64
are refused, as a trace refuses them: a NaN probability would otherwise reach the answer as
null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.network import Network
from models.spec import SpecError, unknown_characters
from models.torch_model import build_torch_model, network_state_dict
from models.trace import log_softmax

TOP_K = 5


@dataclass(frozen=True)
class GenerateLimits:
    """Bounds on one generation (the server fills them from its settings)."""

    max_length: int = 1000  # characters generated
    max_prompt_chars: int = 1000  # characters of the prompt
    max_text_chars: int = 2000  # prompt + generated, so the result can be traced


@dataclass(frozen=True)
class Step:
    char: str  # the character chosen
    prob: float  # its probability under p_t (temperature 1)
    sample_prob: float  # its probability under q_t, the distribution it was drawn from
    top: list[tuple[str, float]]  # the TOP_K most likely characters under p_t, best first


@dataclass(frozen=True)
class Generation:
    prompt: str
    generated: str
    steps: list[Step]  # one per generated character

    @property
    def text(self) -> str:
        return self.prompt + self.generated


def check_request(
    net: Network, prompt: str, length: int, temperature: float, limits: GenerateLimits
) -> None:
    """Errors name the field, the value and the limit."""
    if net.spec.output == "class":
        raise SpecError(
            "model",
            f"the model is a class model: it scores its {len(net.spec.classes)} "
            "classes, not the next character, so it cannot write text",
        )
    if net.spec.output == "value":
        raise SpecError(
            "model",
            "the model is a series model: it predicts numbers, not the next character, so it "
            "cannot write text (its free-running forecast is the trace's `forecast`)",
        )
    if net.spec.input != "one_hot":
        raise SpecError(
            "model",
            f"the model reads words (input {net.spec.input!r}); generation writes characters, "
            "so it needs a character model (input 'one_hot')",
        )
    if not prompt:
        raise SpecError("prompt", "prompt is empty; the model needs at least 1 character to read")
    if len(prompt) > limits.max_prompt_chars:
        raise SpecError(
            "prompt",
            f"prompt has {len(prompt)} characters; the limit is {limits.max_prompt_chars}",
        )
    if error := unknown_characters("prompt", prompt, net.spec.vocab):
        raise error
    if not 1 <= length <= limits.max_length:
        raise SpecError(
            "length", f"length is {length}; it must be between 1 and {limits.max_length}"
        )
    if len(prompt) + length > limits.max_text_chars:
        raise SpecError(
            "length",
            f"prompt ({len(prompt)}) + length ({length}) is {len(prompt) + length} characters; "
            f"the limit is {limits.max_text_chars}, the most a trace reads",
        )
    if not (np.isfinite(temperature) and temperature >= 0):
        raise SpecError("temperature", f"temperature is {temperature}; it must be 0 or more")


def check_finite(
    net: Network, hidden: list[torch.Tensor], logits: np.ndarray, position: int
) -> None:
    """Refuse the model (field `model`, as `Network.forward` does for a trace) when a hidden
    state or a logit after reading character `position` of the text is not finite."""
    if all(bool(torch.isfinite(h).all()) for h in hidden):
        if np.isfinite(logits).all():
            return
        what = "the logits"
    else:
        what = "the hidden state"
    peak = max(float(np.abs(w).max(initial=0.0)) for w in net.weights.values())
    raise SpecError(
        "model",
        f"{what} overflowed float64 after character {position} of the text (prompt and "
        f"generated); the weights are too large (the largest is {peak:.3g} in magnitude)",
    )


def generate(
    net: Network,
    prompt: str,
    length: int = 200,
    temperature: float = 1.0,
    seed: int = 0,
    limits: GenerateLimits | None = None,
) -> Generation:
    """Read `prompt`, then write `length` characters; see the module docstring."""
    limits = limits or GenerateLimits()
    check_request(net, prompt, length, temperature, limits)
    vocab = net.spec.vocab
    module = build_torch_model(net.spec, torch.float64)
    module.load_state_dict(network_state_dict(net))
    readout = module.get_submodule("readout")
    rng = np.random.default_rng(seed)
    eye = torch.eye(len(vocab), dtype=torch.float64)
    state = None
    inputs = eye[[net.char_index[ch] for ch in prompt]]  # (P, V) the prompt, read at once
    steps: list[Step] = []
    with torch.no_grad():
        for _ in range(length):
            output, state = module(inputs, state)  # output (S, H) of the top layer
            logits = readout(output[-1]).numpy()  # (V,) the prediction after the last input
            layers = list(state) if isinstance(state, tuple) else [state]  # (L, H) h_n [, c_n]
            check_finite(net, [output, *layers], logits, len(prompt) + len(steps) - 1)
            probs = np.exp(log_softmax(logits))
            choice = sample(logits, temperature, rng)
            order = np.argsort(-probs, kind="stable")[:TOP_K]
            steps.append(
                Step(
                    char=vocab[choice],
                    prob=float(probs[choice]),
                    sample_prob=float(sampling_probs(logits, temperature)[choice]),
                    top=[(vocab[k], float(probs[k])) for k in order],
                )
            )
            inputs = eye[choice : choice + 1]  # (1, V) the choice is the next input
    return Generation(prompt, "".join(step.char for step in steps), steps)


def sampling_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """q = softmax(logits / temperature); temperature 0 puts all mass on the argmax."""
    if temperature == 0:
        return np.eye(len(logits))[int(np.argmax(logits))]
    with np.errstate(over="ignore", divide="ignore"):  # a tiny temperature: -inf, weight 0
        scaled = (logits - logits.max()) / temperature  # (V,) <= 0, the argmax exactly 0
    return np.exp(log_softmax(scaled))


def sample(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Draw from q (or take the argmax at temperature 0), by inverse CDF on one uniform."""
    if temperature == 0:
        return int(np.argmax(logits))
    cumulative = np.cumsum(sampling_probs(logits, temperature))  # (V,)
    draw = rng.random() * cumulative[-1]
    return min(int(np.searchsorted(cumulative, draw, side="right")), len(logits) - 1)
