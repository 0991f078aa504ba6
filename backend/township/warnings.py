"""待办/预警: the rules that find what needs attention in a township's villages now, each finding with a Chinese
sentence and a link to the thing itself. :mod:`backend.township.warning_store` keeps them: it opens a warning for a
new finding, keeps its message up to date and closes it once the finding is gone (its history is kept).

A fixed number of queries whatever the number of villages (each rule is batched by the township's village ids).
The township's own rules (the numbers are township settings, :mod:`backend.registry.settings`):

- **disclosure_overdue**: the last completed quarter's 财务公开 is not published (as
  :func:`backend.disclosures.township_status` decides it) more than ``township.disclosure_due_days`` days after
  the quarter ended. Since: the first day past that allowance. One per village (key: the village's id).
- **question_overdue**: a villager's question on a published disclosure still unanswered after its due date (the
  disclosures domain's ``ledger.question_answer_days``). Since: the day after the due date.
- **objection_overdue**: a villager's objection to a record in 公示 (a dividend list, a job's selected list, a
  membership list, a decision) still unanswered after its due date (``objections.answer_days`` after it was
  raised). Since: the day after the due date. Its key is ``<table>-<id>`` (each domain has its own table, so the ids
  of two tables may be the same number).
- **decision_stuck**: an open decision whose current stage has not moved for more than ``township.stuck_days`` days
  (the progress table's rule). Since: when it last moved.
- **vote_low_turnout**: a vote open now that closes within ``township.vote_warn_days`` days while fewer than
  ``township.vote_low_turnout_pct`` percent of its electorate have voted (exact integer comparison:
  cast × 100 < pct × eligible; a vote with no electorate is never warned of). Since: when the vote entered that
  window (its opening, if later).

And every domain's ``findings(village_ids, on)`` (their thresholds are their own settings): ledger
(expense_no_decision), assets (cash_over_limit, asset_idle), contracts (receivable_overdue, contract_expiring,
contract_no_decision), projects (project_behind_plan).

Besides the findings, :func:`evaluate` says when the clock alone may change them next (``next_check``): the next
midnight in China (every date rule moves then) or sooner, when an open decision is about to become stuck or a vote
to enter its warning window or to close.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from backend import assets, contracts, decisions, disclosures, dividends, jobs, ledger, membership, projects, registry
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.findings import Finding
from backend.township.service import OPEN_STATUSES, STUCK_DAYS

settings = registry.settings

DISCLOSURE_DUE_DAYS = settings.declare(
    "township.disclosure_due_days", "财务公开逾期提醒：季度结束后多少天仍未公开", 10, 0, 90, "天"
)
VOTE_WARN_DAYS = settings.declare("township.vote_warn_days", "投票参与提醒：截止前多少天内提醒", 3, 1, 30, "天")
VOTE_LOW_TURNOUT_PCT = settings.declare(
    "township.vote_low_turnout_pct", "投票参与提醒：已投人数低于应投人数的百分之几", 50, 1, 100, "%"
)

# every kind with its Chinese label, in the order a list shows kinds of the same moment
KINDS: dict[str, str] = {
    "cash_over_limit": "库存现金超限额",
    "receivable_overdue": "应收款逾期",
    "contract_expiring": "合同即将到期",
    "contract_no_decision": "合同无决议依据",
    "expense_no_decision": "大额支出无决议",
    "asset_idle": "资产闲置超一年",
    "project_behind_plan": "项目收益落后计划",
    "disclosure_overdue": "财务公开逾期",
    "question_overdue": "村民提问逾期未答复",
    "objection_overdue": "异议逾期未答复",
    "decision_stuck": "事项停滞",
    "vote_low_turnout": "投票参与率低",
}
KIND_ORDER = {k: i for i, k in enumerate(KINDS)}

# the domains' rules, each called once with all the township's villages
DOMAIN_RULES = (ledger.findings, assets.findings, contracts.findings, projects.findings)

_FINDING_FIELDS = {f.name for f in fields(Finding)}


def label(kind: str) -> str:
    return KINDS.get(kind, kind)


def since_moment(s: date | datetime) -> datetime:
    """A finding's ``since`` as a moment (a date is that day's start in China)."""
    if isinstance(s, datetime):
        return s
    return datetime.combine(s, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def link_of(f: Finding) -> dict[str, Any]:
    """The finding's link as the API gives it: type, id, village, and whatever more a domain's finding carries
    (a voucher's ``period``: a subclass of Finding with more fields)."""
    out: dict[str, Any] = {"type": f.link_type, "id": f.link_id, "village_id": f.village_id}
    for fld in fields(f):
        if fld.name not in _FINDING_FIELDS:
            out[fld.name] = getattr(f, fld.name)
    return out


def quarter_end(period: str) -> date:
    """"2026-Q3" → 2026-09-30."""
    y, q = int(period[:4]), int(period[-1])
    m = q * 3
    return date(y, m, calendar.monthrange(y, m)[1])


def _disclosures(township_id: int, status: dict[str, Any], on: date) -> list[Finding]:
    due_days = settings.get_for_township(township_id, DISCLOSURE_DUE_DAYS.key)
    period = status["period"]
    since = quarter_end(period) + timedelta(days=due_days + 1)
    if on < since:
        return []
    text = period.replace("-Q", "年第") + "季度"
    return [
        Finding("disclosure_overdue", str(row["village_id"]), row["village_id"],
                f"{text}的财务公开逾期未公布（应在季度结束后{due_days}天内公开）", since, "village", row["village_id"])
        for row in status["villages"] if not row["published"]
    ]


def _questions(status: dict[str, Any]) -> list[Finding]:
    out = []
    for row in status["villages"]:
        for q in row["overdue"]:
            out.append(Finding(
                "question_overdue", str(q["id"]), row["village_id"],
                f"村民对财务公开第{q['line_no']}行的提问已逾期{q['days_overdue']}天未答复（答复期限 {q['due_on']}）",
                q["due_on"] + timedelta(days=1), "question", q["id"]))
    return out


# each domain's overdue objections: (its key in the warning's id, what the record is called, the link's type)
_OBJECTIONS = (
    ("dividend", dividends.overdue_objections, "分红名单", "distribution"),
    ("job", jobs.overdue_objections, "公益岗位拟聘名单", "job_posting"),
    ("membership", membership.overdue_objections, "成员名单", "membership_meeting"),
    ("decision", decisions.overdue_objections, "事项", "decision"),
)


def _objections(names: dict[int, str], on: date) -> list[Finding]:
    out = []
    for key, overdue, what, link in _OBJECTIONS:
        for o in overdue(list(names)):
            late = (on - o["due_on"]).days
            out.append(Finding(
                "objection_overdue", f"{key}-{o['id']}", o["village_id"],
                f"{names[o['village_id']]}村民对{what}“{o['title']}”的异议已逾期{late}天未答复"
                f"（答复期限 {o['due_on'].isoformat()}）",
                o["due_on"] + timedelta(days=1), link, o["record_id"]))
    return out


def _stuck(township_id: int, ids: list[int], now: datetime) -> tuple[list[Finding], list[datetime]]:
    days = settings.get_for_township(township_id, STUCK_DAYS.key)
    cutoff = now - timedelta(days=days)
    out, upcoming = [], []
    for d in decisions.decisions_of(ids):
        moved = d.updated_at or d.created_at
        if d.status not in OPEN_STATUSES or d.current_stage is None:
            continue
        if moved >= cutoff:  # not stuck yet: it becomes stuck just after moved + days
            upcoming.append(moved + timedelta(days=days, microseconds=1))
            continue
        out.append(Finding("decision_stuck", str(d.id), d.village_id,
                           f"“{d.title}”已有{(now - moved).days}天没有推进（超过{days}天提醒）",
                           moved, "decision", d.id))
    return out, upcoming


def _votes(township_id: int, ids: list[int], now: datetime, horizon: datetime) -> tuple[list[Finding], list[datetime]]:
    window = timedelta(days=settings.get_for_township(township_id, VOTE_WARN_DAYS.key))
    pct = settings.get_for_township(township_id, VOTE_LOW_TURNOUT_PCT.key)
    out, upcoming = [], []
    for v in decisions.votes_closing(ids, max(now, horizon) + window):
        if v.closes_at - window > now:  # enters the window later
            upcoming.append(v.closes_at - window)
            continue
        upcoming.append(v.closes_at)  # leaves the list once closed
        if v.eligible <= 0 or v.cast * 100 >= pct * v.eligible:
            continue
        closes = v.closes_at.astimezone(SHANGHAI)
        out.append(Finding(
            "vote_low_turnout", str(v.id), v.village_id,
            f"“{v.title}”将于{closes.month}月{closes.day}日 {closes:%H:%M} 截止，已投 {v.cast} / {v.eligible} 人，"
            f"不到应投人数的{pct}%",
            max(v.opens_at, v.closes_at - window), "vote", v.id))
    return out, upcoming


@dataclass
class Evaluation:
    findings: list[Finding]
    names: dict[int, str]  # village id → name, the township's villages
    next_check: datetime  # when the clock alone may change the findings next


def next_midnight(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def sort_key(f: Finding) -> tuple[datetime, int, str]:
    return since_moment(f.since), KIND_ORDER.get(f.kind, len(KINDS)), f"{f.key:>30}"


def evaluate(township_id: int) -> Evaluation:
    """Every finding of every rule in the township's villages now, oldest first."""
    registry.get_township(township_id)
    villages = registry.villages_of_township(township_id)
    names = {v.id: v.name for v in villages}
    ids = list(names)
    now = utcnow()
    on = today()
    midnight = next_midnight(now)
    status = disclosures.township_status(township_id, disclosures.previous_quarter(on))
    stuck, stuck_next = _stuck(township_id, ids, now)
    votes, votes_next = _votes(township_id, ids, now, midnight)
    found = [*_disclosures(township_id, status, on), *_questions(status), *_objections(names, on), *stuck, *votes]
    for rule in DOMAIN_RULES:
        found.extend(f for f in rule(ids, on) if f.village_id in names)
    found.sort(key=sort_key)
    upcoming = [t for t in (*stuck_next, *votes_next) if t > now]
    return Evaluation(found, names, min([midnight, *upcoming]))
