"""The built-in models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from models.zoo import ZooModel
from server.deps import SettingsDep, ZooDep
from server.encoding import cacheable_json, json_bytes
from server.schemas import ModelDetail, ModelList
from server.tracing import unknown_model

router = APIRouter(prefix="/api/models", tags=["models"])


def summary(model: ZooModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "title": model.title,
        "description": model.description,
        **model.spec.to_config(),
        "final_loss": model.final_loss,
        "training": model.training,
    }


@router.get("", response_model=ModelList)
def list_models(request: Request, zoo: ZooDep, settings: SettingsDep) -> Response:
    """Every built-in model with its config and final training loss."""
    body = json_bytes({"models": [summary(model) for model in zoo.values()]})
    return cacheable_json(request, body, settings.cache_max_age)


@router.get("/{model_id}", response_model=ModelDetail, responses={404: {"description": "no id"}})
def get_model(model_id: str, request: Request, zoo: ZooDep, settings: SettingsDep) -> Response:
    """One built-in model: its config and its weights (PyTorch names and layout)."""
    if model_id not in zoo:
        raise unknown_model(model_id, zoo)
    model = zoo[model_id]
    body = json_bytes({**summary(model), "state_dict": model.net.weights})
    return cacheable_json(request, body, settings.cache_max_age)
