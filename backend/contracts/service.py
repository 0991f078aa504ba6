"""The collective's contracts: signing one with its schedule, changing it while nothing is settled, terminating it,
settling an installment (a posted voucher), the deposit received and returned; and the one register that shows
them beside land's transfer and lease contracts.

Rules: a contract whose total exceeds the village's large-expense threshold (``ledger.large_expense_fen``) or that
leases out an asset of the collective rests on a resolved decision of the village; the installments add up to the
total; a settlement never exceeds what the installment still lacks (checked under the contract's row lock and again
by the database); an idempotency key replays a settlement instead of recording it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend import assets, decisions, land, ledger, registry
from backend.contracts.models import (
    DIRECTION_LABELS,
    DIRECTIONS,
    KIND_LABELS,
    KINDS,
    METHODS,
    STATUS_LABELS,
    CollectiveContract,
    Installment,
    Settlement,
)
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.registry import Village

EXPIRING = registry.settings.declare("contracts.expiring_days", "合同到期前多少天开始预警", 90, 1, 730, "天")
LARGE_EXPENSE_KEY = "ledger.large_expense_fen"
CASH_ACCOUNTS = {"bank": "102", "cash": "101"}
DEPOSIT_ACCOUNT = "211"  # 应付款: a deposit held for the counterparty until it is returned
INCOME_ACCOUNTS = {"501002": "租赁收入", "501003": "其他经营收入", "504": "其他收入", "112": "应收款"}
EXPENSE_ACCOUNTS = {"153": "在建工程", "151": "固定资产", "511": "经营支出", "513": "管理费用", "514": "公益支出",
                    "515": "其他支出", "211": "应付款"}
DEFAULT_ACCOUNT = {("income", "asset_lease"): "501002", ("income", "service"): "501003",
                   ("income", "construction"): "501003", ("income", "purchase"): "501003",
                   ("income", "other"): "504", ("expense", "construction"): "153", ("expense", "purchase"): "151",
                   ("expense", "service"): "513", ("expense", "other"): "515", ("expense", "asset_lease"): "511"}
LAND_STATUS = {"active": "active", "ended": "ended", "terminated": "terminated"}


# ---------------------------------------------------------------- inputs


@dataclass
class InstallmentInput:
    due_date: date
    amount_fen: int
    note: str | None = None


@dataclass
class ContractInput:
    number: str
    kind: str
    direction: str
    counterparty_name: str
    title: str
    total_fen: int
    signed_on: date
    start_date: date
    end_date: date
    installments: list[InstallmentInput] = field(default_factory=list)
    counterparty_code: str | None = None
    counterparty_phone: str | None = None
    asset_id: int | None = None
    deposit_fen: int = 0
    decision_id: int | None = None
    note: str | None = None


@dataclass
class SettleInput:
    installment_id: int
    amount_fen: int
    paid_on: date
    method: str = "bank"
    reference: str | None = None
    account_code: str | None = None


# ---------------------------------------------------------------- rules


def large_threshold(village: Village) -> int:
    return registry.settings.get(village, LARGE_EXPENSE_KEY)


def needs_decision(village: Village, total_fen: int, kind: str, asset_id: int | None, direction: str) -> bool:
    """Above the large-expense threshold, or a lease of the collective's asset: a 四议两公开 decision is needed."""
    leases_asset = kind == "asset_lease" or (asset_id is not None and direction == "income")
    return total_fen > large_threshold(village) or leases_asset


def _strip(v: str | None) -> str | None:
    v = (v or "").strip()
    return v or None


def _check(village: Village, data: ContractInput, *, own_id: int | None = None) -> None:
    number = (data.number or "").strip()
    if not number:
        raise unprocessable("contracts.number_required", "请填写合同编号", field="number")
    if data.kind not in KINDS:
        raise unprocessable("contracts.kind_invalid", "合同类别应为服务、工程施工、采购、资产出租或其他", field="kind")
    if data.direction not in DIRECTIONS:
        raise unprocessable("contracts.direction_invalid", "收支方向应为收入或支出", field="direction")
    if data.kind == "asset_lease" and data.direction != "income":
        raise unprocessable("contracts.direction_invalid", "资产出租合同是集体的收入，方向应为收入", field="direction")
    if not (data.counterparty_name or "").strip():
        raise unprocessable("contracts.counterparty_required", "请填写合同对方名称", field="counterparty_name")
    if not (data.title or "").strip():
        raise unprocessable("contracts.title_required", "请填写合同名称", field="title")
    if data.total_fen <= 0:
        raise unprocessable("contracts.total_invalid", "合同金额应大于零", field="total")
    if data.deposit_fen < 0:
        raise unprocessable("contracts.deposit_invalid", "保证金不能为负数", field="deposit")
    if data.end_date < data.start_date:
        raise unprocessable("contracts.term_invalid", "合同到期日不能早于开始日", field="end_date")
    if data.signed_on > data.end_date:
        raise unprocessable("contracts.signed_invalid", "签订日期不能晚于到期日", field="signed_on")
    if data.asset_id is not None and assets.asset_brief(village.id, data.asset_id) is None:
        raise unprocessable("contracts.asset_unknown", "找不到所选的资产（须是本村三资登记中的资产）", field="asset_id")
    # the number: unique among the collective's contracts and land's
    clash = db.session.execute(select(CollectiveContract.id).where(
        CollectiveContract.village_id == village.id, CollectiveContract.number == number,
        CollectiveContract.id != (own_id or 0))).first()
    if clash is not None or any(r["number"] == number for r in land.contract_rows([village.id])):
        raise conflict("contracts.number_taken", f"合同编号“{number}”已被本村另一份合同（含土地合同）使用",
                       field="number")
    # the schedule
    if not data.installments:
        raise unprocessable("contracts.schedule_required", "请至少填写一期收付款计划", field="installments")
    for i, ins in enumerate(data.installments, start=1):
        if ins.amount_fen <= 0:
            raise unprocessable("contracts.installment_invalid", f"第{i}期金额应大于零", field="installments")
    scheduled = sum(i.amount_fen for i in data.installments)
    if scheduled != data.total_fen:
        raise unprocessable(
            "contracts.schedule_mismatch",
            f"各期金额合计 {fen_to_yuan(scheduled)} 元，与合同金额 {fen_to_yuan(data.total_fen)} 元不一致",
            field="installments", scheduled=fen_to_yuan(scheduled), total=fen_to_yuan(data.total_fen))
    # the decision
    needed = needs_decision(village, data.total_fen, data.kind, data.asset_id, data.direction)
    if data.decision_id is None:
        if needed:
            why = ("出租集体资产" if data.kind == "asset_lease" or data.asset_id is not None
                   else f"合同金额超过 {fen_to_yuan(large_threshold(village))} 元")
            raise unprocessable("contracts.decision_required", f"{why}，须依据本村已通过的四议两公开决议，请选择决议",
                                field="decision_id")
        return
    ref = decisions.get_ref(village.id, data.decision_id)
    if ref is None:
        raise unprocessable("contracts.decision_unknown", "找不到所选的决议（须是本村的决议）", field="decision_id")
    if not ref.resolved:
        raise unprocessable("contracts.decision_not_resolved", f"决议“{ref.title}”尚未通过，合同不能据此签订",
                            field="decision_id")


def _installments(c: CollectiveContract, data: ContractInput) -> None:
    rows = sorted(data.installments, key=lambda i: i.due_date)
    for seq, ins in enumerate(rows, start=1):
        db.session.add(Installment(contract_id=c.id, village_id=c.village_id, seq=seq, due_date=ins.due_date,
                                   amount_fen=ins.amount_fen, note=_strip(ins.note)))


def _snapshot(c: CollectiveContract) -> dict[str, Any]:
    return {"number": c.number, "kind": c.kind, "direction": c.direction, "counterparty": c.counterparty_name,
            "title": c.title, "total_fen": c.total_fen, "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat(), "decision_id": c.decision_id, "status": c.status}


def create_contract(village: Village, data: ContractInput, *, actor: Principal | None) -> CollectiveContract:
    """Sign a contract with its schedule (one transaction; the caller commits)."""
    _check(village, data)
    c = CollectiveContract(
        village_id=village.id, number=data.number.strip(), kind=data.kind, direction=data.direction,
        counterparty_name=data.counterparty_name.strip(), counterparty_code=_strip(data.counterparty_code),
        counterparty_phone=_strip(data.counterparty_phone), title=data.title.strip(), asset_id=data.asset_id,
        total_fen=data.total_fen, signed_on=data.signed_on, start_date=data.start_date, end_date=data.end_date,
        deposit_fen=data.deposit_fen, decision_id=data.decision_id, note=_strip(data.note),
        created_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(c)
            db.session.flush()
            _installments(c, data)
            db.session.flush()
    except IntegrityError:
        raise conflict("contracts.number_taken", f"合同编号“{data.number.strip()}”已被本村另一份合同使用",
                       field="number") from None
    audit.record("contracts.create", "collective_contract", c.id, actor=actor, village_id=village.id,
                 after=_snapshot(c))
    return c


def lock(c: CollectiveContract) -> CollectiveContract:
    db.session.execute(select(CollectiveContract.id).where(CollectiveContract.id == c.id).with_for_update())
    db.session.refresh(c)
    return c


def installments_of(c: CollectiveContract) -> list[Installment]:
    return list(db.session.execute(
        select(Installment).where(Installment.contract_id == c.id).order_by(Installment.seq)).scalars())


def settled_total(c: CollectiveContract) -> int:
    return int(db.session.execute(select(func.coalesce(func.sum(Installment.settled_fen), 0))
                                  .where(Installment.contract_id == c.id)).scalar_one())


def update_contract(c: CollectiveContract, data: ContractInput, *, actor: Principal | None) -> CollectiveContract:
    """Correct a contract and its schedule while nothing of it is settled and it is active."""
    lock(c)
    if c.status != "active":
        raise conflict("contracts.not_active", f"合同已{STATUS_LABELS[c.status]}，不能修改")
    if settled_total(c) > 0:
        raise conflict("contracts.settled", "合同已有收付款记录，不能修改；如需变更请终止后重签")
    village = registry.get_village(c.village_id)
    _check(village, data, own_id=c.id)
    before = _snapshot(c)
    c.number, c.kind, c.direction = data.number.strip(), data.kind, data.direction
    c.counterparty_name, c.counterparty_code = data.counterparty_name.strip(), _strip(data.counterparty_code)
    c.counterparty_phone, c.title, c.asset_id = _strip(data.counterparty_phone), data.title.strip(), data.asset_id
    c.total_fen, c.signed_on, c.start_date, c.end_date = data.total_fen, data.signed_on, data.start_date, data.end_date
    if c.deposit_received_on is None:
        c.deposit_fen = data.deposit_fen
    elif data.deposit_fen != c.deposit_fen:
        raise conflict("contracts.deposit_received", "保证金已收取，金额不能再改", field="deposit")
    c.decision_id, c.note = data.decision_id, _strip(data.note)
    for ins in installments_of(c):
        db.session.delete(ins)
    db.session.flush()
    _installments(c, data)
    db.session.flush()
    audit.record("contracts.update", "collective_contract", c.id, actor=actor, village_id=c.village_id,
                 before=before, after=_snapshot(c))
    return c


def terminate(c: CollectiveContract, on: date, reason: str, *, actor: Principal | None) -> CollectiveContract:
    lock(c)
    if c.status != "active":
        raise conflict("contracts.not_active", f"合同已{STATUS_LABELS[c.status]}，不能再终止")
    if not (reason or "").strip():
        raise unprocessable("contracts.reason_required", "请填写终止原因", field="reason")
    if on > today():
        raise unprocessable("contracts.date_invalid", "终止日期不能晚于今天", field="on")
    if on < c.signed_on:
        raise unprocessable("contracts.date_invalid", "终止日期不能早于签订日期", field="on")
    c.status, c.terminated_on = "terminated", on
    c.note = ((c.note + "\n") if c.note else "") + f"{on.isoformat()} 终止：{reason.strip()}"
    db.session.flush()
    audit.record("contracts.terminate", "collective_contract", c.id, actor=actor, village_id=c.village_id,
                 after={"number": c.number, "on": on.isoformat(), "reason": reason.strip()})
    return c


# ---------------------------------------------------------------- money


def _hash(data: SettleInput) -> str:
    text = json.dumps([data.installment_id, data.amount_fen, data.paid_on.isoformat(), data.method,
                       data.reference or "", data.account_code or ""])
    return hashlib.sha256(text.encode()).hexdigest()


def account_for(c: CollectiveContract, code: str | None) -> str:
    allowed = INCOME_ACCOUNTS if c.direction == "income" else EXPENSE_ACCOUNTS
    if code is None:
        return DEFAULT_ACCOUNT[(c.direction, c.kind)]
    if code not in allowed:
        names = "、".join(f"{k} {v}" for k, v in allowed.items())
        raise unprocessable("contracts.account_invalid", f"科目应为以下之一：{names}", field="account_code")
    return code


def settle(c: CollectiveContract, data: SettleInput, *, idempotency_key: str | None,
           actor: Principal | None) -> tuple[Settlement, bool]:
    """Money received (income) or paid (expense) against one installment, posted to the books."""
    lock(c)
    req = _hash(data)
    if idempotency_key:
        prior = db.session.execute(select(Settlement).where(
            Settlement.contract_id == c.id, Settlement.idempotency_key == idempotency_key)).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的收付款登记")
            return prior, True
    if c.status == "terminated":
        raise conflict("contracts.not_active", "合同已终止，不能再登记收付款")
    ins = db.session.get(Installment, data.installment_id)
    if ins is None or ins.contract_id != c.id:
        raise unprocessable("contracts.installment_unknown", "该期款项不属于这份合同", field="installment_id")
    db.session.refresh(ins)
    if data.method not in METHODS:
        raise unprocessable("contracts.method_invalid", "收付方式应为银行或现金", field="method")
    if data.amount_fen <= 0:
        raise unprocessable("contracts.amount_invalid", "金额应大于零", field="amount")
    if data.paid_on > today():
        raise unprocessable("contracts.date_invalid", "收付款日期不能晚于今天", field="paid_on")
    word = "收款" if c.direction == "income" else "付款"
    outstanding = ins.amount_fen - ins.settled_fen
    if data.amount_fen > outstanding:
        raise conflict("contracts.over_settled",
                       f"第{ins.seq}期尚余 {fen_to_yuan(outstanding)} 元未结清，{word}不能超过这个数",
                       outstanding=fen_to_yuan(outstanding))
    account = account_for(c, data.account_code)
    s = Settlement(contract_id=c.id, installment_id=ins.id, village_id=c.village_id, amount_fen=data.amount_fen,
                   paid_on=data.paid_on, method=data.method, reference=_strip(data.reference), account_code=account,
                   idempotency_key=idempotency_key, request_hash=req,
                   recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(s)
            db.session.flush()
            res = db.session.execute(
                update(Installment).where(Installment.id == ins.id,
                                          Installment.settled_fen + data.amount_fen <= Installment.amount_fen)
                .values(settled_fen=Installment.settled_fen + data.amount_fen)
                .execution_options(synchronize_session=False))
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise IntegrityError("over settled meanwhile", None, Exception("over settled"))
            cash = CASH_ACCOUNTS[data.method]
            text = f"{c.counterparty_name}{c.title}第{ins.seq}期"
            if c.direction == "income":
                lines = [ledger.LineInput(cash, debit_fen=data.amount_fen, summary=f"收{text}"),
                         ledger.LineInput(account, credit_fen=data.amount_fen, summary=f"收{text}")]
            else:
                lines = [ledger.LineInput(account, debit_fen=data.amount_fen, summary=f"付{text}"),
                         ledger.LineInput(cash, credit_fen=data.amount_fen, summary=f"付{text}")]
            summary = f"{word}：{c.counterparty_name}（合同{c.number}，第{ins.seq}期）"
            v = ledger.create_voucher(
                registry.get_village(c.village_id),
                ledger.VoucherInput(data.paid_on, summary[:200], lines,
                                    decision_ref=str(c.decision_id) if c.decision_id else None),
                actor=None, source="contracts")
            ledger.post_voucher(v, actor=None)
            s.voucher_id = v.id
            db.session.flush()
    except IntegrityError:
        raise conflict("contracts.settle_conflict", "这笔款项刚刚已被登记，请刷新后核对") from None
    db.session.refresh(ins)
    audit.record("contracts.settle", "collective_contract", c.id, actor=actor, village_id=c.village_id,
                 after={"number": c.number, "seq": ins.seq, "amount_fen": data.amount_fen, "voucher_id": v.id})
    return s, False


def record_deposit(c: CollectiveContract, action: str, on: date, method: str, *,
                   actor: Principal | None) -> CollectiveContract:
    """The counterparty's deposit (保证金) received (Dr 银行存款 / Cr 应付款) or returned (the reverse)."""
    lock(c)
    if method not in METHODS:
        raise unprocessable("contracts.method_invalid", "收付方式应为银行或现金", field="method")
    if on > today():
        raise unprocessable("contracts.date_invalid", "日期不能晚于今天", field="on")
    if c.deposit_fen <= 0:
        raise conflict("contracts.no_deposit", "这份合同没有约定保证金")
    if action == "received":
        if c.deposit_received_on is not None:
            raise conflict("contracts.deposit_received", f"保证金已于 {c.deposit_received_on.isoformat()} 收取")
        debit, credit, word = CASH_ACCOUNTS[method], DEPOSIT_ACCOUNT, "收"
    elif action == "returned":
        if c.deposit_received_on is None:
            raise conflict("contracts.deposit_not_received", "保证金尚未收取，不能退还")
        if c.deposit_returned_on is not None:
            raise conflict("contracts.deposit_returned", f"保证金已于 {c.deposit_returned_on.isoformat()} 退还")
        if on < c.deposit_received_on:
            raise unprocessable("contracts.date_invalid", "退还日期不能早于收取日期", field="on")
        debit, credit, word = DEPOSIT_ACCOUNT, CASH_ACCOUNTS[method], "退"
    else:
        raise not_found()
    summary = f"{word}{c.counterparty_name}保证金（合同{c.number}）"
    with db.session.begin_nested():
        v = ledger.create_voucher(registry.get_village(c.village_id), ledger.VoucherInput(on, summary, [
            ledger.LineInput(debit, debit_fen=c.deposit_fen, summary=summary),
            ledger.LineInput(credit, credit_fen=c.deposit_fen, summary=summary)]), actor=None, source="contracts")
        ledger.post_voucher(v, actor=None)
        if action == "received":
            c.deposit_received_on = on
        else:
            c.deposit_returned_on = on
        db.session.flush()
    audit.record(f"contracts.deposit_{action}", "collective_contract", c.id, actor=actor, village_id=c.village_id,
                 after={"number": c.number, "amount_fen": c.deposit_fen, "on": on.isoformat(), "voucher_id": v.id})
    return c


# ---------------------------------------------------------------- views


def overdue_of(ins: Sequence[Any], on: date) -> int:
    """What the installments (or rows of their due_date, amount_fen and settled_fen) lack past their due date."""
    return sum(i.amount_fen - i.settled_fen for i in ins if i.due_date < on and i.settled_fen < i.amount_fen)


def effective_status(status: str, end_date: date, on: date) -> str:
    return "ended" if status == "active" and end_date < on else status


def days_left(status: str, end_date: date, on: date) -> int | None:
    return (end_date - on).days if status == "active" else None


def _cited(ref: decisions.DecisionRef | None) -> dict[str, Any] | None:
    """The decision a contract rests on, as the contract shows it."""
    return None if ref is None else {"id": ref.id, "title": ref.title, "resolved": ref.resolved}


def decisions_cited(village_id: int, decision_ids: list[int | None]) -> dict[int, dict[str, Any] | None]:
    """decision id → the decision as a contract shows it, for the decisions of the village among these (one
    statement)."""
    return {i: _cited(ref) for i, ref in decisions.refs_of(village_id, decision_ids).items()}


def _overdue_by_contract(village_id: int, on: date) -> dict[int, int]:
    """contract id → the amount overdue on day ``on``, for every collective contract of the village (one statement
    of the few columns it needs)."""
    by_contract: dict[int, list[Any]] = {}
    for i in db.session.execute(select(Installment.contract_id, Installment.due_date, Installment.amount_fen,
                                       Installment.settled_fen).where(Installment.village_id == village_id)):
        by_contract.setdefault(i.contract_id, []).append(i)
    return {cid: overdue_of(ins, on) for cid, ins in by_contract.items()}


def register_rows(village_id: int, on: date, *, public: bool) -> list[dict[str, Any]]:
    """Every contract of the village, land's and the collective's, as one row shape; ``public``: what a villager
    may read (合同公开: number, title, counterparty's name, amount, term, kind — no phones, IDs, deposit, arrears,
    decision: those are not read at all)."""
    land_rows = land.contract_rows([village_id], on)
    cs = list(db.session.execute(select(CollectiveContract).where(CollectiveContract.village_id == village_id)
                                 .order_by(CollectiveContract.id)).scalars())
    cited: dict[int, dict[str, Any] | None] = {}
    overdue: dict[int, int] = {}
    if not public:
        cited = decisions_cited(village_id, [r["decision_id"] for r in land_rows] + [c.decision_id for c in cs])
        overdue = _overdue_by_contract(village_id, on) if cs else {}
    rows: list[dict[str, Any]] = []
    for r in land_rows:
        st = effective_status(LAND_STATUS.get(r["status"], r["status"]), r["end_date"], on)
        rows.append({
            "key": f"land-{r['id']}", "source": "land", "id": r["id"], "number": r["number"], "kind": r["kind"],
            "kind_label": r["kind_label"], "direction": "income", "direction_label": DIRECTION_LABELS["income"],
            "counterparty": r["counterparty"], "counterparty_phone": r["counterparty_phone"],
            "counterparty_code": r["counterparty_code"], "title": r["title"], "amount": fen_to_yuan(r["amount_fen"]),
            "signed_on": r["signed_on"], "start_date": r["start_date"], "end_date": r["end_date"],
            "days_left": days_left(st, r["end_date"], on), "decision": cited.get(r["decision_id"]),
            "deposit": {"amount": fen_to_yuan(r["deposit_fen"]), "received_on": r["deposit_received_on"],
                        "returned_on": None},
            "overdue_amount": fen_to_yuan(r["overdue_fen"]), "status": st, "status_label": STATUS_LABELS[st]})
    for c in cs:
        st = effective_status(c.status, c.end_date, on)
        rows.append({
            "key": f"c-{c.id}", "source": "collective", "id": c.id, "number": c.number, "kind": c.kind,
            "kind_label": KIND_LABELS[c.kind], "direction": c.direction,
            "direction_label": DIRECTION_LABELS[c.direction], "counterparty": c.counterparty_name,
            "counterparty_phone": c.counterparty_phone, "counterparty_code": c.counterparty_code, "title": c.title,
            "amount": fen_to_yuan(c.total_fen), "signed_on": c.signed_on, "start_date": c.start_date,
            "end_date": c.end_date, "days_left": days_left(st, c.end_date, on),
            "decision": cited.get(c.decision_id),
            "deposit": {"amount": fen_to_yuan(c.deposit_fen), "received_on": c.deposit_received_on,
                        "returned_on": c.deposit_returned_on},
            "overdue_amount": fen_to_yuan(overdue.get(c.id, 0)), "status": st,
            "status_label": STATUS_LABELS[st]})
    rows.sort(key=lambda r: (r["status"] != "active", r["end_date"], r["key"]))
    if public:
        for r in rows:
            r.update(counterparty_phone=None, counterparty_code=None, deposit=None, overdue_amount=None,
                     decision=None)
    return rows


def filter_rows(rows: list[dict[str, Any]], village: Village, *, source: str | None, kind: str | None,
                status: str | None, expiring: bool, q: str | None) -> list[dict[str, Any]]:
    window = registry.settings.get(village, EXPIRING.key) if expiring else 0
    out = []
    for r in rows:
        if source and r["source"] != source:
            continue
        if kind and r["kind"] != kind:
            continue
        if status and r["status"] != status:
            continue
        if expiring and (r["days_left"] is None or r["days_left"] > window):
            continue
        if q and q not in r["number"] and q not in r["title"] and q not in r["counterparty"]:
            continue
        out.append(r)
    return out


def contract_view(c: CollectiveContract, on: date) -> dict[str, Any]:
    ins = installments_of(c)
    st = effective_status(c.status, c.end_date, on)
    settlements = list(db.session.execute(select(Settlement).where(Settlement.contract_id == c.id)
                                          .order_by(Settlement.id)).scalars())
    seq = {i.id: i.seq for i in ins}
    return {
        "id": c.id, "key": f"c-{c.id}", "village_id": c.village_id, "number": c.number, "kind": c.kind,
        "kind_label": KIND_LABELS[c.kind], "direction": c.direction, "direction_label": DIRECTION_LABELS[c.direction],
        "counterparty_name": c.counterparty_name, "counterparty_code": c.counterparty_code,
        "counterparty_phone": c.counterparty_phone, "title": c.title, "asset_id": c.asset_id,
        "asset": None if c.asset_id is None else assets.asset_brief(c.village_id, c.asset_id),
        "total": fen_to_yuan(c.total_fen), "settled": fen_to_yuan(sum(i.settled_fen for i in ins)),
        "signed_on": c.signed_on, "start_date": c.start_date, "end_date": c.end_date,
        "days_left": days_left(st, c.end_date, on),
        "deposit": {"amount": fen_to_yuan(c.deposit_fen), "received_on": c.deposit_received_on,
                    "returned_on": c.deposit_returned_on},
        "decision": None if c.decision_id is None else _cited(decisions.get_ref(c.village_id, c.decision_id)),
        "needs_decision": needs_decision(registry.get_village(c.village_id), c.total_fen, c.kind, c.asset_id,
                                         c.direction),
        "status": st, "status_label": STATUS_LABELS[st], "terminated_on": c.terminated_on, "note": c.note,
        "overdue_amount": fen_to_yuan(overdue_of(ins, on)),
        "default_account": DEFAULT_ACCOUNT[(c.direction, c.kind)],
        "accounts": [{"code": k, "name": v} for k, v in
                     (INCOME_ACCOUNTS if c.direction == "income" else EXPENSE_ACCOUNTS).items()],
        "installments": [{"id": i.id, "seq": i.seq, "due_date": i.due_date, "amount": fen_to_yuan(i.amount_fen),
                          "settled": fen_to_yuan(i.settled_fen),
                          "outstanding": fen_to_yuan(i.amount_fen - i.settled_fen),
                          "overdue": i.due_date < on and i.settled_fen < i.amount_fen, "note": i.note} for i in ins],
        "settlements": [{"id": s.id, "seq": seq.get(s.installment_id), "amount": fen_to_yuan(s.amount_fen),
                         "paid_on": s.paid_on, "method": s.method, "reference": s.reference,
                         "account_code": s.account_code, "voucher_id": s.voucher_id} for s in settlements],
    }


def resolved_decisions(village_id: int) -> list[dict[str, Any]]:
    """The village's resolved decisions, to choose one by its title."""
    out = []
    for d in decisions.decisions_of([village_id]):
        ref = decisions.get_ref(village_id, d.id)
        if ref is not None and ref.resolved:
            out.append({"id": ref.id, "title": ref.title, "resolved_on": ref.resolved_on,
                        "amount": None if ref.amount_fen is None else fen_to_yuan(ref.amount_fen)})
    return out


def window_start(end_date: date, window: int) -> date:
    return end_date - timedelta(days=window)
