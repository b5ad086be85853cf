"""Hardening of what the server sends: security headers, local /docs, the cached Plotly bundle."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from server.encoding import gzip_etag
from server.security import security_headers
from server.settings import Settings


@pytest.mark.parametrize("path", ["/", "/docs", "/healthz", "/api/models", "/favicon.ico"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no third-party origin
    assert directives["frame-ancestors"] == "'self'"  # slides on this origin may embed a page
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert not re.search(r"https?:", policy)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("setting", "frame_options"),
    [("'none'", "DENY"), ("'self' https://slides.example.edu", None), ("https:", None)],
)
def test_frame_ancestors_is_a_setting(setting, frame_options):
    headers = dict(security_headers(setting))
    policy = headers[b"content-security-policy"].decode()
    assert policy.endswith(f"frame-ancestors {setting}")
    assert headers.get(b"x-frame-options") == (frame_options and frame_options.encode())


@pytest.mark.parametrize(
    "bad", ["", "'self'; script-src *", "'unsafe-inline'", "https://a.example,https://b.example"]
)
def test_a_frame_ancestors_setting_that_would_change_the_policy_is_refused(bad):
    with pytest.raises(ValidationError, match="frame_ancestors"):
        Settings(frame_ancestors=bad)


def test_errors_carry_the_headers_too(client):
    response = client.get("/api/models/nope")
    assert response.status_code == 404
    assert "content-security-policy" in response.headers


def test_docs_load_swagger_ui_from_this_server(client):
    html = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources)
    assert "<script>" not in html  # only external module scripts
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_plotly_bundle_is_local_compressed_and_cached(client):
    response = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) > 1_000_000 and b"plotly" in response.content[:4000].lower()
    etag = response.headers["etag"]
    again = client.get("/vendor/plotly.min.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/", "/hello", "/explore", "/gradients", "/lab", "/docs"])
def test_pages_are_rendered_once_and_revalidate_to_a_304(client, path):
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"] == "no-cache"  # a new release is seen at once
    assert first.text.startswith("<!doctype html>")
    again = client.get(path, headers={"Accept-Encoding": "identity"})
    assert again.text == first.text and first.headers["etag"] == gzip_etag(again.headers["etag"])
    assert "content-encoding" not in again.headers
    not_modified = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""


def test_pages_list_every_builtin_model(client):
    ids = [model["id"] for model in client.get("/api/models").json()["models"]]
    home = client.get("/").text
    assert ids and all(model_id in home for model_id in ids)


def test_an_unknown_page_is_404_naming_the_pages(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "no page 'nope'; the pages are /, /hello, /explore, /gradients, /lab"
    )


@pytest.mark.parametrize("path", ["/favicon.ico", "/api/models", "/api/models/code-lstm"])
def test_kept_answers_are_the_same_bytes_and_revalidate(client, path):
    first = client.get(path)
    again = client.get(path)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
