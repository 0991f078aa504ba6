"""Rent passed on to the households: the proof that money reached a household.

Receiving rent (``payments.record_payment``) only books the receipt: the households' part sits in 应付款 (211) as
a liability. Each household's allocation is then passed on, and only then does its rent read as paid:

- by bank batch (代发): a batch of allocations is drawn up, its .xlsx (户号, 户名, 开户行, 账号 as text, 金额 as a
  number) goes to the bank, and the batch is marked paid with the bank's reference and date — one transaction, one
  voucher for the whole batch (Dr 应付款 211 / Cr 银行存款 102), every payout of the batch dated that day;
- in cash, to a named receiver (the household's head or whoever signs for it): Dr 211 / Cr 库存现金 101.

The database holds the rule too: one payout per allocation (unique), its household and amount are the allocation's
(a composite foreign key onto the allocation's id, household and amount — no payout without a received
allocation), a cash payout names its receiver and is posted, a bank payout belongs to a batch, and a paid batch has
its reference, date and voucher. Idempotency-Key replays a batch or a cash payout.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import column, func, select, table, update
from sqlalchemy.exc import IntegrityError

from backend import ledger, registry
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.xlsx import text_only
from backend.land import pushes
from backend.land.models import Contract, Party, PayoutBatch, RentAllocation, RentDue, RentPayment, RentPayout
from backend.registry import Village

PAYABLE_ACCOUNT = "211"
CASH_ACCOUNT = {"bank": "102", "cash": "101"}

# The village's payee register (户名, 开户行, 账号 per household) is kept with the dividends (``payee_accounts``,
# one account per household for everything the collective pays out). Land may not import that domain
# (tests/test_layers.py), so it reads the three columns it needs as a plain table.
_PAYEES = table("payee_accounts", column("village_id"), column("household_id"), column("account_name"),
                column("bank_name"), column("account_no"))


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _allocations(village_id: int, ids: Sequence[int]) -> list[RentAllocation]:
    rows = list(db.session.execute(
        select(RentAllocation).where(RentAllocation.id.in_(list(ids)), RentAllocation.village_id == village_id)
        .order_by(RentAllocation.id).with_for_update()).scalars())
    missing = sorted(set(ids) - {a.id for a in rows})
    if missing:
        raise unprocessable("land.allocation_unknown", "有农户的租金分配不是本村收到的租金", field="allocation_ids",
                            allocation_ids=missing)
    return rows


def _check_open(allocs: Sequence[RentAllocation]) -> None:
    zero = [a.id for a in allocs if a.amount_fen <= 0]
    if zero:
        raise unprocessable("land.payout_zero", "分到0.00元的农户无需转付", field="allocation_ids", allocation_ids=zero)
    done = db.session.execute(select(RentPayout.allocation_id).where(
        RentPayout.allocation_id.in_([a.id for a in allocs]))).scalars().all()
    if done:
        names = _household_names({a.household_id for a in allocs if a.id in set(done)}, allocs[0].village_id)
        raise conflict("land.payout_exists", "以下农户的这笔租金已经转付或已列入代发批次：" + "、".join(names),
                       field="allocation_ids", allocation_ids=sorted(done))


def _household_names(ids: set[int], village_id: int) -> list[str]:
    brief = registry.households_brief(village_id, ids)
    return [f"{b.number} {b.head_name or ''}".strip() for b in sorted(brief.values(), key=lambda b: b.number)]


def _earliest_day(allocs: Sequence[RentAllocation]) -> date:
    """The last day one of these allocations' rent was received: a payout cannot precede it."""
    return db.session.execute(select(func.max(RentPayment.paid_on)).where(
        RentPayment.id.in_({a.payment_id for a in allocs}))).scalar_one()


def _check_day(day: date, allocs: Sequence[RentAllocation]) -> None:
    if day > today():
        raise unprocessable("land.payout_date_invalid", "转付日期不能晚于今天", field="paid_on")
    received = _earliest_day(allocs)
    if day < received:
        raise unprocessable("land.payout_date_invalid",
                            f"转付日期不能早于收到租金的日期（{received.isoformat()}）", field="paid_on")


def _post(village: Village, day: date, amount: int, method: str, summary: str) -> int:
    v = ledger.create_voucher(village, ledger.VoucherInput(day, summary[:200], [
        ledger.LineInput(PAYABLE_ACCOUNT, debit_fen=amount, summary="代收租金转付到户"),
        ledger.LineInput(CASH_ACCOUNT[method], credit_fen=amount, summary="代收租金转付到户")]),
        actor=None, source="land")
    ledger.post_voucher(v, actor=None)
    return v.id


# ---------------------------------------------------------------- cash


def pay_cash(village: Village, allocation_id: int, receiver_name: str, paid_on: date, *,
             idempotency_key: str | None, actor: Principal | None) -> tuple[RentPayout, bool]:
    """A household's part handed over in cash to ``receiver_name``: posted Dr 211 / Cr 101 on ``paid_on``."""
    if idempotency_key:
        prior = db.session.execute(select(RentPayout).where(
            RentPayout.village_id == village.id, RentPayout.idempotency_key == idempotency_key)).scalar_one_or_none()
        if prior is not None:
            if prior.allocation_id != allocation_id or prior.method != "cash":
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的转付")
            return prior, True
    name = (receiver_name or "").strip()
    if not name:
        raise unprocessable("land.receiver_required", "现金转付请填写领款人姓名", field="receiver_name")
    if len(name) > 40:
        raise unprocessable("land.receiver_required", "领款人姓名太长（最多40个字）", field="receiver_name")
    (a,) = _allocations(village.id, [allocation_id])
    _check_open([a])
    _check_day(paid_on, [a])
    hh = registry.households_brief(village.id, [a.household_id]).get(a.household_id)
    out = RentPayout(allocation_id=a.id, village_id=village.id, household_id=a.household_id, amount_fen=a.amount_fen,
                     method="cash", receiver_name=name, paid_on=paid_on, idempotency_key=idempotency_key,
                     recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            out.voucher_id = _post(village, paid_on, a.amount_fen, "cash",
                                   f"现金转付{hh.number if hh else ''}土地流转租金（领款人{name}）")
            db.session.add(out)
            db.session.flush()
    except IntegrityError:
        raise conflict("land.payout_conflict", "这户的租金刚刚已经转付，请刷新后核对") from None
    audit.record("land.rent_payout", "land_rent_payout", out.id, actor=actor, village_id=village.id,
                 after={"household_id": a.household_id, "amount_fen": a.amount_fen, "method": "cash",
                        "receiver": name})
    pushes.queue_paid(village.id, [out], paid_on)  # the household is told, in this transaction
    return out, False


# ---------------------------------------------------------------- bank batches


def create_batch(village: Village, allocation_ids: Sequence[int], *, idempotency_key: str | None,
                 actor: Principal | None) -> tuple[PayoutBatch, bool]:
    """A bank batch of these households' parts (not yet passed on); nothing is posted until it is marked paid."""
    ids = sorted(set(allocation_ids))
    req = _hash(ids)
    if idempotency_key:
        prior = db.session.execute(select(PayoutBatch).where(
            PayoutBatch.village_id == village.id, PayoutBatch.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一个代发批次")
            return prior, True
    if not ids:
        raise unprocessable("land.batch_empty", "请选择要代发的农户", field="allocation_ids")
    allocs = _allocations(village.id, ids)
    _check_open(allocs)
    b = PayoutBatch(village_id=village.id, status="pending", total_fen=sum(a.amount_fen for a in allocs),
                    idempotency_key=idempotency_key, request_hash=req,
                    created_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(b)
            db.session.flush()
            db.session.add_all([RentPayout(allocation_id=a.id, village_id=village.id, household_id=a.household_id,
                                           amount_fen=a.amount_fen, method="bank", batch_id=b.id,
                                           recorded_by_id=b.created_by_id) for a in allocs])
            db.session.flush()
    except IntegrityError:
        raise conflict("land.payout_conflict", "有农户的租金刚刚已列入别的代发批次，请刷新后重选") from None
    audit.record("land.payout_batch", "land_payout_batch", b.id, actor=actor, village_id=village.id,
                 after={"households": len(allocs), "total_fen": b.total_fen})
    return b, False


def get_batch(batch_id: int) -> PayoutBatch:
    b = db.session.get(PayoutBatch, batch_id)
    if b is None:
        raise not_found("land.batch_not_found", "找不到该代发批次")
    return b


def batch_payouts(b: PayoutBatch) -> list[RentPayout]:
    return list(db.session.execute(select(RentPayout).where(RentPayout.batch_id == b.id)
                                   .order_by(RentPayout.id)).scalars())


def mark_batch_paid(b: PayoutBatch, reference: str, paid_on: date, *, actor: Principal | None) -> PayoutBatch:
    """The bank has paid the batch: one voucher for its total, every payout dated ``paid_on`` — one transaction."""
    db.session.execute(select(PayoutBatch.id).where(PayoutBatch.id == b.id).with_for_update())
    db.session.refresh(b)
    ref = (reference or "").strip()
    if b.status == "paid":
        if b.bank_reference == ref and b.paid_on == paid_on:
            return b  # the same confirmation again
        raise conflict("land.batch_paid", f"该批次已于{b.paid_on}标记为银行已代发（回单号{b.bank_reference}）")
    if not ref:
        raise unprocessable("land.reference_required", "请填写银行回单号或流水号", field="bank_reference")
    if len(ref) > 60:
        raise unprocessable("land.reference_required", "银行回单号太长（最多60个字）", field="bank_reference")
    rows = batch_payouts(b)
    allocs = list(db.session.execute(select(RentAllocation).where(
        RentAllocation.id.in_([r.allocation_id for r in rows]))).scalars())
    _check_day(paid_on, allocs)
    village = registry.get_village(b.village_id)
    with db.session.begin_nested():
        voucher_id = _post(village, paid_on, b.total_fen, "bank",
                           f"银行代发农户土地流转租金（{len(rows)}户，回单{ref}）")
        db.session.execute(update(RentPayout).where(RentPayout.batch_id == b.id)
                           .values(paid_on=paid_on, voucher_id=voucher_id)
                           .execution_options(synchronize_session=False))
        b.status, b.bank_reference, b.paid_on, b.voucher_id = "paid", ref, paid_on, voucher_id
        b.paid_by_id = actor.person_id if actor else None
        db.session.flush()
    for r in rows:
        db.session.refresh(r)
    audit.record("land.payout_batch_paid", "land_payout_batch", b.id, actor=actor, village_id=b.village_id,
                 after={"reference": ref, "paid_on": paid_on.isoformat(), "total_fen": b.total_fen})
    pushes.queue_paid(b.village_id, rows, paid_on)  # each household of the batch is told, in this transaction
    return b


def cancel_batch(b: PayoutBatch, *, actor: Principal | None) -> None:
    """A batch the bank has not paid (a wrong account, a returned file) is withdrawn: its households are 待转付
    again."""
    db.session.execute(select(PayoutBatch.id).where(PayoutBatch.id == b.id).with_for_update())
    db.session.refresh(b)
    if b.status != "pending":
        raise conflict("land.batch_paid", "银行已代发的批次不能撤销")
    db.session.execute(RentPayout.__table__.delete().where(RentPayout.batch_id == b.id))
    audit.record("land.payout_batch_cancel", "land_payout_batch", b.id, actor=actor, village_id=b.village_id,
                 before={"total_fen": b.total_fen})
    db.session.delete(b)
    db.session.flush()


def payees(village_id: int, household_ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """Household → (户名, 开户行, 账号) from the village's payee register."""
    if not household_ids:
        return {}
    rows = db.session.execute(select(_PAYEES.c.household_id, _PAYEES.c.account_name, _PAYEES.c.bank_name,
                                     _PAYEES.c.account_no)
                              .where(_PAYEES.c.village_id == village_id,
                                     _PAYEES.c.household_id.in_(list(household_ids)))).all()
    return {int(h): (n, b, a) for h, n, b, a in rows}


def batch_xlsx(b: PayoutBatch) -> bytes:
    """The bank's batch sheet: 序号, 户号, 户名, 开户行, 账号 (text), 金额（元） (a number), 摘要; households without an
    account on the second sheet."""
    from openpyxl import Workbook

    rows = batch_payouts(b)
    brief = registry.households_brief(b.village_id, [r.household_id for r in rows])
    accounts = payees(b.village_id, [r.household_id for r in rows])
    wb = Workbook()
    ws = wb.active
    ws.title = "银行代发"
    ws.append(["序号", "户号", "户名", "开户行", "账号", "金额（元）", "摘要"])
    ws2 = wb.create_sheet("缺少账户")
    ws2.append(["户号", "户主", "金额（元）"])
    n = 0
    for r in sorted(rows, key=lambda r: brief[r.household_id].number if r.household_id in brief else ""):
        h = brief.get(r.household_id)
        amount = r.amount_fen / 100  # a number the bank's system sums; two decimals by the cell format
        acct = accounts.get(r.household_id)
        if acct is None:
            ws2.append([h.number if h else "", h.head_name if h else "", amount])
            ws2.cell(ws2.max_row, 3).number_format = "0.00"
            continue
        n += 1
        ws.append([n, h.number if h else "", acct[0], acct[1], acct[2], amount, "土地流转租金"])
        ws.cell(ws.max_row, 5).number_format = "@"
        ws.cell(ws.max_row, 6).number_format = "0.00"
    ws.append(["合计", "", "", "", "", sum(r.amount_fen for r in rows if r.household_id in accounts) / 100, ""])
    ws.cell(ws.max_row, 6).number_format = "0.00"
    for col, width in zip("ABCDEFG", (6, 12, 12, 24, 26, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buf = io.BytesIO()
    text_only(wb).save(buf)
    return buf.getvalue()


def batch_view(b: PayoutBatch) -> dict[str, Any]:
    rows = batch_payouts(b)
    brief = registry.households_brief(b.village_id, [r.household_id for r in rows])
    accounts = payees(b.village_id, [r.household_id for r in rows])
    return {"id": b.id, "status": b.status, "total": fen_to_yuan(b.total_fen), "households": len(rows),
            "bank_reference": b.bank_reference, "paid_on": b.paid_on, "voucher_id": b.voucher_id,
            "created_at": b.created_at,
            "missing_accounts": [brief[r.household_id].number for r in rows
                                 if r.household_id not in accounts and r.household_id in brief]}


# ---------------------------------------------------------------- what each household got


def payment_of(p: RentPayout) -> RentPayment:
    return db.session.execute(select(RentPayment).join(RentAllocation, RentAllocation.payment_id == RentPayment.id)
                              .where(RentAllocation.id == p.allocation_id)).scalar_one()


def status_of(p: RentPayout | None) -> str:
    if p is None:
        return "pending"
    return "passed_on" if p.paid_on is not None else "in_batch"


STATUS_TEXT = {"pending": "待转付", "in_batch": "已列入代发，待银行回单", "passed_on": "已转付"}


def payment_payouts(p: RentPayment) -> list[dict[str, Any]]:
    """Each household's part of one payment and how it was passed on."""
    rows = db.session.execute(
        select(RentAllocation, RentPayout).outerjoin(RentPayout, RentPayout.allocation_id == RentAllocation.id)
        .where(RentAllocation.payment_id == p.id).order_by(RentAllocation.household_id)).all()
    brief = registry.households_brief(p.village_id, [a.household_id for a, _ in rows])
    accounts = payees(p.village_id, [a.household_id for a, _ in rows])
    out = []
    for a, po in rows:
        h = brief.get(a.household_id)
        st = status_of(po) if a.amount_fen > 0 else "passed_on"
        out.append({"allocation_id": a.id, "household_id": a.household_id, "household_number": h.number if h else "",
                    "head_name": h.head_name if h else None, "amount": fen_to_yuan(a.amount_fen), "status": st,
                    "status_text": STATUS_TEXT[st], "method": po.method if po else None,
                    "receiver_name": po.receiver_name if po else None, "paid_on": po.paid_on if po else None,
                    "batch_id": po.batch_id if po else None, "has_account": a.household_id in accounts})
    return out


def awaiting(village_id: int) -> list[dict[str, Any]]:
    """待转付: per household, rent received for it and not yet passed on (the 应付款 it is owed), with the
    contracts it comes from; a household whose part is in an unpaid bank batch is listed too."""
    rows = db.session.execute(
        select(RentAllocation.household_id, func.sum(RentAllocation.amount_fen), func.count(RentAllocation.id),
               func.min(RentPayment.paid_on))
        .join(RentPayment, RentPayment.id == RentAllocation.payment_id)
        .outerjoin(RentPayout, RentPayout.allocation_id == RentAllocation.id)
        .where(RentAllocation.village_id == village_id, RentAllocation.amount_fen > 0,
               (RentPayout.id.is_(None)) | (RentPayout.paid_on.is_(None)))
        .group_by(RentAllocation.household_id)).all()
    brief = registry.households_brief(village_id, [r[0] for r in rows])
    out = [{"household_id": h, "household_number": brief[h].number if h in brief else "",
            "head_name": brief[h].head_name if h in brief else None, "amount": fen_to_yuan(int(amt)),
            "parts": int(n), "received_since": since} for h, amt, n, since in rows]
    out.sort(key=lambda r: r["household_number"])
    return out


def awaiting_total(village_id: int) -> int:
    return int(db.session.execute(
        select(func.coalesce(func.sum(RentAllocation.amount_fen), 0))
        .outerjoin(RentPayout, RentPayout.allocation_id == RentAllocation.id)
        .where(RentAllocation.village_id == village_id, RentAllocation.amount_fen > 0,
               (RentPayout.id.is_(None)) | (RentPayout.paid_on.is_(None)))).scalar_one())


def year_payments(village_id: int, year: int) -> list[dict[str, Any]]:
    """Rent received in ``year`` with, for each payment, how much of the households' part is passed on."""
    rows = db.session.execute(
        select(RentPayment, Contract, Party, RentDue)
        .join(Contract, Contract.id == RentPayment.contract_id).join(Party, Party.id == Contract.party_id)
        .join(RentDue, RentDue.id == RentPayment.due_id)
        .where(RentPayment.village_id == village_id, RentPayment.paid_on >= date(year, 1, 1),
               RentPayment.paid_on <= date(year, 12, 31))
        .order_by(RentPayment.paid_on.desc(), RentPayment.id.desc())).all()
    ids = [p.id for p, _, _, _ in rows]
    passed = dict(db.session.execute(
        select(RentAllocation.payment_id, func.sum(RentPayout.amount_fen))
        .join(RentPayout, RentPayout.allocation_id == RentAllocation.id)
        .where(RentAllocation.payment_id.in_(ids), RentPayout.paid_on.is_not(None))
        .group_by(RentAllocation.payment_id)).all()) if ids else {}
    return [{"id": p.id, "contract_id": c.id, "contract_number": c.number, "contract_title": c.title,
             "party": party.name, "year_no": d.year_no, "paid_on": p.paid_on, "method": p.method,
             "amount": fen_to_yuan(p.amount_fen), "households": fen_to_yuan(p.household_fen),
             "passed_on": fen_to_yuan(int(passed.get(p.id, 0))),
             "awaiting": fen_to_yuan(p.household_fen - int(passed.get(p.id, 0)))}
            for p, c, party, d in rows]
