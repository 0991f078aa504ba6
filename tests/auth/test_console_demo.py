"""The console's demo log-in (never in production), its settings, its rate limits, and ``auth.bound_counts``."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend import create_app
from backend.auth import bound_counts
from backend.auth.models import ApiToken, WeChatAccount
from backend.config import ConfigError
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.extensions import api
from tests.security.conftest import assert_error

DEMO_LIST = "/api/v1/auth/demo-console-logins"
DEMO_LOGIN = "/api/v1/auth/demo-console-login"
TICKETS = "/api/v1/auth/console-tickets"

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "IDENTITY_HASH_KEY": "i" * 48,
    "WECHAT_APPID": "wx1234567890abcdef",
    "WECHAT_SECRET": "0123456789abcdef0123456789abcdef",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app:pw@127.0.0.1:1/sunshine",
}


def _bind(person_id: int, openid: str, appid: str = "wx-demo-appid") -> None:
    db.session.add(WeChatAccount(appid=appid, openid=openid, person_id=person_id, bound_at=utcnow()))


@pytest.fixture
def demo(make):
    v = make.village()
    zheng = make.staff(v.township)
    zhao = make.member(v, "赵德明", roles=("supervisor",))
    zhang = make.member(v, "张大山")
    _bind(zheng.id, "o-zhengwen")
    _bind(zhao.person_id, "o-zhaodeming")
    _bind(zhang.person_id, "o-zhangdashan")
    make.member(v, "李四", roles=("accountant",))  # staff, but not bound: not offered
    db.session.add(WeChatAccount(appid="wx-demo-appid", openid="o-nobody"))  # bound to nobody
    db.session.commit()
    return {"village": v, "zheng": zheng, "zhao": zhao, "zhang": zhang}


def test_the_demo_staff_are_listed(client, demo):
    r = client.get(DEMO_LIST)
    assert r.status_code == 200
    assert r.json == [
        {"key": "zhengwen", "name": "郑雯", "roles": ["township_staff"], "role_labels": ["镇（乡）工作人员"]},
        {"key": "zhaodeming", "name": "赵德明", "roles": ["supervisor"], "role_labels": ["村务监督委员"]},
    ]  # 张大山 is no staff; 李四 has no WeChat


def test_a_demo_login_runs_the_real_path_and_gives_a_console_token(client, demo):
    r = client.post(DEMO_LOGIN, json={"key": "zhengwen"}, headers={"User-Agent": "Firefox 128"})
    assert r.status_code == 200, r.json
    assert set(r.json) == {"token", "expires_at", "user"}
    assert r.json["user"]["name"] == "郑雯" and r.json["user"]["roles"] == ["township_staff"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.status_code == 200 and me.json["person_id"] == demo["zheng"].id
    tok = db.session.execute(select(ApiToken)).scalar_one()
    assert tok.kind == "console" and tok.expires_at - utcnow() <= timedelta(hours=8)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.console_login")).scalar_one()
    assert entry.actor_person_id == demo["zheng"].id and '"demo"' in entry.after and "Firefox 128" in entry.after


def test_a_demo_login_of_someone_who_is_no_staff_is_refused(client, demo):
    err = assert_error(client.post(DEMO_LOGIN, json={"key": "zhangdashan"}), 403, "auth.not_staff")
    assert err["message"] == "只有村干部、村务监督委员和乡镇工作人员可以登录管理端"
    assert_error(client.post(DEMO_LOGIN, json={"key": "nobody"}), 404, "auth.demo_unknown")
    assert_error(client.post(DEMO_LOGIN, json={"key": "stranger"}), 404, "auth.demo_unknown")
    assert_error(client.post(DEMO_LOGIN, json={}), 422)
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 0


def test_the_demo_login_follows_the_roles_of_now(client, demo):
    from backend.registry.models import RoleAssignment

    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.role == "supervisor")).scalar_one()
    ra.valid_to = utcnow()
    db.session.commit()
    assert [d["key"] for d in client.get(DEMO_LIST).json] == ["zhengwen"]
    assert_error(client.post(DEMO_LOGIN, json={"key": "zhaodeming"}), 403, "auth.not_staff")


def test_production_has_no_demo_log_in(app):
    saved = {k: api.__dict__[k] for k in ("_app", "config", "spec")}
    try:
        prod = create_app(PRODUCTION)
        c = prod.test_client()
        assert_error(c.get(DEMO_LIST), 404)
        assert_error(c.post(DEMO_LOGIN, json={"key": "zhengwen"}), 404)
        paths = c.get("/api/v1/openapi.json").get_json()["paths"]
        assert "/api/v1/auth/console-tickets" in paths  # scanning stays
        assert not any("demo" in p for p in paths)
    finally:
        api.__dict__.update(saved)
    # and the development application keeps them
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert DEMO_LIST in paths and DEMO_LOGIN in paths


@pytest.mark.parametrize(("name", "value"), [
    ("CONSOLE_TICKET_SECONDS", 121), ("CONSOLE_TICKET_SECONDS", 0), ("CONSOLE_TOKEN_TTL_HOURS", 13),
    ("CONSOLE_TOKEN_TTL_HOURS", 0),
])
def test_the_console_settings_are_bounded(app, name, value):
    saved = api.__dict__["_app"]
    with pytest.raises(ConfigError, match=name):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], name: value})
    assert api.__dict__["_app"] is saved  # refused before anything was initialised


def test_a_shorter_ticket_and_the_longest_token(app, client, make, now, monkeypatch):
    # both settings are read when a ticket or a token is made (create_app only checks their bounds)
    monkeypatch.setitem(app.config, "CONSOLE_TICKET_SECONDS", 30)
    monkeypatch.setitem(app.config, "CONSOLE_TOKEN_TTL_HOURS", 12)
    v = make.village()
    headers = make.headers(make.member(v, "李书记", roles=("secretary",)))
    t = client.post(TICKETS).json
    now[0] += timedelta(seconds=29)
    assert client.post(f"{TICKETS}/{t['code']}/approve", headers=headers).status_code == 204
    assert "token" in client.get(f"{TICKETS}/{t['ticket']}").json
    tok = db.session.execute(select(ApiToken).where(ApiToken.kind == "console")).scalar_one()
    assert tok.expires_at - tok.created_at == timedelta(hours=12)
    t2 = client.post(TICKETS).json
    now[0] += timedelta(seconds=30)
    assert client.get(f"{TICKETS}/{t2['ticket']}").json["status"] == "expired"


def test_the_console_doors_are_rate_limited(app, client, make, monkeypatch):
    # the limits are read on each request; fresh addresses, so no other test's counts matter
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    net = f"198.18.{secrets.randbelow(250)}"
    v = make.village()
    headers = make.headers(make.member(v, "李书记", roles=("secretary",)))
    c = client
    ip = {"REMOTE_ADDR": f"{net}.1"}
    assert [c.post(TICKETS, environ_base=ip).status_code for _ in range(2)] == [201, 201]
    err = assert_error(c.post(TICKETS, environ_base=ip), 429, "request.too_many")
    assert err["message"] == "操作太频繁，请稍后再试"
    assert c.post(TICKETS, environ_base={"REMOTE_ADDR": f"{net}.2"}).status_code == 201  # another address
    phone = {"REMOTE_ADDR": f"{net}.3"}
    for _ in range(2):
        assert c.post(f"{TICKETS}/nothing/approve", headers=headers, environ_base=phone).status_code == 404
    assert_error(c.post(f"{TICKETS}/nothing/approve", headers=headers, environ_base=phone), 429)
    for _ in range(2):  # each door counts on its own, like wechat-login and bind
        assert c.post(f"{TICKETS}/nothing/refuse", headers=headers, environ_base=phone).status_code == 404
    assert_error(c.post(f"{TICKETS}/nothing/refuse", headers=headers, environ_base=phone), 429)
    demo = {"REMOTE_ADDR": f"{net}.4"}
    for _ in range(2):
        assert c.post(DEMO_LOGIN, json={}, environ_base=demo).status_code == 422
    assert_error(c.post(DEMO_LOGIN, json={}, environ_base=demo), 429)
    # polling is not limited: the console polls every 2 seconds for 2 minutes
    t = c.post(TICKETS, environ_base={"REMOTE_ADDR": f"{net}.5"}).json
    assert all(c.get(f"{TICKETS}/{t['ticket']}", environ_base=ip).status_code == 200 for _ in range(5))


def test_bound_counts(make):
    v = make.village()
    other = make.village("DL02", "东岭村")
    a = make.member(v, "甲")
    b = make.member(v, "乙")
    make.member(v, "丙")
    c = make.member(other, "丁")
    gone = make.member(v, "戊")
    gone.status = "moved_out"
    _bind(a.person_id, "o-a")
    _bind(b.person_id, "o-b")
    _bind(c.person_id, "o-c")
    _bind(gone.person_id, "o-e")
    db.session.commit()
    assert bound_counts([v.id, other.id]) == {v.id: 2, other.id: 1}
    assert bound_counts([]) == {}
    empty = make.village("KB03", "空白村")
    assert bound_counts([empty.id]) == {empty.id: 0}
