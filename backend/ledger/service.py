"""Books: the chart of accounts, vouchers (draft → posted, reversals), month closing.

Rules enforced here and, where a database can, there too (see models.py and guards.py):
- every voucher balances: the sum of debits equals the sum of credits, each line one-sided and positive;
- a posted voucher never changes; a correction is a reversing voucher that points to it;
- numbers run per village per month without gaps (handed out when posting, under a row lock);
- nothing is posted into a closed month;
- an expense voucher above the village's threshold cites a resolved 四议两公开 decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from backend import registry
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.pagination import Page, paginate
from backend.core.permissions import Principal
from backend.decisions import get_ref
from backend.ledger import decision_cap
from backend.ledger.chart import CHART_2023, DEFAULT_SUBACCOUNTS
from backend.ledger.models import Account, Period, Voucher, VoucherCounter, VoucherLine
from backend.registry import Village

LARGE_EXPENSE = registry.settings.declare(
    "ledger.large_expense_fen", "大额支出须经四议两公开决议的金额（分）", 5_000_000, 0, 10_000_000_000, "分"
)


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


# ---------------------------------------------------------------- chart of accounts


CHART_CODES = frozenset(entry.code for entry in (*CHART_2023, *DEFAULT_SUBACCOUNTS))


def ensure_chart(village: Village) -> int:
    """Give the village the 2023 chart and the default sub-accounts (idempotent); returns how many were added."""
    have = {c for (c,) in db.session.execute(select(Account.code).where(Account.village_id == village.id))}
    added = 0
    by_code: dict[str, Account] = {}
    for entry in (*CHART_2023, *DEFAULT_SUBACCOUNTS):
        if entry.code in have:
            continue
        parent_id = None
        if entry.parent:
            parent = by_code.get(entry.parent) or _account(village.id, entry.parent)
            parent_id = parent.id
        acc = Account(
            village_id=village.id,
            code=entry.code,
            name=entry.name,
            parent_id=parent_id,
            klass=entry.klass,
            debit_normal=entry.debit_normal,
            category=entry.category,
        )
        db.session.add(acc)
        db.session.flush()
        by_code[entry.code] = acc
        added += 1
    return added


def _account(village_id: int, code: str) -> Account:
    acc = db.session.execute(
        select(Account).where(Account.village_id == village_id, Account.code == code)
    ).scalar_one_or_none()
    if acc is None:
        raise unprocessable("ledger.account_unknown", f"科目 {code} 不存在", code=code)
    return acc


def accounts(village_id: int) -> list[Account]:
    return list(
        db.session.execute(select(Account).where(Account.village_id == village_id).order_by(Account.code)).scalars()
    )


def accounts_with_chart(village_id: int) -> tuple[list[Account], bool]:
    """The village's accounts, the 2023 chart and the default sub-accounts among them: read once when the chart is
    whole (the usual case), else completed first (:func:`ensure_chart`) and read again. ``True`` when any was added
    (the caller commits)."""
    found = accounts(village_id)
    if {a.code for a in found} >= CHART_CODES:
        return found, False
    if not ensure_chart(registry.get_village(village_id)):
        return found, False
    return accounts(village_id), True


def add_subaccount(
    village: Village, parent_code: str, code: str, name: str, *, category: str | None, actor: Principal | None
) -> Account:
    parent = _account(village.id, parent_code)
    # ASCII digits only: str.isdigit() also takes full-width "００３" and superscripts
    if (
        not code.startswith(parent.code)
        or len(code) != len(parent.code) + 3
        or not (code.isascii() and code.isdigit())
    ):
        raise unprocessable(
            "ledger.subaccount_code", f"明细科目编码应为上级科目 {parent.code} 后加3位数字，如 {parent.code}001"
        )
    if db.session.execute(select(Account.id).where(Account.village_id == village.id, Account.code == code)).first():
        raise conflict("ledger.account_exists", f"科目 {code} 已存在")
    if category is not None and parent.klass not in ("income", "expense"):
        raise unprocessable("ledger.category_not_allowed", "只有收入和支出科目才有公开类别")
    used = db.session.execute(
        select(VoucherLine.id).join(Voucher).where(VoucherLine.account_id == parent.id, Voucher.status == "posted")
    ).first()
    if used and not _has_children(parent.id):
        raise conflict("ledger.parent_in_use", f"科目 {parent.code} 已有记账，不能再设明细科目")
    acc = Account(
        village_id=village.id,
        code=code,
        name=name.strip(),
        parent_id=parent.id,
        klass=parent.klass,
        debit_normal=parent.debit_normal,
        category=category,
    )
    db.session.add(acc)
    db.session.flush()
    audit.record(
        "ledger.account_add",
        "ledger_account",
        acc.id,
        actor=actor,
        village_id=village.id,
        after={"code": code, "name": acc.name, "parent": parent.code},
    )
    return acc


def _has_children(account_id: int) -> bool:
    return db.session.execute(select(Account.id).where(Account.parent_id == account_id).limit(1)).first() is not None


def category_of(acc: Account, by_id: dict[int, Account]) -> str | None:
    """The 财务公开 category: the account's own, else its parent's."""
    a: Account | None = acc
    while a is not None:
        if a.category:
            return a.category
        a = by_id.get(a.parent_id) if a.parent_id else None
    return None


# ---------------------------------------------------------------- vouchers


@dataclass
class LineInput:
    account_code: str
    debit_fen: int = 0
    credit_fen: int = 0
    summary: str | None = None


@dataclass
class VoucherInput:
    voucher_date: date
    summary: str
    lines: Sequence[LineInput]
    decision_ref: str | None = None
    attachments: Sequence[str] = field(default_factory=tuple)


def check_balanced(lines: Sequence[LineInput]) -> int:
    """The voucher total (sum of debits) if the lines are a valid, balanced voucher; else 422."""
    if len(lines) < 2:
        message = "一张凭证至少要有一借一贷两行"
        raise unprocessable("ledger.too_few_lines", message, fields={"lines": message})
    problems = []
    for i, ln in enumerate(lines, start=1):
        for v in (ln.debit_fen, ln.credit_fen):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError("amounts must be int fen")
        if ln.debit_fen < 0 or ln.credit_fen < 0:
            problems.append(f"第{i}行金额不能为负")
        elif (ln.debit_fen == 0) == (ln.credit_fen == 0):
            problems.append(f"第{i}行应只填借方或贷方中的一个，且不为零")
    if problems:
        raise unprocessable("ledger.bad_line", "；".join(problems), fields={"lines": "；".join(problems)})
    debit = sum(ln.debit_fen for ln in lines)
    credit = sum(ln.credit_fen for ln in lines)
    if debit != credit:
        message = f"借贷不平：借方 {fen_to_yuan(debit)} 元，贷方 {fen_to_yuan(credit)} 元"
        raise unprocessable(
            "ledger.unbalanced", message, debit=fen_to_yuan(debit), credit=fen_to_yuan(credit),
            fields={"lines": message},
        )
    return debit


def _resolve_lines(village_id: int, lines: Sequence[LineInput]) -> list[tuple[LineInput, Account]]:
    codes = {ln.account_code for ln in lines}
    found = {
        a.code: a
        for a in db.session.execute(
            select(Account).where(Account.village_id == village_id, Account.code.in_(codes))
        ).scalars()
    }
    parents = {
        pid
        for (pid,) in db.session.execute(
            select(Account.parent_id).where(Account.village_id == village_id, Account.parent_id.is_not(None))
        )
    }
    out = []
    for i, ln in enumerate(lines, start=1):
        acc = found.get(ln.account_code)
        if acc is None:
            raise unprocessable("ledger.account_unknown", f"第{i}行科目 {ln.account_code} 不存在", line=i)
        if not acc.active:
            raise unprocessable("ledger.account_inactive", f"第{i}行科目 {acc.code} {acc.name} 已停用", line=i)
        if acc.id in parents:
            raise unprocessable(
                "ledger.account_not_leaf", f"第{i}行科目 {acc.code} {acc.name} 有明细科目，请记到明细科目", line=i
            )
        out.append((ln, acc))
    return out


def ensure_open(village_id: int, period: str) -> None:
    """409 if the village has closed the month ``period``."""
    closed = db.session.execute(
        select(Period.id).where(Period.village_id == village_id, Period.period == period)
    ).first()
    if closed:
        raise conflict("ledger.period_closed", f"{period} 已结账，不能再记账", period=period)


def create_voucher(village: Village, data: VoucherInput, *, actor: Principal | None, source: str = "manual") -> Voucher:
    """A draft voucher (it already balances: a draft that cannot be posted is no use)."""
    total = check_balanced(data.lines)
    resolved = _resolve_lines(village.id, data.lines)
    period = period_of(data.voucher_date)
    ensure_open(village.id, period)
    v = Voucher(
        village_id=village.id,
        voucher_date=data.voucher_date,
        period=period,
        summary=data.summary.strip(),
        status="draft",
        total_fen=total,
        decision_ref=data.decision_ref,
        attachments=json.dumps(list(data.attachments), ensure_ascii=False),
        source=source,
        created_by_id=actor.person_id if actor else None,
    )
    for no, (ln, acc) in enumerate(resolved, start=1):
        v.lines.append(
            VoucherLine(
                line_no=no, account_id=acc.id, summary=ln.summary, debit_fen=ln.debit_fen, credit_fen=ln.credit_fen
            )
        )
    db.session.add(v)
    db.session.flush()
    audit.record(
        "ledger.voucher_create",
        "voucher",
        v.id,
        actor=actor,
        village_id=village.id,
        after={"date": data.voucher_date.isoformat(), "total_fen": total, "lines": len(v.lines)},
    )
    return v


def update_draft(v: Voucher, data: VoucherInput, *, actor: Principal | None) -> Voucher:
    _lock(v)
    if v.status != "draft":
        raise conflict("ledger.voucher_posted", "已记账的凭证不能修改，如有错误请做冲销凭证")
    total = check_balanced(data.lines)
    resolved = _resolve_lines(v.village_id, data.lines)
    period = period_of(data.voucher_date)
    ensure_open(v.village_id, period)
    before = {"date": v.voucher_date.isoformat(), "total_fen": v.total_fen}
    v.voucher_date, v.period, v.summary, v.total_fen = data.voucher_date, period, data.summary.strip(), total
    v.decision_ref = data.decision_ref
    v.attachments = json.dumps(list(data.attachments), ensure_ascii=False)
    v.lines.clear()
    db.session.flush()
    for no, (ln, acc) in enumerate(resolved, start=1):
        v.lines.append(
            VoucherLine(
                line_no=no, account_id=acc.id, summary=ln.summary, debit_fen=ln.debit_fen, credit_fen=ln.credit_fen
            )
        )
    db.session.flush()
    audit.record(
        "ledger.voucher_update",
        "voucher",
        v.id,
        actor=actor,
        village_id=v.village_id,
        before=before,
        after={"date": v.voucher_date.isoformat(), "total_fen": total},
    )
    return v


def delete_draft(v: Voucher, *, actor: Principal | None) -> None:
    _lock(v)
    if v.status != "draft":
        raise conflict("ledger.voucher_posted", "已记账的凭证不能删除，如有错误请做冲销凭证")
    audit.record(
        "ledger.voucher_delete",
        "voucher",
        v.id,
        actor=actor,
        village_id=v.village_id,
        before={"date": v.voucher_date.isoformat(), "total_fen": v.total_fen},
    )
    db.session.delete(v)
    db.session.flush()


def expense_of(lines: Iterable[tuple[Account, int, int]]) -> int:
    """What (account, debit fen, credit fen) lines spend: debits to expense accounts and to
    固定资产/在建工程/长期待摊费用 (capital spending), less credits to them."""
    total = 0
    for acc, debit, credit in lines:
        if acc.klass == "expense" or acc.code[:3] in ("151", "153", "171"):
            total += debit - credit
    return total


def expense_total(v: Voucher) -> int:
    """What the voucher spends: debits to expense accounts and to 在建工程/固定资产 (capital spending)."""
    return expense_of((ln.account, ln.debit_fen, ln.credit_fen) for ln in v.lines)


def large_expense_threshold(village: Village) -> int:
    """Spending above this many fen needs a resolved 四议两公开 decision (the village's setting, else its
    township's, else the default)."""
    return registry.settings.get(village, LARGE_EXPENSE.key)


def check_large_expense(village: Village, spent: int, decision_ref: str | None) -> None:
    """422 unless spending ``spent`` fen is within the village's threshold or rests on a resolved decision."""
    threshold = large_expense_threshold(village)
    if spent <= threshold:
        return
    ref_text = (decision_ref or "").strip()
    if not ref_text:
        raise AppError(
            422,
            "ledger.decision_required",
            f"支出 {fen_to_yuan(spent)} 元超过 {fen_to_yuan(threshold)} 元，须注明依据的四议两公开决议",
            {"threshold": fen_to_yuan(threshold), "amount": fen_to_yuan(spent)},
        )
    # a decision number is its id: ASCII digits that fit a BIGINT ("²".isdigit() is True, int("²") fails)
    ok = ref_text.isascii() and ref_text.isdigit() and len(ref_text) <= 18
    ref = get_ref(village.id, int(ref_text)) if ok else None
    if ref is None:
        raise unprocessable("ledger.decision_unknown", "找不到所注明的决议（须是本村的决议）")
    if not ref.resolved:
        raise unprocessable("ledger.decision_not_resolved", f"决议“{ref.title}”尚未通过，不能据此支出")


def _check_large_expense(v: Voucher, village: Village) -> None:
    spending = expense_total(v)
    check_large_expense(village, spending, v.decision_ref)
    ref_text = (v.decision_ref or "").strip()
    if not ref_text:
        return
    # a small voucher may cite a decision too, but it must be one of this village's, and resolved
    ref = decision_cap.cited_decision(village.id, ref_text)
    if ref is None:
        raise unprocessable("ledger.decision_unknown", "找不到所注明的决议（须是本村的决议）",
                            fields={"decision_ref": "请从本村已通过的决议中选择"})
    if not ref.resolved:
        raise unprocessable("ledger.decision_not_resolved", f"决议“{ref.title}”尚未通过，不能据此支出",
                            fields={"decision_ref": "请从本村已通过的决议中选择"})
    decision_cap.check_decision_amount(village, ref, spending)


def _lock(v: Voucher) -> None:
    """Lock the voucher's row for the rest of the transaction and re-read it with its lines and their accounts,
    so that two requests on one voucher (a post and an edit, two posts, two reversals) queue here and the second
    sees what the first did (PostgreSQL; SQLite has one writer at a time anyway)."""
    db.session.flush()  # re-reading would drop changes not yet flushed
    if db.session.execute(_with_lines(v.id).with_for_update(of=Voucher)).scalar_one_or_none() is None:
        raise not_found("ledger.voucher_not_found", "找不到该凭证")  # deleted meanwhile


def _counter_row(village_id: int, period: str) -> None:
    """Make sure the month's counter row exists (so that there is a row to lock)."""
    values = {"village_id": village_id, "period": period, "last_number": 0}
    ins = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(ins(VoucherCounter).values(**values).on_conflict_do_nothing())


def lock_month(village_id: int, period: str) -> None:
    """Lock the month's counter row until commit: closing the month and posting into it queue on it."""
    _counter_row(village_id, period)
    db.session.execute(
        select(VoucherCounter.last_number)
        .where(VoucherCounter.village_id == village_id, VoucherCounter.period == period)
        .with_for_update()
    )


def _next_number(village_id: int, period: str) -> int:
    """Hand out the month's next number under a row lock (the counter row is created on first use)."""
    _counter_row(village_id, period)
    return db.session.execute(
        update(VoucherCounter)
        .where(VoucherCounter.village_id == village_id, VoucherCounter.period == period)
        .values(last_number=VoucherCounter.last_number + 1)
        .returning(VoucherCounter.last_number)
    ).scalar_one()


def post_voucher(v: Voucher, *, actor: Principal | None) -> Voucher:
    _lock(v)
    if v.status != "draft":
        raise conflict("ledger.voucher_posted", "该凭证已经记账")
    village = registry.get_village(v.village_id)
    lines = [LineInput(ln.account.code, ln.debit_fen, ln.credit_fen) for ln in v.lines]
    total = check_balanced(lines)
    # the accounts again: one may have got sub-accounts (or been retired) since the draft was written
    _resolve_lines(v.village_id, lines)
    ensure_open(v.village_id, v.period)
    if v.reverses_id is None:
        _check_large_expense(v, village)
    with db.session.begin_nested():
        number = _next_number(v.village_id, v.period)
        # again, now that the month's counter is locked: a close that committed meanwhile wins (its draft check
        # could not see a voucher created and posted in one transaction), and the number goes back
        ensure_open(v.village_id, v.period)
    v.number = number
    v.status, v.total_fen = "posted", total
    v.posted_by_id, v.posted_at = (actor.person_id if actor else None), utcnow()
    db.session.flush()
    audit.record(
        "ledger.voucher_post",
        "voucher",
        v.id,
        actor=actor,
        village_id=v.village_id,
        after={"number": v.number, "period": v.period, "total_fen": total},
    )
    return v


def reverse_voucher(v: Voucher, on: date, reason: str, *, actor: Principal | None) -> Voucher:
    """A correction: a new posted voucher with every line on the other side, pointing to ``v``."""
    _lock(v)
    if v.status != "posted":
        raise conflict("ledger.voucher_not_posted", "草稿凭证可以直接修改，不需要冲销")
    if v.reverses_id is not None:
        raise conflict("ledger.cannot_reverse_reversal", "冲销凭证不能再冲销，请另做更正凭证")
    if db.session.execute(select(Voucher.id).where(Voucher.reverses_id == v.id)).first():
        raise conflict("ledger.already_reversed", "该凭证已经冲销过")
    if on < v.voucher_date:
        raise unprocessable("ledger.reversal_date", "冲销日期不能早于原凭证日期")
    lines = [LineInput(ln.account.code, ln.credit_fen, ln.debit_fen, ln.summary) for ln in v.lines]
    village = registry.get_village(v.village_id)
    rev = create_voucher(
        village,
        VoucherInput(on, f"冲销{v.period}第{v.number}号凭证：{reason.strip()}", lines),
        actor=actor,
        source="reversal",
    )
    rev.reverses_id = v.id
    db.session.flush()
    post_voucher(rev, actor=actor)
    audit.record(
        "ledger.voucher_reverse",
        "voucher",
        v.id,
        actor=actor,
        village_id=v.village_id,
        after={"reversal_id": rev.id, "number": rev.number, "period": rev.period, "reason": reason.strip()},
    )
    return rev


def _with_lines(voucher_id: int) -> Select[tuple[Voucher]]:
    """The voucher read afresh, its lines and their accounts in a second statement (not one per line)."""
    return (
        select(Voucher)
        .where(Voucher.id == voucher_id)
        .options(selectinload(Voucher.lines).joinedload(VoucherLine.account))
        .execution_options(populate_existing=True)
    )


def get_voucher(voucher_id: int) -> Voucher:
    """The voucher with its lines (404 if none)."""
    v = db.session.execute(_with_lines(voucher_id)).scalar_one_or_none()
    if v is None:
        raise not_found("ledger.voucher_not_found", "找不到该凭证")
    return v


def with_lines(v: Voucher) -> Voucher:
    """``v`` with its lines and their accounts loaded, for an answer (after a commit every attribute is stale)."""
    db.session.execute(_with_lines(v.id))
    mark_reversals([v])
    return v


def vouchers_page(village_id: int, period: str | None, status: str | None, page: int, page_size: int) -> Page:
    """The village's vouchers with their lines, newest month first, drafts (no number yet) first in a month."""
    stmt = (
        select(Voucher)
        .where(Voucher.village_id == village_id)
        .options(selectinload(Voucher.lines).joinedload(VoucherLine.account))
    )
    if period:
        stmt = stmt.where(Voucher.period == period)
    if status:
        stmt = stmt.where(Voucher.status == status)
    stmt = stmt.order_by(Voucher.period.desc(), Voucher.number.desc().nulls_first(), Voucher.id.desc())
    found = paginate(db.session, stmt, page, page_size)
    mark_reversals(found.items)
    return found


def mark_reversals(vouchers: Sequence[Voucher]) -> None:
    """Set ``reversed_by_id`` on each voucher (the reversal that points to it, or None), in one query, for the
    answers: a reversed voucher is shown as such and offers no second reversal."""
    ids = [v.id for v in vouchers]
    by = dict(
        db.session.execute(select(Voucher.reverses_id, Voucher.id).where(Voucher.reverses_id.in_(ids))).all()
    ) if ids else {}
    for v in vouchers:
        v.reversed_by_id = by.get(v.id)  # type: ignore[attr-defined]  # an answer's field, not a column


# ---------------------------------------------------------------- periods


def close_period(village: Village, period: str, *, actor: Principal | None) -> Period:
    lock_month(village.id, period)  # waits for posts into the month in flight; later ones see the close
    if db.session.execute(select(Period.id).where(Period.village_id == village.id, Period.period == period)).first():
        raise conflict("ledger.period_closed", f"{period} 已经结账")
    drafts = db.session.execute(
        select(Voucher.id).where(Voucher.village_id == village.id, Voucher.period == period, Voucher.status == "draft")
    ).all()
    if drafts:
        raise conflict(
            "ledger.drafts_open", f"{period} 还有 {len(drafts)} 张草稿凭证，请先记账或删除", drafts=len(drafts)
        )
    p = Period(
        village_id=village.id, period=period, closed_at=utcnow(), closed_by_id=actor.person_id if actor else None
    )
    db.session.add(p)
    db.session.flush()
    audit.record(
        "ledger.period_close", "ledger_period", p.id, actor=actor, village_id=village.id, after={"period": period}
    )
    return p


def closed_periods(village_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(Period.period).where(Period.village_id == village_id).order_by(Period.period)
        ).scalars()
    )


def periods(village_id: int) -> list[dict[str, Any]]:
    """The closed months and the months that have vouchers but are still open, newest first."""
    closed = set(closed_periods(village_id))
    used = set(db.session.execute(select(Voucher.period).where(Voucher.village_id == village_id).distinct()).scalars())
    return [{"period": p, "closed": p in closed} for p in sorted(closed | used, reverse=True)]

