"""Static files: our own, and third-party browser code from installed Python packages (no CDN).

Plotly.js comes from the `plotly` package; Swagger UI (for /docs) from `swagger-ui-bundle-v2`.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Any

import plotly
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from server.encoding import strong_etag

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)
FAVICON = Path(__file__).resolve().parents[2] / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)


@cache
def plotly_bundle() -> tuple[bytes, bytes, str]:
    """Plotly.js (4.8 MB) read and gzipped once per process, not once per request."""
    raw = PLOTLY_JS.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0), strong_etag(raw)


@router.get("/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    raw, compressed, etag = plotly_bundle()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(compressed, media_type="text/javascript", headers=headers)
    return Response(raw, media_type="text/javascript", headers=headers)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
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
