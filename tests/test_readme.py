"""The README tells the truth about the settings and the API."""

from __future__ import annotations

import re
from pathlib import Path

from server.main import create_app
from server.routes.pages import LECTURE
from server.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented_with_its_default():
    rows = dict(re.findall(r"^\| `UNROLLED_(\w+)` \| ([^|]+) \|", README, re.MULTILINE))
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        if name != "checkpoint_dir":
            assert rows[name.upper()].strip() == str(field.default), name


def test_every_api_path_is_in_the_readme():
    paths = create_app().openapi()["paths"]
    assert "/api/trace" in paths
    missing = [path for path in paths if path.replace("{model_id}", "{id}") not in README]
    assert missing == []


def test_the_readme_teaches_the_lecture_in_the_home_pages_order():
    links = [f"`{path}?story={story}&scene=1`" for path, story, _, _ in LECTURE]
    missing = [link for link in links if link not in README]
    assert missing == []
    positions = [README.find(link) for link in links]
    assert positions == sorted(positions)
