"""The staff console served at /console/ from its build (CONSOLE_DIST): files as they are, hashed assets kept a
year, index.html for the app's own pages and revalidated each time, 404 in the one shape for a missing file, a
Chinese page without a build, and a Content-Security-Policy that keeps everything on this origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.security.conftest import assert_error

INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js"></script></head>' \
        '<body><div id="app"></div></body></html>'


@pytest.fixture
def dist(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('阳光村务')", encoding="utf-8")
    (tmp_path / "assets" / "index-def456.css").write_text("body{margin:0}", encoding="utf-8")
    (tmp_path / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    monkeypatch.setitem(app.config, "CONSOLE_DIST", str(tmp_path))
    return tmp_path


def _csp(resp: object) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    return {part.split()[0]: part.split(None, 1)[1] for part in policy.split("; ")}


def test_index_for_the_apps_pages(client: FlaskClient, dist: Path) -> None:
    for path in ("/console/", "/console/login", "/console/township/progress", "/console/villages/3/audit"):
        with client.get(path) as r:
            assert r.status_code == 200, path
            assert r.mimetype == "text/html"
            assert r.get_data(as_text=True) == INDEX
            assert r.headers["Cache-Control"] == "no-cache"
    with client.get("/console") as r:
        assert r.status_code == 308 and r.headers["Location"].endswith("/console/")


def test_hashed_assets_are_kept_a_year(client: FlaskClient, dist: Path) -> None:
    with client.get("/console/assets/index-abc123.js") as r:
        assert r.status_code == 200
        assert r.mimetype == "text/javascript"
        assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
    with client.get("/console/assets/index-def456.css") as r:
        assert r.status_code == 200 and r.mimetype == "text/css"
    with client.get("/console/favicon.ico") as r:  # a file outside assets/ has no hash: revalidated
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"


def test_a_missing_file_is_404_in_the_one_shape(client: FlaskClient, dist: Path) -> None:
    for path in ("/console/assets/index-000000.js", "/console/missing.css", "/console/assets/x.png",
                 "/console/../backend/config.py", "/console/%2e%2e/pyproject.toml"):
        assert_error(client.get(path), 404)


def test_the_policy_keeps_everything_on_this_origin(client: FlaskClient, dist: Path) -> None:
    for path in ("/console/", "/console/assets/index-abc123.js"):
        with client.get(path) as r:
            csp = _csp(r)
            assert csp["default-src"] == "'self'"
            assert csp["script-src"] == "'self'"  # no inline script, no eval, no other host
            assert csp["connect-src"] == "'self'"
            assert csp["img-src"] == "'self' data:"
            assert csp["style-src"] == "'self' 'unsafe-inline'"
            assert csp["frame-ancestors"] == "'none'"
            assert "http" not in r.headers["Content-Security-Policy"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_without_a_build_a_chinese_page_says_how(client: FlaskClient, app: Flask, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "CONSOLE_DIST", str(tmp_path / "nothing"))
    for path in ("/console/", "/console/login"):
        with client.get(path) as r:
            assert r.status_code == 503
            assert r.mimetype == "text/html"
            assert "管理端尚未构建，请运行 scripts/run" in r.get_data(as_text=True)
    assert_error(client.get("/console/assets/index-abc123.js"), 404)


def test_the_console_is_outside_the_api_spec(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert not [p for p in spec["paths"] if not p.startswith("/api/v1/") or "docs/static" in p]
