"""The demo's places and people (docs/demo.md): townships, villages, the fixed people and generated rosters, roles,
WeChat bindings — and how the other demo modules find them (:func:`person`, :func:`village`, :func:`household`,
:func:`principal`).

The named people (``PEOPLE``), places and codes are fixed so that demonstrations and acceptance checks can
rely on them. Everyone else on the rosters is generated from a fixed seed (``roster_plan``), so every run
produces the same households, names and ID numbers, and seeding is idempotent: each row is looked up by its
natural key (place code, household number, ID-number hash, active role assignment, WeChat openid) and only
created when missing.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from backend import registry
from backend.auth.models import WeChatAccount
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.identity import id_hashes
from backend.core.permissions import Principal
from backend.registry.models import Household, Person, RoleAssignment, Township, Village

# ---------------------------------------------------------------- the fixed places and people

TOWNSHIPS: tuple[tuple[str, str], ...] = (("QS", "青山镇"), ("BS", "白石镇"))


@dataclass(frozen=True)
class DemoVillage:
    township: str  # township code
    code: str
    name: str
    prefix: str  # household numbers are <prefix>-001 …
    households: int  # size of the roster, fixed households included
    groups: int  # 村民小组, for addresses
    surnames: tuple[str, ...]  # the village's common family names


VILLAGES: tuple[DemoVillage, ...] = (
    DemoVillage("QS", "LJ01", "临江村", "LJ", 64, 6, ("王", "张", "李", "刘", "陈", "赵", "孙")),
    DemoVillage("QS", "XZ02", "新竹村", "XZ", 18, 3, ("周", "吴", "徐", "马", "朱")),
    DemoVillage("QS", "TQ03", "土桥村", "TQ", 16, 3, ("何", "高", "郭", "宋", "韩")),
    DemoVillage("BS", "BS01", "白石村", "BS", 10, 2, ("白", "石", "杨", "于", "董")),
)
VILLAGE_BY_CODE = {v.code: v for v in VILLAGES}
TOWNSHIP_NAMES = dict(TOWNSHIPS)


@dataclass(frozen=True)
class DemoPerson:
    """A person of docs/demo.md's table. ``roles`` as the table lists them ("member" comes from the roster)."""

    key: str
    name: str
    id_card: str
    village: str | None  # village code; None for township staff without a household
    household: str | None
    head: bool
    roles: tuple[str, ...]
    phone: str | None
    relation: str = "户主"
    township: str = "QS"
    role_villages: tuple[str, ...] = ()  # village scopes of a township role (冯立 keeps these books)
    bound: bool = True  # bound to WeChat openid o-<key> by the seed

    @property
    def code(self) -> str:
        """The stand-in's wx.login code that logs this person in."""
        return f"demo-{self.key}"

    @property
    def openid(self) -> str:
        return f"o-{self.key}"

    @property
    def last6(self) -> str:
        return self.id_card[-6:]


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("wangjianguo", "王建国", "371427196803120115", "LJ01", "LJ-001", True,
               ("secretary", "party_member", "member"), "13905391101"),
    DemoPerson("lixiuying", "李秀英", "371427197508240223", "LJ01", "LJ-002", True,
               ("accountant", "member"), "13905391102"),
    DemoPerson("zhaodeming", "赵德明", "371427196201050316", "LJ01", "LJ-003", True,
               ("supervisor", "party_member", "member"), "13905391103"),
    DemoPerson("chenguilan", "陈桂兰", "371427197009180422", "LJ01", "LJ-004", True,
               ("representative", "member"), "13905391104"),
    DemoPerson("zhangdashan", "张大山", "37142719720415051X", "LJ01", "LJ-005", True, ("member",), "13905391105"),
    DemoPerson("zhangxiaoyan", "张小燕", "371427199901010829", "LJ01", "LJ-005", False, ("member",), "13800000829",
               relation="子女", bound=False),
    DemoPerson("liuxiaomei", "刘小梅", "371427198506300629", "LJ01", "LJ-006", True, ("member",), "13905391106"),
    DemoPerson("sunyoufu", "孙有福", "371427195302110715", "LJ01", "LJ-007", True, ("member",), None, bound=False),
    DemoPerson("zhouhai", "周海", "371427197807220919", "XZ02", "XZ-001", True,
               ("secretary", "party_member", "member"), "13905392201"),
    DemoPerson("wuqiang", "吴强", "371427198103090137", "XZ02", "XZ-002", True, ("member",), "13905392202"),
    DemoPerson("heli", "何丽", "371427199002020468", "TQ03", "TQ-001", True,
               ("representative", "member"), "13905393301"),
    DemoPerson("zhengwen", "郑雯", "371427198305270240", None, None, False, ("township_staff",), "13905390001",
               relation=""),
    DemoPerson("fengli", "冯立", "371427197901010352", None, None, False, ("township_accountant",), "13905390002",
               relation="", role_villages=("LJ01", "XZ02")),
    DemoPerson("yangfan", "杨帆", "371427198806120339", None, None, False, ("township_staff",), "13905380001",
               relation="", township="BS"),
)
PEOPLE_BY_KEY = {p.key: p for p in PEOPLE}
TUOPIN_HOUSEHOLDS = frozenset({"LJ-006"})  # fixed: 刘小梅's household is a 脱贫户
SPECIAL_CODES = (("invalid", "40029", "code 无效"), ("used", "40163", "code 已被使用"),
                 ("busy", "-1", "微信系统繁忙"), ("limit", "45011", "调用太频繁"))
DOCS_PATH = "/api/v1/docs"


# ---------------------------------------------------------------- the generated roster (a pure plan)

REF_YEAR = 2026  # ages in the plan are counted to this year, so the plan never depends on the seeding day
SEED = 20260415

_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何",
             "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓",
             "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎")
_GIVEN = {
    ("M", "old"): ("德胜", "富贵", "长林", "明山", "守义", "玉田", "广才", "振华", "庆丰", "宝山", "金水", "树林",
                   "永福", "学文", "成山", "立本", "洪亮", "春生", "保国", "来福", "有才", "元庆"),
    ("M", "mid"): ("伟", "军", "勇", "涛", "强", "磊", "斌", "建军", "海涛", "志刚", "红军", "卫东", "立新", "新华",
                   "东升", "晓明", "文杰", "宏伟", "永刚", "建华", "国庆", "春雷"),
    ("M", "young"): ("浩", "宇", "鹏", "超", "杰", "凯", "帅", "俊杰", "博文", "天宇", "一鸣", "嘉豪", "明轩",
                     "晨阳", "泽宇", "子豪", "家乐", "文博", "志远", "海洋"),
    ("M", "kid"): ("浩宇", "子轩", "宇航", "昊然", "梓豪", "睿", "一诺", "沐阳", "铭泽", "皓轩", "俊熙", "思远"),
    ("F", "old"): ("桂英", "秀兰", "玉兰", "凤英", "淑珍", "桂芝", "秀珍", "玉梅", "翠花", "春兰", "金凤", "素芬",
                   "兰英", "秀芳", "月娥", "桂香"),
    ("F", "mid"): ("丽", "红", "霞", "燕", "静", "敏", "艳", "丽娟", "红梅", "海燕", "晓红", "春燕", "秀梅",
                   "美玲", "雪梅", "玉芳", "丽华"),
    ("F", "young"): ("婷", "雪", "欣", "悦", "倩", "佳怡", "欣怡", "晓雯", "思琪", "可欣", "梦瑶", "雅琳",
                     "文静", "佳慧", "丹丹", "莉莉"),
    ("F", "kid"): ("雨涵", "诗涵", "梓涵", "子涵", "一诺", "雨桐", "欣妍", "可馨", "若汐", "语嫣", "思彤", "芷若"),
}
_PHONE_PREFIXES = ("135", "136", "137", "138", "150", "151", "152", "158", "159", "187", "188", "176", "183")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
REGION = "371427"


@dataclass
class PlanMember:
    name: str
    id_card: str
    relation: str
    is_head: bool = False
    phone: str | None = None
    collective: bool = True
    status: str = "active"
    roles: list[str] = field(default_factory=list)  # village-scoped assignments
    key: str | None = None  # the demo key (docs/demo.md) of a named person

    @property
    def gender(self) -> str:
        return "M" if int(self.id_card[16]) % 2 == 1 else "F"

    @property
    def born(self) -> date:
        return date(int(self.id_card[6:10]), int(self.id_card[10:12]), int(self.id_card[12:14]))

    @property
    def age(self) -> int:
        return REF_YEAR - self.born.year


@dataclass
class PlanHousehold:
    village: str  # village code
    number: str
    address: str
    tuopin: bool = False
    jiance: bool = False
    members: list[PlanMember] = field(default_factory=list)


def id_card_for(born: date, male: bool, order: int, region: str = REGION) -> str:
    """A valid 18-character ID number (GB 11643) for a birth date and an order code 0–999 (odd = male)."""
    if order % 2 != (1 if male else 0):
        order = (order + 1) % 1000 if order < 999 else order - 1
    body = f"{region}{born:%Y%m%d}{order:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


class _Builder:
    """Draws people from one ``random.Random``; the fixed people's ID numbers and phones are taken first."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids: set[str] = {p.id_card for p in PEOPLE}
        self.phones: set[str] = {p.phone for p in PEOPLE if p.phone}
        self.names: dict[str, set[str]] = {v.code: set() for v in VILLAGES}
        for p in PEOPLE:
            if p.village:
                self.names[p.village].add(p.name)

    def born(self, year: int) -> date:
        year = min(year, REF_YEAR - 3)
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def id_card(self, born: date, male: bool) -> str:
        while True:
            order = self.rng.randrange(500) * 2 + (1 if male else 0)
            if order == 0:
                continue
            card = id_card_for(born, male, order)
            if card not in self.ids:
                self.ids.add(card)
                return card

    def name(self, village: str, surname: str, male: bool, year: int) -> str:
        gen = "old" if year < 1962 else "mid" if year < 1984 else "young" if year < 2006 else "kid"
        pool = _GIVEN[("M" if male else "F", gen)]
        taken = self.names[village]
        for _ in range(50):
            name = surname + self.rng.choice(pool)
            if name not in taken:
                break
        taken.add(name)
        return name

    def phone(self, age: int) -> str | None:
        if age < 18 or age > 75 or self.rng.random() > 0.65:
            return None
        while True:
            phone = self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def surname(self, village: DemoVillage) -> str:
        if self.rng.random() < 0.7:
            return self.rng.choice(village.surnames)
        return self.rng.choice(_SURNAMES)

    def person(self, village: DemoVillage, surname: str, male: bool, year: int, relation: str,
               *, head: bool = False, phone: bool = True) -> PlanMember:
        born = self.born(year)
        card = self.id_card(born, male)
        m = PlanMember(self.name(village.code, surname, male, born.year), card, relation, is_head=head)
        m.phone = self.phone(m.age) if phone else None
        return m

    # -------------------------------------------------------- families

    def family(self, village: DemoVillage, head: PlanMember, surname: str, *, shape: str = "any") -> list[PlanMember]:
        """The head's household: spouse, children, parents or grandchildren as age makes plausible."""
        rng, out = self.rng, [head]
        male, y, age = head.gender == "M", head.born.year, head.age
        phones = shape != "no_phones"
        spouse = None
        if shape in ("couple", "no_phones") or (shape == "any" and rng.random() < (0.9 if male else 0.4)):
            sy = y + (rng.randint(-1, 4) if male else rng.randint(-4, 1))
            spouse = self.person(village, self.surname(village) if male else surname, not male, sy, "配偶",
                                 phone=phones)
            out.append(spouse)
        if shape in ("couple", "no_phones"):
            return out
        father_surname = surname if male else (spouse.name[0] if spouse else self.surname(village))
        if shape == "single_parent":
            father_surname = self.surname(village)
        if age < 46 or shape == "single_parent":
            kids = rng.choice((1, 1, 2, 2, 2, 3)) if shape == "any" else 2
            first = y + rng.randint(23, 31)
            for i in range(kids):
                out.append(self.person(village, father_surname, rng.random() < 0.5, first + 3 * i, "子女"))
            if shape == "single_parent" or rng.random() < 0.35:
                parent_male = rng.random() < 0.4
                out.append(self.person(village, surname if parent_male else self.surname(village), parent_male,
                                       y - rng.randint(24, 32), "父母"))
        elif age < 63:
            kids = rng.choice((1, 2, 2))
            first = y + rng.randint(23, 30)
            for i in range(kids):
                out.append(self.person(village, father_surname, rng.random() < 0.55, first + 3 * i, "子女"))
            if age < 56 and rng.random() < 0.25:
                out.append(self.person(village, surname, True, y - rng.randint(24, 30), "父母"))
        else:
            r = rng.random()
            if r < 0.55:
                son = rng.random() < 0.75
                cy = y + rng.randint(23, 30)
                child = self.person(village, father_surname, son, cy, "子女")
                inlaw = self.person(village, self.surname(village), not son, cy + rng.randint(-2, 2),
                                    "儿媳" if son else "女婿")
                if rng.random() < 0.4:  # married in recently: not (yet) a member of the collective
                    inlaw.collective = False
                grand_surname = father_surname if son or rng.random() < 0.5 else inlaw.name[0]
                out += [child, inlaw, self.person(village, grand_surname, rng.random() < 0.5,
                                                  cy + rng.randint(24, 30), "孙子女")]
            elif r < 0.85:
                out.append(self.person(village, father_surname, rng.random() < 0.6, y + rng.randint(24, 32), "子女"))
        if len(out) == 1:
            out.append(self.person(village, father_surname, rng.random() < 0.5, y + rng.randint(24, 30), "子女"))
        return out[:5]

    def generated_head(self, village: DemoVillage) -> tuple[PlanMember, str]:
        male = self.rng.random() < 0.85
        surname = self.surname(village)
        year = self.rng.choice((1948, 1952, 1956, 1960, 1964, 1968, 1972, 1976, 1980, 1984, 1988, 1992))
        return self.person(village, surname, male, year + self.rng.randint(0, 3), "户主", head=True), surname


def _fixed_member(p: DemoPerson) -> PlanMember:
    return PlanMember(p.name, p.id_card, p.relation, is_head=p.head, phone=p.phone,
                      roles=[r for r in p.roles if r not in registry.DERIVED_ROLES], key=p.key)


# The shapes of the fixed households around their named heads.
_FIXED_SHAPES = {"LJ-005": "couple", "LJ-006": "single_parent", "LJ-007": "no_phones"}

# Village-scoped roles handed to generated people: (role, how many, how many of them women at least).
_ROLE_PLAN: dict[str, tuple[tuple[str, int, int], ...]] = {
    "LJ01": (("committee", 4, 1), ("supervisor", 1, 0), ("representative", 8, 3), ("party_member", 6, 1)),
    "XZ02": (("committee", 3, 1), ("supervisor", 2, 0), ("representative", 3, 1), ("party_member", 3, 1)),
    "TQ03": (("secretary", 1, 0), ("accountant", 1, 1), ("committee", 3, 1), ("supervisor", 2, 0),
             ("representative", 2, 1), ("party_member", 2, 1)),
    "BS01": (("secretary", 1, 0), ("accountant", 1, 1), ("committee", 2, 1), ("supervisor", 1, 0),
             ("representative", 2, 1), ("party_member", 1, 0)),
}
# Office holders who are also party members (every secretary is): how many of each role, by village.
_PARTY_LEADERS: dict[str, dict[str, int]] = {
    "LJ01": {"secretary": 1, "committee": 2, "supervisor": 1, "representative": 2},
}
_DEFAULT_PARTY_LEADERS = {"secretary": 1, "committee": 1, "supervisor": 1}
_OFFICE_ROLES = ("secretary", "accountant", "committee")  # 村委会 and its like: no supervisor in their household


def _assign_roles(rng: random.Random, village: str, households: list[PlanHousehold]) -> None:
    """Hand out the village's roles among generated adults, the way a village would.

    Supervisors come from households without a 村委 member (close relatives may not supervise them);
    representatives come one per household; some committee members, the supervisor and some representatives
    are also party members, and older villagers are party members too.
    """
    eligible = [(h, m) for h in households for m in h.members
                if m.key is None and m.status == "active" and m.collective and 25 <= m.age <= 68
                and not any(x.key for x in h.members)]
    office_households: set[str] = set()
    used_households: set[str] = set()
    holders: dict[str, list[PlanMember]] = {}

    def pick(role: str, count: int, women: int) -> None:
        chosen: list[PlanMember] = []
        for want_woman in [True] * women + [False] * (count - women):
            pool = [(h, m) for h, m in eligible
                    if h.number not in used_households and (not want_woman or m.gender == "F")
                    and not (role == "supervisor" and h.number in office_households)]
            h, m = rng.choice(pool)
            chosen.append(m)
            used_households.add(h.number)
            if role in _OFFICE_ROLES:
                office_households.add(h.number)
            m.roles.append(role)
        holders[role] = chosen

    for role, count, women in _ROLE_PLAN[village]:
        if role == "party_member":
            # 党员: some of the office holders and representatives, plus rank-and-file party members
            leaders = [m for r, n in _PARTY_LEADERS.get(village, _DEFAULT_PARTY_LEADERS).items()
                       for m in holders.get(r, [])[:n]]
            for m in leaders:
                m.roles.append("party_member")
            rank_and_file = [(h, m) for h in households for m in h.members
                             if m.key is None and m.status == "active" and m.collective and m.age >= 23
                             and not m.roles]
            women_pool = [hm for hm in rank_and_file if hm[1].gender == "F"]
            picks = rng.sample(women_pool, women)
            rest = [hm for hm in rank_and_file if hm not in picks]
            picks += rng.sample(rest, count - women)
            for _h, m in picks:
                m.roles.append("party_member")
        else:
            pick(role, count, women)


def _mark_statuses(rng: random.Random, households: list[PlanHousehold], moved_out: int, deceased: int) -> None:
    """A few young adults have moved their 户籍 away (迁出) and an old parent has died (已故)."""
    young = [m for h in households if len(h.members) >= 3 for m in h.members
             if m.relation == "子女" and 20 <= m.age <= 40 and m.key is None]
    for m in rng.sample(young, min(moved_out, len(young))):
        m.status, m.collective, m.phone = "moved_out", False, None
    old = [m for h in households if len(h.members) >= 3 for m in h.members
           if m.relation in ("父母", "配偶") and m.age >= 70 and m.key is None and m.status == "active"]
    for m in rng.sample(old, min(deceased, len(old))):
        m.status, m.collective, m.phone = "deceased", False, None


@functools.cache
def roster_plan() -> tuple[PlanHousehold, ...]:
    """Every household of the demo villages with its people and their village roles. Deterministic."""
    b = _Builder(SEED)
    fixed_by_household: dict[str, list[DemoPerson]] = {}
    for p in PEOPLE:
        if p.household:
            fixed_by_household.setdefault(p.household, []).append(p)
    plan: list[PlanHousehold] = []
    for v in VILLAGES:
        households: list[PlanHousehold] = []
        for i in range(1, v.households + 1):
            number = f"{v.prefix}-{i:03d}"
            group = (i - 1) * v.groups // v.households + 1
            h = PlanHousehold(v.code, number, f"{v.name}{group}组{b.rng.randint(1, 60)}号",
                              tuopin=number in TUOPIN_HOUSEHOLDS)
            fixed = fixed_by_household.get(number, [])
            heads = [p for p in fixed if p.head]
            if heads:
                head = _fixed_member(heads[0])
                h.members = b.family(v, head, heads[0].name[0], shape=_FIXED_SHAPES.get(number, "any"))
                h.members += [_fixed_member(p) for p in fixed if not p.head]
            else:
                head, surname = b.generated_head(v)
                h.members = b.family(v, head, surname)
            households.append(h)
        generated = [h for h in households if not fixed_by_household.get(h.number)]
        # a few more poverty-alleviated (脱贫户) and monitored (监测户) households
        n_tuopin, n_jiance = (2, 2) if v.code == "LJ01" else (1, 1)
        for h in b.rng.sample(generated, n_tuopin):
            h.tuopin = True
        for h in b.rng.sample([h for h in generated if not h.tuopin], n_jiance):
            h.jiance = True
        _mark_statuses(b.rng, generated, moved_out=2 if v.code == "LJ01" else 1,
                       deceased=1 if v.code == "LJ01" else 0)
        _assign_roles(b.rng, v.code, households)
        plan += households
    _appoint_assembly_roles(plan)
    return tuple(plan)


# 成员代表 (the 成员代表大会's electorate: more than 20, some women — 农村集体经济组织法 第28条) and 村民小组长, by
# village: (成员代表, of whom women at least, 村民小组长). Drawn from their own seed after the rest of the plan, so
# that adding them changed no one else's name, household or role.
_ASSEMBLY_PLAN: dict[str, tuple[int, int, int]] = {"LJ01": (21, 7, 2)}
ASSEMBLY_SEED = SEED + 28


def _appoint_assembly_roles(plan: list[PlanHousehold]) -> None:
    rng = random.Random(ASSEMBLY_SEED)
    for code, (reps, women, leaders) in _ASSEMBLY_PLAN.items():
        households = [h for h in plan if h.village == code]
        # generated adults who are 成员, one per household (the fixed people keep the roles docs/demo.md gives them)
        by_household = {
            h.number: [m for m in h.members if m.key is None and m.status == "active" and m.collective
                       and 25 <= m.age <= 70]
            for h in households if not any(x.key for x in h.members)
        }
        numbers = sorted(n for n, ms in by_household.items() if ms)
        rng.shuffle(numbers)
        chosen: list[PlanMember] = []
        for n in numbers:  # the women first, from the first households drawn
            if sum(m.gender == "F" for m in chosen) >= women:
                break
            women_here = [m for m in by_household[n] if m.gender == "F"]
            if women_here:
                chosen.append(rng.choice(women_here))
        taken = {n for n in numbers for m in chosen if m in by_household[n]}
        for n in numbers:
            if len(chosen) >= reps:
                break
            if n not in taken:
                chosen.append(rng.choice(by_household[n]))
                taken.add(n)
        for m in chosen:
            m.roles.append("member_representative")
        # one 村民小组长 in each of the first groups, from households without a 成员代表
        for group in range(1, leaders + 1):
            pool = [m for h in households if h.address.startswith(f"{VILLAGE_BY_CODE[code].name}{group}组")
                    and h.number not in taken for m in by_household.get(h.number, [])]
            leader = rng.choice(pool)
            leader.roles.append("group_leader")


# ---------------------------------------------------------------- seeding


def term_start() -> datetime:
    """When the demo's current roles began: three years before the seeding day, so past meetings have members."""
    return utcnow() - timedelta(days=3 * 365)



@dataclass
class SeedReport:
    """What a seed run created, by unit ("户", "人", "个角色" …), for the summary line."""

    created: dict[str, int] = field(default_factory=dict)

    def add(self, unit: str, n: int = 1) -> None:
        self.created[unit] = self.created.get(unit, 0) + n

    def new_text(self) -> str:
        parts = [f"{n} {unit}" for unit, n in self.created.items() if n]
        return "新增 " + "，".join(parts) if parts else "无新增，已是最新"


def seed_registry(report: SeedReport) -> None:
    """Townships, villages, households, people, village and township roles, and WeChat bindings."""
    townships: dict[str, Township] = {}
    for code, name in TOWNSHIPS:
        if registry.township_by_code(code) is None:
            report.add("个乡镇")
        townships[code] = registry.ensure_township(code, name)
    villages: dict[str, Village] = {}
    for v in VILLAGES:
        if registry.village_by_code(v.code) is None:
            report.add("个村")
        villages[v.code] = registry.ensure_village(townships[v.township], v.code, v.name)
    # The services flush what they must; without autoflush the audit entries go in batches (twice as fast
    # on PostgreSQL). Every lookup below is of rows already flushed.
    with db.session.no_autoflush:
        _seed_roster(report, villages, townships)
    db.session.flush()


def _seed_roster(report: SeedReport, villages: dict[str, Village], townships: dict[str, Township]) -> None:
    plan = roster_plan()
    key = registry.identity_key()
    hash_of = {m.id_card: id_hashes(key, m.id_card)[0] for h in plan for m in h.members}
    hash_of.update({p.id_card: id_hashes(key, p.id_card)[0] for p in PEOPLE})
    people = _people_by_hash(hash_of.values())
    existing_households = {
        (h.village_id, h.number): h
        for h in db.session.execute(
            select(Household).where(Household.village_id.in_([v.id for v in villages.values()]))).scalars()
    }

    by_card: dict[str, Person] = {}
    for ph in plan:
        village = villages[ph.village]
        if (village.id, ph.number) not in existing_households:
            existing_households[(village.id, ph.number)] = registry.create_household(
                village, ph.number, actor=None, address=ph.address, is_tuopin=ph.tuopin, is_jiance=ph.jiance)
            report.add("户")
        for m in ph.members:
            person = people.get(hash_of[m.id_card])
            if person is None:
                member = registry.add_member(village, registry.MemberInput(
                    name=m.name, id_card=m.id_card, household_number=ph.number, relation=m.relation,
                    is_head=m.is_head, phone=m.phone, is_collective_member=m.collective, status=m.status),
                    actor=None)
                person = member.person
                report.add("人")
            by_card[m.id_card] = person

    for p in PEOPLE:
        if p.village is None:
            person = people.get(hash_of[p.id_card])
            if person is None:
                person = registry.add_staff_person(p.name, p.id_card, townships[p.township], p.phone, actor=None)
                report.add("人")
            by_card[p.id_card] = person

    _seed_roles(report, plan, by_card, villages, townships)
    _seed_bindings(report, by_card)


def _people_by_hash(hashes: Iterable[str]) -> dict[str, Person]:
    wanted = list(hashes)
    found: dict[str, Person] = {}
    for i in range(0, len(wanted), 500):
        for p in db.session.execute(select(Person).where(Person.id_hash.in_(wanted[i:i + 500]))).scalars():
            found[p.id_hash] = p
    return found


def _seed_roles(report: SeedReport, plan: tuple[PlanHousehold, ...], by_card: dict[str, Person],
                villages: dict[str, Village], townships: dict[str, Township]) -> None:
    person_ids = [p.id for p in by_card.values()]
    active: set[tuple[int, str, int | None, int | None]] = set()
    for i in range(0, len(person_ids), 500):
        rows = db.session.execute(
            select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.village_id,
                   RoleAssignment.township_id)
            .where(RoleAssignment.person_id.in_(person_ids[i:i + 500]), RoleAssignment.valid_to.is_(None))
        ).all()
        active |= {(r.person_id, r.role, r.village_id, r.township_id) for r in rows}

    def grant(person: Person, role: str, village: Village | None, township: Township | None) -> None:
        if (person.id, role, village.id if village else None, township.id if township else None) in active:
            return
        ra = registry.grant_role(person, role, village=village, township=township, actor=None, note="演示数据")
        ra.valid_from = term_start()  # the demo's cadres and representatives took office at the last election
        report.add("个角色")

    for ph in plan:
        for m in ph.members:
            for role in m.roles:
                grant(by_card[m.id_card], role, villages[ph.village], None)
    for p in PEOPLE:
        if p.village is not None:
            continue
        for role in p.roles:
            if p.role_villages:
                for code in p.role_villages:
                    grant(by_card[p.id_card], role, villages[code], None)
            else:
                grant(by_card[p.id_card], role, None, townships[p.township])


def _seed_bindings(report: SeedReport, by_card: dict[str, Person]) -> None:
    """Bind each named person (but 张小燕 and 孙有福) to WeChat openid ``o-<key>`` of our appid."""
    appid = current_app.config["WECHAT_APPID"]
    wanted = [p for p in PEOPLE if p.bound]
    accounts = {
        a.openid: a for a in db.session.execute(
            select(WeChatAccount).where(WeChatAccount.appid == appid,
                                        WeChatAccount.openid.in_([p.openid for p in wanted]))).scalars()
    }
    bound_people = set(db.session.execute(
        select(WeChatAccount.person_id).where(WeChatAccount.person_id.in_([by_card[p.id_card].id for p in wanted]))
    ).scalars())
    now = utcnow()
    for p in wanted:
        person = by_card[p.id_card]
        account = accounts.get(p.openid)
        if person.id in bound_people or (account is not None and account.person_id is not None):
            continue  # already bound (to this openid, or by someone on purpose to another)
        if account is None:
            account = WeChatAccount(appid=appid, openid=p.openid)
            db.session.add(account)
        account.person_id, account.bound_at = person.id, now
        db.session.flush()
        audit.record("auth.bind", "wechat_account", account.id, actor=None,
                     after={"person_id": person.id, "method": "demo"})
        report.add("个微信绑定")


# ---------------------------------------------------------------- finding demo things (for later seeders)


def person(key: str) -> Person:
    """The seeded Person of a demo key (docs/demo.md) (``person("zhangdashan")``)."""
    p = registry.person_by_id_card(PEOPLE_BY_KEY[key].id_card)
    if p is None:
        raise LookupError(f"demo person {key} is not seeded; run `flask demo seed`")
    return p


def village(code: str) -> Village:
    v = registry.village_by_code(code)
    if v is None:
        raise LookupError(f"demo village {code} is not seeded; run `flask demo seed`")
    return v


def household(village_code: str, number: str) -> Household:
    h = registry.household_by_number(village(village_code).id, number)
    if h is None:
        raise LookupError(f"demo household {number} is not seeded; run `flask demo seed`")
    return h


def principal(key: str) -> Principal:
    """The request principal of a demo person (their roles as the API would see them)."""
    p = registry.load_principal(person(key).id)
    if p is None:
        raise LookupError(f"demo person {key} has no principal")
    return p
