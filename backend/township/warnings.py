"""待办/预警: what needs the township's attention in its villages now, each with a Chinese sentence and a link.

Read-only, from the other domains' public functions; a fixed number of queries whatever the number of villages.
The rules (the one place they are stated; the numbers are township settings, :mod:`backend.registry.settings`):

- **disclosure_overdue**: the last completed quarter's 财务公开 is not published (as
  :func:`backend.disclosures.township_status` decides it) more than ``township.disclosure_due_days`` days after
  the quarter ended. Since: the first day past that allowance. One per village.
- **question_overdue**: a villager's question on a published disclosure still unanswered after its due date (the
  disclosures domain's ``ledger.question_answer_days``). Since: the day after the due date.
- **objection_overdue**: a villager's objection to a record in 公示 (a dividend list, a job's selected list, a
  membership list, a decision) still unanswered after its due date (``objections.answer_days`` after it was
  raised). Since: the day after the due date. It disappears once answered. Its id is ``objection_overdue:<table>-<id>``
  (each domain has its own table, so the ids of two tables may be the same number).
- **decision_stuck**: an open decision whose current stage has not moved for more than ``township.stuck_days`` days
  (the progress table's rule). Since: when it last moved.
- **vote_low_turnout**: a vote open now that closes within ``township.vote_warn_days`` days while fewer than
  ``township.vote_low_turnout_pct`` percent of its electorate have voted (exact integer comparison:
  cast × 100 < pct × eligible; a vote with no electorate is never warned of). Since: when the vote entered that
  window (its opening, if later).

Sorted by since, oldest first (then by kind and id, so the order is stable).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from backend import decisions, disclosures, dividends, jobs, membership, registry
from backend.core.clock import SHANGHAI, to_iso, today, utcnow
from backend.township.service import OPEN_STATUSES, STUCK_DAYS

settings = registry.settings

DISCLOSURE_DUE_DAYS = settings.declare(
    "township.disclosure_due_days", "财务公开逾期提醒：季度结束后多少天仍未公开", 10, 0, 90, "天"
)
VOTE_WARN_DAYS = settings.declare("township.vote_warn_days", "投票参与提醒：截止前多少天内提醒", 3, 1, 30, "天")
VOTE_LOW_TURNOUT_PCT = settings.declare(
    "township.vote_low_turnout_pct", "投票参与提醒：已投人数低于应投人数的百分之几", 50, 1, 100, "%"
)

KINDS = ("disclosure_overdue", "question_overdue", "objection_overdue", "decision_stuck", "vote_low_turnout")


@dataclass(frozen=True)
class Alert:
    kind: str
    object_id: int | str
    village_id: int
    message: str
    since: datetime | date
    link_type: str
    link_id: int

    def sort_key(self) -> tuple[datetime, int, str]:
        s = self.since
        moment = s if isinstance(s, datetime) else datetime.combine(s, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)
        return moment, KINDS.index(self.kind), f"{self.object_id:>30}"


def quarter_end(period: str) -> date:
    """"2026-Q3" → 2026-09-30."""
    y, q = int(period[:4]), int(period[-1])
    m = q * 3
    return date(y, m, calendar.monthrange(y, m)[1])


def _disclosures(township_id: int, status: dict[str, Any], on: date) -> list[Alert]:
    due_days = settings.get_for_township(township_id, DISCLOSURE_DUE_DAYS.key)
    period = status["period"]
    since = quarter_end(period) + timedelta(days=due_days + 1)
    if on < since:
        return []
    label = period.replace("-Q", "年第") + "季度"
    return [
        Alert("disclosure_overdue", row["village_id"], row["village_id"],
              f"{label}的财务公开逾期未公布（应在季度结束后{due_days}天内公开）", since, "village", row["village_id"])
        for row in status["villages"] if not row["published"]
    ]


def _questions(status: dict[str, Any]) -> list[Alert]:
    out = []
    for row in status["villages"]:
        for q in row["overdue"]:
            out.append(Alert(
                "question_overdue", q["id"], row["village_id"],
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


def _objections(names: dict[int, str], on: date) -> list[Alert]:
    out = []
    for key, overdue, label, link in _OBJECTIONS:
        for o in overdue(list(names)):
            late = (on - o["due_on"]).days
            out.append(Alert(
                "objection_overdue", f"{key}-{o['id']}", o["village_id"],
                f"{names[o['village_id']]}村民对{label}“{o['title']}”的异议已逾期{late}天未答复"
                f"（答复期限 {o['due_on'].isoformat()}）",
                o["due_on"] + timedelta(days=1), link, o["record_id"]))
    return out


def _stuck(township_id: int, ids: list[int]) -> list[Alert]:
    days = settings.get_for_township(township_id, STUCK_DAYS.key)
    now = utcnow()
    cutoff = now - timedelta(days=days)
    out = []
    for d in decisions.decisions_of(ids):
        moved = d.updated_at or d.created_at
        if d.status not in OPEN_STATUSES or d.current_stage is None or moved >= cutoff:
            continue
        out.append(Alert("decision_stuck", d.id, d.village_id,
                            f"“{d.title}”已有{(now - moved).days}天没有推进（超过{days}天提醒）",
                            moved, "decision", d.id))
    return out


def _votes(township_id: int, ids: list[int]) -> list[Alert]:
    window = timedelta(days=settings.get_for_township(township_id, VOTE_WARN_DAYS.key))
    pct = settings.get_for_township(township_id, VOTE_LOW_TURNOUT_PCT.key)
    out = []
    for v in decisions.votes_closing(ids, utcnow() + window):
        if v.eligible <= 0 or v.cast * 100 >= pct * v.eligible:
            continue
        closes = v.closes_at.astimezone(SHANGHAI)
        out.append(Alert(
            "vote_low_turnout", v.id, v.village_id,
            f"“{v.title}”将于{closes.month}月{closes.day}日 {closes:%H:%M} 截止，已投 {v.cast} / {v.eligible} 人，"
            f"不到应投人数的{pct}%",
            max(v.opens_at, v.closes_at - window), "vote", v.id))
    return out


def warnings(township_id: int) -> list[dict[str, Any]]:
    """Every warning of the township's villages now, oldest first."""
    registry.get_township(township_id)
    villages = registry.villages_of_township(township_id)
    names = {v.id: v.name for v in villages}
    ids = list(names)
    on = today()
    status = disclosures.township_status(township_id, disclosures.previous_quarter(on))
    found = [*_disclosures(township_id, status, on), *_questions(status), *_objections(names, on),
             *_stuck(township_id, ids),
             *_votes(township_id, ids)]
    found.sort(key=Alert.sort_key)
    return [
        {"id": f"{w.kind}:{w.object_id}", "village": {"id": w.village_id, "name": names[w.village_id]},
         "kind": w.kind, "message": w.message,
         "since": to_iso(w.since) if isinstance(w.since, datetime) else w.since.isoformat(),
         "link": {"type": w.link_type, "id": w.link_id, "village_id": w.village_id}}
        for w in found
    ]
