"""Static files: our own, and third-party browser code from installed Python packages (no CDN).

Plotly.js is its cartesian partial bundle (the trace types the pages draw: 0.5 MB gzipped, the
full bundle 1.5 MB), vendored by scripts/update-plotly and checked against the sha256 pinned in
static/vendor/plotly/bundle.json; Swagger UI (for /docs) comes from `swagger-ui-bundle-v2`.
Every file is read and gzipped once per worker and sent by `cached_response`, like every other
kept answer: its bytes or their gzip, each with its own strong ETag.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from server.assets import Assets
from server.encoding import cached_response, kept_body

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
PLOTLY_DIR = STATIC_DIR / "vendor" / "plotly"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)
FAVICON = STATIC_DIR / "favicon.svg"

router = APIRouter(include_in_schema=False)


def pinned_plotly() -> bytes:
    """The vendored bundle, refused unless its bytes are the ones bundle.json pins."""
    pin = json.loads((PLOTLY_DIR / "bundle.json").read_text())
    bundle = (PLOTLY_DIR / pin["file"]).read_bytes()
    if hashlib.sha256(bundle).hexdigest() != pin["sha256"]:
        raise RuntimeError(f"{pin['file']} is not the pinned {pin['package']}@{pin['version']}")
    return bundle


@router.get("/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """Plotly.js (1.5 MB), read and gzipped once per worker (in a thread: ~0.3 s at level 9)."""
    bundle = kept_body(request, "plotly", pinned_plotly, "text/javascript", level=9)
    return cached_response(request, bundle, "public, max-age=86400")


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    icon = kept_body(request, "favicon", FAVICON.read_bytes, "image/svg+xml")
    return cached_response(request, icon, "public, max-age=86400")


class KeptStaticFiles(StaticFiles):
    """Static files kept in memory with their gzip and sent with `Cache-Control: no-cache`: a
    browser keeps them but asks each time, and the ETag turns the answer into a 304, so an
    upgrade never leaves stale scripts.

    StaticFiles finds the file (safely inside the folder); instead of streaming it, the file
    is kept under its path, modification time and size, so an edited file is read again.
    Streamed, it went through the gzip middleware under the ETag of its plain bytes.
    """

    cache_control = "public, no-cache"

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file found, not yet read: `get_response` answers the conditional request."""
        return FileResponse(full_path, status_code=status_code, stat_result=stat_result)

    async def get_response(self, path: str, scope: Scope) -> Response:
        found = await super().get_response(path, scope)
        if not isinstance(found, FileResponse) or found.stat_result is None:
            return found
        request = Request(scope)
        version = f"{found.stat_result.st_mtime_ns} {found.stat_result.st_size}"
        media_type = found.media_type or "application/octet-stream"
        key = f"static {found.path} {version}"  # read on first use only (a few KB to ~1 MB)
        # Compressed once per worker and sent to every student: the smallest gzip is worth it.
        body = kept_body(request, key, Path(found.path).read_bytes, media_type, level=9)
        return cached_response(request, body, self.cache_control)


class ReleaseStaticFiles(KeptStaticFiles):
    """The static folder under its release's URL (server/assets.py): never changes there."""

    cache_control = "public, max-age=31536000, immutable"


def mount_static(app: FastAPI, assets: Assets) -> None:
    directory = assets.directory
    app.mount(assets.prefix, ReleaseStaticFiles(directory=directory), name="release")
    app.mount("/static", KeptStaticFiles(directory=directory), name="static")
    app.mount("/vendor/swagger-ui", KeptStaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")
