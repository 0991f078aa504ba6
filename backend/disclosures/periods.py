"""The periods a 财务公开 covers: a month (``YYYY-MM``) or a quarter (``YYYY-Qn``), its months, its name."""

from __future__ import annotations

import re
from datetime import date

from backend.core.errors import unprocessable
from backend.disclosures.printing.document import period_label as _label

PERIOD_RE = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))\Z", re.ASCII)


def months_of(period: str) -> list[str]:
    """``2026-03`` → [2026-03]; ``2026-Q1`` → [2026-01, 2026-02, 2026-03]; else 422."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise unprocessable(
            "disclosure.period_format", "公开期间应为月份 YYYY-MM 或季度 YYYY-Qn，如 2026-03 或 2026-Q1"
        )
    year, month, quarter = m.groups()
    if month:
        return [period]
    first = (int(quarter) - 1) * 3 + 1
    return [f"{year}-{mm:02d}" for mm in range(first, first + 3)]


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def previous_quarter(on: date) -> str:
    """The last completed quarter on a given day: 2026-05-10 → 2026-Q1; 2026-02-01 → 2025-Q4."""
    q = (on.month - 1) // 3 + 1
    return f"{on.year}-Q{q - 1}" if q > 1 else f"{on.year - 1}-Q4"


def period_label(period: str) -> str:
    """``2026-Q1`` → 2026年第一季度; ``2026-03`` → 2026年3月; else 422."""
    months_of(period)
    return _label(period)


def covering(period: str) -> list[str]:
    """Periods whose single publication covers ``period``: itself, and for a month its quarter."""
    months_of(period)
    return [period] if "Q" in period else [period, quarter_of(period)]
