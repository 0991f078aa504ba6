"""Reading an uploaded .xlsx safely: the importers' shared pieces (roster, vouchers, share register, land), from
opening the file within limits to mapping its header row to columns."""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from flask import current_app, has_app_context
from openpyxl import load_workbook

from backend.core.errors import AppError

UNREADABLE = "文件无法读取，请确认是 Excel 的 .xlsx 文件（不是 .xls 或 .csv）"


DEFAULT_MAX_UNPACKED = 100 * 1024 * 1024


def unpacked_limit() -> int:
    """``XLSX_MAX_UNPACKED_BYTES``: an .xlsx is a zip, and a small upload can unpack to gigabytes (a zip bomb)."""
    return int(current_app.config.get("XLSX_MAX_UNPACKED_BYTES") or DEFAULT_MAX_UNPACKED) if has_app_context() \
        else DEFAULT_MAX_UNPACKED


def unpacked_size(data: bytes) -> int:
    """The sizes the zip's directory declares for its members, added up (0 for what is not a zip: openpyxl will
    refuse it). zipfile never inflates a member beyond its declared size, so the sum bounds what openpyxl reads."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            return sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def open_first_sheet(
    data: bytes, refuse: Callable[[str], AppError], *, empty: str, no_sheet: str, unreadable: str = UNREADABLE
) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    """(the workbook, its first sheet's rows as tuples of values); any problem becomes ``refuse(message)``,
    including a damaged sheet discovered while iterating. The caller closes the workbook."""
    if not data:
        raise refuse(empty)
    limit = unpacked_limit()
    if unpacked_size(data) > limit:
        raise refuse(f"文件内容太多（解压后超过 {limit // (1024 * 1024)} MB），请分成几个文件导入")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes about styles or extensions it skips
            wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not a workbook, a .xls or .csv renamed, a damaged file
        raise refuse(unreadable) from exc
    if not wb.worksheets:
        wb.close()
        raise refuse(no_sheet)

    def rows() -> Iterator[tuple[Any, ...]]:
        it = wb.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                values = next(it)
            except StopIteration:
                return
            except Exception as exc:
                raise refuse(unreadable) from exc
            yield values

    return wb, rows()


def text_only(wb: Any) -> Any:
    """The workbook with every would-be formula turned back into the text it was: openpyxl writes any string that
    begins with "=" as a formula, which Excel runs when the office opens the export (``=HYPERLINK(…)`` in a name,
    an address or a note: formula injection). The project writes no formulas of its own. Call it before ``save``."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    return wb


def cell_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as trimmed text; a whole number stored by Excel as 5.0 reads as "5"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class RowErrors:
    """Every problem of an uploaded file as ``{"row", "field", "message"}``; :meth:`raise_if_any` refuses the whole
    file (422 ``code``) listing them by row, then by the column order in ``order``."""

    code: str
    what: str  # 花名册, 股权登记簿 …: "<what>有 N 行有误"
    order: dict[str, int] = field(default_factory=dict)
    limit: int = 500
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.items.append({"row": row, "field": column, "message": message})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda e: (e["row"] or 0, self.order.get(e["field"], -1)))  # None: the whole file
        bad_rows = len({e["row"] for e in self.items})
        raise AppError(
            422, self.code, f"{self.what}有 {bad_rows} 行有误，整份未导入，请改正后重新导入",
            {"rows": self.items[: self.limit], "error_count": len(self.items), "row_count": bad_rows},
        )


# ---------------------------------------------------------------- the header row


def header_text(value: Any) -> str:
    """A header cell as people type it, made comparable: “登记面积 (亩)” → “登记面积（亩）” (no spaces, brackets
    full-width, ％ as %)."""
    return re.sub(r"\s+", "", cell_text(value)).replace("(", "（").replace(")", "）").replace("％", "%")


def map_headers(
    header: Sequence[Any] | None,
    known: Sequence[str],
    *,
    required: Sequence[str] = (),
    either: Sequence[tuple[Sequence[str], str]] = (),
    aliases: Mapping[str, str] | None = None,
    drop_suffixes: Sequence[str] = (),
    unknown_note: str = "",
) -> tuple[dict[str, int], list[str]]:
    """({known header: column index}, the problems of the header row in Chinese, in column order, then what is
    missing). A cell matches a known header once both are read by :func:`header_text`, after dropping a unit
    suffix (``drop_suffixes``, e.g. “（元）”) and following ``aliases`` (normalized text → known header).
    ``either`` lists groups of which at least one column must be present, with the name a missing group is
    reported by. Blank header cells are skipped."""
    canonical = {header_text(h): h for h in known}
    alias = {header_text(k): header_text(v) for k, v in (aliases or {}).items()}
    found: dict[str, int] = {}
    problems: list[str] = []
    for i, cell in enumerate(header or ()):
        text = header_text(cell)
        for suffix in drop_suffixes:
            text = text.removesuffix(header_text(suffix))
        if not text:
            continue
        name = canonical.get(alias.get(text, text))
        if name is None:
            problems.append(f"无法识别的列“{cell_text(cell)}”{unknown_note}")
        elif name in found:
            problems.append(f"列“{name}”出现了两次")
        else:
            found[name] = i
    missing = [h for h in required if h not in found]
    missing += [label for group, label in either if not any(h in found for h in group)]
    if missing:
        problems.append("缺少必填的列：" + "、".join(missing))
    return found, problems


def bad_headers_message(problems: Sequence[str], known: Sequence[str]) -> str:
    return "第1行应为表头。" + "；".join(problems) + "。可用的列：" + "、".join(known)


def refuse_bad_headers(code: str, problems: Sequence[str], known: Sequence[str]) -> AppError:
    """The 422 that refuses a file for its header row: the problems and the headers it may use."""
    return AppError(422, code, bad_headers_message(problems, known),
                    {"problems": list(problems), "known_headers": list(known)})


# ---------------------------------------------------------------- writing exports that print well

MONEY_FORMAT = "#,##0.00"


def money(cell: Any, fen: int | None) -> Any:
    """Put ``fen`` into ``cell`` as a NUMBER of yuan (an exact Decimal, never a float or a text) shown
    ``#,##0.00``: a sum in Excel adds it, a print shows 1,234.50. None leaves the cell empty."""
    from backend.core.printing.figures import yuan_decimal

    cell.value = None if fen is None else yuan_decimal(fen)
    cell.number_format = MONEY_FORMAT
    return cell


def print_setup(
    ws: Any,
    *,
    title_rows: str | None = None,
    landscape: bool | None = None,
    header: str = "",
    footer_left: str = "",
    widths: Sequence[float] | None = None,
) -> None:
    """Make a sheet print well on A4: fitted to the page width (as many pages down as needed), the heading rows
    (``title_rows``, e.g. ``"2:2"``) repeated on every page, landscape when the columns are wide (``landscape``
    None: when the column widths add up to more than a portrait page holds), even margins, the sheet's name or
    ``header`` at the top and 第 N 页 共 M 页 in the footer. ``widths``: column widths in characters, set first."""
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths or (), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if landscape is None:
        columns = max(ws.max_column, len(widths or ()))
        total = sum((ws.column_dimensions[get_column_letter(i)].width or 8.43) for i in range(1, columns + 1))
        landscape = total > 100  # about what an A4 portrait page holds at 100%, in characters
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.center.text = header or ws.title
    if footer_left:
        ws.oddFooter.left.text = footer_left
    ws.oddFooter.right.text = "第 &P 页 共 &N 页"
