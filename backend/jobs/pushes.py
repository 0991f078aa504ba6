"""What an applicant is told of their application (``job_outcome`` template), through notices' outbox, to the
applicant only (the application is theirs; a job application entered for someone without a phone tells their
household through ``assisted`` instead):

- ``job_drawn`` when the draw is announced: 拟聘用（公示中） for those selected, 未抽中 with the waiting-list place
  for the others;
- ``job_hired`` when hires are confirmed after the 公示: 已聘用 with the start date, or 未聘用 for one withdrawn
  because they hold another post.

One message per kind and application (the outbox's key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from backend import notices
from backend.jobs.models import JobApplication, JobObjection, JobPosting

DRAWN, HIRED = "job_drawn", "job_hired"
ANSWER = "answer_job"  # an objection to the selected list was answered (object: the objection)


def _queue(kind: str, p: JobPosting, a: JobApplication, outcome: str, note: str) -> int:
    data = {"thing1": notices.thing(p.title), "phrase2": outcome, "thing3": notices.thing(note)}
    return notices.queue_push(kind, a.id, [a.person_id], template=notices.template_for("job_outcome"), data=data,
                              page=f"pages/job/job?id={p.id}")


def queue_drawn(p: JobPosting, apps: Sequence[JobApplication]) -> int:
    """After the draw: each applicant is told whether they were selected."""
    until = p.publicity_until.isoformat() if p.publicity_until else ""
    queued = 0
    for a in apps:
        if a.status == "selected":
            queued += _queue(DRAWN, p, a, "拟聘用", f"公示到{until}，期满后聘用")
        elif a.status == "waitlisted":
            queued += _queue(DRAWN, p, a, "未抽中", f"候补第{(a.rank or 0) - p.positions}位")
    return queued


def queue_hired(p: JobPosting, apps: Sequence[JobApplication], start_on: date) -> int:
    """After hires are confirmed: each selected applicant (``apps``: those hired now, and those withdrawn now because
    they hold another post) is told whether they are hired."""
    queued = 0
    for a in apps:
        if a.status == "hired":
            queued += _queue(HIRED, p, a, "已聘用", f"{start_on.isoformat()}起上岗")
        elif a.status == "withdrawn":
            queued += _queue(HIRED, p, a, "未聘用", "您已在其他公益岗位任职")
    return queued


def queue_answer(p: JobPosting, o: JobObjection) -> int:
    """The answer to an objection, to the villager who raised it only."""
    assert o.raised_by_id is not None and o.answered_at is not None
    data = {"thing1": notices.thing(f"对{p.title}拟聘名单的异议"), "thing2": notices.thing(o.answer or ""),
            "time3": notices.time_text(o.answered_at)}
    return notices.queue_push(ANSWER, o.id, [o.raised_by_id], template=notices.template_for("answer"), data=data,
                              page=f"pages/job/job?id={p.id}")
