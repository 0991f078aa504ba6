"""What the staff console adds to public-benefit jobs: closing applications early (with a reason), the applicants
with why each met the rules (ID masked), a villager checked before anyone applies for them, the draw re-run by
anyone, a month's attendance and pay for every hire (recorded or not), attendance never beyond the days of the
month in the term — each with its edge and its refusal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.jobs.models import JobDraw, JobPosting
from tests.factories import id_card
from tests.jobs.conftest import count, refused, snapshot


def _close(jobs, pid, reason="报名人数已满足需要，经村两委研究提前截止", who=None):
    return jobs.client.post(f"/api/v1/job-postings/{pid}/close", headers=jobs.h(who) if who else jobs.sec(),
                            json={"reason": reason})


# ---------------------------------------------------------------- closing early


def test_staff_close_applications_early_with_a_reason_and_then_may_seal(jobs):
    pid = jobs.posting()
    a, b = jobs.villager("刘小梅"), jobs.villager("张欣")
    jobs.applied(pid, a)
    refused(jobs.seal(pid), 409, "job.window_open")
    jobs.later(minutes=5)
    r = _close(jobs, pid)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "open"
    assert datetime.fromisoformat(r.json["apply_until"]) <= jobs.now[0]
    jobs.later(seconds=1)
    refused(jobs.apply(pid, b), 409, "job.closed")  # nobody applies after the close
    assert jobs.seal(pid).status_code == 200
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "job.close")).scalar_one()
    assert entry.after_data()["reason"] == "报名人数已满足需要，经村两委研究提前截止"


def test_closing_is_refused_before_the_window_opens_after_it_ended_without_a_reason_and_by_a_villager(jobs):
    later = jobs.posting(apply_from=(jobs.now[0] + timedelta(days=1)).isoformat(),
                         apply_until=(jobs.now[0] + timedelta(days=8)).isoformat())
    before = snapshot()
    refused(_close(jobs, later), 409, "job.not_started")
    pid = jobs.posting()
    villager = jobs.villager("刘小梅")
    err = refused(_close(jobs, pid, reason=" "), 422)
    assert "reason" in err["details"]["fields"]
    refused(_close(jobs, pid, who=villager), 403)
    jobs.close_window(pid)
    refused(_close(jobs, pid), 409, "job.window_closed")
    assert snapshot()[:1] == (before[0] + 1,)  # only the second posting was added; nothing else moved
    assert count(AuditEntry, AuditEntry.action == "job.close") == 0


def test_another_village_sees_nothing_of_the_posting(jobs):
    pid = jobs.posting()
    other = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    zhou = jobs.make.member(other, "周海", id_no=id_card(born=date(1978, 7, 22)), roles=("secretary",))
    db.session.commit()
    for path in (f"/job-postings/{pid}/applicants", f"/job-postings/{pid}/draw/check",
                 f"/job-postings/{pid}/eligibility?person_id=1"):
        refused(jobs.client.get(f"/api/v1{path}", headers=jobs.h(zhou)), 404)
    refused(_close(jobs, pid, who=zhou), 404)
    refused(jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-pay?month=2026-03", headers=jobs.h(zhou)), 404)


# ---------------------------------------------------------------- applicants and why


def test_applicants_show_names_masked_ids_and_why_each_met_the_rules_and_who_no_longer_does(jobs):
    pid = jobs.posting(min_age=18, max_age=60)
    poor = jobs.villager("刘小梅", born=date(1980, 1, 1), is_tuopin=True)
    near = jobs.villager("张欣", born=date(1965, 3, 3))  # 60 today, 61 tomorrow
    jobs.applied(pid, poor, near)
    r = jobs.client.get(f"/api/v1/job-postings/{pid}/applicants", headers=jobs.sec())
    assert r.status_code == 200, r.json
    rows = {x["name"]: x for x in r.json["items"]}
    assert set(rows) == {"刘小梅", "张欣"}
    assert rows["刘小梅"]["id_last4"].startswith("****") and len(rows["刘小梅"]["id_last4"]) == 8
    assert "脱贫户，优先" in rows["刘小梅"]["why"] and rows["刘小梅"]["priority"]
    assert "60 岁（要求 18–60 岁）" in rows["张欣"]["why"]
    assert rows["张欣"]["eligible"] and rows["张欣"]["now"] == {"ok": True, "reason": None}
    jobs.later(days=1)  # 张欣 turns 61 while the list is still open
    rows = {x["name"]: x for x in jobs.client.get(f"/api/v1/job-postings/{pid}/applicants",
                                                  headers=jobs.sec()).json["items"]}
    assert not rows["张欣"]["eligible"]
    assert rows["张欣"]["now"]["reason"] == "该岗位要求年龄 18 到 60 岁，本人现在 61 岁"
    refused(jobs.client.get(f"/api/v1/job-postings/{pid}/applicants", headers=jobs.h(poor)), 403)


def test_a_villager_is_checked_by_name_before_anyone_applies_for_them(jobs):
    pid = jobs.posting()
    old = jobs.villager("孙有福", born=date(1953, 2, 11))
    ok = jobs.villager("冯文杰", born=date(1990, 2, 11))
    url = f"/api/v1/job-postings/{pid}/eligibility"
    r = jobs.client.get(f"{url}?person_id={old.person_id}", headers=jobs.sec())
    assert r.status_code == 200
    assert r.json["name"] == "孙有福" and not r.json["ok"]
    assert r.json["reason"] == "该岗位要求年龄 16 到 65 岁，本人现在 73 岁"
    r = jobs.client.get(f"{url}?person_id={ok.person_id}", headers=jobs.sec())
    assert r.json["ok"] and r.json["reason"] is None
    jobs.applied(pid, ok)
    r = jobs.client.get(f"{url}?person_id={ok.person_id}", headers=jobs.sec())
    assert not r.json["ok"] and r.json["reason"] == "本人已经报名了"
    # someone of another village: not named
    other = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    stranger = jobs.make.member(other, "吴强", id_no=id_card(born=date(1981, 3, 9)))
    db.session.commit()
    r = jobs.client.get(f"{url}?person_id={stranger.person_id}", headers=jobs.sec())
    assert r.json["name"] == "" and not r.json["ok"] and "不在本村花名册上" in r.json["reason"]


# ---------------------------------------------------------------- the draw re-run


def test_anyone_in_the_village_reruns_the_draw_and_it_matches(jobs):
    pid = jobs.posting(positions=1)
    people = [jobs.villager(n) for n in ("刘小梅", "张欣", "郑红军")]
    jobs.applied(pid, *people)
    refused(jobs.client.get(f"/api/v1/job-postings/{pid}/draw/check", headers=jobs.sec()), 409, "job.not_drawn")
    d = jobs.drawn(pid, "03-11-19-24-30")
    r = jobs.client.get(f"/api/v1/job-postings/{pid}/draw/check", headers=jobs.h(people[2]))  # a villager
    assert r.status_code == 200, r.json
    c = r.json
    assert c["matches"] and c["verdict"].startswith("一致") and c["list_hash_ok"]
    assert c["recomputed"] == c["recorded"] == d["draw"]["order"]
    assert c["seed"] == "03-11-19-24-30" and c["list_hash"] == d["draw"]["list_hash"]
    assert [s["selected"] for s in c["steps"]] == [True, False, False]
    assert all("*" in s["name"] for s in c["steps"])  # the sealed list's masked names


def test_a_tampered_result_is_reported_as_not_matching(jobs):
    pid = jobs.posting(positions=1)
    jobs.applied(pid, *[jobs.villager(n) for n in ("刘小梅", "张欣", "郑红军")])
    jobs.drawn(pid)
    d = db.session.execute(select(JobDraw).where(JobDraw.posting_id == pid)).scalar_one()
    d.result = json.dumps(list(reversed(json.loads(d.result))))
    db.session.commit()
    c = jobs.client.get(f"/api/v1/job-postings/{pid}/draw/check", headers=jobs.sec()).json
    assert not c["matches"]
    assert c["verdict"].startswith("不一致")
    assert "重新计算的顺序与公布的抽签顺序不同" in c["problems"]


# ---------------------------------------------------------------- attendance and pay


def test_a_months_pay_lists_every_hire_and_attendance_stops_at_the_days_in_the_term(jobs):
    pid = jobs.posting(positions=2)
    a, b = jobs.villager("刘小梅"), jobs.villager("张欣")
    jobs.applied(pid, a, b)
    hires = jobs.hired(pid)  # hired from today, mid-March
    start = date.fromisoformat(hires[0]["start_on"])
    month = start.strftime("%Y-%m")
    days = (date(start.year, start.month + 1, 1) - start).days
    url = f"/api/v1/villages/{jobs.village.id}/job-pay?month={month}"
    m = jobs.client.get(url, headers=jobs.sec()).json
    assert m["unrecorded"] == 2 and all(not i["recorded"] for i in m["items"])
    assert {i["days_in_term"] for i in m["items"]} == {days}
    before = snapshot()
    err = refused(jobs.client.post(f"/api/v1/job-hires/{hires[0]['id']}/pay", headers=jobs.sec(),
                                   json={"month": month, "days_worked": days + 1}), 422, "job.days_invalid")
    assert err["message"] == f"{month} 在聘期内只有 {days} 天，出勤天数不能超过 {days} 天"
    assert snapshot() == before
    r = jobs.client.post(f"/api/v1/job-hires/{hires[0]['id']}/pay", headers=jobs.sec(),
                         json={"month": month, "days_worked": days, "amount": "450.00"})
    assert r.status_code == 201, r.json
    m = jobs.client.get(url, headers=jobs.sec()).json
    row = next(i for i in m["items"] if i["hire_id"] == hires[0]["id"])
    assert row["recorded"] and row["days_worked"] == days and row["amount"] == "450.00" and row["paid_on"] is None
    assert m["unrecorded"] == 1 and m["total"] == "450.00" and m["unpaid"] == "450.00"
    jobs.later(days=1)
    r = jobs.client.post(f"/api/v1/villages/{jobs.village.id}/job-pay", headers=jobs.sec(),
                         json={"month": month, "paid_on": jobs.now[0].date().isoformat(), "method": "cash"})
    assert r.status_code == 200 and r.json["total"] == "450.00"
    row = next(i for i in jobs.client.get(url, headers=jobs.sec()).json["items"] if i["hire_id"] == hires[0]["id"])
    assert row["paid_on"] is not None and row["method"] == "现金"
    refused(jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-pay?month=2026-13", headers=jobs.sec()), 422,
            "job.month_invalid")
    err = refused(jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-pay?month=2026-3", headers=jobs.sec()), 422)
    assert err["details"]["fields"]["month"] == ["格式应为 YYYY-MM，例如 2026-03"]  # a format, not "应为7位"


def test_the_month_before_a_hire_lists_nobody(jobs):
    pid = jobs.posting(positions=1)
    jobs.applied(pid, jobs.villager("刘小梅"))
    jobs.hired(pid)
    m = jobs.client.get(f"/api/v1/villages/{jobs.village.id}/job-pay?month=2026-02", headers=jobs.sec()).json
    assert m["items"] == [] and m["total"] == "0.00"


def test_closed_posting_keeps_its_original_window_in_the_audit_log(jobs):
    pid = jobs.posting()
    original = db.session.get(JobPosting, pid).apply_until
    jobs.later(hours=1)
    assert _close(jobs, pid).status_code == 200
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "job.close")).scalar_one()
    assert datetime.fromisoformat(entry.before_data()["apply_until"]).astimezone(UTC) == original.astimezone(UTC)
