"""Binding under concurrent requests (PostgreSQL: real row locks and parallel transactions)."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.auth.models import ApiToken, WeChatAccount
from backend.core.db import db
from tests.factories import parallel

ZHANG_ID = "37142719720415051X"


def test_one_person_bound_by_two_phones_at_once_binds_once(app, client, make, postgres_only):
    v = make.village()
    make.member(v, "张大山", household=make.household(v, "LJ-005"), id_no=ZHANG_ID)
    db.session.commit()
    tickets = [client.post("/api/v1/auth/wechat-login", json={"code": f"demo-phone{i}"}).json["bind_ticket"]
               for i in range(6)]
    body = {"village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    results = parallel(app, [
        (lambda c, t=t: c.post("/api/v1/auth/bind", json={"bind_ticket": t, **body})) for t in tickets])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409, 409, 409, 409, 409], [r.json for r in results]
    db.session.expire_all()
    bound = db.session.execute(select(func.count()).select_from(WeChatAccount)
                               .where(WeChatAccount.person_id.is_not(None))).scalar_one()
    assert bound == 1
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 1


def test_one_ticket_used_twice_at_once_binds_once(app, client, make, postgres_only):
    v = make.village()
    make.member(v, "张大山", household=make.household(v, "LJ-005"), id_no=ZHANG_ID)
    db.session.commit()
    t = client.post("/api/v1/auth/wechat-login", json={"code": "demo-x"}).json["bind_ticket"]
    body = {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"}
    results = parallel(app, [(lambda c: c.post("/api/v1/auth/bind", json=body)) for _ in range(4)])
    assert sorted(r.status_code for r in results) == [200, 401, 401, 401]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 1


def test_concurrent_failures_are_all_counted(app, client, make, postgres_only):
    v = make.village()
    make.member(v, "张大山", household=make.household(v, "LJ-005"), id_no=ZHANG_ID)
    db.session.commit()
    t = client.post("/api/v1/auth/wechat-login", json={"code": "demo-x"}).json["bind_ticket"]
    wrong = {"bind_ticket": t, "village_code": "LJ01", "name": "张大山", "id_card_last6": "000000"}
    results = parallel(app, [(lambda c: c.post("/api/v1/auth/bind", json=wrong)) for _ in range(8)])
    statuses = sorted(r.status_code for r in results)
    # exactly four 404s then the lock: no lost update lets a ninth guess through
    assert statuses == [404, 404, 404, 404, 429, 429, 429, 429]


def test_first_login_of_one_account_from_two_requests_makes_one_account(app, make, postgres_only):
    make.village()
    db.session.commit()
    results = parallel(app, [(lambda c: c.post("/api/v1/auth/wechat-login", json={"code": "demo-twin"}))
                              for _ in range(4)])
    assert [r.status_code for r in results] == [200] * 4
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(WeChatAccount)).scalar_one() == 1
