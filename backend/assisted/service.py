"""The assisted flow: enter (staff, with the member in front of them), co-sign or refuse (a 村务监督委员, in their own
session), expire. Nothing is recorded — no ballot, no participation, no application — until the co-signature.

The choice of a ballot waits in ``assisted_entries.held_choice`` as a keyed seal (a random salt and the HMAC of the
salt and the choice under the server key): only this module opens it, at the co-signature; no endpoint, audit entry
or push message carries it; it is set to NULL in the same transaction that records the ballot, refuses the entry or
marks it expired.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import decisions, jobs, notices, registry
from backend.assisted.models import KIND_LABELS, STATUS_LABELS, AssistedEntry
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, forbidden, not_found, unprocessable
from backend.core.identity import keyed_hash
from backend.core.permissions import Principal

settings = registry.settings
EXPIRY = settings.declare("assisted.expiry_minutes", "代办事项等待监督委员会会签的时限", 30, 1, 240, "分钟")

# the API's words and the secretary's: both are accepted
CHOICE_WORDS = {"agree": "agree", "oppose": "oppose", "abstain": "abstain",
                "同意": "agree", "反对": "oppose", "弃权": "abstain"}
CHOICES = ("agree", "oppose", "abstain")
_SEAL_PURPOSE = "assisted-choice"


def _seal_choice(choice: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}:{keyed_hash(registry.identity_key(), _SEAL_PURPOSE, f'{salt}:{choice}')}"


def _open_choice(sealed: str) -> str:
    salt, mac = sealed.split(":", 1)
    for c in CHOICES:
        if hmac.compare_digest(keyed_hash(registry.identity_key(), _SEAL_PURPOSE, f"{salt}:{c}"), mac):
            return c
    raise conflict("assisted.choice_unreadable", "这项代办的选择无法核对（服务器密钥已更换），请拒绝后重新录入")


@dataclass(frozen=True)
class EntryInput:
    kind: str
    person_id: int
    member_confirmed: bool
    id_last4: str
    vote_id: int | None = None
    posting_id: int | None = None
    choice: str | None = None
    note: str | None = None


def _member(village_id: int, person_id: int) -> tuple[registry.MemberBrief, str]:
    """The member's active roster entry in this village and the last four of their ID number; else 422."""
    entry = registry.roster_entry(person_id)
    if entry is None or entry.village_id != village_id or entry.status != "active":
        raise _field_error("assisted.member", "请从本村花名册中选择要代办的成员", "person_id")
    briefs = [m for m in registry.members_brief(village_id).values() if m.person_id == person_id]
    last4 = registry.members_id_last4(village_id).get(briefs[0].id, "")
    return briefs[0], last4


def _field_error(code: str, message: str, field: str) -> AppError:
    return unprocessable(code, message, fields={field: [message]})


def expiry_minutes(village_id: int) -> int:
    return settings.get(registry.get_village(village_id), EXPIRY.key)


def enter(village_id: int, data: EntryInput, *, actor: Principal) -> AssistedEntry:
    """Check everything the co-signature will record, and hold it (pending) until a second staff person signs."""
    if data.person_id == actor.person_id:
        raise _field_error("assisted.oneself", "不能为自己代办", "person_id")
    member, last4 = _member(village_id, data.person_id)
    if not data.member_confirmed:
        raise _field_error("assisted.not_confirmed", "请确认成员本人就在办公室、已当面核对", "member_confirmed")
    typed = (data.id_last4 or "").strip().upper().replace("ｘ", "X")
    if len(typed) != 4:
        raise _field_error("assisted.id_last4", "请填写成员身份证号码的最后4位（应为4位）", "id_last4")
    if not hmac.compare_digest(typed, last4.upper()):
        raise _field_error("assisted.id_mismatch", "身份证后4位与花名册上的不一致，请核对本人身份证", "id_last4")
    held: str | None = None
    if data.kind == "vote":
        if data.vote_id is None:
            raise _field_error("assisted.vote", "请选择要投票的表决", "vote_id")
        v = decisions.assisted_vote(data.vote_id)
        if v is None or v.village_id != village_id:
            raise not_found()
        choice = CHOICE_WORDS.get((data.choice or "").strip())
        if choice is None:
            raise _field_error("vote.choice", "请选择同意、反对或弃权", "choice")
        decisions.check_assisted_ballot(v.id, data.person_id, member.household_id)
        held = _seal_choice(choice)
    elif data.kind == "job_application":
        if data.posting_id is None:
            raise _field_error("assisted.posting", "请选择要报名的公益岗位", "posting_id")
        _check_application(village_id, data.posting_id, data.person_id)
    else:
        raise _field_error("assisted.kind", "请选择代办的事项：表决投票或公益岗位报名", "kind")
    now = utcnow()
    e = AssistedEntry(
        village_id=village_id, kind=data.kind, person_id=data.person_id, household_id=member.household_id,
        vote_id=data.vote_id if data.kind == "vote" else None,
        posting_id=data.posting_id if data.kind == "job_application" else None,
        entered_by_id=actor.person_id, entered_at=now,
        expires_at=now + timedelta(minutes=expiry_minutes(village_id)), member_confirmed=True,
        status="pending", held_choice=held, note=(data.note or "").strip() or None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(e)
            db.session.flush()
    except IntegrityError:
        raise conflict("assisted.pending_exists",
                       "这位成员的这项代办已经录入、正在等待会签，请勿重复录入") from None
    audit.record("assisted.enter", "assisted_entry", e.id, actor=actor, village_id=village_id,
                 after=_audit_facts(e))
    return e


def _check_application(village_id: int, posting_id: int, person_id: int) -> jobs.JobPosting:
    posting = db.session.get(jobs.JobPosting, posting_id)
    if posting is None or posting.village_id != village_id:
        raise not_found()
    if not jobs.is_open(posting):
        raise conflict("job.closed", "该岗位不在报名时间内" if posting.status == "open" else "该岗位已停止报名")
    el = jobs.eligibility(posting, person_id)
    if not el.ok:
        raise AppError(403, "job.not_eligible", el.reason or "不符合报名条件", {"reason": el.reason})
    if any(p.id == posting.id for _, p in jobs.applications_of(person_id)):
        raise conflict("job.already_applied", "这位成员已经报名过这个岗位")
    return posting


def _audit_facts(e: AssistedEntry) -> dict[str, Any]:
    """What the log keeps of an entry: never the choice."""
    return {"kind": e.kind, "person_id": e.person_id, "vote_id": e.vote_id, "posting_id": e.posting_id,
            "entered_by": e.entered_by_id, "expires_at": e.expires_at.isoformat()}


def _refuse_closed(e: AssistedEntry) -> None:
    if e.status == "expired":
        raise conflict("assisted.expired",
                       "这项代办已超过会签时限，没有记录；如成员仍要办理，请在成员本人在场时重新录入")
    if e.status != "pending":
        raise conflict("assisted.not_pending", f"这项代办{STATUS_LABELS[e.status]}，不能再会签或拒绝")


def _lock(e: AssistedEntry) -> AssistedEntry:
    db.session.execute(select(AssistedEntry.id).where(AssistedEntry.id == e.id).with_for_update())
    db.session.refresh(e)
    return e


def cosign(e: AssistedEntry, *, present_confirmed: bool, actor: Principal) -> AssistedEntry:
    """The second staff person signs: the ballot (or application) is recorded now, tagged as assisted with both
    names; the held choice is erased; the member's household is told by push (where they consented)."""
    e = _lock(e)
    _refuse_closed(e)
    if actor.person_id == e.entered_by_id:
        raise forbidden("assisted.same_person", "录入人不能自己会签，须由另一位村务监督委员会成员会签")
    if not actor.has_role("supervisor", e.village_id):
        raise forbidden("assisted.not_supervisor", "会签须由本村村务监督委员会成员用自己的账号进行")
    if actor.person_id == e.person_id:
        raise forbidden("assisted.oneself", "不能为自己的代办会签")
    now = utcnow()
    if now >= e.expires_at:
        raise conflict("assisted.expired",
                       "这项代办已超过会签时限，没有记录；如成员仍要办理，请在成员本人在场时重新录入")
    if not present_confirmed:
        raise _field_error("assisted.not_present", "请确认录入时成员本人在场", "present_confirmed")
    if e.kind == "vote":
        assert e.vote_id is not None and e.held_choice is not None
        e.participation_id = decisions.record_assisted_ballot(
            e.vote_id, e.person_id, e.household_id, _open_choice(e.held_choice),
            entered_by=e.entered_by_id, cosigned_by=actor.person_id)
    else:
        assert e.posting_id is not None
        posting = _check_application(e.village_id, e.posting_id, e.person_id)
        enterer = registry.load_principal(e.entered_by_id)
        if enterer is None:
            raise conflict("assisted.enterer_gone", "录入人已不在系统中，请拒绝后重新录入")
        application = jobs.apply(posting, e.person_id, note=e.note, actor=enterer, assisted=True)
        e.application_id = application.id
    e.status, e.held_choice = "signed", None
    e.cosigned_by_id, e.cosigned_at, e.present_confirmed, e.closed_at = actor.person_id, now, True, now
    db.session.flush()
    facts = _audit_facts(e) | {"cosigned_by": actor.person_id}
    audit.record("assisted.cosign", "assisted_entry", e.id, actor=actor, village_id=e.village_id, after=facts)
    _tell_household(e)
    return e


def _tell_household(e: AssistedEntry) -> int:
    others = [m.person_id for m in registry.members_brief(e.village_id).values()
              if m.household_id == e.household_id and m.status == "active" and m.person_id != e.person_id]
    name = registry.person_names([e.person_id]).get(e.person_id, "")
    return notices.queue_assisted_message(e.id, others, member_name=name, what=KIND_LABELS[e.kind],
                                          at=e.cosigned_at or utcnow())


def refuse(e: AssistedEntry, reason: str, *, actor: Principal) -> AssistedEntry:
    """A 村务监督委员 refuses to co-sign (or the staff who entered it withdraws it): nothing is recorded and the held
    choice is erased."""
    e = _lock(e)
    _refuse_closed(e)
    withdrawing = actor.person_id == e.entered_by_id
    if not withdrawing and not actor.has_role("supervisor", e.village_id):
        raise forbidden("assisted.not_supervisor", "拒绝会签须由本村村务监督委员会成员进行（录入人可以撤回）")
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("assisted.reason", "请写明拒绝（或撤回）的原因", "reason")
    now = utcnow()
    e.status, e.held_choice, e.closed_at = "refused", None, now
    e.refused_by_id, e.refused_at, e.refusal_reason = actor.person_id, now, reason[:200]
    db.session.flush()
    audit.record("assisted.withdraw" if withdrawing else "assisted.refuse", "assisted_entry", e.id, actor=actor,
                 village_id=e.village_id, after=_audit_facts(e) | {"reason": e.refusal_reason})
    return e


def expire_due(village_id: int | None = None) -> int:
    """Pending entries past their time become expired, their held choice erased (nothing was recorded)."""
    now = utcnow()
    stmt = select(AssistedEntry).where(AssistedEntry.status == "pending", AssistedEntry.expires_at <= now)
    if village_id is not None:
        stmt = stmt.where(AssistedEntry.village_id == village_id)
    due = list(db.session.execute(stmt.with_for_update(skip_locked=True)).scalars())
    for e in due:
        e.status, e.held_choice, e.closed_at = "expired", None, now
        audit.record("assisted.expire", "assisted_entry", e.id, actor=None, village_id=e.village_id,
                     after=_audit_facts(e))
    db.session.flush()
    return len(due)


# ---------------------------------------------------------------- reading (never the choice)


def entries_of(village_id: int, status: str | None) -> list[AssistedEntry]:
    stmt = select(AssistedEntry).where(AssistedEntry.village_id == village_id)
    if status:
        stmt = stmt.where(AssistedEntry.status == status)
    order = AssistedEntry.expires_at if status == "pending" else AssistedEntry.id.desc()
    return list(db.session.execute(stmt.order_by(order).limit(200)).scalars())


def views(entries: list[AssistedEntry]) -> list[dict[str, Any]]:
    if not entries:
        return []
    village_id = entries[0].village_id
    ids = {i for e in entries for i in (e.person_id, e.entered_by_id, e.cosigned_by_id, e.refused_by_id) if i}
    names = registry.person_names(ids)
    households = registry.households_brief(village_id, {e.household_id for e in entries})
    now = utcnow()
    out = []
    for e in entries:
        target: dict[str, Any]
        if e.kind == "vote":
            v = decisions.assisted_vote(e.vote_id or 0)
            target = {"id": e.vote_id, "title": v.title if v else "", "closes_at": v.closes_at if v else None}
        else:
            p = db.session.get(jobs.JobPosting, e.posting_id)
            target = {"id": e.posting_id, "title": p.title if p else "", "closes_at": p.apply_until if p else None}
        h = households.get(e.household_id)
        out.append({
            "id": e.id, "village_id": e.village_id, "kind": e.kind, "kind_label": KIND_LABELS[e.kind],
            "status": e.status, "status_label": STATUS_LABELS[e.status],
            "member_name": names.get(e.person_id, ""), "household_number": h.number if h else "",
            "target": target, "note": e.note,
            "entered_by": names.get(e.entered_by_id, ""), "entered_at": e.entered_at, "expires_at": e.expires_at,
            "expires_in_seconds": max(0, int((e.expires_at - now).total_seconds())) if e.status == "pending" else 0,
            "member_confirmed": e.member_confirmed,
            "cosigned_by": names.get(e.cosigned_by_id or 0), "cosigned_at": e.cosigned_at,
            "refused_by": names.get(e.refused_by_id or 0), "refused_at": e.refused_at,
            "refusal_reason": e.refusal_reason,
        })
    return out


def options_for(village_id: int, person_id: int) -> dict[str, Any]:
    """What the member may have entered for them now: the open votes they are an elector of and have not voted
    in, and the open job postings with whether they may apply (and why not)."""
    member, _ = _member(village_id, person_id)
    votes_open = [{"id": v.id, "title": v.title, "closes_at": v.closes_at, "body": v.body}
                  for v in decisions.open_votes_for_member(village_id, person_id, member.household_id)]
    applied = {p.id for _, p in jobs.applications_of(person_id)}
    postings = []
    for p in db.session.execute(jobs.open_postings_stmt(village_id)).scalars():
        el = jobs.eligibility(p, person_id)
        reason = "已经报名过" if p.id in applied else (None if el.ok else el.reason or "不符合报名条件")
        reason = reason.replace("您", member.name) if reason else None  # the jobs' words speak to the applicant
        postings.append({"id": p.id, "title": p.title, "closes_at": p.apply_until, "eligible": reason is None,
                         "reason": reason})
    h = registry.households_brief(village_id, {member.household_id}).get(member.household_id)
    return {"person_id": person_id, "name": member.name, "household_number": h.number if h else "",
            "votes": votes_open, "postings": postings, "expiry_minutes": expiry_minutes(village_id)}
