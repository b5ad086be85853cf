"""Import a user's model file into a model spec (multipart form, read in memory)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from models.importer import ImportedModel, form_vocab, import_file
from models.spec import SpecError
from server.deps import SettingsDep
from server.encoding import json_bytes
from server.errors import InputError, error_body, spec_error_at
from server.schemas.imports import ImportForm, ImportResponse
from server.settings import Settings
from server.work import work_gate

router = APIRouter(prefix="/api/models", tags=["models"])

ERRORS: dict[int | str, dict[str, str]] = {
    413: {"description": "the file or the request body is over its size limit"},
    422: {"description": "the form or the file is invalid; the message names which and why"},
    429: {"description": "too many imports running in this worker; see Retry-After"},
}
FIELDS = tuple(ImportForm.model_fields)
FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": ImportForm.model_json_schema()}},
    }
}


async def read_form(request: Request, settings: Settings) -> tuple[bytes, dict[str, str]]:
    """The uploaded file and the text fields; files stay in memory (the body limit bounds
    them), so nothing is written to disk."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InputError(
            ["body"],
            f"the body is {content_type or 'sent without a content type'}; send "
            f"multipart/form-data with the fields {', '.join(FIELDS)}",
        )
    parser = MultiPartParser(request.headers, request.stream(), max_files=1, max_fields=10)
    parser.spool_max_size = settings.max_body_bytes  # in memory up to the whole body
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise InputError(["body"], f"the multipart form could not be read: {error}") from error
    unknown = sorted(set(form) - set(FIELDS))
    if unknown:
        raise InputError(
            ["body", unknown[0]], f"unknown field {unknown[0]!r}; the fields are {FIELDS}"
        )
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InputError(
            ["body", "file"], "file is missing: send the model as a file part named 'file'"
        )
    data = await upload.read()
    if len(data) > settings.max_import_bytes:
        message = f"file has {len(data)} bytes; the limit is {settings.max_import_bytes}"
        raise HTTPException(413, error_body(["body", "file"], message, "too_large")["detail"])
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if "vocab" not in fields:
        raise InputError(
            ["body", "vocab"], "vocab is missing: the characters (or words) of the input"
        )
    return data, fields


def payload(model: ImportedModel) -> dict:
    return {
        **model.spec.to_config(),
        "state_dict": model.weights,
        "gates": model.gates(),
        "source": model.source,
    }


@router.post("/import", response_model=ImportResponse, responses=ERRORS, openapi_extra=FORM_SCHEMA)
async def import_model(http: Request, settings: SettingsDep) -> Response:
    """Validate an uploaded state_dict or safetensors file into an inline model spec."""
    data, fields = await read_form(http, settings)

    def compute() -> bytes:
        try:
            model = import_file(
                data,
                form_vocab(fields["vocab"]),
                cell=fields.get("cell") or None,
                nonlinearity=fields.get("nonlinearity") or "tanh",
                prefix=fields.get("prefix"),
                readout=fields.get("readout") or "readout",
                limits=settings.limits(),
                max_bytes=settings.max_import_bytes,
            )
        except SpecError as error:
            raise spec_error_at(["body"], error) from error
        return json_bytes(payload(model))

    body = await work_gate(http, "import").run(compute)
    return Response(body, media_type="application/json")
