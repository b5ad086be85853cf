"""One source for every default: the engine's config dataclasses.

The request schemas read their defaults from `TrainConfig`, `CompareConfig` and
`ExploreConfig`; these tests hold that, in the schemas, in the OpenAPI schema (/docs) and in the
pages' own state declarations (static/js), where a page may only depart from the engine by a
choice named below.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from models.compare import CompareConfig
from models.explorer import ExploreConfig
from models.tasks import TASK_NAMES
from models.training import TaskName, TrainConfig
from server.main import create_app
from server.schemas.explore import ExploreRequest, PhaseRequest
from server.schemas.train import CompareRequest, TrainRequest

ROOT = Path(__file__).parent.parent
# (request schema, engine config, request fields that only the schema has)
REQUESTS: list[tuple[type[BaseModel], type, set[str]]] = [
    (TrainRequest, TrainConfig, set()),
    (CompareRequest, CompareConfig, set()),
    (ExploreRequest, ExploreConfig, set()),
    (PhaseRequest, ExploreConfig, {"gains", "distance"}),  # phase_diagram's own arguments
]
IDS = [schema.__name__ for schema, _, _ in REQUESTS]


def engine_defaults(config: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(config)}


def as_json(value: Any) -> Any:
    """A default as JSON carries it: tuples are lists."""
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize(("schema", "config", "schema_only"), REQUESTS, ids=IDS)
def test_an_empty_request_asks_for_the_engine_defaults(schema, config, schema_only):
    engine = engine_defaults(config)
    requested = schema().model_dump(exclude=schema_only)
    assert set(requested) <= set(engine), f"{schema.__name__} has fields {config.__name__} lacks"
    assert requested == {name: as_json(engine[name]) for name in requested}


@pytest.mark.parametrize(("schema", "config", "schema_only"), REQUESTS, ids=IDS)
def test_the_openapi_schema_shows_the_engine_defaults(schema, config, schema_only):
    properties = create_app().openapi()["components"]["schemas"][schema.__name__]["properties"]
    engine = engine_defaults(config)
    shown = {name: prop.get("default") for name, prop in properties.items()}  # null: absent
    assert shown == {
        name: schema.model_fields[name].default if name in schema_only else as_json(engine[name])
        for name in properties
    }


def test_the_task_names_are_the_tasks():
    assert get_args(TaskName) == TASK_NAMES


# --- The pages --------------------------------------------------------------------------------

# A state prop as static/js declares it for UrlState: `{ name: "steps", type: "int", default:
# 200 }` (or `steps: { type: "int", default: 200 }`); the default is a JSON literal.
PROP = re.compile(
    r'(?:name:\s*"(?P<name>\w+)",\s*|(?P<key>\w+):\s*\{\s*)type:\s*"\w+",\s*default:\s*'
    r'(?P<default>"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)'
)
PAGES = {"lab": "static/js/lab/settings.js", "gradients": "static/js/gradients/main.js"}


def page_defaults(page: str) -> dict[str, Any]:
    """Every prop of a page's state, with its default."""
    source = (ROOT / PAGES[page]).read_text()
    props = {m["name"] or m["key"]: json.loads(m["default"]) for m in PROP.finditer(source)}
    assert props, f"no state props in {PAGES[page]}: this test must follow how it declares them"
    return props


def in_page_form(value: Any) -> Any:
    """An engine default as the page's state holds it: lists comma-separated, None empty."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return value


# Props only a page has: which tab the lab shows and the pace it shows a run at (the lecture
# pace, lab/pace.js: the server trains at full speed either way); the sample text the
# explorer's "text" input starts with (sent only once that input is chosen; `input` stands for
# the engine's text=None).
PAGE_ONLY = {("lab", "mode"), ("lab", "pace"), ("gradients", "text")}


def expected_page_defaults() -> dict[tuple[str, str], Any]:
    """(page, prop) -> the default the engine gives that prop, in the page's form."""
    train, compare = engine_defaults(TrainConfig), engine_defaults(CompareConfig)
    explore = engine_defaults(ExploreConfig)
    lab = {**train, **{f"compare_{name}": value for name, value in compare.items()}}
    gradients = {
        **explore,
        "distance": PhaseRequest.model_fields["distance"].default,
        "input": "random" if explore["text"] is None else "text",  # the page sends text: null
    }
    return {
        (page, name): in_page_form(engine[name])
        for page, engine in (("lab", lab), ("gradients", gradients))
        for name in page_defaults(page)
        if name in engine and (page, name) not in PAGE_ONLY
    }


# Where a page opens on purpose elsewhere than a notebook's `TrainConfig()`/`ExploreConfig()`:
# the lab on the lecture's long-range memory task, with norm clipping on; the explorer with its
# gain slider live (each W_hh block rescaled to sigma_max = gain), not PyTorch's init as drawn.
PAGE_CHOICES = {("lab", "task"): "recall", ("lab", "clip"): "norm", ("gradients", "scale"): "sigma"}
PAGE_PROPS = [(page, name) for page in PAGES for name in page_defaults(page)]


def test_every_page_prop_is_an_engine_setting_or_named_as_the_page_own():
    expected = expected_page_defaults()
    assert {prop for prop in PAGE_PROPS if prop not in expected} == PAGE_ONLY


@pytest.mark.parametrize(
    ("page", "name"),
    [prop for prop in PAGE_PROPS if prop not in PAGE_ONLY],
    ids=lambda value: value,
)
def test_a_page_default_is_the_engine_default_or_a_named_choice(page, name):
    declared = page_defaults(page)[name]
    if (page, name) in PAGE_CHOICES:
        assert declared == PAGE_CHOICES[page, name] != expected_page_defaults()[page, name]
    else:
        assert declared == expected_page_defaults()[page, name]
