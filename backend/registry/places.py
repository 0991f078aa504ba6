"""Townships and villages: found by id or code, listed, created once (the demo, the CLI), or created by township staff
(:func:`create_village`) and the setup commands (:func:`create_township`), with their codes and names checked.

A code names a place for binding (a villager types the village's code, staff the township's), so it is unique
across townships and villages together, not only within each table."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from backend.core import audit, request_memo
from backend.core.db import db
from backend.core.errors import AppError, conflict, not_found
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.registry.models import Township, Village


def get_township(township_id: int) -> Township:
    t = db.session.get(Township, township_id)
    if t is None:
        raise not_found("township.not_found", "找不到该乡镇")
    return t


def get_village(village_id: int) -> Village:
    v = db.session.get(Village, village_id)
    if v is None:
        raise not_found("village.not_found", "找不到该村")
    _keep_for_the_request(v)
    return v


def _keep_for_the_request(row: object) -> None:
    """The session's identity map holds its rows weakly: a village looked up by the permission check is often gone
    by the time the view asks for it again, and the second ``session.get`` is a statement. Holding it until the
    request ends lets the identity map answer (the same object, expired and refreshed by commits as usual)."""
    kept = request_memo.kept("rows")
    if kept is not None:
        kept[id(row)] = row


def village_by_code(code: str) -> Village | None:
    return db.session.execute(select(Village).where(Village.code == code.strip().upper())).scalar_one_or_none()


def township_by_code(code: str) -> Township | None:
    return db.session.execute(select(Township).where(Township.code == code.strip().upper())).scalar_one_or_none()


def villages_of_township(township_id: int) -> list[Village]:
    return list(
        db.session.execute(select(Village).where(Village.township_id == township_id).order_by(Village.code)).scalars()
    )


def villages_by_ids(ids: Collection[int]) -> list[Village]:
    """These villages, by code (the ones a caller may see)."""
    if not ids:
        return []
    return list(db.session.execute(select(Village).where(Village.id.in_(list(ids))).order_by(Village.code)).scalars())


def all_villages() -> list[tuple[int, str, str]]:
    """(id, code, name) of every village, by code."""
    return [(vid, code, name) for vid, code, name in db.session.execute(
        select(Village.id, Village.code, Village.name).order_by(Village.code))]


@dataclass(frozen=True)
class Places:
    """A caller's township and, for a roster member, their village (id, code, name of each)."""

    village_id: int | None
    village_code: str | None
    village_name: str | None
    township_id: int
    township_name: str
    township_code: str


_townships, _villages = Township.__table__, Village.__table__
# one statement, built once: /me runs it on every uncached call
_PLACES = (
    select(_villages.c.id, _villages.c.code, _villages.c.name, _townships.c.id, _townships.c.name, _townships.c.code)
    .select_from(_townships)
    .outerjoin(_villages, _villages.c.id == bindparam("village_id"))
    .where(_townships.c.id == bindparam("township_id"))
)


@shared_read
def places_of(township_id: int, village_id: int | None) -> Places | None:
    """The township and (if ``village_id``) the village, names and codes, in one statement; None for no such
    township."""
    row = db.session.execute(_PLACES, {"village_id": village_id, "township_id": township_id}).first()
    return None if row is None else Places(*row)


def ensure_township(code: str, name: str) -> Township:
    t = township_by_code(code)
    if t is None:
        t = Township(code=code.upper(), name=name)
        db.session.add(t)
        db.session.flush()
    return t


def ensure_village(township: Township, code: str, name: str) -> Village:
    v = village_by_code(code)
    if v is None:
        v = Village(township_id=township.id, code=code.upper(), name=name)
        db.session.add(v)
        db.session.flush()
    elif v.township_id != township.id:
        raise conflict("village.code_taken", "该村编码已被其他乡镇使用", code=code)
    return v


# ---------------------------------------------------------------- creating places with checked codes and names

_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,19}\Z")
_NAME_RE = re.compile(r"^[\u4e00-\u9fff0-9A-Za-z·（）()]{2,30}\Z")


class PlaceError(ValueError):
    """A code or a name that cannot be used; ``field`` names it, ``str(err)`` says why in Chinese."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalize_code(raw: str | None, what: str = "编码") -> str:
    """" lj01 " → "LJ01" (full-width folded): 2 to 20 letters and digits, starting with a letter."""
    s = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if not s:
        raise PlaceError("code", f"{what}不能为空")
    if not _CODE_RE.match(s):
        raise PlaceError("code", f"{what}应为 2 到 20 位英文字母和数字，以字母开头，例如 LJ01")
    return s


def normalize_name(raw: str | None, what: str = "名称") -> str:
    """A place's name: 2 to 30 characters, Chinese characters, letters, digits, "·" and brackets, no blanks."""
    s = unicodedata.normalize("NFC", raw or "").strip()
    if not s:
        raise PlaceError("name", f"{what}不能为空")
    if not _NAME_RE.match(s):
        raise PlaceError("name", f"{what}应为 2 到 30 个字，只用汉字、字母和数字，例如 临江村")
    return s


def code_in_use(code: str) -> str | None:
    """What already holds ``code`` (a township's or a village's name), if anything."""
    t = township_by_code(code)
    if t is not None:
        return t.name
    v = village_by_code(code)
    return v.name if v is not None else None


def _invalid(err: PlaceError) -> AppError:
    return AppError(422, "validation.failed", str(err), {"fields": {err.field: str(err)}})


def create_village(township: Township, code: str, name: str, *, actor: Principal | None) -> Village:
    """A new village of ``township`` (422 on a bad code or name, 409 on a code already in use), audited."""
    try:
        code, name = normalize_code(code, "村编码"), normalize_name(name, "村名")
    except PlaceError as err:
        raise _invalid(err) from err
    holder = code_in_use(code)
    if holder is not None:
        raise conflict("village.code_taken", f"编码 {code} 已被{holder}使用，请换一个", code=code)
    v = Village(township_id=township.id, code=code, name=name)
    db.session.add(v)
    db.session.flush()
    audit.record("village.create", "village", v.id, actor=actor, village_id=v.id, township_id=township.id,
                 after={"code": code, "name": name})
    return v


def create_township(code: str, name: str, *, actor: Principal | None) -> Township:
    """A new township (422 on a bad code or name, 409 on a code already in use), audited."""
    try:
        code, name = normalize_code(code, "乡镇编码"), normalize_name(name, "乡镇名称")
    except PlaceError as err:
        raise _invalid(err) from err
    holder = code_in_use(code)
    if holder is not None:
        raise conflict("township.code_taken", f"编码 {code} 已被{holder}使用，请换一个", code=code)
    t = Township(code=code, name=name)
    db.session.add(t)
    db.session.flush()
    audit.record("township.create", "township", t.id, actor=actor, township_id=t.id,
                 after={"code": code, "name": name})
    return t
