"""The villager's side (contract: shared/API.md "Public-benefit jobs"): open postings, my applications, and who
may do what — villagers, supervisors and the township read or apply, only the two committees manage, another
village's people see nothing, and nobody anonymous."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend.core.db import db
from backend.jobs.models import JobObjection
from tests.jobs.conftest import T0, refused, snapshot

CONTRACT_POSTING = {"id", "title", "category", "positions", "monthly_wage", "apply_until"}
CONTRACT_MINE = {"posting", "status", "updated_at"}


def _iso(s: str) -> datetime:
    assert s.endswith("+08:00"), s
    return datetime.fromisoformat(s)


def test_open_postings_are_listed_in_the_contract_shape_and_only_while_open(jobs):
    v = jobs.villager()
    soon = jobs.posting(title="护林员", category="护林", positions=1, monthly_wage="450.50",
                        apply_until=(T0 + timedelta(days=3)).isoformat())
    later = jobs.posting()
    not_yet = jobs.posting(title="护路员", category="护路", apply_from=(T0 + timedelta(days=5)).isoformat(),
                           apply_until=(T0 + timedelta(days=12)).isoformat())
    sealed = jobs.posting(title="水管员", category="水管", apply_until=(T0 + timedelta(days=2)).isoformat())
    jobs.applied(sealed, jobs.villager("已报名"))
    other = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    other_sec = jobs.villager("周海", village=other, roles=("secretary",))
    r = jobs.client.post(f"/api/v1/villages/{other.id}/job-postings", headers=jobs.h(other_sec),
                         json=jobs.posting_body(title="新竹保洁"))
    assert r.status_code == 201
    jobs.at(T0 + timedelta(days=2, seconds=1))
    assert jobs.seal(sealed).status_code == 200
    r = jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-postings", headers=jobs.h(v))
    assert r.status_code == 200
    items = r.json["items"]
    assert [p["id"] for p in items] == [soon, later] and r.json["total"] == 2  # closing soonest first
    first = items[0]
    assert set(first) >= CONTRACT_POSTING
    assert {k: first[k] for k in CONTRACT_POSTING - {"apply_until"}} == {
        "id": soon, "title": "护林员", "category": "护林", "positions": 1, "monthly_wage": "450.50"}
    assert _iso(first["apply_until"]) == T0 + timedelta(days=3)
    # every posting, whatever its state, for the village's own page
    everything = jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-postings/all", headers=jobs.h(v)).json
    assert [(p["id"], p["status"]) for p in everything["items"]] == [
        (sealed, "sealed"), (not_yet, "open"), (later, "open"), (soon, "open")]  # newest first


def test_a_postings_page_tells_the_villager_whether_they_may_apply_and_why(jobs):
    pid = jobs.posting(max_age=60)
    young, old = jobs.villager("年轻人"), jobs.villager("老人", born=datetime(1960, 1, 1).date())
    assert jobs.detail(pid, young)["eligibility"] == {"ok": True, "reason": None, "priority": False}
    e = jobs.detail(pid, old)["eligibility"]
    assert e["ok"] is False and "66 岁" in e["reason"]


def test_my_applications_in_the_contract_shape_newest_first(jobs):
    me = jobs.villager()
    a = jobs.posting(title="村道保洁员", positions=1)
    b = jobs.posting(title="护林员", category="护林", apply_until=(T0 + timedelta(days=10)).isoformat())
    c = jobs.posting(title="护路员", category="护路", apply_until=(T0 + timedelta(days=10)).isoformat())
    jobs.applied(a, me)
    jobs.later(hours=1)
    jobs.applied(b, me)
    (applied_c,) = jobs.applied(c, me)  # at the same moment: the later one is the newer
    jobs.applied(a, jobs.villager("别人"))
    mine = jobs.client.get("/api/v1/me/job-applications", headers=jobs.h(me)).json
    assert mine["total"] == 3
    assert [(x["posting"]["id"], x["status"]) for x in mine["items"]] == [(c, "applied"), (b, "applied"),
                                                                          (a, "applied")]
    item = mine["items"][0]
    assert set(item) >= CONTRACT_MINE and item["posting"] == {"id": c, "title": "护路员"}
    assert _iso(item["updated_at"]) == T0 + timedelta(hours=1) and item["status_label"] == "已报名"
    # the receipt is there too: a phone whose answer to the application was lost still finds it
    assert (item["id"], item["receipt"]) == (applied_c["id"], applied_c["receipt"])
    # the draw of the first one changes it: it comes to the top with its outcome
    jobs.drawn(a)
    mine = jobs.client.get("/api/v1/me/job-applications", headers=jobs.h(me)).json["items"]
    assert mine[0]["posting"]["id"] == a and mine[0]["status"] in ("selected", "waitlisted")
    assert _iso(mine[0]["updated_at"]) > _iso(mine[1]["updated_at"])
    page = jobs.client.get("/api/v1/me/job-applications", headers=jobs.h(me), query_string={"page_size": 2,
                                                                                              "page": 2}).json
    assert page["total"] == 3 and [x["posting"]["id"] for x in page["items"]] == [b]
    assert jobs.client.get("/api/v1/me/job-applications", headers=jobs.h(jobs.villager("没报名"))).json["items"] == []


# ---------------------------------------------------------------- permissions


@pytest.fixture
def scene(jobs):
    """A confirmed posting with a hire and a pay record, and a second posting in its 公示 with an objection."""
    worker = jobs.villager("刘小梅")
    done = jobs.posting(positions=1)
    jobs.applied(done, worker)
    hire = jobs.hired(done)[0]["id"]
    r = jobs.client.post(f"/api/v1/job-hires/{hire}/pay", headers=jobs.sec(),
                         json={"month": jobs.now[0].strftime("%Y-%m"), "days_worked": 10})
    assert r.status_code == 201
    applicant = jobs.villager("孙大海")
    pid = jobs.posting(title="护林员", category="护林", positions=1)
    jobs.applied(pid, applicant)
    jobs.drawn(pid)
    r = jobs.client.post(f"/api/v1/job-postings/{pid}/objections", headers=jobs.h(worker), json={"text": "请核实"})
    assert r.status_code == 201
    jobs.later(days=1)
    return {"worker": worker, "hire": hire, "posting": pid, "objection": r.json["id"], "applicant": applicant}


def _staff_calls(jobs, s):
    v, p, month = jobs.village.id, s["posting"], jobs.now[0].strftime("%Y-%m")
    day = jobs.now[0].date().isoformat()
    manage = [
        ("POST", f"/api/v1/villages/{v}/job-postings", jobs.posting_body()),
        ("POST", f"/api/v1/job-postings/{p}/seal", None),
        ("POST", f"/api/v1/job-postings/{p}/draw", {"seed": "1"}),
        ("POST", f"/api/v1/job-objections/{s['objection']}/answer", {"answer": "已核实"}),
        ("POST", f"/api/v1/job-postings/{p}/hires", {"start_on": day}),
        ("POST", f"/api/v1/job-hires/{s['hire']}/end", {"on": day, "reason": "不履职"}),
        ("POST", f"/api/v1/job-hires/{s['hire']}/pay", {"month": month, "days_worked": 5}),
        ("POST", f"/api/v1/villages/{v}/job-pay", {"month": month, "paid_on": day}),
        ("POST", f"/api/v1/job-postings/{p}/applications", {"person_id": s["applicant"].person_id}),
    ]
    read = [
        ("GET", f"/api/v1/job-postings/{p}/hires", None),
        ("GET", f"/api/v1/job-postings/{p}/selected.xlsx", None),
        ("GET", f"/api/v1/villages/{v}/job-pay.xlsx?month={month}", None),
    ]
    public = [
        ("GET", f"/api/v1/villages/{v}/job-postings", None),
        ("GET", f"/api/v1/villages/{v}/job-postings/all", None),
        ("GET", f"/api/v1/job-postings/{p}", None),
        ("POST", f"/api/v1/job-postings/{p}/applications", {}),
        ("POST", f"/api/v1/job-postings/{p}/objections", {"text": "有意见"}),
    ]
    return manage, read, public


def _call(jobs, method, url, body, headers):
    return jobs.client.open(url, method=method, headers=headers, json=body)


def test_a_villager_gets_403_on_every_staff_endpoint_and_nothing_changes(jobs, scene):
    manage, read, _ = _staff_calls(jobs, scene)
    before = snapshot()
    for method, url, body in manage + read:
        refused(_call(jobs, method, url, body, jobs.h(scene["worker"])), 403, "auth.forbidden")
    assert snapshot() == before
    assert db.session.get(JobObjection, scene["objection"]).answer is None


@pytest.mark.parametrize("role", ["supervisor", "accountant", "township_staff"])
def test_supervisors_the_accountant_and_the_township_read_but_cannot_manage(jobs, scene, role):
    if role == "township_staff":
        who = jobs.make.staff(jobs.township, "郑雯")
        db.session.commit()
    else:
        who = jobs.villager("孙立平", roles=(role,))
    manage, read, _ = _staff_calls(jobs, scene)
    before = snapshot()
    for method, url, body in manage:
        refused(_call(jobs, method, url, body, jobs.h(who)), 403, "auth.forbidden")
    assert snapshot() == before
    for method, url, body in read:
        r = _call(jobs, method, url, body, jobs.h(who))
        assert r.status_code == 200, (url, r.json)
    hires = _call(jobs, "GET", f"/api/v1/job-postings/{scene['posting']}/hires", None, jobs.h(who)).json
    assert hires == {"items": []}  # the posting in 公示 has no hire yet
    names = {a["name"] for a in jobs.detail(scene["posting"], who)["applicants"]}
    assert names == {"孙大海"}  # staff see the names in full


def test_a_committee_member_manages_like_the_secretary(jobs, scene):
    committee = jobs.villager("马主任", roles=("committee",))
    r = jobs.client.post(f"/api/v1/job-objections/{scene['objection']}/answer", headers=jobs.h(committee),
                         json={"answer": "已核实，符合条件"})
    assert r.status_code == 200, r.json
    r = jobs.client.post(f"/api/v1/villages/{jobs.village.id}/job-postings", headers=jobs.h(committee),
                         json=jobs.posting_body(title="治安巡逻员", category="治安"))
    assert r.status_code == 201, r.json


@pytest.mark.parametrize("who", ["member", "secretary"])
def test_another_villages_people_get_404_everywhere(jobs, scene, who):
    other = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    stranger = jobs.villager("周海", village=other, roles=("secretary",) if who == "secretary" else ())
    manage, read, public = _staff_calls(jobs, scene)
    before = snapshot()
    for method, url, body in manage + read + public:
        r = _call(jobs, method, url, body, jobs.h(stranger))
        refused(r, 404)
    assert snapshot() == before


def test_nobody_anonymous_gets_anything(jobs, scene):
    manage, read, public = _staff_calls(jobs, scene)
    mine = [("GET", "/api/v1/me/job-applications", None), ("GET", "/api/v1/me/job-pay", None)]
    before = snapshot()
    for method, url, body in manage + read + public + mine:
        refused(_call(jobs, method, url, body, {}), 401, "auth.unauthenticated")
    for method, url, body in manage + read + public + mine:
        refused(_call(jobs, method, url, body, {"Authorization": "Bearer not-a-token"}), 401, "auth.token_invalid")
    assert snapshot() == before


def test_an_expired_login_must_log_in_again(jobs):
    me = jobs.villager()
    h = jobs.h(me)
    jobs.at(T0 + timedelta(days=8))
    refused(jobs.client.get("/api/v1/me/job-applications", headers=h), 401, "auth.token_expired")
    assert jobs.client.get("/api/v1/me/job-applications", headers=jobs.h(me)).status_code == 200


def test_unknown_records_are_404(jobs):
    me = jobs.villager()
    for url in ("/api/v1/job-postings/999", "/api/v1/job-postings/999/hires"):
        refused(jobs.client.get(url, headers=jobs.sec()), 404)
    refused(jobs.client.post("/api/v1/job-postings/999/applications", headers=jobs.h(me), json={}), 404)
    refused(jobs.client.post("/api/v1/job-hires/999/end", headers=jobs.sec(),
                             json={"on": "2026-03-02", "reason": "x"}), 404)
