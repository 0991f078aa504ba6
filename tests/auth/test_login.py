"""WeChat login, binding, lockout, tokens (contract: docs/api.md "Login and identity")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.auth.models import ApiToken, BindTicket, WeChatAccount
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from tests.factories import id_card

LOGIN = "/api/v1/auth/wechat-login"
BIND = "/api/v1/auth/bind"

ZHANG_ID = "37142719720415051X"


@pytest.fixture
def village(make):
    v = make.village()
    h = make.household(v, "LJ-005")
    make.member(v, "张大山", household=h, id_no=ZHANG_ID, phone="13900000005")
    db.session.commit()
    return v


def ticket(client, code: str = "demo-zhangdashan") -> str:
    r = client.post(LOGIN, json={"code": code})
    assert r.status_code == 200, r.json
    assert r.json["bound"] is False
    return r.json["bind_ticket"]


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- wechat-login


def test_new_wechat_account_gets_a_bind_ticket_and_no_secret(client, village):
    r = client.post(LOGIN, json={"code": "demo-newcomer"})
    assert r.status_code == 200
    assert r.json["bound"] is False and len(r.json["bind_ticket"]) >= 40
    assert "token" not in r.json and "session_key" not in r.get_data(as_text=True)
    acc = db.session.execute(select(WeChatAccount)).scalar_one()
    assert acc.openid == "o-newcomer" and acc.person_id is None and acc.session_key  # kept on the server


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("invalid", 400, "auth.code_invalid"),  # 40029
        ("used", 400, "auth.code_invalid"),  # 40163
        ("busy", 502, "wechat.unavailable"),  # -1
        ("limit", 502, "wechat.unavailable"),  # 45011
    ],
)
def test_wechat_error_codes_map_to_the_contract(client, village, code, status, error):
    r = client.post(LOGIN, json={"code": code})
    assert r.status_code == status
    assert r.json["error"]["code"] == error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["error"]["message"])
    assert count(WeChatAccount) == 0 and count(BindTicket) == 0


@pytest.mark.parametrize("mode", ["http500", "drop"])
def test_wechat_down_is_502_and_changes_nothing(client, village, standin, mode):
    standin.add_fault("/sns/jscode2session", mode, times=1)
    try:
        r = client.post(LOGIN, json={"code": "demo-zhangdashan"})
    finally:
        standin.clear_faults()
    assert r.status_code == 502 and r.json["error"]["code"] == "wechat.unavailable"
    assert count(WeChatAccount) == 0


def test_single_use_code_is_refused_the_second_time(client, village):
    assert client.post(LOGIN, json={"code": "wx-once-1"}).status_code == 200
    r = client.post(LOGIN, json={"code": "wx-once-1"})
    assert r.status_code == 400 and r.json["error"]["code"] == "auth.code_invalid"


def test_empty_or_missing_code_is_422(client):
    for body in ({}, {"code": ""}, {"code": "x" * 200}, {"code": 5}):
        r = client.post(LOGIN, json=body)
        assert r.status_code == 422, body
        assert r.json["error"]["code"] == "validation.failed"


# ---------------------------------------------------------------- bind by roster


def test_bind_by_roster_then_login_is_direct(client, village):
    t = ticket(client)
    r = client.post(BIND, json={"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051x"})
    assert r.status_code == 200, r.json
    assert r.json["bound"] is True and r.json["token"]
    assert r.json["expires_at"].endswith("+08:00")
    assert r.json["user"]["member"]["name"] == "张大山"
    assert r.json["user"]["village"]["code"] == "LJ01"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.bind")).scalar_one()
    assert entry.after_data()["method"] == "roster"
    # the ticket is spent
    again = client.post(
        BIND, json={"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    )
    assert again.status_code == 401 and again.json["error"]["code"] == "auth.ticket_invalid"
    # next time wx.login logs straight in
    r = client.post(LOGIN, json={"code": "demo-zhangdashan"})
    assert r.json["bound"] is True
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.status_code == 200 and me.json["member"]["name"] == "张大山"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "张小山"),
        ("id_card_last6", "150510"),
        ("village_code", "XZ02"),
        ("village_code", "NOPE"),
    ],
)
def test_bind_refuses_anything_but_an_exact_match(client, village, make, field, value):
    make.village("XZ02", "新竹村")
    db.session.commit()
    body = {"bind_ticket": ticket(client), "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    body[field] = value
    r = client.post(BIND, json=body)
    assert r.status_code == 404
    assert r.json["error"]["code"] == "auth.member_not_found"
    assert r.json["error"]["details"]["attempts_left"] == 4
    assert db.session.execute(select(WeChatAccount.person_id)).scalar_one() is None


def test_bind_input_errors_are_422_and_not_counted(client, village):
    t = ticket(client)
    bad = [
        {"bind_ticket": t, "village_code": "LJ01", "name": "张大山"},  # no last 6
        {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "12345"},
        {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "1234AB"},
        {"bind_ticket": t, "phone_code": "phone-13900000005", "name": "张大山"},  # two ways at once
        {"village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"},  # no ticket
    ]
    for body in bad:
        r = client.post(BIND, json=body)
        assert r.status_code == 422, (body, r.json)
        assert r.json["error"]["code"] == "validation.failed"
    assert db.session.execute(select(BindTicket.failures)).scalar_one() == 0


def test_person_already_bound_to_another_wechat_is_409(client, village):
    t1 = ticket(client, "demo-first")
    ok = client.post(
        BIND, json={"bind_ticket": t1, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    )
    assert ok.status_code == 200
    t2 = ticket(client, "demo-second")
    r = client.post(BIND, json={"bind_ticket": t2, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"})
    assert r.status_code == 409 and r.json["error"]["code"] == "auth.already_bound"
    assert (
        db.session.execute(select(WeChatAccount.person_id).where(WeChatAccount.openid == "o-second")).scalar_one()
        is None
    )


def test_expired_ticket_is_refused(client, village, now):
    t = ticket(client)
    now[0] += timedelta(minutes=11)
    r = client.post(BIND, json={"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.ticket_invalid"


def test_moved_out_member_cannot_bind(client, village):
    from backend.registry.models import Member

    m = db.session.execute(select(Member)).scalar_one()
    m.status = "moved_out"
    db.session.commit()
    r = client.post(
        BIND, json={"bind_ticket": ticket(client), "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    )
    assert r.status_code == 404


def test_staff_bind_with_the_township_code(client, make):
    t = make.township()
    make.village(township=t)
    make.staff(t, "郑雯", id_no="371427198305270240")
    db.session.commit()
    r = client.post(
        BIND,
        json={
            "bind_ticket": ticket(client, "demo-zhengwen"),
            "village_code": "QS",
            "name": "郑雯",
            "id_card_last6": "270240",
        },
    )
    assert r.status_code == 200, r.json
    user = r.json["user"]
    assert user["member"] is None and user["village"] is None
    assert user["township"]["name"] == "青山镇" and user["roles"] == ["township_staff"]


# ---------------------------------------------------------------- bind by phone


def test_bind_by_phone(client, village, standin):
    r = client.post(BIND, json={"bind_ticket": ticket(client), "phone_code": "phone-13900000005"})
    assert r.status_code == 200, r.json
    assert r.json["user"]["member"]["name"] == "张大山"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.bind")).scalar_one()
    assert entry.after_data()["method"] == "phone"


def test_phone_not_on_the_roster_counts_as_a_failure(client, village):
    t = ticket(client)
    r = client.post(BIND, json={"bind_ticket": t, "phone_code": "phone-13700000000"})
    assert r.status_code == 404 and r.json["error"]["details"]["attempts_left"] == 4


def test_bad_phone_code_is_400(client, village):
    r = client.post(BIND, json={"bind_ticket": ticket(client), "phone_code": "garbage"})
    assert r.status_code == 400 and r.json["error"]["code"] == "auth.phone_code_invalid"


def test_two_people_sharing_a_phone_cannot_bind_by_phone(client, village, make):
    make.member(village, "张大海", phone="13900000005")
    db.session.commit()
    r = client.post(BIND, json={"bind_ticket": ticket(client), "phone_code": "phone-13900000005"})
    assert r.status_code == 404
    assert db.session.execute(select(WeChatAccount.person_id)).scalar_one() is None


# ---------------------------------------------------------------- lockout


def test_five_failures_lock_the_ticket_and_slow_the_account(client, village, now):
    t = ticket(client)
    wrong = {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "000000"}
    left = [client.post(BIND, json=wrong) for _ in range(4)]
    assert [r.json["error"]["details"]["attempts_left"] for r in left] == [4, 3, 2, 1]
    fifth = client.post(BIND, json=wrong)
    assert fifth.status_code == 429 and fifth.json["error"]["code"] == "auth.too_many_attempts"
    right = dict(wrong, id_card_last6="15051X")
    assert client.post(BIND, json=right).status_code == 429  # the ticket stays locked
    # a fresh ticket for the same WeChat account does not get around it
    r = client.post(BIND, json=dict(right, bind_ticket=ticket(client)))
    assert r.status_code == 429 and r.json["error"]["details"]["retry_after_seconds"] > 0
    assert db.session.execute(select(WeChatAccount.person_id)).scalar_one() is None
    failures = db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "auth.bind_failed")
    ).scalar_one()
    assert failures == 5
    # after the lock period a new ticket works
    now[0] += timedelta(minutes=31)
    r = client.post(BIND, json=dict(right, bind_ticket=ticket(client)))
    assert r.status_code == 200


def test_another_wechat_account_is_not_slowed_by_someone_elses_lock(client, village):
    t = ticket(client, "demo-attacker")
    wrong = {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "000000"}
    for _ in range(5):
        client.post(BIND, json=wrong)
    # the lock is held: on the attacker's ticket and account, and it refuses even the right answer from them
    db.session.expire_all()
    attacker = db.session.execute(select(WeChatAccount).where(WeChatAccount.openid == "o-attacker")).scalar_one()
    assert attacker.bind_blocked_until is not None and attacker.bind_blocked_until > utcnow()
    locked = db.session.execute(select(BindTicket).where(BindTicket.wechat_account_id == attacker.id)).scalar_one()
    assert locked.locked_at is not None and locked.failures == 5
    refused = client.post(BIND, json=dict(wrong, bind_ticket=ticket(client, "demo-attacker"), id_card_last6="15051X"))
    assert refused.status_code == 429 and refused.json["error"]["code"] == "auth.too_many_attempts"
    # another WeChat account binds the same person at once: the lock is the attacker's, not the person's
    r = client.post(
        BIND, json={"bind_ticket": ticket(client), "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    )
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(WeChatAccount, attacker.id).person_id is None
    other = db.session.execute(select(WeChatAccount).where(WeChatAccount.person_id.is_not(None))).scalar_one()
    assert other.id != attacker.id and other.bind_blocked_until is None


# ---------------------------------------------------------------- tokens


def _bound_token(client) -> str:
    r = client.post(
        BIND, json={"bind_ticket": ticket(client), "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    )
    return r.json["token"]


def test_logout_revokes_at_once_and_only_that_token(client, village):
    tok = _bound_token(client)
    other = client.post(LOGIN, json={"code": "demo-zhangdashan"}).json["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_invalid"
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_tokens_are_stored_hashed(client, village):
    tok = _bound_token(client)
    stored = db.session.execute(select(ApiToken.token_hash)).scalars().all()
    assert tok not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_expired_token_is_401(client, village, now):
    tok = _bound_token(client)
    now[0] += timedelta(days=8)
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_expired"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer nonsense"])
def test_missing_or_bad_authorization_is_401(client, header):
    r = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert r.status_code == 401
    assert r.json["error"]["code"] in ("auth.unauthenticated", "auth.token_invalid")


def test_role_change_takes_effect_on_the_next_request(client, make):
    v = make.village()
    sec = make.member(v, "王建国", roles=("secretary",))
    h = make.headers(sec)
    assert client.get(f"/api/v1/villages/{v.id}/members", headers=h).status_code == 200
    assert "secretary" in client.get("/api/v1/me", headers=h).json["roles"]
    from backend.registry import roles
    from backend.registry.models import RoleAssignment

    ra = db.session.execute(select(RoleAssignment)).scalar_one()
    roles.end_role(ra, actor=None)
    db.session.commit()
    assert client.get(f"/api/v1/villages/{v.id}/members", headers=h).status_code == 403
    assert client.get("/api/v1/me", headers=h).json["roles"] == ["villager", "member"]


def test_me_for_a_plain_member(client, make):
    v = make.village()
    m = make.member(v, "刘小梅", id_no=id_card(female=True))
    r = client.get("/api/v1/me", headers=make.headers(m))
    assert r.status_code == 200
    body = r.json
    assert body["member"] == {"id": m.id, "name": "刘小梅", "household_id": m.household_id}
    assert body["village"] == {"id": v.id, "code": "LJ01", "name": "临江村"}
    assert body["township"]["name"] == "青山镇"
    assert body["roles"] == ["villager", "member"]
