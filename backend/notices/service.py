"""Announcements from the township and the village: publishing, who sees them, read receipts and reach.

- A township's staff publish to all its villages or chosen ones; a village's secretary (or committee) to their own.
  Audience: everyone on the roster, 成员 only, 村民代表, 党员. The text passes WeChat's content check first.
- Read receipts: in the app (``mark_read``, idempotent), or recorded by staff for people who heard it at a meeting
  or on the loudspeaker. Reach per village = readers ÷ audience; staff see who has not read and remind only them.
- Push: publishing queues one subscribe-message job per person in the audience with a bound WeChat account, in the
  same transaction; ``outbox`` sends them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import String, and_, bindparam, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from backend import auth, registry
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db, in_ids
from backend.core.errors import AppError, forbidden, not_found, unprocessable
from backend.core.permissions import Principal
from backend.core.shared_pages import audience as seen_as
from backend.core.shared_pages import reader_of, shared_read
from backend.notices import outbox
from backend.notices.models import Notice, NoticeRead, NoticeTarget
from backend.registry import Township, Village
from backend.wechat import gateway_from_config

# the role that puts a person in each audience (roster-derived or assigned): a principal carries them
AUDIENCE_ROLE = {"everyone": "villager", "members": "member", "representatives": "representative",
                 "party_members": "party_member"}


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
    queued = outbox.queue_notice(n, audience(targets, n.audience))
    db.session.flush()
    audit.record("notice.publish", "notice", n.id, actor=actor, village_id=village.id if village else None,
                 township_id=township.id if township else None,
                 after={"title": n.title, "villages": len(targets), "audience": n.audience, "pushes": queued,
                        "content_check": check})
    return n


def unless_withdrawn(n: Notice) -> Notice:
    """``n``, or 404 once it is withdrawn: there is nothing left of it to manage."""
    if n.withdrawn_at is not None:
        raise not_found("notice.not_found", "找不到该公告")
    return n


def shown_to(n: Notice, p: Principal) -> Notice:
    """``n``, or 404 if ``p`` may not see it (neither its audience nor staff of its source)."""
    if not can_see(n, p):
        raise not_found("notice.not_found", "找不到该公告")
    return n


def readable(n: Notice, p: Principal) -> Notice:
    """``n`` for a reader: 404 once it is withdrawn or expired (gone for readers), or if ``p`` may not see it."""
    if not n.is_live():
        raise not_found("notice.not_found", "找不到该公告")
    return shown_to(n, p)


def target_village(n: Notice, village_id: int) -> Village:
    """The village ``village_id`` among ``n``'s targets; 404 if the notice was not sent to it."""
    if village_id not in targets_of(n):
        raise not_found("notice.not_found", "找不到该公告")
    return registry.get_village(village_id)


def source_name(n: Notice) -> str:
    """The name of the township or village the notice comes from."""
    return source_names([n])[n.id]


def source_names(notices: list[Notice]) -> dict[int, str]:
    """notice id → :func:`source_name`, for a page of notices in two statements at most (townships, villages)."""
    towns = registry.township_names([n.township_id for n in notices if n.township_id is not None])
    villages = registry.village_names([n.village_id for n in notices if n.township_id is None and n.village_id])
    return {n.id: towns.get(n.township_id, "") if n.township_id is not None else villages.get(n.village_id or 0, "")
            for n in notices}


def targets_of(n: Notice) -> list[int]:
    """The villages ``n`` was sent to, in order: one statement the first time a request asks (can_see, the views),
    or none while the data is unchanged (``@shared_read``: the same for every reader). A notice not yet flushed has
    no id to ask by: its targets are the ones in the session."""
    if n.id is None:
        return [t.village_id for t in n.targets]
    return list(_target_ids(n.id))


@shared_read
def _target_ids(notice_id: int) -> tuple[int, ...]:
    return tuple(db.session.execute(select(NoticeTarget.village_id).where(NoticeTarget.notice_id == notice_id)
                                    .order_by(NoticeTarget.village_id)).scalars())


def withdraw(n: Notice, *, actor: Principal) -> Notice:
    n.withdrawn_at = utcnow()
    outbox.cancel(n, "公告已撤回")
    db.session.flush()
    audit.record("notice.withdraw", "notice", n.id, actor=actor, village_id=n.village_id, township_id=n.township_id)
    return n


# ---------------------------------------------------------------- who sees what


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


def managed_villages(n: Notice, p: Principal, village_id: int | None = None) -> list[int]:
    """The target villages (``village_id`` only, when given) whose reach ``p`` may see, whose unread people they
    may list and remind: every one for the source township's staff; their own for a target village's secretary
    and committee. 404 to whoever cannot see the notice (or for a village it was not sent to), 403 to a reader."""
    targets = targets_of(n)
    if village_id is not None and village_id not in targets:
        if not can_see(n, p):
            raise not_found("notice.not_found", "找不到该公告")
        raise not_found("notice.village_not_targeted", "这条公告没有发给该村")
    scope = [village_id] if village_id is not None else targets
    if n.township_id is not None and p.can("township.view", township_id=n.township_id):
        return scope
    mine = [v for v in scope if p.can("notices.manage", village_id=v) or p.can("township.view", village_id=v)]
    if mine:
        return mine
    if not can_see(n, p):
        raise not_found("notice.not_found", "找不到该公告")
    raise forbidden()


def _mine(p: Principal) -> list[Any] | None:
    """Where the caller may find notices: live, and sent to their village or from a township they are staff of
    (None: they have neither, so no notices)."""
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


@dataclass(frozen=True)
class ListedNotice:
    """The columns of a notice that a list and ``can_see`` read, with its source's name: the same for every reader."""

    id: int
    township_id: int | None
    village_id: int | None
    title: str
    category: str
    audience: str
    pinned: bool
    published_at: datetime
    withdrawn_at: datetime | None
    expires_at: datetime | None
    source_name: str


@dataclass(frozen=True)
class Listed:
    """A notice of the caller's list (with its source's name) and whether they have read it."""

    notice: ListedNotice
    read: bool


def my_notices_listed(p: Principal) -> list[Listed]:
    """The notices the caller may see, pinned first, then the latest; each with whether they have read it and the
    name of its source. Two statements whatever the number of notices: the list (the same for everyone who sees the
    villages as the caller does — kept for them all, ``@shared_read``) and the caller's read receipts of it."""
    now = utcnow()
    listed = [n for n in _listed_for(seen_as(p)) if n.expires_at is None or n.expires_at > now]
    read = read_ids(p, [n.id for n in listed])
    return [Listed(n, n.id in read) for n in listed]


@shared_read
def _listed_for(audience_of_reader: tuple[Any, ...]) -> tuple[ListedNotice, ...]:
    """The live notices a reader of this audience may see (``core.shared_pages.audience``: their grants, home
    village, township and membership — all that ``_mine`` and ``can_see`` read of a reader), in list order: one
    statement, the target villages and the source's name as columns of each row. A notice that expires later is
    dropped by :func:`my_notices_listed` at its time: time only ever takes notices off the list."""
    p = reader_of(audience_of_reader)
    where = _mine(p)
    if where is None:
        return ()
    targets = (select(func.aggregate_strings(cast(NoticeTarget.village_id, String), ","))
               .where(NoticeTarget.notice_id == Notice.id).scalar_subquery())
    source = registry.place_name_select(Notice.township_id, Notice.village_id)
    stmt = (select(Notice.id, Notice.township_id, Notice.village_id, Notice.title, Notice.category, Notice.audience,
                   Notice.pinned, Notice.published_at, Notice.withdrawn_at, Notice.expires_at, source, targets)
            .where(*where).order_by(*_ORDER))
    out = []
    for row in db.session.execute(stmt):
        target_ids = sorted(int(v) for v in row[11].split(",")) if row[11] else []
        if can_see(row, p, target_ids):  # the row has the columns can_see reads
            out.append(ListedNotice(*row[:11]))
    return tuple(out)


def read_ids(p: Principal, notice_ids: Sequence[int]) -> set[int]:
    """Which of ``notice_ids`` the caller has read (one statement; none for no ids)."""
    if not notice_ids:
        return set()
    return set(db.session.execute(select(NoticeRead.notice_id).where(
        NoticeRead.person_id == p.person_id, in_ids(NoticeRead.notice_id, notice_ids))).scalars())


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


# the audiences that are a roster (everyone on it, or its 成员): which of registry.roster_counts' figures is their size
_ROSTER_KINDS = {"everyone": 0, "members": 1}
_NR = NoticeRead.__table__.c
# each read of some notices, with the reader's roster entry (village, 成员 or not): registry's principal statement
# joined to the reads (one row per role assignment of the reader); built once
_READS = (registry.principal_stmt(_NR.person_id).add_columns(_NR.notice_id, _NR.channel)
          .where(_NR.notice_id.in_(bindparam("notice_ids", expanding=True))))


@dataclass
class _Reach:
    audience: dict[tuple[str, int], int]  # (audience kind, village id) → people in that audience now
    reads: dict[tuple[int, int], Counter[str]]  # (notice id, village id) → its reads by channel, by its audience


def _reach(notices: Sequence[Notice], village_ids: Sequence[int]) -> _Reach:
    """The audiences of ``notices`` in ``village_ids`` and their reads by people in them now. A roster audience is
    counted in the database and its readers looked up with their reads, never listed whole (a village's roster is
    thousands of people); an audience of a role (代表, 党员) is listed, as :func:`audience` does."""
    kinds = {n.audience for n in notices}
    sizes: dict[tuple[str, int], int] = {}
    if kinds & _ROSTER_KINDS.keys():
        for vid, counts in registry.roster_counts(village_ids).items():
            sizes.update({(kind, vid): counts[i] for kind, i in _ROSTER_KINDS.items()})
    listed = {kind: audience(village_ids, kind) for kind in kinds - _ROSTER_KINDS.keys()}
    for kind, people in listed.items():
        per_village = Counter(people.values())
        sizes.update({(kind, vid): per_village.get(vid, 0) for vid in village_ids})
    kind_of = {n.id: n.audience for n in notices}
    wanted = set(village_ids)
    seen: set[tuple[int, int]] = set()
    reads: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for row in db.session.execute(_READS, {"notice_ids": list(kind_of)}):
        # the person, their active roster entry's village and 成员 flag, then the read's own columns (by name)
        pid, home, collective = row.id, row.village_id, row.is_collective_member
        nid, channel = row.notice_id, row.channel
        if (nid, pid) in seen:  # the same read again, for another of the reader's roles
            continue
        seen.add((nid, pid))
        kind = kind_of[nid]  # a roster audience: the reader's own village, if they are in it (成员 for "members")
        vid = listed[kind].get(pid) if kind in listed else home if kind == "everyone" or collective else None
        if vid in wanted:
            reads[(nid, vid)][channel] += 1
    return _Reach(sizes, reads)


def _counts(total: int, reads: Counter[str]) -> dict[str, Any]:
    got = sum(reads.values())
    return {"audience": total, "read": got, "read_in_app": reads["app"],
            "read_offline": reads["meeting"] + reads["loudspeaker"], "unread": total - got,
            "share": _share(got, total)}


def reach(n: Notice) -> list[dict[str, Any]]:
    """Per target village: audience, readers (in the app, at meetings), and the share."""
    targets = targets_of(n)
    r = _reach([n], targets)
    names = registry.village_names(targets)
    out = []
    for vid in targets:
        c = _counts(r.audience.get((n.audience, vid), 0), r.reads.get((n.id, vid), Counter()))
        out.append({"village_id": vid, "village": names.get(vid, ""), "audience": c["audience"], "read": c["read"],
                    "read_in_app": c["read_in_app"], "read_offline": c["read_offline"], "share": c["share"]})
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


def unread_named(n: Notice, village_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Who in these villages has not read ``n`` yet, with their names, by person id."""
    people = sorted(pid for v in village_ids for pid in unread(n, v))
    names = registry.person_names(people)
    return [{"person_id": pid, "name": names.get(pid, "")} for pid in people]


def remind(n: Notice, village_id: int, *, actor: Principal) -> int:
    """Queue a reminder push only to those who have not read it (once per notice and person: the outbox key)."""
    queued = outbox.queue_reminders(n, unread(n, village_id))
    audit.record("notice.remind", "notice", n.id, actor=actor, village_id=village_id, after={"queued": queued})
    return queued


# ---------------------------------------------------------------- a village's list for its staff


def village_notices_stmt(village_id: int) -> Any:
    """The notices sent to a village (its own and its township's), withdrawn ones too, the latest first."""
    return (select(Notice).where(Notice.id.in_(select(NoticeTarget.notice_id)
                                               .where(NoticeTarget.village_id == village_id)))
            .order_by(Notice.published_at.desc(), Notice.id.desc()))


def village_reach(notices: Sequence[Notice], village_id: int) -> dict[int, dict[str, Any]]:
    """notice id → reach in ``village_id``: audience, readers (in the app, offline), unread and the share. Each
    audience kind is listed once and the reads of all the notices are read in one statement."""
    if not notices:
        return {}
    r = _reach(notices, [village_id])
    return {n.id: _counts(r.audience[(n.audience, village_id)], r.reads.get((n.id, village_id), Counter()))
            for n in notices}
