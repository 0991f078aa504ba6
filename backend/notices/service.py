"""Announcements from the township and the village, read receipts and reach, and the push outbox.

- A township's staff publish to all its villages or chosen ones; a village's secretary (or committee) to their own.
  Audience: everyone on the roster, 成员 only, 村民代表, 党员. The text passes WeChat's content check first.
- Read receipts: in the app (``mark_read``, idempotent), or recorded by staff for people who heard it at a meeting
  or on the loudspeaker. Reach per village = readers ÷ audience; staff see who has not read and remind only them.
- Push: publishing writes one subscribe-message job per person in the audience with a bound WeChat account, in the
  same transaction (``push_outbox``, unique per notice and person). ``work`` sends due jobs: it claims them with
  ``FOR UPDATE SKIP LOCKED`` (several workers never take the same job), uses one of the person's one-time consents
  (none → ``no_consent``, never sent), retries WeChat failures with exponential backoff and gives up after
  ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import String, and_, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.auth import service as auth
from backend.core import audit
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.core.errors import AppError, not_found, unprocessable
from backend.core.permissions import Principal
from backend.notices.models import Notice, NoticeRead, NoticeTarget, PushConsent, PushJob
from backend.registry import service as registry
from backend.registry.models import Township, Village
from backend.wechat.client import gateway_from_config

log = logging.getLogger(__name__)

NOTICE_TEMPLATE = "notice-published"  # overridden by the config key WECHAT_TEMPLATE_NOTICE
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30  # 30 s, 60 s, 120 s … capped at an hour
AUDIENCE_LABELS = {"everyone": "全体村民", "members": "集体经济组织成员", "representatives": "村民代表",
                   "party_members": "党员"}
# the role that puts a person in each audience (roster-derived or assigned): a principal carries them
AUDIENCE_ROLE = {"everyone": "villager", "members": "member", "representatives": "representative",
                 "party_members": "party_member"}


def template_id() -> str:
    return str(current_app.config.get("WECHAT_TEMPLATE_NOTICE") or NOTICE_TEMPLATE)


# ---------------------------------------------------------------- audience


def audience(village_ids: Sequence[int], kind: str) -> dict[int, int]:
    """person id → village id of everyone a notice of ``kind`` reaches in these villages, today."""
    if kind in ("everyone", "members"):
        return registry.roster_person_ids(village_ids, collective_only=kind == "members")
    out: dict[int, int] = {}
    now = utcnow()
    for vid in village_ids:
        for pid, _hid in registry.people_with_roles(vid, (AUDIENCE_ROLE[kind],), now):
            out.setdefault(pid, vid)
    return out


# ---------------------------------------------------------------- publishing


@dataclass
class NoticeInput:
    title: str
    body: str
    category: str = "通知"
    audience: str = "everyone"
    pinned: bool = False
    expires_at: datetime | None = None
    attachments: Sequence[str] = ()
    village_ids: Sequence[int] | None = None  # a township's notice: None = all its villages


def _check_text(actor: Principal, title: str, body: str) -> str:
    """msg_sec_check v2 on the title and body, as the publisher: risky → 422; review → published, flagged."""
    openid = auth.openids_of([actor.person_id]).get(actor.person_id)
    if openid is None:
        # WeChat checks text on behalf of a user of the mini-program; staff publish from it, so one is expected
        raise unprocessable("notice.publisher_unbound", "发布公告须先用微信登录小程序（内容安全检测需要）")
    verdict = gateway_from_config(current_app.config).check_text(f"{title}\n{body}", openid, scene=3)
    if verdict.suggest == "risky":
        raise AppError(422, "notice.content_risky", "公告内容未通过微信内容安全检测，请修改后再发布",
                       {"label": verdict.label})
    return verdict.suggest


def publish(data: NoticeInput, *, actor: Principal, township: Township | None = None,
            village: Village | None = None) -> Notice:
    """Publish a notice from ``township`` (to its villages) or ``village`` (to itself), and queue its pushes."""
    if (township is None) == (village is None):
        raise ValueError("a notice comes from a township or a village")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise unprocessable("notice.expiry_invalid", "失效时间应晚于现在")
    if township is not None:
        own = {v.id for v in registry.villages_of_township(township.id)}
        targets = sorted(own) if data.village_ids is None else sorted(set(data.village_ids))
        outside = [v for v in targets if v not in own]
        if outside or not targets:
            raise unprocessable("notice.villages_invalid", "只能发给本镇的村", villages=outside)
    else:
        assert village is not None
        if data.village_ids not in (None, [village.id]):
            raise unprocessable("notice.villages_invalid", "村里的公告只能发给本村")
        targets = [village.id]
    check = _check_text(actor, data.title, data.body)
    n = Notice(township_id=township.id if township else None, village_id=village.id if village else None,
               title=data.title.strip(), body=data.body.strip(), category=data.category, audience=data.audience,
               attachments=json.dumps(list(data.attachments), ensure_ascii=False), pinned=data.pinned,
               expires_at=data.expires_at, content_check=check, published_by_id=actor.person_id)
    db.session.add(n)
    db.session.flush()
    db.session.add_all(NoticeTarget(notice_id=n.id, village_id=v) for v in targets)
    queued = _queue_pushes(n, targets)
    db.session.flush()
    audit.record("notice.publish", "notice", n.id, actor=actor, village_id=village.id if village else None,
                 township_id=township.id if township else None,
                 after={"title": n.title, "villages": len(targets), "audience": n.audience, "pushes": queued,
                        "content_check": check})
    return n


def _queue_pushes(n: Notice, village_ids: Sequence[int]) -> int:
    people = audience(village_ids, n.audience)
    bound = auth.openids_of(list(people))
    if not bound:
        return 0
    data = json.dumps({"thing1": n.title[:20], "time2": to_iso(n.published_at)[:16].replace("T", " ")},
                      ensure_ascii=False)
    rows = [{"kind": "notice", "object_id": n.id, "person_id": pid, "template_id": template_id(),
             "page": f"pages/notices/detail?id={n.id}", "data": data, "status": "pending", "attempts": 0,
             "next_attempt_at": utcnow(), "created_at": utcnow()} for pid in sorted(bound)]
    db.session.execute(PushJob.__table__.insert(), rows)
    return len(rows)


def get_notice(notice_id: int) -> Notice:
    n = db.session.get(Notice, notice_id)
    if n is None or n.withdrawn_at is not None:
        raise not_found("notice.not_found", "找不到该公告")
    return n


def is_live(n: Notice) -> bool:
    """Not withdrawn and not expired: readers see it."""
    return n.withdrawn_at is None and (n.expires_at is None or n.expires_at > utcnow())


def targets_of(n: Notice) -> list[int]:
    return list(db.session.execute(select(NoticeTarget.village_id).where(NoticeTarget.notice_id == n.id)
                                   .order_by(NoticeTarget.village_id)).scalars())


def withdraw(n: Notice, *, actor: Principal) -> Notice:
    n.withdrawn_at = utcnow()
    db.session.execute(update(PushJob).where(PushJob.kind == "notice", PushJob.object_id == n.id,
                                             PushJob.status == "pending").values(status="failed",
                                                                                 last_error="公告已撤回"))
    db.session.flush()
    audit.record("notice.withdraw", "notice", n.id, actor=actor, village_id=n.village_id, township_id=n.township_id)
    return n


# ---------------------------------------------------------------- who sees what


def targets_by_notice(notice_ids: Sequence[int]) -> dict[int, list[int]]:
    """Notice id → its target villages, for many notices in one query."""
    out: dict[int, list[int]] = {i: [] for i in notice_ids}
    if notice_ids:
        for nid, vid in db.session.execute(select(NoticeTarget.notice_id, NoticeTarget.village_id)
                                           .where(NoticeTarget.notice_id.in_(list(notice_ids)))
                                           .order_by(NoticeTarget.notice_id, NoticeTarget.village_id)):
            out[nid].append(vid)
    return out


def can_see(n: Notice, p: Principal, targets: Sequence[int] | None = None) -> bool:
    """In the audience of a target village, or staff of the notice's source (township staff, the village's staff)."""
    if n.withdrawn_at is not None:
        return False
    targets = targets_of(n) if targets is None else targets
    if n.township_id is not None and any(gr.township_id == n.township_id for gr in p.grants):
        return True
    if any(p.can("notices.manage", village_id=v) or p.can("township.view", village_id=v) for v in targets):
        return True
    return in_audience(n, p, targets)


def in_audience(n: Notice, p: Principal, targets: Sequence[int] | None = None) -> bool:
    """Whether the caller is in ``n``'s audience now, from the roles loaded with the request — no roster query
    (``audience`` lists everyone, for reach; this answers for one person, on every ``/me/notices``)."""
    targets = targets_of(n) if targets is None else targets
    return any(p.has_role(AUDIENCE_ROLE[n.audience], v) for v in targets)


def _mine(p: Principal) -> list[Any] | None:
    """The conditions of ``my_notices_stmt`` (None: the caller has no village nor township, so no notices)."""
    now = utcnow()
    live = and_(Notice.withdrawn_at.is_(None), or_(Notice.expires_at.is_(None), Notice.expires_at > now))
    conds = []
    if p.village_id is not None:
        conds.append(Notice.id.in_(select(NoticeTarget.notice_id).where(NoticeTarget.village_id == p.village_id)))
    townships = {gr.township_id for gr in p.grants if gr.township_id is not None}
    if townships:
        conds.append(Notice.township_id.in_(townships))
    return [live, or_(*conds)] if conds else None


_ORDER = (Notice.pinned.desc(), Notice.published_at.desc(), Notice.id.desc())


def my_notices_stmt(p: Principal) -> Any:
    """Notices for the caller: where they are in the audience (their village) or township staff of the source."""
    where = _mine(p)
    if where is None:
        return select(Notice).where(False)
    return select(Notice).where(*where).order_by(*_ORDER)


@dataclass(frozen=True)
class Listed:
    """A notice of the caller's list: ``notice`` is a row of the notice's columns a list and ``can_see`` need."""

    notice: Any
    read: bool
    source_name: str


def my_notices_listed(p: Principal) -> list[Listed]:
    """``my_notices_stmt``'s notices that the caller may see, in its order, each with whether they have read it and
    the name of its source — in one statement, whatever the number of notices: the read receipt, the target villages
    (for ``can_see``) and the source's name are columns of each row, and only the columns a list shows are read."""
    where = _mine(p)
    if where is None:
        return []
    read = (select(NoticeRead.id).where(NoticeRead.notice_id == Notice.id, NoticeRead.person_id == p.person_id)
            .exists())
    targets = (select(func.aggregate_strings(cast(NoticeTarget.village_id, String), ","))
               .where(NoticeTarget.notice_id == Notice.id).scalar_subquery())
    source = func.coalesce(select(Township.name).where(Township.id == Notice.township_id).scalar_subquery(),
                           select(Village.name).where(Village.id == Notice.village_id).scalar_subquery())
    stmt = (select(Notice.id, Notice.township_id, Notice.village_id, Notice.title, Notice.category, Notice.audience,
                   Notice.pinned, Notice.published_at, Notice.withdrawn_at, read, targets, source)
            .where(*where).order_by(*_ORDER))
    out = []
    for row in db.session.execute(stmt):
        target_ids = sorted(int(v) for v in row[10].split(",")) if row[10] else []
        if can_see(row, p, target_ids):  # the row has the columns can_see reads
            out.append(Listed(row, bool(row[9]), row[11]))
    return out


def visible_to(notices: Sequence[Notice], p: Principal) -> list[Notice]:
    """Keep the notices whose audience includes the caller (the statement above filters by village only); the
    targets of all of them in one query."""
    targets = targets_by_notice([n.id for n in notices])
    return [n for n in notices if can_see(n, p, targets[n.id])]


def read_ids(p: Principal, notice_ids: Sequence[int]) -> set[int]:
    if not notice_ids:
        return set()
    return set(db.session.execute(select(NoticeRead.notice_id).where(
        NoticeRead.person_id == p.person_id, NoticeRead.notice_id.in_(list(notice_ids)))).scalars())


def mark_read(n: Notice, person_id: int, village_id: int | None, *, channel: str = "app",
              recorded_by: Principal | None = None) -> bool:
    """Record a read once; returns False when it was already recorded (idempotent)."""
    exists = db.session.execute(select(NoticeRead.id).where(NoticeRead.notice_id == n.id,
                                                            NoticeRead.person_id == person_id)).first()
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(NoticeRead(notice_id=n.id, person_id=person_id, village_id=village_id, channel=channel,
                                      recorded_by_id=recorded_by.person_id if recorded_by else None))
            db.session.flush()
    except IntegrityError:  # the same person's other request got there first
        return False
    return True


def record_offline_reads(n: Notice, village: Village, person_ids: Sequence[int], channel: str, *,
                         actor: Principal) -> int:
    """A meeting or the loudspeaker reached these people (of this village, in the audience)."""
    people = audience([village.id], n.audience)
    outside = [pid for pid in person_ids if people.get(pid) != village.id]
    if outside:
        raise unprocessable("notice.not_in_audience", "有人不在本村这条公告的对象中", person_ids=outside[:50])
    added = sum(1 for pid in person_ids if mark_read(n, pid, village.id, channel=channel, recorded_by=actor))
    audit.record("notice.offline_reads", "notice", n.id, actor=actor, village_id=village.id,
                 after={"channel": channel, "people": len(person_ids), "added": added})
    return added


def reach(n: Notice) -> list[dict[str, Any]]:
    """Per target village: audience, readers (in the app, at meetings), and the share."""
    targets = targets_of(n)
    people = audience(targets, n.audience)
    per_village: dict[int, int] = defaultdict(int)
    for vid in people.values():
        per_village[vid] += 1
    reads: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, channel in db.session.execute(select(NoticeRead.person_id, NoticeRead.channel)
                                           .where(NoticeRead.notice_id == n.id)):
        vid = people.get(pid)
        if vid is not None:
            reads[vid][channel] += 1
    names = {v.id: v.name for v in db.session.execute(select(Village).where(Village.id.in_(targets))).scalars()}
    out = []
    for vid in targets:
        total, got = per_village.get(vid, 0), sum(reads[vid].values())
        out.append({"village_id": vid, "village": names.get(vid, ""), "audience": total, "read": got,
                    "read_in_app": reads[vid].get("app", 0),
                    "read_offline": reads[vid].get("meeting", 0) + reads[vid].get("loudspeaker", 0),
                    "share": _share(got, total)})
    return out


def _share(a: int, b: int) -> str:
    if not b:
        return "—"
    tenths = (a * 1000 + b // 2) // b
    return f"{tenths // 10}.{tenths % 10}%"


def unread(n: Notice, village_id: int | None = None) -> list[int]:
    """The people in the audience (of ``village_id``, or of every target village) who have not read it yet."""
    scope = [village_id] if village_id is not None else targets_of(n)
    people = [pid for pid, vid in audience(scope, n.audience).items() if vid in scope]
    done = set(db.session.execute(select(NoticeRead.person_id).where(NoticeRead.notice_id == n.id)).scalars())
    return sorted(pid for pid in people if pid not in done)


def remind(n: Notice, village_id: int, *, actor: Principal) -> int:
    """Queue a reminder push only to those who have not read it (once per notice and person: the outbox key)."""
    people = unread(n, village_id)
    bound = auth.openids_of(people)
    queued = 0
    for pid in sorted(bound):
        exists = db.session.execute(select(PushJob.id).where(PushJob.kind == "reminder", PushJob.object_id == n.id,
                                                             PushJob.person_id == pid)).first()
        if exists:
            continue
        db.session.add(PushJob(kind="reminder", object_id=n.id, person_id=pid, template_id=template_id(),
                               page=f"pages/notices/detail?id={n.id}",
                               data=json.dumps({"thing1": ("请阅读：" + n.title)[:20]}, ensure_ascii=False)))
        queued += 1
    db.session.flush()
    audit.record("notice.remind", "notice", n.id, actor=actor, village_id=village_id, after={"queued": queued})
    return queued


# ---------------------------------------------------------------- consents and the worker


def add_consent(person_id: int, template: str, count: int = 1) -> int:
    """The mini-program reports that the person accepted ``count`` one-time subscriptions to ``template``."""
    row = db.session.execute(select(PushConsent).where(PushConsent.person_id == person_id,
                                                       PushConsent.template_id == template)
                             .with_for_update()).scalar_one_or_none()
    if row is None:
        try:
            with db.session.begin_nested():
                row = PushConsent(person_id=person_id, template_id=template, remaining=0)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            row = db.session.execute(select(PushConsent).where(PushConsent.person_id == person_id,
                                                               PushConsent.template_id == template)
                                     .with_for_update()).scalar_one()
    row.remaining += count
    db.session.flush()
    return row.remaining


def _use_consent(person_id: int, template: str) -> bool:
    res = db.session.execute(update(PushConsent).where(
        PushConsent.person_id == person_id, PushConsent.template_id == template, PushConsent.remaining > 0)
        .values(remaining=PushConsent.remaining - 1).execution_options(synchronize_session=False))
    return bool(res.rowcount)  # type: ignore[attr-defined]


def _claim(limit: int) -> list[int]:
    """Take up to ``limit`` due jobs for this worker (committed as 'sending', so no other worker takes them)."""
    now = utcnow()
    ids = list(db.session.execute(
        select(PushJob.id).where(PushJob.status == "pending", PushJob.next_attempt_at <= now)
        .order_by(PushJob.next_attempt_at, PushJob.id).limit(limit).with_for_update(skip_locked=True)).scalars())
    if ids:
        db.session.execute(update(PushJob).where(PushJob.id.in_(ids)).values(status="sending", next_attempt_at=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return ids


@dataclass
class WorkReport:
    sent: int = 0
    no_consent: int = 0
    retried: int = 0
    failed: int = 0


def work(limit: int = 50) -> WorkReport:
    """Send one batch of due jobs; each outcome is committed as it happens. Returns what happened."""
    report = WorkReport()
    gateway = gateway_from_config(current_app.config)
    for job_id in _claim(limit):
        job = db.session.get(PushJob, job_id)
        assert job is not None
        if job.kind in ("notice", "reminder"):
            n = db.session.get(Notice, job.object_id)
            if n is None or not is_live(n):  # withdrawn or expired meanwhile: nothing to announce any more
                job.status, job.last_error = "failed", "公告已过期或已撤回，不再推送"
                report.failed += 1
                db.session.commit()
                continue
        openid = auth.openids_of([job.person_id]).get(job.person_id)
        if openid is None or not _use_consent(job.person_id, job.template_id):
            job.status, job.last_error = "no_consent", "没有可用的订阅授权" if openid else "未绑定微信"
            report.no_consent += 1
            db.session.commit()
            continue
        db.session.commit()  # the consent is spent before the call: a crash never sends it twice
        try:
            result = gateway.send_subscribe_message(openid, job.template_id, json.loads(job.data), page=job.page)
            ok, errcode, errmsg = result.ok, result.errcode, result.errmsg
            msgid = result.msgid
        except AppError as exc:  # network failure, timeout, HTTP 5xx
            ok, errcode, errmsg, msgid = False, -1, exc.message, None
        job.attempts += 1
        if ok:
            job.status, job.sent_at, job.msgid, job.last_error = "sent", utcnow(), str(msgid or ""), None
            report.sent += 1
        elif errcode == 43101:  # WeChat says no consent left: don't retry
            job.status, job.last_error = "no_consent", f"{errcode} {errmsg}"[:200]
            report.no_consent += 1
        elif job.attempts >= MAX_ATTEMPTS:
            job.status, job.last_error = "failed", f"{errcode} {errmsg}"[:200]
            report.failed += 1
        else:
            # the consent was not used by WeChat: give it back, and try again later
            db.session.execute(update(PushConsent).where(PushConsent.person_id == job.person_id,
                                                         PushConsent.template_id == job.template_id)
                               .values(remaining=PushConsent.remaining + 1))
            delay = min(BACKOFF_SECONDS * 2 ** (job.attempts - 1), 3600)
            job.status, job.next_attempt_at = "pending", utcnow() + timedelta(seconds=delay)
            job.last_error = f"{errcode} {errmsg}"[:200]
            report.retried += 1
        db.session.commit()
    return report


def recover_stale(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Jobs left 'sending' by a worker that died mid-call: WeChat may or may not have delivered them, and a
    consent allows one message, so they are marked failed — never sent a second time."""
    cutoff = utcnow() - older_than
    stale = list(db.session.execute(select(PushJob).where(PushJob.status == "sending",
                                                          PushJob.next_attempt_at < cutoff)).scalars())
    for job in stale:
        job.status, job.last_error = "failed", "发送中断，未确认是否送达（不重发）"
    db.session.commit()
    return len(stale)


def outbox_counts(kind: str, object_id: int) -> dict[str, int]:
    rows = db.session.execute(select(PushJob.status, func.count()).where(PushJob.kind == kind,
                                                                         PushJob.object_id == object_id)
                              .group_by(PushJob.status)).all()
    return {status: int(n) for status, n in rows}
