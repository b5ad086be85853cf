"""HTML pages: the home page, the demo pages, and the API docs (Swagger UI, served locally)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.deps import ZooDep
from server.routes.models import summary

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES = Jinja2Templates(directory=TEMPLATES_DIR)

router = APIRouter(include_in_schema=False)


PAGES = ("hello", "explore", "gradients", "lab")  # each renders templates/<page>.html


def render(request: Request, zoo: ZooDep, page: str) -> HTMLResponse:
    context = {"models": [summary(model) for model in zoo.values()], "page": page}
    return TEMPLATES.TemplateResponse(request, f"{page}.html", context)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, zoo: ZooDep) -> HTMLResponse:
    return render(request, zoo, "index")


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI from the installed package, started by a module script (no inline script)."""
    return TEMPLATES.TemplateResponse(request, "docs.html", {})


@router.get("/{page}", response_class=HTMLResponse)
def demo_page(page: str, request: Request, zoo: ZooDep) -> HTMLResponse:
    if page not in PAGES or not (TEMPLATES_DIR / f"{page}.html").is_file():
        raise HTTPException(404, f"no page {page!r}; the pages are /, /{', /'.join(PAGES)}")
    return render(request, zoo, page)
