"""Helpers of the hostile-input tests: the one error shape, and applications built with the rate limits on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from backend import create_app
from backend.core.db import db
from backend.core.ratelimit import limiter
from backend.extensions import api

CJK = re.compile(r"[\u4e00-\u9fff]")
LEAKS = ("Traceback", 'File "', "sqlalchemy", "SELECT ", "INSERT ", "psycopg", "sqlite3", "Werkzeug", "<!doctype",
         "<html", "<title>")


def error_of(status: int, headers: Any, raw: bytes) -> dict[str, Any]:
    """Problems with a non-2xx answer as a list of strings (empty: it is in the one shape); used by every test here
    and by the schemathesis run, which collects them instead of stopping at the first."""
    import json

    problems: list[str] = []
    ctype = headers.get("Content-Type", "") if hasattr(headers, "get") else ""
    if isinstance(ctype, list):
        ctype = ctype[0] if ctype else ""
    if not str(ctype).startswith("application/json"):
        problems.append(f"Content-Type {ctype!r}")
    text = raw.decode("utf-8", "replace")
    for leak in LEAKS:
        if leak in text:
            problems.append(f"leaks {leak!r}")
    try:
        body = json.loads(raw)
    except ValueError:
        return {"problems": [*problems, "not JSON"], "error": None}
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(err, dict):
        return {"problems": [*problems, "not {'error': {...}}"], "error": None}
    if set(err) != {"code", "message", "details"}:
        problems.append(f"error keys {sorted(err)}")
    if not isinstance(err.get("code"), str) or not err.get("code"):
        problems.append("no code")
    if not isinstance(err.get("message"), str) or not CJK.search(err.get("message") or ""):
        problems.append(f"message without Chinese: {err.get('message')!r}")
    if not isinstance(err.get("details"), dict):
        problems.append("details is not an object")
    if status >= 500:
        problems.append(f"status {status}")
    return {"problems": problems, "error": err}


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """A Flask test response: the status, the one shape with a Chinese message, no trace; returns ``error``."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    checked = error_of(resp.status_code, resp.headers, resp.get_data())
    assert not checked["problems"], (checked["problems"], resp.get_data(as_text=True)[:500])
    err = checked["error"]
    if code is not None:
        assert err["code"] == code, err
    return err


@contextmanager
def app_with(base: Flask, **overrides: Any) -> Iterator[Flask]:
    """A second application on the fixture's database and stand-in, with ``overrides`` (the rate limits on, low).

    Flask-Limiter's extension object and flask-smorest's ``Api`` are module-level singletons that ``init_app``
    rebinds to the newest application: both are put back afterwards, so the fixture application is as it was."""
    saved_api = {k: api.__dict__[k] for k in ("_app", "config", "spec", "ma_plugin", "flask_plugin")
                 if k in api.__dict__}
    saved_limiter = dict(limiter.__dict__)
    saved_limiter["_storage_options"] = dict(limiter._storage_options)
    limiter._key_prefix = ""  # Flask-Limiter keeps the first prefix it saw; let this app's setting apply
    limiter._storage_options = {}
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": base.config["SQLALCHEMY_DATABASE_URI"],
        "WECHAT_API_BASE_URL": base.config["WECHAT_API_BASE_URL"],
        "REDIS_URL": None,
        **overrides,
    }
    extra: Flask | None = None
    try:
        extra = create_app(cfg)  # inside: a create_app that refuses a setting has rebound the singletons already
        yield extra
    finally:
        if extra is not None:
            with extra.app_context():
                db.session.remove()
                db.engine.dispose()
        api.__dict__.update(saved_api)
        limiter.__dict__.clear()
        limiter.__dict__.update(saved_limiter)
