"""HTML pages: the home page, the demo pages, and the API docs (Swagger UI, served locally).

A page depends only on the built-in models, which do not change while the server runs: each is
rendered once per worker and then sent as kept bytes (`kept_body`) with a strong ETag and
`Cache-Control: no-cache`, so a browser revalidates it and gets a 304 until a new release.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.deps import ZooDep
from server.encoding import cached_response, kept_body
from server.routes.models import summary

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES = Jinja2Templates(directory=TEMPLATES_DIR)

router = APIRouter(include_in_schema=False)


PAGES = ("hello", "explore", "gradients", "lab")  # each renders templates/<page>.html


def page_response(
    request: Request, template: str, context: Callable[[], dict[str, Any]]
) -> Response:
    """The rendered `template`, kept after its first request."""
    page = kept_body(
        request,
        f"page {template}",
        lambda: TEMPLATES.get_template(template).render(context()).encode(),
        "text/html; charset=utf-8",
    )
    return cached_response(request, page, "no-cache")


def with_zoo(zoo: ZooDep, page: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"models": [summary(model) for model in zoo.values()], "page": page}


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, zoo: ZooDep) -> Response:
    return page_response(request, "index.html", with_zoo(zoo, "index"))


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> Response:
    """Swagger UI from the installed package, started by a module script (no inline script)."""
    return page_response(request, "docs.html", dict)


@router.get("/{page}", response_class=HTMLResponse)
async def demo_page(page: str, request: Request, zoo: ZooDep) -> Response:
    if page not in PAGES:
        raise HTTPException(404, f"no page {page!r}; the pages are /, /{', /'.join(PAGES)}")
    return page_response(request, f"{page}.html", with_zoo(zoo, page))
