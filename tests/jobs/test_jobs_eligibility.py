"""Who may apply (shared/DOMAIN.md §7): ages at the day's edge and as local settings, the roster, cadre families,
priority-only posts, one post at a time; every refusal is 403 ``job.not_eligible`` with the reason and changes
nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from backend import registry
from backend.core.db import db
from backend.core.errors import AppError
from backend.jobs import service as jobs_service
from backend.jobs.models import JobApplication, JobPosting
from backend.registry import settings
from backend.registry.models import RoleAssignment
from tests.jobs.conftest import DAY0, refused, snapshot

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _not_eligible(r, *words: str) -> str:
    err = refused(r, 403, "job.not_eligible")
    reason = err["details"]["reason"]
    assert CHINESE.search(reason) and err["message"] == reason, err
    for w in words:
        assert w in reason, reason
    return reason


# ---------------------------------------------------------------- age


@pytest.mark.parametrize(("born", "ok"), [
    (date(1960, 3, 3), True),  # 66 tomorrow: still 65 today
    (date(1960, 3, 2), False),  # 66 today
    (date(1960, 3, 1), False),  # 66 yesterday
    (date(2010, 3, 3), False),  # 16 tomorrow: 15 today
    (date(2010, 3, 2), True),  # 16 today
    (date(2010, 3, 1), True),
])
def test_the_default_ages_are_16_to_65_inclusive_to_the_day(jobs, born, ok):
    assert jobs_service.age_on(born, DAY0) in (15, 16, 65, 66)
    pid = jobs.posting()
    m = jobs.villager("李秀英", born=born)
    before = snapshot()
    r = jobs.apply(pid, m)
    if ok:
        assert r.status_code == 201, r.json
        assert db.session.execute(select(JobApplication.person_id)).scalars().all() == [m.person_id]
    else:
        age = jobs_service.age_on(born, DAY0)
        _not_eligible(r, "16 到 65 岁", f"{age} 岁")
        assert snapshot() == before


def test_the_cap_moves_with_the_clock_across_the_66th_birthday(jobs):
    pid = jobs.posting(apply_until=(jobs.now[0] + timedelta(days=3)).isoformat())
    m = jobs.villager("赵德明", born=date(1960, 3, 3))
    p = db.session.get(JobPosting, pid)
    assert jobs_service.eligibility(p, m.person_id, DAY0).ok
    assert not jobs_service.eligibility(p, m.person_id, DAY0 + timedelta(days=1)).ok
    jobs.later(days=1)  # 3 March in the village: his 66th birthday
    _not_eligible(jobs.apply(pid, m), "66 岁")
    assert jobs.detail(pid, m)["eligibility"]["ok"] is False


def test_a_leap_day_birthday_counts_from_1_march_in_other_years():
    born = date(2008, 2, 29)
    assert jobs_service.age_on(born, date(2024, 2, 28)) == 15
    assert jobs_service.age_on(born, date(2024, 2, 29)) == 16
    assert jobs_service.age_on(born, date(2025, 2, 28)) == 16
    assert jobs_service.age_on(born, date(2026, 2, 28)) == 17
    assert jobs_service.age_on(born, date(2026, 3, 1)) == 18


def test_age_settings_of_the_township_apply_and_the_villages_own_override_them(jobs):
    settings.put("jobs.max_age", 60, actor=None, township=jobs.township)
    settings.put("jobs.min_age", 18, actor=None, township=jobs.township)
    db.session.commit()
    sixty_one = jobs.villager("钱老汉", born=date(1965, 3, 1))
    seventeen = jobs.villager("钱小妹", born=date(2008, 6, 1))
    pid = jobs.posting()
    d = jobs.detail(pid)
    assert (d["min_age"], d["max_age"]) == (18, 60)
    _not_eligible(jobs.apply(pid, sixty_one), "18 到 60 岁", "61 岁")
    _not_eligible(jobs.apply(pid, seventeen), "17 岁")
    # the village's own rule wins over the township's
    settings.put("jobs.max_age", 70, actor=None, village=jobs.village)
    settings.put("jobs.min_age", 16, actor=None, village=jobs.village)
    db.session.commit()
    pid2 = jobs.posting(title="护林员", category="护林")
    d = jobs.detail(pid2)
    assert (d["min_age"], d["max_age"]) == (16, 70)
    jobs.applied(pid2, sixty_one)
    jobs.applied(pid2, jobs.villager("孙小军", born=date(2009, 1, 1)))
    # another village of the township still has the township's rule
    other = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    assert settings.get(other, "jobs.max_age") == 60 and settings.get(jobs.village, "jobs.max_age") == 70


@pytest.mark.parametrize(("ages", "code"), [
    ({"max_age": 66}, "job.ages_invalid"),  # above the setting (65)
    ({"min_age": 15}, "validation.failed"),  # below anything the schema allows
    ({"min_age": 40, "max_age": 30}, "job.ages_invalid"),
])
def test_a_postings_own_age_range_must_lie_within_the_settings(jobs, ages, code):
    before = snapshot()
    refused(jobs.post(**ages), 422, code)
    assert snapshot() == before


def test_a_narrower_range_of_the_posting_is_its_own_rule(jobs):
    settings.put("jobs.min_age", 18, actor=None, village=jobs.village)
    db.session.commit()
    refused(jobs.post(min_age=17), 422, "job.ages_invalid")
    pid = jobs.posting(min_age=20, max_age=50)
    fifty = jobs.villager("周五十", born=date(1976, 3, 2))  # 50 today
    fifty_one = jobs.villager("周五一", born=date(1975, 3, 2))  # 51 today
    nineteen = jobs.villager("周十九", born=date(2006, 3, 3))
    jobs.applied(pid, fifty)
    _not_eligible(jobs.apply(pid, fifty_one), "20 到 50 岁", "51 岁")
    _not_eligible(jobs.apply(pid, nineteen), "19 岁")


# ---------------------------------------------------------------- the roster


def test_only_active_members_of_the_village_may_apply(jobs):
    pid = jobs.posting()
    moved = jobs.villager("陈外迁")
    dead = jobs.villager("陈故去")
    registry.update_member(moved, {"status": "moved_out"}, actor=None)
    registry.update_member(dead, {"status": "deceased"}, actor=None)
    other_village = jobs.make.village("XZ02", "新竹村", township=jobs.township)
    outsider = jobs.villager("吴强", village=other_village)
    staff = jobs.make.staff(jobs.township, "郑雯")
    db.session.commit()
    before = snapshot()
    # the secretary's check at the office (before a co-signed 代办): not eligible, with the reason
    for m in (moved, dead, outsider):
        r = jobs.client.get(f"/api/v1/job-postings/{pid}/eligibility", headers=jobs.sec(),
                            query_string={"person_id": m.person_id})
        assert r.status_code == 200, r.json
        assert r.json["ok"] is False and "不在本村花名册" in r.json["reason"], r.json
        with pytest.raises(AppError) as refusal:
            jobs_service.apply(db.session.get(JobPosting, pid), m.person_id, note=None,
                               actor=jobs.make.principal(jobs.secretary), assisted=True)
        assert refusal.value.code == "job.not_eligible" and "不在本村花名册" in refusal.value.message
    # township staff: no roster entry at all
    _not_eligible(jobs.apply(pid, staff), "不在本村花名册")
    # they themselves cannot even see the posting
    assert jobs.apply(pid, moved).status_code == 404
    assert jobs.apply(pid, outsider).status_code == 404
    db.session.rollback()
    assert snapshot() == before


# ---------------------------------------------------------------- cadre families


def _cadre_family(jobs):
    home = jobs.make.household(jobs.village, "LJ-C01")
    cadre = jobs.villager("马主任", household=home, roles=("committee",))
    spouse = jobs.villager("马大嫂", household=home, female=True)
    return cadre, spouse


def test_a_cadre_and_the_cadres_family_are_excluded_by_default(jobs):
    cadre, spouse = _cadre_family(jobs)
    pid = jobs.posting()
    before = snapshot()
    _not_eligible(jobs.apply(pid, spouse), "村干部")
    _not_eligible(jobs.apply(pid, cadre), "村干部")
    _not_eligible(jobs.apply(pid, jobs.secretary), "村干部")
    assert snapshot() == before
    assert jobs.detail(pid, spouse)["eligibility"] == {
        "ok": False, "reason": "村干部及其家庭成员不能申请公益岗位", "priority": False}
    # an ordinary household is not touched
    jobs.applied(pid, jobs.villager("普通户"))


def test_cadre_families_may_apply_where_the_posting_or_the_village_says_so(jobs):
    cadre, spouse = _cadre_family(jobs)
    pid = jobs.posting(exclude_cadre_families=False, one_per_household=False)
    jobs.applied(pid, spouse, cadre)
    settings.put("jobs.exclude_cadre_families", 0, actor=None, village=jobs.village)
    db.session.commit()
    pid2 = jobs.posting(title="护路员", category="护路")
    assert jobs.detail(pid2)["exclude_cadre_families"] is False
    jobs.applied(pid2, spouse)
    # the posting can still ask for it when the village does not
    pid3 = jobs.posting(title="护林员", category="护林", exclude_cadre_families=True)
    _not_eligible(jobs.apply(pid3, spouse), "村干部")


def test_a_former_cadres_family_may_apply(jobs):
    cadre, spouse = _cadre_family(jobs)
    pid = jobs.posting()
    _not_eligible(jobs.apply(pid, spouse), "村干部")
    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.person_id == cadre.person_id)).scalar_one()
    jobs.later(hours=1)
    registry.end_role(ra, actor=None)
    db.session.commit()
    jobs.later(minutes=1)
    jobs.applied(pid, spouse)


@pytest.mark.parametrize("utc_hour", [2, 13, 15, 17])
def test_a_role_counts_from_the_moment_it_is_granted_and_stops_when_it_ends(jobs, utc_hour):
    # 10:00, 21:00, 23:00 and 01:00 (next day) in the village
    jobs.at(datetime(2026, 3, 2, utc_hour, 0, tzinfo=UTC))
    pid = jobs.posting()
    home = jobs.make.household(jobs.village, "LJ-C02")
    spouse = jobs.villager("牛大嫂", household=home, female=True)
    husband = jobs.villager("牛二", household=home)
    db.session.commit()
    jobs.later(minutes=10)
    ra = jobs.make.role(husband.person, "committee", village=jobs.village)  # elected this very evening
    db.session.commit()
    jobs.later(minutes=10)
    _not_eligible(jobs.apply(pid, spouse), "村干部")
    registry.end_role(ra, actor=None)  # and out again an hour later
    db.session.commit()
    jobs.later(minutes=10)
    jobs.applied(pid, spouse)


# ---------------------------------------------------------------- priority-only posts


def test_priority_only_posts_are_for_tuopin_and_jiance_households(jobs):
    pid = jobs.posting(priority_only=True, funding="光伏收益", positions=3)
    plain = jobs.villager("普通人")
    tuopin = jobs.villager("脱贫人", is_tuopin=True)
    jiance = jobs.villager("监测人", is_jiance=True)
    both = jobs.villager("两样人", is_tuopin=True, is_jiance=True)
    before = snapshot()
    _not_eligible(jobs.apply(pid, plain), "优先群体")
    assert snapshot() == before
    out = {r["priority_reason"] for r in jobs.applied(pid, tuopin, jiance, both)}
    assert out == {"脱贫户", "监测户", "脱贫户、监测户"}
    rows = db.session.execute(select(JobApplication.priority)).scalars().all()
    assert rows == [True, True, True]


def test_a_priority_only_post_counts_only_the_groups_it_names(jobs):
    pid = jobs.posting(priority_only=True, priority_tuopin=False)
    _not_eligible(jobs.apply(pid, jobs.villager("脱贫人", is_tuopin=True)), "优先群体")
    jobs.applied(pid, jobs.villager("监测人", is_jiance=True))
    before = snapshot()
    refused(jobs.post(priority_only=True, priority_tuopin=False, priority_jiance=False), 422, "job.invalid")
    assert snapshot() == before


def test_an_open_post_ranks_priority_households_but_takes_everyone(jobs):
    pid = jobs.posting()
    a, b = jobs.applied(pid, jobs.villager("普通人"), jobs.villager("脱贫人", is_tuopin=True))
    assert (a["priority"], a["priority_reason"]) == (False, None)
    assert (b["priority"], b["priority_reason"]) == (True, "脱贫户")
    pid2 = jobs.posting(title="护林员", category="护林", priority_tuopin=False)
    c = jobs.applied(pid2, jobs.villager("另一脱贫人", is_tuopin=True))[0]
    assert (c["priority"], c["priority_reason"]) == (False, None)


# ---------------------------------------------------------------- one post at a time


def test_someone_holding_a_post_cannot_apply_for_another_until_it_has_ended(jobs):
    worker = jobs.villager("刘小梅")
    first = jobs.posting(positions=1)
    jobs.applied(first, worker)
    hire = jobs.hired(first)[0]
    second = jobs.posting(title="护林员", category="护林")
    before = snapshot()
    _not_eligible(jobs.apply(second, worker), "已在公益岗位任职")
    assert snapshot() == before
    # ended today: still her post today, free tomorrow
    r = jobs.client.post(f"/api/v1/job-hires/{hire['id']}/end", headers=jobs.sec(),
                         json={"on": jobs_service.today().isoformat(), "reason": "长期外出务工"})
    assert r.status_code == 200, r.json
    _not_eligible(jobs.apply(second, worker), "已在公益岗位任职")
    jobs.later(days=1)
    jobs.applied(second, worker)


def test_a_hire_signed_to_start_next_month_already_holds_the_post(jobs):
    worker = jobs.villager("刘小梅")
    first = jobs.posting(positions=1)
    jobs.applied(first, worker)
    start = date(2026, 4, 1)
    hire = jobs.hired(first, start_on=start)[0]
    assert hire["start_on"] == "2026-04-01"
    assert jobs_service.today() < start
    second = jobs.posting(title="护林员", category="护林")
    _not_eligible(jobs.apply(second, worker), "已在公益岗位任职")
    # an agreement that has run out is no bar
    jobs.at(datetime(2027, 4, 1, 2, tzinfo=UTC))
    third = jobs.posting(title="护路员", category="护路")
    jobs.applied(third, worker)
