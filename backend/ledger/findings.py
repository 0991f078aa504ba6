"""The books' warning rules (预警), reported to the township as :class:`backend.core.findings.Finding`.

- **expense_no_decision** (大额支出无决议): a posted voucher whose spending (:func:`backend.ledger.service.expense_of`'s
  rule: debits less credits to expense accounts and to capital spending) is more than the village's
  ``ledger.large_expense_fen`` and that cites no resolved decision of the village (exactly the threshold is not
  "more than"). Posting refuses such a voucher today, so this catches imported books, vouchers posted before the
  threshold was lowered, and a cited decision later found not resolved (ended, or never resolved). A reversed
  voucher and its reversal count for nothing (as in :mod:`backend.ledger.decision_cap`). Key ``voucher-<id>``,
  link ``voucher`` with the voucher's ``period`` (the console opens /books/vouchers?period=…). Since: the voucher's
  date.

Queries: one for the vouchers' spending, one for the villages' decisions, and one setting per village that has a
candidate voucher (registry has no batched setting read; a village without a large voucher costs nothing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from backend import registry
from backend.core.db import db
from backend.core.findings import Finding
from backend.core.money import fen_to_yuan
from backend.decisions import decisions_of
from backend.ledger.decision_cap import _spending
from backend.ledger.models import Account, Voucher, VoucherLine
from backend.ledger.service import LARGE_EXPENSE

RESOLVED = ("resolved", "done")


@dataclass(frozen=True)
class VoucherFinding(Finding):
    period: str = ""  # the voucher's YYYY-MM: its link opens that month's vouchers


def findings(village_ids: list[int], on: date) -> list[Finding]:
    """Posted vouchers of these villages spending more than their village's large-expense threshold without a
    resolved decision of the village."""
    if not village_ids:
        return []
    reversed_ids = select(Voucher.reverses_id).where(
        Voucher.village_id.in_(village_ids), Voucher.reverses_id.is_not(None)
    )
    spent = func.sum(VoucherLine.debit_fen - VoucherLine.credit_fen)
    rows = db.session.execute(
        select(Voucher.id, Voucher.village_id, Voucher.number, Voucher.period, Voucher.voucher_date,
               Voucher.summary, Voucher.decision_ref, spent)
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(
            Voucher.village_id.in_(village_ids),
            Voucher.status == "posted",
            Voucher.voucher_date <= on,
            Voucher.reverses_id.is_(None),
            Voucher.id.not_in(reversed_ids),
            _spending(),
        )
        .group_by(Voucher.id, Voucher.village_id, Voucher.number, Voucher.period, Voucher.voucher_date,
                  Voucher.summary, Voucher.decision_ref)
        .having(spent > 0)
        .order_by(Voucher.id)
    ).all()
    if not rows:
        return []
    resolved: dict[int, set[str]] = defaultdict(set)
    for d in decisions_of(sorted({r.village_id for r in rows})):
        if d.status in RESOLVED:
            resolved[d.village_id].add(str(d.id))
    thresholds: dict[int, int] = {}
    out: list[Finding] = []
    for r in rows:
        total = int(r[-1])
        ref = (r.decision_ref or "").strip()
        if ref and ref in resolved[r.village_id]:
            continue
        if r.village_id not in thresholds:
            # the village is in the session's identity map when the township has just listed its villages
            thresholds[r.village_id] = registry.settings.get(registry.get_village(r.village_id), LARGE_EXPENSE.key)
        threshold = thresholds[r.village_id]
        if total <= threshold:
            continue
        why = f"所注明的决议（{ref}号）未通过或不是本村的决议" if ref else "没有注明依据的四议两公开决议"
        number = f"第{r.number}号" if r.number else ""
        out.append(VoucherFinding(
            "expense_no_decision", f"voucher-{r.id}", r.village_id,
            f"{r.period}{number}凭证“{r.summary}”支出 {fen_to_yuan(total)} 元，超过大额支出标准 "
            f"{fen_to_yuan(threshold)} 元，{why}",
            r.voucher_date, "voucher", r.id, period=r.period))
    return out
