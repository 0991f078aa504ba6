"""Rent received: each payment split between the households and the collective, the households' part allocated by
area, posted to the books (the households' part into 应付款 until each payout is recorded, ``payouts``); and the
arrears.

Each payment is split exactly (largest remainder) between households and collective, the fee taken out of the
households' part, and the households' part by area; a payment never exceeds what is outstanding and an
idempotency key replays it, so nothing is paid or allocated twice. Rent belongs to the household
(农村土地承包法 第39条): it reaches 应付款 and leaves it only by a recorded payout to the household.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend import ledger, registry
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.permissions import Principal
from backend.land import payouts
from backend.land.contracts import due_total, household_areas, household_shares, lock_contract, round_half_up
from backend.land.models import Contract, Party, RentAllocation, RentDue, RentPayment
from backend.land.parcels import mu_text

ACCOUNT_BY_METHOD = {"bank": "102", "cash": "101"}
PAYABLE_ACCOUNT = "211"  # 应付款: rent collected for households
TRANSFER_INCOME = "501001"  # 发包及上交收入: the collective's share and service fee on transfers
LEASE_INCOME = "501002"  # 租赁收入: the collective's own leases


# ---------------------------------------------------------------- payments


@dataclass
class PaymentInput:
    due_id: int
    amount_fen: int
    paid_on: date
    method: str = "bank"
    reference: str | None = None


@dataclass
class PaymentResult:
    payment: RentPayment
    replayed: bool


def _request_hash(data: PaymentInput) -> str:
    text = json.dumps([data.due_id, data.amount_fen, data.paid_on.isoformat(), data.method, data.reference or ""])
    return hashlib.sha256(text.encode()).hexdigest()


def _paid_parts(due_id: int) -> tuple[int, int, int]:
    """(households' gross, the collective's own share, the fee) paid so far against a due."""
    hh, coll, fee = db.session.execute(
        select(func.coalesce(func.sum(RentPayment.household_fen), 0),
               func.coalesce(func.sum(RentPayment.collective_fen), 0), func.coalesce(func.sum(RentPayment.fee_fen), 0))
        .where(RentPayment.due_id == due_id)
    ).one()
    return int(hh) + int(fee), int(coll) - int(fee), int(fee)


def record_payment(c: Contract, data: PaymentInput, *, idempotency_key: str | None,
                   actor: Principal | None) -> PaymentResult:
    """Money received against one due: split between households (by area) and the collective, and the receipt
    posted; the households' parts wait in 应付款 for their payouts."""
    lock_contract(c)
    req = _request_hash(data)
    if idempotency_key:
        prior = db.session.execute(select(RentPayment).where(
            RentPayment.contract_id == c.id, RentPayment.idempotency_key == idempotency_key)).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的租金登记")
            return PaymentResult(prior, True)
    d = db.session.get(RentDue, data.due_id)
    if d is None or d.contract_id != c.id:
        raise unprocessable("land.due_unknown", "该期租金不属于这份合同")
    db.session.refresh(d)
    total = due_total(d)
    if total is None:
        raise conflict("land.due_unpriced", f"第{d.year_no}年租金尚未确定（{d.priced_note}），不能登记收款")
    if data.method not in ACCOUNT_BY_METHOD:
        raise unprocessable("land.method_invalid", "收款方式应为银行或现金")
    if data.amount_fen <= 0:
        raise unprocessable("land.amount_invalid", "收款金额应大于零")
    outstanding = total - d.paid_fen
    if data.amount_fen > outstanding:
        raise conflict("land.overpaid", f"第{d.year_no}年租金尚欠 {fen_to_yuan(outstanding)} 元，收款不能超过欠款",
                       outstanding=fen_to_yuan(outstanding))
    if data.paid_on > today():
        raise unprocessable("land.paid_on_invalid", "收款日期不能晚于今天")

    hh_paid, coll_paid, fee_paid = _paid_parts(d.id)
    assert d.household_fen is not None and d.collective_fen is not None and d.fee_fen is not None
    hh_left, coll_left, fee_left = d.household_fen - hh_paid, d.collective_fen - coll_paid, d.fee_fen - fee_paid
    if data.amount_fen == outstanding:
        hh_part, coll_part = hh_left, coll_left
    else:
        hh_part, coll_part = split_largest_remainder(data.amount_fen, [hh_left, coll_left])
    if hh_part == hh_left:
        fee_part = fee_left
    elif hh_left:
        fee_part = split_largest_remainder(hh_part, [fee_left, hh_left - fee_left])[0]
    else:
        fee_part = 0
    net = hh_part - fee_part
    p = RentPayment(contract_id=c.id, due_id=d.id, village_id=c.village_id, idempotency_key=idempotency_key,
                    request_hash=req, amount_fen=data.amount_fen, household_fen=net,
                    collective_fen=coll_part + fee_part,
                    paid_on=data.paid_on, method=data.method, reference=(data.reference or "").strip() or None,
                    fee_fen=fee_part, recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(p)
            db.session.flush()
            shares = household_shares(c, net)
            if data.amount_fen == outstanding:
                shares = _settling_shares(c, d, shares)
            if shares:
                areas = household_areas(c)
                db.session.execute(insert(RentAllocation), [
                    {"payment_id": p.id, "due_id": d.id, "village_id": c.village_id, "household_id": h,
                     "area_mu4": areas[h], "amount_fen": amt} for h, amt in shares.items()])
            res = db.session.execute(
                update(RentDue).where(RentDue.id == d.id, RentDue.paid_fen + data.amount_fen <= total)
                .values(paid_fen=RentDue.paid_fen + data.amount_fen).execution_options(synchronize_session=False))
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise IntegrityError("overpaid meanwhile", None, Exception("overpaid"))
            db.session.refresh(d)
            _post(c, d, p)  # in the savepoint: a refused posting (a closed month) leaves no payment behind
            db.session.flush()
    except IntegrityError:
        raise conflict("land.payment_conflict", "这笔租金刚刚已被登记，请刷新后核对") from None
    audit.record("land.rent_payment", "land_rent_payment", p.id, actor=actor, village_id=c.village_id,
                 after={"contract": c.number, "year_no": d.year_no, "amount_fen": data.amount_fen,
                        "households_fen": net, "collective_fen": p.collective_fen})
    return PaymentResult(p, False)


def _settling_shares(c: Contract, d: RentDue, by_area: dict[int, int]) -> dict[int, int]:
    """The payment that settles a due gives each household exactly what it still lacks of its share of the year
    (each earlier partial payment was split on its own, so a household may be a fen off); ``by_area`` — this
    payment's own split — when that is impossible (a household already past its share)."""
    if d.household_fen is None or d.fee_fen is None:
        return by_area
    year = household_shares(c, d.household_fen - d.fee_fen)
    got = dict(db.session.execute(
        select(RentAllocation.household_id, func.sum(RentAllocation.amount_fen))
        .where(RentAllocation.due_id == d.id).group_by(RentAllocation.household_id)).all())
    lacking = {h: year[h] - int(got.get(h, 0)) for h in year}
    if any(v < 0 for v in lacking.values()) or sum(lacking.values()) != sum(by_area.values()):
        return by_area
    return lacking


def _post(c: Contract, d: RentDue, p: RentPayment) -> None:
    """Receipt only: Dr 银行存款/库存现金; Cr 应付款 (the households' rent, a liability until each household's
    payout is recorded: ``payouts``) and Cr the collective's income."""
    village = registry.get_village(c.village_id)
    party = db.session.get(Party, c.party_id)
    cash = ACCOUNT_BY_METHOD[p.method]
    who = party.name if party else ""
    lines = [ledger.LineInput(cash, debit_fen=p.amount_fen, summary=f"{who}交{c.title}第{d.year_no}年租金")]
    if p.household_fen:
        lines.append(ledger.LineInput(PAYABLE_ACCOUNT, credit_fen=p.household_fen, summary="代收农户土地流转租金"))
    if p.collective_fen:
        income = LEASE_INCOME if c.kind == "lease" else TRANSFER_INCOME
        lines.append(ledger.LineInput(income, credit_fen=p.collective_fen,
                                      summary="集体资产租金" if c.kind == "lease" else "集体分成及流转服务费"))
    summary = f"收{who}租金（合同{c.number}，第{d.year_no}年）"
    v = ledger.create_voucher(village, ledger.VoucherInput(p.paid_on, summary[:200], lines), actor=None, source="land")
    ledger.post_voucher(v, actor=None)
    p.receipt_voucher_id = v.id


def payments_stmt(c: Contract) -> Any:
    return select(RentPayment).where(RentPayment.contract_id == c.id).order_by(RentPayment.id.desc())


def payment_view(p: RentPayment, replayed: bool) -> dict[str, Any]:
    """A payment with its split and each household's allocation."""
    d = db.session.get(RentDue, p.due_id)
    rows = db.session.execute(select(RentAllocation).where(RentAllocation.payment_id == p.id)
                              .order_by(RentAllocation.household_id)).scalars().all()
    numbers = {h.id: h.number for h in registry.households_brief(p.village_id, [r.household_id for r in rows]).values()}
    return {"id": p.id, "due_id": p.due_id, "year_no": d.year_no if d else None, "amount": fen_to_yuan(p.amount_fen),
            "households": fen_to_yuan(p.household_fen), "collective": fen_to_yuan(p.collective_fen),
            "fee": fen_to_yuan(p.fee_fen), "paid_on": p.paid_on, "method": p.method, "reference": p.reference,
            "receipt_voucher_id": p.receipt_voucher_id, "payout_voucher_id": p.payout_voucher_id,
            "allocations": [{"household_id": r.household_id, "household_number": numbers.get(r.household_id, ""),
                             "area_mu": mu_text(r.area_mu4), "amount": fen_to_yuan(r.amount_fen)}
                            for r in rows],
            "replayed": replayed}


# ---------------------------------------------------------------- arrears


@dataclass(frozen=True)
class Arrear:
    contract_id: int
    contract_number: str
    party: str  # the transferee's name
    year_no: int
    due_date: date
    total: int  # the due's whole rent, fen
    outstanding: int
    days: int
    late_fee: int


def arrears(village_id: int, on: date | None = None) -> list[Arrear]:
    """Every priced due past its date with money still owed, oldest first, with its late fee (万分之N a day of
    that year's rent, as the contract says). One query of the columns it needs."""
    on = on or today()
    rows = db.session.execute(
        select(Contract.id, Contract.number, Contract.late_fee_per_10k, Party.name, RentDue.year_no, RentDue.due_date,
               RentDue.household_fen, RentDue.collective_fen, RentDue.paid_fen)
        .join(Contract, Contract.id == RentDue.contract_id)
        .join(Party, Party.id == Contract.party_id)
        .where(RentDue.village_id == village_id, RentDue.due_date < on, RentDue.household_fen.is_not(None),
               Contract.status == "active",
               RentDue.paid_fen < RentDue.household_fen + RentDue.collective_fen)
        .order_by(RentDue.due_date, Contract.number)
    ).all()
    out = []
    for cid, number, late_fee_per_10k, party, year_no, due_date, household_fen, collective_fen, paid_fen in rows:
        total = household_fen + collective_fen if collective_fen is not None else 0  # as due_total
        days = (on - due_date).days
        fee = round_half_up(Fraction(total * late_fee_per_10k * days, 10000))
        out.append(Arrear(cid, number, party, year_no, due_date, total, total - paid_fen, days, fee))
    return out


def arrears_report(village_id: int, on: date, page: int, page_size: int) -> dict[str, Any]:
    """The arrears on ``on`` summed by party, with one page of them."""
    rows = arrears(village_id, on)
    by_party: dict[str, list[int]] = {}
    for a in rows:
        acc = by_party.setdefault(a.party, [0, 0])
        acc[0] += a.outstanding
    for name in by_party:
        by_party[name][1] = len({a.contract_id for a in rows if a.party == name})
    start = (page - 1) * page_size
    return {
        "on": on,
        "total_outstanding": fen_to_yuan(sum(a.outstanding for a in rows)),
        "awaiting_payout": fen_to_yuan(payouts.awaiting_total(village_id)),
        "by_party": [{"party": n, "outstanding": fen_to_yuan(v[0]), "contracts": v[1]}
                     for n, v in sorted(by_party.items(), key=lambda kv: -kv[1][0])],
        "items": [{"contract_id": a.contract_id, "contract_number": a.contract_number, "party": a.party,
                   "year_no": a.year_no, "due_date": a.due_date, "total": fen_to_yuan(a.total),
                   "outstanding": fen_to_yuan(a.outstanding), "days_overdue": a.days,
                   "late_fee": fen_to_yuan(a.late_fee)}
                  for a in rows[start : start + page_size]],
        "total": len(rows), "page": page, "page_size": page_size,
    }


def year_dues(village_id: int, year: int, on: date | None = None) -> list[dict[str, Any]]:
    """Every due falling in ``year`` (by its due date) of the village's active contracts: what is due, received,
    outstanding, and whether it is overdue on ``on``."""
    on = on or today()
    rows = db.session.execute(
        select(RentDue, Contract, Party).join(Contract, Contract.id == RentDue.contract_id)
        .join(Party, Party.id == Contract.party_id)
        .where(RentDue.village_id == village_id, RentDue.due_date >= date(year, 1, 1),
               RentDue.due_date <= date(year, 12, 31), Contract.status == "active")
        .order_by(RentDue.due_date, Contract.number)).all()
    out = []
    for d, c, party in rows:
        total = due_total(d)
        left = None if total is None else total - d.paid_fen
        status = ("unpriced" if total is None else "paid" if left == 0 else
                  "overdue" if d.due_date < on else "partly_paid" if d.paid_fen else "due")
        out.append({"due_id": d.id, "contract_id": c.id, "contract_number": c.number, "contract_title": c.title,
                    "kind": c.kind, "party": party.name, "year_no": d.year_no, "due_date": d.due_date,
                    "total": fen_to_yuan(total) if total is not None else None, "paid": fen_to_yuan(d.paid_fen),
                    "outstanding": fen_to_yuan(left) if left is not None else None, "status": status,
                    "note": d.priced_note})
    return out
