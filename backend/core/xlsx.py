"""Reading an uploaded .xlsx safely: the importers' shared first step (roster, vouchers)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from .errors import AppError

UNREADABLE = "文件无法读取，请确认是 Excel 的 .xlsx 文件（不是 .xls 或 .csv）"


def open_first_sheet(
    data: bytes, refuse: Callable[[str], AppError], *, empty: str, no_sheet: str, unreadable: str = UNREADABLE
) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    """(the workbook, its first sheet's rows as tuples of values); any problem becomes ``refuse(message)``,
    including a damaged sheet discovered while iterating. The caller closes the workbook."""
    if not data:
        raise refuse(empty)
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
