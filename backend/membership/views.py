"""What the membership endpoints show: an application with its timeline, a meeting with its list and 公示."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from backend import registry
from backend.core import objections
from backend.core.clock import SHANGHAI, to_iso, today
from backend.core.db import db
from backend.membership import meetings
from backend.membership.models import (
    GROUND_LABELS,
    MEETING_STATUS_LABELS,
    STATUS_LABELS,
    MembershipApplication,
    MembershipMeeting,
)

# what everyone in the village sees of a confirmed list (the 公示): no notes, attachments or review remarks
PUBLIC_APPLICATION_FIELDS = ("id", "name", "household_number", "grounds", "grounds_label", "status", "status_label",
                             "agree", "oppose", "abstain")


def _date(dt: Any) -> str | None:
    return None if dt is None else dt.astimezone(SHANGHAI).date().isoformat()


def _status_label(a: MembershipApplication, m: MembershipMeeting | None) -> str:
    if a.status == "confirmed" and m is not None:
        if m.status == "publicity" and m.publicity_until is not None:
            if today() <= m.publicity_until:
                return f"公示中（至 {m.publicity_until.isoformat()}）"
            return "公示期满，待登记"
        return "成员大会已确认，待公示"
    return STATUS_LABELS[a.status]


def _meeting_brief(m: MembershipMeeting | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"id": m.id, "held_on": m.held_on.isoformat(), "body_label": meetings.BODY_LABELS[m.body],
            "status": m.status, "status_label": MEETING_STATUS_LABELS[m.status],
            "publicity_from": m.publicity_from.isoformat() if m.publicity_from else None,
            "publicity_until": m.publicity_until.isoformat() if m.publicity_until else None}


def application_views(apps: Sequence[MembershipApplication]) -> list[dict[str, Any]]:
    """Applications as listed: the person by name and household, the grounds and state in Chinese."""
    if not apps:
        return []
    names = registry.person_names({a.person_id for a in apps} | {a.entered_by_id for a in apps if a.entered_by_id})
    households: dict[int, Any] = {}
    for vid in {a.village_id for a in apps}:
        households |= registry.households_brief(vid, {a.household_id for a in apps if a.village_id == vid})
    meeting_ids = {a.meeting_id for a in apps if a.meeting_id}
    by_meeting = {mid: db.session.get(MembershipMeeting, mid) for mid in meeting_ids}
    out = []
    for a in apps:
        m = by_meeting.get(a.meeting_id) if a.meeting_id else None
        h = households.get(a.household_id)
        out.append({
            "id": a.id, "village_id": a.village_id, "person_id": a.person_id, "name": names.get(a.person_id, ""),
            "household_number": h.number if h else None, "grounds": a.grounds,
            "grounds_label": GROUND_LABELS[a.grounds],
            "note": a.note, "attachments": json.loads(a.attachments or "[]"), "status": a.status,
            "status_label": _status_label(a, m), "entered_by": names.get(a.entered_by_id) if a.entered_by_id else None,
            "submitted_on": a.submitted_on.isoformat(), "submitted_at": to_iso(a.created_at),
            "reviewed_on": a.reviewed_on.isoformat() if a.reviewed_on else None,
            "reviewed_at": to_iso(a.reviewed_at), "review_note": a.review_note,
            "reason": a.reason, "agree": a.agree, "oppose": a.oppose, "abstain": a.abstain,
            "registered_at": to_iso(a.registered_at), "meeting": _meeting_brief(m)})
    return out


def timeline(a: MembershipApplication) -> list[dict[str, Any]]:
    """The application's steps so far, oldest first: 提交, 两委审查, 成员大会表决, 公示, 登记."""
    names = registry.person_names({i for i in (a.person_id, a.entered_by_id, a.reviewed_by_id) if i})
    steps = [{"on": a.submitted_on.isoformat(), "step": "提交申请",
              "detail": f"由 {names.get(a.entered_by_id, '')} 代为登记" if a.entered_by_id else "本人提交"}]
    if a.reviewed_at is not None:
        who = names.get(a.reviewed_by_id, "") if a.reviewed_by_id else ""
        if a.status == "refused":
            detail = a.reason or "不予通过"
        else:
            detail = "审查通过，提交成员大会" + (f"（{a.review_note}）" if a.review_note else "")
        steps.append({"on": a.reviewed_on.isoformat() if a.reviewed_on else _date(a.reviewed_at), "step": "两委审查",
                      "detail": f"{detail}；经办人 {who}" if who else detail})
    m = db.session.get(MembershipMeeting, a.meeting_id) if a.meeting_id else None
    if m is not None:
        result = "确认为成员" if a.status in ("confirmed", "registered") else "未通过"
        steps.append({"on": m.held_on.isoformat(), "step": f"{meetings.BODY_LABELS[m.body]}表决",
                      "detail": f"{m.attendance.split('；')[0]}；同意 {a.agree} 票、反对 {a.oppose} 票、"
                                f"弃权 {a.abstain} 票，{result}"})
        if m.publicity_from is not None and m.publicity_until is not None and a.status != "not_passed":
            objs = meetings.objections_of(m)
            waiting = sum(1 for o in objs if o.answer is None)
            detail = f"{m.publicity_from.isoformat()} 至 {m.publicity_until.isoformat()}；异议 {len(objs)} 条"
            if waiting:
                detail += f"，{waiting} 条待答复"
            steps.append({"on": m.publicity_from.isoformat(), "step": "公示", "detail": detail})
    if a.registered_at is not None:
        steps.append({"on": _date(a.registered_at), "step": "登记", "detail": "已登记为集体经济组织成员"})
    return steps


def application_detail(a: MembershipApplication) -> dict[str, Any]:
    view = application_views([a])[0]
    view["timeline"] = timeline(a)
    return view


def meeting_item(m: MembershipMeeting) -> dict[str, Any]:
    return {"id": m.id, "body": m.body, "body_label": meetings.BODY_LABELS[m.body], "held_on": m.held_on.isoformat(),
            "place": m.place, "eligible": m.eligible, "present": m.present, "attendance": m.attendance,
            "status": m.status, "status_label": MEETING_STATUS_LABELS[m.status],
            "publicity_from": m.publicity_from.isoformat() if m.publicity_from else None,
            "publicity_until": m.publicity_until.isoformat() if m.publicity_until else None,
            "in_publicity": meetings.in_publicity(m), "registered_at": to_iso(m.registered_at)}


def meeting_detail(m: MembershipMeeting, *, staff: bool, person_id: int | None = None) -> dict[str, Any]:
    """The meeting as staff (``roster.read``) or a villager (``person_id``) sees it: a villager sees the objections'
    counts and their own objections only."""
    view = meeting_item(m)
    attendees = json.loads(m.attendees)
    names = registry.person_names(attendees + [i for i in (m.recorded_by_id,) if i])
    objs = meetings.objections_of(m)
    publicity_ended = m.publicity_until is not None and today() > m.publicity_until
    view |= {
        "attendees": [{"person_id": pid, "name": names.get(pid, "")} for pid in attendees] if staff else [],
        "minutes": m.minutes, "attachments": json.loads(m.attachments or "[]"),
        "recorded_by": names.get(m.recorded_by_id) if m.recorded_by_id else None,
        "applications": [v if staff else {k: v[k] for k in PUBLIC_APPLICATION_FIELDS}
                         for v in application_views(meetings.applications_of(m))],
        **objections.public(objs, staff=staff, person_id=person_id),
        "objections_waiting": sum(1 for o in objs if o.answer is None),
        "can_register": m.status == "publicity" and publicity_ended and all(o.answer is not None for o in objs),
    }
    return view
