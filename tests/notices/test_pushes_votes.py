"""Pushes of a vote: opened (to the electorate with a bound WeChat), closing within 24 hours (to those who have
not voted, once; a ballot cast after the reminder was queued stops its sending), and its result — who gets each,
who does not, and that each is queued once."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.votes import pushes
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote
from backend.notices import outbox, template_for
from backend.notices.models import PushConsent, PushJob
from tests.factories import resolved_decision
from tests.notices.conftest import bind

API = "/api/v1"


@pytest.fixture
def w(make, now):
    v = make.village()
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(5)]
    plain = make.member(v, "张大山")  # bound, but not in a representatives' vote
    secretary = make.member(v, "王建国", roles=("secretary",))
    other = make.village("XZ02", "新竹村")
    stranger = make.member(other, "周海", roles=("representative",))  # a representative of another village
    for i, m in enumerate(reps[:4]):  # reps[4] has no WeChat
        bind(m.person_id, f"o-rep{i}")
    bind(plain.person_id, "o-plain")
    bind(stranger.person_id, "o-stranger")
    decision = resolved_decision(v.id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    return {"v": v, "reps": reps, "plain": plain, "secretary": secretary, "stranger": stranger,
            "decision": decision, "now": now}


def _open(client, make, w, hours: float = 24 * 7, body: str = "representatives_meeting") -> int:
    start = utcnow()
    r = client.post(f"{API}/decisions/{w['decision'].id}/votes", headers=make.headers(w["secretary"]),
                    json={"body": body, "title": "村道修缮方案表决", "opens_at": start.isoformat(),
                          "closes_at": (start + timedelta(hours=hours)).isoformat()})
    assert r.status_code == 201, r.json
    return int(r.json["id"])


def _jobs(kind: str, vote_id: int) -> dict[int, PushJob]:
    db.session.expire_all()
    return {j.person_id: j for j in db.session.scalars(
        select(PushJob).where(PushJob.kind == kind, PushJob.object_id == vote_id))}


def _cast(client, make, who, vote_id: int, choice: str = "oppose"):
    r = client.post(f"{API}/votes/{vote_id}/ballots", json={"choice": choice}, headers=make.headers(who))
    assert r.status_code == 201, r.json


def _consent(wechat, who, i: int, moment: str) -> None:
    outbox.add_consent(who.person_id, template_for(moment), 1)
    db.session.commit()
    wechat.grant_consent(f"o-rep{i}", template_for(moment), 1)


def _fields_fit(job: PushJob) -> None:
    data = json.loads(job.data)
    assert all(len(v) <= 20 for k, v in data.items() if k.startswith("thing")), data
    assert not any(word in job.data for word in ("agree", "oppose", "abstain", "同意票", "反对", "弃权"))


def test_a_vote_opened_is_queued_for_its_electorate_with_wechat_in_the_same_transaction(client, make, w):
    vote_id = _open(client, make, w)
    jobs = _jobs(pushes.OPENED, vote_id)
    # the four bound representatives; not the one without WeChat, not the villager outside the body, not the
    # representative of another village
    assert sorted(jobs) == sorted(m.person_id for m in w["reps"][:4])
    job = jobs[w["reps"][0].person_id]
    assert job.template_id == template_for("vote_opened") and job.page == f"pages/vote/vote?id={vote_id}"
    assert json.loads(job.data)["thing1"] == "村道修缮方案表决"
    _fields_fit(job)
    # once: asking again queues nothing new
    assert pushes.queue_opened(db.session.get(Vote, vote_id)) == 0
    db.session.commit()
    assert len(_jobs(pushes.OPENED, vote_id)) == 4


def test_a_vote_that_fails_to_open_queues_nothing(client, make, w):
    d = w["decision"]
    with pytest.raises(Exception):  # noqa: B017 — any refusal: nobody may vote in this body
        votes.open_vote(d, stage="决议", body="party_meeting", title="没有党员的表决", opens_at=utcnow(),
                        closes_at=utcnow() + timedelta(days=2), actor=None)
    db.session.rollback()
    assert db.session.scalars(select(PushJob)).all() == []


def test_a_household_vote_tells_every_member_of_an_elector_household(client, make, w):
    h = make.household(w["v"], "LJ-050")
    head = make.member(w["v"], "刘老汉", household=h, head=True)
    wife = make.member(w["v"], "刘大娘", household=h, head=False)
    bind(head.person_id, "o-liu")
    bind(wife.person_id, "o-liu-wife")
    db.session.commit()
    v = votes.open_vote(w["decision"], stage="决议", body="villagers_meeting", title="按户表决", by_household=True,
                        opens_at=utcnow(), closes_at=utcnow() + timedelta(days=3), actor=None)
    db.session.commit()
    jobs = _jobs(pushes.OPENED, v.id)
    assert {head.person_id, wife.person_id} <= set(jobs)
    assert w["stranger"].person_id not in jobs and w["reps"][4].person_id not in jobs


def test_the_closing_reminder_goes_to_those_who_have_not_voted_within_24_hours_once(client, make, w):
    start = w["now"][0]
    vote_id = _open(client, make, w, hours=24 * 3)
    _cast(client, make, w["reps"][0], vote_id)
    closes = start + timedelta(hours=24 * 3)
    w["now"][0] = closes - timedelta(hours=24, minutes=1)  # 24h01 before the close: not yet
    assert pushes.queue_closing_reminders() == 0
    db.session.commit()
    assert _jobs(pushes.CLOSING, vote_id) == {} and db.session.get(Vote, vote_id).reminders_queued_at is None
    w["now"][0] = closes - timedelta(hours=23, minutes=59)  # 23h59 before: now
    assert pushes.queue_closing_reminders() == 3
    db.session.commit()
    jobs = _jobs(pushes.CLOSING, vote_id)
    # reps 1–3: bound and not voted; not rep 0 (voted), rep 4 (no WeChat), the villager or the stranger
    assert sorted(jobs) == sorted(m.person_id for m in w["reps"][1:4])
    _fields_fit(jobs[w["reps"][1].person_id])
    assert "还没有投票" in json.loads(jobs[w["reps"][1].person_id].data)["thing3"]
    # once per vote and person: the next rounds queue nothing
    w["now"][0] = closes - timedelta(hours=2)
    assert pushes.queue_closing_reminders() == 0
    db.session.commit()
    assert len(_jobs(pushes.CLOSING, vote_id)) == 3


def test_no_reminder_for_a_closed_vote_or_a_short_one(client, make, w):
    start = w["now"][0]
    closed = _open(client, make, w, hours=48)
    w["now"][0] = start + timedelta(hours=49)  # closed an hour ago, never reminded
    assert pushes.queue_closing_reminders() == 0
    db.session.commit()
    assert _jobs(pushes.CLOSING, closed) == {}
    # a vote of 12 hours in all: its opening message said when it closes; no second message
    d2 = resolved_decision(w["v"].id, "另一件事", "project", None, date(2026, 1, 3))
    db.session.commit()
    w["decision"] = d2
    short = _open(client, make, w, hours=12)
    assert pushes.queue_closing_reminders() == 0
    db.session.commit()
    assert _jobs(pushes.CLOSING, short) == {} and db.session.get(Vote, short).reminders_queued_at is not None


def test_a_ballot_cast_after_the_reminder_was_queued_stops_its_sending(client, make, w, wechat):
    start = w["now"][0]
    vote_id = _open(client, make, w, hours=48)
    outbox.work()  # the opening messages: nobody consented to them
    for i in (1, 2):
        _consent(wechat, w["reps"][i], i, "vote_closing")
    w["now"][0] = start + timedelta(hours=30)
    assert pushes.queue_closing_reminders() == 4  # reps 0–3: bound, not voted
    db.session.commit()
    _cast(client, make, w["reps"][1], vote_id)  # after the reminder was queued, before the worker sends it
    report = outbox.work()
    assert (report.sent, report.failed, report.no_consent) == (1, 1, 2)
    jobs = _jobs(pushes.CLOSING, vote_id)
    voted, waiting, unconsented = (jobs[w["reps"][i].person_id] for i in (1, 2, 3))
    assert (voted.status, voted.last_error) == ("failed", "已经投过票，不再提醒")
    assert waiting.status == "sent" and unconsented.status == "no_consent"
    sent = [m for m in wechat.messages() if m["template_id"] == template_for("vote_closing")]
    assert [m["touser"] for m in sent] == ["o-rep2"]
    # the one who voted kept their consent: nothing was spent on a message not sent
    assert db.session.scalar(select(PushConsent.remaining).where(
        PushConsent.person_id == w["reps"][1].person_id)) == 1


def test_a_reminder_still_queued_when_the_vote_closes_is_not_sent(client, make, w, wechat):
    start = w["now"][0]
    vote_id = _open(client, make, w, hours=48)
    outbox.work()
    _consent(wechat, w["reps"][2], 2, "vote_closing")
    w["now"][0] = start + timedelta(hours=30)
    pushes.queue_closing_reminders()
    db.session.commit()
    w["now"][0] = start + timedelta(hours=49)  # the worker was down until after the close
    outbox.work()
    job = _jobs(pushes.CLOSING, vote_id)[w["reps"][2].person_id]
    assert (job.status, job.last_error) == ("failed", "表决已经结束，不再提醒")


def test_the_result_is_queued_once_when_the_vote_is_tallied(client, make, w):
    start = w["now"][0]
    vote_id = _open(client, make, w, hours=48)
    _cast(client, make, w["reps"][0], vote_id, "agree")
    assert _jobs(pushes.RESULT, vote_id) == {}
    w["now"][0] = start + timedelta(hours=49)
    r = client.get(f"{API}/votes/{vote_id}", headers=make.headers(w["reps"][0]))  # a read settles the vote
    assert r.status_code == 200 and r.json["result"] is not None
    jobs = _jobs(pushes.RESULT, vote_id)
    assert sorted(jobs) == sorted(m.person_id for m in w["reps"][:4])
    data = json.loads(jobs[w["reps"][0].person_id].data)
    assert data["phrase2"] in ("通过", "未通过")
    _fields_fit(jobs[w["reps"][0].person_id])
    client.get(f"{API}/votes/{vote_id}", headers=make.headers(w["reps"][1]))
    assert len(_jobs(pushes.RESULT, vote_id)) == 4


def test_the_worker_and_the_cli_queue_the_reminders(app, client, make, w, wechat):
    start = w["now"][0]
    vote_id = _open(client, make, w, hours=48)
    w["now"][0] = start + timedelta(hours=30)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["notices", "work", "--once"])
    assert out.exit_code == 0, out.output
    assert len(_jobs(pushes.CLOSING, vote_id)) == 4
    assert _jobs(pushes.CLOSING, vote_id)[w["reps"][0].person_id].status == "no_consent"  # sent the same round
    out = runner.invoke(args=["votes", "remind-closing"])
    assert out.exit_code == 0 and "已排队 0 条" in out.output
