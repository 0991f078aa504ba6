"""The books: every voucher balances on every path, numbers run without gaps, posted vouchers never change
(and the database refuses it too), reversals, closed months, the large-expense rule, scope, sub-accounts.

Requests run in an app context of their own (as in production), so what a refused request flushed is
rolled back by the real teardown and the counts below show only what was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.errors import AppError
from backend.decisions.pipeline.models import Decision
from backend.ledger import service as ledger
from backend.ledger.models import Account, Period, Voucher, VoucherCounter, VoucherLine
from tests import factories
from tests.factories import Factory, id_card

Api = Callable[..., Any]


# ---------------------------------------------------------------- helpers


def ln(code: str, debit: str | None = None, credit: str | None = None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"account_code": code, **more}
    if debit is not None:
        out["debit"] = debit
    if credit is not None:
        out["credit"] = credit
    return out


def rent(amount: str = "300.00") -> list[dict[str, Any]]:
    """收到土地租金: bank ← 租赁收入."""
    return [ln("102", amount), ln("501002", credit=amount)]


def expense(amount: str, code: str = "513") -> list[dict[str, Any]]:
    """An expense paid from the bank."""
    return [ln(code, amount), ln("102", credit=amount)]


def body(on: str = "2026-01-10", lines: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    return {"voucher_date": on, "summary": more.pop("summary", "收到土地租金"), "lines": lines or rent(), **more}


def counts() -> dict[str, int]:
    return {
        m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
        for m in (Voucher, VoucherLine, VoucherCounter, Period, AuditEntry, Account)
    }


def actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def error_code(r: Any) -> str:
    return r.json["error"]["code"]


def has_chinese(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    """``api(method, url, who, json=...)``: one request in its own app context, like a real one."""

    def call(method: str, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        db.session.commit()  # what the test set up is visible to the request
        with app.app_context():
            r = client.open(url, method=method, headers=headers, **kw)
        db.session.commit()  # end the test's snapshot: see what the request committed
        return r

    return call


@pytest.fixture
def w(make: Factory) -> SimpleNamespace:
    """青山镇: 临江村 (A) with its accountant, secretary, supervisor, committee member and a villager;
    新竹村 (B) with its accountant; a township official; an agency accountant who keeps only A's books."""
    qs = make.township("QS", "青山镇")
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("XZ02", "新竹村", township=qs)
    people = {
        "acct": make.member(a, "李会计", roles=("accountant",)),
        "sec": make.member(a, "王书记", roles=("secretary",)),
        "sup": make.member(a, "赵监督", roles=("supervisor",)),
        "com": make.member(a, "孙委员", roles=("committee",)),
        "villager": make.member(a, "陈村民"),
        "b_acct": make.member(b, "周会计", roles=("accountant",)),
        "staff": make.staff(qs, "郑雯"),
    }
    agency = registry.add_staff_person("冯代账", id_card(), qs, actor=None)
    make.role(agency, "township_accountant", village=a)
    people["agency"] = agency
    ledger.ensure_chart(a)
    ledger.ensure_chart(b)
    db.session.commit()
    h = {who: make.headers(p) for who, p in people.items()}
    return SimpleNamespace(qs=qs, a=a, b=b, a_id=a.id, b_id=b.id, h=h, **people)


def create(api: Api, w: SimpleNamespace, payload: dict[str, Any], who: str = "acct", village: int | None = None) -> Any:
    return api("POST", f"/api/v1/villages/{village or w.a_id}/vouchers", w.h[who], json=payload)


def draft(api: Api, w: SimpleNamespace, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    r = create(api, w, payload or body(), **kw)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "draft" and r.json["number"] is None
    return int(r.json["id"])


def post(api: Api, w: SimpleNamespace, vid: int, who: str = "acct") -> Any:
    return api("POST", f"/api/v1/vouchers/{vid}/post", w.h[who])


def posted(api: Api, w: SimpleNamespace, payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    vid = draft(api, w, payload, **kw)
    r = post(api, w, vid, who=kw.get("who", "acct"))
    assert r.status_code == 200, r.json
    return r.json


def reverse(api: Api, w: SimpleNamespace, vid: int, on: str, reason: str = "金额记错", who: str = "acct") -> Any:
    return api("POST", f"/api/v1/vouchers/{vid}/reverse", w.h[who], json={"date": on, "reason": reason})


def close(api: Api, w: SimpleNamespace, period: str, who: str = "acct", village: int | None = None) -> Any:
    return api("POST", f"/api/v1/villages/{village or w.a_id}/periods/{period}/close", w.h[who])


def lines_of(vid: int) -> list[tuple[str, int, int]]:
    v = ledger.get_voucher(vid)
    return [(x.account.code, x.debit_fen, x.credit_fen) for x in v.lines]


def resolved_decision(village_id: int, amount_fen: int | None = 10_000_000) -> int:
    d = factories.resolved_decision(village_id, "新建村道照明工程", "工程建设", amount_fen, date(2025, 12, 20))
    db.session.commit()
    return d.id


def decision_with_status(village_id: int, status: str) -> int:
    d = Decision(village_id=village_id, title="修缮村委会办公楼", category="工程建设", amount_fen=8_000_000,
                 status=status, resolved_on=date(2025, 12, 1) if status in ("resolved", "done") else None)
    db.session.add(d)
    db.session.commit()
    return d.id


# ---------------------------------------------------------------- balance on every path


def test_an_unbalanced_voucher_is_refused_on_create_and_nothing_is_written(api, w):
    before = counts()
    r = create(api, w, body(lines=[ln("102", "100.00"), ln("501002", credit="99.99")]))
    assert r.status_code == 422 and error_code(r) == "ledger.unbalanced"
    msg = r.json["error"]["message"]
    assert has_chinese(msg) and "借贷不平" in msg and "100.00" in msg and "99.99" in msg
    assert r.json["error"]["details"] == {"debit": "100.00", "credit": "99.99", "fields": {"lines": msg}}
    assert counts() == before


def test_lines_all_on_one_side_are_refused(api, w):
    before = counts()
    r = create(api, w, body(lines=[ln("102", "50.00"), ln("101", "50.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.unbalanced"
    r = create(api, w, body(lines=[ln("211", credit="50.00"), ln("501002", credit="50.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.unbalanced"
    assert counts() == before


@pytest.mark.parametrize(
    "bad",
    [
        ln("102", "10.00", "10.00"),  # both sides
        ln("102"),  # neither side
        ln("102", "0.00"),  # zero
        ln("102", "-10.00"),  # negative
    ],
    ids=["both-sides", "neither-side", "zero", "negative"],
)
def test_a_line_must_be_one_sided_and_positive(api, w, bad):
    before = counts()
    r = create(api, w, body(lines=[bad, ln("501002", credit="10.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.bad_line"
    assert "第1行" in r.json["error"]["message"]
    assert counts() == before


def test_fewer_than_two_lines_is_refused(api, w):
    before = counts()
    for lines in ([ln("102", "10.00")], []):
        r = create(api, w, {"voucher_date": "2026-01-10", "summary": "只有一行", "lines": lines})
        assert r.status_code == 422 and has_chinese(r.json["error"]["message"])
    assert counts() == before
    with pytest.raises(AppError) as info:  # the service refuses it too, whoever calls it
        ledger.create_voucher(w.a, ledger.VoucherInput(date(2026, 1, 10), "只有一行", [
            ledger.LineInput("102", debit_fen=1000)]), actor=None)
    assert info.value.code == "ledger.too_few_lines"


def test_unknown_and_parent_accounts_are_refused(api, w, make):
    ledger.add_subaccount(w.b, "112", "112001", "单位", category=None, actor=None)  # only 新竹村 has it
    db.session.commit()
    before = counts()
    r = create(api, w, body(lines=[ln("102", "10.00"), ln("599", credit="10.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.account_unknown" and "599" in r.json["error"]["message"]
    r = create(api, w, body(lines=[ln("112001", "10.00"), ln("102", credit="10.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.account_unknown"  # another village's sub-account
    r = create(api, w, body(lines=[ln("102", "10.00"), ln("501", credit="10.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.account_not_leaf"
    assert "第2行" in r.json["error"]["message"] and "明细科目" in r.json["error"]["message"]
    assert counts() == before


@pytest.mark.parametrize(
    "amount",
    [12.3, 12, "12.345", "1,000.00", "١٢.٠٠", "12.3e1", True, None],
    ids=["float", "int", "three-decimals", "comma", "arabic-indic", "exponent", "bool", "null"],
)
def test_money_in_json_must_be_a_string_of_yuan(api, w, amount):
    before = counts()
    r = create(api, w, body(lines=[{"account_code": "102", "debit": amount}, ln("501002", credit="12.30")]))
    assert r.status_code == 422 and error_code(r) == "validation.failed", r.json
    assert has_chinese(r.json["error"]["message"])
    assert counts() == before


def test_money_as_a_string_is_stored_exactly(api, w):
    r = create(api, w, body(lines=[ln("102", "12.3"), ln("501002", credit="12.30")]))
    assert r.status_code == 201
    assert r.json["total"] == "12.30" and [x["debit"] for x in r.json["lines"]] == ["12.30", "0.00"]
    assert lines_of(r.json["id"]) == [("102", 1230, 0), ("501002", 0, 1230)]


def test_an_update_must_balance_and_a_refused_one_changes_nothing(api, w):
    vid = draft(api, w)
    before = counts()
    unbalanced = body(lines=[ln("102", "1.00"), ln("504", credit="2.00")])
    r = api("PUT", f"/api/v1/vouchers/{vid}", w.h["acct"], json=unbalanced)
    assert r.status_code == 422 and error_code(r) == "ledger.unbalanced"
    assert counts() == before and lines_of(vid) == [("102", 30000, 0), ("501002", 0, 30000)]
    r = api("PUT", f"/api/v1/vouchers/{vid}", w.h["acct"],
            json=body("2026-01-12", [ln("101", "2.00"), ln("504", credit="1.50"), ln("503", credit="0.50")],
                      summary="收到捐款"))
    assert r.status_code == 200, r.json
    assert r.json["summary"] == "收到捐款" and r.json["total"] == "2.00" and r.json["status"] == "draft"
    assert lines_of(vid) == [("101", 200, 0), ("504", 0, 150), ("503", 0, 50)]
    assert actions()[-1] == "ledger.voucher_update"


def test_posting_checks_the_balance_again(api, w):
    """A draft made unbalanced behind the service's back (drafts are not frozen) cannot be posted."""
    vid = draft(api, w)
    line_id = db.session.execute(select(VoucherLine.id).where(VoucherLine.voucher_id == vid,
                                                               VoucherLine.line_no == 1)).scalar_one()
    db.session.execute(text("UPDATE ledger_voucher_lines SET debit_fen = 29999 WHERE id = :id"), {"id": line_id})
    db.session.commit()
    before = counts()
    r = post(api, w, vid)
    assert r.status_code == 422 and error_code(r) == "ledger.unbalanced"
    assert counts() == before
    v = db.session.get(Voucher, vid)
    assert v.status == "draft" and v.number is None


def test_a_reversal_balances_line_by_line(api, w):
    original = posted(api, w, body(lines=[ln("102", "700.00"), ln("501002", credit="500.00"),
                                          ln("504", credit="200.00")]))
    r = reverse(api, w, original["id"], "2026-01-20")
    assert r.status_code == 201, r.json
    rev = lines_of(r.json["id"])
    assert rev == [("102", 0, 70000), ("501002", 50000, 0), ("504", 20000, 0)]
    assert sum(d for _, d, _ in rev) == sum(c for _, _, c in rev) == 70000


LEAVES = ("101", "102", "112", "121", "151", "211", "212", "301", "501001", "501002", "503", "504", "511", "513",
          "514", "515")
amounts = st.integers(min_value=1, max_value=10**12)


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[ledger.LineInput]:
    total = draw(st.integers(min_value=2, max_value=10**13))
    sides = []
    for is_debit in (True, False):
        k = draw(st.integers(min_value=1, max_value=min(5, total)))
        cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=total - 1), min_size=k - 1, max_size=k - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        sides += [(is_debit, p) for p in parts]
    order = draw(st.permutations(sides))
    return [ledger.LineInput(draw(st.sampled_from(LEAVES)), p if d else 0, 0 if d else p) for d, p in order]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=balanced_lines())
def test_any_balanced_voucher_posts_and_its_stored_lines_balance(w, lines):
    ref = str(factories.resolved_decision(w.a_id, "大额支出", "工程建设", None, date(2025, 12, 1)).id)
    v = ledger.create_voucher(w.a, ledger.VoucherInput(date(2026, 3, 1), "随机凭证", lines, decision_ref=ref),
                              actor=None)
    ledger.post_voucher(v, actor=None)
    db.session.expire_all()
    stored = db.session.execute(select(VoucherLine).where(VoucherLine.voucher_id == v.id)
                                .order_by(VoucherLine.line_no)).scalars().all()
    debit, credit = sum(x.debit_fen for x in stored), sum(x.credit_fen for x in stored)
    assert debit == credit == db.session.get(Voucher, v.id).total_fen == sum(x.debit_fen for x in lines)
    assert [(x.debit_fen, x.credit_fen) for x in stored] == [(x.debit_fen, x.credit_fen) for x in lines]
    assert db.session.get(Voucher, v.id).status == "posted"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=balanced_lines(), at=st.integers(min_value=0, max_value=9), delta=st.integers(1, 10**9))
def test_any_unbalanced_voucher_is_refused(w, lines, at, delta):
    lines = list(lines)
    i = at % len(lines)
    x = lines[i]
    lines[i] = ledger.LineInput(x.account_code, x.debit_fen + delta if x.debit_fen else 0,
                                x.credit_fen + delta if x.credit_fen else 0)
    before = db.session.execute(select(func.count()).select_from(Voucher)).scalar_one()
    with pytest.raises(AppError) as info:
        ledger.create_voucher(w.a, ledger.VoucherInput(date(2026, 3, 1), "随机凭证", lines), actor=None)
    assert info.value.status == 422 and info.value.code == "ledger.unbalanced"
    assert db.session.execute(select(func.count()).select_from(Voucher)).scalar_one() == before


# ---------------------------------------------------------------- numbering


def test_numbers_run_per_village_per_month_in_posting_order(api, w):
    jan5 = draft(api, w, body("2026-01-05"))
    jan3 = draft(api, w, body("2026-01-03"))
    feb = draft(api, w, body("2026-02-01"))
    jan20 = draft(api, w, body("2026-01-20"))
    b_jan = draft(api, w, body("2026-01-08"), who="b_acct", village=w.b_id)
    assert post(api, w, jan3).json["number"] == 1  # posting order, not voucher date order
    assert post(api, w, feb).json["number"] == 1
    assert post(api, w, b_jan, who="b_acct").json["number"] == 1
    assert post(api, w, jan5).json["number"] == 2
    r = api("GET", f"/api/v1/vouchers/{jan20}", w.h["acct"])
    assert r.json["number"] is None and r.json["status"] == "draft"
    assert post(api, w, jan20).json["number"] == 3
    r = api("GET", f"/api/v1/villages/{w.a_id}/vouchers?period=2026-01&status=posted", w.h["acct"])
    assert r.status_code == 200 and [v["number"] for v in r.json["items"]] == [3, 2, 1]


def test_a_refused_post_uses_no_number(api, w):
    big = draft(api, w, body(lines=expense("60000.00"), summary="修路"))
    r = post(api, w, big)
    assert r.status_code == 422 and error_code(r) == "ledger.decision_required"
    small = posted(api, w)
    assert small["number"] == 1  # the refused post left no hole
    ref = resolved_decision(w.a_id)
    r = api("PUT", f"/api/v1/vouchers/{big}", w.h["acct"],
            json=body(lines=expense("60000.00"), summary="修路", decision_ref=str(ref)))
    assert r.status_code == 200
    assert post(api, w, big).json["number"] == 2
    counter = db.session.get(VoucherCounter, (w.a_id, "2026-01"))
    assert counter.last_number == 2
    numbers = db.session.execute(select(Voucher.number).where(Voucher.village_id == w.a_id)
                                 .order_by(Voucher.number)).scalars().all()
    assert numbers == [1, 2]


# ---------------------------------------------------------------- immutability


def test_a_posted_voucher_cannot_be_changed_or_deleted_through_the_api(api, w):
    v = posted(api, w)
    before = counts()
    r = api("PUT", f"/api/v1/vouchers/{v['id']}", w.h["acct"], json=body(lines=rent("1.00")))
    assert r.status_code == 409 and error_code(r) == "ledger.voucher_posted" and "冲销" in r.json["error"]["message"]
    r = api("DELETE", f"/api/v1/vouchers/{v['id']}", w.h["acct"])
    assert r.status_code == 409 and error_code(r) == "ledger.voucher_posted"
    r = post(api, w, v["id"])
    assert r.status_code == 409 and error_code(r) == "ledger.voucher_posted"
    assert counts() == before
    assert lines_of(v["id"]) == [("102", 30000, 0), ("501002", 0, 30000)]
    assert db.session.get(Voucher, v["id"]).number == 1


def test_a_draft_can_be_deleted(api, w):
    vid = draft(api, w)
    r = api("DELETE", f"/api/v1/vouchers/{vid}", w.h["acct"])
    assert r.status_code == 204
    assert db.session.get(Voucher, vid) is None
    assert db.session.execute(select(func.count()).select_from(VoucherLine)).scalar_one() == 0
    assert actions()[-1] == "ledger.voucher_delete"


RAW_REFUSED = {
    "update summary": "UPDATE ledger_vouchers SET summary = '改过' WHERE id = :v",
    "update total": "UPDATE ledger_vouchers SET total_fen = 1 WHERE id = :v",
    "back to draft": "UPDATE ledger_vouchers SET status = 'draft', number = NULL WHERE id = :v",
    "delete voucher": "DELETE FROM ledger_vouchers WHERE id = :v",
    "update line": "UPDATE ledger_voucher_lines SET debit_fen = debit_fen + 1 WHERE voucher_id = :v AND debit_fen > 0",
    "update line account": "UPDATE ledger_voucher_lines SET account_id = :acc WHERE voucher_id = :v",
    "delete line": "DELETE FROM ledger_voucher_lines WHERE voucher_id = :v",
    "insert line": "INSERT INTO ledger_voucher_lines (voucher_id, line_no, account_id, debit_fen, credit_fen) "
    "VALUES (:v, 3, :acc, 100, 0)",
}


@pytest.mark.parametrize("sql", list(RAW_REFUSED.values()), ids=list(RAW_REFUSED))
def test_the_database_refuses_to_change_a_posted_voucher(api, w, sql):
    v = posted(api, w)
    acc = db.session.execute(select(Account.id).where(Account.village_id == w.a_id, Account.code == "101")).scalar()
    with pytest.raises(IntegrityError) as info:
        db.session.execute(text(sql), {"v": v["id"], "acc": acc})
    assert "已记账" in str(info.value.orig)
    db.session.rollback()
    stored = db.session.get(Voucher, v["id"])
    assert (stored.status, stored.number, stored.summary, stored.total_fen) == ("posted", 1, "收到土地租金", 30000)
    assert lines_of(v["id"]) == [("102", 30000, 0), ("501002", 0, 30000)]


def test_the_database_refuses_to_post_an_unbalanced_voucher(api, w):
    vid = draft(api, w)
    db.session.execute(text("UPDATE ledger_voucher_lines SET credit_fen = 100 WHERE voucher_id = :v "
                            "AND credit_fen > 0"), {"v": vid})  # a draft may still change
    db.session.commit()
    with pytest.raises(IntegrityError) as info:
        db.session.execute(text("UPDATE ledger_vouchers SET status = 'posted', number = 1 WHERE id = :v"), {"v": vid})
    assert "借贷不平" in str(info.value.orig)
    db.session.rollback()
    empty = Voucher(village_id=w.a_id, voucher_date=date(2026, 1, 9), period="2026-01", summary="空凭证")
    db.session.add(empty)
    db.session.commit()
    with pytest.raises(IntegrityError):  # no lines at all is not "balanced" either
        db.session.execute(text("UPDATE ledger_vouchers SET status = 'posted', number = 2 WHERE id = :v"),
                           {"v": empty.id})
    db.session.rollback()
    assert db.session.get(Voucher, vid).status == "draft"


def test_the_database_refuses_to_move_a_line_into_a_posted_voucher(api, w):
    v = posted(api, w)
    other = draft(api, w, body("2026-01-11"))
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE ledger_voucher_lines SET voucher_id = :v, line_no = line_no + 10 "
                                "WHERE voucher_id = :d AND line_no = 1"), {"v": v["id"], "d": other})
    db.session.rollback()


# ---------------------------------------------------------------- reversal


def test_a_reversal_swaps_the_lines_points_to_the_original_and_leaves_it_alone(api, w):
    posted(api, w, body("2026-02-02"))  # February's first number is taken
    original = posted(api, w, body("2026-01-10"))
    r = reverse(api, w, original["id"], "2026-02-03", reason="重复入账")
    assert r.status_code == 201, r.json
    rev = r.json
    assert rev["reverses_id"] == original["id"] and rev["status"] == "posted" and rev["source"] == "reversal"
    assert rev["period"] == "2026-02" and rev["number"] == 2 and rev["voucher_date"] == "2026-02-03"
    assert "冲销2026-01第1号凭证" in rev["summary"] and "重复入账" in rev["summary"]
    assert [(x["account_code"], x["debit"], x["credit"]) for x in rev["lines"]] == [
        ("102", "0.00", "300.00"), ("501002", "300.00", "0.00")]
    again = api("GET", f"/api/v1/vouchers/{original['id']}", w.h["acct"]).json
    assert {k: again[k] for k in ("status", "number", "period", "total", "lines", "summary", "reverses_id")} == {
        k: original[k] for k in ("status", "number", "period", "total", "lines", "summary", "reverses_id")}
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ledger.voucher_reverse")).scalar_one()
    assert entry.object_id == original["id"] and entry.after_data()["reversal_id"] == rev["id"]


def test_a_reversal_on_the_same_day_is_allowed(api, w):
    original = posted(api, w)
    r = reverse(api, w, original["id"], original["voucher_date"])
    assert r.status_code == 201 and r.json["number"] == 2 and r.json["period"] == "2026-01"


def test_reversal_refusals(api, w):
    original = posted(api, w)
    d = draft(api, w, body("2026-01-11"))
    before = counts()
    r = reverse(api, w, original["id"], "2026-01-09")
    assert r.status_code == 422 and error_code(r) == "ledger.reversal_date"
    r = reverse(api, w, d, "2026-01-12")
    assert r.status_code == 409 and error_code(r) == "ledger.voucher_not_posted"
    assert counts() == before
    first = reverse(api, w, original["id"], "2026-01-15")
    assert first.status_code == 201
    before = counts()
    r = reverse(api, w, original["id"], "2026-01-16")
    assert r.status_code == 409 and error_code(r) == "ledger.already_reversed"
    r = reverse(api, w, first.json["id"], "2026-01-16")
    assert r.status_code == 409 and error_code(r) == "ledger.cannot_reverse_reversal"
    assert counts() == before
    for resp in (r,):
        assert has_chinese(resp.json["error"]["message"])


def test_a_reversal_cannot_go_into_a_closed_month(api, w):
    original = posted(api, w, body("2026-01-10"))
    assert close(api, w, "2026-02").status_code == 200
    before = counts()
    r = reverse(api, w, original["id"], "2026-02-10")
    assert r.status_code == 409 and error_code(r) == "ledger.period_closed"
    assert counts() == before
    r = reverse(api, w, original["id"], "2026-03-01")  # a later open month takes it
    assert r.status_code == 201 and r.json["period"] == "2026-03" and r.json["number"] == 1


# ---------------------------------------------------------------- closed periods


def test_closing_a_month(api, w):
    d = draft(api, w, body("2026-01-20"))
    kept = posted(api, w, body("2026-01-05"))
    r = close(api, w, "2026-01")
    assert r.status_code == 409 and error_code(r) == "ledger.drafts_open" and "草稿" in r.json["error"]["message"]
    assert api("DELETE", f"/api/v1/vouchers/{d}", w.h["acct"]).status_code == 204
    r = close(api, w, "2026-01")
    assert r.status_code == 200 and r.json == {"period": "2026-01", "closed": True}
    r = close(api, w, "2026-01")
    assert r.status_code == 409 and error_code(r) == "ledger.period_closed"
    assert db.session.execute(select(func.count()).select_from(Period)).scalar_one() == 1
    assert actions().count("ledger.period_close") == 1

    before = counts()
    r = create(api, w, body("2026-01-31"))
    assert r.status_code == 409 and error_code(r) == "ledger.period_closed" and "已结账" in r.json["error"]["message"]
    feb = draft(api, w, body("2026-02-01"))
    r = api("PUT", f"/api/v1/vouchers/{feb}", w.h["acct"], json=body("2026-01-31"))
    assert r.status_code == 409 and error_code(r) == "ledger.period_closed"
    assert db.session.get(Voucher, feb).period == "2026-02"
    assert post(api, w, feb).json["number"] == 1  # other months are open
    assert counts()["Voucher"] == before["Voucher"] + 1
    other = posted(api, w, body("2026-01-31"), who="b_acct", village=w.b_id)  # and other villages
    assert other["period"] == "2026-01" and other["number"] == 1
    assert db.session.get(Voucher, kept["id"]).status == "posted"
    r = api("GET", f"/api/v1/villages/{w.a_id}/periods", w.h["acct"])
    assert r.json == [{"period": "2026-02", "closed": False}, {"period": "2026-01", "closed": True}]


def test_posting_into_a_month_closed_meanwhile_is_refused_and_uses_no_number(api, w):
    d = draft(api, w, body("2026-01-20"))
    db.session.add(Period(village_id=w.a_id, period="2026-01"))  # closed behind the draft's back (a race)
    db.session.commit()
    r = post(api, w, d)
    assert r.status_code == 409 and error_code(r) == "ledger.period_closed"
    assert db.session.get(Voucher, d).number is None
    assert db.session.get(VoucherCounter, (w.a_id, "2026-01")) is None


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-01", "2026-00"])
def test_a_month_must_be_yyyy_mm(api, w, period):
    r = close(api, w, period)
    assert r.status_code == 422 and error_code(r) == "validation.failed"
    assert db.session.execute(select(func.count()).select_from(Period)).scalar_one() == 0


# ---------------------------------------------------------------- the large-expense rule


def test_a_large_expense_needs_a_decision(api, w):
    vid = draft(api, w, body(lines=expense("50000.01"), summary="购买办公设备"))
    before = counts()
    r = post(api, w, vid)
    assert r.status_code == 422 and error_code(r) == "ledger.decision_required"
    assert "四议两公开" in r.json["error"]["message"]
    assert r.json["error"]["details"] == {"threshold": "50000.00", "amount": "50000.01"}
    assert counts() == before and db.session.get(Voucher, vid).status == "draft"


def test_exactly_at_the_threshold_needs_no_decision(api, w):
    assert posted(api, w, body(lines=expense("50000.00")))["number"] == 1


@pytest.mark.parametrize("code", ["511", "512", "514", "515", "521", "151", "153", "171"])
def test_capital_spending_and_every_expense_account_count(api, w, code):
    vid = draft(api, w, body(lines=expense("80000.00", code)))
    assert error_code(post(api, w, vid)) == "ledger.decision_required"


def test_what_is_not_spending_needs_no_decision(api, w):
    big_income = body(lines=[ln("102", "900000.00"), ln("503", credit="900000.00")], summary="收到补助")
    assert posted(api, w, big_income)["number"] == 1
    loan_repaid = body(lines=[ln("201", "900000.00"), ln("102", credit="900000.00")], summary="归还借款")
    assert posted(api, w, loan_repaid)["number"] == 2
    reclass = body(lines=[ln("511", "900000.00"), ln("513", credit="900000.00")], summary="费用调整")
    assert posted(api, w, reclass)["number"] == 3  # spends nothing on balance


def test_spending_through_an_expense_sub_account_counts(api, w):
    r = api("POST", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h["acct"],
            json={"parent_code": "513", "code": "513001", "name": "办公费"})
    assert r.status_code == 201
    vid = draft(api, w, body(lines=expense("60000.00", "513001")))
    assert error_code(post(api, w, vid)) == "ledger.decision_required"


def test_the_decision_cited_must_be_this_villages_and_resolved(api, w):
    other_village = resolved_decision(w.b_id)
    pending = decision_with_status(w.a_id, "in_progress")
    failed = decision_with_status(w.a_id, "failed")
    cases = [
        ("999999", "ledger.decision_unknown"),
        (str(other_village), "ledger.decision_unknown"),
        ("第3号决议", "ledger.decision_unknown"),
        ("²", "ledger.decision_unknown"),  # str.isdigit() says yes, int() says no
        ("9" * 30, "ledger.decision_unknown"),  # too large for a BIGINT
        (str(pending), "ledger.decision_not_resolved"),
        (str(failed), "ledger.decision_not_resolved"),
    ]
    for ref, code in cases:
        vid = draft(api, w, body(lines=expense("60000.00"), decision_ref=ref))
        r = post(api, w, vid)
        assert r.status_code == 422 and error_code(r) == code, (ref, r.json)
        assert has_chinese(r.json["error"]["message"])
        assert db.session.get(Voucher, vid).number is None
    assert db.session.get(VoucherCounter, (w.a_id, "2026-01")) is None


@pytest.mark.parametrize("status", ["resolved", "done"])
def test_a_resolved_decision_lets_the_expense_post(api, w, status):
    ref = decision_with_status(w.a_id, status)
    v = posted(api, w, body(lines=expense("60000.00"), decision_ref=str(ref)))
    assert v["number"] == 1 and v["decision_ref"] == str(ref)


def test_the_township_sets_the_threshold_and_the_rule_follows(api, w):
    url = f"/api/v1/villages/{w.a_id}/settings/ledger.large_expense_fen"
    vid = draft(api, w, body(lines=expense("30000.00")))
    r = api("PUT", url, w.h["staff"], json={"value": 2_000_000})
    assert r.status_code == 200 and r.json["value"] == 2_000_000
    assert error_code(post(api, w, vid)) == "ledger.decision_required"
    r = api("PUT", url, w.h["staff"], json={"value": 3_000_000})
    assert r.status_code == 200
    assert post(api, w, vid).json["number"] == 1  # exactly at the new threshold
    other = draft(api, w, body(lines=expense("40000.00")), who="b_acct", village=w.b_id)
    assert post(api, w, other, who="b_acct").status_code == 200  # 新竹村 keeps the default
    r = api("PUT", f"/api/v1/townships/{w.qs.id}/settings/ledger.large_expense_fen", w.h["staff"],
            json={"value": 1_000_000})
    assert r.status_code == 200
    other = draft(api, w, body(lines=expense("10000.01")), who="b_acct", village=w.b_id)
    assert error_code(post(api, w, other, who="b_acct")) == "ledger.decision_required"
    assert actions().count("setting.put") == 3


def test_village_staff_cannot_change_the_threshold(api, w, make):
    url = f"/api/v1/villages/{w.a_id}/settings/ledger.large_expense_fen"
    for who in ("sec", "acct", "agency", "sup"):
        r = api("PUT", url, w.h[who], json={"value": 100_000_000})
        assert r.status_code == 403, (who, r.json)
    stranger = make.staff(make.township("BS", "白石镇"), "白石镇干部")
    r = api("PUT", url, make.headers(stranger), json={"value": 100_000_000})
    assert r.status_code == 404
    r = api("PUT", url, w.h["staff"], json={"value": 10_000_000_001})
    assert r.status_code == 422 and error_code(r) == "setting.out_of_range"
    r = api("PUT", url, w.h["staff"], json={"value": "100"})
    assert r.status_code == 422
    r = api("GET", f"/api/v1/villages/{w.a_id}/settings", w.h["sec"])
    assert next(s for s in r.json if s["key"] == "ledger.large_expense_fen")["value"] == 5_000_000
    assert "setting.put" not in actions()


# ---------------------------------------------------------------- separation of scope


def test_the_agency_accountant_keeps_only_the_assigned_villages_books(api, w):
    v = posted(api, w, who="agency")
    assert v["number"] == 1
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ledger.voucher_post")).scalar_one()
    assert entry.actor_person_id == w.agency.id and entry.actor_roles == "township_accountant"
    b_voucher = posted(api, w, who="b_acct", village=w.b_id)
    before = counts()
    assert api("GET", f"/api/v1/villages/{w.b_id}/vouchers", w.h["agency"]).status_code == 404
    assert create(api, w, body(), who="agency", village=w.b_id).status_code == 404
    assert api("GET", f"/api/v1/vouchers/{b_voucher['id']}", w.h["agency"]).status_code == 404
    assert reverse(api, w, b_voucher["id"], "2026-01-20", who="agency").status_code == 404
    assert close(api, w, "2026-01", who="agency", village=w.b_id).status_code == 404
    assert counts() == before


def test_a_villager_cannot_see_the_books_and_a_supervisor_only_reads(api, w):
    v = posted(api, w)
    d = draft(api, w, body("2026-01-11"))
    before = counts()
    r = api("GET", f"/api/v1/villages/{w.a_id}/vouchers", w.h["villager"])
    assert r.status_code == 403 and error_code(r) == "auth.forbidden"
    assert api("GET", f"/api/v1/vouchers/{v['id']}", w.h["villager"]).status_code == 403
    for who in ("sup", "com"):
        assert api("GET", f"/api/v1/villages/{w.a_id}/vouchers", w.h[who]).status_code == 200
        assert api("GET", f"/api/v1/vouchers/{v['id']}", w.h[who]).status_code == 200
        assert api("GET", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h[who]).status_code == 200
        assert create(api, w, body(), who=who).status_code == 403
        assert post(api, w, d, who=who).status_code == 403
        assert reverse(api, w, v["id"], "2026-01-20", who=who).status_code == 403
        assert api("PUT", f"/api/v1/vouchers/{d}", w.h[who], json=body()).status_code == 403
        assert api("DELETE", f"/api/v1/vouchers/{d}", w.h[who]).status_code == 403
        assert close(api, w, "2026-02", who=who).status_code == 403
    assert api("GET", f"/api/v1/villages/{w.a_id}/vouchers").status_code == 401
    assert counts() == before


def test_every_write_leaves_an_audit_entry(api, w):
    start = len(actions())
    vid = draft(api, w, who="sec")
    api("PUT", f"/api/v1/vouchers/{vid}", w.h["sec"], json=body(lines=rent("400.00")))
    post(api, w, vid, who="sec")
    reverse(api, w, vid, "2026-02-01", who="sec")
    gone = draft(api, w, body("2026-03-01"), who="sec")
    api("DELETE", f"/api/v1/vouchers/{gone}", w.h["sec"])
    close(api, w, "2026-01", who="sec")
    api("POST", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h["sec"],
        json={"parent_code": "112", "code": "112001", "name": "单位"})
    assert actions()[start:] == [
        "ledger.voucher_create", "ledger.voucher_update", "ledger.voucher_post",
        "ledger.voucher_create", "ledger.voucher_post", "ledger.voucher_reverse",
        "ledger.voucher_create", "ledger.voucher_delete", "ledger.period_close", "ledger.account_add",
    ]
    entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()[start:]
    assert all(e.actor_person_id == w.sec.person_id and e.village_id == w.a_id for e in entries)
    assert all("secretary" in e.actor_roles.split(",") for e in entries)


# ---------------------------------------------------------------- sub-accounts


def test_adding_a_sub_account(api, w):
    url = f"/api/v1/villages/{w.a_id}/ledger/accounts"
    r = api("POST", url, w.h["acct"], json={"parent_code": "501", "code": "501004", "name": "产品销售收入"})
    assert r.status_code == 201, r.json
    assert r.json["parent_code"] == "501" and r.json["klass"] == "income" and r.json["debit_normal"] is False
    codes = [a["code"] for a in api("GET", url, w.h["acct"]).json]
    assert "501004" in codes and codes == sorted(codes)
    v = posted(api, w, body(lines=[ln("102", "80.00"), ln("501004", credit="80.00")]))
    assert v["lines"][1]["account_name"] == "产品销售收入"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("502003", 422, "ledger.subaccount_code"),  # not under 501
        ("5010041", 422, "ledger.subaccount_code"),  # four digits added
        ("50103", 422, "validation.failed"),  # two digits added
        ("501ab3", 422, "ledger.subaccount_code"),
        ("501００３", 422, "ledger.subaccount_code"),  # full-width digits
        ("501001", 409, "ledger.account_exists"),  # seeded for every village
    ],
)
def test_sub_account_codes_extend_the_parent_by_three_digits(api, w, code, status, error):
    before = counts()
    r = api("POST", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h["acct"],
            json={"parent_code": "501", "code": code, "name": "其他"})
    assert r.status_code == status and error_code(r) == error, r.json
    assert counts() == before


def test_a_duplicate_sub_account_is_refused(api, w):
    url = f"/api/v1/villages/{w.a_id}/ledger/accounts"
    r = api("POST", url, w.h["acct"], json={"parent_code": "112", "code": "112001", "name": "单位"})
    assert r.status_code == 201
    r = api("POST", url, w.h["acct"], json={"parent_code": "112", "code": "112001", "name": "单位二"})
    assert r.status_code == 409 and error_code(r) == "ledger.account_exists"
    r = api("POST", url, w.h["acct"], json={"parent_code": "113", "code": "113001", "name": "一组"})
    assert r.status_code == 201
    # the same code in another village is another account
    r = api("POST", f"/api/v1/villages/{w.b_id}/ledger/accounts", w.h["b_acct"],
            json={"parent_code": "112", "code": "112001", "name": "单位"})
    assert r.status_code == 201


def test_a_parent_with_children_takes_no_postings(api, w):
    r = create(api, w, body(lines=[ln("102", "80.00"), ln("501", credit="80.00")]))
    assert r.status_code == 422 and error_code(r) == "ledger.account_not_leaf"
    # a draft written while 112 was a leaf cannot be posted once 112 has sub-accounts
    d = draft(api, w, body(lines=[ln("112", "80.00"), ln("102", credit="80.00")], summary="借出款项"))
    r = api("POST", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h["acct"],
            json={"parent_code": "112", "code": "112002", "name": "个人"})
    assert r.status_code == 201
    r = post(api, w, d)
    assert r.status_code == 422 and error_code(r) == "ledger.account_not_leaf"
    assert db.session.get(Voucher, d).number is None


def test_an_account_with_postings_gets_no_sub_accounts(api, w):
    posted(api, w, body(lines=[ln("112", "80.00"), ln("102", credit="80.00")], summary="借出款项"))
    r = api("POST", f"/api/v1/villages/{w.a_id}/ledger/accounts", w.h["acct"],
            json={"parent_code": "112", "code": "112001", "name": "单位"})
    assert r.status_code == 409 and error_code(r) == "ledger.parent_in_use"


def test_a_small_voucher_citing_a_decision_must_cite_one_of_its_village(app, make):
    from datetime import date as _date

    from backend.core.errors import AppError
    from backend.ledger import service as ledger

    a, b = make.village(), make.village("XZ02", "新竹村")
    for v in (a, b):
        ledger.ensure_chart(v)
    other = factories.resolved_decision(b.id, "新竹村的决议", "project", None, _date(2026, 1, 2))
    lines = [ledger.LineInput("513", debit_fen=1_000), ledger.LineInput("102", credit_fen=1_000)]
    for ref in (str(other.id), "999999", "abc"):
        v = ledger.create_voucher(a, ledger.VoucherInput(_date(2026, 1, 5), "办公用品", lines, decision_ref=ref),
                                  actor=None)
        with pytest.raises(AppError) as err:
            ledger.post_voucher(v, actor=None)
        assert err.value.code == "ledger.decision_unknown"
        assert v.number is None
    own = factories.resolved_decision(a.id, "临江村的决议", "project", None, _date(2026, 1, 2))
    v = ledger.create_voucher(a, ledger.VoucherInput(_date(2026, 1, 5), "办公用品", lines, decision_ref=str(own.id)),
                              actor=None)
    assert ledger.post_voucher(v, actor=None).number == 1
