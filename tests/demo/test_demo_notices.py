"""The demo's notices (docs/demo.md): 郑雯's pinned township notice reaches every 青山镇 village and lists first,
临江村's water-cut notice only 临江村; reach shows real figures per village; the pushes wait for the worker, which
sends them to whoever consented; a second seed adds nothing."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend import demo
from backend.core.db import db
from backend.demo import notices as demo_notices
from backend.notices import outbox as notices
from backend.notices.models import Notice, NoticeRead, NoticeTarget, PushConsent, PushJob
from backend.wechat.standin import StandIn

COUNTED = (Notice, NoticeTarget, NoticeRead, PushConsent, PushJob)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in COUNTED}


def _login(client: FlaskClient, key: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/wechat-login", json={"code": f"demo-{key}"})
    assert r.status_code == 200 and r.json["bound"] is True, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def _mine(client: FlaskClient, key: str) -> list[tuple[str, str, bool]]:
    r = client.get("/api/v1/me/notices", headers=_login(client, key))
    assert r.status_code == 200, r.json
    return [(n["title"], n["source"], n["pinned"]) for n in r.json["items"]]


def test_the_demo_notices(app: Flask, client: FlaskClient, wechat: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    spent: list[float] = []
    seed_notices = demo_notices.seed_notices

    def timed() -> int:
        t = time.perf_counter()
        try:
            return seed_notices()
        finally:
            spent.append(time.perf_counter() - t)

    monkeypatch.setattr(demo_notices, "seed_notices", timed)
    summary = demo.seed()
    db.session.commit()
    print(f"\nnotices seed ({db.engine.dialect.name}): {spent[0]:.2f} s")
    monkeypatch.undo()
    assert "4 条公告" in summary

    # 张大山 (临江村): the pinned township notice first, then 临江村's own; not the 党员 one, not the expired one
    assert _mine(client, "zhangdashan") == [
        (demo_notices.TOWNSHIP_TITLE, "township", True), (demo_notices.WATER_TITLE, "village", False)]
    # 赵德明 is a 党员: he sees the 主题党日 notice too
    assert [t for t, _, _ in _mine(client, "zhaodeming")] == [
        demo_notices.TOWNSHIP_TITLE, demo_notices.WATER_TITLE, demo_notices.PARTY_TITLE]
    # 吴强 (新竹村): the township notice, none of 临江村's
    assert _mine(client, "wuqiang") == [(demo_notices.TOWNSHIP_TITLE, "township", True)]

    # 郑雯 sees the reach per village: read in the app and read out at meetings
    township = db.session.execute(select(Notice).where(Notice.title == demo_notices.TOWNSHIP_TITLE)).scalar_one()
    zheng = _login(client, "zhengwen")
    r = client.get(f"/api/v1/notices/{township.id}/reach", headers=zheng)
    assert r.status_code == 200, r.json
    rows = {v["village"]: v for v in r.json["villages"]}
    assert set(rows) == {"临江村", "新竹村", "土桥村"}
    lj, xz, tq = rows["临江村"], rows["新竹村"], rows["土桥村"]
    assert (lj["read_in_app"], lj["read_offline"]) == (5, 22)
    assert (xz["read_in_app"], xz["read_offline"]) == (1, 7)
    assert (tq["read_in_app"], tq["read_offline"]) == (1, 0)
    assert all(0 < v["read"] < v["audience"] for v in rows.values())
    assert lj["audience"] > 150 and lj["share"].endswith("%")
    # the village's own notice: 王建国 sees its reach, 郑雯 is not its source
    water = db.session.execute(select(Notice).where(Notice.title == demo_notices.WATER_TITLE)).scalar_one()
    wang = _login(client, "wangjianguo")
    assert [v["read_in_app"] for v in client.get(f"/api/v1/notices/{water.id}/reach",
                                                 headers=wang).json["villages"]] == [3]

    # the pushes wait for the worker; whoever consented gets exactly one message
    assert notices.outbox_counts("notice", township.id) == {"pending": 9}  # the bound villagers, 郑雯/冯立 not
    harvest = db.session.execute(select(Notice).where(Notice.title == demo_notices.HARVEST_TITLE)).scalar_one()
    assert notices.outbox_counts("notice", harvest.id) == {"no_consent": 6}  # long ago, before any consent
    for key, count in demo_notices.CONSENTS:
        wechat.grant_consent(f"o-{key}", notices.template_id(), count)
    report = notices.work(limit=100)
    assert report.sent == 3 and report.failed == 0  # 张大山: township + water; 陈桂兰: the township notice
    assert sorted(m["touser"] for m in wechat.messages()) == ["o-chenguilan", "o-zhangdashan", "o-zhangdashan"]

    # a second seed creates nothing
    before = _counts()
    assert "条公告" not in demo.seed().split("（")[-1]
    db.session.commit()
    assert _counts() == before
