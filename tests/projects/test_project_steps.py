"""The seven steps over HTTP: strictly in order, 审批 by the township's review board only, 立项 on a resolved
decision, 申报 with the support funds applied for, 实施 with an income account and a plan; every refusal in Chinese
and changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import db
from backend.projects.models import Project, ProjectFund, ProjectStep

FUND = {"source": "县级财政", "amount": "500000.00", "received_on": "2026-03-01", "note": "申请县级扶持资金"}


def step(client: Any, headers: dict[str, str], pid: int, n: int, **over: Any) -> Any:
    body: dict[str, Any] = {"step": n, "done_on": f"2026-0{min(n, 6)}-0{n}", "documents": [f"第{n}步材料.pdf"]}
    body.update(over)
    return client.post(f"/api/v1/projects/{pid}/steps", headers=headers, json=body)


def state(pid: int) -> tuple[int, str, int, int]:
    db.session.expire_all()
    p = db.session.get(Project, pid)
    assert p is not None
    steps = db.session.execute(select(func.count(ProjectStep.id)).where(ProjectStep.project_id == pid)).scalar_one()
    funds = db.session.execute(select(func.count(ProjectFund.id)).where(ProjectFund.project_id == pid)).scalar_one()
    return p.step, p.status, steps, funds


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["error"]["message"])  # a Chinese message
    return r.json["error"]


def test_a_project_goes_through_the_seven_steps(client, make, world):
    sec, staff = make.headers(world.secretary), make.headers(world.staff)
    r = client.post(f"/api/v1/villages/{world.village.id}/projects", headers=sec, json={
        "title": "村集体屋顶分布式光伏", "category": "光伏发电", "planned_investment": "800000.00",
        "income_account_id": world.account.id})
    assert r.status_code == 201, r.json
    pid = r.json["id"]
    assert (r.json["step"], r.json["stage"], r.json["status_name"]) == (0, "待储备", "进行中")
    for n in (1, 2, 3):
        assert step(client, sec, pid, n).status_code == 201
    r = step(client, sec, pid, 4, funds=[FUND, {**FUND, "source": "村集体自筹", "amount": "300000.00"}])
    assert r.status_code == 201, r.json
    assert r.json["stage"] == "已申报，待镇项目评审委员会审批" and r.json["awaiting_approval"] is True
    assert r.json["support_funds"] == "500000.00" and r.json["funds_total"] == "800000.00"
    r = step(client, staff, pid, 5, documents=["青山镇项目评审委员会审批意见"])
    assert r.status_code == 201, r.json
    assert r.json["steps"][4]["done_by"] == "郑雯"
    r = step(client, sec, pid, 6, decision_id=world.decision.id)
    assert r.status_code == 201, r.json
    assert r.json["steps"][5]["decision"] == {"id": world.decision.id, "title": "建设村集体屋顶分布式光伏"}
    r = client.put(f"/api/v1/projects/{pid}/plans", headers=sec, json={"year": 2026, "months": ["5000.00"] * 12})
    assert r.status_code == 200, r.json
    r = step(client, sec, pid, 7)
    assert r.status_code == 201, r.json
    assert (r.json["step"], r.json["step_name"], r.json["status_name"], r.json["stage"]) == (7, "实施", "已实施",
                                                                                            "已实施")
    assert [s["done_by"] for s in r.json["steps"]] == ["王建国"] * 4 + ["郑雯"] + ["王建国"] * 2
    assert r.json["steps"][0]["documents"] == ["第1步材料.pdf"]
    refused(step(client, sec, pid, 7), 409, "projects.implemented")
    assert state(pid) == (7, "implemented", 7, 2)


def walk(client, make, world, upto: int) -> int:
    """A project of the fixture with steps 1..upto done through the API."""
    p = world.project()
    sec, staff = make.headers(world.secretary), make.headers(world.staff)
    for n in range(1, upto + 1):
        extra: dict[str, Any] = {}
        if n == 4:
            extra["funds"] = [FUND]
        if n == 6:
            extra["decision_id"] = world.decision.id
        if n == 7:
            client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": ["1.00"] * 12})
        r = step(client, staff if n == 5 else sec, p.id, n, **extra)
        assert r.status_code == 201, r.json
    return p.id


def test_steps_cannot_be_skipped_repeated_or_taken_back(client, make, world):
    pid = walk(client, make, world, 2)
    sec = make.headers(world.secretary)
    before = state(pid)
    err = refused(step(client, sec, pid, 4, funds=[FUND]), 422, "projects.step_skipped")
    assert "筛选" in err["message"]
    refused(step(client, sec, pid, 2), 409, "projects.step_done")
    refused(step(client, sec, pid, 1), 409, "projects.step_done")
    assert state(pid) == before  # nothing changed, not even the fund the refused 申报 brought


def test_the_village_secretary_cannot_sign_the_approval(client, make, world):
    pid = walk(client, make, world, 4)
    before = state(pid)
    err = refused(step(client, make.headers(world.secretary), pid, 5), 403, "projects.approve_township")
    assert "镇项目评审委员会" in err["message"]
    # township staff of another township: no part in the village at all
    r = step(client, make.headers(world.far_staff), pid, 5)
    assert r.status_code in (403, 404)
    # the review board signs 审批 only: the village's own steps are not theirs
    assert state(pid) == before
    assert step(client, make.headers(world.staff), pid, 5).status_code == 201
    refused(step(client, make.headers(world.staff), pid, 6, decision_id=world.decision.id), 403,
            "projects.manage_village")
    assert state(pid)[0] == 5


def test_villagers_and_the_accountant_take_no_step(client, make, world):
    p = world.project()
    refused(step(client, make.headers(world.accountant), p.id, 1), 403, "projects.manage_village")
    assert step(client, make.headers(world.villager), p.id, 1).status_code == 403
    assert step(client, make.headers(world.other_villager), p.id, 1).status_code == 404
    assert state(p.id) == (0, "active", 0, 0)


def test_the_committee_may_carry_a_project(client, make, world):
    p = world.project()
    assert step(client, make.headers(world.committee), p.id, 1).status_code == 201


def test_establishing_needs_a_resolved_decision_of_the_village(client, make, world):
    pid = walk(client, make, world, 5)
    sec = make.headers(world.secretary)
    before = state(pid)
    refused(step(client, sec, pid, 6), 422, "projects.decision_required")
    err = refused(step(client, sec, pid, 6, decision_id=world.pending.id), 422, "projects.decision_unresolved")
    assert "蔬菜大棚产业园" in err["message"]
    refused(step(client, sec, pid, 6, decision_id=world.other_decision.id), 422, "projects.decision_unknown")
    assert state(pid) == before
    assert step(client, sec, pid, 6, decision_id=world.decision.id).status_code == 201


def test_any_step_may_cite_a_decision_of_its_own_village_only(client, make, world):
    p = world.project()
    sec = make.headers(world.secretary)
    refused(step(client, sec, p.id, 1, decision_id=world.other_decision.id), 422, "projects.decision_unknown")
    refused(step(client, sec, p.id, 1, decision_id=99_999_999), 422, "projects.decision_unknown")
    r = step(client, sec, p.id, 1, decision_id=world.pending.id)  # an open decision may be cited before 立项
    assert r.status_code == 201 and r.json["steps"][0]["decision"]["title"] == "蔬菜大棚产业园"


def test_applying_names_the_support_funds(client, make, world):
    pid = walk(client, make, world, 3)
    sec = make.headers(world.secretary)
    before = state(pid)
    err = refused(step(client, sec, pid, 4), 422, "projects.apply_needs_funds")
    assert "扶持资金" in err["message"]
    refused(step(client, sec, pid, 4, funds=[{**FUND, "source": "村集体自筹"}]), 422, "projects.apply_needs_funds")
    assert state(pid) == before  # the refused step's own funds were not kept
    # a fund recorded before counts
    r = client.post(f"/api/v1/projects/{pid}/funds", headers=sec, json=FUND)
    assert r.status_code == 201 and r.json["funds_by_source"] == [{"source": "县级财政", "amount": "500000.00"}]
    assert step(client, sec, pid, 4).status_code == 201


def test_applying_needs_a_planned_investment(client, make, world):
    p = world.project(planned_investment_fen=0)
    sec = make.headers(world.secretary)
    for n in (1, 2, 3):
        step(client, sec, p.id, n)
    refused(step(client, sec, p.id, 4, funds=[FUND]), 422, "projects.apply_needs_investment")
    assert state(p.id) == (3, "active", 3, 0)


def test_implementing_needs_an_income_account_and_a_plan(client, make, world):
    p = world.project(income_account_id=None)
    sec, staff = make.headers(world.secretary), make.headers(world.staff)
    for n in range(1, 7):
        extra: dict[str, Any] = {"funds": [FUND]} if n == 4 else {}
        if n == 6:
            extra["decision_id"] = world.decision.id
        assert step(client, staff if n == 5 else sec, p.id, n, **extra).status_code == 201
    refused(step(client, sec, p.id, 7), 422, "projects.implement_needs_account")
    r = client.patch(f"/api/v1/projects/{p.id}", headers=sec, json={"income_account_id": world.account.id})
    assert r.status_code == 200 and r.json["income_account"]["name"] == "光伏发电收入"
    refused(step(client, sec, p.id, 7), 422, "projects.implement_needs_plan")
    assert state(p.id)[0] == 6
    client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": ["0.00"] * 12})
    assert step(client, sec, p.id, 7).status_code == 201
    # an implemented project keeps its income account
    refused(client.patch(f"/api/v1/projects/{p.id}", headers=sec, json={"income_account_id": None}), 422,
            "projects.account_required")


def test_the_income_account_is_an_income_account_of_the_village(client, make, world):
    sec = make.headers(world.secretary)
    from backend.ledger import accounts

    bank = next(a for a in accounts(world.village.id) if a.code == "102")
    theirs = next(a for a in accounts(world.other_village.id) if a.code == "501001")
    base = {"title": "蔬菜大棚产业园", "category": "产业园"}
    url = f"/api/v1/villages/{world.village.id}/projects"
    refused(client.post(url, headers=sec, json={**base, "income_account_id": bank.id}), 422,
            "projects.account_not_income")
    refused(client.post(url, headers=sec, json={**base, "income_account_id": theirs.id}), 422,
            "projects.account_unknown")
    assert client.post(url, headers=sec, json=base).status_code == 201
    refused(client.post(url, headers=sec, json=base), 409, "projects.title_exists")


def test_dates_run_forward_and_never_into_the_future(client, make, world):
    p = world.project()
    sec = make.headers(world.secretary)
    refused(step(client, sec, p.id, 1, done_on="2026-06-16"), 422, "projects.date_future")
    assert step(client, sec, p.id, 1, done_on="2026-05-10").status_code == 201
    err = refused(step(client, sec, p.id, 2, done_on="2026-05-09"), 422, "projects.date_before_previous")
    assert "储备" in err["message"]
    assert step(client, sec, p.id, 2, done_on="2026-05-10").status_code == 201  # the same day is fine


def test_a_terminated_project_takes_no_step_and_no_change(client, make, world):
    pid = walk(client, make, world, 2)
    sec = make.headers(world.secretary)
    refused(client.post(f"/api/v1/projects/{pid}/terminate", headers=sec,
                        json={"terminated_on": "2026-06-15", "reason": "  "}), 422, "validation.failed")
    r = client.post(f"/api/v1/projects/{pid}/terminate", headers=sec,
                    json={"terminated_on": "2026-06-15", "reason": "选址不符合规划"})
    assert r.status_code == 200 and r.json["stage"] == "已终止"
    refused(step(client, sec, pid, 3), 409, "projects.terminated")
    refused(client.post(f"/api/v1/projects/{pid}/funds", headers=sec, json=FUND), 409, "projects.terminated")
    refused(client.put(f"/api/v1/projects/{pid}/plans", headers=sec, json={"year": 2026, "months": ["1"] * 12}),
            409, "projects.terminated")
    refused(client.post(f"/api/v1/projects/{pid}/terminate", headers=sec,
                        json={"terminated_on": "2026-06-15", "reason": "再次"}), 409, "projects.terminated")
    assert state(pid) == (2, "terminated", 2, 0)


def test_plans_are_a_whole_year(client, make, world):
    p = world.project()
    sec = make.headers(world.secretary)
    r = client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": ["1.00"] * 11})
    assert r.status_code == 422
    r = client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": ["-1.00"] * 12})
    assert r.status_code == 422
    months = [f"{i * 100}.00" for i in range(1, 13)]
    r = client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": months})
    assert r.status_code == 200
    r = client.put(f"/api/v1/projects/{p.id}/plans", headers=sec, json={"year": 2026, "months": ["7.00"] * 12})
    assert [m["planned"] for m in r.json["months"]] == ["7.00"] * 12  # overwritten, not added


def test_the_database_refuses_a_step_without_its_previous_one(world):
    p = world.project()
    db.session.add(ProjectStep(project_id=p.id, village_id=world.village.id, step=2, prev_step=1,
                               done_by_id=world.secretary.person_id, done_on=world.decision.resolved_on))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    for bad in ({"step": 8, "prev_step": 7}, {"step": 2, "prev_step": None}, {"step": 1, "prev_step": 0}):
        db.session.add(ProjectStep(project_id=p.id, village_id=world.village.id, done_by_id=world.secretary.person_id,
                                   done_on=world.decision.resolved_on, **bad))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    # a step of the project under another village
    db.session.add(ProjectStep(project_id=p.id, village_id=world.other_village.id, step=1,
                               done_by_id=world.secretary.person_id, done_on=world.decision.resolved_on))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    p = db.session.get(Project, p.id)
    p.step = 8
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_people_taking_the_same_step_at_once_record_it_once(app, client, make, world, postgres_only):
    from tests.factories import parallel

    p = world.project()
    sec, com = make.headers(world.secretary), make.headers(world.committee)
    body = {"step": 1, "done_on": "2026-06-01", "documents": ["储备表"]}
    url = f"/api/v1/projects/{p.id}/steps"
    results = parallel(app, [(lambda cl, h=h: cl.post(url, json=body, headers=h)) for h in (sec, com, sec, com)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    assert state(p.id) == (1, "active", 1, 0)


def test_funds_and_changes_are_checked(client, make, world):
    p = world.project()
    sec = make.headers(world.secretary)
    url = f"/api/v1/projects/{p.id}/funds"
    assert client.post(url, headers=sec, json={**FUND, "amount": "0.00"}).status_code == 422
    assert client.post(url, headers=sec, json={**FUND, "source": "银行贷款"}).status_code == 422
    refused(client.post(url, headers=sec, json={**FUND, "received_on": "2026-06-16"}), 422, "projects.date_future")
    assert state(p.id) == (0, "active", 0, 0)
    world.project(title="十里荷塘乡村旅游", category="乡村旅游")
    refused(client.patch(f"/api/v1/projects/{p.id}", headers=sec, json={"title": "十里荷塘乡村旅游"}), 409,
            "projects.title_exists")
    r = client.patch(f"/api/v1/projects/{p.id}", headers=sec, json={"planned_investment": "900000.00",
                                                                      "description": "装机200千瓦"})
    assert r.status_code == 200 and r.json["planned_investment"] == "900000.00"
    refused(client.post(f"/api/v1/projects/{p.id}/terminate", headers=sec,
                        json={"terminated_on": "2026-06-16", "reason": "选址不符"}), 422, "projects.date_future")
    assert state(p.id) == (0, "active", 0, 0)
