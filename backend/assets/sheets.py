"""The register as .xlsx: the export of every entry (funds with their balance from the books), and the import of
assets and resources (preview first: every bad row is reported with its row number, and a file with any bad row
writes nothing)."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.assets.models import ACQUIRED_LABELS, CATEGORIES, KIND_LABELS, Asset
from backend.assets.service import AssetInput, create_asset, items, village_leases
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.money import MoneyError, yuan_to_fen
from backend.core.permissions import Principal
from backend.core.xlsx import (
    RowErrors,
    cell_blank,
    cell_text,
    map_headers,
    money,
    open_first_sheet,
    print_setup,
    refuse_bad_headers,
    text_only,
)
from backend.registry import Village

HEADERS = ("编号", "名称", "类型", "类别", "位置", "数量", "单位", "面积（亩）", "原值（元）", "账面价值（元）",
           "取得方式", "取得日期", "状态", "备注")
EXPORT_ONLY = ("承租方", "租期至", "会计科目", "开户银行", "账号后4位")  # read back from an export, ignored
REQUIRED = ("编号", "名称", "类型", "类别")
MAX_ROWS = 2000
KIND_BY_LABEL = {"资产": "asset", "资源": "resource"}
ACQUIRED_BY_LABEL = {v: k for k, v in ACQUIRED_LABELS.items()} | {"国家划拨": "state", "划拨": "state",
                                                                  "捐赠": "donated"}
STATUS_BY_LABEL = {"在用": "in_use", "闲置": "idle"}


# ---------------------------------------------------------------- export


def export(village: Village) -> io.BytesIO:
    rows = list(db.session.execute(select(Asset).where(Asset.village_id == village.id)
                                   .order_by(Asset.kind, Asset.code)).scalars())
    views = {r["id"]: r for r in items(rows, staff=True, leased=village_leases(village.id))}
    wb = Workbook()
    ws = wb.active
    ws.title = "三资登记"
    ws.append([f"{village.name}集体资产、资源、资金登记表（导出日期 {today().isoformat()}）"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([*HEADERS, *EXPORT_ONLY])
    for c in ws[2]:
        c.font = Font(bold=True)
    for a in rows:
        v = views[a.id]
        ws.append([a.code, a.name, KIND_LABELS[a.kind], a.category, a.location, a.quantity, a.unit, v["area_mu"],
                   None, None, ACQUIRED_LABELS.get(a.acquired_how or ""), a.acquired_on, v["status_name"], a.note,
                   v["lessee"], v["lease_until"], a.ledger_code, a.bank_name, a.account_last4])
        r = ws.max_row
        money(ws.cell(r, 9), a.original_fen)
        book = yuan_to_fen(v["book_value"]) if v["book_value"] is not None else None
        money(ws.cell(r, 10), book)
        for col in (12, 16):
            if ws.cell(r, col).value is not None:
                ws.cell(r, col).number_format = "yyyy-mm-dd"
    print_setup(ws, title_rows="2:2", widths=(14, 22, 6, 12, 24, 6, 6, 10, 12, 12, 10, 11, 7, 20, 14, 11, 8, 14, 8))
    out = io.BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out


# ---------------------------------------------------------------- import


def _bad_file(message: str) -> AppError:
    return AppError(422, "assets.import_bad_file", message, {})


def _read(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    wb, sheet = open_first_sheet(data, _bad_file, empty="文件是空的，请选择填好的三资登记表 .xlsx 文件",
                                 no_sheet="文件中没有工作表，请按三资登记表的格式填写",
                                 unreadable="无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 请先另存为 .xlsx）")
    try:
        first = next(sheet, None)
        start = 2
        # an exported file starts with its title row: the header is the next one
        if first is not None and cell_text(first[0] if first else "").endswith("）") and len(
                [c for c in first if not cell_blank(c)]) == 1:
            first, start = next(sheet, None), 3
        columns, problems = map_headers(first, HEADERS + EXPORT_ONLY, required=REQUIRED, aliases={
            "面积": "面积（亩）", "原值": "原值（元）", "账面价值": "账面价值（元）"})
        if problems:
            raise refuse_bad_headers("assets.import_bad_headers", problems, HEADERS)
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(sheet, start=start):
            cells = {h: values[i] if i < len(values) else None for h, i in columns.items() if h in HEADERS}
            if all(cell_blank(v) for v in cells.values()):
                continue
            if len(out) >= MAX_ROWS:
                raise AppError(422, "assets.import_too_large", f"一次最多导入 {MAX_ROWS} 行，请分成几份导入",
                               {"max_rows": MAX_ROWS})
            out.append((number, cells))
    finally:
        wb.close()
    if not out:
        raise _bad_file("文件中没有数据（表头下每行一项资产或资源）")
    return out


def _yuan(cell: Any) -> int | None:
    if cell_blank(cell):
        return None
    text = cell_text(cell) if not isinstance(cell, float) else f"{cell:.2f}"
    try:
        fen = yuan_to_fen(text.replace(",", ""))
    except MoneyError as exc:
        raise ValueError("金额应为元，最多两位小数，如 1234.50") from exc
    if fen < 0:
        raise ValueError("金额不能为负")
    return fen


def _mu(cell: Any) -> int | None:
    if cell_blank(cell):
        return None
    text = cell_text(cell) if not isinstance(cell, float) else f"{cell:.4f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (frac and not (frac.isascii() and frac.isdigit())) \
            or len(frac) > 4:
        raise ValueError("面积应为以亩计的数字，最多4位小数，如 12.5")
    mu4 = int(whole) * 10_000 + int((frac or "0").ljust(4, "0"))
    if mu4 <= 0:
        raise ValueError("面积应大于零")
    return mu4


def _day(cell: Any) -> date | None:
    if cell_blank(cell):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    try:
        return date.fromisoformat(cell_text(cell).replace("/", "-").replace(".", "-"))
    except ValueError as exc:
        raise ValueError("日期应写成 2024-03-01") from exc


def _parse(n: int, c: dict[str, Any], errors: RowErrors) -> AssetInput | None:
    def text(h: str) -> str:
        return cell_text(c.get(h))

    bad = False

    def read(h: str, fn: Any) -> Any:
        nonlocal bad
        try:
            return fn(c.get(h))
        except ValueError as exc:
            errors.add(n, h, f"第{n}行“{h}”：{exc}")
            bad = True
            return None

    for h in REQUIRED:
        if not text(h):
            errors.add(n, h, f"第{n}行缺少“{h}”")
            bad = True
    kind = KIND_BY_LABEL.get(text("类型"))
    if text("类型") and kind is None:
        msg = ("资金（银行存款、库存现金）请在系统中登记，余额取自账簿" if text("类型") == "资金"
               else "类型应为资产或资源")
        errors.add(n, "类型", f"第{n}行“类型”：{msg}")
        bad = True
    if kind and text("类别") and text("类别") not in CATEGORIES[kind]:
        errors.add(n, "类别", f"第{n}行“类别”：{KIND_LABELS[kind]}的类别应为{'、'.join(CATEGORIES[kind])}")
        bad = True
    quantity = None
    if not cell_blank(c.get("数量")):
        q = text("数量")
        if not (q.isascii() and q.isdigit() and int(q) > 0):
            errors.add(n, "数量", f"第{n}行“数量”：应为正整数")
            bad = True
        else:
            quantity = int(q)
    area = read("面积（亩）", _mu)
    original = read("原值（元）", _yuan)
    book = read("账面价值（元）", _yuan)
    acquired_on = read("取得日期", _day)
    how = None
    if text("取得方式"):
        how = ACQUIRED_BY_LABEL.get(text("取得方式"))
        if how is None:
            errors.add(n, "取得方式", f"第{n}行“取得方式”：应为{'、'.join(ACQUIRED_LABELS.values())}")
            bad = True
    status = "in_use"
    if text("状态"):
        status = STATUS_BY_LABEL.get(text("状态"), "")
        if not status:
            errors.add(n, "状态", f"第{n}行“状态”：导入只登记在用或闲置（出租随土地合同，处置须依据决议）")
            bad = True
    if kind == "resource" and area is None and not bad:
        errors.add(n, "面积（亩）", f"第{n}行缺少“面积（亩）”（资源须填面积）")
        bad = True
    if kind == "asset" and book is None and not bad:
        errors.add(n, "账面价值（元）", f"第{n}行缺少“账面价值（元）”")
        bad = True
    if kind == "asset" and (quantity is None) != (not text("单位")) and not bad:
        errors.add(n, "单位", f"第{n}行“数量”和“单位”须一并填写")
        bad = True
    if acquired_on is not None and acquired_on > today():
        errors.add(n, "取得日期", f"第{n}行“取得日期”不能晚于今天")
        bad = True
    if bad or kind is None:
        return None
    return AssetInput(kind=kind, code=text("编号"), name=text("名称"), category=text("类别"),
                      location=text("位置") or None, quantity=quantity, unit=text("单位") or None, area_mu4=area,
                      original_fen=original, book_fen=book, acquired_how=how, acquired_on=acquired_on, status=status,
                      note=text("备注") or None)


def import_register(village: Village, stream: IO[bytes], *, actor: Principal | None,
                    dry_run: bool = False) -> dict[str, Any]:
    """Check the whole file, then unless ``dry_run`` create every entry; any bad row refuses the file (422
    ``assets.import_invalid`` with every row's problem) and nothing is written."""
    order = {h: i for i, h in enumerate(HEADERS)}
    errors = RowErrors("assets.import_invalid", "三资登记表", order)
    rows = _read(stream.read())
    parsed = [(n, _parse(n, cells, errors)) for n, cells in rows]
    existing = set(db.session.execute(select(Asset.code).where(Asset.village_id == village.id)).scalars())
    seen: dict[str, int] = {}
    for n, data in parsed:
        if data is None:
            continue
        if data.code in existing:
            errors.add(n, "编号", f"第{n}行“编号”：本村已有编号 {data.code}（导入只新增，已有的请在系统中修改）")
        elif data.code in seen:
            errors.add(n, "编号", f"第{n}行“编号”：{data.code} 与第{seen[data.code]}行重复")
        else:
            seen[data.code] = n
    errors.raise_if_any()
    datas = [d for _, d in parsed if d is not None]
    report: dict[str, Any] = {
        "rows": len(datas), "created": 0 if dry_run else len(datas), "dry_run": dry_run,
        "assets": sum(1 for d in datas if d.kind == "asset"),
        "resources": sum(1 for d in datas if d.kind == "resource"),
    }
    book = sum(d.book_fen or 0 for d in datas)
    from backend.core.money import fen_to_yuan

    report["book_value"] = fen_to_yuan(book)
    report["message"] = (("检查通过（未写入）：将新增" if dry_run else "已导入：新增")
                         + f" {len(datas)} 项（资产 {report['assets']} 项、资源 {report['resources']} 项），"
                           f"账面价值合计 {report['book_value']} 元")
    if dry_run:
        return report
    try:
        with db.session.begin_nested():
            ids = []
            for n, d in parsed:
                assert d is not None
                try:
                    ids.append(create_asset(village, d, actor=actor, action="import").id)
                except AppError as err:
                    errors.add(n, None, f"第{n}行：{err.message}")
            errors.raise_if_any()
            audit.record("assets.import", "village", village.id, actor=actor, village_id=village.id,
                         after={"created": len(ids), "ids": ids})
            db.session.flush()
    except IntegrityError as exc:
        raise AppError(409, "assets.import_conflict", "导入时本村三资登记被同时修改，整份未导入，请重新导入") from exc
    return report
