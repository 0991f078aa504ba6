"""Every error leaves in one shape, ``{"error": {"code", "message", "details"}}``, in Chinese, with no trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from backend import create_app
from backend.config import DEV_IDENTITY_KEY, DEV_SECRET_KEY, ConfigError
from backend.core.db import db
from backend.core.errors import (
    AppError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    unauthorized,
    unprocessable,
)
from backend.extensions import api

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LEAKS = ("Traceback", 'File "', "RuntimeError", "sqlalchemy", "SELECT", "INSERT", "psycopg", "sqlite3",
          "Werkzeug", "werkzeug", "<!doctype", "<html")


def _error(resp: TestResponse, status: int, code: str) -> dict[str, Any]:
    """Assert the one error shape and return its ``error`` object."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "details"}
    assert err["code"] == code
    assert isinstance(err["details"], dict)
    msg = err["message"]
    assert _CJK.search(msg), msg
    # no English in the message (the term "JSON" aside); a hint may follow in full-width brackets, and an unknown
    # field is named as the client sent it
    plain = re.sub(r"（[^）]*）$|不认识的字段：[A-Za-z_0-9]+$", "", msg).replace("JSON", "")
    assert not re.search(r"[A-Za-z]{2,}", plain), msg
    raw = resp.get_data(as_text=True)
    for leak in _LEAKS:
        assert leak not in raw, raw
    return err


@contextmanager
def _extra_app(base: Flask, **overrides: Any) -> Iterator[Flask]:
    """A second application built like the fixture app; the module-level flask-smorest ``Api`` is put back
    to the fixture app afterwards (``api.init_app`` rebinds it to the newest application)."""
    saved = {k: api.__dict__[k] for k in ("_app", "config", "spec")}
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": base.config["SQLALCHEMY_DATABASE_URI"],
        "WECHAT_API_BASE_URL": base.config["WECHAT_API_BASE_URL"],
        **overrides,
    }
    extra = create_app(cfg)
    try:
        yield extra
    finally:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()
        api.__dict__.update(saved)


# ------------------------------------------------------------------ routing, method, body


def test_unknown_url_is_404(client: FlaskClient) -> None:
    err = _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert err["message"] == "找不到您要的内容"
    assert err["details"] == {}


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    resp = client.get("/api/v1/auth/wechat-login")
    err = _error(resp, 405, "request.method_not_allowed")
    assert err["message"] == "不支持该操作方式"
    assert "POST" in resp.headers["Allow"]


def test_malformed_json_is_400(client: FlaskClient) -> None:
    resp = client.post("/api/v1/auth/wechat-login", data='{"code": "demo-x"', content_type="application/json")
    err = _error(resp, 400, "request.bad")
    assert err["message"] == "请求格式有误，请检查后重试"


def test_json_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    err = _error(client.post("/api/v1/auth/wechat-login", json=["demo-x"]), 422, "validation.failed")
    assert err["message"] == "请求内容应为 JSON 对象"
    assert err["details"] == {"fields": {"_schema": ["请求内容应为 JSON 对象"]}}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_refused_in_the_shape(client: FlaskClient, content_type: str) -> None:
    resp = client.post("/api/v1/auth/wechat-login", data="code=demo-x", content_type=content_type)
    err = _error(resp, 415, "request.unsupported_type")
    assert "JSON" in err["message"]


def test_unknown_field_is_422_naming_the_field(client: FlaskClient) -> None:
    resp = client.post("/api/v1/auth/wechat-login", json={"code": "demo-x", "openid": "o-x"})
    err = _error(resp, 422, "validation.failed")
    assert err["details"] == {"fields": {"openid": ["不认识的字段"]}}
    assert err["message"] == "不认识的字段：openid"


def test_missing_required_field_is_422(client: FlaskClient) -> None:
    err = _error(client.post("/api/v1/auth/wechat-login", json={}), 422, "validation.failed")
    assert err["details"] == {"fields": {"code": ["必填"]}}
    assert err["message"] == "编码：必填"


def test_wrong_type_is_422(client: FlaskClient) -> None:
    err = _error(client.post("/api/v1/auth/wechat-login", json={"code": 5}), 422, "validation.failed")
    assert err["details"] == {"fields": {"code": ["应为文字"]}}


def test_too_long_text_is_422_in_chinese(client: FlaskClient) -> None:
    err = _error(client.post("/api/v1/auth/wechat-login", json={"code": "x" * 129}), 422, "validation.failed")
    assert err["details"] == {"fields": {"code": ["长度应在1到128个字之间"]}}


def test_too_large_body_is_413(app: Flask, client: FlaskClient) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 5 * 1024 * 1024
    body = b'{"code": "' + b"x" * limit + b'"}'
    err = _error(client.post("/api/v1/auth/wechat-login", data=body, content_type="application/json"),
                 413, "request.too_large")
    assert err["message"] == "提交的内容太大"


def test_no_token_is_401(client: FlaskClient) -> None:
    err = _error(client.get("/api/v1/me"), 401, "auth.unauthenticated")
    assert err["message"] == "请先登录"


def test_bad_token_is_401(client: FlaskClient) -> None:
    err = _error(client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}), 401, "auth.token_invalid")
    assert err["message"] == "登录状态已失效，请重新登录"


# ------------------------------------------------------------------ views that fail


def test_second_app_works_and_keeps_the_spec(app: Flask, client: FlaskClient) -> None:
    before = client.get("/api/v1/openapi.json").get_json()
    with _extra_app(app) as extra:
        assert extra is not app
        assert extra.test_client().get("/api/v1/openapi.json").get_json() == before
        assert extra.test_client().get("/healthz").get_json() == {"status": "ok"}
        _error(extra.test_client().get("/nope"), 404, "not_found")
    assert client.get("/api/v1/openapi.json").get_json() == before
    assert api._app is app


def test_unexpected_exception_is_500_without_its_text(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with _extra_app(app) as extra:
        @extra.get("/boom")
        def boom() -> str:
            raise RuntimeError("secret detail: password=hunter2 at /srv/app.py")

        resp = extra.test_client().get("/boom")
    err = _error(resp, 500, "server.error")
    assert err["message"] == "系统出了点问题，请稍后再试"
    assert err["details"] == {}
    raw = resp.get_data(as_text=True)
    assert "hunter2" not in raw
    assert "secret detail" not in raw
    # the operators still get the whole story in the log
    assert any("hunter2" in (r.exc_text or "") or (r.exc_info and "hunter2" in str(r.exc_info[1]))
               for r in caplog.records)


def test_database_error_in_a_view_is_500_without_sql(app: Flask) -> None:
    with _extra_app(app) as extra:
        @extra.get("/bad-sql")
        def bad_sql() -> str:
            db.session.execute(text("INSERT INTO villages (id) VALUES (NULL)"))
            return "unreachable"

        resp = extra.test_client().get("/bad-sql")
    err = _error(resp, 500, "server.error")
    assert "villages" not in resp.get_data(as_text=True)
    assert err["details"] == {}


def test_app_error_in_a_view_keeps_its_code_and_details(app: Flask) -> None:
    with _extra_app(app) as extra:
        @extra.get("/closed")
        def closed() -> str:
            raise conflict("vote.closed", "投票已结束", vote_id=7)

        resp = extra.test_client().get("/closed")
    err = _error(resp, 409, "vote.closed")
    assert err == {"code": "vote.closed", "message": "投票已结束", "details": {"vote_id": 7}}


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "request.bad", "请求格式有误，请检查后重试"),
        (401, "auth.unauthenticated", "请先登录"),
        (403, "auth.forbidden", "您没有权限进行此操作"),
        (409, "conflict", "操作冲突，请刷新后重试"),
        (415, "request.unsupported_type", "提交的内容格式不受支持"),
        (422, "validation.failed", "提交的内容有误，请检查后重试"),
        (429, "request.too_many", "操作太频繁，请稍后再试"),
        (502, "upstream.unavailable", "外部服务暂时不可用，请稍后再试"),
        (503, "server.unavailable", "系统暂时不可用，请稍后再试"),
        (418, "request.error", "请求无法处理"),
    ],
)
def test_werkzeug_http_errors_are_translated(app: Flask, status: int, code: str, message: str) -> None:
    with _extra_app(app) as extra:
        @extra.get("/abort")
        def do_abort() -> str:
            abort(status)

        resp = extra.test_client().get("/abort")
    err = _error(resp, status, code)
    assert err["message"] == message


def test_error_shortcuts() -> None:
    cases = [
        (bad_request("x.bad", "不对", a=1), 400, "x.bad", "不对", {"a": 1}),
        (unauthorized(), 401, "auth.unauthenticated", "请先登录", {}),
        (forbidden(), 403, "auth.forbidden", "您没有权限进行此操作", {}),
        (not_found(), 404, "not_found", "找不到该记录", {}),
        (conflict("vote.closed", "投票已结束"), 409, "vote.closed", "投票已结束", {}),
        (unprocessable("x.bad", "内容有误", field="name"), 422, "x.bad", "内容有误", {"field": "name"}),
    ]
    for err, status, code, message, details in cases:
        assert isinstance(err, AppError)
        assert (err.status, err.code, err.message, err.details) == (status, code, message, details)
        assert err.to_dict() == {"error": {"code": code, "message": message, "details": details}}


# ------------------------------------------------------------------ health


def test_healthz(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz(client: FlaskClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready"}


def test_readyz_with_the_database_down_is_503(app: Flask) -> None:
    with _extra_app(
        app,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/x",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    ) as down:
        c = down.test_client()
        ready = c.get("/readyz")
        me = c.get("/api/v1/me", headers={"Authorization": "Bearer whatever"})
        health = c.get("/healthz")
    err = _error(ready, 503, "server.unavailable")
    assert err["message"] == "数据库暂时不可用"
    # a view that needs the database answers 503 in the same shape, without the driver's text
    err = _error(me, 503, "server.unavailable")
    assert err["message"] == "系统暂时不可用，请稍后再试"
    assert "127.0.0.1" not in me.get_data(as_text=True)
    # liveness does not depend on the database
    assert (health.status_code, health.get_json()) == (200, {"status": "ok"})


# ------------------------------------------------------------------ production guard

_GOOD_PROD = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "IDENTITY_HASH_KEY": "i" * 48,
    "WECHAT_APPID": "wx1234567890abcdef",
    "WECHAT_SECRET": "0123456789abcdef0123456789abcdef",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app:pw@127.0.0.1:1/sunshine",
}


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"IDENTITY_HASH_KEY": DEV_IDENTITY_KEY}, "IDENTITY_HASH_KEY"),
        ({"IDENTITY_HASH_KEY": "k" * 31}, "IDENTITY_HASH_KEY"),
        ({"WECHAT_APPID": "wx-demo-appid"}, "WECHAT_APPID"),
        ({"WECHAT_SECRET": "demo-secret"}, "WECHAT_APPID"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/prod.db"}, "DATABASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(app: Flask, override: dict[str, str], problem: str) -> None:
    saved = {k: api.__dict__[k] for k in ("_app", "config", "spec")}
    with pytest.raises(ConfigError, match=problem):
        create_app({**_GOOD_PROD, **override})
    assert api.__dict__["_app"] is saved["_app"]  # refused before anything was initialised


def test_production_with_the_default_secret_key_refuses_to_start(app: Flask) -> None:
    cfg = {k: v for k, v in _GOOD_PROD.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(cfg)


def test_production_with_proper_settings_starts(app: Flask) -> None:
    with _extra_app(app, **_GOOD_PROD) as prod:
        assert prod.config["APP_ENV"] == "production"
        assert prod.config["SECRET_KEY"] == "s" * 48
        resp = prod.test_client().get("/healthz")
    assert (resp.status_code, resp.get_json()) == (200, {"status": "ok"})
