"""Demo decisions in 临江村, relative to the seeding day (docs/demo.md):

- last year's income distribution plan, through all six stages of 四议两公开 (决议 by the 成员大会);
- a project at the resolution stage with an open 村民代表会议 vote that closes 7 days after seeding
  (陈桂兰, a representative, may vote; 张大山 may not);
- a matter just proposed (its 提议 recorded).

Idempotent: a decision is looked up by its title in the village.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from backend import decisions as pipeline
from backend import registry
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.demo.registry import person
from backend.registry.models import Village

OFFICIALS = [{"name": "郑雯", "post": "青山镇农经站"}]


def _existing(village: Village, title: str) -> Decision | None:
    return db.session.execute(
        select(Decision).where(Decision.village_id == village.id, Decision.title == title)
    ).scalar_one_or_none()


def _attendees(village: Village, body: str, on: date, absent: int) -> list[int]:
    at = datetime.combine(on, time(9, 0), tzinfo=SHANGHAI)
    ids = [e.unit for e in votes.electorate(village.id, body, at, False)]
    return ids[: max(0, len(ids) - absent)]


def _meeting(
    d: Decision,
    village: Village,
    stage: str,
    body: str,
    on: date,
    secretary: Principal,
    *,
    absent: int = 1,
    oppose: int = 0,
    abstain: int = 0,
    summary: str,
    form: str = "会议",
) -> None:
    people = _attendees(village, body, on, absent)
    agree = len(people) - oppose - abstain
    pipeline.record_meeting(
        d,
        pipeline.MeetingInput(
            stage=stage,
            held_on=on,
            outcome="passed",
            meeting_form=form,
            attendees=people,
            agree=agree,
            oppose=oppose,
            abstain=abstain,
            summary=summary,
            minutes=f"{summary}。应到、实到人员见签到表；举手表决，同意{agree}人。",
            township_officials=OFFICIALS if stage in ("审议", "决议") else None,
        ),
        actor=secretary,
    )


def seed_decisions() -> int:
    """Create the three demo decisions (and the open vote); returns how many were created."""
    village = registry.village_by_code("LJ01")
    if village is None:
        return 0
    secretary = registry.load_principal(person("wangjianguo").id)
    supervisor = registry.load_principal(person("zhaodeming").id)
    assert secretary and supervisor
    now = today()
    created = 0

    title = f"{now.year - 1}年度集体收益分配方案"
    if _existing(village, title) is None:
        d = pipeline.create_decision(
            village.id,
            pipeline.DecisionInput(
                title=title,
                category="other",
                origin="村干部提议",
                amount_fen=1_940_000,  # 分红总额: 388 shares × 50.00 (backend/demo_dividends.py; a test checks it)
                description="按章程提取公积金50%、公益金40%；分红总额19400元，按成员股和劳龄股每股50元分配到户，"
                "其余结转下年。",
                decision_body="members_assembly",
            ),
            actor=secretary,
        )
        start = now - timedelta(days=290)
        _meeting(d, village, "提议", "two_committees", start, secretary, absent=0, summary="党支部提议收益分配方案")
        _meeting(
            d,
            village,
            "商议",
            "two_committees",
            start + timedelta(days=4),
            secretary,
            absent=0,
            summary="两委联席会议商议方案",
        )
        _meeting(
            d,
            village,
            "审议",
            "party_meeting",
            start + timedelta(days=9),
            secretary,
            absent=2,
            summary="党员大会审议通过",
        )
        _meeting(
            d,
            village,
            "决议",
            "members_assembly",
            start + timedelta(days=20),
            secretary,
            absent=30,
            oppose=3,
            abstain=4,
            summary="成员大会表决通过收益分配方案",
            form="成员大会（现场）",
        )
        pipeline.open_publicity(
            d,
            "决议公开",
            start_on=start + timedelta(days=21),
            summary="决议在村务公开栏公示",
            channel="村务公开栏、阳光村务小程序",
            actor=secretary,
        )
        pipeline.close_publicity(
            d, "决议公开", supervisor_opinion="公示期内无异议（监督委员会 赵德明）", actor=secretary
        )
        pipeline.record_result(
            d,
            pipeline.ResultInput(
                spent_fen=1_940_000,
                accepted_on=start + timedelta(days=45),
                accepted_by="村务监督委员会",
                acceptance_opinion="分红已全部打入农户账户，与名单一致",
                summary="分红已发放到户",
            ),
            actor=secretary,
        )
        pipeline.open_publicity(
            d,
            "实施结果公开",
            start_on=start + timedelta(days=46),
            summary="分红发放结果公示",
            channel="村务公开栏",
            actor=secretary,
        )
        pipeline.close_publicity(
            d, "实施结果公开", supervisor_opinion="发放结果属实（监督委员会 赵德明）", actor=secretary
        )
        created += 1

    title = "村级光伏电站扩建项目"
    if _existing(village, title) is None:
        d = pipeline.create_decision(
            village.id,
            pipeline.DecisionInput(
                title=title,
                category="project",
                origin="党员群众建议",
                amount_fen=36_000_000,
                description="在村委会和文化礼堂屋顶扩建光伏电站，收益归集体。",
                decision_body="representatives_meeting",
            ),
            actor=secretary,
        )
        _meeting(
            d,
            village,
            "提议",
            "two_committees",
            now - timedelta(days=12),
            secretary,
            absent=0,
            summary="党支部根据群众建议提议",
        )
        _meeting(
            d,
            village,
            "商议",
            "two_committees",
            now - timedelta(days=9),
            secretary,
            absent=0,
            summary="两委联席会议商议",
        )
        _meeting(
            d,
            village,
            "审议",
            "party_meeting",
            now - timedelta(days=5),
            secretary,
            absent=1,
            summary="党员大会审议通过",
        )
        opens = utcnow()
        votes.open_vote(
            d,
            stage="决议",
            body="representatives_meeting",
            title="村级光伏电站扩建项目表决",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            actor=secretary,
        )
        created += 1

    title = "村文化广场建设"
    if _existing(village, title) is None:
        d = pipeline.create_decision(
            village.id,
            pipeline.DecisionInput(
                title=title,
                category="project",
                origin="党员群众建议",
                amount_fen=18_000_000,
                description="在村东空地建设文化广场和健身设施。",
            ),
            actor=secretary,
        )
        _meeting(
            d,
            village,
            "提议",
            "two_committees",
            now - timedelta(days=1),
            secretary,
            absent=0,
            summary="党支部提议建设文化广场",
        )
        created += 1
    return created
