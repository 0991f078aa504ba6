"""Workbooks the import tests upload: a header row, then the given rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook


def xlsx(rows: Sequence[Mapping[str, Any] | Sequence[Any] | None], headers: Sequence[str]) -> BytesIO:
    """A workbook with ``headers`` in row 1 and one row per item: a dict puts its values under the headers it
    names, a sequence fills the columns in order, None is a blank row."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(headers))
    for r in rows:
        if r is None:
            ws.append([None] * len(headers))
        elif isinstance(r, Mapping):
            ws.append([r.get(h) for h in headers])
        else:
            ws.append(list(r))
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out
