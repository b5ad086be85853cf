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

from server.assets import Assets
from server.deps import ZooDep
from server.encoding import cached_response, kept_body
from server.routes.models import summary

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES = Jinja2Templates(directory=TEMPLATES_DIR)

router = APIRouter(include_in_schema=False)


PAGES = ("hello", "explore", "gradients", "lab")  # each renders templates/<page>.html

# The lecture's arc as the pages' guided stories (static/js/<page>/stories.js), in teaching
# order: (page, story id, title, what it shows). The home page links each one.
LECTURE = (
    ("/hello", "forward", "Forward: reading “hello”", "a prediction at every step"),
    ("/hello", "bptt", "Backpropagation through time", "shared weights' gradients add up"),
    ("/hello", "update", "The update: one SGD step", "W − η ∂L/∂W; the loss before → after"),
    ("/gradients", "vanish-explode", "Vanishing, saturating, exploding", "‖∂L/∂h‖ steps back"),
    ("/gradients", "lstm-france", "The LSTM remembers France", "the forget gate's carousel"),
    ("/hello", "lstm", "The LSTM's cell state", "the same “hello” through an LSTM"),
    ("/lab", "memory", "How far back can a network remember?", "an RNN and an LSTM train live"),
    ("/lab", "exploding", "Exploding gradients and clipping", "too high a rate, then clipped"),
    ("/explore", "quote-unit", "Find the quote unit", "one unit knows it is inside a quote"),
    ("/explore", "temperature", "Temperature", "sampling a trained model, cold and hot"),
    ("/explore", "classify", "A classifier reads to the end", "many to one: the class per step"),
    ("/explore", "forecast", "Predicting the next value", "a time series, one step and free"),
)


def page_response(
    request: Request, template: str, context: Callable[[], dict[str, Any]]
) -> Response:
    """The rendered `template`, kept after its first request."""
    assets: Assets = request.app.state.assets

    def render() -> bytes:
        names = {"asset": assets.url, "preloads": assets.preloads}
        return TEMPLATES.get_template(template).render(context() | names).encode()

    page = kept_body(request, f"page {template}", render, "text/html; charset=utf-8")
    return cached_response(request, page, "no-cache")


def with_zoo(zoo: ZooDep, page: str) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "models": [summary(model) for model in zoo.values()],
        "page": page,
        "lecture": LECTURE,
    }


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
