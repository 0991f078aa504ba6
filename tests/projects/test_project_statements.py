"""A project reads a fixed number of statements however many of its steps cite a decision (every cited decision in
one statement, its 实施 day from the steps it shows)."""

from __future__ import annotations

from datetime import date

from backend.core.db import db
from tests.factories import resolved_decision
from tests.land.conftest import statements
from tests.projects.test_project_steps import step


def test_a_project_reads_the_decisions_its_steps_cite_in_one_statement(app, client, make, world):
    p = world.project()
    sec = make.headers(world.secretary)
    cited = [resolved_decision(world.village.id, f"论证{i}", "project", None, date(2025, 3, 1)) for i in range(3)]
    db.session.commit()
    assert step(client, sec, p.id, 1, decision_id=cited[0].id).status_code == 201
    r, small = statements(app, f"/api/v1/projects/{p.id}", sec)
    assert r.status_code == 200
    for n in (2, 3):
        assert step(client, sec, p.id, n, decision_id=cited[n - 1].id).status_code == 201
    r, large = statements(app, f"/api/v1/projects/{p.id}", sec)
    assert r.status_code == 200
    assert [s["decision"]["title"] for s in r.json["steps"][:3]] == ["论证0", "论证1", "论证2"]
    assert len(large) == len(small), "\n".join(large)
    assert len([s for s in large if "FROM decisions" in s]) == 1
    assert len([s for s in large if "FROM project_steps" in s]) == 1


def test_a_list_without_an_implemented_project_reads_no_steps(app, client, make, world):
    world.project()
    world.project(title="蔬菜大棚")
    r, seen = statements(app, f"/api/v1/villages/{world.village.id}/projects", make.headers(world.villager))
    assert r.status_code == 200 and r.json["total"] == 2
    assert not [s for s in seen if "FROM project_steps" in s], "\n".join(seen)
