"""The demo township that ``scripts/run`` seeds (docs/demo.md): ``flask demo seed`` and ``flask demo logins``.

One module per domain, each with a ``seed_<domain>()`` that :func:`seed` calls in order: :mod:`registry` (places,
the fixed people of docs/demo.md and the generated rosters, roles, WeChat bindings), :mod:`ledger` (two years of
books), :mod:`decisions`, :mod:`dividends`, :mod:`land`, :mod:`jobs`, :mod:`notices`, then the months are closed and
the disclosures published (:mod:`ledger` again, since everything before posts into past months). :mod:`days` holds
the calendar they share. The modules import :mod:`registry` and :mod:`days`, never each other's seeders, so there is
no import cycle; nothing in the backend imports the demo but the CLI.

Seeding is idempotent: each row is looked up by its natural key and created only when missing. :func:`seed` runs in
the caller's transaction (the CLI commits).
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, or_, select

from backend.core.db import db
from backend.core.permissions import ROLE_LABELS
from backend.demo import assets, contracts, decisions, dividends, jobs, land, ledger, notices, projects
from backend.demo.registry import (
    DOCS_PATH,
    PEOPLE,
    PEOPLE_BY_KEY,
    SPECIAL_CODES,
    TOWNSHIP_NAMES,
    TOWNSHIPS,
    VILLAGE_BY_CODE,
    VILLAGES,
    DemoPerson,
    SeedReport,
    household,
    person,
    principal,
    roster_plan,
    seed_registry,
    village,
)
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village

__all__ = [
    "PEOPLE",
    "PEOPLE_BY_KEY",
    "VILLAGES",
    "household",
    "logins_text",
    "person",
    "principal",
    "roster_plan",
    "seed",
    "village",
]


def seed() -> str:
    """Seed the whole demo (idempotent) in the current transaction and describe it; the caller commits."""
    report = SeedReport()
    seed_registry(report)
    report.add("张凭证", ledger.seed_ledger_demo())  # two years of books, months still open
    report.add("个决策事项", decisions.seed_decisions())
    report.add("个分配方案", dividends.seed_dividends())  # its payout vouchers go into last spring's books
    report.add("份土地合同", land.seed_land())  # rent received this year and before
    report.add("项三资登记", assets.seed_assets())  # the register: land and leased assets from land, the rest new
    report.add("份其他合同", contracts.seed_contracts())  # services and construction, with their schedules
    report.add("个项目", projects.seed_projects())  # the project library; income vouchers in past months
    report.add("个公益岗位", jobs.seed_jobs())  # last year's posts paid monthly; this year's open posting
    report.add("条公告", notices.seed_notices())  # pushes left to the worker
    # everything that posts into past months comes before they are closed
    report.add("个月份结账", ledger.close_past_months())
    report.add("期财务公开", ledger.seed_disclosures())
    return summary(report)


def summary(report: SeedReport) -> str:
    """``演示数据：2 个乡镇，4 个村，N 户，M 人，K 个角色（新增 …）``, counted in the database."""
    codes = [v.code for v in VILLAGES]
    village_ids = list(db.session.execute(select(Village.id).where(Village.code.in_(codes))).scalars())
    township_ids = list(db.session.execute(
        select(Township.id).where(Township.code.in_([c for c, _ in TOWNSHIPS]))).scalars())
    households = db.session.execute(
        select(func.count(Household.id)).where(Household.village_id.in_(village_ids))).scalar_one()
    members = db.session.execute(
        select(func.count(Member.id)).where(Member.village_id.in_(village_ids))).scalar_one()
    staff = db.session.execute(select(func.count(Person.id)).outerjoin(Member, Member.person_id == Person.id)
                               .where(Person.township_id.in_(township_ids), Member.id.is_(None))).scalar_one()
    roles = db.session.execute(
        select(func.count(RoleAssignment.id)).where(
            RoleAssignment.valid_to.is_(None),
            or_(RoleAssignment.village_id.in_(village_ids), RoleAssignment.township_id.in_(township_ids)))
    ).scalar_one()
    return (f"演示数据：{len(township_ids)} 个乡镇，{len(village_ids)} 个村，{households} 户，"
            f"{members + staff} 人，{roles} 个角色（{report.new_text()}）")


# ---------------------------------------------------------------- how to log in (no database needed)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * max(0, width - _width(s))


def _place(p: DemoPerson) -> str:
    if p.village is None:
        return f"{TOWNSHIP_NAMES[p.township]} {p.township}（无户籍 no household）"
    v = VILLAGE_BY_CODE[p.village]
    return f"{v.name} {v.code} · {p.household}{'（户主）' if p.head else ''}"


def _roles(p: DemoPerson) -> str:
    text = "、".join(f"{ROLE_LABELS[r]} {r}" for r in p.roles)
    if p.role_villages:
        names = "、".join(VILLAGE_BY_CODE[c].name for c in p.role_villages)
        text += f"（{names}的账 keeps their books）"
    return text


def logins_text() -> str:
    """A table of the demo people and how to log in as each (printed by ``scripts/run``)."""
    rows = []
    for p in PEOPLE:
        if p.bound:
            login = p.code
        elif p.key == "zhangxiaoyan":
            login = f"({p.code})"
        else:
            login = "—"
        rows.append((login, p.name, _place(p), _roles(p)))
    head = ("登录码 login code", "姓名 name", "村 · 户 village · household", "角色 roles")
    widths = [max(_width(r[i]) for r in [*rows, head]) + 2 for i in range(3)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "  " + "".join(_pad(c, w) for c, w in zip(cells, widths, strict=False)) + cells[3]

    lines = [
        "阳光村务 演示乡镇 · demo logins (docs/demo.md)",
        "",
        '登录 log in:  POST /api/v1/auth/wechat-login  {"code": "demo-<key>"}  → {"bound": true, "token": …}',
        "然后 then:    GET /api/v1/me  with header  Authorization: Bearer <token>",
        "",
        line(head),
        *(line(r) for r in rows),
    ]
    xy = PEOPLE_BY_KEY["zhangxiaoyan"]
    lines += [
        "",
        f"({xy.code}) {xy.name} 在册但未绑定 is on the roster but unbound; 绑定 bind her:",
        f'  1. POST /api/v1/auth/wechat-login {{"code": "{xy.code}"}}  → {{"bound": false, "bind_ticket": …}}',
        f'  2. POST /api/v1/auth/bind {{"bind_ticket": …, "village_code": "{xy.village}", "name": "{xy.name}", '
        f'"id_card_last6": "{xy.last6}"}}',
        f'     或 or {{"bind_ticket": …, "phone_code": "phone-{xy.phone}"}}  (getPhoneNumber stand-in)',
        "— 孙有福: 在册但没有手机和微信，不绑定 (on the roster, no phone, no WeChat: a villager the village"
        " serves without the app).",
        "",
        "特殊登录码 special codes (WeChat errors): "
        + "，".join(f"{code} → {errcode}（{why}）" for code, errcode, why in SPECIAL_CODES),
        "其他任何 demo-<x> 都是一个新的未绑定微信 (any other demo-<x> is a fresh unbound WeChat user).",
        f"OpenAPI 文档 docs: {DOCS_PATH}   (JSON: /api/v1/openapi.json)",
    ]
    return "\n".join(lines)
