"""Third-party browser code served from installed Python packages, never from a CDN.

Plotly.js comes from the `plotly` package; Swagger UI (for /docs) from `swagger-ui-bundle-v2`.
"""

from __future__ import annotations

from pathlib import Path

import plotly
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)
FAVICON = Path(__file__).resolve().parents[2] / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def mount_swagger_ui(app: FastAPI) -> None:
    app.mount("/vendor/swagger-ui", StaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")
