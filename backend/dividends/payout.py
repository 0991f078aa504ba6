"""The payout: the distribution voucher once the 公示 is over, recording payments in batches with their vouchers,
and the bank's batch-payment sheet.

The distribution voucher debits 收益分配—各项分配 and credits the retained buckets' accounts, 公积公益金 for the
collective's own line and 应付款 for the households; each batch of payments debits 应付款 and credits the bank or
cash. A household is paid once: a batch is all or nothing, and an ``Idempotency-Key`` replays a batch.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend import ledger, registry
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.xlsx import text_only
from backend.dividends import pushes
from backend.dividends.models import Distribution, DividendLine, DividendPayment, PaymentBatch
from backend.dividends.plans import (
    RESERVE_ACCOUNT,
    STATUS_LABELS,
    UNDISTRIBUTED_ACCOUNT,
    buckets_of,
    lock_distribution,
)
from backend.dividends.publishing import lines_stmt, objections_of
from backend.dividends.shares import service as register

DISTRIBUTION_ACCOUNT = "322002"  # 收益分配—各项分配
PAYABLE_ACCOUNT = "211"  # 应付款 (应付收益)
PAY_ACCOUNTS = {"bank": "102", "cash": "101"}


def open_payout(d: Distribution, *, actor: Principal | None) -> Distribution:
    """After the 公示: post the distribution voucher (Dr 收益分配—各项分配; Cr 公积公益金 and the other retained
    buckets' accounts, Cr 应付款 for the households), and start paying. The collective's own line is settled at
    once into 公积公益金."""
    lock_distribution(d)
    if d.status != "published":
        raise conflict("dividend.not_published", "分配方案公示后才能开始发放" if d.status in ("draft", "computed")
                       else f"分配方案{STATUS_LABELS[d.status]}")
    if d.publicity_until is None or today() <= d.publicity_until:
        raise conflict("dividend.publicity_open",
                       f"公示期到 {d.publicity_until.isoformat() if d.publicity_until else ''} 结束，期满后才能发放")
    open_objections = sum(1 for o in objections_of(d) if o.answer is None)
    if open_objections:
        raise conflict("dividend.objections_open", f"还有 {open_objections} 条异议没有答复，答复后才能发放",
                       open=open_objections)
    lines = db.session.execute(lines_stmt(d)).scalars().all()
    households_total = sum(ln.amount_fen for ln in lines if ln.household_id is not None)
    collective = next((ln for ln in lines if ln.household_id is None), None)
    credits: dict[str, int] = {}
    for b in buckets_of(d):
        if b.kind == "retain" and b.account_code and b.account_code != UNDISTRIBUTED_ACCOUNT and b.amount_fen:
            credits[b.account_code] = credits.get(b.account_code, 0) + b.amount_fen
    if collective is not None and collective.amount_fen:
        credits[RESERVE_ACCOUNT] = credits.get(RESERVE_ACCOUNT, 0) + collective.amount_fen
    if households_total:
        credits[PAYABLE_ACCOUNT] = credits.get(PAYABLE_ACCOUNT, 0) + households_total
    total = sum(credits.values())
    if total:
        village = registry.get_village(d.village_id)
        data = ledger.VoucherInput(
            voucher_date=today(),
            summary=f"{d.title}：提取留存、分配到户",
            lines=[ledger.LineInput(DISTRIBUTION_ACCOUNT, debit_fen=total, summary=d.title)]
            + [ledger.LineInput(code, credit_fen=amt, summary=d.title) for code, amt in sorted(credits.items())],
            decision_ref=str(d.decision_id) if d.decision_id else None,
        )
        v = ledger.create_voucher(village, data, actor=actor, source="dividends")
        ledger.post_voucher(v, actor=actor)
        d.accrual_voucher_id = v.id
    if collective is not None:
        batch = PaymentBatch(distribution_id=d.id, idempotency_key=None, request_hash="collective", method="internal",
                             paid_on=today(), reference="集体股分红转入公积公益金", count=1,
                             total_fen=collective.amount_fen, voucher_id=d.accrual_voucher_id,
                             recorded_by_id=actor.person_id if actor else None)
        db.session.add(batch)
        db.session.flush()
        db.session.add(DividendPayment(distribution_id=d.id, line_id=collective.id, batch_id=batch.id,
                                       amount_fen=collective.amount_fen))
        collective.paid_on, collective.paid_at = today(), utcnow()
    d.status = "paying"
    _maybe_done(d)
    db.session.flush()
    audit.record("dividend.payout_open", "distribution", d.id, actor=actor, village_id=d.village_id,
                 after={"voucher_id": d.accrual_voucher_id, "total_fen": total})
    return d


@dataclass
class PaymentInput:
    household_ids: Sequence[int]
    method: str  # bank | cash
    paid_on: date
    reference: str | None = None


@dataclass
class PaymentResult:
    batch: PaymentBatch
    replayed: bool


def _request_hash(data: PaymentInput) -> str:
    # the households in any order, but a household listed twice is another request (refused, never a replay)
    text = json.dumps({"h": sorted(data.household_ids), "m": data.method, "d": data.paid_on.isoformat(),
                       "r": data.reference or ""}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def record_payments(d: Distribution, data: PaymentInput, *, idempotency_key: str | None,
                    actor: Principal | None) -> PaymentResult:
    """Record that these households were paid, and post one voucher (Dr 应付款, Cr 银行存款 or 库存现金).

    All or nothing: a household already paid, not on the list, or listed twice refuses the whole request.
    A retry with the same ``Idempotency-Key`` and the same request returns the first result."""
    lock_distribution(d)
    req_hash = _request_hash(data)
    if idempotency_key:
        prior = db.session.execute(
            select(PaymentBatch).where(PaymentBatch.distribution_id == d.id,
                                       PaymentBatch.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req_hash:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的发放登记")
            return PaymentResult(prior, True)
    if d.status != "paying":
        raise conflict("dividend.not_paying", "请先在公示期满后开始发放" if d.status == "published"
                       else f"分配方案{STATUS_LABELS[d.status]}，不能登记发放")
    if data.method not in PAY_ACCOUNTS:
        raise unprocessable("dividend.method_invalid", "发放方式应为银行代发或现金")
    ids = list(data.household_ids)
    if not ids:
        raise unprocessable("dividend.no_households", "请选择要登记发放的农户")
    if len(set(ids)) != len(ids):
        raise unprocessable("dividend.duplicate_households", "同一户在一次登记中出现了多次")
    # not before the day the payout opened: what is owed is booked (Cr 应付款) by the distribution voucher that day
    opened = ledger.get_voucher(d.accrual_voucher_id).voucher_date if d.accrual_voucher_id else None
    if data.paid_on > today() or (d.publicity_until is not None and data.paid_on <= d.publicity_until) \
            or (opened is not None and data.paid_on < opened):
        raise unprocessable("dividend.paid_on_invalid", "发放日期应在公示期满、开始发放之后，且不晚于今天",
                            earliest=opened.isoformat() if opened else None)
    # plain rows, not ORM objects: a batch may be 10,000 households, and the lines change by a Core UPDATE below
    lines = db.session.execute(
        select(DividendLine.id, DividendLine.household_id, DividendLine.household_number, DividendLine.amount_fen,
               DividendLine.paid_at)
        .where(DividendLine.distribution_id == d.id, DividendLine.household_id.in_(ids))
    ).all()
    found = {ln.household_id for ln in lines}
    missing = [h for h in ids if h not in found]
    if missing:
        raise unprocessable("dividend.household_not_listed", f"有 {len(missing)} 户不在本次分红名单中",
                            household_ids=missing[:50])
    paid = sorted(ln.household_number for ln in lines if ln.paid_at is not None)
    if paid:
        raise conflict("dividend.already_paid", f"以下农户已经发放过，不能重复发放：{'、'.join(paid[:20])}",
                       households=paid[:50])
    total = sum(ln.amount_fen for ln in lines)
    batch = PaymentBatch(distribution_id=d.id, idempotency_key=idempotency_key, request_hash=req_hash,
                         method=data.method, paid_on=data.paid_on, reference=(data.reference or "").strip() or None,
                         count=len(lines), total_fen=total, recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
            db.session.execute(insert(DividendPayment), [
                {"distribution_id": d.id, "line_id": ln.id, "batch_id": batch.id, "amount_fen": ln.amount_fen}
                for ln in lines
            ])
            now = utcnow()
            res = db.session.execute(
                update(DividendLine)
                .where(DividendLine.id.in_([ln.id for ln in lines]), DividendLine.paid_at.is_(None))
                .values(paid_on=data.paid_on, paid_at=now)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != len(lines):  # type: ignore[attr-defined]
                raise IntegrityError("paid meanwhile", None, Exception("paid meanwhile"))
    except IntegrityError:
        raise conflict("dividend.already_paid", "其中有农户刚刚已登记发放，不能重复发放；请刷新后重试") from None
    if total:
        v = ledger.create_voucher(
            registry.get_village(d.village_id),
            ledger.VoucherInput(
                voucher_date=data.paid_on,
                summary=f"{d.title}：发放分红 {len(lines)} 户" + (f"（{batch.reference}）" if batch.reference else ""),
                lines=[ledger.LineInput(PAYABLE_ACCOUNT, debit_fen=total, summary="发放分红"),
                       ledger.LineInput(PAY_ACCOUNTS[data.method], credit_fen=total, summary="发放分红")],
                decision_ref=str(d.decision_id) if d.decision_id else None,
            ),
            actor=actor,
            source="dividends",
        )
        ledger.post_voucher(v, actor=actor)
        batch.voucher_id = v.id
    _maybe_done(d)
    db.session.flush()
    audit.record("dividend.pay", "dividend_payment_batch", batch.id, actor=actor, village_id=d.village_id,
                 after={"distribution_id": d.id, "households": len(lines), "total_fen": total,
                        "method": data.method})
    pushes.queue_paid(d, [(ln.household_id, ln.amount_fen) for ln in lines], data.method, data.paid_on)
    return PaymentResult(batch, False)


def _maybe_done(d: Distribution) -> None:
    db.session.flush()
    unpaid = db.session.execute(
        select(func.count()).select_from(DividendLine)
        .where(DividendLine.distribution_id == d.id, DividendLine.paid_at.is_(None))
    ).scalar_one()
    if unpaid == 0 and d.status == "paying":
        d.status, d.paid_at = "paid", utcnow()


def payment_summary(d: Distribution) -> dict[str, Any]:
    paid_count, paid_total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(DividendLine.amount_fen), 0))
        .where(DividendLine.distribution_id == d.id, DividendLine.paid_at.is_not(None))
    ).one()
    return {"paid_households": int(paid_count), "paid_total": fen_to_yuan(int(paid_total)),
            "unpaid_total": fen_to_yuan((d.paid_out_fen or 0) - int(paid_total))}


METHOD_LABELS = {"bank": "银行代发", "cash": "现金发放", "internal": "转入公积公益金"}
_MONEY = '#,##0.00'


def batches_view(d: Distribution) -> dict[str, Any]:
    """The distribution voucher and every recorded payment with the voucher it posted (number and date), oldest
    first: what the console's 发放 tab lists under "已记账凭证"."""
    def voucher(vid: int | None) -> dict[str, Any] | None:
        if vid is None:
            return None
        v = ledger.get_voucher(vid)
        return {"id": v.id, "number": v.number, "period": v.period, "voucher_date": v.voucher_date,
                "summary": v.summary, "total": fen_to_yuan(v.total_fen), "status": v.status}

    batches = db.session.execute(
        select(PaymentBatch).where(PaymentBatch.distribution_id == d.id).order_by(PaymentBatch.id)
    ).scalars().all()
    return {
        "accrual_voucher": voucher(d.accrual_voucher_id),
        "items": [{"id": b.id, "method": b.method, "method_label": METHOD_LABELS[b.method], "paid_on": b.paid_on,
                   "reference": b.reference, "count": b.count, "total": fen_to_yuan(b.total_fen),
                   "voucher": voucher(b.voucher_id) if b.method != "internal" else None}
                  for b in batches],
    }


def bank_batch_xlsx(d: Distribution) -> tuple[bytes, int, int]:
    """The unpaid households with an amount, as a bank's batch-payment sheet (序号, 户号, 户名, 开户行, 账号, 金额,
    摘要) with a 合计 row; households without an account on a second sheet (to be paid in cash), with its own total.
    Amounts are number cells (two decimals), account numbers text (a leading zero or 19 digits survive Excel);
    A4, the header row repeated on every page, fitted to the page's width. Returns (bytes, rows, missing).

    A household paid is no longer listed: one whose transfer failed stays unpaid and is in the next file."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties

    if d.status != "paying":
        raise conflict("dividend.not_paying", "公示期满、开始发放后才能导出银行代发表")
    lines = db.session.execute(
        lines_stmt(d).where(DividendLine.paid_at.is_(None), DividendLine.household_id.is_not(None),
                            DividendLine.amount_fen > 0)
    ).scalars().all()
    accounts = register.payees(d.village_id)
    village = registry.get_village(d.village_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "银行代发"
    ws2 = wb.create_sheet("缺少账户")
    ws.append(["序号", "户号", "户名", "开户行", "账号", "金额（元）", "摘要"])
    ws2.append(["序号", "户号", "户主", "金额（元）", "说明"])
    n = missing = 0
    bank_total = cash_total = 0
    for ln in lines:
        acct = accounts.get(ln.household_id)  # type: ignore[arg-type]
        if acct is None:
            missing += 1
            cash_total += ln.amount_fen
            ws2.append([missing, ln.household_number, ln.head_name, Decimal(ln.amount_fen) / 100,
                        "无银行账户，现金发放"])
            continue
        n += 1
        bank_total += ln.amount_fen
        ws.append([n, ln.household_number, acct.account_name, acct.bank_name, acct.account_no,
                   Decimal(ln.amount_fen) / 100, f"{d.year}年度分红"])
    ws.append(["合计", f"{n}户", None, None, None, Decimal(bank_total) / 100, None])
    ws2.append(["合计", f"{missing}户", None, Decimal(cash_total) / 100, None])
    for sheet, money_col, text_cols, rows in ((ws, 6, (2, 5), n), (ws2, 4, (2,), missing)):
        for row in sheet.iter_rows(min_row=2, max_row=rows + 2):
            row[money_col - 1].number_format = _MONEY
            for c in text_cols:
                row[c - 1].number_format = "@"  # text: never 6.23E+18, never a lost leading zero
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for cell in sheet[rows + 2]:
            cell.font = Font(bold=True)
        sheet.print_title_rows = "1:1"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape" if sheet is ws else "portrait"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.print_options.horizontalCentered = True
        sheet.oddHeader.center.text = f"{village.name} {d.title} · {sheet.title}"
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
        sheet.freeze_panes = "A2"
    for col, width in zip("ABCDEFG", (6, 12, 12, 30, 26, 14, 14), strict=True):
        ws.column_dimensions[col].width = width
    for col, width in zip("ABCDE", (6, 12, 12, 14, 22), strict=True):
        ws2.column_dimensions[col].width = width
    buf = io.BytesIO()
    text_only(wb).save(buf)
    return buf.getvalue(), n, missing
