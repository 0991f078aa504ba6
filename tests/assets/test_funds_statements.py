"""The funds' page reads the books in a fixed number of statements however long the cash history: the day cash went
over its limit is searched over the days' movements read once (it was one balance read per probed day)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from backend.core.clock import today
from backend.core.db import db
from tests.assets.conftest import API, post_voucher
from tests.assets.test_assets_register import new_asset


def _statements(app: Any, path: str, headers: dict[str, str]) -> tuple[int, list[str], dict[str, Any]]:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.app_context():  # a cold session of its own, as a request has
            r = app.test_client().get(path, headers=headers)
            db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return r.status_code, seen, r.json


def test_funds_over_the_limit_take_the_same_statements_with_a_long_cash_history(app, client, make, reg):
    fund = {"kind": "fund", "quantity": None, "unit": None, "original_value": None, "book_value": None,
            "acquired_how": None, "acquired_on": None}
    new_asset(client, make, reg, code="ZJ-101", name="库存现金", category="库存现金", ledger_code="101", **fund)
    new_asset(client, make, reg, code="ZJ-102", name="基本存款账户", category="银行存款", ledger_code="102",
              bank_name="农商银行青山支行", account_last4="6688", **fund)
    post_voucher(reg.village, today() - timedelta(days=3), "101", "301", 9_000_00, "收到现金")
    path, headers = f"{API}/villages/{reg.village.id}/assets/funds", make.headers(reg.accountant)
    status, short, body = _statements(app, path, headers)
    assert status == 200 and body["over_limit"]
    # two years of cash in and banked three days later, always within the limit, then over it since 280 days ago
    for i in range(60):
        day = today() - timedelta(days=700 - 7 * i)
        post_voucher(reg.village, day, "101", "301", 4_000_00, "收到现金")
        post_voucher(reg.village, day + timedelta(days=3), "102", "101", 4_000_00, "存入银行")
    post_voucher(reg.village, today() - timedelta(days=280), "101", "301", 6_000_00, "收到现金")
    status, long, body = _statements(app, path, headers)
    assert status == 200 and body["over_limit"] and body["over_since"] == (today() - timedelta(days=280)).isoformat()
    assert len(long) == len(short), "\n".join(long)
    assert len(long) <= 8, "\n".join(long)
