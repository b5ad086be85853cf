"""The built-in models: small checkpoints (safetensors + a JSON config each) shipped in the repo.

`models/build_zoo.py` rebuilds every checkpoint deterministically; this module only loads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors.numpy import load_file

from models.network import Network
from models.spec import ModelSpec, make_spec

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


@dataclass(frozen=True)
class ZooModel:
    id: str
    title: str
    description: str
    spec: ModelSpec
    net: Network
    training: dict[str, Any]  # how the build script trained it, with its final loss
    corpus: str  # short name of the training text: "hello", "zen", "stdlib", "brackets"
    sample: str  # an excerpt of the corpus (~200 characters), a good text to trace
    sample_label: str | None = None  # a class model's sample: its true class

    @property
    def final_loss(self) -> float:
        return float(self.training["final_loss"])


def spec_from_config(config: dict[str, Any]) -> ModelSpec:
    return make_spec(
        config["cell"],
        config["vocab"],
        config["hidden_size"],
        config.get("num_layers", 1),
        config.get("nonlinearity", "tanh"),
        output=config.get("output", "next_token"),
        classes=config.get("classes"),
        input=config.get("input", "one_hot"),
        embedding_dim=config.get("embedding_dim"),
        features=config.get("features"),
    )


def load_model(config_path: Path) -> ZooModel:
    """One checkpoint: `<id>.json` (constructor arguments, training record) + `<id>.safetensors`."""
    config = json.loads(config_path.read_text())
    spec = spec_from_config(config)
    tensors = load_file(str(config_path.with_suffix(".safetensors")))
    return ZooModel(
        id=config["id"],
        title=config["title"],
        description=config["description"],
        spec=spec,
        net=Network(spec, tensors),
        training=config["training"],
        # The hello checkpoints predate these two keys: their whole corpus is the word itself.
        corpus=config.get("corpus", "hello"),
        sample=config["sample"] if "sample" in config else config["training"]["text"],
        sample_label=config.get("sample_label"),
    )


def load_zoo(directory: Path = CHECKPOINT_DIR) -> dict[str, ZooModel]:
    """Every checkpoint in `directory`, by id, in file-name order."""
    models = (load_model(path) for path in sorted(directory.glob("*.json")))
    return {model.id: model for model in models}
