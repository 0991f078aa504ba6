"""Membership applications (成员资格申请) and the committee's review (村两委/理事会 审查).

Who may apply: a person on the village's active roster (户籍在本村, 第11条) who is not yet a 成员. They apply from
the mini-program themselves, or the secretary enters the application for them (``entered_by``). A newcomer is first
added to the roster by the roster screens. One open application per person (the database's partial unique index).

The committee either passes the application to the 成员大会 (``referred``) or refuses it with a reason the applicant
sees (``refused``, final). The meeting, the 公示 and the registration are in :mod:`backend.membership.meetings`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.permissions import Principal
from backend.membership.models import GROUND_LABELS, GROUNDS, OPEN_STATUSES, STATUS_LABELS, MembershipApplication
from backend.registry import Village

REVIEW_DECISIONS = ("refer", "refuse")
REVIEW_LABELS = {"refer": "提交成员大会", "refuse": "不予通过"}


@dataclass
class ApplicationInput:
    person_id: int
    grounds: str
    note: str | None = None
    attachments: list[str] = field(default_factory=list)
    submitted_on: date | None = None  # the date on a paper application entered later (staff only); today if None


def lock(a: MembershipApplication) -> MembershipApplication:
    db.session.execute(select(MembershipApplication.id).where(MembershipApplication.id == a.id).with_for_update())
    db.session.refresh(a)
    return a


def open_application_of(person_id: int) -> MembershipApplication | None:
    return db.session.execute(select(MembershipApplication).where(
        MembershipApplication.person_id == person_id,
        MembershipApplication.status.in_(OPEN_STATUSES))).scalar_one_or_none()


def _refuse_open(person_id: int, name: str, *, own: bool) -> None:
    existing = open_application_of(person_id)
    if existing is not None:
        who = "您" if own else name
        raise conflict("membership.open_application",
                       f"{who}已有一份正在办理的成员资格申请（{STATUS_LABELS[existing.status]}），不能重复提交",
                       application_id=existing.id)


def apply(village: Village, data: ApplicationInput, *, actor: Principal) -> MembershipApplication:
    """Submit an application for ``data.person_id`` (the actor's own, or entered by staff for a roster person)."""
    own = data.person_id == actor.person_id
    if data.grounds not in GROUNDS:
        raise unprocessable("membership.grounds", "申请依据应为：" + "、".join(GROUND_LABELS.values()))
    name = registry.person_names([data.person_id]).get(data.person_id, "")
    entry = registry.roster_entry(data.person_id)
    if entry is None or entry.village_id != village.id or entry.status != "active":
        raise unprocessable("membership.not_on_roster",
                            "您不在本村花名册上，请先到村委会登记户籍信息" if own
                            else "这个人不在本村花名册上：请先在花名册中登记，再代为申请",
                            person_id=data.person_id)
    if registry.is_member(data.person_id):
        who = "您" if own else name
        raise conflict("membership.already_member", f"{who}已经是本村集体经济组织成员，无需申请")
    _refuse_open(data.person_id, name, own=own)
    submitted_on = today() if own or data.submitted_on is None else data.submitted_on
    if submitted_on > today():
        raise unprocessable("membership.submitted_on", "申请日期不能晚于今天",
                            fields={"submitted_on": ["不能晚于今天"]})
    a = MembershipApplication(
        village_id=village.id, person_id=data.person_id, household_id=entry.household_id, grounds=data.grounds,
        note=(data.note or "").strip() or None,
        attachments=json.dumps([s.strip() for s in data.attachments if s and s.strip()], ensure_ascii=False),
        entered_by_id=None if own else actor.person_id, status="submitted", submitted_on=submitted_on)
    try:
        with db.session.begin_nested():
            db.session.add(a)
            db.session.flush()
    except IntegrityError:  # another request submitted one meanwhile: the partial unique index refused this one
        _refuse_open(data.person_id, name, own=own)
        raise conflict("membership.open_application", "已有一份正在办理的成员资格申请，不能重复提交") from None
    audit.record("membership.apply", "membership_application", a.id, actor=actor, village_id=village.id,
                 after={"person_id": a.person_id, "grounds": a.grounds, "entered_for": not own,
                        "submitted_on": submitted_on})
    return a


def review(a: MembershipApplication, decision: str, reason: str | None, *, actor: Principal,
           reviewed_on: date | None = None) -> MembershipApplication:
    """The committee's review on ``reviewed_on`` (today by default): ``refer`` passes it to the 成员大会; ``refuse``
    ends it with ``reason``."""
    lock(a)
    if decision not in REVIEW_DECISIONS:
        raise unprocessable("membership.review_decision", "审查结果应为：提交成员大会 或 不予通过")
    if a.status != "submitted":
        raise conflict("membership.already_reviewed",
                       f"这份申请已经审查过了（现在：{STATUS_LABELS[a.status]}），不能再审查")
    reason = (reason or "").strip() or None
    if decision == "refuse" and not reason:
        raise unprocessable("membership.reason_required", "不予通过时请写明原因，申请人会看到这个原因",
                            fields={"reason": ["不予通过时请写明原因"]})
    reviewed_on = reviewed_on or today()
    if reviewed_on > today() or reviewed_on < a.submitted_on:
        raise unprocessable("membership.reviewed_on",
                            f"审查日期应在申请日期（{a.submitted_on.isoformat()}）和今天之间",
                            fields={"reviewed_on": [f"应在 {a.submitted_on.isoformat()} 和今天之间"]})
    a.reviewed_at, a.reviewed_by_id, a.reviewed_on = utcnow(), actor.person_id, reviewed_on
    if decision == "refer":
        a.status, a.review_note = "referred", reason
    else:
        a.status, a.reason = "refused", f"两委审查不予通过：{reason}"
    db.session.flush()
    audit.record("membership.review", "membership_application", a.id, actor=actor, village_id=a.village_id,
                 after={"decision": decision, "reason": reason, "status": a.status, "on": reviewed_on})
    return a


# ---------------------------------------------------------------- reads


def applications_stmt(village_id: int, status: str | None = None) -> Select[Any]:
    stmt = select(MembershipApplication).where(MembershipApplication.village_id == village_id)
    if status:
        stmt = stmt.where(MembershipApplication.status == status)
    return stmt.order_by(MembershipApplication.id.desc())


def latest_of(person_id: int) -> MembershipApplication | None:
    """The person's most recent application (open or decided), if any."""
    return db.session.execute(select(MembershipApplication).where(MembershipApplication.person_id == person_id)
                              .order_by(MembershipApplication.id.desc()).limit(1)).scalar_one_or_none()


def referred_in(village_id: int) -> list[MembershipApplication]:
    return list(db.session.execute(select(MembershipApplication).where(
        MembershipApplication.village_id == village_id, MembershipApplication.status == "referred")
        .order_by(MembershipApplication.id)).scalars())
