"""HTML pages, and Plotly.js served from the installed `plotly` package (never a CDN)."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from server.deps import ZooDep
from server.routes.models import summary

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES = Jinja2Templates(directory=TEMPLATES_DIR)
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

router = APIRouter(include_in_schema=False)


PAGES = ("hello", "explore", "gradients", "lab")  # each renders templates/<page>.html


def render(request: Request, zoo: ZooDep, page: str) -> HTMLResponse:
    context = {"models": [summary(model) for model in zoo.values()], "page": page}
    return TEMPLATES.TemplateResponse(request, f"{page}.html", context)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, zoo: ZooDep) -> HTMLResponse:
    return render(request, zoo, "index")


@router.get("/{page}", response_class=HTMLResponse)
def demo_page(page: str, request: Request, zoo: ZooDep) -> HTMLResponse:
    if page not in PAGES or not (TEMPLATES_DIR / f"{page}.html").is_file():
        raise HTTPException(404, f"no page {page!r}; the pages are /, /{', /'.join(PAGES)}")
    return render(request, zoo, page)


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
