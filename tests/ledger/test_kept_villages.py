"""我代管的村 (GET /me/kept-villages): the agency accountant sees exactly the villages of their village-scoped 代理会计
appointments, a village's accountant or secretary their own village; each with its open month, its drafts and
whether the last quarter's 财务公开 is overdue. Everyone else is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from backend import disclosures, registry
from backend.core.db import db
from backend.ledger import service as ledger
from backend.registry.models import RoleAssignment
from tests.factories import id_card

URL = "/api/v1/me/kept-villages"
MAY_20 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 2026-Q1 ended 31 March; due (10 days) 10 April


def voucher(village, on: date, post: bool = True) -> None:
    v = ledger.create_voucher(village, ledger.VoucherInput(
        on, "租金", [ledger.LineInput("102", 500_00, 0), ledger.LineInput("501001", 0, 500_00)]), actor=None)
    if post:
        ledger.post_voucher(v, actor=None)


@pytest.fixture
def world(make, now):
    now[0] = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)
    qs = make.township("QS", "青山镇")
    a, b, c = (make.village(code, name, township=qs) for code, name in
               (("LJ01", "临江村"), ("XZ02", "新竹村"), ("TQ03", "土桥村")))
    bs = make.township("BS", "白石镇")
    d = make.village("BS01", "白石村", township=bs)
    for v in (a, b, c, d):
        ledger.ensure_chart(v)
    agency = registry.add_staff_person("冯立", id_card(), qs, actor=None)
    make.role(agency, "township_accountant", village=a)
    make.role(agency, "township_accountant", village=b)
    w = {
        "a": a, "b": b, "c": c, "agency": agency,
        "acc": make.member(a, "李秀英", roles=("accountant",)),
        "sup": make.member(a, "赵德明", roles=("supervisor",)),
        "sec_b": make.member(b, "周海", roles=("secretary",)),
        "villager": make.member(a, "张大山"),
        "staff": make.staff(qs, "郑雯"),
        "wide": make.staff(qs, "镇会计", role="township_accountant"),  # a township-wide appointment keeps no books
    }
    # 临江村: Jan–Mar posted and closed, Q1 published; April has two drafts
    for m in (1, 2, 3):
        voucher(a, date(2026, m, 3))
        ledger.close_period(a, f"2026-{m:02d}", actor=None)
    dis, _ = disclosures.draft_disclosure(a, "2026-Q1", None, actor=make.principal(w["acc"]))
    disclosures.approve(dis, actor=make.principal(w["sup"]))
    disclosures.publish(dis, actor=make.principal(w["acc"]))
    voucher(a, date(2026, 4, 2), post=False)
    voucher(a, date(2026, 4, 3), post=False)
    # 新竹村: February and March posted, February closed, March open; nothing published
    voucher(b, date(2026, 2, 10))
    voucher(b, date(2026, 3, 10))
    ledger.close_period(b, "2026-02", actor=None)
    db.session.commit()
    now[0] = MAY_20
    return w


def get(client, make, who):
    return client.get(URL, headers=make.headers(who))


def test_the_agency_accountant_sees_the_villages_assigned_with_their_state(client, make, world):
    r = get(client, make, world["agency"])
    assert r.status_code == 200, r.json
    assert [row["name"] for row in r.json] == ["临江村", "新竹村"]
    lj, xz = r.json
    assert lj["roles"] == ["镇（乡）代理会计"]
    assert (lj["open_month"], lj["open_month_label"], lj["last_closed"], lj["drafts"]) == (
        "2026-04", "2026年4月", "2026-03", 2)
    assert (xz["open_month"], xz["last_closed"], xz["drafts"]) == ("2026-03", "2026-02", 0)
    assert lj["disclosure_period"] == "2026-Q1" and lj["disclosure_label"] == "2026年第1季度"
    assert lj["disclosure_published"] is True and lj["disclosure_overdue"] is False
    assert xz["disclosure_published"] is False and xz["disclosure_overdue"] is True
    assert xz["disclosure_due_on"] == "2026-04-10"


def test_overdue_only_after_the_due_day(client, make, world, now):
    now[0] = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)  # the due day itself
    xz = get(client, make, world["agency"]).json[1]
    assert xz["disclosure_published"] is False and xz["disclosure_overdue"] is False
    now[0] = datetime(2026, 4, 11, 2, 0, tzinfo=UTC)
    assert get(client, make, world["agency"]).json[1]["disclosure_overdue"] is True


def test_books_with_no_voucher_open_in_the_current_month(client, make, world):
    make.role(world["agency"], "township_accountant", village=world["c"])
    db.session.commit()
    rows = get(client, make, world["agency"]).json
    tq = next(row for row in rows if row["name"] == "土桥村")
    assert (tq["open_month"], tq["last_closed"], tq["drafts"]) == ("2026-05", None, 0)


def test_a_village_accountant_and_secretary_see_their_own_village(client, make, world):
    r = get(client, make, world["acc"])
    assert r.status_code == 200 and [row["name"] for row in r.json] == ["临江村"]
    assert r.json[0]["roles"] == ["会计"]
    r = get(client, make, world["sec_b"])
    assert r.status_code == 200 and [row["name"] for row in r.json] == ["新竹村"]


@pytest.mark.parametrize("who", ["sup", "villager", "staff", "wide"])
def test_people_who_keep_no_books_are_refused(client, make, world, who):
    r = get(client, make, world[who])
    assert r.status_code == 403 and r.json["error"]["code"] == "ledger.keeps_no_books"
    assert "记账" in r.json["error"]["message"]


def test_an_ended_appointment_drops_the_village(client, make, world):
    ra = db.session.execute(select(RoleAssignment).where(
        RoleAssignment.person_id == world["agency"].id, RoleAssignment.village_id == world["b"].id)).scalar_one()
    registry.end_role(ra, actor=None)
    db.session.commit()
    assert [row["name"] for row in get(client, make, world["agency"]).json] == ["临江村"]


def test_a_login_is_required(client):
    assert client.get(URL).status_code == 401


def test_the_month_close_screen_lists_the_months_and_the_one_to_close(client, make, world):
    a = world["a"]
    r = client.get(f"/api/v1/villages/{a.id}/ledger/months", headers=make.headers(world["agency"]))
    assert r.status_code == 200
    rows = [(m["period"], m["closed"], m["posted"], m["drafts"], m["is_open_month"], m["closed_by"]) for m in r.json]
    assert rows == [
        ("2026-04", False, 0, 2, True, None),
        ("2026-03", True, 1, 0, False, "系统"),
        ("2026-02", True, 1, 0, False, "系统"),
        ("2026-01", True, 1, 0, False, "系统"),
    ]
    # 土桥村 has no voucher: its open month (this month) is listed all the same
    tq = client.get(f"/api/v1/villages/{world['c'].id}/ledger/months", headers=make.headers(world["staff"])).json
    assert [(m["period"], m["is_open_month"], m["posted"]) for m in tq] == [("2026-05", True, 0)]
    url = f"/api/v1/villages/{a.id}/ledger/months"
    assert client.get(url, headers=make.headers(world["villager"])).status_code == 403
    assert client.get(url, headers=make.headers(world["sec_b"])).status_code == 404
