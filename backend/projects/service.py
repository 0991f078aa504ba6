"""The project library's rules: a project goes through the seven steps strictly in order, each step's record saying
who did it, when, with which documents and decision; its funds by source; its monthly income plan; and its income
from the books (the posted credits − debits on its income account) against that plan.

Step rules (each refusal a Chinese 422/403 that changes nothing):

- steps strictly in order: no skipping, no repeating, no going back; a terminated or implemented project takes none;
  a step's date is not in the future nor before the previous step's date;
- 审批 (5) only by the 项目评审委员会 (``projects.approve``: township staff of the village's township); every other
  step by the village (``projects.manage``);
- 申报 (4) names the support funds applied for: the project must have, or the step must bring, at least one fund
  from a source other than 村集体自筹, and a planned investment;
- 立项 (6) cites a resolved 四议两公开 decision of the village;
- 实施 (7) needs the income account and a monthly income plan; the project becomes 已实施;
- any other step may cite a decision of the village (else refused).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, func, select

from backend import registry
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError, conflict, forbidden, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.decisions import get_ref, refs_of
from backend.ledger import accounts, monthly_credits
from backend.projects.models import (
    CATEGORIES,
    FUND_SOURCES,
    STATUS_LABELS,
    STEP_NAMES,
    Project,
    ProjectFund,
    ProjectPlan,
    ProjectStep,
)
from backend.registry import Village

BEHIND_PLAN = registry.settings.declare(
    "projects.behind_plan_pct", "项目收入落后于计划的预警比例（%）", 20, 0, 100, "%"
)
SUPPORT_SOURCES = ("中央财政", "省级财政", "市级财政", "县级财政", "乡镇")  # 扶持资金: government money
APPROVE_STEP, ESTABLISH_STEP, APPLY_STEP, IMPLEMENT_STEP = 5, 6, 4, 7


def step_name(step: int) -> str:
    return STEP_NAMES[step - 1] if 1 <= step <= 7 else "未开始"


def stage_text(p: Project) -> str:
    """What a villager reads as the project's 当前环节: "已申报，待审批", "已实施", "已终止"."""
    if p.status == "terminated":
        return "已终止"
    if p.step >= 7:
        return "已实施"
    nxt = STEP_NAMES[p.step]
    if p.step == 0:
        return f"待{nxt}"
    if p.step + 1 == APPROVE_STEP:
        return "已申报，待镇项目评审委员会审批"
    return f"已{STEP_NAMES[p.step - 1]}，待{nxt}"


def month_text(month: str) -> str:
    """ "2026-03" → "2026年3月"."""
    return f"{month[:4]}年{int(month[5:7])}月"


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    first_next = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return first_next - timedelta(days=1)


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + 1:04d}-01" if m == 12 else f"{y:04d}-{m + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out: list[str] = []
    m = first
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


# ---------------------------------------------------------------- projects


@dataclass
class ProjectInput:
    title: str
    category: str
    description: str | None = None
    planned_investment_fen: int = 0
    income_account_id: int | None = None


def _income_account(village_id: int, account_id: int | None) -> Any:
    """The village's income account (501/502/503/504 or a subaccount) ``account_id``, else 422."""
    if account_id is None:
        return None
    for acc in accounts(village_id):
        if acc.id == account_id:
            if acc.klass != "income":
                message = f"科目 {acc.code} {acc.name} 不是收入科目，项目收入应记在经营收入、投资收益等收入科目下"
                raise unprocessable("projects.account_not_income", message, fields={"income_account_id": message})
            return acc
    message = "本村没有这个会计科目"
    raise unprocessable("projects.account_unknown", message, fields={"income_account_id": message})


def _check_title(village_id: int, title: str, project_id: int | None = None) -> None:
    stmt = select(Project.id).where(Project.village_id == village_id, Project.title == title)
    if project_id is not None:
        stmt = stmt.where(Project.id != project_id)
    if db.session.execute(stmt).first():
        raise conflict("projects.title_exists", f"本村已有项目“{title}”", fields={"title": f"本村已有项目“{title}”"})


def create_project(village: Village, data: ProjectInput, *, actor: Principal | None) -> Project:
    title = data.title.strip()
    if data.category not in CATEGORIES:
        raise unprocessable("projects.category_unknown", f"项目类别应为：{'、'.join(CATEGORIES)}")
    _check_title(village.id, title)
    _income_account(village.id, data.income_account_id)
    p = Project(village_id=village.id, title=title, category=data.category, description=data.description,
                planned_investment_fen=data.planned_investment_fen, income_account_id=data.income_account_id,
                status="active", step=0, created_by_id=actor.person_id if actor else None)
    db.session.add(p)
    db.session.flush()
    audit.record("projects.create", "project", p.id, actor=actor, village_id=village.id,
                 after={"title": title, "category": data.category})
    return p


def _lock(p: Project) -> None:
    db.session.execute(select(Project.id).where(Project.id == p.id).with_for_update())
    db.session.refresh(p)


def _not_terminated(p: Project) -> None:
    if p.status == "terminated":
        raise conflict("projects.terminated", f"项目“{p.title}”已终止，不能再修改")


UPDATABLE = ("title", "category", "description", "planned_investment_fen", "income_account_id")


def update_project(p: Project, changes: dict[str, Any], *, actor: Principal | None) -> Project:
    _lock(p)
    _not_terminated(p)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
        _check_title(p.village_id, changes["title"], p.id)
    if "category" in changes and changes["category"] not in CATEGORIES:
        raise unprocessable("projects.category_unknown", f"项目类别应为：{'、'.join(CATEGORIES)}")
    if "income_account_id" in changes:
        if changes["income_account_id"] is None and p.step >= IMPLEMENT_STEP:
            message = "已实施的项目要有收入科目，才能按月跟踪收入"
            raise unprocessable("projects.account_required", message, fields={"income_account_id": message})
        _income_account(p.village_id, changes["income_account_id"])
    before = {k: getattr(p, k) for k in changes if k in UPDATABLE}
    for k, v in changes.items():
        if k in UPDATABLE:
            setattr(p, k, v)
    db.session.flush()
    audit.record("projects.update", "project", p.id, actor=actor, village_id=p.village_id, before=before,
                 after={k: getattr(p, k) for k in before})
    return p


def terminate_project(p: Project, on: date, reason: str, *, actor: Principal | None) -> Project:
    _lock(p)
    _not_terminated(p)
    if on > today():
        raise _refuse("projects.date_future", "终止日期不能晚于今天", "terminated_on")
    if not reason.strip():
        raise _refuse("projects.reason_required", "请写明终止原因", "reason")
    before = p.status
    p.status, p.terminated_on, p.terminate_reason = "terminated", on, reason.strip()
    db.session.flush()
    audit.record("projects.terminate", "project", p.id, actor=actor, village_id=p.village_id,
                 before={"status": before}, after={"status": "terminated", "reason": p.terminate_reason})
    return p


# ---------------------------------------------------------------- funds and plans


@dataclass
class FundInput:
    source: str
    amount_fen: int
    received_on: date
    note: str | None = None


def _check_fund(data: FundInput) -> None:
    if data.source not in FUND_SOURCES:
        raise unprocessable("projects.fund_source_unknown", f"资金来源应为：{'、'.join(FUND_SOURCES)}",
                            fields={"source": "资金来源不对"})
    if data.amount_fen <= 0:
        raise unprocessable("projects.fund_amount", "金额应大于零", fields={"amount": "金额应大于零"})
    if data.received_on > today():
        raise _refuse("projects.date_future", "资金日期不能晚于今天", "received_on")


def _add_fund(p: Project, data: FundInput, *, actor: Principal | None) -> ProjectFund:
    _check_fund(data)
    f = ProjectFund(project_id=p.id, village_id=p.village_id, source=data.source, amount_fen=data.amount_fen,
                    received_on=data.received_on, note=data.note)
    db.session.add(f)
    db.session.flush()
    audit.record("projects.fund_add", "project", p.id, actor=actor, village_id=p.village_id,
                 after={"source": data.source, "amount_fen": data.amount_fen})
    return f


def add_fund(p: Project, data: FundInput, *, actor: Principal | None) -> ProjectFund:
    _lock(p)
    _not_terminated(p)
    return _add_fund(p, data, actor=actor)


def set_plans(p: Project, year: int, amounts_fen: Sequence[int], *, actor: Principal | None) -> list[ProjectPlan]:
    """A year's planned income, 12 months at once (each ≥ 0; a month planned before is overwritten)."""
    _lock(p)
    _not_terminated(p)
    if len(amounts_fen) != 12:
        raise unprocessable("projects.plan_months", "请填写全年12个月的计划收入", fields={"months": "应为12个月"})
    if any(a < 0 for a in amounts_fen):
        raise unprocessable("projects.plan_negative", "计划收入不能为负数", fields={"months": "计划收入不能为负数"})
    existing = {pl.month: pl for pl in db.session.execute(
        select(ProjectPlan).where(ProjectPlan.project_id == p.id, ProjectPlan.month.like(f"{year:04d}-%"))).scalars()}
    out = []
    for i, amount in enumerate(amounts_fen, start=1):
        month = f"{year:04d}-{i:02d}"
        pl = existing.get(month)
        if pl is None:
            pl = ProjectPlan(project_id=p.id, village_id=p.village_id, month=month, planned_fen=amount)
            db.session.add(pl)
        else:
            pl.planned_fen = amount
        out.append(pl)
    db.session.flush()
    audit.record("projects.plan_set", "project", p.id, actor=actor, village_id=p.village_id,
                 after={"year": year, "total_fen": sum(amounts_fen)})
    return out


# ---------------------------------------------------------------- steps


@dataclass
class StepInput:
    step: int
    done_on: date
    documents: Sequence[str] = field(default_factory=tuple)
    decision_id: int | None = None
    note: str | None = None
    funds: Sequence[FundInput] = field(default_factory=tuple)  # 申报: the support funds applied for


def _refuse(code: str, message: str, field_name: str | None = None) -> AppError:
    return unprocessable(code, message, **({"fields": {field_name: message}} if field_name else {}))


def add_step(p: Project, data: StepInput, *, actor: Principal) -> ProjectStep:
    """Record the project's next step (the only one it may take), under the project's row lock."""
    _lock(p)
    n = data.step
    if n == APPROVE_STEP:
        if not actor.can("projects.approve", village_id=p.village_id):
            raise forbidden("projects.approve_township", "审批由镇项目评审委员会签署，村里不能自行审批，请等待镇里审批")
    elif not actor.can("projects.manage", village_id=p.village_id):
        raise forbidden("projects.manage_village", f"“{step_name(n)}”由村里办理，镇项目评审委员会只签署审批")
    if p.status == "terminated":
        raise conflict("projects.terminated", f"项目“{p.title}”已终止，不能再推进")
    if p.step >= 7:
        raise conflict("projects.implemented", f"项目“{p.title}”已完成全部七个环节")
    if not 1 <= n <= 7:
        raise _refuse("projects.step_unknown", "环节应为1到7（储备、论证、筛选、申报、审批、立项、实施）", "step")
    if n <= p.step:
        raise conflict("projects.step_done",
                       f"“{step_name(n)}”已经完成，不能重复或退回；下一步是“{step_name(p.step + 1)}”")
    if n > p.step + 1:
        nxt = p.step + 1
        raise _refuse("projects.step_skipped",
                      f"不能跳过环节：要先完成第{nxt}步“{step_name(nxt)}”，才能办理“{step_name(n)}”", "step")
    if data.done_on > today():
        raise _refuse("projects.date_future", "办理日期不能晚于今天", "done_on")
    prev = None
    if n > 1:
        prev = db.session.execute(
            select(ProjectStep).where(ProjectStep.project_id == p.id, ProjectStep.step == n - 1)).scalar_one()
        if data.done_on < prev.done_on:
            raise _refuse("projects.date_before_previous",
                          f"办理日期不能早于上一环节“{step_name(n - 1)}”的日期 {prev.done_on.isoformat()}", "done_on")
    documents = [d.strip() for d in data.documents if d and d.strip()]
    if len(documents) > 20 or any(len(d) > 200 for d in documents):
        raise _refuse("projects.documents", "附件最多20份，每份的名称或编号不超过200字", "documents")
    ref = None
    if data.decision_id is not None:
        ref = get_ref(p.village_id, data.decision_id)
        if ref is None:
            raise _refuse("projects.decision_unknown", "本村没有这个决议", "decision_id")
    if n == ESTABLISH_STEP:
        if ref is None:
            raise _refuse("projects.decision_required", "立项须依据本村已通过的“四议两公开”决议，请选择决议",
                          "decision_id")
        if not ref.resolved:
            raise _refuse("projects.decision_unresolved", f"决议“{ref.title}”尚未通过，不能据此立项", "decision_id")
    if n == APPLY_STEP:
        support = db.session.execute(select(func.count(ProjectFund.id)).where(
            ProjectFund.project_id == p.id, ProjectFund.source != "村集体自筹")).scalar_one()
        if not support and not any(f.source != "村集体自筹" for f in data.funds):
            raise _refuse("projects.apply_needs_funds", "申报须写明申请的扶持资金（来源和金额）", "funds")
        if p.planned_investment_fen <= 0:
            raise _refuse("projects.apply_needs_investment", "申报前请先填写项目的计划总投资", "planned_investment")
        for f in data.funds:
            _check_fund(f)
    if n == IMPLEMENT_STEP:
        if p.income_account_id is None:
            raise _refuse("projects.implement_needs_account",
                          "实施前请先为项目选定收入科目（如“光伏发电收入”），以便按月从账上跟踪收入",
                          "income_account_id")
        planned = db.session.execute(select(func.count(ProjectPlan.id)).where(
            ProjectPlan.project_id == p.id)).scalar_one()
        if not planned:
            raise _refuse("projects.implement_needs_plan", "实施前请先填写项目的月度收入计划", "plans")
    if n == APPLY_STEP:
        for f in data.funds:
            _add_fund(p, f, actor=actor)
    s = ProjectStep(project_id=p.id, village_id=p.village_id, step=n, prev_step=n - 1 if n > 1 else None,
                    done_by_id=actor.person_id, done_on=data.done_on,
                    documents=json.dumps(documents, ensure_ascii=False), decision_id=data.decision_id,
                    note=(data.note or "").strip() or None)
    db.session.add(s)
    p.step = n
    if n == IMPLEMENT_STEP:
        p.status = "implemented"
    db.session.flush()
    audit.record("projects.step", "project", p.id, actor=actor, village_id=p.village_id,
                 before={"step": n - 1}, after={"step": n, "step_name": step_name(n), "decision_id": data.decision_id})
    return s


# ---------------------------------------------------------------- income against plan


@dataclass
class Progress:
    """A project's income from the books against its plan."""

    months: list[dict[str, Any]]  # {month, planned_fen, actual_fen, cum_planned_fen, cum_actual_fen}
    income_to_date_fen: int  # posted income since the first plan month (or implementation), through ``on``
    plan_to_date_fen: int  # the plan through ``on``'s month
    checked_month: str | None  # the last complete month the behind-plan rule looks at
    cum_planned_fen: int  # plan and income from the first plan month through checked_month
    cum_actual_fen: int
    behind: bool
    behind_since: date | None
    pct: int


def _implemented_on(project_ids: list[int]) -> dict[int, date]:
    if not project_ids:
        return {}
    return {pid: d for pid, d in db.session.execute(select(ProjectStep.project_id, ProjectStep.done_on).where(
        ProjectStep.project_id.in_(project_ids), ProjectStep.step == IMPLEMENT_STEP)).all()}


def _plans(project_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {pid: {} for pid in project_ids}
    if project_ids:
        for pid, month, fen in db.session.execute(select(ProjectPlan.project_id, ProjectPlan.month,
                                                         ProjectPlan.planned_fen)
                                                  .where(ProjectPlan.project_id.in_(project_ids))).all():
            out[pid][month] = fen
    return out


def is_behind(actual: int, planned: int, pct: int) -> bool:
    """Behind plan: actual < planned × (100 − pct) / 100 (exactly at the threshold is not behind)."""
    return actual * 100 < planned * (100 - pct)


def progress_of(projects: Sequence[Project], on: date,
                implemented: dict[int, date] | None = None) -> dict[int, Progress]:
    """Each project's income against plan on day ``on`` (a few queries per village, whatever the count);
    ``implemented``: project id → the day of its 实施 step, if the caller has read its steps already."""
    ids = [p.id for p in projects]
    if implemented is None:  # only a project at step 7 has its 实施 step (add_step records both at once)
        implemented = _implemented_on([p.id for p in projects if p.step >= IMPLEMENT_STEP])
    plans = _plans(ids)
    by_village: dict[int, list[Project]] = {}
    for p in projects:
        by_village.setdefault(p.village_id, []).append(p)
    out: dict[int, Progress] = {}
    current = month_of(on)
    for village_id, group in by_village.items():
        village = registry.get_village(village_id)
        pct = registry.settings.get(village, BEHIND_PLAN.key)
        starts: dict[int, str] = {}
        for p in group:
            planned = [m for m, v in plans[p.id].items() if v > 0]
            firsts = [m for m in (min(planned) if planned else None,
                                  month_of(implemented[p.id]) if p.id in implemented else None) if m]
            if firsts:
                starts[p.id] = min(firsts)
        tracked = [p for p in group if p.income_account_id is not None and p.id in starts]
        income: dict[int, dict[str, int]] = {}
        if tracked:
            first = min(starts[p.id] for p in tracked)
            acc_ids = sorted({p.income_account_id for p in tracked if p.income_account_id is not None})
            raw = monthly_credits(village_id, acc_ids, date(int(first[:4]), int(first[5:7]), 1), on)
            for p in tracked:
                assert p.income_account_id is not None
                income[p.id] = {m: v for m, v in raw.get(p.income_account_id, {}).items() if m >= starts[p.id]}
        for p in group:
            out[p.id] = _progress(p, plans[p.id], income.get(p.id, {}), starts.get(p.id), current, on, pct)
    return out


def _progress(p: Project, plan: dict[str, int], income: dict[str, int], start: str | None, current: str,
              on: date, pct: int) -> Progress:
    if start is None:
        return Progress([], 0, 0, None, 0, 0, False, None, pct)
    last = max([current, *plan.keys()])
    months, cum_p, cum_a = [], 0, 0
    for m in months_between(start, last):
        planned, actual = plan.get(m, 0), income.get(m, 0) if m <= current else 0
        cum_p += planned
        cum_a += actual
        months.append({"month": m, "planned_fen": planned if m in plan else None,
                       "actual_fen": actual if m <= current else None,
                       "cum_planned_fen": cum_p, "cum_actual_fen": cum_a if m <= current else None})
    income_to_date = sum(v for m, v in income.items() if m <= current)
    plan_to_date = sum(v for m, v in plan.items() if m <= current)
    # the rule looks at complete months only, for an implemented project
    complete = [row for row in months if row["month"] < current]
    checked = complete[-1] if complete else None
    behind, since = False, None
    if checked is not None and p.status == "implemented" and p.income_account_id is not None:
        behind = is_behind(checked["cum_actual_fen"], checked["cum_planned_fen"], pct)
        if behind:  # the first month end of the run of months behind that lasts to now
            for row in reversed(complete):
                if not is_behind(row["cum_actual_fen"], row["cum_planned_fen"], pct):
                    break
                since = month_end(row["month"])
    return Progress(months, income_to_date, plan_to_date, checked["month"] if checked else None,
                    checked["cum_planned_fen"] if checked else 0, checked["cum_actual_fen"] if checked else 0,
                    behind, since, pct)


# ---------------------------------------------------------------- views


def funds_of(project_ids: list[int]) -> dict[int, list[Row[Any]]]:
    """project id → its funds (rows of id, source, amount_fen, received_on, note) in the order received."""
    out: dict[int, list[Row[Any]]] = {pid: [] for pid in project_ids}
    if project_ids:
        for f in db.session.execute(select(ProjectFund.project_id, ProjectFund.id, ProjectFund.source,
                                           ProjectFund.amount_fen, ProjectFund.received_on, ProjectFund.note)
                                    .where(ProjectFund.project_id.in_(project_ids))
                                    .order_by(ProjectFund.received_on, ProjectFund.id)):
            out[f.project_id].append(f)
    return out


def support_total(funds: Sequence[Any]) -> int:
    return sum(f.amount_fen for f in funds if f.source in SUPPORT_SOURCES)


def list_stmt(village_id: int) -> Any:
    return select(Project).where(Project.village_id == village_id).order_by(Project.id.desc())


def list_items(projects: Sequence[Project], on: date) -> list[dict[str, Any]]:
    ids = [p.id for p in projects]
    return _items(projects, funds_of(ids), progress_of(projects, on))


def _items(projects: Sequence[Project], funds: dict[int, list[Row[Any]]],
           progress: dict[int, Progress]) -> list[dict[str, Any]]:
    out = []
    for p in projects:
        pr = progress[p.id]
        out.append({
            "id": p.id, "village_id": p.village_id, "title": p.title, "category": p.category, "step": p.step,
            "step_name": step_name(p.step), "stage": stage_text(p), "status": p.status,
            "status_name": STATUS_LABELS[p.status],
            "next_step": p.step + 1 if p.status == "active" else None,
            "support_funds": fen_to_yuan(support_total(funds[p.id])),
            "funds_total": fen_to_yuan(sum(f.amount_fen for f in funds[p.id])),
            "income_to_date": fen_to_yuan(pr.income_to_date_fen), "plan_to_date": fen_to_yuan(pr.plan_to_date_fen),
            "behind_plan": pr.behind,
            "awaiting_approval": p.status == "active" and p.step == APPROVE_STEP - 1,
        })
    return out


def _decision_view(ref: Any) -> dict[str, Any] | None:
    return None if ref is None else {"id": ref.id, "title": ref.title}


def detail(p: Project, on: date, *, staff: bool) -> dict[str, Any]:
    steps = list(db.session.execute(select(ProjectStep).where(ProjectStep.project_id == p.id)
                                    .order_by(ProjectStep.step)).scalars())
    implemented = {s.project_id: s.done_on for s in steps if s.step == IMPLEMENT_STEP}
    # read once: the item and the detail share them
    all_funds, progress = funds_of([p.id]), progress_of([p], on, implemented)
    item = _items([p], all_funds, progress)[0]
    names = registry.person_names([s.done_by_id for s in steps])
    refs = refs_of(p.village_id, [s.decision_id for s in steps])
    funds = all_funds[p.id]
    by_source: dict[str, int] = {}
    for f in funds:
        by_source[f.source] = by_source.get(f.source, 0) + f.amount_fen
    pr = progress[p.id]
    acc = None
    if p.income_account_id is not None:
        acc = next((a for a in accounts(p.village_id) if a.id == p.income_account_id), None)

    def y(v: int | None) -> str | None:
        return None if v is None else fen_to_yuan(v)

    done = {s.step: s for s in steps}
    item.update({
        "description": p.description,
        "planned_investment": fen_to_yuan(p.planned_investment_fen),
        "income_account": None if acc is None else {"id": acc.id, "code": acc.code, "name": acc.name},
        "terminated_on": p.terminated_on.isoformat() if p.terminated_on else None,
        "terminate_reason": p.terminate_reason,
        "steps": [{
            "step": n, "name": STEP_NAMES[n - 1], "done": n in done,
            "done_on": done[n].done_on.isoformat() if n in done else None,
            "done_by": names.get(done[n].done_by_id) if n in done else None,
            "documents": json.loads(done[n].documents) if n in done else [],
            "decision": _decision_view(refs.get(done[n].decision_id)) if n in done else None,
            "note": done[n].note if n in done else None,
        } for n in range(1, 8)],
        "funds": [{"id": f.id, "source": f.source, "amount": fen_to_yuan(f.amount_fen),
                   "received_on": f.received_on.isoformat(), "note": f.note} for f in funds],
        "funds_by_source": [{"source": s, "amount": fen_to_yuan(by_source[s])} for s in FUND_SOURCES if s in by_source],
        "months": [{"month": r["month"], "planned": y(r["planned_fen"]), "actual": y(r["actual_fen"]),
                    "cum_planned": y(r["cum_planned_fen"]), "cum_actual": y(r["cum_actual_fen"])} for r in pr.months],
        "checked_month": pr.checked_month,
        "cum_planned": fen_to_yuan(pr.cum_planned_fen), "cum_actual": fen_to_yuan(pr.cum_actual_fen),
        "behind_since": pr.behind_since.isoformat() if pr.behind_since else None,
        "behind_plan_pct": pr.pct,
    })
    if not staff:
        item.pop("terminate_reason", None)
    return item


def township_xlsx(items: Sequence[dict[str, Any]], township_name: str, on: date) -> bytes:
    """项目总览 as a workbook: 村, 项目, 类别, 当前环节, 扶持资金, 资金合计, 累计收入, 累计计划, 落后于计划 (money as
    numbers with two decimals)."""
    from decimal import Decimal
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "项目总览"
    ws.append([f"{township_name}村集体经济项目总览（{on.isoformat()}）"])
    ws.append(["村", "项目", "类别", "当前环节", "扶持资金（元）", "资金合计（元）", "累计收入（元）", "累计计划（元）",
               "落后于计划"])
    for it in items:
        ws.append([it.get("village_name") or "", it["title"], it["category"], it["stage"],
                   Decimal(it["support_funds"]), Decimal(it["funds_total"]), Decimal(it["income_to_date"]),
                   Decimal(it["plan_to_date"]), "是" if it["behind_plan"] else ""])
        for col in range(5, 9):
            ws.cell(ws.max_row, col).number_format = "#,##0.00"
    for col, width in zip("ABCDEFGHI", (10, 26, 10, 30, 16, 16, 16, 16, 12), strict=True):
        ws.column_dimensions[col].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
