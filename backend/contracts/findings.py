"""The contracts domain's warning rules (预警), reported to the township as :class:`backend.core.findings.Finding`.

- ``receivable_overdue``: an installment the collective should have received, past its due date and not fully
  settled; and land rent dues past their due date not fully paid. Due today is not overdue; since = the day after
  the due date.
- ``contract_expiring``: an active contract (both sources) ending within ``contracts.expiring_days`` days
  (default 90) — ending exactly 90 days from today is IN the window, 91 days is out; ending today is in (0 days),
  ended yesterday is out (it has expired: no longer "expiring"). since = the day it entered the window
  (end date − window days).
- ``contract_no_decision``: an active contract that needs a resolved decision and rests on none (the collective's
  above the large-expense threshold or leasing an asset; land leases) — since = its start date.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend import decisions, land, registry
from backend.contracts.models import CollectiveContract, Installment
from backend.contracts.service import needs_decision
from backend.core.db import db
from backend.core.findings import Finding
from backend.core.money import fen_to_yuan


def _resolved(village_id: int, decision_id: int | None) -> bool:
    if decision_id is None:
        return False
    ref = decisions.get_ref(village_id, decision_id)
    return ref is not None and ref.resolved


def findings(village_ids: list[int], on: date) -> list[Finding]:
    """Every finding of this domain's rules in these villages on day ``on``."""
    if not village_ids:
        return []
    out: list[Finding] = []
    contracts = {c.id: c for c in registry_contracts(village_ids)}
    # receivable_overdue
    rows = select(Installment).where(Installment.village_id.in_(village_ids), Installment.due_date < on,
                                     Installment.settled_fen < Installment.amount_fen).order_by(Installment.id)
    for i in db.session.execute(rows).scalars():
        c = contracts.get(i.contract_id)
        if c is None or c.direction != "income" or c.status == "terminated":
            continue
        left = i.amount_fen - i.settled_fen
        out.append(Finding(
            "receivable_overdue", f"installment-{i.id}", c.village_id,
            f"{c.counterparty_name}应付的合同“{c.title}”（{c.number}）第{i.seq}期款 {fen_to_yuan(left)} 元已逾期"
            f" {(on - i.due_date).days} 天（应于 {i.due_date.isoformat()} 前支付）",
            i.due_date + timedelta(days=1), "contract", c.id))
    for d in land.overdue_dues(village_ids, on):
        out.append(Finding(
            "receivable_overdue", f"rent_due-{d['id']}", d["village_id"],
            f"{d['counterparty']}应交的土地合同“{d['title']}”（{d['number']}）第{d['year_no']}年租金尚欠"
            f" {fen_to_yuan(d['outstanding_fen'])} 元，已逾期 {(on - d['due_date']).days} 天",
            d["due_date"] + timedelta(days=1), "land_contract", d["contract_id"]))
    # contract_expiring and contract_no_decision
    windows: dict[int, int] = {}
    villages = {}
    for vid in village_ids:
        villages[vid] = registry.get_village(vid)
        windows[vid] = registry.settings.get(villages[vid], "contracts.expiring_days")
    for c in contracts.values():
        if c.status != "active":
            continue
        left = (c.end_date - on).days
        if 0 <= left <= windows[c.village_id]:
            out.append(Finding(
                "contract_expiring", f"contract-{c.id}", c.village_id,
                f"与{c.counterparty_name}的合同“{c.title}”（{c.number}）将于 {c.end_date.isoformat()} 到期，"
                f"还剩 {left} 天", c.end_date - timedelta(days=windows[c.village_id]), "contract", c.id))
        if needs_decision(villages[c.village_id], c.total_fen, c.kind, c.asset_id, c.direction) \
                and not _resolved(c.village_id, c.decision_id):
            out.append(Finding(
                "contract_no_decision", f"contract-{c.id}", c.village_id,
                f"与{c.counterparty_name}的合同“{c.title}”（{c.number}，{fen_to_yuan(c.total_fen)} 元）"
                f"没有依据已通过的四议两公开决议", c.start_date, "contract", c.id))
    for r in land.contract_rows(village_ids, on):
        if r["status"] != "active":
            continue
        left = (r["end_date"] - on).days
        if 0 <= left <= windows[r["village_id"]]:
            out.append(Finding(
                "contract_expiring", f"land-{r['id']}", r["village_id"],
                f"与{r['counterparty']}的土地合同“{r['title']}”（{r['number']}）将于 {r['end_date'].isoformat()} "
                f"到期，还剩 {left} 天", r["end_date"] - timedelta(days=windows[r["village_id"]]),
                "land_contract", r["id"]))
        if r["kind"] == "lease" and not _resolved(r["village_id"], r["decision_id"]):
            out.append(Finding(
                "contract_no_decision", f"land-{r['id']}", r["village_id"],
                f"与{r['counterparty']}的集体土地资产出租合同“{r['title']}”（{r['number']}）"
                f"没有依据已通过的四议两公开决议", r["start_date"], "land_contract", r["id"]))
    return out


def registry_contracts(village_ids: list[int]) -> list[CollectiveContract]:
    return list(db.session.execute(select(CollectiveContract).where(CollectiveContract.village_id.in_(village_ids))
                                   .order_by(CollectiveContract.id)).scalars())
