"""Generate text from a model, one character at a time."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from models.generate import GenerateLimits, generate
from models.spec import SpecError
from server.deps import SettingsDep, ZooDep
from server.encoding import json_bytes
from server.errors import spec_error_at
from server.schemas.generate import GenerateRequest, GenerateResponse
from server.tracing import resolve_model
from server.work import work_gate

router = APIRouter(prefix="/api/generate", tags=["generate"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "unknown model id"},
    422: {"description": "invalid prompt, model or limit exceeded; the message names which"},
    429: {"description": "too many generations running in this worker; see Retry-After"},
}


@router.post("", response_model=GenerateResponse, responses=ERRORS)
async def post_generate(
    http: Request, request: GenerateRequest, zoo: ZooDep, settings: SettingsDep
) -> Response:
    """Read the prompt, then sample `length` characters, each fed back as the next input."""
    limits = GenerateLimits(
        max_length=settings.max_generate_length,
        max_prompt_chars=settings.max_prompt_chars,
        max_text_chars=settings.max_text_chars,
    )

    def compute() -> bytes:
        name, net = resolve_model(request.model, zoo, settings.limits(), "body")
        try:
            result = generate(
                net, request.prompt, request.length, request.temperature, request.seed, limits
            )
        except SpecError as error:
            raise spec_error_at(["body"], error) from error
        return json_bytes(
            {
                "model": name,
                "prompt": result.prompt,
                "text": result.text,
                "generated": result.generated,
                "temperature": request.temperature,
                "seed": request.seed,
                "steps": [
                    {
                        "char": step.char,
                        "prob": step.prob,
                        "sample_prob": step.sample_prob,
                        "top": [{"char": char, "prob": prob} for char, prob in step.top],
                    }
                    for step in result.steps
                ],
            }
        )

    body = await work_gate(http, "generate").run(compute)
    return Response(body, media_type="application/json")
