"""The files the API serves besides JSON, all from this machine: the staff console's build at ``/console/`` and
Swagger UI's files for the docs page at ``/api/v1/docs``.

The console (``CONSOLE_DIST``, by default ``console/dist``, built by ``scripts/run``) is a single-page app:

- a file of the build is served as it is; ``/console/assets/*`` carry a content hash in their names, so the
  browser keeps them a year; ``index.html`` is revalidated on every load (``no-cache``), so a new build shows at once;
- any other ``/console/…`` path without a file extension is a page of the app: ``index.html``, and the app's router
  shows it (or its 找不到该页面 page); a missing file (a name with an extension) is 404 in the one error shape;
- without a build, a Chinese page says how to make one;
- every answer carries a Content-Security-Policy that lets the page load scripts, styles, images and data only
  from this origin (Element Plus sets inline styles; QR codes and icons are ``data:`` images).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, send_file
from werkzeug.security import safe_join

CONSOLE_PREFIX = "/console"
DOCS_STATIC = "/api/v1/docs/static"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>阳光村务 管理端</title></head>
<body style="font-family: sans-serif; margin: 3em;">
<h1>管理端尚未构建，请运行 scripts/run</h1>
<p>scripts/run 会在启动前构建管理端（console/dist）。也可以在 console 目录里运行 npm ci 和 npm run build。</p>
</body></html>
"""

console = Blueprint("console_site", __name__)


def _secured(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


@console.get(CONSOLE_PREFIX)
def console_root() -> Any:
    return redirect(CONSOLE_PREFIX + "/", code=308)


@console.get(CONSOLE_PREFIX + "/", defaults={"sub": ""})
@console.get(CONSOLE_PREFIX + "/<path:sub>")
def console_page(sub: str) -> Response:
    dist = Path(current_app.config.get("CONSOLE_DIST") or "")
    index = dist / "index.html"
    if sub:
        found = safe_join(str(dist), sub)
        if found is not None and os.path.isfile(found):
            resp = send_file(found, conditional=True, max_age=None)
            resp.headers["Cache-Control"] = IMMUTABLE if sub.startswith("assets/") else "no-cache"
            return _secured(resp)
        if "." in sub.rsplit("/", 1)[-1]:
            abort(404)  # the app's error handler answers in the one shape
    if not index.is_file():
        resp = Response(NOT_BUILT_PAGE, status=503, mimetype="text/html")
        resp.headers["Cache-Control"] = "no-store"
        return _secured(resp)
    resp = send_file(index, mimetype="text/html", conditional=True, max_age=None)
    resp.headers["Cache-Control"] = "no-cache"
    return _secured(resp)


# Swagger UI's files, from the swagger-ui-bundle package (pyproject.toml): only those the docs page loads.
# This module imports nothing of the project: it serves files, and a missing one is a plain 404 that
# core.errors' handler turns into the one shape.
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-16x16.png": "image/png",
    "favicon-32x32.png": "image/png",
}

docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.get(DOCS_STATIC + "/<name>")
def docs_asset(name: str) -> Response:
    from swagger_ui_bundle import swagger_ui_path

    if name not in DOCS_ASSETS:
        abort(404)
    resp = send_file(Path(str(swagger_ui_path)) / name, mimetype=DOCS_ASSETS[name], conditional=True, max_age=86400)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def install_static_sites(app: Flask) -> None:
    """The console at /console/ and the docs' files at /api/v1/docs/static/ (outside the OpenAPI spec)."""
    app.register_blueprint(console)
    app.register_blueprint(docs_assets)
