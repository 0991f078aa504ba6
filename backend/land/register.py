"""What the contracts register reads of land: its contracts with their expiry and decision, and overdue rent dues.

A land contract's amount is the rent of its dues known so far (a year not yet priced counts nothing); a due is
overdue from the day after its due date while what is paid is less than its rent (a due whose rent is not yet
known is never overdue: there is nothing to ask for).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select

from backend.core.clock import today
from backend.core.db import db
from backend.land.models import Contract, Party, RentDue

KIND_LABELS = {"transfer": "土地流转", "lease": "集体土地资产出租"}


def _dues(village_ids: list[int]) -> list[RentDue]:
    return list(db.session.execute(
        select(RentDue).where(RentDue.village_id.in_(village_ids)).order_by(RentDue.contract_id, RentDue.year_no)
    ).scalars())


def contract_rows(village_ids: list[int], on: date | None = None) -> list[dict[str, Any]]:
    """The villages' land contracts as register rows (money in fen; ``overdue_fen`` as of ``on``, default today)."""
    if not village_ids:
        return []
    on = on or today()
    rows = db.session.execute(
        select(Contract, Party).join(Party, Party.id == Contract.party_id)
        .where(Contract.village_id.in_(village_ids)).order_by(Contract.id)
    ).all()
    amount: dict[int, int] = defaultdict(int)
    overdue: dict[int, int] = defaultdict(int)
    for d in _dues(village_ids):
        if d.household_fen is None or d.collective_fen is None:
            continue
        total = d.household_fen + d.collective_fen
        amount[d.contract_id] += total
        if d.due_date < on and d.paid_fen < total:
            overdue[d.contract_id] += total - d.paid_fen
    return [{
        "id": c.id, "village_id": c.village_id, "number": c.number, "kind": c.kind,
        "kind_label": KIND_LABELS.get(c.kind, c.kind), "direction": "income", "counterparty": p.name,
        "counterparty_code": p.credit_code, "counterparty_phone": p.phone, "title": c.title,
        "amount_fen": amount[c.id], "signed_on": c.signed_on, "start_date": c.start_date, "end_date": c.end_date,
        "decision_id": c.decision_id, "deposit_fen": c.deposit_fen, "deposit_received_on": c.deposit_received_on,
        "overdue_fen": overdue[c.id], "status": c.status,
    } for c, p in rows]


def overdue_dues(village_ids: list[int], on: date) -> list[dict[str, Any]]:
    """Rent dues past their due date and not fully paid on ``on`` (due on ``on`` itself: not yet overdue)."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(RentDue, Contract, Party).join(Contract, Contract.id == RentDue.contract_id)
        .join(Party, Party.id == Contract.party_id)
        .where(RentDue.village_id.in_(village_ids), RentDue.due_date < on,
               RentDue.household_fen.is_not(None), RentDue.collective_fen.is_not(None))
        .order_by(RentDue.due_date, RentDue.id)
    ).all()
    out = []
    for d, c, p in rows:
        total = (d.household_fen or 0) + (d.collective_fen or 0)
        if d.paid_fen >= total:
            continue
        out.append({"id": d.id, "contract_id": c.id, "village_id": d.village_id, "number": c.number,
                    "title": c.title, "counterparty": p.name, "year_no": d.year_no, "due_date": d.due_date,
                    "amount_fen": total, "paid_fen": d.paid_fen, "outstanding_fen": total - d.paid_fen})
    return out
