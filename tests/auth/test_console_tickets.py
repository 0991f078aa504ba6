"""The staff console's log-in by scanning (contract: docs/api.md "The staff console's log-in by scanning")."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.auth.models import ApiToken, ConsoleTicket, WeChatAccount
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.registry.models import RoleAssignment
from tests.factories import parallel
from tests.security.conftest import assert_error

TICKETS = "/api/v1/auth/console-tickets"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 " * 3


def _chinese(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s)


@pytest.fixture
def people(make):
    """临江村: a secretary and a plain member; 郑雯 of the township; 东岭村: its own secretary."""
    v = make.village()
    other = make.village("DL02", "东岭村")
    secretary = make.member(v, "李书记", roles=("secretary",))
    member = make.member(v, "张大山", id_no="37142719720415051X")
    zheng = make.staff(v.township)
    far = make.member(other, "王书记", roles=("secretary",))
    db.session.commit()
    return {"village": v, "secretary": secretary, "member": member, "zheng": zheng, "far": far}


def _new(client, **kw):
    r = client.post(TICKETS, json=kw.pop("json", {}), headers={"User-Agent": UA}, **kw)
    assert r.status_code == 201, r.json
    return r.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _status(client, ticket: str) -> dict:
    r = client.get(f"{TICKETS}/{ticket}")
    assert r.status_code == 200, r.json
    return r.json


def _approve(client, code: str, headers) -> object:
    return client.post(f"{TICKETS}/{code}/approve", headers=headers)


def _login(client, make, who) -> tuple[str, dict]:
    """A console token for ``who``, through a scan approved with their app token."""
    t = _new(client)
    assert _approve(client, t["code"], make.headers(who)).status_code == 204
    r = _status(client, t["ticket"])
    assert r["status"] == "approved"
    return r["token"], r


# ---------------------------------------------------------------- the whole flow


def test_scan_approve_and_the_first_poll_gets_the_token_once(client, make, people):
    before = utcnow()
    t = _new(client, environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert set(t) == {"ticket", "qr", "code", "expires_at", "poll_interval_seconds"}
    assert t["qr"] == "sunshine-console:" + t["code"] and t["ticket"] not in t["qr"]
    assert len(t["ticket"]) >= 40 and len(t["code"]) >= 20 and t["poll_interval_seconds"] == 2
    assert timedelta(seconds=118) <= _at(t["expires_at"]) - before <= timedelta(seconds=121)
    row = db.session.execute(select(ConsoleTicket)).scalar_one()
    assert row.ticket_hash == hashlib.sha256(t["ticket"].encode()).hexdigest()  # only the hash is kept
    assert row.browser == UA[:120] and row.address == "198.51.100.23"

    assert _status(client, t["ticket"]) == {"status": "waiting", "expires_at": t["expires_at"]}
    sec = make.headers(people["secretary"])
    info = client.get(f"{TICKETS}/{t['code']}/request", headers=sec)
    assert info.status_code == 200
    assert info.json["status"] == "waiting" and info.json["browser"] == UA[:120]
    assert info.json["address"] == "198.51.100.23" and info.json["expires_at"] == t["expires_at"]

    assert _approve(client, t["code"], sec).status_code == 204
    first = _status(client, t["ticket"])
    assert first["status"] == "approved" and len(first["token"]) >= 40
    assert first["user"]["name"] == "李书记" and "secretary" in first["user"]["roles"]
    assert first["user"]["person_id"] == people["secretary"].person_id
    lives = _at(first["expires_at"]) - utcnow()
    assert timedelta(hours=7, minutes=59) <= lives <= timedelta(hours=8)  # CONSOLE_TOKEN_TTL_HOURS, default 8

    me = client.get("/api/v1/me", headers=_bearer(first["token"]))
    assert me.status_code == 200 and me.json["name"] == "李书记"
    again = _status(client, t["ticket"])
    assert again == {"status": "used", "expires_at": t["expires_at"]}  # no token the second time

    token = db.session.execute(select(ApiToken).where(ApiToken.kind == "console")).scalar_one()
    assert token.token_hash == hashlib.sha256(first["token"].encode()).hexdigest()
    row = db.session.execute(select(ConsoleTicket)).scalar_one()
    assert row.status == "used" and row.token_id == token.id and row.used_at is not None
    assert row.approved_by_id == people["secretary"].person_id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.console_login")).scalar_one()
    assert entry.actor_person_id == people["secretary"].person_id and entry.village_id == people["village"].id
    assert '"198.51.100.23"' in entry.after and "Chrome" in entry.after


def test_browser_given_in_the_body_wins_over_the_user_agent(client, people):
    t = _new(client, json={"browser": "  Chrome 120 · Windows  "})
    assert db.session.execute(select(ConsoleTicket.browser)).scalar_one() == "Chrome 120 · Windows"
    assert t["ticket"]


def test_a_township_staff_member_logs_in_and_sees_the_township(client, make, people):
    token, r = _login(client, make, people["zheng"])
    assert r["user"]["township"]["name"] == "青山镇" and r["user"]["roles"] == ["township_staff"]
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_the_qr_code_alone_cannot_poll(client, make, people):
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    r = client.get(f"{TICKETS}/{t['code']}")  # whoever photographed the QR code
    assert_error(r, 404, "auth.ticket_not_found")
    assert "token" not in r.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "console")
                              ).scalar_one() == 0
    assert _status(client, t["ticket"])["status"] == "approved"  # the console itself still gets it


def test_the_ticket_itself_is_accepted_for_approve_and_request(client, make, people):
    t = _new(client)
    sec = make.headers(people["secretary"])
    assert client.get(f"{TICKETS}/{t['ticket']}/request", headers=sec).status_code == 200
    assert _approve(client, t["ticket"], sec).status_code == 204
    assert "token" in _status(client, t["ticket"])


# ---------------------------------------------------------------- refusals


def test_a_plain_member_cannot_approve_and_the_ticket_keeps_waiting(client, make, people):
    t = _new(client)
    err = assert_error(_approve(client, t["code"], make.headers(people["member"])), 403, "auth.not_staff")
    assert err["message"] == "只有村干部、村务监督委员和乡镇工作人员可以登录管理端"
    assert _status(client, t["ticket"])["status"] == "waiting"
    assert db.session.execute(select(ConsoleTicket.status)).scalar_one() == "waiting"
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204


def test_approving_needs_a_login(client, people):
    t = _new(client)
    assert_error(client.post(f"{TICKETS}/{t['code']}/approve"), 401)
    assert_error(client.get(f"{TICKETS}/{t['code']}/request"), 401)
    assert _status(client, t["ticket"])["status"] == "waiting"


def test_a_console_token_cannot_approve_another_console(client, make, people):
    token, _ = _login(client, make, people["secretary"])
    t = _new(client)
    err = assert_error(_approve(client, t["code"], _bearer(token)), 403, "auth.app_only")
    assert _chinese(err["message"])
    assert _status(client, t["ticket"])["status"] == "waiting"


@pytest.mark.parametrize("action", ["approve", "refuse", "request"])
def test_unknown_ticket_is_404(client, make, people, action):
    sec = make.headers(people["secretary"])
    url = f"{TICKETS}/no-such-code/{action}"
    r = client.get(url, headers=sec) if action == "request" else client.post(url, headers=sec)
    err = assert_error(r, 404, "auth.ticket_not_found")
    assert _chinese(err["message"])
    assert_error(client.get(f"{TICKETS}/no-such-ticket"), 404, "auth.ticket_not_found")


def test_a_ticket_lives_at_most_two_minutes(client, make, people, now):
    t = _new(client)
    sec = make.headers(people["secretary"])
    now[0] += timedelta(seconds=119)
    assert _status(client, t["ticket"])["status"] == "waiting"
    now[0] += timedelta(seconds=1)
    assert _status(client, t["ticket"])["status"] == "expired"
    err = assert_error(_approve(client, t["code"], sec), 410, "auth.ticket_gone")
    assert err["message"] == "二维码已过期，请刷新后重新扫码"
    assert_error(client.get(f"{TICKETS}/{t['code']}/request", headers=sec), 410, "auth.ticket_gone")
    assert_error(client.post(f"{TICKETS}/{t['code']}/refuse", headers=sec), 410, "auth.ticket_gone")
    assert db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "console")
                              ).scalar_one() == 0


def test_an_approved_ticket_not_collected_in_time_expires_without_a_token(client, make, people, now):
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    now[0] += timedelta(seconds=121)
    assert _status(client, t["ticket"]) == {"status": "expired", "expires_at": t["expires_at"]}
    assert db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "console")
                              ).scalar_one() == 0


def test_a_used_ticket_is_gone(client, make, people):
    t = _new(client)
    sec = make.headers(people["secretary"])
    assert _approve(client, t["code"], sec).status_code == 204
    assert "token" in _status(client, t["ticket"])
    err = assert_error(_approve(client, t["code"], sec), 410, "auth.ticket_gone")
    assert err["details"] == {"status": "used"} and _chinese(err["message"])
    assert_error(client.get(f"{TICKETS}/{t['code']}/request", headers=sec), 410, "auth.ticket_gone")


def test_approving_twice_is_gone_the_second_time(client, make, people):
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    err = assert_error(_approve(client, t["code"], make.headers(people["zheng"])), 410, "auth.ticket_gone")
    assert err["details"] == {"status": "approved"}
    assert db.session.execute(select(ConsoleTicket.approved_by_id)).scalar_one() == people["secretary"].person_id


def test_refuse(client, make, people):
    t = _new(client)
    member = make.headers(people["member"])  # anyone who scanned it may say no
    assert client.post(f"{TICKETS}/{t['code']}/refuse", headers=member).status_code == 204
    assert _status(client, t["ticket"]) == {"status": "refused", "expires_at": t["expires_at"]}
    info = client.get(f"{TICKETS}/{t['code']}/request", headers=member)
    assert info.status_code == 200 and info.json["status"] == "refused"
    err = assert_error(_approve(client, t["code"], make.headers(people["secretary"])), 410, "auth.ticket_gone")
    assert err["details"] == {"status": "refused"}
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.console_refused")).scalar_one()
    assert entry.actor_person_id == people["member"].person_id
    assert _status(client, t["ticket"])["status"] == "refused"  # still no token


def test_new_ticket_body_is_checked(client, people):
    r = client.post(TICKETS, json={"browser": "x", "extra": 1})
    assert_error(r, 422)
    assert db.session.execute(select(func.count()).select_from(ConsoleTicket)).scalar_one() == 0
    assert client.post(TICKETS).status_code == 201  # no body at all is fine


def test_old_tickets_are_cleared_after_a_day(client, people, now):
    _new(client)
    now[0] += timedelta(days=1, minutes=3)
    _new(client)
    assert db.session.execute(select(func.count()).select_from(ConsoleTicket)).scalar_one() == 1


# ---------------------------------------------------------------- the console's token


def test_the_console_token_expires_after_its_hours(client, make, people, now):
    token, r = _login(client, make, people["secretary"])
    expires = db.session.execute(select(ApiToken.expires_at).where(ApiToken.kind == "console")).scalar_one()
    assert _at(r["expires_at"]) == expires.replace(microsecond=0)  # the API shows whole seconds
    now[0] = expires - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    now[0] += timedelta(seconds=1)
    assert_error(client.get("/api/v1/me", headers=_bearer(token)), 401, "auth.token_expired")


def test_logout_stops_the_console_token(client, make, people):
    token, _ = _login(client, make, people["secretary"])
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=_bearer(token)).status_code == 204
    assert_error(client.get("/api/v1/me", headers=_bearer(token)), 401, "auth.token_invalid")


def test_ending_the_staff_role_stops_the_console_token_at_the_next_request(app, client, make, people):
    token, _ = _login(client, make, people["secretary"])
    app_token = make.headers(people["secretary"])
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.role == "secretary",
                                                         RoleAssignment.village_id == people["village"].id)
                            ).scalars().first()
    ra.valid_to = utcnow()
    db.session.commit()
    err = assert_error(client.get("/api/v1/me", headers=_bearer(token)), 401, "auth.not_staff_anymore")
    assert err["message"] == "您已不再担任管理职务，请重新扫码登录"
    # a public read with that token is refused too: the console goes back to its log-in page
    assert_error(client.get(f"/api/v1/villages/{people['village'].id}", headers=_bearer(token)), 401,
                 "auth.not_staff_anymore")
    # the mini-program's token of the same person keeps working: they are still a villager
    assert client.get("/api/v1/me", headers=app_token).status_code == 200


def test_a_role_ended_between_approval_and_poll_gives_no_token(client, make, people):
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.role == "secretary")).scalars().first()
    ra.valid_to = utcnow()
    db.session.commit()
    assert_error(client.get(f"{TICKETS}/{t['ticket']}"), 401, "auth.not_staff_anymore")
    assert db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "console")
                              ).scalar_one() == 0


def test_concurrent_polls_deliver_the_token_once(app, client, make, people, postgres_only):
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    answers = parallel(app, [lambda c: c.get(f"{TICKETS}/{t['ticket']}") for _ in range(6)])
    assert [a.status_code for a in answers] == [200] * 6
    statuses = sorted(a.json["status"] for a in answers)
    assert statuses == ["approved"] + ["used"] * 5
    assert sum("token" in a.json for a in answers) == 1
    assert db.session.execute(select(func.count()).select_from(ApiToken).where(ApiToken.kind == "console")
                              ).scalar_one() == 1


def test_concurrent_approvals_approve_once(app, client, make, people, postgres_only):
    t = _new(client)
    heads = [make.headers(people["secretary"]), make.headers(people["zheng"])] * 2
    answers = parallel(app, [lambda c, h=h: _approve(c, t["code"], h) for h in heads])
    assert sorted(a.status_code for a in answers) == [204, 410, 410, 410]
    assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "auth.console_login")).scalar_one() == 1


# ---------------------------------------------------------------- unbinding a member's WeChat


def _bind_account(person_id: int, openid: str) -> WeChatAccount:
    acc = WeChatAccount(appid="wx-demo-appid", openid=openid, person_id=person_id, bound_at=utcnow())
    db.session.add(acc)
    db.session.commit()
    return acc


def test_the_secretary_unbinds_a_members_lost_phone_and_the_member_binds_again(client, make, people):
    member = people["member"]
    _bind_account(member.person_id, "o-zhangdashan")
    login = client.post("/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan"})
    assert login.json["bound"] is True
    phone = _bearer(login.json["token"])
    assert client.get("/api/v1/me", headers=phone).status_code == 200

    r = client.post(f"/api/v1/members/{member.id}/unbind-wechat", headers=make.headers(people["secretary"]))
    assert r.status_code == 204
    assert_error(client.get("/api/v1/me", headers=phone), 401, "auth.token_invalid")
    assert db.session.execute(select(WeChatAccount.person_id)).scalar_one() is None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.unbind")).scalar_one()
    assert entry.actor_person_id == people["secretary"].person_id and entry.village_id == people["village"].id

    again = client.post(f"/api/v1/members/{member.id}/unbind-wechat", headers=make.headers(people["secretary"]))
    assert_error(again, 404, "auth.not_bound")

    # the member binds again (his new phone, or the old one found again) through the ordinary binding
    t = client.post("/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan-new"}).json
    assert t["bound"] is False
    bound = client.post("/api/v1/auth/bind", json={"bind_ticket": t["bind_ticket"], "village_code": "LJ01",
                                                   "name": "张大山", "id_card_last6": "15051X"})
    assert bound.status_code == 200 and bound.json["bound"] is True
    assert client.get("/api/v1/me", headers=_bearer(bound.json["token"])).json["name"] == "张大山"


def test_township_staff_may_unbind_too(client, make, people):
    _bind_account(people["member"].person_id, "o-zhangdashan")
    r = client.post(f"/api/v1/members/{people['member'].id}/unbind-wechat", headers=make.headers(people["zheng"]))
    assert r.status_code == 204


def test_unbinding_is_for_the_villages_secretary_only(client, make, people):
    _bind_account(people["member"].person_id, "o-zhangdashan")
    url = f"/api/v1/members/{people['member'].id}/unbind-wechat"
    assert_error(client.post(url, headers=make.headers(people["far"])), 404)  # another village's secretary
    assert_error(client.post(url, headers=make.headers(people["member"])), 403)  # a plain member, himself
    assert_error(client.post(url), 401)
    assert_error(client.post("/api/v1/members/999999/unbind-wechat", headers=make.headers(people["secretary"])), 404)
    assert db.session.execute(select(WeChatAccount.person_id)).scalar_one() == people["member"].person_id


def test_an_over_long_ticket_or_code_is_unknown(client, make, people):
    long = "x" * 129
    assert_error(client.get(f"{TICKETS}/{long}"), 404, "auth.ticket_not_found")
    assert_error(_approve(client, long, make.headers(people["secretary"])), 404, "auth.ticket_not_found")


def test_the_poll_that_may_carry_a_token_is_kept_by_no_cache(client, make, people):
    """The first poll after approval answers a token: no-store, and no ETag (a validator would invite a cache)."""
    t = _new(client)
    assert _approve(client, t["code"], make.headers(people["secretary"])).status_code == 204
    r = client.get(f"{TICKETS}/{t['ticket']}")
    assert r.status_code == 200 and "token" in r.json
    assert r.headers["Cache-Control"] == "no-store" and "ETag" not in r.headers
