"""Setting up a real township from the command line: ``flask --app backend admin create-township | create-village |
create-staff``.

Each command is idempotent: run twice with the same arguments, it says "已存在" and exits 0 without adding
anything. A bad argument (a code, a name, an ID number or a phone that cannot be used, a place that does not exist,
a code or ID number already used by something else) prints a Chinese reason and exits 2, with nothing changed: the
command's writes are one transaction, committed only at the end. Every change is audited with no actor (the
command line).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend.core.db import db
from backend.core.errors import AppError
from backend.core.identity import IdentityError, normalize_id_card, normalize_phone
from backend.registry import people, places, roles
from backend.registry.models import RoleAssignment, Township

admin_cli = AppGroup("admin", help="建立乡镇、村和乡镇工作人员（部署时使用）")

EXIT_BAD_ARGUMENT = 2
_PERSON_NAME_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z·]{2,20}\Z")


def _fail(message: str) -> NoReturn:
    """Undo whatever the command did, say why in Chinese, exit 2."""
    db.session.rollback()
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_BAD_ARGUMENT)


def _need(value: str | None, what: str, option: str) -> str:
    if value is None or not value.strip():
        _fail(f"请填写{what}（{option}）")
    return value


def _code(raw: str, what: str) -> str:
    try:
        return places.normalize_code(raw, what)
    except places.PlaceError as err:
        _fail(str(err))


def _name(raw: str, what: str) -> str:
    try:
        return places.normalize_name(raw, what)
    except places.PlaceError as err:
        _fail(str(err))


def _township(raw: str) -> Township:
    code = _code(raw, "乡镇编码")
    t = places.township_by_code(code)
    if t is None:
        _fail(f"找不到乡镇编码 {code}，请先运行 flask admin create-township")
    return t


def _commit(message: str) -> None:
    db.session.commit()
    click.echo(message)


@admin_cli.command("create-township")
@click.option("--code", help="乡镇编码，如 QS（乡镇工作人员绑定微信时填写）")
@click.option("--name", help="乡镇名称，如 青山镇")
def create_township(code: str | None, name: str | None) -> None:
    """建立一个乡镇。"""
    code = _code(_need(code, "乡镇编码", "--code"), "乡镇编码")
    name = _name(_need(name, "乡镇名称", "--name"), "乡镇名称")
    t = places.township_by_code(code)
    if t is not None:
        if t.name != name:
            _fail(f"乡镇编码 {code} 已用于{t.name}，不是{name}")
        click.echo(f"已存在：乡镇 {t.name}（{t.code}，编号 {t.id}），未作改动")
        return
    try:
        t = places.create_township(code, name, actor=None)
    except AppError as err:
        _fail(err.message)
    _commit(f"已建立乡镇 {t.name}（{t.code}，编号 {t.id}）")


@admin_cli.command("create-village")
@click.option("--township", "township_code", help="所属乡镇编码，如 QS")
@click.option("--code", help="村编码，如 LJ01（村民绑定微信时填写）")
@click.option("--name", help="村名，如 临江村")
def create_village(township_code: str | None, code: str | None, name: str | None) -> None:
    """在一个乡镇下建立一个村。"""
    township = _township(_need(township_code, "所属乡镇编码", "--township"))
    code = _code(_need(code, "村编码", "--code"), "村编码")
    name = _name(_need(name, "村名", "--name"), "村名")
    v = places.village_by_code(code)
    if v is not None:
        if v.township_id != township.id or v.name != name:
            _fail(f"村编码 {code} 已用于{v.name}（{v.township.name}），请换一个")
        click.echo(f"已存在：{township.name} {v.name}（{v.code}，编号 {v.id}），未作改动")
        return
    try:
        v = places.create_village(township, code, name, actor=None)
    except AppError as err:
        _fail(err.message)
    _commit(f"已建立 {township.name} {v.name}（{v.code}，编号 {v.id}）")


@admin_cli.command("create-staff")
@click.option("--township", "township_code", help="所属乡镇编码，如 QS")
@click.option("--name", help="姓名")
@click.option("--id-number", help="18 位身份证号（只保存其哈希和后 4 位）")
@click.option("--phone", help="手机号（可不填）")
def create_staff(township_code: str | None, name: str | None, id_number: str | None, phone: str | None) -> None:
    """登记一名乡镇工作人员并指定其角色（本人凭乡镇编码、姓名和身份证后 6 位绑定微信）。"""
    township = _township(_need(township_code, "所属乡镇编码", "--township"))
    name = unicodedata.normalize("NFC", _need(name, "姓名", "--name")).strip()
    if not _PERSON_NAME_RE.match(name):
        _fail("姓名应为 2 到 20 个汉字（可含·）")
    try:
        id_card = normalize_id_card(_need(id_number, "身份证号", "--id-number"))
        phone = normalize_phone(phone) if phone is not None and phone.strip() else None
    except IdentityError as err:
        _fail(str(err))
    person = people.person_by_id_card(id_card)
    if person is not None and person.name != name:
        _fail(f"该身份证号已登记为 {person.name}，姓名不符，请核对")
    if person is None:
        try:
            person = people.add_staff_person(name, id_card, township, phone, actor=None)
        except AppError as err:
            _fail(err.message)
    elif person.township_id not in (None, township.id):
        _fail(f"{name} 已是其他乡镇的工作人员，请先在原乡镇结束其角色")
    holds = db.session.execute(
        select(RoleAssignment.id).where(RoleAssignment.person_id == person.id, RoleAssignment.role == "township_staff",
                                        RoleAssignment.township_id == township.id, RoleAssignment.valid_to.is_(None))
    ).first()
    if holds is not None:
        click.echo(f"已存在：{name} 已是{township.name}的乡镇工作人员（人员编号 {person.id}），未作改动")
        return
    try:
        roles.grant_role(person, "township_staff", township=township, actor=None, note="命令行登记")
    except AppError as err:
        _fail(err.message)
    _commit(f"已登记 {name} 为{township.name}的乡镇工作人员（人员编号 {person.id}，身份证后4位 {person.id_last4}）")
