"""A decision backs an amount: the expenses posted citing a resolved decision never add up to more than the amount it
states (exactly the amount is allowed, one fen more is refused with the decision's title, amount and what is spent);
a reversed voucher frees what it spent; a decision without an amount sets no cap; the picker's list of resolved
decisions shows amount, spent and remaining."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.ledger.models import Voucher
from tests import factories
from tests.ledger.test_vouchers import (
    body,
    counts,
    decision_with_status,
    draft,
    error_code,
    expense,
    ln,
    post,
    posted,
    resolved_decision,
    reverse,
)


def test_expenses_up_to_exactly_the_amount_post_and_one_fen_more_is_refused(api, w):
    ref = str(resolved_decision(w.a_id, 10_000_000))  # 100,000.00 元
    posted(api, w, body(lines=expense("60000.00"), decision_ref=ref))
    posted(api, w, body("2026-01-12", lines=expense("39999.99", "514"), decision_ref=ref))
    over = draft(api, w, body("2026-01-13", lines=expense("0.02"), decision_ref=ref))
    before = counts()
    r = post(api, w, over)
    assert r.status_code == 422 and error_code(r) == "ledger.decision_amount_exceeded"
    message = r.json["error"]["message"]
    assert "新建村道照明工程" in message and "100000.00 元" in message and "99999.99 元" in message
    assert "0.01 元" in message  # what remains
    details = r.json["error"]["details"]
    assert details["amount"] == "100000.00" and details["spent"] == "99999.99" and details["remaining"] == "0.01"
    assert details["voucher_amount"] == "0.02" and details["fields"]["decision_ref"] == message
    assert counts() == before and db.session.get(Voucher, over).status == "draft"
    exact = draft(api, w, body("2026-01-14", lines=expense("0.01"), decision_ref=ref))
    assert post(api, w, exact).status_code == 200  # exactly the amount
    assert error_code(post(api, w, over)) == "ledger.decision_amount_exceeded"


def test_a_single_voucher_above_the_amount_is_refused(api, w):
    ref = str(resolved_decision(w.a_id, 6_850_000))
    vid = draft(api, w, body(lines=expense("68500.01", "514"), decision_ref=ref))
    r = post(api, w, vid)
    assert r.status_code == 422 and error_code(r) == "ledger.decision_amount_exceeded"
    assert "68500.00 元" in r.json["error"]["message"] and "已支出 0.00 元" in r.json["error"]["message"]
    assert posted(api, w, body(lines=expense("68500.00", "514"), decision_ref=ref))["number"] == 1


def test_capital_spending_counts_against_the_amount_and_other_lines_do_not(api, w):
    ref = str(resolved_decision(w.a_id, 10_000_000))
    # 在建工程 is spending; the bank line and a liability are not
    posted(api, w, body(lines=[ln("153", "90000.00"), ln("102", credit="90000.00")], decision_ref=ref))
    loan = body(lines=[ln("201", "500000.00"), ln("102", credit="500000.00")], summary="归还借款", decision_ref=ref)
    assert posted(api, w, loan)["number"] == 2
    vid = draft(api, w, body(lines=[ln("171", "10000.01"), ln("102", credit="10000.01")], decision_ref=ref))
    assert error_code(post(api, w, vid)) == "ledger.decision_amount_exceeded"


def test_a_reversed_voucher_frees_its_amount_and_the_reversal_is_not_refused(api, w):
    ref = str(resolved_decision(w.a_id, 10_000_000))
    first = posted(api, w, body(lines=expense("100000.00"), decision_ref=ref))
    again = draft(api, w, body("2026-01-15", lines=expense("100000.00"), decision_ref=ref))
    assert error_code(post(api, w, again)) == "ledger.decision_amount_exceeded"
    r = reverse(api, w, first["id"], "2026-01-16", "付错了工程队")
    assert r.status_code == 201  # a reversal gives money back: never refused by the cap
    shown = api("GET", f"/api/v1/vouchers/{first['id']}", w.h["acct"]).json
    assert shown["reversed_by_id"] == r.json["id"] and r.json["reversed_by_id"] is None
    listed = api("GET", f"/api/v1/villages/{w.a_id}/vouchers", w.h["acct"]).json["items"]
    assert {v["id"]: v["reversed_by_id"] for v in listed}[first["id"]] == r.json["id"]
    assert post(api, w, again).status_code == 200  # the reversed 100,000.00 no longer counts
    one_more = draft(api, w, body("2026-01-17", lines=expense("0.01"), decision_ref=ref))
    assert error_code(post(api, w, one_more)) == "ledger.decision_amount_exceeded"


def test_a_refund_citing_the_decision_is_never_refused(api, w):
    ref = str(resolved_decision(w.a_id, 1_000_000))
    posted(api, w, body(lines=expense("10000.00"), decision_ref=ref))
    refund = body(lines=[ln("102", "2000.00"), ln("513", credit="2000.00")], summary="工程队退回多付款",
                  decision_ref=ref)
    assert posted(api, w, refund)["number"] == 2
    # the refund lowers what is spent: 2,000.00 may be spent again
    assert posted(api, w, body("2026-01-20", lines=expense("2000.00"), decision_ref=ref))["number"] == 3


def test_a_decision_without_an_amount_sets_no_cap(api, w):
    ref = str(resolved_decision(w.a_id, None))
    assert posted(api, w, body(lines=expense("900000.00"), decision_ref=ref))["number"] == 1


def test_drafts_do_not_count(api, w):
    ref = str(resolved_decision(w.a_id, 10_000_000))
    draft(api, w, body(lines=expense("100000.00"), decision_ref=ref))  # a draft spends nothing yet
    assert posted(api, w, body(lines=expense("100000.00"), decision_ref=ref))["number"] == 1


def test_a_voucher_may_only_cite_a_resolved_decision(api, w):
    pending = decision_with_status(w.a_id, "in_progress")
    vid = draft(api, w, body(lines=expense("100.00"), decision_ref=str(pending)))  # small, yet citing
    r = post(api, w, vid)
    assert r.status_code == 422 and error_code(r) == "ledger.decision_not_resolved"
    assert "decision_ref" in r.json["error"]["details"]["fields"]


def test_the_picker_lists_resolved_decisions_with_amount_spent_and_remaining(api, w):
    capped = resolved_decision(w.a_id, 10_000_000)
    open_ended = factories.resolved_decision(w.a_id, "村级保洁长效管理", "公益事业", None,
                                             __import__("datetime").date(2025, 12, 1)).id
    db.session.commit()
    decision_with_status(w.a_id, "in_progress")
    resolved_decision(w.b_id)  # 新竹村's
    first = posted(api, w, body(lines=expense("30000.00"), decision_ref=str(capped)))
    posted(api, w, body("2026-01-11", lines=expense("20000.00"), decision_ref=str(capped)))
    reverse(api, w, first["id"], "2026-01-12")
    draft(api, w, body("2026-01-13", lines=expense("5000.00"), decision_ref=str(capped)))
    r = api("GET", f"/api/v1/villages/{w.a_id}/ledger/decision-budgets", w.h["agency"])
    assert r.status_code == 200
    rows = {row["id"]: row for row in r.json}
    assert set(rows) == {capped, open_ended}
    assert rows[capped]["amount"] == "100000.00" and rows[capped]["spent"] == "20000.00"
    assert rows[capped]["remaining"] == "80000.00" and rows[capped]["title"] == "新建村道照明工程"
    assert rows[open_ended]["amount"] is None and rows[open_ended]["remaining"] is None
    assert rows[open_ended]["spent"] == "0.00"
    assert api("GET", f"/api/v1/villages/{w.a_id}/ledger/decision-budgets", w.h["villager"]).status_code == 403
    assert api("GET", f"/api/v1/villages/{w.b_id}/ledger/decision-budgets", w.h["agency"]).status_code == 404


def test_a_refused_post_writes_no_audit_entry(api, w):
    ref = str(resolved_decision(w.a_id, 100))
    vid = draft(api, w, body(lines=expense("1.01"), decision_ref=ref))
    n = len(db.session.execute(select(AuditEntry.id)).all())
    assert error_code(post(api, w, vid)) == "ledger.decision_amount_exceeded"
    assert len(db.session.execute(select(AuditEntry.id)).all()) == n


def _post_in_sql(vid: int, number: int) -> None:
    db.session.execute(text("UPDATE ledger_vouchers SET status = 'posted', number = :n WHERE id = :v"),
                       {"v": vid, "n": number})


def test_the_database_refuses_a_post_beyond_the_amount_that_bypasses_the_service(api, w):
    ref = str(resolved_decision(w.a_id, 10_000_000))
    posted(api, w, body(lines=expense("60000.00"), decision_ref=ref))
    over = draft(api, w, body("2026-01-12", lines=expense("40000.01"), decision_ref=ref))
    with pytest.raises(IntegrityError) as info:
        _post_in_sql(over, 2)
    assert "超过所依据决议批准的金额" in str(info.value.orig)
    db.session.rollback()
    assert db.session.get(Voucher, over).status == "draft"
    exact = draft(api, w, body("2026-01-13", lines=expense("40000.00"), decision_ref=ref))
    _post_in_sql(exact, 2)  # exactly the amount
    db.session.commit()
    assert db.session.get(Voucher, exact).status == "posted"
    refund = draft(api, w, body("2026-01-14", lines=[ln("102", "10.00"), ln("513", credit="10.00")],
                                decision_ref=ref))
    _post_in_sql(refund, 3)  # gives money back: never refused
    uncapped = draft(api, w, body("2026-01-15", lines=expense("999999.00"),
                                  decision_ref=str(resolved_decision(w.a_id, None))))
    _post_in_sql(uncapped, 4)
    db.session.commit()
