"""A published 财务公开 as a printable document: the :class:`DisclosureDoc` the service builds from the sealed
snapshot, and what both the workbook and the PDF write from it, and the check that the figures agree. The
figures themselves (yuan with separators, 大写, the seal's short code, periods, dates) are
:mod:`backend.core.printing.figures`, shared with every other 公示 sheet.

Pure functions: no database, no Flask. Money is integer fen throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

# the figures are every notice's (core.printing); re-exported here under the names the disclosure always used
from backend.core.printing.figures import (
    amount_in_words,
    cn_date,
    format_yuan,
    period_label,
    published_date,
    require_fen,
    short_code,
    signed_in_words,
    yuan_decimal,
)

__all__ = [
    "LINE_COLUMNS",
    "DisclosureDoc",
    "DisclosureLine",
    "LargeItem",
    "amount_in_words",
    "check_figures",
    "cn_date",
    "decision_text",
    "format_yuan",
    "period_label",
    "published_date",
    "require_fen",
    "seal_text",
    "short_code",
    "signed_in_words",
    "subtitle",
    "yuan_decimal",
]

LINE_COLUMNS = ("序号", "日期", "凭证号", "摘要", "类别", "收入（元）", "支出（元）")


@dataclass(frozen=True)
class DisclosureLine:
    """One voucher line, 逐项逐笔: either ``income_fen`` or ``expense_fen`` is usually 0 (a 0 prints blank)."""

    date: date
    voucher_no: str
    summary: str
    category: str
    income_fen: int
    expense_fen: int


@dataclass(frozen=True)
class LargeItem:
    """A large income or expense and the 四议两公开 decision it rests on (None: no decision cited)."""

    date: date
    summary: str
    amount_fen: int
    decision_title: str | None
    decision_ref: str | None


@dataclass(frozen=True)
class DisclosureDoc:
    village_name: str
    township_name: str
    title: str
    period: str  # "2026-Q3" or "2026-09"
    published_at: datetime | None  # UTC (a naive value is taken as UTC); shown as the Beijing date
    approved_by: str | None
    prepared_by: str | None
    lines: Sequence[DisclosureLine]
    large_items: Sequence[LargeItem]
    income_total_fen: int
    expense_total_fen: int
    by_category: Sequence[tuple[str, int, int]]  # (category, income_fen, expense_fen)
    seal_hash: str | None
    prev_seal_hash: str | None
    url: str  # what the QR code opens (a mini-program path or https URL)
    publicity_until: date | None = None  # the 公示's last day (villagers' questions are answered until then)


# ------------------------------------------------------------------ checks


def check_figures(doc: DisclosureDoc) -> None:
    """Refuse a document whose figures disagree: a wrong total must never reach the notice board."""
    period_label(doc.period)
    for line in doc.lines:
        require_fen(line.income_fen)
        require_fen(line.expense_fen)
    for item in doc.large_items:
        require_fen(item.amount_fen)
    for _, income, expense in doc.by_category:
        require_fen(income)
        require_fen(expense)
    require_fen(doc.income_total_fen)
    require_fen(doc.expense_total_fen)
    if sum(x.income_fen for x in doc.lines) != doc.income_total_fen:
        raise ValueError("收入明细之和与收入合计不符")
    if sum(x.expense_fen for x in doc.lines) != doc.expense_total_fen:
        raise ValueError("支出明细之和与支出合计不符")
    if doc.by_category and (
        sum(c[1] for c in doc.by_category) != doc.income_total_fen
        or sum(c[2] for c in doc.by_category) != doc.expense_total_fen
    ):
        raise ValueError("分类汇总之和与合计不符")
    if doc.seal_hash is not None:
        short_code(doc.seal_hash)
    if doc.prev_seal_hash:
        short_code(doc.prev_seal_hash)


def decision_text(item: LargeItem) -> str:
    title = (item.decision_title or "").strip()
    ref = (item.decision_ref or "").strip()
    if title and ref:
        return f"{title}（{ref}）"
    return title or ref or "未关联决议"


def subtitle(doc: DisclosureDoc, label: str) -> str:
    """The period and the title, without saying the period twice when the title already names it."""
    title = doc.title.strip()
    return title if label in title or doc.period in title else f"{label}　{title}".strip()


def seal_text(doc: DisclosureDoc) -> str:
    return short_code(doc.seal_hash) if doc.seal_hash else "未封签（草稿，不得张贴）"


