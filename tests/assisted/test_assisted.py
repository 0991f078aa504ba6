"""Assisted actions for members without a phone: entered by one staff person with the member present, co-signed by
a 村务监督委员 in their own session; nothing recorded before; the ballot stays secret; refusals and expiry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend.assisted.models import AssistedEntry
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.votes import service as votes
from backend.decisions.votes.assisted import VoteAssist
from backend.decisions.votes.models import Ballot, VoteParticipation
from backend.jobs.models import JobApplication
from backend.notices import outbox
from backend.notices.messages import assisted_template_id
from backend.notices.models import PushJob
from backend.registry.models import Member
from tests.factories import Factory, id_card, resolved_decision
from tests.notices.conftest import bind

API = "/api/v1"
SUN_ID = id_card(born=date(1953, 2, 11), n=371)
WIFE_ID = id_card(born=date(1966, 5, 1), female=True, n=372)  # young enough for a job (16 to 65 here)


def count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return int(db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@dataclass
class World:
    client: Any
    make: Factory
    now: list
    village: Any
    secretary: Member
    supervisor: Member
    supervisor2: Member
    committee: Member
    sun: Member
    son: Member
    wife: Member
    vote_id: int

    def h(self, who: Any) -> dict[str, str]:
        return self.make.headers(who)

    def enter(self, who: Any = None, **over: Any) -> Any:
        body = {"kind": "vote", "person_id": self.sun.person_id, "vote_id": self.vote_id, "choice": "反对",
                "member_confirmed": True, "id_last4": SUN_ID[-4:]}
        body.update(over)
        return self.client.post(f"{API}/villages/{self.village.id}/assisted-entries", json=body,
                                headers=self.h(who or self.secretary))

    def cosign(self, entry_id: int, who: Any = None, present: bool = True) -> Any:
        return self.client.post(f"{API}/assisted-entries/{entry_id}/cosign", json={"present_confirmed": present},
                                headers=self.h(who or self.supervisor))

    def refuse(self, entry_id: int, who: Any = None, reason: str = "本人未到场") -> Any:
        return self.client.post(f"{API}/assisted-entries/{entry_id}/refuse", json={"reason": reason},
                                headers=self.h(who or self.supervisor))

    def ballots(self) -> int:
        return count(Ballot, Ballot.vote_id == self.vote_id)

    def participations(self) -> int:
        return count(VoteParticipation, VoteParticipation.vote_id == self.vote_id)


def _open_vote(decision: Any, body: str = "villagers_meeting", days: int = 7) -> int:
    now = utcnow()
    v = votes.open_vote(decision, stage="决议", body=body, title="村道修缮方案表决",
                        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=days), actor=None)
    db.session.commit()
    return v.id


@pytest.fixture
def w(client, make, now) -> World:
    qs = make.township("QS", "青山镇")
    v = make.village("LJ01", "临江村", township=qs)
    secretary = make.member(v, "王建国", roles=("secretary",))
    supervisor = make.member(v, "赵德明", roles=("supervisor",))
    supervisor2 = make.member(v, "钱监督", roles=("supervisor",))
    committee = make.member(v, "李委员", roles=("committee",))
    h = make.household(v, "LJ-007")
    sun = make.member(v, "孙有福", household=h, id_no=SUN_ID)
    son = make.member(v, "孙小军", household=h, head=False)
    wife = make.member(v, "孙大娘", household=h, head=False, id_no=WIFE_ID)
    bind(son.person_id, "o-son")
    decision = resolved_decision(v.id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    return World(client, make, now, v, secretary, supervisor, supervisor2, committee, sun, son, wife,
                 _open_vote(decision))


def _choice_leaks(payload: Any) -> bool:
    s = json.dumps(payload, ensure_ascii=False, default=str)
    return any(word in s for word in ("oppose", "反对"))


def test_nothing_is_recorded_before_the_cosignature_then_exactly_one_assisted_ballot(w):
    r = w.enter()
    assert r.status_code == 201, r.json
    e = r.json
    assert e["status"] == "pending" and e["member_name"] == "孙有福" and e["household_number"] == "LJ-007"
    assert e["entered_by"] == "王建国" and e["target"]["title"] == "村道修缮方案表决"
    assert 0 < e["expires_in_seconds"] <= 30 * 60
    assert w.ballots() == 0 and w.participations() == 0
    # the supervisor's inbox: the entry, never the choice
    inbox = w.client.get(f"{API}/villages/{w.village.id}/assisted-entries?status=pending", headers=w.h(w.supervisor))
    assert [x["id"] for x in inbox.json] == [e["id"]] and not _choice_leaks(inbox.json)
    assert not _choice_leaks(e)

    r = w.cosign(e["id"])
    assert r.status_code == 200, r.json
    assert r.json["status"] == "signed" and r.json["cosigned_by"] == "赵德明" and not _choice_leaks(r.json)
    assert w.ballots() == 1 and w.participations() == 1
    part = db.session.execute(select(VoteParticipation).where(VoteParticipation.vote_id == w.vote_id)).scalar_one()
    assert (part.unit, part.channel, part.cast_by_id) == (w.sun.person_id, "assisted", w.secretary.person_id)
    assist = db.session.get(VoteAssist, part.id)
    assert (assist.entered_by_id, assist.cosigned_by_id) == (w.secretary.person_id, w.supervisor.person_id)
    assert db.session.execute(select(Ballot.choice).where(Ballot.vote_id == w.vote_id)).scalar_one() == "oppose"
    entry = db.session.get(AssistedEntry, e["id"])
    assert entry.held_choice is None and entry.participation_id == part.id
    # the counts per staff pair are public; the choice nowhere in the log
    from backend.decisions.votes.assisted import assisted_counts, assisted_voters

    assert assisted_counts(w.vote_id) == [{"entered_by": "王建国", "cosigned_by": "赵德明", "count": 1}]
    assert assisted_voters(w.vote_id) == {w.sun.person_id: {"entered_by": "王建国", "cosigned_by": "赵德明"}}
    log = db.session.execute(select(AuditEntry).where(AuditEntry.object_type == "assisted_entry")
                             .order_by(AuditEntry.id)).scalars().all()
    assert [a.action for a in log] == ["assisted.enter", "assisted.cosign"]
    assert not any(_choice_leaks([a.before, a.after]) for a in log)
    # the member now counts as having voted: a second entry is refused
    again = w.enter()
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_cast"


def test_the_held_choice_is_sealed_not_plain(w):
    e = w.enter(choice="agree").json
    held = db.session.get(AssistedEntry, e["id"]).held_choice
    assert held and "agree" not in held and "同意" not in held


def test_the_same_staff_cannot_cosign_api_and_database(w):
    both = w.make.member(w.village, "周双职", roles=("secretary", "supervisor"))
    db.session.commit()
    e = w.enter(who=both).json
    r = w.cosign(e["id"], who=both)
    assert r.status_code == 403 and r.json["error"]["code"] == "assisted.same_person"
    assert "录入人不能自己会签" in r.json["error"]["message"]
    assert w.ballots() == 0
    db.session.rollback()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE assisted_entries SET status = 'signed', held_choice = NULL, "
                                "cosigned_by_id = entered_by_id, cosigned_at = entered_at, closed_at = entered_at,"
                                " participation_id = NULL WHERE id = :i"), {"i": e["id"]})
    db.session.rollback()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(VoteAssist(participation_id=999, vote_id=w.vote_id, entered_by_id=w.secretary.person_id,
                                  cosigned_by_id=w.secretary.person_id))
    db.session.rollback()


def test_only_a_supervisor_cosigns(w):
    e = w.enter().json
    for who in (w.committee, w.son):
        r = w.cosign(e["id"], who=who)
        assert r.status_code == 403, r.json
    assert w.cosign(e["id"], who=w.committee).json["error"]["code"] == "assisted.not_supervisor"
    assert w.ballots() == 0 and db.session.get(AssistedEntry, e["id"]).status == "pending"
    r = w.cosign(e["id"], present=False)
    assert r.status_code == 422 and "present_confirmed" in r.json["error"]["details"]["fields"]
    assert w.cosign(e["id"], who=w.supervisor2).status_code == 200


def test_entering_needs_the_member_in_person_and_the_right_staff(w):
    r = w.enter(member_confirmed=False)
    assert r.status_code == 422 and r.json["error"]["code"] == "assisted.not_confirmed"
    r = w.enter(id_last4="0000")
    assert r.status_code == 422 and r.json["error"]["code"] == "assisted.id_mismatch"
    assert "身份证后4位" in r.json["error"]["details"]["fields"]["id_last4"][0]
    r = w.enter(id_last4="12")
    assert r.status_code == 422 and r.json["error"]["details"]["fields"]["id_last4"]
    r = w.enter(choice="赞成")
    assert r.status_code == 422 and "同意、反对或弃权" in r.json["error"]["message"]
    # a committee member may enter a job application, not a ballot (decisions.manage); a supervisor neither
    assert w.enter(who=w.committee).status_code == 403
    assert w.enter(who=w.supervisor).status_code == 403
    assert w.enter(who=w.son).status_code == 403
    assert count(AssistedEntry) == 0
    # one pending entry per member and vote
    assert w.enter().status_code == 201
    dup = w.enter(choice="同意")
    assert dup.status_code == 409 and dup.json["error"]["code"] == "assisted.pending_exists"


def test_refused_entry_records_nothing_and_erases_the_choice(w):
    e = w.enter().json
    r = w.refuse(e["id"], reason="")
    assert r.status_code == 422
    r = w.refuse(e["id"])
    assert r.status_code == 200 and r.json["status"] == "refused" and r.json["refused_by"] == "赵德明"
    assert db.session.get(AssistedEntry, e["id"]).held_choice is None
    assert w.ballots() == 0 and w.participations() == 0
    r = w.cosign(e["id"], who=w.supervisor2)
    assert r.status_code == 409 and r.json["error"]["code"] == "assisted.not_pending"
    # the member can be entered again; the enterer may withdraw their own entry
    e2 = w.enter().json
    assert w.refuse(e2["id"], who=w.secretary, reason="选择录错了").status_code == 200
    assert count(AuditEntry, AuditEntry.action == "assisted.withdraw") == 1


def test_an_unsigned_entry_expires_and_is_refused_at_cosign(w):
    e = w.enter().json
    w.now[0] = w.now[0] + timedelta(minutes=30, seconds=1)
    r = w.cosign(e["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "assisted.expired"
    assert "超过会签时限" in r.json["error"]["message"]
    entry = db.session.get(AssistedEntry, e["id"])
    db.session.refresh(entry)
    assert entry.status == "expired" and entry.held_choice is None
    assert w.ballots() == 0 and w.participations() == 0
    assert count(AuditEntry, AuditEntry.action == "assisted.expire") == 1


def test_the_cli_sweeps_expired_entries(w, app):
    e = w.enter().json
    w.now[0] = w.now[0] + timedelta(minutes=31)
    result = app.test_cli_runner().invoke(args=["assisted", "expire"])
    assert "已作废 1 项" in result.output
    entry = db.session.get(AssistedEntry, e["id"])
    db.session.refresh(entry)
    assert entry.status == "expired" and entry.held_choice is None


def test_the_expiry_is_a_village_setting(w):
    staff = w.make.staff(w.village.township, "郑雯")
    db.session.commit()
    r = w.client.put(f"{API}/villages/{w.village.id}/settings/assisted.expiry_minutes", json={"value": 5},
                     headers=w.h(staff))
    assert r.status_code == 200, r.json
    e = w.enter().json
    assert 0 < e["expires_in_seconds"] <= 5 * 60
    w.now[0] = w.now[0] + timedelta(minutes=5)
    assert w.cosign(e["id"]).json["error"]["code"] == "assisted.expired"


def test_already_voted_is_refused_at_entry_and_at_cosign(w):
    e = w.enter().json
    # meanwhile the member voted some other way (here: the paper tally of a meeting)
    r = w.client.post(f"{API}/votes/{w.vote_id}/paper-tally", headers=w.h(w.secretary),
                      json={"voters": [w.sun.person_id], "agree": 1, "oppose": 0, "abstain": 0,
                            "signed_by": ["计票人甲", "监票人乙"]})
    assert r.status_code == 201, r.json
    r = w.cosign(e["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.already_cast"
    assert w.ballots() == 1 and count(VoteAssist) == 0
    assert db.session.get(AssistedEntry, e["id"]).status == "pending"
    r = w.enter(person_id=w.sun.person_id)
    assert r.status_code == 409  # pending entry or already voted


def test_a_closed_vote_is_refused_at_cosign(w):
    e = w.enter().json
    w.now[0] = w.now[0] + timedelta(days=8)
    entry = db.session.get(AssistedEntry, e["id"])
    entry.expires_at = w.now[0] + timedelta(minutes=10)  # as if the vote closed while the entry waited
    db.session.commit()
    r = w.cosign(e["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.closed"
    assert w.ballots() == 0


def test_not_an_elector_is_refused_at_entry(w):
    rep_vote = _open_vote(resolved_decision(w.village.id, "代表会议事项", "project", None, date(2026, 1, 3)),
                          body="representatives_meeting")
    w.make.member(w.village, "陈代表", roles=("representative",))
    db.session.commit()
    r = w.enter(vote_id=rep_vote)
    assert r.status_code == 403 and r.json["error"]["code"] == "vote.not_eligible"


def test_push_to_the_household_member_with_consent_only(w, wechat):
    e = w.enter().json
    outbox.work()  # the vote's opening message to 孙小军 (no consent to it): out of the way
    assert count(PushJob, PushJob.kind == "assisted") == 0
    w.cosign(e["id"])
    [job] = db.session.execute(select(PushJob).where(PushJob.kind == "assisted")).scalars().all()
    assert (job.kind, job.person_id, job.template_id) == ("assisted", w.son.person_id, assisted_template_id())
    assert "孙有福" in job.data and not _choice_leaks(job.data)
    report = outbox.work()  # no consent given: never sent
    assert report.no_consent == 1 and wechat.messages() == []
    # with consent: sent
    job2_entry = w.enter(kind="job_application", vote_id=None, choice=None, posting_id=_posting(w),
                         person_id=w.wife.person_id, id_last4=WIFE_ID[-4:]).json
    outbox.add_consent(w.son.person_id, assisted_template_id(), 1)
    db.session.commit()
    wechat.grant_consent("o-son", assisted_template_id(), 1)
    w.cosign(job2_entry["id"])
    report = outbox.work()
    assert report.sent == 1
    [msg] = wechat.messages()
    assert msg["touser"] == "o-son" and not _choice_leaks(msg)
    assert "孙大娘" in json.dumps(msg, ensure_ascii=False)


def _posting(w: World, **over: Any) -> int:
    now = w.now[0]
    body = {"title": "村道保洁员", "category": "保洁", "positions": 2, "monthly_wage": "600.00",
            "apply_from": (now - timedelta(hours=1)).isoformat(), "apply_until": (now + timedelta(days=7)).isoformat(),
            **over}
    r = w.client.post(f"{API}/villages/{w.village.id}/job-postings", headers=w.h(w.secretary), json=body)
    assert r.status_code == 201, r.json
    return int(r.json["id"])


def test_a_job_application_the_same_way(w):
    pid = _posting(w)
    opts = w.client.get(f"{API}/villages/{w.village.id}/assisted-options?person_id={w.sun.person_id}",
                        headers=w.h(w.committee)).json
    assert [p["id"] for p in opts["postings"]] == [pid] and opts["postings"][0]["eligible"] is False
    assert "65" in opts["postings"][0]["reason"]  # 孙有福 is 73: why he may not apply, before anything is entered
    assert [v["id"] for v in opts["votes"]] == [w.vote_id] and opts["name"] == "孙有福"
    r = w.enter(who=w.committee, kind="job_application", vote_id=None, choice=None, posting_id=pid)
    assert r.status_code == 403 and r.json["error"]["code"] == "job.not_eligible"
    opts = w.client.get(f"{API}/villages/{w.village.id}/assisted-options?person_id={w.wife.person_id}",
                        headers=w.h(w.committee)).json
    assert opts["postings"][0]["eligible"] is True
    e = w.enter(who=w.committee, kind="job_application", vote_id=None, choice=None, posting_id=pid,
                person_id=w.wife.person_id, id_last4=WIFE_ID[-4:], note="本人没有手机").json
    assert count(JobApplication) == 0
    r = w.cosign(e["id"])
    assert r.status_code == 200, r.json
    a = db.session.execute(select(JobApplication)).scalar_one()
    assert (a.person_id, a.assisted_by_id, a.note) == (w.wife.person_id, w.committee.person_id, "本人没有手机")
    assert db.session.get(AssistedEntry, e["id"]).application_id == a.id
    again = w.enter(who=w.committee, kind="job_application", vote_id=None, choice=None, posting_id=pid,
                    person_id=w.wife.person_id, id_last4=WIFE_ID[-4:])
    assert again.status_code == 409 and again.json["error"]["code"] == "job.already_applied"


def test_the_direct_staff_application_on_behalf_is_refused(w):
    pid = _posting(w)
    r = w.client.post(f"{API}/job-postings/{pid}/applications", headers=w.h(w.secretary),
                      json={"person_id": w.wife.person_id})
    assert r.status_code == 409 and r.json["error"]["code"] == "job.use_assisted"
    assert "代办" in r.json["error"]["message"]
    assert count(JobApplication) == 0


def test_another_village_sees_nothing(w):
    xz = w.make.village("XZ01", "新竹村", township=w.village.township)
    zhou = w.make.member(xz, "周海", roles=("secretary", "supervisor"))
    db.session.commit()
    e = w.enter().json
    for method, path, body in [
        ("GET", f"{API}/villages/{w.village.id}/assisted-entries", None),
        ("POST", f"{API}/villages/{w.village.id}/assisted-entries", {}),
        ("GET", f"{API}/villages/{w.village.id}/assisted-options?person_id={w.sun.person_id}", None),
        ("GET", f"{API}/assisted-entries/{e['id']}", None),
        ("POST", f"{API}/assisted-entries/{e['id']}/cosign", {"present_confirmed": True}),
        ("POST", f"{API}/assisted-entries/{e['id']}/refuse", {"reason": "x"}),
    ]:
        r = w.client.open(path, method=method, json=body, headers=w.h(zhou))
        assert r.status_code == 404, (path, r.json)
    # and his own village's secretary cannot enter a 临江村 vote or member there
    r = w.client.post(f"{API}/villages/{xz.id}/assisted-entries", headers=w.h(zhou),
                      json={"kind": "vote", "person_id": w.sun.person_id, "vote_id": w.vote_id, "choice": "同意",
                            "member_confirmed": True, "id_last4": SUN_ID[-4:]})
    assert r.status_code == 422 and r.json["error"]["code"] == "assisted.member"
    assert w.ballots() == 0
