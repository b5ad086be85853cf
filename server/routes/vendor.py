"""Static files: our own, and third-party browser code from installed Python packages (no CDN).

Plotly.js comes from the `plotly` package; Swagger UI (for /docs) from `swagger-ui-bundle-v2`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from server.encoding import cached_response, kept_body

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)
FAVICON = Path(__file__).resolve().parents[2] / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)


@router.get("/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """Plotly.js (4.8 MB), read and gzipped once per worker (in a thread: ~1 s at level 9)."""
    bundle = kept_body(request, "plotly", PLOTLY_JS.read_bytes, "text/javascript", level=9)
    return cached_response(
        request, bundle, {"ETag": bundle.etag, "Cache-Control": "public, max-age=86400"}
    )


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    icon = kept_body(request, "favicon", FAVICON.read_bytes, "image/svg+xml")
    return cached_response(
        request, icon, {"ETag": icon.etag, "Cache-Control": "public, max-age=86400"}
    )


class RevalidatedStaticFiles(StaticFiles):
    """Static files with `Cache-Control: no-cache`: a browser keeps them but asks each time,
    and the ETag turns the answer into a 304, so an upgrade never leaves stale scripts."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, no-cache"
        return response


def mount_static(app: FastAPI, directory: Path) -> None:
    app.mount("/static", RevalidatedStaticFiles(directory=directory), name="static")
    app.mount(
        "/vendor/swagger-ui", RevalidatedStaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui"
    )
