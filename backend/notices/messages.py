"""Subscribe messages other than announcements, through the same outbox (``push_outbox``) and the same consent
rules as :mod:`backend.notices.outbox`: a job is written in the transaction that does the thing it tells of, only
for people with a bound WeChat account; the worker (``outbox.work``) spends one of the person's one-time consents
to the message's template, and a person who gave none is never sent anything (``no_consent``).

Kinds:

- ``assisted``: "an assisted action was recorded for your household" — sent to the other members of a household
  when staff recorded a vote or a job application for a member without a phone (backend/assisted). The message
  says what kind of thing was recorded and for whom, never how they voted.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from backend import auth
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.notices.models import PushJob

ASSISTED_KIND = "assisted"
ASSISTED_TEMPLATE = "assisted-recorded"  # overridden by the config key WECHAT_TEMPLATE_ASSISTED


# the moments a villager may be told of, and the subscribe-message template of each: the config key
# WECHAT_TEMPLATE_<MOMENT> (upper case) names the template id registered for the mini-program in WeChat's console;
# without it, the stand-in's id below is used
TEMPLATES: dict[str, str] = {
    "notice": "notice-published",
    "vote_opened": "vote-opened",
    "vote_closing": "vote-closing",
    "dividend_notice": "dividend-notice",
    "dividend_paid": "dividend-paid",
    "rent_paid": "rent-paid",
    "answer": "question-answered",
    "job_outcome": "job-outcome",
    "assisted": "assisted-recorded",
}


def template_for(moment: str) -> str:
    """The template id of ``moment`` (a key of :data:`TEMPLATES`) in this deployment."""
    return str(current_app.config.get(f"WECHAT_TEMPLATE_{moment.upper()}") or TEMPLATES[moment])


def queue_push(kind: str, object_id: int, people: Collection[int], *, template: str, data: dict[str, str],
               page: str | None) -> int:
    """A subscribe message of ``kind`` about ``object_id`` to each of ``people`` with a bound WeChat account, written
    in the caller's transaction; the outbox's key (kind, object, person) keeps it to one each, so calling this again
    for the same thing queues nothing for those already queued. ``template`` is the template id (from config);
    ``data`` the template's fields. Returns how many were queued now."""
    bound = auth.openids_of(list(people))
    if not bound:
        return 0
    already = set(db.session.execute(select(PushJob.person_id).where(
        PushJob.kind == kind, PushJob.object_id == object_id, PushJob.person_id.in_(list(bound)))).scalars())
    payload = json.dumps(data, ensure_ascii=False)
    rows = [{"kind": kind, "object_id": object_id, "person_id": pid, "template_id": template, "page": page,
             "data": payload, "status": "pending", "attempts": 0, "next_attempt_at": utcnow(),
             "created_at": utcnow()}
            for pid in sorted(bound) if pid not in already]
    if rows:
        db.session.execute(PushJob.__table__.insert(), rows)
    return len(rows)


def assisted_template_id() -> str:
    return template_for("assisted")


def queue_assisted_message(entry_id: int, people: Collection[int], *, member_name: str, what: str,
                           at: datetime) -> int:
    """A message to each of ``people`` with a bound WeChat account: "<what> was recorded at the village office for
    <member_name>". ``what`` names the kind of action (表决投票, 公益岗位报名) — never a ballot's choice. Returns how
    many were queued; one per entry and person (the outbox's key)."""
    bound = auth.openids_of(list(people))
    if not bound:
        return 0
    data = json.dumps({"thing1": f"村里为{member_name}代办了{what}"[:20], "name2": member_name[:10],
                       "time3": (to_iso(at) or "")[:16].replace("T", " ")}, ensure_ascii=False)
    rows = [{"kind": ASSISTED_KIND, "object_id": entry_id, "person_id": pid, "template_id": assisted_template_id(),
             "page": "pages/home/home", "data": data, "status": "pending", "attempts": 0,
             "next_attempt_at": utcnow(), "created_at": utcnow()}
            for pid in sorted(bound)]
    db.session.execute(PushJob.__table__.insert(), rows)
    return len(rows)
