"""``flask admin create-township | create-village | create-staff``: idempotent, audited, Chinese refusals with exit
code 2 and nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend import registry
from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.registry.models import Person, RoleAssignment, Township, Village
from tests.factories import id_card

ZHENGWEN = "371427198305270240"  # the demo's 郑雯: a valid ID number


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        result = runner.invoke(args=["admin", *args])
        db.session.remove()  # read what the command committed, not this session's cache
        return result

    return invoke


def counts() -> tuple[int, ...]:
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (Township, Village, Person, RoleAssignment, AuditEntry))


def test_township_village_and_staff_from_nothing(run):
    r = run("create-township", "--code", "qs", "--name", "青山镇")
    assert r.exit_code == 0, r.output
    assert "已建立乡镇 青山镇（QS" in r.output
    r = run("create-village", "--township", "QS", "--code", "LJ01", "--name", "临江村")
    assert r.exit_code == 0, r.output
    r = run("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", ZHENGWEN, "--phone", "13800000001")
    assert r.exit_code == 0, r.output
    assert "已登记 郑雯 为青山镇的乡镇工作人员" in r.output
    t = registry.township_by_code("QS")
    v = registry.village_by_code("LJ01")
    assert (t.name, v.name, v.township_id) == ("青山镇", "临江村", t.id)
    person = registry.person_by_id_card(ZHENGWEN)
    # stored as the registry stores it: hashes and the last 4, never the number
    assert person.id_last4 == "0240" and ZHENGWEN not in (person.id_hash, person.id6_hash)
    assert person.township_id == t.id and person.phone == "13800000001"
    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.person_id == person.id)).scalar_one()
    assert (ra.role, ra.township_id, ra.valid_to) == ("township_staff", t.id, None)
    # she can bind with the township's code, her name and her ID's last 6
    assert [p.id for p in registry.find_people_for_bind("QS", "郑雯", "270240")] == [person.id]
    # audited, with no actor: the command line
    actions = [(e.action, e.actor_person_id) for e in db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions == [("township.create", None), ("village.create", None), ("person.create", None),
                       ("role.grant", None)]


def test_same_arguments_twice_add_nothing(run):
    args = [("create-township", "--code", "QS", "--name", "青山镇"),
            ("create-village", "--township", "QS", "--code", "LJ01", "--name", "临江村"),
            ("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", ZHENGWEN)]
    for a in args:
        assert run(*a).exit_code == 0
    before = counts()
    for a in args:
        r = run(*a)
        assert r.exit_code == 0, r.output
        assert "已存在" in r.output
    assert counts() == before


def test_a_person_on_a_roster_becomes_staff_without_a_second_person(run, make):
    v = make.village()
    pid = make.member(v, "李四", id_no=(no := id_card())).person_id
    db.session.commit()
    r = run("create-staff", "--township", "QS", "--name", "李四", "--id-number", no)
    assert r.exit_code == 0, r.output
    assert db.session.execute(select(func.count()).select_from(Person)).scalar_one() == 1
    assert db.session.execute(select(RoleAssignment.role).where(
        RoleAssignment.person_id == pid)).scalars().all() == ["township_staff"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("create-township", "--name", "青山镇"), "请填写乡镇编码（--code）"),
        (("create-township", "--code", "QS"), "请填写乡镇名称（--name）"),
        (("create-township", "--code", "Q", "--name", "青山镇"), "乡镇编码应为 2 到 20 位"),
        (("create-township", "--code", "1QS", "--name", "青山镇"), "以字母开头"),
        (("create-township", "--code", "QS", "--name", "青 山镇"), "乡镇名称应为 2 到 30 个字"),
        (("create-township", "--code", "QS", "--name", "白石镇"), "乡镇编码 QS 已用于青山镇"),
        (("create-township", "--code", "LJ01", "--name", "江镇"), "编码 LJ01 已被临江村使用"),
        (("create-village", "--township", "XX", "--code", "AB01", "--name", "某村"), "找不到乡镇编码 XX"),
        (("create-village", "--township", "QS", "--code", "QS", "--name", "某村"), "编码 QS 已被青山镇使用"),
        (("create-village", "--township", "QS", "--code", "LJ01", "--name", "另一村"), "村编码 LJ01 已用于临江村"),
        (("create-village", "--township", "QS", "--code", "AB01", "--name", ""), "请填写村名（--name）"),
        (("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", ZHENGWEN[:-1] + "1"),
         "身份证号校验位不正确"),
        (("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", "12345"), "身份证号应为18位"),
        (("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", ZHENGWEN, "--phone", "1380000"),
         "手机号应为11位数字"),
        (("create-staff", "--township", "QS", "--name", "郑 雯", "--id-number", ZHENGWEN), "姓名应为 2 到 20 个汉字"),
        (("create-staff", "--township", "QS", "--name", "郑雯"), "请填写身份证号（--id-number）"),
        (("create-staff", "--township", "QS", "--name", "王五", "--id-number", "LATER"), "已登记为 郑雯，姓名不符"),
        (("create-staff", "--township", "BS", "--name", "郑雯", "--id-number", "LATER"), "已是其他乡镇的工作人员"),
    ],
)
def test_bad_arguments_exit_2_in_chinese_and_change_nothing(run, args, says):
    assert run("create-township", "--code", "QS", "--name", "青山镇").exit_code == 0
    assert run("create-township", "--code", "BS", "--name", "白石镇").exit_code == 0
    assert run("create-village", "--township", "QS", "--code", "LJ01", "--name", "临江村").exit_code == 0
    assert run("create-staff", "--township", "QS", "--name", "郑雯", "--id-number", ZHENGWEN).exit_code == 0
    before = counts()
    r = run(*(ZHENGWEN if a == "LATER" else a for a in args))
    assert r.exit_code == 2, r.output
    assert says in r.output
    assert "Error" not in r.output and "Traceback" not in r.output
    assert counts() == before
