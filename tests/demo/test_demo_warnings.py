"""The demo's warnings are really due, and only those: 临江村's cash over its limit, two receivables overdue (a land
rent, the machinery lease), the cleaning contract ending within 90 days, the idle warehouse and the solar project
behind plan — each linking to the thing itself — and no 事项停滞 for the solar plan, whose decision was carried
through to its 实施结果公开 when the plant was built."""

from __future__ import annotations

from collections import Counter

from backend import demo, registry
from backend.core.db import db


def test_the_demo_township_warnings(app, client, make):
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    assert lj is not None
    zheng = make.headers(demo.person("zhengwen"))
    got = client.get(f"/api/v1/townships/{lj.township_id}/warnings", headers=zheng)
    assert got.status_code == 200, got.json
    mine = [w for w in got.json if w["village"]["id"] == lj.id]
    assert Counter(w["kind"] for w in mine) == Counter({
        "cash_over_limit": 1, "receivable_overdue": 2, "contract_expiring": 1, "asset_idle": 1,
        "project_behind_plan": 1})
    assert not [w for w in got.json if w["kind"] == "decision_stuck"], got.json
    by_kind = {w["kind"]: w for w in mine}
    assert "LJHT-2026-002" in by_kind["contract_expiring"]["message"] and "还剩 60 天" in by_kind[
        "contract_expiring"]["message"]
    assert by_kind["project_behind_plan"]["link"]["type"] == "project"
    assert {w["link"]["type"] for w in mine if w["kind"] == "receivable_overdue"} == {"contract", "land_contract"}
    solar = client.get(f"/api/v1/projects/{by_kind['project_behind_plan']['link']['id']}", headers=zheng).json
    assert solar["step"] == 7 and solar["behind_plan"] is True
    plan = next(s for s in solar["steps"] if s["step"] == 6)["decision"]
    detail = client.get(f"/api/v1/decisions/{plan['id']}", headers=zheng).json
    assert detail["status"] == "done" and [s["status"] for s in detail["stages"]] == ["passed"] * 6
