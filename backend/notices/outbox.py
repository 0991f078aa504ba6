"""The push outbox: one WeChat subscribe message per person and notice (or reminder), written in the transaction
that publishes, and sent later by ``work``.

``work`` claims due jobs with ``FOR UPDATE SKIP LOCKED`` (several workers never take the same job), spends one of
the person's one-time consents (none → ``no_consent``, never sent), retries WeChat failures with exponential backoff
and gives up after ``MAX_ATTEMPTS``. A consent allows one message, so a job whose sending was interrupted is never
sent a second time (``recover_stale``).

Before a job is sent, the domain that queued it may be asked whether it is still wanted (``register_still_wanted``,
wired at app start): a reminder to vote whose person has voted meanwhile, or whose vote has closed, is marked failed
with the domain's reason and never sent — no consent is spent on it. The outbox knows no domain's rules: it asks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend import auth
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.notices.models import Notice, PushConsent, PushJob
from backend.wechat import gateway_from_config

NOTICE_TEMPLATE = "notice-published"  # overridden by the config key WECHAT_TEMPLATE_NOTICE
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30  # 30 s, 60 s, 120 s … capped at an hour


def template_id() -> str:
    return str(current_app.config.get("WECHAT_TEMPLATE_NOTICE") or NOTICE_TEMPLATE)


def _page(n: Notice) -> str:
    return f"pages/notice/notice?id={n.id}"


STILL_WANTED = "notices.still_wanted"  # app.extensions: kind → check(object_id, person_id) → a reason not to send
StillWanted = Callable[[int, int], "str | None"]


def register_still_wanted(app: Flask, kind: str, check: StillWanted) -> None:
    """Before sending a job of ``kind``, the worker calls ``check(object_id, person_id)``: None sends it; a Chinese
    sentence marks it failed with that reason (e.g. 已经投过票，不再提醒). Registered by the app's wiring, so the
    outbox stays a mailbox that imports no domain."""
    app.extensions.setdefault(STILL_WANTED, {})[kind] = check


def _unwanted(job: PushJob) -> str | None:
    check = current_app.extensions.get(STILL_WANTED, {}).get(job.kind)
    return check(job.object_id, job.person_id) if check is not None else None


# ---------------------------------------------------------------- queueing


def queue_notice(n: Notice, people: Collection[int]) -> int:
    """A job for each of ``people`` with a bound WeChat account; returns how many were queued."""
    bound = auth.openids_of(list(people))
    if not bound:
        return 0
    data = json.dumps({"thing1": n.title[:20], "time2": to_iso(n.published_at)[:16].replace("T", " ")},
                      ensure_ascii=False)
    rows = [{"kind": "notice", "object_id": n.id, "person_id": pid, "template_id": template_id(), "page": _page(n),
             "data": data, "status": "pending", "attempts": 0, "next_attempt_at": utcnow(), "created_at": utcnow()}
            for pid in sorted(bound)]
    db.session.execute(PushJob.__table__.insert(), rows)
    return len(rows)


def queue_reminders(n: Notice, people: Collection[int]) -> int:
    """A reminder for each of ``people`` with a bound WeChat account who has had none for ``n`` (the outbox's key
    allows one per notice and person); returns how many were queued."""
    queued = 0
    for pid in sorted(auth.openids_of(list(people))):
        exists = db.session.execute(select(PushJob.id).where(PushJob.kind == "reminder", PushJob.object_id == n.id,
                                                             PushJob.person_id == pid)).first()
        if exists:
            continue
        db.session.add(PushJob(kind="reminder", object_id=n.id, person_id=pid, template_id=template_id(),
                               page=_page(n),
                               data=json.dumps({"thing1": ("请阅读：" + n.title)[:20]}, ensure_ascii=False)))
        queued += 1
    db.session.flush()
    return queued


def cancel(n: Notice, reason: str) -> None:
    """The notice's jobs not yet sent fail with ``reason``."""
    db.session.execute(update(PushJob).where(PushJob.kind == "notice", PushJob.object_id == n.id,
                                             PushJob.status == "pending").values(status="failed", last_error=reason))


def outbox_counts(kind: str, object_id: int) -> dict[str, int]:
    rows = db.session.execute(select(PushJob.status, func.count()).where(PushJob.kind == kind,
                                                                         PushJob.object_id == object_id)
                              .group_by(PushJob.status)).all()
    return {status: int(n) for status, n in rows}


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
            if n is None or not n.is_live():  # withdrawn or expired meanwhile: nothing to announce any more
                job.status, job.last_error = "failed", "公告已过期或已撤回，不再推送"
                report.failed += 1
                db.session.commit()
                continue
        reason = _unwanted(job)
        if reason:  # the domain says the message no longer applies (voted meanwhile, vote closed …)
            job.status, job.last_error = "failed", reason[:200]
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
