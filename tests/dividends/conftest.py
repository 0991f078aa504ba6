"""A village ready to distribute: last year's books with income, a share register, and an approving decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from backend.core.clock import today
from backend.core.db import db
from backend.dividends.shares import service as shares
from backend.ledger import service as ledger
from backend.registry.models import Household, Member, Village
from tests.factories import resolved_decision


@dataclass
class Books:
    village: Village
    year: int
    secretary: Member
    accountant: Member
    supervisor: Member
    villager: Member  # head of households[0]
    households: list[Household]
    members: list[list[Member]]  # per household
    member_type: Any
    labor_type: Any
    decision_id: int
    register_on: date
    extra: dict[str, Any] = field(default_factory=dict)


def post_income(village: Village, on: date, fen: int, expense_fen: int = 0) -> None:
    """Income (租赁收入, into the bank) and optionally an expense (管理费用), posted on ``on``."""
    ledger.ensure_chart(village)
    v = ledger.create_voucher(village, ledger.VoucherInput(on, "收租金", [
        ledger.LineInput("102", debit_fen=fen), ledger.LineInput("501002", credit_fen=fen)]), actor=None)
    ledger.post_voucher(v, actor=None)
    if expense_fen:
        v = ledger.create_voucher(village, ledger.VoucherInput(on, "办公费", [
            ledger.LineInput("513", debit_fen=expense_fen), ledger.LineInput("102", credit_fen=expense_fen)]),
            actor=None)
        ledger.post_voucher(v, actor=None)


def approving_decision(village: Village, body: str = "members_assembly", resolved_on: date | None = None) -> int:
    d = resolved_decision(village.id, "年度收益分配方案", "other", None, resolved_on or today())
    d.decision_body = body
    db.session.flush()
    return d.id


@pytest.fixture
def books(make) -> Books:
    """临江村: 2 staff + 4 households (3, 2, 1, 2 members), 成员股 1 each, 劳龄股 for some; last year's income
    100,000.00 元 less 10,000.00 元 costs → 90,000.00 元 distributable."""
    year = today().year - 1
    village = make.village("LJ01", "临江村")
    secretary = make.member(village, "王建国", roles=("secretary",))
    accountant = make.member(village, "李秀英", roles=("accountant",))
    supervisor = make.member(village, "赵德明", roles=("supervisor",))
    households, members = [], []
    for i, size in enumerate((3, 2, 1, 2), start=1):
        h = make.household(village, f"LJ-1{i:02d}")
        ms = [make.member(village, f"张{i}{j}", household=h, head=(j == 0)) for j in range(size)]
        households.append(h)
        members.append(ms)
    member_type = shares.create_share_type(village, shares.ShareTypeInput("member", "成员股", per_person=1),
                                           actor=None)
    labor_type = shares.create_share_type(village, shares.ShareTypeInput("labor", "劳龄股", sort=1), actor=None)
    start = date(year, 1, 1)
    changes = []
    for h, ms in zip(households, members, strict=True):
        for m in ms:
            changes.append(shares.ChangeInput(member_type.id, 1, h.id, m.id))
    # 劳龄股: the first member of the first two households
    changes.append(shares.ChangeInput(labor_type.id, 2, households[0].id, members[0][0].id))
    changes.append(shares.ChangeInput(labor_type.id, 1, households[1].id, members[1][0].id))
    shares.record_event(village, shares.EventInput("initial", start, changes=changes), actor=None)
    post_income(village, date(year, 6, 30), 100_000_00, 10_000_00)
    decision_id = approving_decision(village)
    db.session.commit()
    return Books(village, year, secretary, accountant, supervisor, members[0][0], households, members, member_type,
                 labor_type, decision_id, start + timedelta(days=1))
