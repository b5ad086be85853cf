"""The built-in models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from models.zoo import ZooModel
from server.deps import SettingsDep, ZooDep
from server.encoding import cacheable_json, json_bytes, kept_body
from server.schemas import ModelDetail, ModelList
from server.tracing import unknown_model

router = APIRouter(prefix="/api/models", tags=["models"])


class ModelIdConvertor(Convertor[str]):
    """A model id is any path segment but `import`: `/api/models/import` is the import
    endpoint's alone (POST), so a GET there is a 405, not an unknown model."""

    regex = r"(?!import$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("model_id", ModelIdConvertor())


def summary(model: ZooModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "title": model.title,
        "description": model.description,
        **model.spec.to_config(),
        "final_loss": model.final_loss,
        "training": model.training,
        "corpus": model.corpus,
        "sample": model.sample,
        "sample_label": model.sample_label,
    }


@router.get("", response_model=ModelList)
async def list_models(request: Request, zoo: ZooDep, settings: SettingsDep) -> Response:
    """Every built-in model with its config and final training loss."""
    body = kept_body(
        request, "models", lambda: json_bytes({"models": [summary(m) for m in zoo.values()]})
    )
    return cacheable_json(request, body, settings.cache_max_age)


@router.get(
    "/{model_id:model_id}", response_model=ModelDetail, responses={404: {"description": "no id"}}
)
async def get_model(
    model_id: str, request: Request, zoo: ZooDep, settings: SettingsDep
) -> Response:
    """One built-in model: its config and its weights (PyTorch names and layout)."""
    if model_id not in zoo:
        raise unknown_model(model_id, zoo)
    model = zoo[model_id]
    body = kept_body(
        request,
        f"model {model_id}",
        lambda: json_bytes({**summary(model), "state_dict": model.net.weights}),
    )
    return cacheable_json(request, body, settings.cache_max_age)
