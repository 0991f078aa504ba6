"""Applying (window, once per person and per household, on behalf of a villager, under concurrency), the sealed
list and the seeded draw (re-run by hand), the 公示 with its objections, and the hires it ends in."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.identity import mask_name
from backend.core.seal import Seal, canonical_json, verify_chain
from backend.jobs import service as jobs_service
from backend.jobs.models import JobApplication, JobDraw, JobHire, JobObjection, JobPosting
from backend.registry import settings
from tests.factories import parallel
from tests.jobs.conftest import T0, count, refused, snapshot

# ---------------------------------------------------------------- the window


def test_applications_are_taken_exactly_from_apply_from_to_apply_until(jobs):
    opens, closes = T0 + timedelta(days=1), T0 + timedelta(days=8)
    pid = jobs.posting(apply_from=opens.isoformat(), apply_until=closes.isoformat())
    early, first, last, late = (jobs.villager(n) for n in ("早到", "头一个", "最后一个", "迟到"))
    listed = f"/api/v1/villages/{jobs.village.id}/job-postings"

    jobs.at(opens - timedelta(microseconds=1))
    before = snapshot()
    assert refused(jobs.apply(pid, early), 409, "job.closed")["message"] == "该岗位不在报名时间内"
    assert snapshot() == before
    assert jobs.client.get(listed, headers=jobs.h(early)).json["items"] == []
    jobs.at(opens)
    jobs.applied(pid, first)
    assert [p["id"] for p in jobs.client.get(listed, headers=jobs.h(first)).json["items"]] == [pid]
    jobs.at(closes)
    jobs.applied(pid, last)
    assert [p["id"] for p in jobs.client.get(listed, headers=jobs.h(first)).json["items"]] == [pid]
    jobs.at(closes + timedelta(microseconds=1))
    before = snapshot()
    refused(jobs.apply(pid, late), 409, "job.closed")
    assert snapshot() == before
    assert jobs.client.get(listed, headers=jobs.h(first)).json["items"] == []
    # sealed: closed for good, whatever the clock says
    assert jobs.seal(pid).status_code == 200
    jobs.at(closes - timedelta(days=1))
    assert refused(jobs.apply(pid, late), 409, "job.closed")["message"] == "该岗位已停止报名"


def test_a_window_must_end_after_it_starts_and_after_now(jobs):
    before = snapshot()
    refused(jobs.post(apply_until=(T0 - timedelta(hours=2)).isoformat()), 422, "job.window_invalid")
    refused(jobs.post(apply_from=(T0 + timedelta(days=9)).isoformat()), 422, "job.window_invalid")
    refused(jobs.post(apply_from=(T0 - timedelta(days=2)).isoformat(),
                      apply_until=(T0 - timedelta(days=1)).isoformat()), 422, "job.window_invalid")
    refused(jobs.post(apply_until="2026-03-09T09:00:00"), 422, "validation.failed")  # no time zone
    assert snapshot() == before


# ---------------------------------------------------------------- once per person, once per household


def test_the_same_person_applies_once(jobs):
    pid = jobs.posting()
    m = jobs.villager()
    jobs.applied(pid, m)
    before = snapshot()
    refused(jobs.apply(pid, m, note="再报一次"), 409, "job.already_applied")
    assert snapshot() == before and count(JobApplication) == 1


def test_one_per_household_refuses_a_second_member_unless_the_posting_says_not(jobs):
    home = jobs.make.household(jobs.village, "LJ-H01")
    wife = jobs.villager("刘小梅", household=home, female=True)
    husband = jobs.villager("张大山", household=home)
    pid = jobs.posting()
    jobs.applied(pid, wife)
    before = snapshot()
    err = refused(jobs.apply(pid, husband), 409, "job.household_applied")
    assert "每户限一人" in err["message"]
    assert snapshot() == before
    free = jobs.posting(title="护林员", category="护林", one_per_household=False)
    jobs.applied(free, wife, husband)
    keys = db.session.execute(select(JobApplication.household_key).where(JobApplication.posting_id == free)).all()
    assert keys == [(None,), (None,)]
    # the village's rule sets the default
    settings.put("jobs.one_per_household", 0, actor=None, village=jobs.village)
    db.session.commit()
    loose = jobs.posting(title="护路员", category="护路")
    assert jobs.detail(loose)["one_per_household"] is False
    jobs.applied(loose, wife, husband)


def test_staff_cannot_apply_for_a_villager_directly_only_through_a_cosigned_assisted_entry(jobs):
    """A villager without a phone applies at the office through 代办 (tests/assisted): the secretary's entry and a
    supervisor's co-signature. The old direct path records nothing and says where to go."""
    pid = jobs.posting()
    grandma = jobs.villager("孙老太", born=date(1962, 8, 8), female=True)
    before = snapshot()
    r = jobs.client.post(f"/api/v1/job-postings/{pid}/applications", headers=jobs.sec(),
                         json={"person_id": grandma.person_id, "note": "本人没有手机，书记代报"})
    err = refused(r, 409, "job.use_assisted")
    assert "代办" in err["message"], err
    db.session.rollback()
    assert snapshot() == before
    assert db.session.execute(select(JobApplication)).first() is None
    # she herself may still apply, once
    assert jobs.apply(pid, grandma).status_code == 201
    refused(jobs.apply(pid, grandma), 409, "job.already_applied")


def test_a_villager_or_a_supervisor_cannot_apply_for_someone_else(jobs):
    pid = jobs.posting()
    neighbour = jobs.villager("隔壁老王")
    me = jobs.villager("刘小梅")
    supervisor = jobs.villager("孙立平", roles=("supervisor",))
    before = snapshot()
    for who in (me, supervisor):
        refused(jobs.client.post(f"/api/v1/job-postings/{pid}/applications", headers=jobs.h(who),
                                 json={"person_id": neighbour.person_id}), 403, "auth.forbidden")
    assert snapshot() == before
    # naming oneself is just applying
    r = jobs.client.post(f"/api/v1/job-postings/{pid}/applications", headers=jobs.h(me),
                         json={"person_id": me.person_id})
    assert r.status_code == 201 and r.json["assisted"] is False


def test_the_database_holds_one_application_per_person_and_per_household(jobs):
    pid = jobs.posting()
    home = jobs.make.household(jobs.village, "LJ-H02")
    a = jobs.villager("甲", household=home)
    b = jobs.villager("乙", household=home)
    p = db.session.get(JobPosting, pid)

    def row(m, key, receipt):
        return JobApplication(posting_id=pid, village_id=p.village_id, person_id=m.person_id,
                              household_id=home.id, household_key=key, receipt=receipt)

    db.session.add(row(a, home.id, "r1"))
    db.session.commit()
    for dup in (row(a, None, "r2"), row(b, home.id, "r3"), row(b, None, "r1")):
        db.session.add(dup)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    db.session.add(row(b, None, "r4"))  # NULL household keys never collide
    db.session.commit()
    assert count(JobApplication) == 2


def test_one_person_applying_from_many_phones_at_once_applies_once(app, jobs, postgres_only):
    pid = jobs.posting()
    m = jobs.villager()
    h = jobs.h(m)
    url = f"/api/v1/job-postings/{pid}/applications"
    results = parallel(app, [(lambda c: c.post(url, headers=h, json={})) for _ in range(16)])
    assert sorted(r.status_code for r in results) == [201] + [409] * 15, [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"job.already_applied"}
    assert count(JobApplication) == 1
    assert count(AuditEntry, AuditEntry.action == "job.apply") == 1


def test_a_whole_household_applying_at_once_gets_one_place(app, jobs, postgres_only):
    pid = jobs.posting()
    home = jobs.make.household(jobs.village, "LJ-H03")
    family = [jobs.villager(f"一家{i}", household=home) for i in range(8)]
    url = f"/api/v1/job-postings/{pid}/applications"
    heads = [jobs.h(m) for m in family]
    results = parallel(app, [(lambda c, h=h: c.post(url, headers=h, json={})) for h in heads])
    assert sorted(r.status_code for r in results) == [201] + [409] * 7, [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"job.household_applied"}
    assert count(JobApplication) == 1


def test_an_application_in_flight_at_the_deadline_is_on_the_sealed_list(app, jobs, monkeypatch, postgres_only):
    pid = jobs.posting()
    jobs.applied(pid, jobs.villager("早报名"))
    last = jobs.villager("卡点报名")
    deadline = db.session.get(JobPosting, pid).apply_until
    jobs.at(deadline)  # in time ...
    h, sec = jobs.h(last), jobs.sec()
    entered, release = threading.Event(), threading.Event()
    original = jobs_service.eligibility

    def slow(*args, **kwargs):  # ... but slow: the check of the roster takes a while
        if threading.current_thread().name == "applicant":
            entered.set()
            release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(jobs_service, "eligibility", slow)
    results = {}

    def run(key, method_url, headers):
        with app.app_context():
            try:
                results[key] = app.test_client().post(method_url, headers=headers, json={})
            finally:
                db.session.remove()

    applicant = threading.Thread(target=run, name="applicant",
                                 args=("apply", f"/api/v1/job-postings/{pid}/applications", h))
    applicant.start()
    assert entered.wait(10), applicant.join(10) or results["apply"].json
    jobs.at(deadline + timedelta(seconds=1))  # the secretary seals a second after the deadline
    sealer = threading.Thread(target=run, name="sealer", args=("seal", f"/api/v1/job-postings/{pid}/seal", sec))
    sealer.start()
    sealer.join(1.5)
    release.set()
    applicant.join(30)
    sealer.join(30)
    assert not applicant.is_alive() and not sealer.is_alive()
    assert results["seal"].status_code == 200, results["seal"].json
    receipts = set(db.session.execute(select(JobApplication.receipt)).scalars())
    sealed = json.loads(db.session.get(Seal, db.session.execute(select(JobDraw.list_seal_id)).scalar_one()).canonical)
    # either the application made it onto the sealed list, or it was refused: never taken and left out
    assert {a["receipt"] for a in sealed["applicants"]} == receipts
    assert results["apply"].status_code in (201, 409)
    assert len(receipts) == (2 if results["apply"].status_code == 201 else 1)


# ---------------------------------------------------------------- sealing and the seed


def test_the_list_is_sealed_only_after_the_window_only_once_and_not_empty(jobs):
    empty = jobs.posting(title="护林员", category="护林")
    pid = jobs.posting()
    jobs.applied(pid, jobs.villager("甲"))
    deadline = db.session.get(JobPosting, pid).apply_until
    jobs.at(deadline)  # the last moment of the window
    before = snapshot()
    refused(jobs.seal(pid), 409, "job.window_open")
    refused(jobs.draw(pid), 409, "job.not_sealed")  # no seed before the list is sealed
    assert snapshot() == before
    jobs.at(deadline + timedelta(microseconds=1))
    r = jobs.seal(pid)
    assert r.status_code == 200 and r.json["status"] == "sealed" and r.json["draw"]["seed"] is None
    before = snapshot()
    refused(jobs.seal(pid), 409, "job.not_open")
    refused(jobs.seal(empty), 409, "job.no_applicants")
    refused(jobs.client.post(f"/api/v1/job-postings/{pid}/draw", headers=jobs.sec(), json={"seed": "   "}), 422)
    assert snapshot() == before
    assert db.session.get(JobPosting, empty).status == "open"
    r = jobs.draw(pid, "7")
    assert r.status_code == 200 and r.json["status"] == "publicity"
    before = snapshot()
    refused(jobs.draw(pid, "8"), 409, "job.not_sealed")  # the seed is announced once
    assert snapshot() == before and jobs.detail(pid)["draw"]["seed"] == "7"


def _by_hand(canonical: str, seed: str) -> list[str]:
    """The published algorithm, written out again: priority first, then sha256(seed:receipt) ascending."""
    applicants = json.loads(canonical)["applicants"]
    first = [a for a in applicants if a["priority"]]
    rest = [a for a in applicants if not a["priority"]]

    def by_hash(group):
        return [a["receipt"] for a in sorted(group, key=lambda a: hashlib.sha256(
            (seed + ":" + a["receipt"]).encode("utf-8")).hexdigest())]

    return by_hash(first) + by_hash(rest)


def test_the_draw_puts_priority_groups_first_and_anyone_can_rerun_it(jobs):
    pid = jobs.posting(positions=3)
    poor = [jobs.villager(f"脱贫{i}", is_tuopin=True) for i in range(2)] + [jobs.villager("监测户人", is_jiance=True)]
    others = [jobs.villager(f"村民{i}") for i in range(6)]
    jobs.applied(pid, *(others[:3] + poor + others[3:]))
    seed = "03-11-19-27-35"
    d = jobs.drawn(pid, seed)

    draw = db.session.execute(select(JobDraw).where(JobDraw.posting_id == pid)).scalar_one()
    list_seal = db.session.get(Seal, draw.list_seal_id)
    # the sealed list is the seal's canonical JSON, and the hash is over it
    assert hashlib.sha256((list_seal.prev_hash + "\n" + list_seal.canonical).encode()).hexdigest() == draw.list_hash
    listed = json.loads(list_seal.canonical)
    assert canonical_json(listed) == list_seal.canonical
    assert listed["positions"] == 3 and len(listed["applicants"]) == 9
    names = {m.person.name for m in poor + others}
    assert {a["name"] for a in listed["applicants"]} == {mask_name(n) for n in names}  # masked in what is published
    order = _by_hand(list_seal.canonical, seed)
    assert d["draw"]["order"] == order == jobs_service.draw_order(listed["applicants"], seed)
    assert d["draw"]["list_hash"] == draw.list_hash and d["draw"]["seed"] == seed

    receipts = {a.person_id: a.receipt for a in db.session.execute(select(JobApplication)).scalars()}
    poor_receipts = {receipts[m.person_id] for m in poor}
    assert set(order[:3]) == poor_receipts  # three places, three in priority groups
    status = {a["receipt"]: (a["rank"], a["status"]) for a in d["applicants"]}
    assert [status[r] for r in order] == [(i, "selected" if i <= 3 else "waitlisted") for i in range(1, 10)]


def test_the_same_seed_gives_the_same_order_and_other_seeds_other_orders(jobs):
    pid = jobs.posting(positions=2)
    jobs.applied(pid, *(jobs.villager(f"村民{i}") for i in range(8)))
    d = jobs.drawn(pid, "seed-A")
    canonical = db.session.get(Seal, db.session.execute(select(JobDraw.list_seal_id)).scalar_one()).canonical
    applicants = json.loads(canonical)["applicants"]
    assert jobs_service.draw_order(applicants, "seed-A") == d["draw"]["order"] == _by_hand(canonical, "seed-A")
    assert jobs_service.draw_order(list(reversed(applicants)), "seed-A") == d["draw"]["order"]  # input order is moot
    others = {tuple(jobs_service.draw_order(applicants, s)) for s in ("seed-B", "seed-C", "seed-D", "seed-E")}
    assert len(others | {tuple(d["draw"]["order"])}) > 1
    assert all(sorted(o) == sorted(d["draw"]["order"]) for o in others)


def test_draw_order_is_a_pure_function_of_the_list_and_the_seed():
    applicants = [{"receipt": r, "priority": p} for r, p in
                  (("a1", False), ("b2", True), ("c3", False), ("d4", True), ("e5", False))]
    h = {r["receipt"]: hashlib.sha256(f"42:{r['receipt']}".encode()).hexdigest() for r in applicants}
    expected = sorted(["b2", "d4"], key=h.get) + sorted(["a1", "c3", "e5"], key=h.get)
    assert jobs_service.draw_order(applicants, "42") == expected
    assert jobs_service.draw_order(applicants, "42") == jobs_service.draw_order(applicants[::-1], "42")


def test_fewer_applicants_than_places_are_all_selected(jobs):
    pid = jobs.posting(positions=5)
    jobs.applied(pid, jobs.villager("甲"), jobs.villager("乙"))
    d = jobs.drawn(pid)
    assert sorted(a["status"] for a in d["applicants"]) == ["selected", "selected"]


def test_the_applicant_list_and_the_selected_list_are_sealed_into_the_village_chain(jobs):
    pid = jobs.posting(positions=1)
    jobs.applied(pid, jobs.villager("刘小梅"), jobs.villager("孙大海"))
    d = jobs.drawn(pid, "99")
    seals = db.session.execute(select(Seal).where(Seal.village_id == jobs.village.id).order_by(Seal.seq)).scalars()
    kinds = [(s.kind, s.object_id) for s in seals]
    assert kinds == [("job_applicants", pid), ("job_selection", pid)]
    check = verify_chain(jobs.village.id)
    assert check.ok and check.count == 2
    selection = db.session.get(Seal, db.session.get(JobPosting, pid).publicity_seal_id)
    body = json.loads(selection.canonical)
    assert selection.prev_hash == d["draw"]["list_hash"] == body["list_hash"]
    assert body["seed"] == "99" and body["order"] == d["draw"]["order"]
    assert [s["receipt"] for s in body["selected"]] == d["draw"]["order"][:1]
    assert body["publicity_until"] == d["publicity_until"]
    assert body["selected"][0]["name"] in ("刘*梅", "孙*海")


def test_villagers_see_masked_names_and_staff_see_them_in_full(jobs):
    pid = jobs.posting(positions=1)
    a, b = jobs.villager("刘小梅"), jobs.villager("孙大海")
    jobs.applied(pid, a, b)
    # during the window a villager sees no list, staff see it
    assert jobs.detail(pid, a)["applicants"] == []
    assert sorted(x["name"] for x in jobs.detail(pid)["applicants"]) == ["刘小梅", "孙大海"]
    jobs.drawn(pid)
    public = jobs.detail(pid, b)["applicants"]
    assert sorted(x["name"] for x in public) == ["刘*梅", "孙*海"]
    assert {(x["household_number"], x["age"]) for x in public} == {(None, None)}
    staff = jobs.detail(pid)["applicants"]
    assert sorted(x["name"] for x in staff) == ["刘小梅", "孙大海"]
    assert all(x["household_number"] and x["age"] == 50 for x in staff)
    supervisor = jobs.villager("监督员", roles=("supervisor",))
    assert sorted(x["name"] for x in jobs.detail(pid, supervisor)["applicants"]) == ["刘小梅", "孙大海"]


# ---------------------------------------------------------------- 公示 and objections


def _noon(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 4, tzinfo=UTC)  # 12:00 in the village


@pytest.mark.parametrize(("days", "last"), [(None, date(2026, 3, 13)), (3, date(2026, 3, 11)), (1, date(2026, 3, 9))])
def test_publicity_lasts_the_set_number_of_days_counting_the_draw_day(jobs, days, last):
    if days is not None:
        settings.put("jobs.publicity_days", days, actor=None, village=jobs.village)
        db.session.commit()
    pid = jobs.posting()  # the window closes on 9 March
    jobs.applied(pid, jobs.villager())
    d = jobs.drawn(pid)
    assert today() == date(2026, 3, 9)
    assert d["publicity_until"] == last.isoformat()


def test_objections_only_during_publicity_and_hires_only_after_it_with_every_objection_answered(jobs):
    pid = jobs.posting(positions=1)
    a, b = jobs.villager("刘小梅"), jobs.villager("孙大海")
    jobs.applied(pid, a, b)
    url = f"/api/v1/job-postings/{pid}/objections"
    jobs.close_window(pid)
    assert jobs.seal(pid).status_code == 200
    before = snapshot()
    refused(jobs.client.post(url, headers=jobs.h(a), json={"text": "还没抽签"}), 409, "job.not_in_publicity")
    refused(jobs.confirm(pid), 409, "job.not_in_publicity")
    assert snapshot() == before
    d = jobs.draw(pid).json
    last = date.fromisoformat(d["publicity_until"])
    jobs.at(_noon(last))
    r = jobs.client.post(url, headers=jobs.h(b), json={"text": "刘小梅家已有人在镇上工作"})
    assert r.status_code == 201 and r.json["answer"] is None
    oid = r.json["id"]
    before = snapshot()
    refused(jobs.confirm(pid), 409, "job.publicity_open")
    jobs.at(_noon(last + timedelta(days=1)))
    refused(jobs.client.post(url, headers=jobs.h(a), json={"text": "太晚了"}), 409, "job.not_in_publicity")
    err = refused(jobs.confirm(pid), 409, "job.objections_open")
    assert "1 条" in err["message"]
    assert snapshot() == before
    # issue 20: public in count, private in author — others see how many; the author sees theirs
    seen = jobs.detail(pid, a)
    assert seen["objections"] == [] and seen["objection_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert [o["text"] for o in jobs.detail(pid, b)["my_objections"]] == ["刘小梅家已有人在镇上工作"]
    ans = f"/api/v1/job-objections/{oid}/answer"
    refused(jobs.client.post(ans, headers=jobs.h(a), json={"answer": "我自己答"}), 403)
    r = jobs.client.post(ans, headers=jobs.sec(), json={"answer": "经核实其家人为临时工，不影响资格"})
    assert r.status_code == 200 and r.json["answered_at"]
    refused(jobs.client.post(ans, headers=jobs.sec(), json={"answer": "再答"}), 409, "job.objection_answered")
    assert db.session.get(JobObjection, oid).answer == "经核实其家人为临时工，不影响资格"
    r = jobs.confirm(pid)
    assert r.status_code == 201, r.json
    assert len(r.json["items"]) == 1
    statuses = dict(db.session.execute(select(JobApplication.person_id, JobApplication.status)).all())
    winner = r.json["items"][0]["person_id"]
    loser = ({a.person_id, b.person_id} - {winner}).pop()
    assert (statuses[winner], statuses[loser]) == ("hired", "waitlisted")
    assert db.session.get(JobPosting, pid).status == "confirmed"
    before = snapshot()
    refused(jobs.confirm(pid), 409, "job.not_in_publicity")  # once
    assert snapshot() == before


def test_a_hire_cannot_start_in_the_past(jobs):
    pid = jobs.posting(positions=1)
    jobs.applied(pid, jobs.villager())
    d = jobs.drawn(pid)
    jobs.at(_noon(date.fromisoformat(d["publicity_until"]) + timedelta(days=1)))
    before = snapshot()
    refused(jobs.confirm(pid, today() - timedelta(days=1)), 422, "job.start_invalid")
    assert snapshot() == before


@pytest.mark.parametrize(("term", "start", "end"), [
    (None, date(2026, 4, 1), date(2027, 3, 31)),  # the default: a year
    (6, date(2026, 3, 16), date(2026, 9, 15)),
    (1, date(2026, 3, 31), date(2026, 4, 30)),  # a month from the 31st ends with the shorter month
    (12, date(2026, 3, 31), date(2027, 3, 30)),
    (11, date(2026, 3, 31), date(2027, 2, 28)),
    (3, date(2026, 3, 29), date(2026, 6, 28)),
])
def test_a_hire_runs_for_the_postings_term(jobs, term, start, end):
    pid = jobs.posting(positions=1, **({"term_months": term} if term else {}))
    m = jobs.villager()
    jobs.applied(pid, m)
    hire = jobs.hired(pid, start_on=start)[0]
    assert (hire["start_on"], hire["end_on"]) == (start.isoformat(), end.isoformat())
    h = db.session.get(JobHire, hire["id"])
    assert (h.person_id, h.monthly_wage_fen, h.agreement_no) == (m.person_id, 600_00, f"GY-{pid}-01")
    assert jobs.client.get(f"/api/v1/job-postings/{pid}/hires", headers=jobs.sec()).json["items"] == [hire]


def test_the_term_never_exceeds_the_local_maximum(jobs):
    before = snapshot()
    refused(jobs.post(term_months=13), 422, "job.term_invalid")
    refused(jobs.post(term_months=0), 422, "validation.failed")
    assert snapshot() == before
    settings.put("jobs.max_term_months", 6, actor=None, township=jobs.township)
    db.session.commit()
    refused(jobs.post(term_months=7), 422, "job.term_invalid")
    pid = jobs.posting(positions=1)
    assert jobs.detail(pid)["term_months"] == 6
    # a posting made under a longer rule: the agreement still ends within the rule in force when it is signed
    settings.put("jobs.max_term_months", 12, actor=None, village=jobs.village)
    db.session.commit()
    long_one = jobs.posting(positions=1, term_months=12, title="护林员", category="护林")
    settings.put("jobs.max_term_months", 3, actor=None, village=jobs.village)
    db.session.commit()
    jobs.applied(long_one, jobs.villager())
    hire = jobs.hired(long_one, start_on=date(2026, 4, 1))[0]
    assert hire["end_on"] == "2026-06-30"


def test_ending_a_hire_needs_a_reason_and_a_day_within_the_term(jobs):
    pid = jobs.posting(positions=1)
    jobs.applied(pid, jobs.villager())
    hire = jobs.hired(pid, start_on=date(2026, 4, 1))[0]
    url = f"/api/v1/job-hires/{hire['id']}/end"
    before = snapshot()
    refused(jobs.client.post(url, headers=jobs.sec(), json={"on": "2026-05-31"}), 422, "validation.failed")
    refused(jobs.client.post(url, headers=jobs.sec(), json={"on": "2026-03-31", "reason": "外出"}), 422,
            "job.end_invalid")
    refused(jobs.client.post(url, headers=jobs.sec(), json={"on": "2027-04-01", "reason": "外出"}), 422,
            "job.end_invalid")
    assert snapshot() == before
    r = jobs.client.post(url, headers=jobs.sec(), json={"on": "2026-05-31", "reason": "  户口迁出  "})
    assert r.status_code == 200, r.json
    assert (r.json["ended_on"], r.json["end_reason"]) == ("2026-05-31", "户口迁出")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "job.hire_end")).scalar_one()
    assert entry.actor_person_id == jobs.secretary.person_id
    before = snapshot()
    refused(jobs.client.post(url, headers=jobs.sec(), json={"on": "2026-06-30", "reason": "再停"}), 409,
            "job.hire_ended")
    assert snapshot() == before
