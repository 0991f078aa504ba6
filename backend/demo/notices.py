"""Demo announcements (docs/demo.md): 郑雯's pinned township notice to every 青山镇 village, and 临江村's own.

Published through the real service (``backend.notices.service.publish``: WeChat's content check as the publisher,
one push job per bound person in the audience), each "on" a plausible day (``demo_dividends.on_day``):

- 青山镇 (郑雯, four days before seeding): **秋冬季森林防火和安全用电通知**, 通知, everyone, pinned, to 临江村,
  新竹村 and 土桥村. Read in the app by some of the bound villagers (not 张大山 or 吴强, who can read it in a
  demonstration), and read out at a 村民小组 meeting in 临江村 and 新竹村 (recorded by the secretaries), so the
  reach screen shows real figures per village.
- 临江村 (王建国): the water-cut notice for everyone (the day before seeding, expiring after the works), a 党员-only
  主题党日 notice, and last autumn's harvest-safety reminder, long expired (so it no longer lists).
- 张大山 and 陈桂兰 gave one-time subscribe consents ten days ago. The recent notices' push jobs stay ``pending`` for
  the worker that ``scripts/run`` starts (seeding never depends on sending); the old notice's were settled as
  ``no_consent`` when it was published (no one had consented then), so it is never pushed after it expired.

If WeChat's content check cannot be reached (no stand-in configured), the notices are skipped with a warning and
a later seed creates them. Idempotent: a notice is looked up by title and source (township or village); reads are
recorded once per person. Returns the number of notices created.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from backend import registry
from backend.core.clock import SHANGHAI, today
from backend.core.db import db
from backend.core.errors import AppError
from backend.demo.days import on_day
from backend.demo.registry import PEOPLE, person, principal
from backend.notices import outbox
from backend.notices import service as notices
from backend.notices.models import Notice, NoticeRead, PushConsent, PushJob
from backend.registry.models import Township, Village

log = logging.getLogger(__name__)

TOWNSHIP_TITLE = "秋冬季森林防火和安全用电通知"
WATER_TITLE = "关于临江村自来水管网检修停水的通知"
PARTY_TITLE = "关于开展本月主题党日活动的通知"
HARVEST_TITLE = "秋收期间晾晒粮食注意交通安全的提示"
CONSENTS = (("zhangdashan", 2), ("chenguilan", 1))  # one-time subscribe consents given in the mini-program
CONSENT_DAYS_AGO = 10  # when they were given: the pushes of notices older than that found no consent


@dataclass(frozen=True)
class Plan:
    """A notice to publish ``days_ago`` before seeding, at ``at`` (Asia/Shanghai)."""

    title: str
    body: str
    category: str
    audience: str
    publisher: str  # demo key (docs/demo.md)
    source: str  # township code or village code
    days_ago: int
    at: time
    pinned: bool = False
    expires_days: int | None = None  # counted from the publishing day; the notice expires at 18:00 that day
    app_readers: tuple[str, ...] = ()  # demo key (docs/demo.md)s who read it in the app
    meetings: tuple[tuple[str, int, int], ...] = ()  # (village code, days after publishing, people) read out


def plans(now: date) -> tuple[Plan, ...]:
    meeting = now + timedelta(days=3)
    return (
        Plan(TOWNSHIP_TITLE,
             "各村（社区）：\n"
             "当前已进入秋冬季森林防火期，天干物燥，林区和农田火险等级较高；取暖季用电负荷增大，私拉乱接、"
             "超负荷用电引发的火灾时有发生。为切实保障群众生命财产安全，现将有关事项通知如下：\n"
             "一、严格野外用火管理。防火期内林区及林缘一公里范围内严禁烧荒、烧秸秆、上坟烧纸、燃放烟花爆竹，"
             "各村要落实护林员每日巡山，发现火情立即拨打12119并报告镇应急办。\n"
             "二、规范安全用电。不私拉乱接电线，不使用老化破损的插座和电线，电动自行车不进楼道、不在室内充电；"
             "取暖器、电热毯使用时有人看管，外出和睡前断电。\n"
             "三、开展入户排查。各村于本月底前组织网格员对独居老人、留守儿童家庭逐户排查用火用电隐患，"
             "建立台账，及时整改。\n"
             "四、请各村通过村务公开栏、广播和村民小组会议广泛宣传，确保通知到户到人。\n"
             "青山镇人民政府\n"
             "镇应急办电话：0539-7321119",
             "通知", "everyone", "zhengwen", "QS", 4, time(9, 0), pinned=True,
             app_readers=("wangjianguo", "lixiuying", "zhaodeming", "chenguilan", "liuxiaomei", "zhouhai", "heli",
                          "fengli"),
             meetings=(("LJ01", 1, 22), ("XZ02", 2, 7))),
        Plan(WATER_TITLE,
             "各位村民：\n"
             "因村自来水主管网老化漏水，经县水务公司安排，将对村东主管道进行检修更换。"
             f"{meeting.month}月{meeting.day}日8:00至18:00，一组、二组、三组及村委会周边停止供水，"
             "如遇特殊情况顺延。请各户提前做好储水准备，停水期间关好水龙头，防止来水后跑水。\n"
             "恢复供水初期水质可能略有浑浊，放水几分钟后即可正常使用。给大家带来不便，敬请谅解。\n"
             "联系电话：村委会 0539-7325001\n"
             "临江村村民委员会",
             "便民服务", "everyone", "wangjianguo", "LJ01", 1, time(8, 30), expires_days=5,
             app_readers=("lixiuying", "chenguilan", "liuxiaomei")),
        Plan(PARTY_TITLE,
             "全体党员同志：\n"
             f"本月主题党日活动定于{meeting.month}月{meeting.day}日上午9:00在村党群服务中心举行，内容：集中学习"
             "党的二十届四中全会精神；通报第三季度村务、财务公开情况；组织党员志愿服务队清理村内主干道两侧垃圾。\n"
             "请全体党员准时参加，因病因事不能参加的请提前向村党支部书记请假。流动党员请通过线上方式参加学习。\n"
             "中共临江村支部委员会",
             "会议", "party_members", "wangjianguo", "LJ01", 3, time(17, 20), expires_days=7,
             app_readers=("zhaodeming",)),
        Plan(HARVEST_TITLE,
             "各位村民：\n"
             "秋收已经开始，请大家不要在县道、通组路上晾晒玉米、花生等粮食，不要在路边堆放秸秆，"
             "防止过往车辆打滑、碰撞引发交通事故。粮食可在村文化广场和各组晒场晾晒。\n"
             "驾驶三轮车、农用车运粮时不超载、不载人，夜间开灯慢行。\n"
             "临江村村民委员会",
             "公告", "everyone", "wangjianguo", "LJ01", 58, time(7, 40), expires_days=30,
             app_readers=("lixiuying", "zhaodeming", "chenguilan", "zhangdashan"),
             meetings=(("LJ01", 2, 31),)),
    )


# ---------------------------------------------------------------- helpers


def _source(code: str) -> tuple[Township | None, Village | None]:
    if len(code) == 2:
        return registry.township_by_code(code), None
    return None, registry.village_by_code(code)


def _existing(title: str, township: Township | None, village: Village | None) -> Notice | None:
    if township is not None:
        where = Notice.township_id == township.id
    else:
        assert village is not None
        where = Notice.village_id == village.id
    return db.session.execute(select(Notice).where(Notice.title == title, where, Notice.withdrawn_at.is_(None))
                              .order_by(Notice.id).limit(1)).scalar_one_or_none()


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI)


def _meeting_people(n: Notice, village: Village, count: int, exclude: Sequence[int]) -> list[int]:
    """``count`` of the village's audience, never the named people (they read in the app or not at all)."""
    people = sorted(pid for pid, vid in notices.audience([village.id], n.audience).items()
                    if vid == village.id and pid not in exclude)
    rng = random.Random(f"{n.title}:{village.code}")
    return sorted(rng.sample(people, min(count, len(people))))


# ---------------------------------------------------------------- one notice


def _seed_one(plan: Plan, now: date) -> int:
    """Publish the notice if it is missing (returns 1), then record its reads (idempotent)."""
    township, village = _source(plan.source)
    if township is None and village is None:
        return 0
    published = now - timedelta(days=plan.days_ago)
    n = _existing(plan.title, township, village)
    created = 0
    if n is None:
        expires = (_at(published + timedelta(days=plan.expires_days), time(18, 0))
                   if plan.expires_days is not None else None)
        with on_day(published, plan.at):
            n = notices.publish(notices.NoticeInput(
                title=plan.title, body=plan.body, category=plan.category, audience=plan.audience, pinned=plan.pinned,
                expires_at=expires), actor=principal(plan.publisher), township=township, village=village)
        created = 1
        if plan.days_ago > CONSENT_DAYS_AGO:
            # the worker took these jobs long ago, when no one had consented: what it recorded then
            db.session.execute(update(PushJob).where(PushJob.kind == "notice", PushJob.object_id == n.id,
                                                     PushJob.status == "pending")
                               .values(status="no_consent", last_error="没有可用的订阅授权")
                               .execution_options(synchronize_session=False))
    reached = notices.audience(notices.targets_of(n), n.audience)
    for i, key in enumerate(plan.app_readers):
        pid = person(key).id
        if pid not in reached:
            continue
        read_on = published + timedelta(days=i % 3)
        if read_on > now:
            read_on = now
        with on_day(read_on, time(19, 30 + i % 3 * 10)):
            notices.mark_read(n, pid, reached[pid])
    named = [person(p.key).id for p in PEOPLE]
    for code, after, count in plan.meetings:
        place = registry.village_by_code(code)
        if place is None or place.id not in reached.values():
            continue
        secretary = next(p.key for p in PEOPLE if p.village == code and "secretary" in p.roles)
        done = set(db.session.execute(select(NoticeRead.person_id).where(NoticeRead.notice_id == n.id)).scalars())
        people = [pid for pid in _meeting_people(n, place, count, named) if pid not in done]
        if not people:
            continue  # recorded by an earlier seed (the service would audit an empty read-out)
        with on_day(min(published + timedelta(days=after), now), time(14, 0)):
            notices.record_offline_reads(n, place, people, "meeting", actor=principal(secretary))
    return created


# ---------------------------------------------------------------- entry point


def seed_notices() -> int:
    """Seed 青山镇's and 临江村's notices; returns the notices created (0 when WeChat cannot be reached)."""
    now = today()
    for key, count in CONSENTS:
        pid = person(key).id
        tmpl = outbox.template_id()
        if db.session.execute(select(PushConsent.id).where(PushConsent.person_id == pid,
                                                           PushConsent.template_id == tmpl)).first() is None:
            with on_day(now - timedelta(days=CONSENT_DAYS_AGO), time(20, 5)):
                outbox.add_consent(pid, tmpl, count)
    created = 0
    for plan in plans(now):
        try:
            created += _seed_one(plan, now)
        except AppError as exc:
            if exc.status < 500:
                raise
            log.warning("demo notices skipped: WeChat's content check is unavailable (%s)", exc.message)
            break
    return created
