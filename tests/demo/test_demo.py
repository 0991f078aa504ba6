"""The demo township of docs/demo.md: seeded idempotently, the fixed people as the table says, a realistic
roster, and the login journeys through the real WeChat stand-in."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend import demo, registry
from backend.auth.models import WeChatAccount
from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.identity import gender_from_id, normalize_id_card
from backend.demo import registry as demo_registry
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village

MODELS = (Township, Village, Household, Person, Member, RoleAssignment, WeChatAccount, AuditEntry)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in MODELS}


def _seed() -> str:
    summary = demo.seed()
    db.session.commit()
    return summary


def _village_id(code: str) -> int:
    v = registry.village_by_code(code)
    assert v is not None, code
    return v.id


def _current_holders(village_code: str, role: str) -> list[Person]:
    return list(db.session.execute(
        select(Person).join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.village_id == _village_id(village_code), RoleAssignment.role == role,
               RoleAssignment.valid_to.is_(None))).scalars())


# ---------------------------------------------------------------- seeding


def test_seed_twice_creates_nothing_new(app: Flask) -> None:
    first = _seed()
    after_first = _counts()
    second = _seed()
    assert _counts() == after_first
    assert after_first["Township"] == 2 and after_first["Village"] == 4
    assert after_first["WeChatAccount"] == 12  # 14 named people, less 张小燕 and 孙有福
    assert first.startswith("演示数据：2 个乡镇，4 个村，")
    assert f"{after_first['Household']} 户" in first and f"{after_first['Person']} 人" in first
    assert "新增" in first and "12 个微信绑定" in first
    assert "无新增" in second and first.split("（")[0] == second.split("（")[0]


def test_seed_completes_a_partial_demo(app: Flask) -> None:
    """A database that already holds part of the demo (an earlier, smaller seed) gets only what is missing."""
    registry.ensure_township("QS", "青山镇")
    lj = registry.ensure_village(registry.ensure_township("QS", "青山镇"), "LJ01", "临江村")
    registry.create_household(lj, "LJ-005", actor=None)
    registry.add_member(lj, registry.MemberInput("张大山", "37142719720415051X", "LJ-005", is_head=True), actor=None)
    db.session.commit()
    summary = _seed()
    full = _counts()
    assert "新增 1 个乡镇，3 个村" in summary
    assert db.session.execute(select(func.count()).select_from(Person)
                              .where(Person.name == "张大山")).scalar_one() == 1
    _seed()
    assert _counts() == full


def test_plan_is_deterministic_and_ids_valid() -> None:
    fresh = demo.roster_plan.__wrapped__()
    assert [dataclasses.asdict(h) for h in fresh] == [dataclasses.asdict(h) for h in demo.roster_plan()]
    cards = [m.id_card for h in fresh for m in h.members]
    assert len(cards) == len(set(cards))
    fixed = {p.id_card for p in demo.PEOPLE}
    generated = [m for h in fresh for m in h.members if m.key is None]
    assert not fixed & {m.id_card for m in generated}
    phones = [m.phone for h in fresh for m in h.members if m.phone] + [p.phone for p in demo.PEOPLE
                                                                        if p.village is None and p.phone]
    assert len(phones) == len(set(phones))
    for m in generated:
        assert normalize_id_card(m.id_card) == m.id_card
        assert m.id_card.startswith("371427")
        assert m.born <= date(demo_registry.REF_YEAR, 12, 31)
        given = {n for (gender, _gen), names in demo_registry._GIVEN.items() if gender == m.gender for n in names}
        assert m.name[1:] in given, (m.name, m.gender)  # a girl's name on a woman's ID number
    for h in fresh:
        head = h.members[0]
        assert head.is_head and sum(m.is_head for m in h.members) == 1, h.number
        assert 2 <= len(h.members) <= 5, h.number
        for m in h.members[1:]:
            if m.relation == "配偶":
                assert m.gender != head.gender and abs(m.born.year - head.born.year) <= 6, (h.number, m.name)
            if m.relation in ("子女", "儿媳", "女婿"):
                assert m.born.year - head.born.year >= 18, (h.number, m.name)
            if m.relation == "孙子女":
                assert m.born.year - head.born.year >= 40, (h.number, m.name)
            if m.relation == "父母":
                assert head.born.year - m.born.year >= 18, (h.number, m.name)
            if m.relation == "儿媳":
                assert m.gender == "F"
            if m.relation == "女婿":
                assert m.gender == "M"


def test_seeded_ids_match_the_plan(app: Flask) -> None:
    _seed()
    people = db.session.execute(select(Person)).scalars().all()
    plan_people = [m for h in demo.roster_plan() for m in h.members]
    assert len(people) == len(plan_people) + 3  # plus 郑雯, 冯立 and 杨帆 (白石镇)
    for m in plan_people[::7]:
        p = registry.person_by_id_card(m.id_card)
        assert p is not None and p.name == m.name and p.gender == gender_from_id(m.id_card) == m.gender
        assert p.birth_date == m.born and p.phone == m.phone
        assert p.member is not None and p.member.status == m.status
        assert p.member.is_collective_member == m.collective and p.member.relation == m.relation


# ---------------------------------------------------------------- the fixed people


def test_fixed_people_have_their_roles(app: Flask) -> None:
    _seed()
    lj, xz, tq, bs = (_village_id(c) for c in ("LJ01", "XZ02", "TQ03", "BS01"))
    village_ids = {"LJ01": lj, "XZ02": xz, "TQ03": tq}
    for p in demo.PEOPLE:
        principal = registry.load_principal(demo.person(p.key).id)
        assert principal is not None and principal.name == p.name
        if p.village is not None:
            vid = village_ids[p.village]
            assert principal.roles_in(vid) == {"villager", *p.roles}, p.key
            assert principal.village_id == vid
            household = db.session.get(Household, principal.household_id)
            assert household is not None and household.number == p.household
    wang = registry.load_principal(demo.person("wangjianguo").id)
    assert wang is not None and wang.roles_in(lj) == {"villager", "member", "secretary", "party_member"}
    assert not wang.roles_in(xz)

    feng = registry.load_principal(demo.person("fengli").id)
    assert feng is not None and feng.member_id is None
    assert feng.has_role("township_accountant", lj) and feng.has_role("township_accountant", xz)
    assert not feng.has_role("township_accountant", tq) and not feng.roles_in(bs)

    zheng = registry.load_principal(demo.person("zhengwen").id)
    assert zheng is not None and zheng.member_id is None
    assert all(zheng.has_role("township_staff", v) for v in (lj, xz, tq))
    assert not zheng.roles_in(bs) and zheng.can("township.manage", township_id=zheng.township_id)

    sun = demo.person("sunyoufu")
    assert sun.phone is None
    assert demo.person("zhangxiaoyan").phone == "13800000829"
    assert demo.household("LJ01", "LJ-006").is_tuopin


def test_wechat_bindings(app: Flask) -> None:
    _seed()
    appid = app.config["WECHAT_APPID"]
    for p in demo.PEOPLE:
        person = demo.person(p.key)
        account = db.session.execute(
            select(WeChatAccount).where(WeChatAccount.person_id == person.id)).scalar_one_or_none()
        if p.key in ("zhangxiaoyan", "sunyoufu"):
            assert account is None, p.key
        else:
            assert account is not None and account.appid == appid and account.openid == f"o-{p.key}", p.key
            assert account.bound_at is not None


def test_household_lj005(app: Flask) -> None:
    _seed()
    h = demo.household("LJ01", "LJ-005")
    members = {m.person.name: m for m in h.members}
    assert members["张大山"].is_head and members["张大山"].relation == "户主"
    assert not members["张小燕"].is_head and members["张小燕"].is_collective_member
    assert len(members) == 3  # 张大山, his wife, 张小燕: three members' shares


# ---------------------------------------------------------------- the roster


def test_linjiang_roster(app: Flask) -> None:
    _seed()
    lj = _village_id("LJ01")
    households = db.session.execute(select(Household).where(Household.village_id == lj)).scalars().all()
    assert len(households) >= 60
    sizes = Counter(len(h.members) for h in households)
    assert min(sizes) >= 2 and max(sizes) <= 5
    assert sum(h.is_tuopin for h in households) >= 2 and sum(h.is_jiance for h in households) >= 1

    members = db.session.execute(select(Member).where(Member.village_id == lj)).scalars().all()
    statuses = Counter(m.status for m in members)
    assert statuses["moved_out"] >= 1 and statuses["deceased"] >= 1
    assert any(not m.is_collective_member and m.status == "active" for m in members)

    reps = _current_holders("LJ01", "representative")
    names = {p.name for p in reps}
    assert len(reps) == 9 and "陈桂兰" in names and "张大山" not in names
    assert sum(p.gender == "F" for p in reps) * 3 >= 9  # women at least a third (村组法 第25条)
    assert len(_current_holders("LJ01", "party_member")) >= 12
    committee = _current_holders("LJ01", "committee")
    assert 3 <= len(committee) <= 5 and any(p.gender == "F" for p in committee)
    supervisors = _current_holders("LJ01", "supervisor")
    assert len(supervisors) == 2 and "赵德明" in {p.name for p in supervisors}
    committee_households = {p.member.household_id for p in committee if p.member}
    assert not committee_households & {p.member.household_id for p in supervisors if p.member}
    for role in ("secretary", "accountant"):
        assert len(_current_holders("LJ01", role)) == 1


def test_other_villages(app: Flask) -> None:
    _seed()
    for code, least in (("XZ02", 15), ("TQ03", 15), ("BS01", 8)):
        n = db.session.execute(select(func.count(Household.id))
                               .where(Household.village_id == _village_id(code))).scalar_one()
        assert n >= least, code
        assert len(_current_holders(code, "secretary")) == 1, code
        assert _current_holders(code, "party_member"), code
    assert "何丽" in {p.name for p in _current_holders("TQ03", "representative")}
    bs = registry.village_by_code("BS01")
    assert bs is not None and bs.township.code == "BS"


# ---------------------------------------------------------------- logging in over HTTP


def _login(client: FlaskClient, code: str) -> dict:
    r = client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert r.status_code == 200, r.json
    return r.json


def _me(client: FlaskClient, token: str) -> dict:
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.json
    return r.json


def test_login_zhangdashan(app: Flask, client: FlaskClient) -> None:
    _seed()
    body = _login(client, "demo-zhangdashan")
    assert body["bound"] is True and body["token"]
    me = _me(client, body["token"])
    assert me["name"] == "张大山" and me["member"]["name"] == "张大山"
    assert me["village"]["code"] == "LJ01" and me["township"]["name"] == "青山镇"
    assert "member" in me["roles"] and "representative" not in me["roles"]


def test_login_unbound_people(app: Flask, client: FlaskClient) -> None:
    _seed()
    assert _login(client, "demo-zhangxiaoyan")["bound"] is False
    assert _login(client, "demo-sunyoufu")["bound"] is False


def test_bind_zhangxiaoyan_by_roster(app: Flask, client: FlaskClient) -> None:
    _seed()
    xy = demo.PEOPLE_BY_KEY["zhangxiaoyan"]
    ticket = _login(client, "demo-zhangxiaoyan")["bind_ticket"]
    r = client.post("/api/v1/auth/bind", json={"bind_ticket": ticket, "village_code": "LJ01", "name": "张小燕",
                                               "id_card_last6": xy.last6})
    assert r.status_code == 200, r.json
    assert r.json["bound"] is True and _me(client, r.json["token"])["name"] == "张小燕"
    again = _login(client, "demo-zhangxiaoyan")
    assert again["bound"] is True


def test_bind_zhangxiaoyan_by_phone(app: Flask, client: FlaskClient) -> None:
    _seed()
    ticket = _login(client, "demo-zhangxiaoyan")["bind_ticket"]
    r = client.post("/api/v1/auth/bind", json={"bind_ticket": ticket, "phone_code": "phone-13800000829"})
    assert r.status_code == 200, r.json
    assert r.json["bound"] is True and r.json["user"]["name"] == "张小燕"


def test_login_township_staff(app: Flask, client: FlaskClient) -> None:
    _seed()
    body = _login(client, "demo-zhengwen")
    assert body["bound"] is True
    me = _me(client, body["token"])
    assert me["name"] == "郑雯" and me["member"] is None and me["village"] is None
    assert me["township"]["name"] == "青山镇" and me["roles"] == ["township_staff"]
    scope = me["scopes"][0]
    assert sorted(scope["village_ids"]) == sorted(_village_id(c) for c in ("LJ01", "XZ02", "TQ03"))


def test_zhangdashans_home(app: Flask, client: FlaskClient) -> None:
    """张大山's home screen: 临江村, his notices as /me/notices lists them (the pinned township notice first), and
    the 荣联 rent of this year — the demo pays it on 26 February, or on the seeding day if that comes first, so
    always in this calendar year."""
    from backend.demo import notices as demo_notices

    _seed()
    headers = {"Authorization": f"Bearer {_login(client, 'demo-zhangdashan')['token']}"}
    home = client.get("/api/v1/me/home", headers=headers).json
    notices = client.get("/api/v1/me/notices", headers=headers).json["items"]
    assert home["village"]["name"] == "临江村" and home["member"]["name"] == "张大山"
    assert [n["title"] for n in notices] == [demo_notices.TOWNSHIP_TITLE, demo_notices.WATER_TITLE]
    assert home["latest_notice"]["title"] == demo_notices.TOWNSHIP_TITLE and home["latest_notice"]["pinned"] is True
    assert home["unread_notices"] == sum(1 for n in notices if not n["read"]) == 2  # he reads them in the demo
    assert home["money_this_year"]["land_rent"] == "2560.00"


# ---------------------------------------------------------------- the CLI


def test_cli_seed_twice(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("演示数据：2 个乡镇，4 个村") and "新增" in first.output
    counts = _counts()
    assert counts["Household"] >= 60 + 15 + 15 + 8
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "无新增" in second.output and _counts() == counts


def test_cli_logins(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "logins"])
    assert result.exit_code == 0, result.output
    for p in demo.PEOPLE:
        assert p.name in result.output
        assert (p.code in result.output) == (p.key != "sunyoufu")
    for text in ("/api/v1/auth/wechat-login", "LJ01", "010829", "phone-13800000829", "/api/v1/docs", "40029",
                 "invalid", "used", "busy", "limit", "45011"):
        assert text in result.output, text


def test_logins_text_needs_no_app() -> None:
    text = demo.logins_text()  # no app context here: it must not touch the database
    assert "demo-wangjianguo" in text and "冯立" in text and "新竹村" in text
