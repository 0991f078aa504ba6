"""The share register (股权登记簿) as .xlsx: export the register on a date, import a file that states it.

The first sheet holds the register, header in row 1, one row per holding: 户号, 股权证号, 户主, 成员姓名,
身份证后4位, one column per share type of the village (its name as header), 合计. Shares a household keeps without
a member have a row with an empty 成员姓名; the collective's own shares a row with 户号 “集体”. A second sheet
(“说明”) carries the title, the date, the register hash and how to fill the file in; the importer reads only the
first sheet. 户主 and 合计 are there to read and check by eye; the importer does not read them.

An import states the register as it should be on ``effective_on``: the difference from the register on that date
is recorded as ONE event through :func:`service.record_event` (``initial`` when the register is empty then,
otherwise ``adjust``), and a non-empty 股权证号 issues or changes the household's certificate. An unchanged file
records nothing. It is all or nothing: every row is read and checked first, every problem is collected as
``{"row", "field", "message"}``, and if there is any nothing is written (422 ``share.import_invalid``). The number
of queries does not depend on the size of the file (only PostgreSQL's batched inserts grow, one per thousand rows).
The event is audited by ``record_event``; the import adds one ``share.import`` entry with its counts and the
certificates it issued or changed. The caller commits (nothing needs committing when the report says unchanged).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import IO, Any

from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core import audit
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, unprocessable
from backend.core.permissions import Principal
from backend.core.xlsx import RowErrors, map_headers, open_first_sheet, refuse_bad_headers, text_only
from backend.core.xlsx import cell_blank as _blank
from backend.core.xlsx import cell_text as _text
from backend.dividends.models import ShareCertificate, ShareType
from backend.dividends.shares import service as register
from backend.registry import Village

HOUSEHOLD = "户号"
CERTIFICATE = "股权证号"
HEAD = "户主"
MEMBER = "成员姓名"
LAST4 = "身份证后4位"
TOTAL = "合计"
COLLECTIVE = register.COLLECTIVE_NUMBER  # 户号 of the collective's own shares: “集体”
COLLECTIVE_HEAD = "集体经济组织"

FIXED_COLUMNS: tuple[tuple[str, int], ...] = ((HOUSEHOLD, 12), (CERTIFICATE, 14), (HEAD, 12), (MEMBER, 12),
                                              (LAST4, 12))
FIXED_HEADERS: tuple[str, ...] = tuple(h for h, _ in FIXED_COLUMNS)
REQUIRED_HEADERS: tuple[str, ...] = (HOUSEHOLD, MEMBER)
READ_ONLY_HEADERS = frozenset({HEAD, TOTAL})  # shown for checking by eye, not read on import
TEXT_HEADERS = frozenset({HOUSEHOLD, CERTIFICATE, HEAD, MEMBER, LAST4})  # kept as text by Excel (0115 stays 0115)
TYPE_WIDTH = 10
SHEET_TITLE = "股权登记簿"
NOTES_TITLE = "说明"

MAX_ROWS = 60_000  # override with the app setting SHARE_REGISTER_MAX_ROWS
MAX_SHARES = 100_000_000  # per cell: far above any village's holding, far below the database's integer
MAX_LISTED_ERRORS = 500
DEFAULT_ADJUST_NOTE = "导入调整"
DEFAULT_INITIAL_NOTE = "导入股权登记簿"
_LAST4_CHARS = frozenset("0123456789X")

Key = tuple[int | None, int | None, int]  # household, member, share type (as in register.py)


# ---------------------------------------------------------------- export


def _row_order(hh: register.HouseholdHolding, last4: dict[int, str], names: dict[int, str]) -> list[int]:
    """The household's members: its head first (as on the roster), then by roster order."""
    def head_first(m: int) -> tuple[bool, int]:
        is_head = names.get(m) == hh.head_name and last4.get(m) == hh.head_id_last4
        return (not is_head, m)

    return sorted(hh.members, key=head_first)


def export_rows(village_id: int, on: date) -> tuple[list[ShareType], list[list[Any]], str]:
    """(the share types in column order, the data rows, the register hash) of the register on ``on``."""
    holdings = register.register_at(village_id, on)
    all_types = register.share_types(village_id)
    held = {x.share_type_id for x in holdings}
    types = [st for st in all_types if st.active or st.id in held]
    grouped = register.by_household(village_id, holdings)
    briefs = registry.members_brief(village_id)
    names = {m.id: m.name for m in briefs.values()}
    last4 = registry.members_id_last4(village_id)
    rows: list[list[Any]] = []

    def line(hh: register.HouseholdHolding, member: int | None, by_type: dict[int, int]) -> list[Any]:
        counts = [by_type.get(st.id, 0) for st in types]
        head = COLLECTIVE_HEAD if hh.household_id is None else hh.head_name
        name, id4 = (names.get(member), last4.get(member)) if member is not None else (None, None)
        return [hh.number, hh.certificate, head, name, id4, *counts, sum(counts)]  # None: an empty cell

    for hh in grouped:
        kept = dict(hh.by_type)  # what the household (or the collective) holds without a member
        for m in _row_order(hh, last4, names):
            by_type = hh.members[m]
            for t, n in by_type.items():
                kept[t] = kept.get(t, 0) - n
            rows.append(line(hh, m, by_type))
        kept = {t: n for t, n in kept.items() if n}
        if kept:
            rows.append(line(hh, None, kept))
    return types, rows, register.register_hash(village_id, on, holdings)


def export_register(village: Village, on: date) -> BytesIO:
    """The register on ``on`` as .xlsx (first sheet the register, second the title and notes). ID numbers show
    only their last 4 characters: the system stores no more. Formats are set per column, not per cell (a village
    of 30,000 people in a few seconds); strings are shared, as Excel saves them (faster to read back)."""
    types, rows, reg_hash = export_rows(village.id, on)
    headers = [*FIXED_HEADERS, *(st.name for st in types), TOTAL]
    widths = [*(w for _, w in FIXED_COLUMNS), *(TYPE_WIDTH for _ in types), TYPE_WIDTH]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_TITLE
    for i, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        column = ws.column_dimensions[get_column_letter(i)]
        column.width = width
        if header in TEXT_HEADERS:
            column.number_format = "@"  # what is typed in stays text (0115 stays 0115)
    ws.append(headers)
    bold, centre = Font(bold=True), Alignment(horizontal="center")
    for cell in ws[1]:
        cell.font, cell.alignment = bold, centre
    ws.freeze_panes = "F2"
    for values in rows:
        ws.append(values)

    notes = wb.create_sheet(NOTES_TITLE)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    households = len({r[0] for r in rows if r[0] != COLLECTIVE})
    type_names = "、".join(st.name for st in types) or "（本村尚未设置股份类型）"
    for line in (
        [f"{village.name}股权登记簿"],
        ["登记日期", on.isoformat()],
        ["导出时间", utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")],
        ["户数", households],
        ["股份合计", sum(r[-1] for r in rows)],
        ["登记簿哈希", reg_hash],
        [],
        ["填写说明"],
        ["1", "第一张表为登记簿：第1行为表头，从第2行起每行一笔持股（一户中的一位成员，或一户不记到人的股份）。"],
        ["2", f"股份类型列：{type_names}。股数填不小于0的整数，留空按0。"],
        ["3", "成员按户号、成员姓名、身份证后4位与花名册核对；户内不记到人的股份，成员姓名留空。"],
        ["4", f"集体持有的股份填在户号为“{COLLECTIVE}”的一行。"],
        ["5", "股权证号以户为单位：填写则发证或更正，留空则不改。"],
        ["6", "导入时以文件为准：与生效日期的登记簿相比有差异的，登记为一次变动；文件中没有的持股视为0。"],
        ["7", f"“{HEAD}”“{TOTAL}”两列仅供核对，导入时不读取。"],
    ):
        notes.append(line)
    notes["A1"].font = Font(bold=True, size=14)
    out = BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out


# ---------------------------------------------------------------- reading the file


def _bad_file(message: str) -> AppError:
    return AppError(422, "share.import_bad_file", message)


_UNREADABLE = "无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 请先另存为 .xlsx）"


def _open_sheet(data: bytes) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    return open_first_sheet(data, _bad_file, empty="文件是空的，请选择填好的股权登记簿 .xlsx 文件",
                            no_sheet="文件中没有工作表，请使用导出的股权登记簿", unreadable=_UNREADABLE)


def _check_headers(header: tuple[Any, ...] | None, types: Sequence[ShareType]) -> tuple[dict[str, int],
                                                                                        dict[int, int]]:
    """(fixed header → column index, share type id → column index); any problem refuses the file."""
    by_name = {st.name: st for st in types}
    known = [*FIXED_HEADERS, *by_name, TOTAL]
    found, problems = map_headers(header, known, required=REQUIRED_HEADERS, unknown_note="（不是本村的股份类型）")
    typed = {by_name[name].id: i for name, i in found.items() if name in by_name}
    fixed = {name: i for name, i in found.items() if name not in by_name}
    if not typed and by_name:
        problems.append("缺少股份类型的列（至少一列，如：" + "、".join(by_name) + "）")
    if not by_name:
        problems.append("本村尚未设置股份类型，请先在“股份类型”中设置")
    if problems:
        raise refuse_bad_headers("share.import_bad_headers", problems, known)
    return fixed, typed


def _count(value: Any) -> int:
    """A share count: a whole number ≥ 0 (blank is 0). Raises ValueError with the reason."""
    if _blank(value):
        return 0
    if isinstance(value, bool | datetime | date):
        raise ValueError("股数应为不小于0的整数")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("股数应为整数，不能有小数")
        n = int(value)
    else:
        text = str(value).strip().replace(",", "")
        if text.startswith("-") or text.startswith("－"):
            raise ValueError("股数不能为负数")
        if not text.isascii() and any(c.isdigit() or c in "．" for c in text):
            raise ValueError("股数请用半角数字填写（如 3，不是 ３）")
        if text.isascii() and text.replace(".", "", 1).isdigit() and "." in text:
            whole, _, frac = text.partition(".")
            if frac.strip("0"):
                raise ValueError("股数应为整数，不能有小数")
            text = whole or "0"
        if not (text.isascii() and text.isdigit()):
            raise ValueError("股数应为不小于0的整数")
        n = int(text)
    if n < 0:
        raise ValueError("股数不能为负数")
    if n > MAX_SHARES:
        raise ValueError(f"股数过大（每格最多 {MAX_SHARES}）")
    return n


def _last4(value: Any) -> str:
    """The last 4 characters of an ID number; one stored by Excel as a number (115) is padded back (0115)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
        return f"{value:04d}"
    if isinstance(value, float) and value.is_integer() and 0 <= value <= 9999:
        return f"{int(value):04d}"
    text = _text(value).upper().replace(" ", "").lstrip("*")
    if len(text) != 4 or not set(text) <= _LAST4_CHARS or "X" in text[:3]:
        raise ValueError("身份证后4位应为4位数字（最后一位可以是X）")
    return text


@dataclass
class _Row:
    row: int
    household: str = ""
    certificate: str = ""
    member: str = ""
    last4: str | None = None
    shares: dict[int, int] = field(default_factory=dict)  # share type → count (every type column of the file)
    household_id: int | None = None
    member_id: int | None = None
    resolved: bool = False

    @property
    def collective(self) -> bool:
        return self.household == COLLECTIVE


def _parse_row(number: int, cells: dict[str, Any], typed: dict[int, Any], types: dict[int, ShareType],
               errors: RowErrors) -> _Row:
    r = _Row(row=number)
    r.household = _text(cells.get(HOUSEHOLD))
    if not r.household:
        errors.add(number, HOUSEHOLD, f"请填写户号（集体持有的股份填“{COLLECTIVE}”）")
    elif len(r.household) > 30:
        errors.add(number, HOUSEHOLD, "户号最多30个字符")

    r.certificate = _text(cells.get(CERTIFICATE))
    if r.certificate and r.collective:
        errors.add(number, CERTIFICATE, "集体持有的股份不发股权证，请留空")
    elif len(r.certificate) > 30:
        errors.add(number, CERTIFICATE, "股权证号最多30个字符")

    r.member = _text(cells.get(MEMBER))
    if r.member and r.collective:
        errors.add(number, MEMBER, f"“{COLLECTIVE}”行不填成员姓名")
    elif len(r.member) > 40:
        errors.add(number, MEMBER, "成员姓名最多40个字")

    raw = cells.get(LAST4)
    if not _blank(raw):
        if not r.member:
            errors.add(number, LAST4, "填写了身份证后4位，请同时填写成员姓名")
        else:
            try:
                r.last4 = _last4(raw)
            except ValueError as exc:
                errors.add(number, LAST4, str(exc))

    for type_id, value in typed.items():
        st = types[type_id]
        try:
            n = _count(value)
        except ValueError as exc:
            errors.add(number, st.name, str(exc))
            continue
        r.shares[type_id] = n
        if not n or not r.household:
            continue
        if r.collective and st.holder == "member":
            errors.add(number, st.name, f"{st.name}由成员持有，不能填在“{COLLECTIVE}”行")
        elif not r.collective and st.holder == "collective":
            errors.add(number, st.name, f"{st.name}由集体持有，只能填在户号为“{COLLECTIVE}”的一行")
    return r


def _data_rows(rows: Iterable[tuple[Any, ...]], fixed: dict[str, int],
               typed: dict[int, int]) -> Iterator[tuple[int, dict[str, Any], dict[int, Any]]]:
    """(Excel row number, {fixed header: value}, {share type: value}) for each row with something in it."""
    for number, values in enumerate(rows, start=2):
        cells = {h: values[i] if i < len(values) else None for h, i in fixed.items() if h not in READ_ONLY_HEADERS}
        counts = {t: values[i] if i < len(values) else None for t, i in typed.items()}
        if all(_blank(v) for v in cells.values()) and all(_blank(v) for v in counts.values()):
            continue
        yield number, cells, counts


def _rows_text(rows: Iterable[_Row]) -> str:
    numbers = sorted({r.row for r in rows})
    shown = "、".join(str(n) for n in numbers[:10])
    return f"第{shown}{'等' if len(numbers) > 10 else ''}行"


# ---------------------------------------------------------------- checking against the village


@dataclass
class _Village:
    """What the checks need to know, loaded in a fixed number of queries."""

    households: dict[str, int]  # 户号 → id
    numbers: dict[int, str]  # id → 户号
    member_household: dict[int, int]  # member → household on the roster
    by_name: dict[str, list[int]]  # name → members
    last4: dict[int, str]
    certificates: dict[int, ShareCertificate]  # household → its certificate
    current: dict[Key, int]  # the register on the import date

    @classmethod
    def load(cls, village_id: int, on: date) -> _Village:
        numbers = {b.id: b.number for b in registry.households_brief(village_id).values()}
        members = registry.members_brief(village_id)
        by_name: dict[str, list[int]] = defaultdict(list)
        for m in members.values():
            by_name[m.name].append(m.id)
        certs = db.session.execute(
            select(ShareCertificate).where(ShareCertificate.village_id == village_id)).scalars()
        return cls(
            households={n: hid for hid, n in numbers.items()},
            numbers=numbers,
            member_household={m.id: m.household_id for m in members.values()},
            by_name=by_name,
            last4=registry.members_id_last4(village_id),
            certificates={c.household_id: c for c in certs},
            current={(x.household_id, x.member_id, x.share_type_id): x.shares
                     for x in register.register_at(village_id, on)},
        )


def _resolve(rows: list[_Row], known: _Village, errors: RowErrors) -> None:
    """Each row's household and member; duplicate holdings."""
    held_by = {(h, m) for h, m, _ in known.current if m is not None}
    for r in rows:
        if not r.household:
            continue
        if r.collective:
            r.resolved = True
            continue
        hid = known.households.get(r.household)
        if hid is None:
            errors.add(r.row, HOUSEHOLD, f"本村没有户号 {r.household}，请核对或先在花名册中登记")
            continue
        r.household_id = hid
        if not r.member:
            r.resolved = True
            continue
        candidates = known.by_name.get(r.member, [])
        if r.last4 is not None:
            candidates = [m for m in candidates if known.last4.get(m) == r.last4]
        here = [m for m in candidates if known.member_household.get(m) == hid or (hid, m) in held_by]
        who = f"{r.member}（身份证后4位 {r.last4}）" if r.last4 else r.member
        if not here:
            errors.add(r.row, MEMBER, f"户号 {r.household} 中没有成员{who}，请核对花名册")
        elif len(here) > 1 and r.last4 is None:
            errors.add(r.row, MEMBER, f"户号 {r.household} 中有 {len(here)} 位成员{who}，请填写身份证后4位以区分")
        elif len(here) > 1:
            errors.add(r.row, LAST4, f"户号 {r.household} 中有 {len(here)} 位成员{who}，无法区分，请核对花名册")
        else:
            r.member_id = here[0]
            r.resolved = True

    same: dict[tuple[int | None, int | None], list[_Row]] = defaultdict(list)
    for r in rows:
        if r.resolved:
            same[(r.household_id, r.member_id)].append(r)
    for group in same.values():
        if len(group) < 2:
            continue
        for r in group:
            others = _rows_text(o for o in group if o is not r)
            if r.collective:
                errors.add(r.row, HOUSEHOLD, f"与{others}都是集体持有的股份，重复了，请合并为一行")
            elif r.member_id is None:
                errors.add(r.row, MEMBER, f"与{others}都是户号 {r.household} 不记到人的股份，重复了，请合并为一行")
            else:
                errors.add(r.row, MEMBER, f"与{others}是同一位成员在同一户的持股，重复了，请合并为一行")


def _certificates(rows: list[_Row], known: _Village, errors: RowErrors) -> dict[int, str]:
    """Household → the certificate number the file gives it, where that differs from the one it has."""
    given: dict[int, dict[str, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.household_id is not None and r.certificate:
            given[r.household_id][r.certificate].append(r)
    wanted: dict[int, str] = {}
    for hid, numbers in given.items():
        if len(numbers) > 1:
            carrying = [r for group in numbers.values() for r in group]
            for r in carrying:
                errors.add(r.row, CERTIFICATE, f"同一户的股权证号填写不一致（{_rows_text(carrying)}），请统一")
        else:
            wanted[hid] = next(iter(numbers))

    # every household's number after the import: the file's where it gives one, else the one it has
    final: dict[int, str] = {hid: c.number for hid, c in known.certificates.items()}
    final.update(wanted)
    holders: dict[str, list[int]] = defaultdict(list)
    for hid, number in final.items():
        holders[number].append(hid)
    for hid, number in wanted.items():
        others = [h for h in holders[number] if h != hid]
        if not others:
            continue
        other_numbers = "、".join(sorted(known.numbers.get(h, "?") for h in others))
        for r in given[hid][number]:
            errors.add(r.row, CERTIFICATE, f"股权证号 {number} 也发给了户号 {other_numbers}，一个证号只能发给一户")
    return {hid: n for hid, n in wanted.items()
            if hid not in known.certificates or known.certificates[hid].number != n}


# ---------------------------------------------------------------- the difference and the write


@dataclass
class _Diff:
    changes: list[register.ChangeInput]
    added: int
    changed: int
    removed: int
    unchanged: int
    before: int
    after: int
    households_changed: int


def _diff(target: dict[Key, int], current: dict[Key, int]) -> _Diff:
    changes: list[register.ChangeInput] = []
    added = changed = removed = unchanged = 0
    touched: set[int | None] = set()
    for key in sorted(set(target) | set(current),
                      key=lambda k: (k[0] is None, k[0] or 0, k[1] is not None, k[1] or 0, k[2])):
        new, old = target.get(key, 0), current.get(key, 0)
        if new == old:
            unchanged += 1
            continue
        if not old:
            added += 1
        elif not new:
            removed += 1
        else:
            changed += 1
        h, m, t = key
        touched.add(h)
        changes.append(register.ChangeInput(share_type_id=t, delta=new - old, household_id=h, member_id=m))
    return _Diff(changes, added, changed, removed, unchanged, sum(current.values()), sum(target.values()),
                 len(touched))


def _write_certificates(village: Village, wanted: dict[int, str], known: _Village, on: date) -> list[list[Any]]:
    """Issue or change certificates in bulk (what :func:`register.set_certificate` does for one household), in a
    fixed number of statements. A number moving to another household (a swap, a renumbering) is freed first,
    since numbers are unique in the village at every statement. Returns ``[household, old number, new number]``
    for the import's audit entry."""
    if not wanted:
        return []
    old = {hid: known.certificates[hid].number for hid in wanted if hid in known.certificates}
    holder = {c.number: hid for hid, c in known.certificates.items()}
    if any(holder.get(number, hid) != hid for hid, number in wanted.items()):
        for hid in old:
            cert = known.certificates[hid]
            cert.number = f"~{cert.id}"  # a placeholder no one types, replaced below
        db.session.flush()
    for hid in old:
        known.certificates[hid].number, known.certificates[hid].issued_on = wanted[hid], on
    db.session.flush()
    new = [{"village_id": village.id, "household_id": hid, "number": number, "issued_on": on}
           for hid, number in sorted(wanted.items()) if hid not in old]
    if new:
        db.session.execute(insert(ShareCertificate), new)
    return [[hid, old.get(hid), number] for hid, number in sorted(wanted.items())]


# ---------------------------------------------------------------- import


def _read(data: bytes, types: list[ShareType]) -> tuple[list[_Row], RowErrors, dict[int, int]]:
    """Every data row of the file, parsed and checked on its own; (rows, errors so far, type → column)."""
    limit = int(current_app.config.get("SHARE_REGISTER_MAX_ROWS", MAX_ROWS))
    by_id = {st.id: st for st in types}
    wb, sheet = _open_sheet(data)
    try:
        fixed, typed = _check_headers(next(sheet, None), types)
        order = {h: i for i, h in enumerate([*FIXED_HEADERS, *(st.name for st in types), TOTAL])}
        errors = RowErrors("share.import_invalid", "股权登记簿", order, MAX_LISTED_ERRORS)
        rows: list[_Row] = []
        for number, cells, counts in _data_rows(sheet, fixed, typed):
            if len(rows) >= limit:
                raise AppError(422, "share.import_too_large",
                               f"一次最多导入 {limit} 行，本文件超过了，请分成几份导入", {"max_rows": limit})
            rows.append(_parse_row(number, cells, counts, by_id, errors))
    finally:
        wb.close()
    if not rows:
        raise _bad_file("文件中没有股权数据（第1行为表头，从第2行起每行一笔持股）")
    return rows, errors, typed


def import_register(village: Village, stream: IO[bytes], *, effective_on: date | None = None,
                    actor: Principal | None, dry_run: bool = False, note: str | None = None) -> dict[str, Any]:
    """Check the whole file against the roster and the register on ``effective_on`` (default today), then (unless
    ``dry_run``) record the difference as one event and the certificates, and flush; the caller commits.

    Raises :class:`AppError`, and then nothing is written: 422 ``share.import_bad_file``,
    ``share.import_bad_headers``, ``share.import_too_large``, ``share.import_invalid`` (every bad row),
    ``share.future_date``; 409 ``share.frozen`` (the date is on or before a computed dividend's record date),
    ``share.insufficient`` (a later change would then leave a holding below zero), ``share.import_conflict``.
    """
    on = effective_on or today()
    if on > today():
        raise unprocessable("share.future_date", "生效日期不能晚于今天")
    note = (note or "").strip() or None
    if note is not None and len(note) > 200:
        raise unprocessable("share.note_too_long", "备注最多200个字")
    types = register.share_types(village.id)
    rows, errors, typed = _read(stream.read(), types)

    if not dry_run:  # the register cannot change between the comparison below and the write (PostgreSQL row lock)
        register.lock_register(village.id)
    known = _Village.load(village.id, on)
    held_types = {t for _, _, t in known.current}
    missing = [st.name for st in types if st.id in held_types and st.id not in typed]
    if missing:
        problems = [f"缺少列：{'、'.join(missing)}（{on.isoformat()}的登记簿中有这些股份；不再持有的请填0）"]
        raise AppError(422, "share.import_bad_headers", "第1行应为表头。" + problems[0],
                       {"problems": problems, "known_headers": [*FIXED_HEADERS, *(st.name for st in types), TOTAL]})
    _resolve(rows, known, errors)
    wanted = _certificates(rows, known, errors)

    target: dict[Key, int] = {}
    for r in rows:
        if r.resolved:
            for t, n in r.shares.items():
                if n:
                    target[(r.household_id, r.member_id, t)] = n
    by_id = {st.id: st for st in types}
    for r in rows:
        for t, n in r.shares.items():
            st = by_id[t]
            if not st.active and r.resolved and n > known.current.get((r.household_id, r.member_id, t), 0):
                errors.add(r.row, st.name, f"{st.name}已停用，不能再增加")
    errors.raise_if_any()

    diff = _diff(target, known.current)
    kind = None if not diff.changes else ("initial" if not known.current else "adjust")
    report: dict[str, Any] = {
        "effective_on": on,
        "rows": len(rows),
        "households": len({r.household_id for r in rows if r.household_id is not None}),
        "households_changed": diff.households_changed,
        "holdings_added": diff.added,
        "holdings_changed": diff.changed,
        "holdings_removed": diff.removed,
        "holdings_unchanged": diff.unchanged,
        "shares_before": diff.before,
        "shares_after": diff.after,
        "certificates_issued": sum(1 for h in wanted if h not in known.certificates),
        "certificates_changed": sum(1 for h in wanted if h in known.certificates),
        "kind": kind,
        "event_id": None,
        "changed": bool(diff.changes or wanted),
        "dry_run": dry_run,
    }
    report["message"] = _summary(report)
    if diff.changes:
        frozen = register.frozen_until(village.id)
        if frozen is not None and on <= frozen:
            raise conflict("share.frozen", f"{frozen.isoformat()}及以前的股权已用于分红计算，不能再登记这段时间的变动，"
                                           f"请选择{frozen.isoformat()}以后的生效日期", frozen_until=frozen.isoformat())
    if dry_run:
        if diff.changes:  # the one check of record_event that needs the register's history
            register._check_never_negative(village.id, on, diff.changes)
        return report
    if not report["changed"]:
        return report
    try:
        with db.session.begin_nested():
            if diff.changes:
                assert kind is not None
                default = DEFAULT_INITIAL_NOTE if kind == "initial" else DEFAULT_ADJUST_NOTE
                ev = register.record_event(
                    village, register.EventInput(kind=kind, effective_on=on, note=note or default,
                                                 changes=diff.changes), actor=actor)
                report["event_id"] = ev.id
            certificates = _write_certificates(village, wanted, known, on)
            summary = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in report.items()
                       if k not in ("dry_run", "message")}
            audit.record("share.import", "village", village.id, actor=actor, village_id=village.id,
                         after={**summary, "certificates": certificates})
            db.session.flush()
    except IntegrityError as exc:  # someone changed the certificates meanwhile: nothing of this file stays
        raise conflict("share.import_conflict", "导入时登记簿被同时修改，整份未导入，请重新导入") from exc
    return report


def _summary(report: dict[str, Any]) -> str:
    certs = report["certificates_issued"] + report["certificates_changed"]
    if not report["changed"]:
        return "文件与登记簿一致，没有变动，未作登记"
    parts = []
    if report["kind"] is not None:
        label = register.EVENT_LABELS[report["kind"]]
        parts.append(
            f"{label}：新增 {report['holdings_added']} 笔、变更 {report['holdings_changed']} 笔、"
            f"取消 {report['holdings_removed']} 笔持股，股份合计 {report['shares_before']} → {report['shares_after']}")
    if certs:
        parts.append(f"发放股权证 {report['certificates_issued']} 户、更正 {report['certificates_changed']} 户")
    verb = "检查通过（未写入）" if report["dry_run"] else "已登记"
    return f"{verb}：" + "；".join(parts)


__all__ = ["FIXED_HEADERS", "MAX_ROWS", "export_register", "export_rows", "import_register"]
