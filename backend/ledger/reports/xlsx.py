"""The three reports as .xlsx for the village office: 科目余额表, 资产负债表, 收益及收益分配表.

Every amount is a NUMBER cell (Decimal yuan, shown ``#,##0.00``), never text, so the office can add them up; the
figures are exactly those of the JSON reports (the same dataclasses). Each sheet carries the village, the period
and the unit 元 above its header row, and prints on A4: fitted to the page width, the header row repeated on every
page, landscape where the table is wide.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from backend.core.printing.figures import yuan_decimal as yuan
from backend.core.xlsx import print_setup, text_only
from backend.ledger.reports.service import BalanceLine, BalanceSheet, IncomeStatement, StatementLine, TrialBalance

MONEY = "#,##0.00"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E6E6E6")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")

Cell = str | int | Decimal | None


class _Sheet:
    """One report on one sheet: title, the village/period/unit line, a header row, then rows."""

    def __init__(self, wb: Workbook, title: str, village: str, label: str, headers: Sequence[str],
                 widths: Sequence[int], *, landscape: bool, money_from: int) -> None:
        ws: Worksheet = wb.active if wb.active is not None else wb.create_sheet()
        self.ws = ws
        ws.title = title
        self.cols = len(headers)
        self.money_from = money_from  # the first money column (1-based); every column from it holds amounts
        last = get_column_letter(self.cols)
        ws.merge_cells(f"A1:{last}1")
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=16)
        ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 28
        ws.merge_cells(f"A2:{last}2")
        ws["A2"] = f"编制单位：{_clean(village)}　　期间：{label}　　单位：元"
        ws["A2"].alignment = Alignment(horizontal="left", vertical="center")
        for i, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
            c = ws.cell(row=3, column=i, value=h)
            c.font = Font(bold=True)
            c.fill = _HEAD_FILL
            c.border = _BOX
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(i)].width = w
        self.row = 4
        ws.freeze_panes = "A4"
        print_setup(ws, title_rows="3:3", landscape=landscape, header=f"{_clean(village)} {title}", footer_left=label)

    def add(self, values: Sequence[Cell], *, bold: bool = False, indent: int = 0, total: bool = False) -> int:
        """A row; amounts (int fen) become Decimal yuan in the money columns. Returns the row number."""
        r = self.row
        for i, v in enumerate(values, start=1):
            money = i >= self.money_from or isinstance(v, Decimal)
            value: Cell = yuan(v) if money and isinstance(v, int) else v
            if isinstance(value, str):
                value = _clean(value)
            c = self.ws.cell(row=r, column=i, value=value)
            c.border = _BOX
            if bold:
                c.font = Font(bold=True)
            if total:
                c.fill = _TOTAL_FILL
            if money and value is not None and not isinstance(value, str):
                c.number_format = MONEY
                c.alignment = Alignment(horizontal="right")
            elif i == 1 or (i == 2 and indent):
                c.alignment = Alignment(horizontal="left", indent=indent)
        self.row += 1
        return r

    def note(self, text: str) -> None:
        self.row += 1
        self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.cols)
        self.ws.cell(row=self.row, column=1, value=_clean(text)).alignment = Alignment(wrap_text=True)
        self.row += 1


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub(" ", text)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    text_only(wb).save(out)
    return out.getvalue()


# ---------------------------------------------------------------- 科目余额表


def trial_balance_xlsx(tb: TrialBalance, village: str) -> bytes:
    """科目余额表: code, name, then opening / movement / closing as debit and credit columns (a balance in the
    column of its account's side), sub-accounts indented under their parents, the totals row last."""
    wb = Workbook()
    s = _Sheet(wb, "科目余额表", village, tb.span.label,
               ("科目编码", "科目名称", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方"),
               (12, 26, 16, 16, 16, 16, 16, 16), landscape=True, money_from=3)
    for r in tb.rows:
        opening = (r.opening, None) if r.debit_normal else (None, r.opening)
        closing = (r.closing, None) if r.debit_normal else (None, r.closing)
        s.add((r.code, r.name, *opening, r.debit, r.credit, *closing), bold=r.level == 1, indent=r.level - 1)
    t = tb.totals
    s.add(("合计", "", t.opening_debit, t.opening_credit, t.debit, t.credit, t.closing_debit, t.closing_credit),
          bold=True, total=True)
    s.note("只计已记账的凭证；明细科目已汇总到上级科目，合计只加一级科目。借方合计与贷方合计两两相等。")
    return _save(wb)


# ---------------------------------------------------------------- 资产负债表


def _bs_name(ln: BalanceLine) -> str:
    return f"减：{ln.name}" if ln.contra else ln.name


def balance_sheet_xlsx(bs: BalanceSheet, village: str) -> bytes:
    """资产负债表 side by side: assets on the left; liabilities and equity on the right; 年初数 and 期末数."""
    wb = Workbook()
    s = _Sheet(wb, "资产负债表", village, f"{bs.span.label}（{bs.as_of.isoformat()}）",
               ("资产", "年初数", "期末数", "负债和所有者权益", "年初数", "期末数"),
               (26, 16, 16, 26, 16, 16), landscape=True, money_from=99)
    left: list[tuple[str, int | None, int | None, bool]] = [
        (_bs_name(ln), ln.year_start, ln.end, False) for ln in bs.assets.lines
    ]
    right: list[tuple[str, int | None, int | None, bool]] = [("负债：", None, None, True)]
    right += [(_bs_name(ln), ln.year_start, ln.end, False) for ln in bs.liabilities.lines]
    right.append(("负债合计", bs.liabilities.total.year_start, bs.liabilities.total.end, True))
    right.append(("所有者权益：", None, None, True))
    right += [(_bs_name(ln), ln.year_start, ln.end, False) for ln in bs.equity.lines]
    right.append(("所有者权益合计", bs.equity.total.year_start, bs.equity.total.end, True))
    height = max(len(left), len(right))
    blank: tuple[str, int | None, int | None, bool] = ("", None, None, False)
    left += [blank] * (height - len(left))
    right += [blank] * (height - len(right))
    for (ln, ly, le, lb), (rn, ry, re_, rb) in zip(left, right, strict=True):
        r = s.add((ln, _m(ly), _m(le), rn, _m(ry), _m(re_)))
        if lb:
            s.ws.cell(row=r, column=1).font = Font(bold=True)
        if rb:
            for col in (4, 5, 6):
                s.ws.cell(row=r, column=col).font = Font(bold=True)
    le_total = bs.liabilities_and_equity
    s.add(("资产总计", _m(bs.assets.total.year_start), _m(bs.assets.total.end),
           "负债和所有者权益总计", _m(le_total.year_start), _m(le_total.end)), bold=True, total=True)
    check = ("资产总计等于负债和所有者权益总计。" if bs.balanced
             else "注意：资产总计不等于负债和所有者权益总计，请检查账簿。")
    s.note("本年收益含尚未结转的收入减支出；生产(劳务)成本列在资产中。" + check)
    return _save(wb)


def _m(fen: int | None) -> Decimal | None:
    return None if fen is None else yuan(fen)


# ---------------------------------------------------------------- 收益及收益分配表


def income_statement_rows(st: IncomeStatement) -> list[tuple[str, int | None, int, bool]]:
    """The statement's lines in the order of the 2023 form: (项目, amount in fen or None for a heading, level,
    bold). Income lines (501 经营收入 … 504 其他收入), expenses (511 … 521), 本期收益; then 加：期初未分配收益,
    其他转入, 可分配收益, 减：各项分配 (322's sub-accounts), 期末未分配收益."""
    out: list[tuple[str, int | None, int, bool]] = [("一、收入", None, 0, True)]

    def lines(items: Sequence[StatementLine]) -> None:
        for ln in items:
            out.append((ln.name, ln.amount, ln.level, ln.level == 1))

    lines(st.income.lines)
    out.append(("收入合计", st.income.total, 0, True))
    out.append(("二、支出", None, 0, True))
    lines(st.expenses.lines)
    out.append(("支出合计", st.expenses.total, 0, True))
    out.append(("三、本期收益（收入合计 − 支出合计）", st.profit, 0, True))
    d = st.distribution
    out.append(("加：期初未分配收益", d.opening_undistributed, 1, False))
    out.append(("其他转入", d.other_in, 1, False))
    out.append(("四、可分配收益", d.distributable, 0, True))
    out.append(("减：", None, 1, False))
    lines(d.lines)
    out.append(("分配合计", d.total, 0, True))
    out.append(("五、期末未分配收益", d.closing_undistributed, 0, True))
    return out


def income_statement_xlsx(st: IncomeStatement, village: str) -> bytes:
    wb = Workbook()
    s = _Sheet(wb, "收益及收益分配表", village, st.span.label, ("项目", "行次", "本期金额"), (44, 8, 20),
               landscape=False, money_from=3)
    for no, (name, amount, level, bold) in enumerate(income_statement_rows(st), start=1):
        r = s.add((name, no, amount), bold=bold, indent=level)
        s.ws.cell(row=r, column=2).alignment = Alignment(horizontal="center")
    s.note("只计已记账的凭证；年终结转凭证不计入收入和支出。")
    return _save(wb)


__all__ = ["MONEY", "balance_sheet_xlsx", "income_statement_rows", "income_statement_xlsx", "trial_balance_xlsx",
           "yuan"]
