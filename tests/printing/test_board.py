"""The 公示 sheet's typesetting (backend/core/printing/board.py) without a database: the sign-off block never
leaves the last figures' page whatever the number of rows, a record without a seal says so, a five-line month's
财务公开 fits on one page, the QR pages are the mini-program's; and the .xlsx helpers (core/xlsx.py): money as
numbers, A4 print setup."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from backend.core.printing.board import PAGES, BoardSheet, Column, board_pdf, page_url
from backend.core.xlsx import money, print_setup
from backend.disclosures.printing.document import DisclosureDoc, DisclosureLine, LargeItem
from backend.disclosures.printing.pdf import disclosure_pdf
from tests.printing.test_sheets import read_pdf

ROOT = Path(__file__).resolve().parents[2]
SEAL = "3f2a91bc" + "5e0d7c4b" * 7


def sheet(n: int, **changes: object) -> BoardSheet:
    rows = [(str(i), f"LJ-{i:03d}", f"张*{i}", f"{i * 1234:,}.50") for i in range(1, n + 1)]
    s = BoardSheet(
        village_name="临江村", township_name="青山镇", title="收益分红名单公示", period="2026年度",
        columns=(Column("序号", "C"), Column("户号", "C"), Column("户主", "C", fill=True), Column("金额（元）", "R")),
        rows=rows, total=(("合计", 3), ("9,999.00", 1)), url="pages/dividend/dividend?id=7", seal_hash=SEAL,
        publicity_from=date(2026, 12, 10), publicity_until=date(2026, 12, 20), facts=(("分红总额", "9,999.00 元"),),
    )
    return replace(s, **changes)


@pytest.mark.parametrize("n", [1, 5, 18, 22, 23, 24, 25, 26, 27, 31, 40, 55, 60])
def test_the_sign_off_block_stays_on_the_page_of_the_last_figures(n: int) -> None:
    texts, codes = read_pdf(board_pdf(sheet(n)))
    last = texts[-1]
    assert f"LJ-{n:03d}" in last and "合计" in last  # the last row and the total …
    assert "村务监督委员会（签字）" in last and "盖章处" in last and "3f2a-91bc" in last  # … with the sign-off
    assert codes == [(len(texts), "pages/dividend/dividend?id=7")]
    if len(texts) > 1:  # not the total alone under a repeated heading: at least two rows come with it
        assert f"LJ-{n - 1:03d}" in last
    seen = [f"LJ-{i:03d}" for i in range(1, n + 1) for t in texts if f"LJ-{i:03d}" in t]
    assert seen == [f"LJ-{i:03d}" for i in range(1, n + 1)]  # every row once, none lost at a page break
    assert all(f"第 {i} 页 共 {len(texts)} 页" in t for i, t in enumerate(texts, start=1))
    assert "公示期：2026年12月10日 至 2026年12月20日" in texts[0]


def test_a_short_list_is_one_page_and_the_same_sheet_gives_the_same_bytes() -> None:
    data = board_pdf(sheet(5))
    assert len(read_pdf(data)[0]) == 1
    assert board_pdf(sheet(5)) == data


def test_a_record_without_a_seal_says_so_and_invents_no_code() -> None:
    (text,), _ = read_pdf(board_pdf(sheet(3, seal_hash=None, no_seal_note="土地租金不封签，请以扫码看到的为准",
                                         publicity_until=None, publicity_from=None)))
    assert "本表未封签" in text and "土地租金不封签" in text
    assert "SHA-256" not in text and "收益分红名单公示　本表未封签" in text  # the footer too
    assert "公示期：　　年　　月　　日 至　　年　　月　　日" in text  # left for the village to fill in by hand
    assert "请在公示期内向村务监督委员会反映" in text


def test_the_qr_pages_are_the_mini_programs_and_the_config_may_point_elsewhere(app: object) -> None:
    pages = set(json.loads((ROOT / "miniprogram-stub" / "app.json").read_text(encoding="utf-8"))["pages"])
    assert {default for _, default in PAGES.values()} <= pages
    assert page_url("job", id=3) == "pages/job/job?id=3"
    assert page_url("land", year=2026) == "pages/land/land?year=2026"
    app.config["MINIPROGRAM_DIVIDEND_URL"] = "https://ygcw.example.cn/mp/dividend?from=paper"  # type: ignore[attr-defined]
    try:
        assert page_url("dividend", id=7) == "https://ygcw.example.cn/mp/dividend?from=paper&id=7"
    finally:
        app.config["MINIPROGRAM_DIVIDEND_URL"] = "pages/dividend/dividend"  # type: ignore[attr-defined]


def _month(n_lines: int) -> DisclosureDoc:
    lines = [DisclosureLine(date(2026, 9, 1 + i % 28), f"记-{i + 1:03d}", ("收到鱼塘承包费", "支付路灯维修费")[i % 2],
                            ("经营收入", "管理费用")[i % 2], 150_000 if i % 2 == 0 else 0,
                            0 if i % 2 == 0 else 23_450) for i in range(n_lines)]
    income = sum(x.income_fen for x in lines)
    expense = sum(x.expense_fen for x in lines)
    return DisclosureDoc(
        village_name="临江村", township_name="青山镇", title="9月财务收支公开", period="2026-09",
        published_at=datetime(2026, 10, 8, 2, 0, tzinfo=UTC), approved_by="赵德明", prepared_by="李秀英",
        lines=lines, large_items=[LargeItem(date(2026, 9, 12), "村道硬化工程款", 12_345_600, "关于硬化村东组道路的决议",
                                            "临江村决〔2026〕3号")],
        income_total_fen=income, expense_total_fen=expense,
        by_category=[("经营收入", income, 0), ("管理费用", 0, expense)],
        seal_hash=SEAL, prev_seal_hash=None, url="pages/disclosure/disclosure?id=12",
        publicity_until=date(2026, 10, 14),
    )


def test_a_five_line_month_disclosure_fits_on_one_page_with_its_sign_off_and_qr() -> None:
    texts, codes = read_pdf(disclosure_pdf(_month(5)))
    assert len(texts) == 1
    (text,) = texts
    assert "记-005" in text and "公示日期：2026年10月8日　至　2026年10月14日" in text
    assert "编制：李秀英" in text and "监督委员会审核：赵德明" in text and "盖章处" in text and "3f2a-91bc" in text
    assert codes == [(1, "pages/disclosure/disclosure?id=12")]


def test_a_long_month_keeps_the_sign_off_with_the_large_items() -> None:
    for n in (12, 20, 26, 40):
        texts, _ = read_pdf(disclosure_pdf(_month(n)))
        assert "村道硬化工程款" in texts[-1] and "盖章处" in texts[-1]


def test_money_cells_are_numbers_and_a_wide_sheet_prints_landscape_on_a4() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "金额（元）"])
    ws.append(["张三", None])
    money(ws.cell(row=2, column=2), 123_456)
    print_setup(ws, title_rows="1:1", widths=(40, 40, 40))
    assert ws.cell(row=2, column=2).value == Decimal("1234.56")
    with pytest.raises(TypeError):
        money(ws.cell(row=3, column=2), 12.5)  # type: ignore[arg-type]  # never a float
    out = io.BytesIO()
    wb.save(out)
    back = load_workbook(io.BytesIO(out.getvalue())).active
    assert back is not None
    cell = back.cell(row=2, column=2)
    assert cell.value == 1234.56 and cell.number_format == "#,##0.00"
    assert back.page_setup.orientation == "landscape" and int(back.page_setup.paperSize) == 9
    assert back.page_setup.fitToWidth == 1 and back.page_setup.fitToHeight == 0
    assert back.sheet_properties.pageSetUpPr.fitToPage is True
    assert back.print_title_rows == "$1:$1" and "&P" in back.oddFooter.right.text
    narrow = Workbook().active
    assert narrow is not None
    print_setup(narrow, widths=(10, 12))
    assert narrow.page_setup.orientation == "portrait"
