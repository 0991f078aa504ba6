"""Pushes to one person: a job application's outcome (after the draw: selected or not; after the hires: hired) to
the applicant only; an assisted action to the other members of the member's household only — who gets each, who
does not, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.core.clock import utcnow
from backend.core.db import db
from backend.jobs import pushes as job_pushes
from backend.jobs.models import JobApplication, JobPosting
from backend.notices import outbox, queue_assisted_message, template_for
from backend.notices.models import PushJob
from tests.assisted import test_assisted as assisted_fixtures
from tests.jobs import conftest as job_fixtures
from tests.notices.conftest import bind

w = assisted_fixtures.w  # 孙有福 (no phone), his son and wife, and an open vote
jobs = job_fixtures.jobs  # a village with its books and a secretary, on a fixed clock


def _jobs(kind: str) -> dict[int, PushJob]:
    db.session.expire_all()
    return {j.person_id: j for j in db.session.scalars(select(PushJob).where(PushJob.kind == kind))}


def _data(job: PushJob) -> dict[str, str]:
    data = json.loads(job.data)
    assert all(len(v) <= 20 for k, v in data.items() if k.startswith("thing")), data
    return data


def test_the_draw_and_the_hires_tell_each_applicant_of_their_own_outcome_once(jobs):
    pid = jobs.posting(positions=1)
    a, b = jobs.villager("刘小梅"), jobs.villager("孙大海")
    a_household = db.session.get(type(a), a.id).household
    husband = jobs.villager("刘小梅丈夫", household=a_household)  # bound, but the application is not his
    for m, openid in ((a, "o-a"), (b, "o-b"), (husband, "o-husband")):
        bind(m.person_id, openid)
    bind(jobs.secretary.person_id, "o-sec")  # staff, no application: never told
    db.session.commit()
    jobs.applied(pid, a, b)
    assert _jobs(job_pushes.DRAWN) == {}  # applying tells nobody
    jobs.drawn(pid)
    drawn = _jobs(job_pushes.DRAWN)
    assert sorted(drawn) == sorted([a.person_id, b.person_id])
    apps = {x.person_id: x for x in db.session.scalars(select(JobApplication).where(JobApplication.posting_id == pid))}
    for person in (a.person_id, b.person_id):
        data = _data(drawn[person])
        assert data["thing1"] == "村道保洁员"
        assert data["phrase2"] == ("拟聘用" if apps[person].status == "selected" else "未抽中")
        assert drawn[person].object_id == apps[person].id and drawn[person].page == f"pages/job/job?id={pid}"
        assert drawn[person].template_id == template_for("job_outcome")
    [loser] = [m for m in (a, b) if apps[m.person_id].status == "waitlisted"]
    assert _data(drawn[loser.person_id])["thing3"] == "候补第1位"
    posting = db.session.get(JobPosting, pid)
    assert job_pushes.queue_drawn(posting, list(apps.values())) == 0  # once

    jobs.at(datetime.combine(posting.publicity_until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=2))
    r = jobs.confirm(pid)
    assert r.status_code == 201, r.json
    [winner] = [item["person_id"] for item in r.json["items"]]
    hired = _jobs(job_pushes.HIRED)
    assert list(hired) == [winner] and winner != loser.person_id  # the waitlisted one is told nothing more
    assert _data(hired[winner])["phrase2"] == "已聘用"
    db.session.expire_all()
    everyone = list(db.session.scalars(select(JobApplication).where(JobApplication.posting_id == pid)))
    assert job_pushes.queue_hired(posting, everyone, utcnow().date()) == 0


def test_an_assisted_action_tells_the_other_members_of_the_household_once(w, wechat):
    outbox.work()  # the vote's opening message to 孙小军 (no consent to it): out of the way
    bind(w.wife.person_id, "o-wife")
    bind(w.sun.person_id, "o-sun")  # even were 孙有福 to have WeChat, he is not told of his own entry
    neighbour = w.make.member(w.village, "邻居老李")
    bind(neighbour.person_id, "o-neighbour")
    db.session.commit()
    e = w.enter().json
    assert _jobs("assisted") == {}  # entered, not co-signed: nothing recorded, nobody told
    assert w.cosign(e["id"]).status_code == 200
    told = _jobs("assisted")
    assert sorted(told) == sorted([w.son.person_id, w.wife.person_id])
    data = json.dumps(_data(told[w.son.person_id]), ensure_ascii=False)
    assert "孙有福" in data and "反对" not in data and "oppose" not in data
    # once: asking again queues nothing
    assert queue_assisted_message(e["id"], [w.son.person_id, w.wife.person_id], member_name="孙有福",
                                  what="表决投票", at=utcnow()) == 0
    db.session.commit()
    tid = template_for("assisted")
    outbox.add_consent(w.son.person_id, tid, 2)
    db.session.commit()
    wechat.grant_consent("o-son", tid, 2)
    report = outbox.work()
    assert (report.sent, report.no_consent) == (1, 1)  # the son (consented), not the wife (none)
    assert outbox.work().sent == 0  # sent once, never again
    assert [m["touser"] for m in wechat.messages() if m["template_id"] == tid] == ["o-son"]
