"""Who reads and who keeps the project library: villagers of the village read (public fields), staff keep, the
township reads every village's projects of its own township only."""

from __future__ import annotations

from datetime import date

from backend.core.db import db
from backend.projects import service


def test_a_villager_reads_the_list_and_a_project(client, make, world):
    p = world.project()
    service.add_fund(p, service.FundInput("县级财政", 50_000_000, date(2026, 3, 1)), actor=None)
    db.session.commit()
    h = make.headers(world.villager)
    r = client.get(f"/api/v1/villages/{world.village.id}/projects", headers=h)
    assert r.status_code == 200, r.json
    assert r.json["total"] == 1 and r.json["page"] == 1
    item = r.json["items"][0]
    assert {k: item[k] for k in ("id", "title", "step", "step_name", "support_funds", "income_to_date")} == {
        "id": p.id, "title": "村集体屋顶分布式光伏", "step": 0, "step_name": "未开始", "support_funds": "500000.00",
        "income_to_date": "0.00"}
    r = client.get(f"/api/v1/projects/{p.id}", headers=h)
    assert r.status_code == 200 and r.json["can_manage"] is False and r.json["can_approve"] is False
    assert "terminate_reason" not in r.json
    assert len(r.json["steps"]) == 7 and r.json["steps"][0]["name"] == "储备"
    # the phone's reads carry a validator: a repeat naming it is answered 304
    tag = r.headers.get("ETag")
    assert tag
    again = client.get(f"/api/v1/projects/{p.id}", headers={**h, "If-None-Match": tag})
    assert again.status_code == 304


def test_villagers_keep_nothing(client, make, world):
    p = world.project()
    h = make.headers(world.villager)
    assert client.post(f"/api/v1/villages/{world.village.id}/projects", headers=h,
                       json={"title": "新项目", "category": "其他"}).status_code == 403
    assert client.patch(f"/api/v1/projects/{p.id}", headers=h, json={"title": "改名"}).status_code == 403
    assert client.put(f"/api/v1/projects/{p.id}/plans", headers=h,
                      json={"year": 2026, "months": ["1"] * 12}).status_code == 403
    assert client.get(f"/api/v1/villages/{world.village.id}/projects/choices", headers=h).status_code == 403


def test_another_village_sees_nothing(client, make, world):
    p = world.project()
    h = make.headers(world.other_villager)
    assert client.get(f"/api/v1/villages/{world.village.id}/projects", headers=h).status_code in (403, 404)
    assert client.get(f"/api/v1/projects/{p.id}", headers=h).status_code in (403, 404)
    assert client.get(f"/api/v1/projects/{p.id}", headers=make.headers(world.far_staff)).status_code in (403, 404)
    assert client.get("/api/v1/projects/99999999", headers=h).status_code == 404


def test_the_township_sees_every_village_and_what_waits_for_approval(client, make, world):
    p = world.project()
    q = world.project(title="十里荷塘乡村旅游", category="乡村旅游")
    sec = make.principal(world.secretary)
    for n in range(1, 5):
        service.add_step(q, service.StepInput(n, date(2026, 5, n), funds=[
            service.FundInput("县级财政", 20_000_000, date(2026, 5, 4))] if n == 4 else ()), actor=sec)
    db.session.commit()
    t = world.village.township_id
    r = client.get(f"/api/v1/townships/{t}/projects", headers=make.headers(world.staff))
    assert r.status_code == 200, r.json
    assert [(i["village_name"], i["title"], i["awaiting_approval"]) for i in r.json["items"]] == [
        ("临江村", "村集体屋顶分布式光伏", False), ("临江村", "十里荷塘乡村旅游", True)]
    r = client.get(f"/api/v1/townships/{t}/projects?awaiting=true", headers=make.headers(world.staff))
    assert [i["id"] for i in r.json["items"]] == [q.id]
    assert r.json["items"][0]["stage"].endswith("待镇项目评审委员会审批")
    assert p.id not in [i["id"] for i in r.json["items"]]
    assert client.get(f"/api/v1/townships/{t}/projects", headers=make.headers(world.far_staff)).status_code in (
        403, 404)
    assert client.get(f"/api/v1/townships/{t}/projects", headers=make.headers(world.secretary)).status_code in (
        403, 404)


def test_the_choices_are_resolved_decisions_and_income_accounts_by_name(client, make, world):
    r = client.get(f"/api/v1/villages/{world.village.id}/projects/choices", headers=make.headers(world.secretary))
    assert r.status_code == 200
    assert [d["title"] for d in r.json["decisions"]] == ["建设村集体屋顶分布式光伏"]
    names = {a["code"]: a["name"] for a in r.json["accounts"]}
    assert names["501004"] == "光伏发电收入" and "102" not in names


def test_the_township_exports_its_overview(client, make, world):
    from io import BytesIO

    from openpyxl import load_workbook

    world.project()
    t = world.village.township_id
    r = client.get(f"/api/v1/townships/{t}/projects.xlsx", headers=make.headers(world.staff))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:4] == ("村", "项目", "类别", "当前环节")
    assert rows[2][:4] == ("临江村", "村集体屋顶分布式光伏", "光伏发电", "待储备")
    assert float(rows[2][4]) == 0.0
    assert client.get(f"/api/v1/townships/{t}/projects.xlsx",
                      headers=make.headers(world.far_staff)).status_code in (403, 404)
