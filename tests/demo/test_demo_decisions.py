"""The demo's decisions: one through all six stages, one with an open 村民代表会议 vote, one just proposed; and the
two resolved decisions money rests on (this year's 年终分红, the leases of the collective's assets)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend import demo, registry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.pipeline.models import Decision


def test_the_demo_decisions_and_the_open_vote(app, client, make):
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    chen = make.headers(demo.person("chenguilan"))
    zhang = make.headers(demo.person("zhangdashan"))
    listing = client.get(f"/api/v1/villages/{lj.id}/decisions", headers=zhang).json
    by_title = {d["title"]: d for d in listing["items"]}
    done = next(d for t, d in by_title.items() if t.endswith("年度集体收益分配方案"))
    assert done["status"] == "done"
    detail = client.get(f"/api/v1/decisions/{done['id']}", headers=zhang).json
    assert [s["stage"] for s in detail["stages"]] == ["提议", "商议", "审议", "决议", "决议公开", "实施结果公开"]
    assert all(s["status"] == "passed" for s in detail["stages"])
    assert by_title["村文化广场建设"]["status"] == "in_progress"
    lease = next(d for t, d in by_title.items() if t.startswith("集体资产出租方案"))
    assert lease["status"] in ("resolved", "done")
    assert lease["amount"] == "240000.00"
    (year_end,) = [d for t, d in by_title.items() if t.endswith("年度年终分红方案")]
    assert year_end["status"] == "resolved"

    mine = client.get("/api/v1/me/votes", headers=chen).json
    assert len(mine) == 1 and mine[0]["has_voted"] is False
    closes = mine[0]["closes_at"]
    assert closes.endswith("+08:00")
    vote_id = mine[0]["id"]
    r = client.post(f"/api/v1/votes/{vote_id}/ballots", json={"choice": "agree"}, headers=chen)
    assert r.status_code == 201 and r.json["receipt"]
    assert client.get("/api/v1/me/votes", headers=zhang).json == []
    no = client.post(f"/api/v1/votes/{vote_id}/ballots", json={"choice": "agree"}, headers=zhang)
    assert no.status_code == 403 and no.json["error"]["code"] == "vote.not_eligible"
    from backend.decisions.votes.models import Vote

    vote = db.session.get(Vote, vote_id)
    assert timedelta(days=6, hours=23) < vote.closes_at - utcnow() <= timedelta(days=7)
    demo.seed()  # again: nothing new
    # 6 of the decisions demo; 1 of the 三资 register, 1 of the project library, 2 of the contracts register
    assert db.session.execute(select(func.count(Decision.id)).where(Decision.village_id == lj.id)).scalar_one() == 10
