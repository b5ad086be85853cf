"""The Plotly.js the pages load: the vendored cartesian partial bundle, pinned by version and
sha256, with its licence, and holding every trace type the pages draw."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import plotly
import pytest

from server.main import create_app
from server.routes import vendor

PLOTLY_DIR = vendor.PLOTLY_DIR
PIN = json.loads((PLOTLY_DIR / "bundle.json").read_text())
BUNDLE = (PLOTLY_DIR / PIN["file"]).read_bytes()
STATIC_JS = Path(vendor.STATIC_DIR) / "js"
FULL_BUNDLE = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


def test_the_bundle_is_the_pinned_one_with_its_licence():
    assert hashlib.sha256(BUNDLE).hexdigest() == PIN["sha256"]
    assert f"v{PIN['version']}".encode() in BUNDLE[:200]  # its own header names the version
    assert b"cartesian" in BUNDLE[:200]
    assert "MIT License" in (PLOTLY_DIR / "LICENSE").read_text()


def test_the_server_sends_the_pinned_bundle_a_third_of_the_full_ones_size(client):
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.content == BUNDLE
    assert len(gzip.compress(BUNDLE)) < len(gzip.compress(FULL_BUNDLE)) / 2.5


def test_a_bundle_that_is_not_the_pinned_one_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bundle.json").write_text(json.dumps(PIN))
    (tmp_path / PIN["file"]).write_bytes(BUNDLE[:-1] + b" ")
    monkeypatch.setattr(vendor, "PLOTLY_DIR", tmp_path)
    with pytest.raises(RuntimeError, match=PIN["version"]):
        vendor.pinned_plotly()
    with pytest.raises(RuntimeError, match=PIN["version"]):
        create_app()  # the server does not start with it


def trace_types(bundle: bytes) -> set[str]:
    """The trace types a Plotly.js bundle registers."""
    return {name.decode() for name in re.findall(rb'moduleType:"trace",name:"(\w+)"', bundle)}


def test_every_trace_type_the_pages_draw_is_in_the_bundle():
    literals = {
        literal
        for path in STATIC_JS.rglob("*.js")
        for literal in re.findall(r'\btype: "(\w+)"', path.read_text())
    }
    used = literals & trace_types(FULL_BUNDLE)
    assert used >= {"scatter", "heatmap", "bar"}  # the scan finds the pages' traces
    assert used <= trace_types(BUNDLE), used - trace_types(BUNDLE)
