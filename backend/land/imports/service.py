"""Parcels and land contracts from .xlsx: every bad row reported, all or nothing, a dry run.

Both files: the first sheet, header in row 1 (half-width brackets and spaces in a header are accepted:
“登记面积(亩)” reads as “登记面积（亩）”), one row per item from row 2, blank rows skipped (row numbers stay Excel's).
Every problem is collected as ``{"row", "field", "message"}``; if there is any, nothing is written (422
``land.import_invalid``). Numbers are half-width (“１．２” is refused with a reason), areas in mu with at most 4
decimals, money in yuan with at most 2, dates as 2026-03-01 (or 2026/3/1, 2026年3月1日, or an Excel date).

**Parcels** (:func:`import_parcels`), one row per parcel: 地块代码, 地块名称, 类别 (农户承包地/集体土地/集体资产),
承包户户号 (农户承包地 only), 坐落, 地类 (blank: 耕地, as the API), 等级, 登记面积（亩）, 实测面积（亩）, 永久基本农田
(是/否, blank 否), 承包经营权证号, 承包期至. The file only ADDS parcels: a code already in the village is a row
error, never a silent overwrite (a parcel's area or household is changed through the API, where it is audited one
by one). Checking takes a fixed number of queries whatever the size of the file, so a dry run does too; the write
creates each parcel through :func:`parcels.create_parcel` (its own checks again, and its audit entry).

**Contracts** (:func:`import_contracts`), one row per contract PARCEL: the rows with the same 合同编号 form one
contract. Contract-level columns (all but 地块代码, 计租面积（亩）, 委托书编号, 委托日期) may be left blank on a
contract's other rows; where filled they must agree (a row error otherwise). Unknown 流入方 are created through
:func:`parcels.create_party` (流入方类型 then required); a known one must match what the file says of it. Each
contract goes through :func:`contracts.create_contract`, so every legal check applies (term within the contract term,
agricultural use, entrustment, basic farmland, overlapping contracts — also with the file's earlier contracts): its
refusal becomes a row error on the contract's first row. One rent period covers the whole term (staged rents are
added later through the API); 到期日期 is the day the term ends, exclusive, as in the API. Checking runs every
contract in its own savepoint inside one savepoint for the whole file, which is rolled back on any error and on a
dry run: nothing of a refused file stays. Its cost is a fixed number of queries plus a fixed number per contract
(``create_contract``'s own reads and writes).

Each import adds one audit entry (``land.parcel_import`` / ``land.contract_import``) besides the services' own.
The caller commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from backend import decisions, registry
from backend.core import audit
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.money import MoneyError, fen_to_yuan, yuan_to_fen
from backend.core.permissions import Principal
from backend.core.xlsx import RowErrors, cell_blank, cell_text, map_headers, open_first_sheet, refuse_bad_headers
from backend.land import contracts, parcels
from backend.land.models import LAND_TYPES, Contract, Parcel, Party
from backend.registry import Village

MAX_ROWS = 5_000  # override with the app setting LAND_IMPORT_MAX_ROWS
MAX_LISTED_ERRORS = 500
INVALID = "land.import_invalid"

# ---------------------------------------------------------------- columns

P_CODE, P_NAME, P_KIND, P_HOUSEHOLD = "地块代码", "地块名称", "类别", "承包户户号"
P_LOCATION, P_TYPE, P_GRADE = "坐落", "地类", "等级"
P_AREA, P_MEASURED, P_BASIC, P_CERT, P_UNTIL = ("登记面积（亩）", "实测面积（亩）", "永久基本农田", "承包经营权证号",
                                                "承包期至")
PARCEL_HEADERS: tuple[str, ...] = (P_CODE, P_NAME, P_KIND, P_HOUSEHOLD, P_LOCATION, P_TYPE, P_GRADE, P_AREA,
                                   P_MEASURED, P_BASIC, P_CERT, P_UNTIL)
PARCEL_REQUIRED: tuple[str, ...] = (P_CODE, P_NAME, P_KIND, P_AREA)
PARCEL_KIND_LABELS = {"农户承包地": "contracted", "集体土地": "collective_land", "集体资产": "collective_asset"}

NUMBER, TITLE, KIND = "合同编号", "合同名称", "类型"
PARTY, PARTY_KIND, CREDIT = "流入方名称", "流入方类型", "统一社会信用代码"
START, END, USE, SIGNED, RENT_KIND = "起始日期", "到期日期", "用途", "签订日期", "计租方式"
RENT, GRAIN_QTY, GRAIN, BASIS = "每亩租金（元）", "每亩实物（斤）", "粮食品种", "折价方式"
INCREASE, EVERY, DUE_MONTH, DUE_DAY = "每年递增（%）", "递增间隔（年）", "付款月", "付款日"
ENTRUSTED, ENTRUST_NO, ENTRUST_ON = "集体受托", "委托书编号", "委托日期"
FEE_NOTE, COLLECTIVE, FEE, DEPOSIT = "服务费依据", "集体每亩分成（元）", "每亩服务费（元）", "风险保障金（元）"
LINE_PARCEL, LINE_AREA = "地块代码", "计租面积（亩）"
DECISION = "依据决议"  # the title of the village's resolved decision a lease rests on (出租 must name one)
CONTRACT_HEADERS: tuple[str, ...] = (NUMBER, TITLE, KIND, PARTY, PARTY_KIND, CREDIT, START, END, USE, SIGNED,
                                     RENT_KIND, RENT, GRAIN_QTY, GRAIN, BASIS, INCREASE, EVERY, DUE_MONTH, DUE_DAY,
                                     ENTRUSTED, ENTRUST_NO, ENTRUST_ON, FEE_NOTE, COLLECTIVE, FEE, DEPOSIT,
                                     LINE_PARCEL, LINE_AREA, DECISION)
CONTRACT_REQUIRED: tuple[str, ...] = (NUMBER, TITLE, KIND, PARTY, START, END, USE, SIGNED, LINE_PARCEL)
LINE_COLUMNS = frozenset({LINE_PARCEL, LINE_AREA, ENTRUST_NO, ENTRUST_ON})
CONTRACT_COLUMNS: tuple[str, ...] = tuple(h for h in CONTRACT_HEADERS if h not in LINE_COLUMNS and h != NUMBER)
CONTRACT_KIND_LABELS = {"流转": "transfer", "出租": "lease"}
PARTY_KIND_LABELS = {label: kind for kind, label in parcels.PARTY_LABELS.items()}
RENT_KIND_LABELS = {"现金": "cash", "实物": "in_kind"}
BASIS_LABELS = {"市场价": "market", "最低收购价": "minimum"}

# where a refusal of create_contract / create_parcel is shown (the contract's first row, this column)
_CONTRACT_ERROR_FIELD: dict[str, str] = {
    "land.contract_exists": NUMBER, "land.party_unknown": PARTY, "land.term_invalid": END,
    "land.parcels_missing": LINE_PARCEL, "land.parcels_duplicate": LINE_PARCEL, "land.parcel_unknown": LINE_PARCEL,
    "land.parcels_invalid": LINE_PARCEL, "land.parcel_taken": LINE_PARCEL, "land.use_not_agricultural": USE,
    "land.entrustment_required": ENTRUST_NO, "land.entrustment_incomplete": ENTRUST_ON,
    "land.in_kind_invalid": GRAIN, "land.fee_too_high": FEE, "land.fee_basis_required": FEE_NOTE,
    "land.decision_required": DECISION, "land.decision_unknown": DECISION, "land.decision_not_resolved": DECISION,
    "land.decision_amount_exceeded": DECISION,
}
_PARCEL_ERROR_FIELD: dict[str, str] = {"land.parcel_exists": P_CODE, "land.household_required": P_HOUSEHOLD,
                                       "land.household_not_allowed": P_HOUSEHOLD}


# ---------------------------------------------------------------- reading a file


def _bad_file(message: str) -> AppError:
    return AppError(422, "land.import_bad_file", message)


def _read(data: bytes, headers: Sequence[str], required: Sequence[str],
          what: str) -> list[tuple[int, dict[str, Any]]]:
    """(Excel row number, {header: value}) of every non-blank data row; a bad file or header refuses it all."""
    limit = int(current_app.config.get("LAND_IMPORT_MAX_ROWS", MAX_ROWS))
    wb, sheet = open_first_sheet(data, _bad_file, empty=f"文件是空的，请选择填好的{what} .xlsx 文件",
                                 no_sheet=f"文件中没有工作表，请按{what}的格式填写",
                                 unreadable="无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 请先另存为 .xlsx）")
    try:
        columns, problems = map_headers(next(sheet, None), headers, required=required)
        if problems:
            raise refuse_bad_headers("land.import_bad_headers", problems, headers)
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(sheet, start=2):
            cells = {h: values[i] if i < len(values) else None for h, i in columns.items()}
            if all(cell_blank(v) for v in cells.values()):
                continue
            if len(out) >= limit:
                raise AppError(422, "land.import_too_large", f"一次最多导入 {limit} 行，本文件超过了，请分成几份导入",
                               {"max_rows": limit})
            out.append((number, cells))
    finally:
        wb.close()
    if not out:
        raise _bad_file(f"文件中没有数据（第1行为表头，从第2行起每行一条{what[:2]}）")
    return out


# ---------------------------------------------------------------- reading one cell (ValueError: the reason)

_HALF_WIDTH = "请用半角数字填写（如 1.2，不是 １．２）"


def _number_text(value: Any, what: str) -> str:
    if isinstance(value, bool | datetime | date):
        raise ValueError(f"{what}应为数字")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # 10 decimals: a formula's 0.30000000000000004 reads as 0.3
        text = f"{value:.10f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = str(value).strip()
    if any(not c.isascii() and (c.isdigit() or c in "．－＋，") for c in text):
        raise ValueError(_HALF_WIDTH)
    return text


def _mu(value: Any) -> int:
    text = _number_text(value, "面积")
    if text.startswith("-"):
        raise ValueError("面积应大于零")
    try:
        return parcels.parse_mu(text)
    except AppError as err:
        raise ValueError(err.message) from None


def _fen(value: Any, what: str) -> int:
    text = _number_text(value, what)
    if text.startswith("-"):
        raise ValueError(f"{what}不能为负数")
    try:
        return yuan_to_fen(text)
    except MoneyError:
        raise ValueError(f"{what}应为以元计的数字，最多2位小数，如 800 或 800.50") from None


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    text = _number_text(value, what)
    if not (text.isascii() and text.isdigit()) or not lo <= int(text) <= hi:
        raise ValueError(f"{what}应为 {lo} 到 {hi} 的整数")
    return int(text)


def _percent_bp(value: Any) -> int:
    text = _number_text(value, "递增比例").rstrip("%")
    try:
        d = Decimal(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text) else None
    except InvalidOperation:
        d = None
    if d is None or d != d.quantize(Decimal("0.01")) or d > 50:
        raise ValueError("递增比例填百分数，0 到 50，最多2位小数（如 5 表示 5%）")
    return int(d * 100)


_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_DATE_HINT = "日期应填写为 2026-03-01 这样的格式"


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, str):
        m = _DATE.fullmatch(value.strip())
        if not m:
            raise ValueError(_HALF_WIDTH if any(not c.isascii() and c.isdigit() for c in value) else _DATE_HINT)
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"“{value.strip()}”不是有效的日期") from None
    else:
        raise ValueError(_DATE_HINT)
    if not 1950 <= d.year <= 2199:
        raise ValueError("日期超出范围（1950 到 2199 年）")
    return d


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text in ("是", "否"):
        return text == "是"
    raise ValueError("请填写“是”或“否”")


def _choice(value: Any, labels: dict[str, str], what: str) -> str:
    text = cell_text(value)
    if text not in labels:
        raise ValueError(f"{what}应为：" + "、".join(labels))
    return labels[text]


def _text(value: Any, what: str, max_len: int) -> str:
    text = cell_text(value)
    if len(text) > max_len:
        raise ValueError(f"{what}最多{max_len}个字")
    return text


def _rows_text(numbers: Iterable[int]) -> str:
    ns = sorted(set(numbers))
    return "第" + "、".join(str(n) for n in ns[:10]) + ("等" if len(ns) > 10 else "") + "行"


class _Cells:
    """One row's cells read into values, each problem recorded against its column."""

    def __init__(self, number: int, cells: dict[str, Any], errors: RowErrors):
        self.number, self.cells, self.errors = number, cells, errors
        self.bad: set[str] = set()

    def blank(self, column: str) -> bool:
        return cell_blank(self.cells.get(column))

    def get(self, column: str, read: Any, *args: Any, required: str | None = None) -> Any:
        """``read(value, *args)``, or None when blank (with ``required``: that message as the row's error)."""
        if self.blank(column):
            if required:
                self.errors.add(self.number, column, required)
                self.bad.add(column)
            return None
        try:
            return read(self.cells[column], *args)
        except ValueError as exc:
            self.errors.add(self.number, column, str(exc))
            self.bad.add(column)
            return None


# ---------------------------------------------------------------- parcels


@dataclass
class _ParcelRow:
    row: int
    code: str
    data: parcels.ParcelInput | None  # None: a cell of the row could not be read
    household: str


def _parse_parcel(number: int, cells: dict[str, Any], errors: RowErrors) -> _ParcelRow:
    c = _Cells(number, cells, errors)
    code = c.get(P_CODE, _text, "地块代码", 40, required="请填写地块代码") or ""
    name = c.get(P_NAME, _text, "地块名称", 60, required="请填写地块名称") or ""
    kind = c.get(P_KIND, _choice, PARCEL_KIND_LABELS, "类别", required="请填写类别：" + "、".join(PARCEL_KIND_LABELS))
    household = c.get(P_HOUSEHOLD, _text, "承包户户号", 30) or ""
    if kind == "contracted" and not household:
        errors.add(number, P_HOUSEHOLD, "农户承包地请填写承包户户号")
        c.bad.add(P_HOUSEHOLD)
    elif kind is not None and kind != "contracted" and household:
        errors.add(number, P_HOUSEHOLD, "集体的土地或资产不属于某一户，承包户户号请留空")
        c.bad.add(P_HOUSEHOLD)
    location = c.get(P_LOCATION, _text, "坐落", 120) or None
    land_type = c.get(P_TYPE, _choice, {t: t for t in LAND_TYPES}, "地类") or "耕地"
    grade = c.get(P_GRADE, _text, "等级", 20) or None
    area = c.get(P_AREA, _mu, required="请填写登记面积（亩）")
    measured = c.get(P_MEASURED, _mu)
    basic = c.get(P_BASIC, _yes_no) or False
    certificate = c.get(P_CERT, _text, "承包经营权证号", 40) or None
    until = c.get(P_UNTIL, _date)
    data = None
    if not c.bad:
        assert kind is not None and area is not None
        data = parcels.ParcelInput(code=code, name=name, area_mu4=area, kind=kind, location=location,
                                   land_type=land_type, grade=grade, measured_mu4=measured, basic_farmland=basic,
                                   certificate_no=certificate, contract_until=until)
    return _ParcelRow(number, code, data, household)


def import_parcels(village: Village, stream: IO[bytes], *, actor: Principal | None,
                   dry_run: bool = False) -> dict[str, Any]:
    """Check the whole file (a fixed number of queries), then unless ``dry_run`` create every parcel through
    :func:`parcels.create_parcel` and flush; the caller commits. Raises :class:`AppError` and writes nothing:
    422 ``land.import_bad_file``, ``land.import_bad_headers``, ``land.import_too_large``, ``land.import_invalid``
    (every bad row); 409 ``land.import_conflict`` (the village's parcels changed while writing)."""
    order = {h: i for i, h in enumerate(PARCEL_HEADERS)}
    errors = RowErrors(INVALID, "地块表", order, MAX_LISTED_ERRORS)
    rows = [_parse_parcel(n, cells, errors) for n, cells in _read(stream.read(), PARCEL_HEADERS, PARCEL_REQUIRED,
                                                                   "地块表")]
    households = registry.household_ids_by_number(village.id)
    existing = set(db.session.execute(select(Parcel.code).where(Parcel.village_id == village.id)).scalars())

    by_code: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r.code:
            by_code[r.code].append(r.row)
    for r in rows:
        if r.code in existing:
            errors.add(r.row, P_CODE, f"本村已有地块代码 {r.code}（导入只新增地块，已有地块请在系统中修改）")
        elif len(by_code.get(r.code, ())) > 1:
            errors.add(r.row, P_CODE, f"地块代码 {r.code} 与{_rows_text(n for n in by_code[r.code] if n != r.row)}重复")
        if r.household and r.household not in households:
            errors.add(r.row, P_HOUSEHOLD, f"本村没有户号 {r.household}，请核对或先在花名册中登记")
        elif r.data is not None and r.household:
            r.data.household_id = households[r.household]
    errors.raise_if_any()

    datas = [r.data for r in rows if r.data is not None]
    report: dict[str, Any] = {
        "rows": len(rows),
        "created": 0 if dry_run else len(rows),
        "contracted": sum(1 for d in datas if d.kind == "contracted"),
        "collective": sum(1 for d in datas if d.kind != "contracted"),
        "households": len({d.household_id for d in datas if d.household_id is not None}),
        "area_mu": parcels.mu_text(sum(d.area_mu4 for d in datas)),
        "dry_run": dry_run,
    }
    report["message"] = (("检查通过（未写入）：将新增" if dry_run else "已导入：新增")
                         + f" {len(rows)} 块地（农户承包地 {report['contracted']} 块、集体土地和资产 "
                           f"{report['collective']} 块），登记面积合计 {report['area_mu']} 亩")
    if dry_run:
        return report
    try:
        with db.session.begin_nested():
            ids = []
            for r in rows:
                assert r.data is not None
                try:
                    ids.append(parcels.create_parcel(village, r.data, actor=actor).id)
                except AppError as err:  # another import or a person got there first
                    errors.add(r.row, _PARCEL_ERROR_FIELD.get(err.code), err.message)
            errors.raise_if_any()  # inside the savepoint: nothing of the file stays
            audit.record("land.parcel_import", "village", village.id, actor=actor, village_id=village.id,
                         after={k: v for k, v in report.items() if k not in ("dry_run", "message")} | {"ids": ids})
            db.session.flush()
    except IntegrityError as exc:
        raise AppError(409, "land.import_conflict", "导入时本村地块被同时修改，整份未导入，请重新导入") from exc
    return report


# ---------------------------------------------------------------- contracts


@dataclass
class _ContractRow:
    row: int
    number: str
    values: dict[str, Any] = field(default_factory=dict)  # contract-level column → value (filled and readable)
    shown: dict[str, str] = field(default_factory=dict)  # … → the cell as typed
    bad: set[str] = field(default_factory=set)  # columns that could not be read
    parcel: str = ""
    area: int | None = None
    entrust_no: str | None = None
    entrust_on: date | None = None
    parcel_id: int | None = None


_READERS: dict[str, tuple[Any, ...]] = {
    TITLE: (_text, "合同名称", 120), KIND: (_choice, CONTRACT_KIND_LABELS, "类型"), PARTY: (_text, "流入方名称", 80),
    PARTY_KIND: (_choice, PARTY_KIND_LABELS, "流入方类型"), CREDIT: (_text, "统一社会信用代码", 30),
    START: (_date,), END: (_date,), USE: (_text, "用途", 20), SIGNED: (_date,),
    RENT_KIND: (_choice, RENT_KIND_LABELS, "计租方式"), RENT: (_fen, "每亩租金"),
    GRAIN_QTY: (_int, "每亩实物（斤）", 1, 100_000), GRAIN: (_choice, {g: g for g in contracts.GRAINS}, "粮食品种"),
    BASIS: (_choice, BASIS_LABELS, "折价方式"), INCREASE: (_percent_bp,), EVERY: (_int, "递增间隔（年）", 1, 30),
    DUE_MONTH: (_int, "付款月", 1, 12), DUE_DAY: (_int, "付款日", 1, 28), ENTRUSTED: (_yes_no,),
    FEE_NOTE: (_text, "服务费依据", 200), COLLECTIVE: (_fen, "集体每亩分成"), FEE: (_fen, "每亩服务费"),
    DEPOSIT: (_fen, "风险保障金"), DECISION: (_text, "依据决议", 120),
}


def _parse_contract_row(number: int, cells: dict[str, Any], errors: RowErrors) -> _ContractRow:
    c = _Cells(number, cells, errors)
    r = _ContractRow(number, c.get(NUMBER, _text, "合同编号", 40, required="请填写合同编号") or "")
    for column in CONTRACT_COLUMNS:
        reader, *args = _READERS[column]
        value = c.get(column, reader, *args)
        if value is not None and value != "":
            r.values[column] = value
            r.shown[column] = cell_text(cells[column])
    r.parcel = c.get(LINE_PARCEL, _text, "地块代码", 40, required="请填写地块代码") or ""
    r.area = c.get(LINE_AREA, _mu)
    r.entrust_no = c.get(ENTRUST_NO, _text, "委托书编号", 40) or None
    r.entrust_on = c.get(ENTRUST_ON, _date)
    if (r.entrust_no is None) != (r.entrust_on is None) and not c.bad & {ENTRUST_NO, ENTRUST_ON}:
        missing = ENTRUST_ON if r.entrust_on is None else ENTRUST_NO
        errors.add(number, missing, "流转委托书的编号和日期应一并填写")
        c.bad.add(missing)
    r.bad = c.bad
    return r


@dataclass
class _Group:
    """The rows of one contract and its contract-level values (those of the rows where they are filled)."""

    number: str
    rows: list[_ContractRow]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return self.rows[0].row


def _groups(rows: list[_ContractRow], errors: RowErrors) -> list[_Group]:
    by_number: dict[str, list[_ContractRow]] = defaultdict(list)
    for r in rows:
        if r.number:
            by_number[r.number].append(r)
    groups = [_Group(n, rs) for n, rs in by_number.items()]
    for g in groups:
        bad = set().union(*(r.bad for r in g.rows))
        for column in CONTRACT_COLUMNS:
            filled = [r for r in g.rows if column in r.values]
            if not filled:
                continue
            ref = filled[0]
            g.values[column] = ref.values[column]
            for r in filled[1:]:
                if r.values[column] != ref.values[column]:
                    errors.add(r.row, column, f"同一合同（{g.number}）各行的“{column}”应一致：第{ref.row}行填的是"
                                              f"“{ref.shown[column]}”，本行是“{r.shown[column]}”")
        for column, message in ((TITLE, "请填写合同名称"), (KIND, "请填写类型：流转或出租"),
                                (PARTY, "请填写流入方名称"), (START, "请填写起始日期"), (END, "请填写到期日期"),
                                (USE, "请填写用途"), (SIGNED, "请填写签订日期")):
            if column not in g.values and column not in bad:
                errors.add(g.first, column, message)
        rent_kind = g.values.get(RENT_KIND, "cash")
        if rent_kind == "cash":
            if RENT not in g.values and RENT not in bad:
                errors.add(g.first, RENT, "现金计租请填写每亩租金（元）")
            for column in (GRAIN_QTY, GRAIN, BASIS):
                if column in g.values:
                    errors.add(g.first, column, f"现金计租不填“{column}”（实物计租请把计租方式填为“实物”）")
        else:
            if RENT in g.values:
                errors.add(g.first, RENT, "实物计租不填每亩租金，请填每亩实物（斤）、粮食品种和折价方式")
            for column in (GRAIN_QTY, GRAIN, BASIS):
                if column not in g.values and column not in bad:
                    errors.add(g.first, column, f"实物计租请填写“{column}”")
        seen: dict[str, int] = {}
        for r in g.rows:
            if r.parcel and r.parcel in seen:
                errors.add(r.row, LINE_PARCEL, f"地块 {r.parcel} 在合同 {g.number} 中已填在第{seen[r.parcel]}行")
            elif r.parcel:
                seen[r.parcel] = r.row
    return sorted(groups, key=lambda g: g.first)


@dataclass
class _PartyPlan:
    name: str
    first: int
    kind: str | None
    credit: str | None
    existing: Party | None
    ok: bool = True
    id: int | None = None


def _plan_parties(groups: list[_Group], parties: dict[str, Party], errors: RowErrors) -> dict[str, _PartyPlan]:
    """Each named party: the village's (the file must say the same of it) or a new one (its type given on at least
    one of its contracts). What the file says of a party must agree across its contracts."""
    by_name: dict[str, list[_Group]] = defaultdict(list)
    for g in groups:
        if g.values.get(PARTY):
            by_name[g.values[PARTY]].append(g)
    plans: dict[str, _PartyPlan] = {}
    for name, gs in by_name.items():
        said: dict[str, tuple[int, Any]] = {}  # column → (the row that first says it, what it says)
        for g in gs:
            for column in (PARTY_KIND, CREDIT):
                if column not in g.values:
                    continue
                value = g.values[column].upper() if column == CREDIT else g.values[column]
                if column not in said:
                    said[column] = (g.first, value)
                elif said[column][1] != value:
                    errors.add(g.first, column, f"流入方“{name}”的{column}与第{said[column][0]}行不一致")
        kind = said[PARTY_KIND][1] if PARTY_KIND in said else None
        credit = said[CREDIT][1] if CREDIT in said else None
        plan = plans[name] = _PartyPlan(name, gs[0].first, kind, credit, parties.get(name))
        p = plan.existing
        if p is not None:
            plan.id = p.id
            if kind is not None and kind != p.kind:
                errors.add(said[PARTY_KIND][0], PARTY_KIND,
                           f"本村已登记的“{name}”是{parcels.PARTY_LABELS[p.kind]}，与文件不一致")
            if credit is not None and credit != p.credit_code:
                errors.add(said[CREDIT][0], CREDIT,
                           f"本村已登记的“{name}”的统一社会信用代码是{p.credit_code or '（未登记）'}，与文件不一致")
        elif kind is None:
            plan.ok = False
            if not any(PARTY_KIND in r.bad for g in gs for r in g.rows):
                errors.add(plan.first, PARTY_KIND,
                           f"“{name}”是新的流入方，请填写流入方类型：" + "、".join(PARTY_KIND_LABELS))
        elif credit is not None and (len(credit) != 18 or not credit.isalnum() or not credit.isascii()):
            plan.ok = False
            errors.add(said[CREDIT][0], CREDIT, "统一社会信用代码应为18位字母或数字")
    return plans


def _contract_input(g: _Group, party_id: int, decision_id: int | None = None) -> contracts.ContractInput:
    v = g.values
    start, end, signed = v[START], v[END], v[SIGNED]
    years = contracts.contract_years(start, end) if end > start else 1
    in_kind = v.get(RENT_KIND) == "in_kind"
    period = contracts.PeriodInput(1, years, v[GRAIN_QTY] if in_kind else v[RENT],
                                   collective_per_mu=v.get(COLLECTIVE, 0), fee_per_mu=v.get(FEE, 0), agreed_on=signed)
    lines = [contracts.LineInput(parcel_id=r.parcel_id, area_mu4=r.area, entrustment_no=r.entrust_no,
                                 entrustment_on=r.entrust_on) for r in g.rows if r.parcel_id is not None]
    return contracts.ContractInput(
        number=g.number, kind=v[KIND], party_id=party_id, title=v[TITLE], start_date=start, end_date=end,
        use=v[USE], signed_on=signed, lines=lines, periods=[period], due_month=v.get(DUE_MONTH, 3),
        due_day=v.get(DUE_DAY, 1), rent_kind="in_kind" if in_kind else "cash", grain=v.get(GRAIN),
        price_basis=v.get(BASIS), increase_bp=v.get(INCREASE, 0), increase_every=v.get(EVERY, 1),
        entrusted=v.get(ENTRUSTED, False), fee_note=v.get(FEE_NOTE), deposit_fen=v.get(DEPOSIT, 0),
        decision_id=decision_id)


def _item(c: Contract, party: str) -> dict[str, Any]:
    dues = contracts.dues_of(c)
    lines = contracts.lines_of(c)
    first = contracts.due_total(dues[0]) if dues else None
    return {"number": c.number, "contract_id": c.id, "title": c.title, "party": party, "parcels": len(lines),
            "area_mu": parcels.mu_text(sum(ln.area_mu4 for ln in lines)), "years": len(dues),
            "first_year_rent": fen_to_yuan(first) if first is not None else None,
            "first_due_date": dues[0].due_date if dues else None}


def import_contracts(village: Village, stream: IO[bytes], *, actor: Principal | None,
                     dry_run: bool = False) -> dict[str, Any]:
    """Check every row, then run every contract through :func:`contracts.create_contract` (new parties through
    :func:`parcels.create_party`) inside one savepoint, kept only if nothing was refused and this is not a dry
    run; flushes, the caller commits. Raises :class:`AppError` and writes nothing: 422 ``land.import_bad_file``,
    ``land.import_bad_headers``, ``land.import_too_large``, ``land.import_invalid`` (every bad row, with the
    refusals of ``create_contract`` on each contract's first row); 409 ``land.import_conflict``."""
    order = {h: i for i, h in enumerate(CONTRACT_HEADERS)}
    errors = RowErrors(INVALID, "合同表", order, MAX_LISTED_ERRORS)
    rows = [_parse_contract_row(n, cells, errors)
            for n, cells in _read(stream.read(), CONTRACT_HEADERS, CONTRACT_REQUIRED, "合同表")]
    groups = _groups(rows, errors)

    parcel_ids = dict(db.session.execute(
        select(Parcel.code, Parcel.id).where(Parcel.village_id == village.id)).all())
    parties = {p.name: p for p in db.session.execute(select(Party).where(Party.village_id == village.id)).scalars()}
    taken = set(db.session.execute(select(Contract.number).where(
        Contract.village_id == village.id, Contract.number.in_([g.number for g in groups]))).scalars()) \
        if groups else set()
    for g in groups:
        if g.number in taken:
            errors.add(g.first, NUMBER, f"本村已有合同编号 {g.number}（导入只新增合同）")
        for r in g.rows:
            if r.parcel and r.parcel not in parcel_ids:
                errors.add(r.row, LINE_PARCEL, f"本村没有地块代码 {r.parcel}，请核对或先导入地块")
            elif r.parcel:
                r.parcel_id = parcel_ids[r.parcel]
    party_plans = _plan_parties(groups, parties, errors)
    titles: dict[str, int] = {}  # a title used twice names the newest resolved decision, else the newest
    found = decisions.decisions_of([village.id]) if any(DECISION in g.values for g in groups) else []
    for d in [d for d in found if d.status in ("resolved", "done")] + found:
        titles.setdefault(d.title, d.id)
    decision_ids: dict[str, int | None] = {}
    for g in groups:
        title = g.values.get(DECISION)
        if title is None:
            decision_ids[g.number] = None
        elif title in titles:
            decision_ids[g.number] = titles[title]
        else:
            errors.add(g.first, DECISION, f"本村没有标题为“{title}”的决议，请核对（须与决议标题完全一致）")

    items: list[dict[str, Any]] = []
    created_parties = 0
    savepoint = db.session.begin_nested()  # the whole file: rolled back on any refusal and on a dry run
    try:
        for plan in party_plans.values():
            if plan.existing is not None or not plan.ok or plan.kind is None:
                continue
            try:
                with db.session.begin_nested():
                    plan.id = parcels.create_party(village, parcels.PartyInput(plan.kind, plan.name, plan.credit),
                                                   actor=actor).id
                created_parties += 1
            except AppError as err:
                errors.add(plan.first, CREDIT if err.code == "land.credit_code_invalid" else PARTY, err.message)
                plan.ok = False
        bad_rows = {e["row"] for e in errors.items}
        for g in groups:
            plan = party_plans.get(g.values.get(PARTY, ""))
            if plan is None or plan.id is None or any(r.row in bad_rows for r in g.rows):
                continue  # its rows' problems are reported already
            try:
                with db.session.begin_nested():
                    c = contracts.create_contract(village, _contract_input(g, plan.id, decision_ids.get(g.number)),
                                                  actor=actor)
                    items.append(_item(c, plan.name))
            except AppError as err:
                column = _CONTRACT_ERROR_FIELD.get(err.code)
                if err.code in ("land.rent_missing", "land.periods_invalid"):
                    column = GRAIN_QTY if g.values.get(RENT_KIND) == "in_kind" else RENT
                errors.add(g.first, column, f"合同 {g.number}：{err.message}")
            except (IntegrityError, DataError):
                errors.add(g.first, None, f"合同 {g.number} 的内容不符合要求，无法登记，请核对各列")
        if errors.items or dry_run:
            savepoint.rollback()
        else:
            audit.record("land.contract_import", "village", village.id, actor=actor, village_id=village.id,
                         after={"rows": len(rows), "contracts": [i["contract_id"] for i in items],
                                "parties_created": created_parties})
            db.session.flush()
            savepoint.commit()
    except IntegrityError as exc:
        if savepoint.is_active:
            savepoint.rollback()
        raise AppError(409, "land.import_conflict", "导入时本村合同被同时修改，整份未导入，请重新导入") from exc
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    errors.raise_if_any()

    if dry_run:
        for i in items:
            i["contract_id"] = None
    verb = "检查通过（未写入）：将登记" if dry_run else "已导入：登记"
    report: dict[str, Any] = {
        "rows": len(rows),
        "contracts": len(items),
        "parcels": sum(i["parcels"] for i in items),
        "parties_created": created_parties,
        "dues": sum(i["years"] for i in items),
        "items": items,
        "dry_run": dry_run,
        "message": f"{verb} {len(items)} 份合同（{sum(i['parcels'] for i in items)} 块地），"
                   f"新登记流入方 {created_parties} 个，生成每年应收租金 {sum(i['years'] for i in items)} 期",
    }
    return report


__all__ = ["CONTRACT_HEADERS", "MAX_ROWS", "PARCEL_HEADERS", "import_contracts", "import_parcels"]
