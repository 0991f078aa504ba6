"""财务公开 export: amounts in words, the .xlsx for the office and the A4 PDF for the notice board.

Pure functions: no database. The PDF is checked the way a reader meets it: pypdfium2 (Chrome's PDF engine)
extracts its text and renders its pages on a machine with no Chinese font installed, zxing-cpp decodes the QR
code from the rendered page, and pypdf reads its font objects.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pypdfium2 as pdfium
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from backend.disclosures.printing.document import (
    DisclosureDoc,
    DisclosureLine,
    LargeItem,
    amount_in_words,
    format_yuan,
    period_label,
    short_code,
    yuan_decimal,
)
from backend.disclosures.printing.pdf import FONT_BOLD, FONT_REGULAR, MISSING_MARK, disclosure_pdf, unprintable_chars
from backend.disclosures.printing.sheet import disclosure_xlsx

SEAL = "3f2a91bc" + "5e0d7c4b" * 7
PREV = "0a1b2c3d" + "9f8e7d6c" * 7
URL = "https://ygcw.example.cn/d/12?code=3f2a-91bc"
CATEGORIES = ("经营收入", "补助收入", "管理费用", "公益支出")
SUMMARIES = ("收到鱼塘承包费", "支付村道路灯维修费", "购买办公用品", "发放保洁员工资")


def make_doc(n_lines: int = 3, **changes: object) -> DisclosureDoc:
    """A consistent disclosure of ``n_lines`` lines (totals and categories add up), with two large items."""
    lines = []
    for i in range(n_lines):
        income = (i * 7919 % 500_000) + 1 if i % 3 == 0 else 0
        expense = 0 if income else (i * 104_729 % 2_000_000) + 5
        lines.append(
            DisclosureLine(
                date=date(2026, 7 + i % 3, 1 + i % 28),
                voucher_no=f"记-{i + 1:03d}",
                summary=SUMMARIES[i % 4],
                category=CATEGORIES[i % 4],
                income_fen=income,
                expense_fen=expense,
            )
        )
    totals: dict[str, list[int]] = {}
    for line in lines:
        t = totals.setdefault(line.category, [0, 0])
        t[0] += line.income_fen
        t[1] += line.expense_fen
    doc = DisclosureDoc(
        village_name="临江村",
        township_name="青石镇",
        title="第三季度财务收支公开",
        period="2026-Q3",
        published_at=datetime(2026, 10, 7, 17, 30, tzinfo=UTC),  # 2026-10-08 01:30 in Beijing
        approved_by="王秀英",
        prepared_by="李建国",
        lines=lines,
        large_items=[
            LargeItem(
                date(2026, 8, 12),
                "村道硬化工程款（第一期）",
                12_345_600,
                "关于硬化村东组道路的决议",
                "临江村决〔2026〕3号",
            ),
            LargeItem(date(2026, 9, 2), "购置垃圾转运车", 5_600_000, None, None),
        ],
        income_total_fen=sum(x.income_fen for x in lines),
        expense_total_fen=sum(x.expense_fen for x in lines),
        by_category=[(k, v[0], v[1]) for k, v in totals.items()],
        seal_hash=SEAL,
        prev_seal_hash=PREV,
        url=URL,
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------ amounts in words


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (5, "伍分"),
        (10, "壹角"),
        (50, "伍角"),
        (55, "伍角伍分"),
        (100, "壹元整"),
        (101, "壹元零壹分"),
        (110, "壹元壹角"),
        (111, "壹元壹角壹分"),
        (1_000, "壹拾元整"),
        (1_500, "壹拾伍元整"),
        (1_510, "壹拾伍元壹角"),
        (1_010, "壹拾元零壹角"),
        (32_504, "叁佰贰拾伍元零肆分"),
        (100_000, "壹仟元整"),
        (100_500, "壹仟零伍元整"),  # 1005.00: a zero in the middle is written 零
        (105_000, "壹仟零伍拾元整"),
        (140_950, "壹仟肆佰零玖元伍角"),  # no 整 after 角
        (168_032, "壹仟陆佰捌拾元零叁角贰分"),
        (600_714, "陆仟零柒元壹角肆分"),  # two zeros in the middle: one 零
        (1_000_000, "壹万元整"),
        (1_000_100, "壹万零壹元整"),
        (1_010_000, "壹万零壹佰元整"),
        (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (1_640_902, "壹万陆仟肆佰零玖元零贰分"),  # 角 is 0, 分 is not: 零 after 元
        (2_000_001, "贰万元零壹分"),
        (10_000_010, "壹拾万元零壹角"),  # 100000.10
        (10_700_053, "壹拾万柒仟元零伍角叁分"),
        (100_001_000, "壹佰万零壹拾元整"),
        (10_000_000_000, "壹亿元整"),
        (10_000_000_100, "壹亿零壹元整"),
        (10_001_000_000, "壹亿零壹万元整"),
        (11_000_000_000, "壹亿壹仟万元整"),
        (10_100_000_000, "壹亿零壹佰万元整"),
        (100_000_000_000_000, "壹万亿元整"),
        (1_000_000_000_000_000, "壹拾万亿元整"),
        (999_999_999_999_999, "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_words(fen: int, words: str) -> None:
    assert amount_in_words(fen) == words


@pytest.mark.parametrize("fen", [-1, -100, -1_234_567])
def test_amount_in_words_refuses_negatives(fen: int) -> None:
    with pytest.raises(ValueError, match="负数"):
        amount_in_words(fen)


@pytest.mark.parametrize("bad", [1.5, 100.0, True, Decimal("100"), "100", None])
def test_amount_in_words_refuses_anything_but_int_fen(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]


def test_amount_in_words_refuses_amounts_beyond_wanyi() -> None:
    assert amount_in_words(10**18 - 1).startswith("玖仟玖佰玖拾玖万")
    with pytest.raises(ValueError):
        amount_in_words(10**18)  # 1 亿亿 yuan


_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _read_words(words: str) -> int:
    """An independent reader of 大写 (the usual section algorithm), to check what the writer wrote."""
    m = re.fullmatch(r"(?:(.+)元)?(?:零)?(?:(.)角)?(?:(.)分)?(整)?", words)
    assert m, words
    whole, jiao, fen, _ = m.groups()
    total = section = number = 0
    for ch in whole or "":
        if ch in _DIGIT:
            number = _DIGIT[ch]
        elif ch in _UNIT:
            assert number, f"bare {ch} in {words}"
            section += number * _UNIT[ch]
            number = 0
        elif ch == "万":
            section = (section + number) * 10_000
            number = 0
        elif ch == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise AssertionError(f"unexpected {ch} in {words}")
    yuan = total + section + number
    return yuan * 100 + _DIGIT[jiao or "零"] * 10 + _DIGIT[fen or "零"]


@given(st.integers(min_value=0, max_value=10**17))
def test_amount_in_words_reads_back_and_follows_the_zero_rules(fen: int) -> None:
    words = amount_in_words(fen)
    assert _read_words(words) == fen
    # 整 exactly when there is no 角 and no 分 (and never after 角 or 分)
    assert words.endswith("整") == (fen % 100 == 0)
    if fen == 0:
        return
    assert not words.startswith("零")
    assert "零零" not in words
    # a 零 always stands before a digit, never before a unit (no 零元, 零万, 零角 …)
    assert re.search("零[^壹贰叁肆伍陆柒捌玖]", words) is None
    # 拾 always has its digit: 壹拾, never a bare 拾
    assert re.search("(^|[^壹贰叁肆伍陆柒捌玖])拾", words) is None
    # 角 is 0 and 分 is not: 零 stands after 元
    if fen >= 100 and fen % 100 and fen % 100 < 10:
        assert "元零" in words


# ------------------------------------------------------------------ money, codes, periods


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (-5, "-0.05"),
        (123_450, "1,234.50"),
        (-123_450, "-1,234.50"),
        (99_999, "999.99"),
        (100_000, "1,000.00"),
        (123_456_789_012, "1,234,567,890.12"),
    ],
)
def test_format_yuan(fen: int, shown: str) -> None:
    assert format_yuan(fen) == shown


def test_money_helpers_refuse_floats() -> None:
    with pytest.raises(TypeError):
        format_yuan(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        yuan_decimal(12.5)  # type: ignore[arg-type]


def test_yuan_decimal_is_exact() -> None:
    assert yuan_decimal(123_450) == Decimal("1234.50")
    assert str(yuan_decimal(123_450)) == "1234.50"
    assert yuan_decimal(10) + yuan_decimal(20) == Decimal("0.30")  # where floats give 0.30000000000000004
    assert yuan_decimal(999_999_999_999_999_999) == Decimal("9999999999999999.99")


def test_short_code_is_the_first_two_groups_of_four_hex_digits() -> None:
    assert short_code(SEAL) == "3f2a-91bc"
    assert short_code(SEAL.upper()) == "3f2a-91bc"


@pytest.mark.parametrize("bad", ["", "3f2a91bc", SEAL[:-1], SEAL + "0", "g" * 64, None, 123])
def test_short_code_refuses_what_is_not_a_sha256(bad: object) -> None:
    with pytest.raises(ValueError):
        short_code(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "label"),
    [("2026-Q1", "2026年第一季度"), ("2026-Q3", "2026年第三季度"), ("2026-09", "2026年9月"), ("2026-12", "2026年12月")],
)
def test_period_label(period: str, label: str) -> None:
    assert period_label(period) == label


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-Q5", "2026Q3", "26-09", "2026-9"])
def test_period_label_refuses_other_periods(bad: str) -> None:
    with pytest.raises(ValueError):
        period_label(bad)


# ------------------------------------------------------------------ refusals common to both formats


@pytest.mark.parametrize("export", [disclosure_xlsx, disclosure_pdf])
def test_figures_that_do_not_add_up_are_refused(export: object) -> None:
    doc = make_doc(5)
    for bad in (
        replace(doc, income_total_fen=doc.income_total_fen + 1),
        replace(doc, expense_total_fen=doc.expense_total_fen - 1),
        replace(doc, by_category=[("经营收入", doc.income_total_fen, doc.expense_total_fen - 1)]),
        replace(doc, period="2026-9"),
        replace(doc, seal_hash="not-a-hash"),
    ):
        with pytest.raises(ValueError):
            export(bad)  # type: ignore[operator]
    with pytest.raises(TypeError):
        export(replace(doc, lines=[replace(doc.lines[0], income_fen=0.5)], income_total_fen=0))  # type: ignore[operator]


# ------------------------------------------------------------------ xlsx


def _sheet(data: bytes) -> Worksheet:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["财务公开"]
    ws = wb["财务公开"]
    assert isinstance(ws, Worksheet)
    return ws


def _row_of(ws: Worksheet, first_cell: object) -> int:
    rows = [c.row for c in ws["A"] if c.value == first_cell]
    assert rows, first_cell
    return rows[0]


def _texts(ws: Worksheet) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def _exact(value: object) -> Decimal:
    """The number as stored in the file (openpyxl reads it as float; its shortest repr is the stored text)."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value))


def test_xlsx_has_title_date_lines_and_exact_totals() -> None:
    doc = make_doc(12)
    ws = _sheet(disclosure_xlsx(doc))
    assert ws["A1"].value == "临江村　2026年第三季度　第三季度财务收支公开"
    assert ws["A2"].value == "公示日期：2026年10月8日"  # the Beijing date of 2026-10-07T17:30Z
    head = _row_of(ws, "序号")
    assert [c.value for c in ws[head]] == ["序号", "日期", "凭证号", "摘要", "类别", "收入（元）", "支出（元）"]
    for i, line in enumerate(doc.lines):
        row = [c.value for c in ws[head + 1 + i]]
        assert row[0] == i + 1
        assert row[1] == datetime.combine(line.date, datetime.min.time())
        assert row[2:5] == [line.voucher_no, line.summary, line.category]
        assert (row[5] is None) == (line.income_fen == 0)
        assert (row[6] is None) == (line.expense_fen == 0)
        if line.income_fen:
            assert _exact(row[5]) * 100 == line.income_fen
        if line.expense_fen:
            assert _exact(row[6]) * 100 == line.expense_fen
        assert ws.cell(head + 1 + i, 6).number_format == "#,##0.00"
    total = _row_of(ws, "合计")
    assert total == head + 1 + len(doc.lines)
    assert _exact(ws.cell(total, 6).value) * 100 == doc.income_total_fen
    assert _exact(ws.cell(total, 7).value) * 100 == doc.expense_total_fen
    assert ws.cell(total, 7).number_format == "#,##0.00"
    texts = _texts(ws)
    assert f"收入合计（大写）：人民币{amount_in_words(doc.income_total_fen)}" in texts
    assert f"支出合计（大写）：人民币{amount_in_words(doc.expense_total_fen)}" in texts


def test_xlsx_stores_decimal_text_not_float_arithmetic() -> None:
    lines = [
        DisclosureLine(date(2026, 9, 1), "记-001", "利息", "其他收入", 10, 0),
        DisclosureLine(date(2026, 9, 2), "记-002", "利息", "其他收入", 20, 0),
        DisclosureLine(date(2026, 9, 3), "记-003", "征地补偿款", "其他收入", 123_456_789_012, 0),
    ]
    total = 10 + 20 + 123_456_789_012
    doc = make_doc(0, lines=lines, income_total_fen=total, by_category=[("其他收入", total, 0)], period="2026-09")
    with zipfile.ZipFile(io.BytesIO(disclosure_xlsx(doc))) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    values = re.findall(r"<v>([^<]*)</v>", xml)
    assert "0.10" in values or "0.1" in values
    assert "1234567890.12" in values
    assert "1234567890.42" in values  # the total, exactly; no 1234567890.4200001
    assert not any(re.fullmatch(r"-?\d+\.\d{3,}", v) for v in values), values


def test_xlsx_has_categories_large_items_approval_and_seal() -> None:
    doc = make_doc(8)
    ws = _sheet(disclosure_xlsx(doc))
    texts = _texts(ws)
    assert "分类汇总" in texts
    for category, income, expense in doc.by_category:
        row = [c.row for c in ws["B"] if c.value == category and c.row > _row_of(ws, "合计")]
        assert len(row) == 1
        assert _exact(ws.cell(row[0], 6).value) * 100 == income
        assert _exact(ws.cell(row[0], 7).value) * 100 == expense
    assert "大额收支及依据的决议" in texts
    road = next(c.row for c in ws["C"] if c.value == "村道硬化工程款（第一期）")
    assert _exact(ws.cell(road, 5).value) * 100 == 12_345_600
    assert ws.cell(road, 6).value == "关于硬化村东组道路的决议（临江村决〔2026〕3号）"
    assert "未关联决议" in texts
    assert "监督委员会审核：王秀英" in texts
    assert "封签：3f2a-91bc" in texts
    assert f"封签（SHA-256）：{SEAL}" in texts
    assert f"上一封签（SHA-256）：{PREV}" in texts
    assert f"扫码核对：{URL}" in texts


def test_xlsx_is_set_up_to_print_on_a4() -> None:
    ws = _sheet(disclosure_xlsx(make_doc(40)))
    head = _row_of(ws, "序号")
    assert ws.freeze_panes == f"A{head + 1}"
    assert all(c.font.bold for c in ws[head])
    assert ws.print_title_rows == f"${head}:${head}"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.column_dimensions["D"].width >= 30  # 摘要 is the wide one
    assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text


def test_xlsx_of_an_empty_period_and_of_a_draft() -> None:
    doc = make_doc(0, seal_hash=None, prev_seal_hash=None, approved_by=None, published_at=None, large_items=[])
    ws = _sheet(disclosure_xlsx(doc))
    texts = _texts(ws)
    assert "本期无收支" in texts
    assert "本期无大额收支" in texts
    assert "公示日期：未发布" in texts
    assert "封签：未封签（草稿，不得张贴）" in texts
    total = _row_of(ws, "合计")
    assert ws.cell(total, 6).value == 0
    assert "收入合计（大写）：人民币零元整" in texts


def test_xlsx_writes_text_that_looks_like_a_formula_as_text() -> None:
    base = make_doc(1)
    line = replace(base.lines[0], summary='=HYPERLINK("http://evil.example","点我")', voucher_no="记\x07-001")
    data = disclosure_xlsx(replace(base, lines=[line]))
    ws = _sheet(data)
    head = _row_of(ws, "序号")
    assert ws.cell(head + 1, 4).value == '=HYPERLINK("http://evil.example","点我")'
    assert ws.cell(head + 1, 4).data_type == "s"
    assert ws.cell(head + 1, 3).value == "记 -001"  # a control character XML cannot hold becomes a space
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_keeps_text_exactly_even_where_the_pdf_font_lacks_a_character() -> None:
    ws = _sheet(disclosure_xlsx(make_doc(1, village_name="㙟口村")))
    assert str(ws["A1"].value).startswith("㙟口村")


# ------------------------------------------------------------------ pdf


@contextmanager
def _opened(data: bytes) -> Iterator[pdfium.PdfDocument]:
    pdf = pdfium.PdfDocument(data)
    try:
        yield pdf
    finally:
        pdf.close()


def _page_texts(data: bytes) -> list[str]:
    with _opened(data) as pdf:
        out = []
        for page in pdf:
            text = page.get_textpage()
            out.append(text.get_text_range())
            text.close()
            page.close()
        return out


def _qr_codes(data: bytes, page_index: int) -> list[str]:
    with _opened(data) as pdf:
        page = pdf[page_index]
        image = page.render(scale=3).to_pil()  # 216 dpi, about what a phone camera sees up close
        page.close()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_pdf_is_a_pdf_and_the_same_document_gives_the_same_bytes() -> None:
    data = disclosure_pdf(make_doc(3))
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert disclosure_pdf(make_doc(3)) == data


@pytest.mark.parametrize("n_lines", [0, 1])
def test_pdf_of_a_short_period_is_one_page(n_lines: int) -> None:
    data = disclosure_pdf(make_doc(n_lines))
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    (text,) = _page_texts(data)
    assert "第 1 页 共 1 页" in text
    assert ("本期无收支" in text) == (n_lines == 0)


def test_pdf_of_200_lines_runs_over_pages_with_the_heading_repeated() -> None:
    doc = make_doc(200)
    data = disclosure_pdf(doc)
    pages = _page_texts(data)
    # A4 is 297 mm: 15 mm top margin, 18 mm for the footer, so 264 mm for content. A one-line row is
    # 12 pt × 1.3 leading (5.50 mm) + 2 × 1.3 mm padding = 8.10 mm, the heading row the same: 31 rows fit under
    # the heading on a page, 27 on the first (the title takes 33 mm). 27 + 5 × 31 = 182; the last 18 rows, the
    # totals, the summaries and the large items fill page 7, and the approval and seal box go to page 8.
    assert [len(re.findall(r"记-\d{3}", text)) for text in pages] == [27, 31, 31, 31, 31, 31, 18, 0]
    assert len(PdfReader(io.BytesIO(data)).pages) == 8
    for n, text in enumerate(pages, start=1):
        assert f"第 {n} 页 共 8 页" in text
        assert "封签码 3f2a-91bc" in text  # every page is tied to the seal
    seen = []
    for text in pages:
        vouchers = re.findall(r"记-(\d{3})", text)
        if vouchers:
            assert "凭证号" in text and "收入（元）" in text and "支出（元）" in text  # heading repeated
        seen += [int(v) for v in vouchers]
    assert seen == list(range(1, 201))  # every line once, in order, none lost at a page break
    assert SEAL in pages[-1]  # the seal box closes the document


def test_pdf_text_has_the_village_totals_in_words_approval_and_seal() -> None:
    doc = make_doc(6)
    text = "\n".join(_page_texts(disclosure_pdf(doc)))
    assert "临江村财务公开" in text
    assert "2026年第三季度" in text
    assert "公示日期：2026年10月8日" in text
    assert format_yuan(doc.income_total_fen) in text
    assert format_yuan(doc.expense_total_fen) in text
    assert f"人民币{amount_in_words(doc.income_total_fen)}" in text
    assert f"人民币{amount_in_words(doc.expense_total_fen)}" in text
    assert "关于硬化村东组道路的决议" in text
    assert "未关联决议" in text
    assert "监督委员会审核：王秀英" in text
    assert "3f2a-91bc" in text
    assert SEAL in text
    assert PREV in text


def test_pdf_embeds_its_chinese_font() -> None:
    data = disclosure_pdf(make_doc(3))
    assert b"/FontFile3" in data
    assert b"NotoSansCJKSC" in data
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/Type0"
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            assert embedded == ["/FontFile3"], f"{font['/BaseFont']} is not embedded"
            program = descriptor["/FontFile3"].get_object().get_data()
            # a subset: only the glyphs used, far smaller than the bundled file
            assert 1_000 < len(program) < FONT_REGULAR.stat().st_size // 10
            names.add(str(font["/BaseFont"]).split("+", 1)[1])
    assert names == {"NotoSansCJKSC", "NotoSansCJKSCBold"}


def test_pdf_renders_chinese_without_any_installed_font() -> None:
    """The title band of page 1, rendered from the PDF alone, has ink where the title is (a missing font would
    leave it blank or draw boxes of one width; the text layer is checked above)."""
    data = disclosure_pdf(make_doc(1))
    with _opened(data) as pdf:
        page = pdf[0]
        image = page.render(scale=2).to_pil().convert("L")
        page.close()
    width = image.width
    band = image.crop((0, int(image.height * 0.03), width, int(image.height * 0.08)))
    dark = sum(band.histogram()[:128])
    assert dark > 2_000


@pytest.mark.parametrize("url", [URL, "pages/disclosure/detail?id=12&village=3"])
def test_pdf_qr_code_decodes_to_the_url(url: str) -> None:
    data = disclosure_pdf(make_doc(2, url=url))
    assert _qr_codes(data, 0) == [url]


def test_pdf_qr_code_is_beside_the_seal_on_the_last_page() -> None:
    data = disclosure_pdf(make_doc(60))
    pages = _page_texts(data)
    assert len(pages) > 1
    assert _qr_codes(data, len(pages) - 1) == [URL]
    assert _qr_codes(data, 0) == []
    assert SEAL in pages[-1]
    assert all(SEAL not in text for text in pages[:-1])


def test_pdf_of_a_draft_says_it_is_not_sealed() -> None:
    doc = make_doc(2, seal_hash=None, prev_seal_hash=None, approved_by=None, published_at=None)
    (text,) = _page_texts(disclosure_pdf(doc))
    assert "未封签（草稿，不得张贴）" in text
    assert "公示日期：未发布" in text
    assert "监督委员会审核：未审核" in text


def test_a_character_the_font_lacks_prints_as_a_geta_mark_and_is_reported() -> None:
    doc = make_doc(1, village_name="㙟口村", lines=[replace(make_doc(1).lines[0], summary="收到\n鱼塘\t承包费")])
    assert unprintable_chars(doc) == frozenset({"㙟"})
    assert unprintable_chars(make_doc(3)) == frozenset()
    (text,) = _page_texts(disclosure_pdf(doc))
    assert f"{MISSING_MARK}口村财务公开" in text
    assert "收到 鱼塘 承包费" in text  # control characters become spaces, nothing is dropped


def test_long_summaries_wrap_inside_their_cell_without_losing_text() -> None:
    long = "支付二〇二六年度村集体经济合作社光伏发电项目（村东组屋顶）设备维护及检修费用，含更换逆变器两台"
    base = make_doc(1)
    doc = replace(base, lines=[replace(base.lines[0], summary=long, voucher_no="记-2026-09-0001")])
    (text,) = _page_texts(disclosure_pdf(doc))
    flat = re.sub(r"\s+", "", text)
    assert long in flat
    assert "记-2026-09-0001" in flat
    # never a line that starts with a closing mark
    assert not re.search(r"\n[，。、）》〕]", text)


def test_bundled_fonts_are_small_and_cover_gb2312() -> None:
    from fontTools.ttLib import TTFont

    for path in (FONT_REGULAR, FONT_BOLD):
        assert path.stat().st_size < 2_500_000
        with TTFont(str(path), lazy=True) as font:
            cmap = font["cmap"].getBestCmap()
        gb2312 = []
        for hi in range(0xB0, 0xF8):  # levels 1 and 2 of GB 2312
            for lo in range(0xA1, 0xFF):
                try:
                    gb2312.append(bytes([hi, lo]).decode("gb2312"))
                except UnicodeDecodeError:
                    continue
        assert len(gb2312) == 6763
        assert all(ord(c) in cmap for c in gb2312)
        assert all(ord(c) in cmap for c in "0123456789,.-（）：〓￥")


def test_a_period_whose_reversals_outweigh_its_income_still_prints() -> None:
    """A refund larger than the month's income gives a negative total: written 负… in words, not refused."""
    refund = DisclosureLine(date=date(2026, 7, 3), voucher_no="记-001", summary="冲销多收的租金",
                            category="经营收入", income_fen=-30_000, expense_fen=0)
    doc = replace(make_doc(0), lines=[refund], income_total_fen=-30_000, expense_total_fen=0,
                  by_category=[("经营收入", -30_000, 0)])
    texts = _texts(_sheet(disclosure_xlsx(doc)))
    assert any("人民币负叁佰元整" in t for t in texts)
    assert "负叁佰元整" in "".join(_page_texts(disclosure_pdf(doc)))
