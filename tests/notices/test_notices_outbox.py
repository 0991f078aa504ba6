"""The push outbox: jobs written with the notice, one message per consent, retries with backoff while the stand-in
fails, giving up, stale jobs never resent, two workers on PostgreSQL never sending twice, and the CLI."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.core.db import db
from backend.notices import outbox
from backend.notices import service as notices
from backend.notices.models import Notice, PushConsent, PushJob
from tests.notices.conftest import bind

SEND = "/cgi-bin/message/subscribe/send"


def _world(make, n_people=3, bound=None):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    staff = make.staff(qs, "郑雯")
    bind(staff.id, "o-staff")
    people = [make.member(lj, f"村民{i}") for i in range(n_people)]
    for i, m in enumerate(people[: n_people if bound is None else bound]):
        bind(m.person_id, f"o-{i}")
    db.session.commit()
    return qs, lj, staff, people


def _publish(make, staff, qs, **kw) -> Notice:
    n = notices.publish(notices.NoticeInput(title="防火通知", body="注意防火。", **kw), actor=make.principal(staff),
                        township=qs)
    db.session.commit()
    return n


def _jobs(**where):
    stmt = select(PushJob).order_by(PushJob.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(PushJob, k) == v)
    return list(db.session.scalars(stmt))


def _consent(person_id):
    return db.session.scalar(select(PushConsent.remaining).where(PushConsent.person_id == person_id,
                                                                  PushConsent.template_id == outbox.template_id()))


def _give(wechat, m, i, local=1, remote=1):
    outbox.add_consent(m.person_id, outbox.template_id(), local)
    db.session.commit()
    if remote:
        wechat.grant_consent(f"o-{i}", outbox.template_id(), remote)


def _sends(wechat):
    return [q for q in wechat.requests() if q["path"] == SEND]


def test_a_job_per_bound_audience_member_in_the_same_transaction(make, wechat):
    qs, _lj, staff, people = _world(make, n_people=4, bound=3)
    n = notices.publish(notices.NoticeInput(title="通知", body="正文"), actor=make.principal(staff), township=qs)
    db.session.flush()
    assert sorted(j.person_id for j in _jobs(object_id=n.id)) == sorted(m.person_id for m in people[:3])
    db.session.rollback()  # the publish did not happen: nor did its jobs
    assert db.session.scalar(select(func.count()).select_from(PushJob)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    n = _publish(make, staff, qs, audience="representatives")  # nobody in the audience: no jobs
    assert _jobs(object_id=n.id) == []


def test_without_a_local_consent_nothing_is_sent(make, wechat):
    qs, _lj, staff, _people = _world(make, n_people=2)
    wechat.grant_consent("o-0", outbox.template_id())  # WeChat would accept, but we were never told of a consent
    n = _publish(make, staff, qs)
    report = outbox.work()
    assert (report.sent, report.no_consent) == (0, 2)
    assert {j.status for j in _jobs(object_id=n.id)} == {"no_consent"}
    assert _sends(wechat) == [] and wechat.messages() == []
    assert outbox.work().no_consent == 0  # not retried


def test_with_a_consent_sent_once_and_the_consent_used(make, wechat):
    qs, _lj, staff, people = _world(make, n_people=2)
    _give(wechat, people[0], 0, local=2, remote=2)
    n = _publish(make, staff, qs)
    report = outbox.work()
    assert (report.sent, report.no_consent, report.retried, report.failed) == (1, 1, 0, 0)
    [msg] = wechat.messages()
    assert msg["touser"] == "o-0" and msg["page"] == f"pages/notice/notice?id={n.id}"
    assert msg["data"]["thing1"] == {"value": "防火通知"}
    job = _jobs(person_id=people[0].person_id)[0]
    assert (job.status, job.attempts, job.msgid) == ("sent", 1, str(msg["msgid"]))
    assert _consent(people[0].person_id) == 1  # one of two used
    assert outbox.work().sent == 0 and len(wechat.messages()) == 1


def test_wechat_43101_is_no_consent_and_not_retried(make, wechat, now):
    qs, _lj, staff, people = _world(make, n_people=1)
    _give(wechat, people[0], 0, local=1, remote=0)  # we think there is one; WeChat says none
    _publish(make, staff, qs)
    assert outbox.work().no_consent == 1
    [job] = _jobs()
    assert job.status == "no_consent" and job.last_error.startswith("43101") and job.attempts == 1
    now[0] = now[0] + timedelta(hours=2)
    wechat.grant_consent("o-0", outbox.template_id())
    assert outbox.work().sent == 0 and len(_sends(wechat)) == 1 and wechat.messages() == []


@pytest.mark.parametrize("mode", ["errcode", "http500", "drop"])
def test_faults_are_retried_with_backoff_until_wechat_recovers(make, wechat, now, mode):
    qs, _lj, staff, people = _world(make, n_people=1)
    _give(wechat, people[0], 0)
    _publish(make, staff, qs)
    wechat.add_fault(SEND, mode, errcode=-1)
    start = now[0]
    r = outbox.work()
    assert (r.sent, r.retried) == (0, 1)
    [job] = _jobs()
    assert (job.status, job.attempts, job.next_attempt_at) == ("pending", 1, start + timedelta(seconds=30))
    assert _consent(people[0].person_id) == 1  # given back: WeChat did not use it
    now[0] = start + timedelta(seconds=29)
    assert outbox.work().retried == 0  # not due yet
    now[0] = start + timedelta(seconds=30)
    assert outbox.work().retried == 1
    db.session.refresh(job)
    assert (job.attempts, job.next_attempt_at) == (2, now[0] + timedelta(seconds=60))
    wechat.clear_faults()
    now[0] = now[0] + timedelta(seconds=60)
    assert outbox.work().sent == 1
    db.session.refresh(job)
    assert (job.status, job.attempts, job.last_error) == ("sent", 3, None)
    assert [m["touser"] for m in wechat.messages()] == ["o-0"]
    assert _consent(people[0].person_id) == 0


def test_gives_up_after_max_attempts(make, wechat, now):
    qs, _lj, staff, people = _world(make, n_people=1)
    _give(wechat, people[0], 0)
    _publish(make, staff, qs)
    wechat.add_fault(SEND, "http500")
    delays = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        assert outbox.work().retried == 1
        [job] = _jobs()
        delays.append((job.next_attempt_at - now[0]).total_seconds())
        now[0] = job.next_attempt_at
    assert delays == [30 * 2**k for k in range(outbox.MAX_ATTEMPTS - 1)]
    assert outbox.work().failed == 1
    db.session.expire_all()
    [job] = _jobs()
    assert (job.status, job.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    wechat.clear_faults()
    now[0] = now[0] + timedelta(days=1)
    assert outbox.work().sent == 0 and wechat.messages() == []
    assert len(_sends(wechat)) == outbox.MAX_ATTEMPTS


def test_a_job_stuck_sending_is_failed_never_resent(make, wechat, now):
    qs, _lj, staff, people = _world(make, n_people=2)
    for i, m in enumerate(people):
        _give(wechat, m, i)
    _publish(make, staff, qs)
    now[0] = now[0] + timedelta(hours=1)  # the jobs waited an hour (no worker running)
    claimed = outbox._claim(1)  # a worker takes one and dies
    assert len(claimed) == 1
    assert outbox.recover_stale() == 0  # claimed just now: not stale, however long it had waited
    now[0] = now[0] + timedelta(minutes=11)
    assert outbox.recover_stale() == 1
    stuck = db.session.get(PushJob, claimed[0])
    db.session.refresh(stuck)
    assert stuck.status == "failed"
    assert outbox.work().sent == 1  # the other one
    assert len(wechat.messages()) == 1 and db.session.get(PushJob, claimed[0]).status == "failed"
    assert not _jobs(status="sending")


def test_the_cli_worker_prints_what_it_did(app, make, wechat):
    qs, _lj, staff, people = _world(make, n_people=2)
    _give(wechat, people[0], 0)
    _publish(make, staff, qs)
    result = app.test_cli_runner().invoke(args=["notices", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1, no consent 1, retry 0, failed 0" in result.output
    again = app.test_cli_runner().invoke(args=["notices", "work", "--once"])
    assert again.exit_code == 0 and again.output == ""
    assert len(wechat.messages()) == 1


def test_two_workers_in_parallel_send_each_job_exactly_once(app, make, wechat, postgres_only):
    qs, _lj, staff, people = _world(make, n_people=100)
    for i, m in enumerate(people):
        outbox.add_consent(m.person_id, outbox.template_id(), 1)
        wechat.grant_consent(f"o-{i}", outbox.template_id(), 2)  # WeChat would accept a second send: we must not
    db.session.commit()
    n = _publish(make, staff, qs)
    assert len(_jobs(object_id=n.id)) == 100
    db.session.remove()
    barrier = threading.Barrier(2)
    reports: list[list[outbox.WorkReport]] = [[], []]
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                while True:
                    r = outbox.work(limit=7)
                    reports[k].append(r)
                    if not (r.sent + r.no_consent + r.retried + r.failed):
                        return
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads) and not errors, errors
    sent = [sum(r.sent for r in rs) for rs in reports]
    assert sum(sent) == 100 and all(s > 0 for s in sent), sent  # both took part, no job twice
    per_job = Counter((m["touser"], m["page"]) for m in wechat.messages())
    assert len(per_job) == 100 and set(per_job.values()) == {1}
    assert Counter(j.status for j in _jobs(object_id=n.id)) == {"sent": 100}
    assert all(j.attempts == 1 for j in _jobs(object_id=n.id))
    assert db.session.scalar(select(func.sum(PushConsent.remaining))) == 0
