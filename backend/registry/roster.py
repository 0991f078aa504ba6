"""Roster import and export as .xlsx (openpyxl).

One sheet, header row 1, one row per person. Columns are found by their Chinese header text (see
:data:`COLUMNS`), in any order. An import is all or nothing: every row is read and checked first,
every problem is collected as ``{"row", "field", "message"}``, and if there is any, nothing at all is
written (422 ``roster.invalid``). Otherwise the whole file is written in one transaction through the
registry's household and people functions (each change writes its audit entry), plus one ``roster.import`` summary
entry.

Meaning of a blank cell: on a row that updates an existing person (it has a 成员编号, or the ID number
of someone already on this village's roster) a blank optional cell means "leave as is"; on a row that
adds a person it means the default (集体经济组织成员 是, 状态 在册, 脱贫户/监测户 否). A column left out
of the file altogether is treated the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from os import PathLike
from typing import IO, Any

from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.core import audit
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.identity import IdentityError, id_hashes, normalize_id_card, normalize_phone
from backend.core.permissions import Principal
from backend.core.xlsx import RowErrors, map_headers, open_first_sheet, refuse_bad_headers, text_only
from backend.core.xlsx import cell_blank as _blank
from backend.core.xlsx import cell_text as _text
from backend.registry import households, people
from backend.registry.models import Household, Member, Person, Village

MEMBER_ID = "成员编号"
HOUSEHOLD = "户号"
NAME = "姓名"
ID_CARD = "身份证号"
RELATION = "与户主关系"
PHONE = "手机号"
COLLECTIVE = "集体经济组织成员"
STATUS = "状态"
TUOPIN = "脱贫户"
JIANCE = "监测户"
ADDRESS = "住址"

# The columns in export order, with their widths (in characters) on export.
COLUMNS: tuple[tuple[str, int], ...] = (
    (MEMBER_ID, 10), (HOUSEHOLD, 12), (NAME, 12), (ID_CARD, 22), (RELATION, 12), (PHONE, 15),
    (COLLECTIVE, 18), (STATUS, 8), (TUOPIN, 8), (JIANCE, 8), (ADDRESS, 30),
)
HEADERS: tuple[str, ...] = tuple(h for h, _ in COLUMNS)
REQUIRED_HEADERS: tuple[str, ...] = (HOUSEHOLD, NAME)
TEXT_COLUMNS = frozenset({HOUSEHOLD, NAME, ID_CARD, PHONE, ADDRESS})  # written as text so Excel keeps them
HEAD = "户主"
STATUS_BY_LABEL = {label: key for key, label in people.STATUSES.items()}
MAX_LISTED_ERRORS = 500
PROGRESS_EVERY = 100
_MASKED_RE = re.compile(r"^\*+([0-9X]{4})$")

Progress = Callable[[int], None]


# ---------------------------------------------------------------- reading the sheet


@dataclass
class _Row:
    """One data row as read and checked. ``None`` in an optional field means the cell was blank."""

    row: int
    member_id: int | None = None
    household: str = ""
    name: str = ""
    id_card: str | None = None  # a full, valid ID number
    masked_last4: str | None = None  # the last four of an exported, masked ID number
    bad: set[str] = field(default_factory=set)  # columns whose value was given but is wrong (reported)
    id_hash: str | None = None
    relation: str | None = None
    phone: str | None = None
    collective: bool | None = None
    status: str | None = None
    tuopin: bool | None = None
    jiance: bool | None = None
    address: str | None = None
    # resolved against the database
    target: Member | None = None  # the existing member this row updates
    final_head: bool = False


def _bad_file(message: str) -> AppError:
    return AppError(422, "roster.bad_file", message)


_UNREADABLE = "无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 请先另存为 .xlsx）"


def _open_sheet(data: bytes) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    """(the workbook, an iterator over the rows of its first sheet as tuples of values)."""
    return open_first_sheet(data, _bad_file, empty="文件是空的，请选择填好的花名册 .xlsx 文件",
                            no_sheet="文件中没有工作表，请使用导出的花名册模板", unreadable=_UNREADABLE)


def _header_map(header: tuple[Any, ...] | None) -> tuple[dict[str, int], list[str]]:
    """Each known header's column index, and the problems of the header row."""
    return map_headers(header, HEADERS, required=REQUIRED_HEADERS, either=[((ID_CARD, MEMBER_ID), ID_CARD)])


def _check_headers(header: tuple[Any, ...] | None) -> dict[str, int]:
    found, problems = _header_map(header)
    if problems:
        raise refuse_bad_headers("roster.bad_headers", problems, HEADERS)
    return found


def _data_rows(rows: Iterable[tuple[Any, ...]], columns: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {header: value}) for each row with something in a known column."""
    for number, values in enumerate(rows, start=2):
        cells = {h: values[i] if i < len(values) else None for h, i in columns.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        yield number, cells


def count_rows(path: str | PathLike[str]) -> int:
    """How many data rows (non-blank, below the header) the file has; 0 if it cannot be read.

    Only sizes the CLI's progress bar: :func:`import_roster` reports an unreadable file properly.
    """
    try:
        with open(path, "rb") as fh:
            wb, rows = _open_sheet(fh.read())
        try:
            columns, _ = _header_map(next(rows, None))
            return sum(1 for _ in _data_rows(rows, columns))
        finally:
            wb.close()
    except Exception:
        return 0


# ---------------------------------------------------------------- checking one row


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if not text:
        return None
    if text == "是":
        return True
    if text == "否":
        return False
    raise ValueError("请填写“是”或“否”")


def _parse_row(number: int, cells: dict[str, Any], errors: RowErrors) -> _Row:
    r = _Row(row=number)
    first_error = len(errors.items)

    raw_id = cells.get(MEMBER_ID)
    if not _blank(raw_id):
        text = _text(raw_id)
        if isinstance(raw_id, bool) or not text.isdigit():
            errors.add(number, MEMBER_ID, "成员编号应为导出文件中的数字，新登记的人员请留空")
        else:
            r.member_id = int(text)

    r.household = _text(cells.get(HOUSEHOLD))
    if not r.household:
        errors.add(number, HOUSEHOLD, "请填写户号")
    elif len(r.household) > 30:
        errors.add(number, HOUSEHOLD, "户号最多30个字符")

    r.name = _text(cells.get(NAME))
    if not r.name:
        errors.add(number, NAME, "请填写姓名")
    elif len(r.name) > 40:
        errors.add(number, NAME, "姓名最多40个字")

    raw_card = cells.get(ID_CARD)
    if isinstance(raw_card, int | float) and not isinstance(raw_card, bool):
        errors.add(number, ID_CARD, "身份证号被存成了数字，末尾几位已丢失；请把这一列设为“文本”格式后重新填写")
    elif not _blank(raw_card):
        text = _text(raw_card).upper().replace(" ", "")
        masked = _MASKED_RE.match(text)
        if masked:
            r.masked_last4 = masked.group(1)
        elif "*" in text:
            errors.add(number, ID_CARD, "带*号的身份证号只能是导出时的样子（如 **************0115）")
        else:
            try:
                r.id_card = normalize_id_card(text)
            except IdentityError as exc:
                errors.add(number, ID_CARD, str(exc))

    relation = _text(cells.get(RELATION))
    if relation:
        if relation in people.RELATIONS:
            r.relation = relation
        else:
            errors.add(number, RELATION, "与户主关系应为：" + "、".join(people.RELATIONS))

    phone = _text(cells.get(PHONE))
    if phone:
        try:
            r.phone = normalize_phone(phone)
        except IdentityError as exc:
            errors.add(number, PHONE, str(exc))

    status = _text(cells.get(STATUS))
    if status:
        if status in STATUS_BY_LABEL:
            r.status = STATUS_BY_LABEL[status]
        else:
            errors.add(number, STATUS, "状态应为：" + "、".join(people.STATUSES.values()))

    for column, attr in ((COLLECTIVE, "collective"), (TUOPIN, "tuopin"), (JIANCE, "jiance")):
        try:
            setattr(r, attr, _yes_no(cells.get(column)))
        except ValueError as exc:
            errors.add(number, column, str(exc))

    address = _text(cells.get(ADDRESS))
    if len(address) > 120:
        errors.add(number, ADDRESS, "住址最多120个字")
    r.address = address or None
    r.bad = {e["field"] for e in errors.items[first_error:]}
    return r


# ---------------------------------------------------------------- checking the whole file


@dataclass
class _Village:
    """What the checks need to know about the village, loaded in a few queries."""

    households: dict[str, Household]
    households_by_id: dict[int, Household]
    members: dict[int, Member]
    members_by_hash: dict[str, Member]
    heads: dict[int, Member]  # household id → its current head

    @classmethod
    def load(cls, village: Village) -> _Village:
        households = list(db.session.execute(select(Household).where(Household.village_id == village.id)).scalars())
        members = list(db.session.execute(
            select(Member).options(joinedload(Member.person)).where(Member.village_id == village.id)
        ).scalars())
        return cls(
            households={h.number: h for h in households},
            households_by_id={h.id: h for h in households},
            members={m.id: m for m in members},
            members_by_hash={m.person.id_hash: m for m in members},
            heads={m.household_id: m for m in members if m.is_head},
        )


def _registered_elsewhere(hashes: set[str]) -> set[str]:
    """Which of these ID hashes belong to a person already in the system (in chunks: few queries)."""
    found: set[str] = set()
    pending = sorted(hashes)
    for i in range(0, len(pending), 500):
        found.update(db.session.execute(
            select(Person.id_hash).where(Person.id_hash.in_(pending[i:i + 500]))
        ).scalars())
    return found


def _rows_text(rows: Iterable[_Row]) -> str:
    numbers = sorted({r.row for r in rows})
    shown = "、".join(str(n) for n in numbers[:10])
    return f"第{shown}{'等' if len(numbers) > 10 else ''}行"


def _resolve_people(rows: list[_Row], known: _Village, errors: RowErrors) -> None:
    """Which existing member each row updates, or that it adds a new person; duplicates in the file."""
    key = people.identity_key()
    for r in rows:
        if r.id_card:
            r.id_hash = id_hashes(key, r.id_card)[0]
    unknown = {r.id_hash for r in rows if r.id_hash and r.id_hash not in known.members_by_hash}
    elsewhere = _registered_elsewhere(unknown) if unknown else set()

    for r in rows:
        if r.member_id is not None:
            m = known.members.get(r.member_id)
            if m is None:
                errors.add(r.row, MEMBER_ID, f"成员编号 {r.member_id} 不是本村的人员，新登记的人员请留空")
                continue
            r.target = m
            if r.id_hash is not None and r.id_hash != m.person.id_hash:
                errors.add(r.row, ID_CARD, f"身份证号与成员编号 {r.member_id} 的人员不符，请核对")
            elif r.masked_last4 is not None and r.masked_last4 != m.person.id_last4:
                errors.add(r.row, ID_CARD, f"身份证号后4位与成员编号 {r.member_id} 的人员不符，请核对")
        elif r.id_hash is not None:
            r.target = known.members_by_hash.get(r.id_hash)
            if r.target is None and r.id_hash in elsewhere:
                errors.add(r.row, ID_CARD, "该身份证号已在系统中登记（其他村或乡镇工作人员），不能重复登记")
        elif r.masked_last4 is not None:
            errors.add(r.row, ID_CARD, "新登记的人员请填写完整的身份证号（带*号的只能与成员编号一起使用）")
        elif ID_CARD not in r.bad:
            errors.add(r.row, ID_CARD, "新登记的人员请填写身份证号")

        if r.target is None and r.relation is None and RELATION not in r.bad:
            errors.add(r.row, RELATION, "新登记的人员请填写与户主关系")

    same: dict[tuple[str, Any], list[_Row]] = defaultdict(list)
    for r in rows:
        if r.target is not None:
            same[("member", r.target.id)].append(r)
        elif r.id_hash is not None:
            same[("id", r.id_hash)].append(r)
    for group in same.values():
        if len(group) > 1:
            for r in group:
                others = _rows_text(o for o in group if o is not r)
                column = MEMBER_ID if r.member_id is not None else ID_CARD
                errors.add(r.row, column, f"与{others}是同一个人，重复了，请只保留一行")


def _resolve_households(rows: list[_Row], known: _Village, errors: RowErrors) -> dict[str, list[_Row]]:
    """Group rows by 户号; unknown households, one head per household, agreeing household fields."""
    groups: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        if r.household:
            groups[r.household].append(r)

    targeted = {r.target.id for r in rows if r.target is not None}
    for r in rows:
        m = r.target
        if m is None:
            r.final_head = r.relation == HEAD
            continue
        moves = known.households_by_id[m.household_id].number != r.household
        if r.relation is not None:
            r.final_head = r.relation == HEAD
        else:
            r.final_head = m.is_head and not moves
            if m.is_head and moves:
                errors.add(r.row, RELATION, "此人原为户主，换到别的户时请填写与户主关系")

    for number, group in groups.items():
        heads = [r for r in group if r.final_head]
        existing = known.households.get(number)
        if existing is None and not heads:
            for r in group:
                errors.add(r.row, HOUSEHOLD, f"户号 {number} 不存在；新建户须有一行与户主关系为“户主”")
        current = known.heads.get(existing.id) if existing is not None else None
        if len(heads) > 1:
            for r in heads:
                errors.add(r.row, RELATION, f"户号 {number} 在文件中有多名户主（{_rows_text(heads)}），只能有一名")
        elif heads and current is not None and current.id not in targeted:
            errors.add(heads[0].row, RELATION, f"户号 {number} 已有户主 {current.person.name}；"
                                               "更换户主时请在本文件中同时修改原户主的与户主关系")

        for column, attr in ((TUOPIN, "tuopin"), (JIANCE, "jiance"), (ADDRESS, "address")):
            carrying = [r for r in group if getattr(r, attr) is not None]
            if len({getattr(r, attr) for r in carrying}) > 1:
                for r in carrying:
                    errors.add(r.row, column, f"同一户的{column}填写不一致（{_rows_text(carrying)}），请统一")
    return groups


# ---------------------------------------------------------------- the plan of changes


@dataclass
class _Plan:
    new_households: list[dict[str, Any]] = field(default_factory=list)
    household_changes: list[tuple[Household, dict[str, Any]]] = field(default_factory=list)
    demotions: list[tuple[Member, dict[str, Any]]] = field(default_factory=list)  # run first
    updates: list[tuple[Member, dict[str, Any]]] = field(default_factory=list)
    additions: list[people.MemberInput] = field(default_factory=list)
    unchanged: int = 0

    @property
    def updated(self) -> int:
        """Members changed (a head moving to head another household is one member, two steps)."""
        return len({id(m) for m, _ in self.demotions} | {id(m) for m, _ in self.updates})


def _plan(rows: list[_Row], groups: dict[str, list[_Row]], known: _Village) -> _Plan:
    plan = _Plan()
    for number, group in groups.items():
        values = {attr: next((getattr(r, attr) for r in group if getattr(r, attr) is not None), None)
                  for attr in ("tuopin", "jiance", "address")}
        existing = known.households.get(number)
        if existing is None:
            plan.new_households.append({"number": number, "address": values["address"],
                                        "is_tuopin": bool(values["tuopin"]), "is_jiance": bool(values["jiance"])})
            continue
        changes: dict[str, Any] = {}
        for attr, column in (("tuopin", "is_tuopin"), ("jiance", "is_jiance"), ("address", "address")):
            if values[attr] is not None and values[attr] != getattr(existing, column):
                changes[column] = values[attr]
        if changes:
            plan.household_changes.append((existing, changes))

    for r in rows:
        m = r.target
        if m is None:
            plan.additions.append(people.MemberInput(
                name=r.name, id_card=r.id_card or "", household_number=r.household,
                relation=r.relation or HEAD, is_head=r.final_head, phone=r.phone,
                is_collective_member=True if r.collective is None else r.collective,
                status=r.status or "active"))
            continue
        p = m.person
        changes = {}
        if r.name != p.name:
            changes["name"] = r.name
        if r.phone is not None and r.phone != p.phone:
            changes["phone"] = r.phone
        moves = known.households_by_id[m.household_id].number != r.household
        if moves:
            changes["household_number"] = r.household
        if r.relation is not None and r.relation != m.relation:
            changes["relation"] = r.relation
        if r.collective is not None and r.collective != m.is_collective_member:
            changes["is_collective_member"] = r.collective
        if r.status is not None and r.status != m.status:
            changes["status"] = r.status
        stays_head = m.is_head and not moves and r.final_head
        if not changes and r.final_head == (m.is_head and not moves):
            plan.unchanged += 1
        elif m.is_head and not stays_head:
            # every head who gives up a seat does so before anyone takes a seat (the one-head index)
            if r.final_head:  # heads another household now: step down here, take the new seat later
                plan.demotions.append((m, {"is_head": False}))
                plan.updates.append((m, {**changes, "is_head": True}))
            else:
                plan.demotions.append((m, {**changes, "is_head": False}))
        elif r.final_head and not stays_head:
            plan.updates.append((m, {**changes, "is_head": True}))
        else:
            plan.updates.append((m, changes))
    return plan


def _write(village: Village, plan: _Plan, *, actor: Principal | None, summary: dict[str, Any]) -> None:
    for h in plan.new_households:
        households.create_household(village, h.pop("number"), actor=actor, **h)
    for household, changes in plan.household_changes:
        households.update_household(household, changes, actor=actor)
    for m, changes in plan.demotions:
        people.update_member(m, changes, actor=actor, interim=True)
    for m, changes in plan.updates:
        people.update_member(m, changes, actor=actor)
    people.add_members(village, plan.additions, actor=actor)
    audit.record("roster.import", "village", village.id, actor=actor, village_id=village.id, after=summary)
    db.session.flush()


# ---------------------------------------------------------------- import


def import_roster(village: Village, stream: IO[bytes], *, actor: Principal | None, dry_run: bool = False,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Check the whole file, then (unless ``dry_run``) write all of it in one transaction and commit.

    Returns the report ``{created, updated, unchanged, households_created, households_updated, rows,
    dry_run}``. Raises :class:`AppError` 422 (``roster.bad_file``, ``roster.bad_headers``,
    ``roster.too_large``, ``roster.invalid`` with every bad row) and then nothing is written.
    """
    limit = int(current_app.config["ROSTER_MAX_ROWS"])
    wb, sheet = _open_sheet(stream.read())
    errors = RowErrors("roster.invalid", "花名册", {h: i for i, h in enumerate(HEADERS)}, MAX_LISTED_ERRORS)
    rows: list[_Row] = []
    reported = 0
    try:
        columns = _check_headers(next(sheet, None))
        for number, cells in _data_rows(sheet, columns):
            if len(rows) >= limit:
                raise AppError(422, "roster.too_large",
                               f"一次最多导入 {limit} 行，本文件超过了，请分成几份导入", {"max_rows": limit})
            rows.append(_parse_row(number, cells, errors))
            if progress is not None and len(rows) - reported >= PROGRESS_EVERY:
                progress(len(rows) - reported)
                reported = len(rows)
    finally:
        wb.close()
    if not rows:
        raise _bad_file("花名册中没有人员数据（第1行为表头，从第2行起每行一人）")

    known = _Village.load(village)
    _resolve_people(rows, known, errors)
    groups = _resolve_households(rows, known, errors)
    if progress is not None and len(rows) > reported:
        progress(len(rows) - reported)
    errors.raise_if_any()

    plan = _plan(rows, groups, known)
    report = {
        "created": len(plan.additions), "updated": plan.updated, "unchanged": plan.unchanged,
        "households_created": len(plan.new_households), "households_updated": len(plan.household_changes),
        "rows": len(rows), "dry_run": dry_run,
    }
    if dry_run:
        return report
    summary = {k: v for k, v in report.items() if k != "dry_run"}
    try:
        with db.session.begin_nested():
            _write(village, plan, actor=actor, summary=summary)
    except IntegrityError as exc:  # someone changed the roster meanwhile: nothing of this file stays
        raise AppError(409, "roster.conflict", "导入时花名册被同时修改，整份未导入，请重新导入") from exc
    db.session.commit()
    return report


# ---------------------------------------------------------------- export


def _member_cells(m: Member) -> list[Any]:
    p, h = m.person, m.household
    return [
        m.id, h.number, p.name, "*" * 14 + p.id_last4, HEAD if m.is_head else m.relation, p.phone or "",
        "是" if m.is_collective_member else "否", people.STATUSES.get(m.status, m.status),
        "是" if h.is_tuopin else "否", "是" if h.is_jiance else "否", h.address or "",
    ]


def _roster_sheet() -> tuple[Workbook, Any]:
    """A workbook whose first sheet 花名册 has the header row, widths and frozen header."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(list(HEADERS))
    bold = Font(bold=True)
    for i, (_, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return wb, ws


def _text_format(ws: Any, first_row: int, last_row: int) -> None:
    """ID numbers, phones and 户号 stay text in Excel (an 18-digit number would lose its last digits)."""
    for i, h in enumerate(HEADERS, start=1):
        if h in TEXT_COLUMNS:
            for row in range(first_row, last_row + 1):
                ws.cell(row=row, column=i).number_format = "@"


def export_roster(village: Village) -> BytesIO:
    """The village roster as .xlsx, ordered by 户号 then head first; ID numbers show only their last 4."""
    wb, ws = _roster_sheet()
    count = 0
    for m in db.session.execute(people.members_query(village.id)).unique().scalars():
        ws.append(_member_cells(m))
        count += 1
    _text_format(ws, 2, count + 1)
    out = BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out


TEMPLATE_NOTES: tuple[tuple[str, str], ...] = (
    (MEMBER_ID, "新登记的人员留空；修改已有人员时照抄导出文件中的编号"),
    (HOUSEHOLD, "必填，如 LJ-065；新户须有一行“与户主关系”为“户主”"),
    (NAME, "必填"),
    (ID_CARD, "新登记的人员填完整的18位身份证号（这一列已设为文本格式）"),
    (RELATION, "新登记的人员必填：" + "、".join(people.RELATIONS)),
    (PHONE, "11位手机号，可不填"),
    (COLLECTIVE, "是 或 否；不填为“是”"),
    (STATUS, "、".join(people.STATUSES.values()) + "；不填为“在册”"),
    (TUOPIN, "是 或 否；不填为“否”（同一户填写一致）"),
    (JIANCE, "是 或 否；不填为“否”（同一户填写一致）"),
    (ADDRESS, "可不填（同一户填写一致）"),
)


def template() -> BytesIO:
    """An empty roster (the export's columns, ID and phone columns formatted as text) and a sheet 填写说明 with
    what each column takes. Only the first sheet is read on import."""
    wb, ws = _roster_sheet()
    _text_format(ws, 2, 501)
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "怎么填"])
    for header, how in TEMPLATE_NOTES:
        notes.append([header, how])
    notes.append(["", "一行一人，从第2行起填写；整份文件检查无误才会导入，有错的行会逐行列出"])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 70
    out = BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out


__all__ = ["COLUMNS", "HEADERS", "count_rows", "export_roster", "import_roster", "template"]
