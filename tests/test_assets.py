"""Static files under content-addressed URLs (server/assets.py): the pages name only those,
each is cached as immutable, a changed file is a new release, and each page declares its whole
module graph for modulepreload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.assets import Assets

PAGES = ["/", "/hello", "/explore", "/gradients", "/lab"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_name_static_files_by_release_and_those_are_immutable(client, path):
    html = client.get(path).text
    release = client.app.state.assets.prefix  # taken when the app started
    local = re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html)
    assert local, "the page names its scripts and styles"
    assert [url for url in local if not url.startswith(release + "/")] == []
    for url in set(local):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", url


@pytest.mark.parametrize("path", ["/hello", "/explore", "/gradients", "/lab"])
def test_a_page_preloads_its_whole_module_graph(client, path):
    html = client.get(path).text
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
    (entry,) = re.findall(r'<script type="module" src="([^"]+/main\.js)"', html)
    assets: Assets = client.app.state.assets
    graph = assets.preloads(entry.removeprefix(assets.prefix + "/"))
    assert entry in preloaded and set(preloaded) == set(graph)
    assert len(graph) > 10  # a page's modules, not just its entry


def test_another_release_is_not_served_as_this_one(client):
    response = client.get("/static/v/0123456789abcdef/js/dom.js")
    assert response.status_code == 404


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_a_changed_file_makes_a_new_release(tmp_path):
    write(tmp_path, {"js/a.js": "export const a = 1;\n", "css/x.css": "p {}\n"})
    before = Assets(tmp_path).release
    assert Assets(tmp_path).release == before  # the same bytes, the same release
    write(tmp_path, {"css/x.css": "p { color: red }\n"})
    assert Assets(tmp_path).release != before


def test_the_module_graph_follows_every_kind_of_import(tmp_path):
    write(
        tmp_path,
        {
            "js/page/main.js": (
                '/** @typedef {import("../types.js").T} T */\n'
                'import { a,\n  b } from "../lib/ab.js";\n'
                'import "./side.js";\n'
                'export { c } from "./c.js";\n'
            ),
            "js/lib/ab.js": 'import { d } from "./d.js";\nexport const a = d, b = d;\n',
            "js/lib/d.js": "export const d = 1;\n",
            "js/page/side.js": "",
            "js/page/c.js": 'import { a } from "../lib/ab.js";\nexport const c = a;\n',
            "js/types.js": "",
        },
    )
    graph = Assets(tmp_path).module_graph("js/page/main.js")
    assert graph[0] == "js/page/main.js"
    assert sorted(graph) == sorted(
        ["js/page/main.js", "js/lib/ab.js", "js/lib/d.js", "js/page/side.js", "js/page/c.js"]
    )
