"""A posting from application to pay over HTTP: apply, seal, draw, 公示, hire, pay."""

from __future__ import annotations

from datetime import timedelta

from backend.core.clock import today, utcnow
from backend.jobs import service as jobs


def test_a_posting_from_application_to_pay(client, make, now):
    village = make.village("LJ01", "临江村")
    from backend.ledger import service as ledger

    ledger.ensure_chart(village)
    secretary = make.member(village, "王建国", roles=("secretary",))
    poor = make.household(village, "LJ-J01", is_tuopin=True)
    a = make.member(village, "刘小梅", household=poor, head=True)
    b = make.member(village, "孙大海")
    c = make.member(village, "周三")
    sec = make.headers(secretary)
    start = utcnow()
    r = client.post(f"/api/v1/villages/{village.id}/job-postings", headers=sec, json={
        "title": "村道保洁员", "category": "保洁", "positions": 2, "monthly_wage": "600.00",
        "apply_from": (start - timedelta(minutes=5)).isoformat(),
        "apply_until": (start + timedelta(days=14)).isoformat()})
    assert r.status_code == 201, r.json
    pid = r.json["id"]
    listed = client.get(f"/api/v1/villages/{village.id}/job-postings", headers=make.headers(a)).json["items"]
    assert [p["monthly_wage"] for p in listed] == ["600.00"]
    for m in (a, b, c):
        r = client.post(f"/api/v1/job-postings/{pid}/applications", headers=make.headers(m), json={})
        assert r.status_code == 201, r.json
    again = client.post(f"/api/v1/job-postings/{pid}/applications", headers=make.headers(b), json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "job.already_applied"
    staff_apply = client.post(f"/api/v1/job-postings/{pid}/applications", headers=make.headers(secretary), json={})
    assert staff_apply.status_code == 403 and staff_apply.json["error"]["code"] == "job.not_eligible"

    assert client.post(f"/api/v1/job-postings/{pid}/seal", headers=sec).json["error"]["code"] == "job.window_open"
    now[0] = now[0] + timedelta(days=15)
    sec = make.headers(secretary)
    assert client.post(f"/api/v1/job-postings/{pid}/seal", headers=sec).status_code == 200
    r = client.post(f"/api/v1/job-postings/{pid}/draw", headers=sec, json={"seed": "05-17-23-31"})
    assert r.status_code == 200, r.json
    ranks = {x["name"]: x["status"] for x in r.json["applicants"]}
    assert ranks["刘小梅"] == "selected"  # 脱贫户 first
    assert sorted(ranks.values()) == ["selected", "selected", "waitlisted"]
    listed = [{"receipt": x["receipt"], "priority": x["priority"]} for x in r.json["applicants"]]
    assert r.json["draw"]["order"] == jobs.draw_order(listed, "05-17-23-31")  # anyone can re-run it

    now[0] = now[0] + timedelta(days=6)
    sec = make.headers(secretary)
    r = client.post(f"/api/v1/job-postings/{pid}/hires", headers=sec, json={"start_on": today().isoformat()})
    assert r.status_code == 201, r.json
    hire = r.json["items"][0]
    month = today().strftime("%Y-%m")
    r = client.post(f"/api/v1/job-hires/{hire['id']}/pay", headers=sec, json={"month": month, "days_worked": 1})
    assert r.status_code == 201 and r.json["amount"] == "600.00"
    r = client.post(f"/api/v1/villages/{village.id}/job-pay", headers=sec,
                    json={"month": month, "paid_on": today().isoformat()})
    assert r.status_code == 200 and r.json["records"] == 1 and r.json["total"] == "600.00"
    twice = client.post(f"/api/v1/villages/{village.id}/job-pay", headers=sec,
                        json={"month": month, "paid_on": today().isoformat()})
    assert twice.status_code == 409
    mine = client.get("/api/v1/me/job-applications", headers=make.headers(a)).json["items"]
    assert mine[0]["posting"] == {"id": pid, "title": "村道保洁员"} and mine[0]["status"] == "hired"
