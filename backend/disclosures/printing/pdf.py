"""A published 财务公开 as an A4 PDF to print and post on the village notice board.

The PDF embeds its font (Noto Sans CJK SC, a GB 2312 subset bundled in ``backend/core/printing/fonts``, see the
README there), so a phone or a print shop without Chinese fonts shows it the same. A character the bundled font
lacks (a rare character in a name, outside GB 2312) is printed as 〓, the typesetter's mark for a missing
character, rather than silently dropped; :func:`unprintable_chars` lets the caller warn before publishing.

Every page carries the seal's short code in its footer, the last page the full SHA-256 and a QR code to
``doc.url``, so a villager can scan the paper and check that the code on the phone is the same. A disclosure
without a seal (a draft) says so in large type instead of a code. The typesetting (:class:`Notice`,
:func:`notice_table`, :func:`notice_section`) is :mod:`backend.core.printing.notice`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from fpdf.enums import Align, WrapMode, XPos, YPos

from backend.core.printing.board import signoff, signoff_height
from backend.core.printing.notice import (
    _CODE_PT,
    _PAD,
    _QR_MM,
    _SMALL_PT,
    BODY_PT,
    FONT_BOLD,
    FONT_DIR,
    FONT_FAMILY,
    FONT_REGULAR,
    MISSING_MARK,
    SUBTITLE_PT,
    TITLE_PT,
    Notice,
    clean,
    missing_chars,
    notice_section,
    notice_table,
)
from backend.disclosures.printing.document import (
    LINE_COLUMNS,
    DisclosureDoc,
    check_figures,
    cn_date,
    decision_text,
    format_yuan,
    period_label,
    published_date,
    seal_text,
    short_code,
    signed_in_words,
    subtitle,
)

__all__ = [
    "BODY_PT",
    "FONT_BOLD",
    "FONT_DIR",
    "FONT_FAMILY",
    "FONT_REGULAR",
    "MISSING_MARK",
    "SUBTITLE_PT",
    "TITLE_PT",
    "Notice",
    "disclosure_pdf",
    "notice_section",
    "notice_table",
    "unprintable_chars",
]


def _texts(doc: DisclosureDoc) -> Iterable[str]:
    yield from (doc.village_name, doc.township_name, doc.title, doc.approved_by or "", doc.prepared_by or "")
    for line in doc.lines:
        yield from (line.voucher_no, line.summary, line.category)
    for item in doc.large_items:
        yield from (item.summary, item.decision_title or "", item.decision_ref or "")
    yield from (c[0] for c in doc.by_category)


def unprintable_chars(doc: DisclosureDoc) -> frozenset[str]:
    """The characters of ``doc`` that the PDF's font does not have (they print as 〓); empty when all print."""
    return missing_chars(_texts(doc))


def _line_cells(doc: DisclosureDoc, year: int) -> list[tuple[str, ...]]:
    return [
        (
            str(n),
            cn_date(line.date, year=year),
            line.voucher_no,
            line.summary,
            line.category,
            format_yuan(line.income_fen) if line.income_fen else "",
            format_yuan(line.expense_fen) if line.expense_fen else "",
        )
        for n, line in enumerate(doc.lines, start=1)
    ]


def _seal_block(pdf: Notice, doc: DisclosureDoc) -> None:
    height = _QR_MM + 8
    pdf.ln(4)
    pdf.keep(height)
    x0, y0 = pdf.l_margin, pdf.get_y()
    pdf.rect(x0, y0, pdf.epw, height)
    qr_x = x0 + pdf.epw - _QR_MM - 4
    pdf.qr(doc.url, qr_x, y0 + 4, _QR_MM)
    text_w = qr_x - x0 - 8
    pdf.set_xy(x0 + 4, y0 + 3)
    pdf.set_font(FONT_FAMILY, "B", 14)
    pdf.cell(w=text_w, h=pdf.line_h(14), text="封签码", new_x=XPos.LEFT, new_y=YPos.NEXT)
    if doc.seal_hash:
        pdf.set_font(FONT_FAMILY, "B", _CODE_PT)
        pdf.cell(
            w=text_w, h=pdf.line_h(_CODE_PT, 1.15), text=short_code(doc.seal_hash), new_x=XPos.LEFT, new_y=YPos.NEXT
        )
    else:
        pdf.set_font(FONT_FAMILY, "B", 20)
        pdf.cell(w=text_w, h=pdf.line_h(_CODE_PT, 1.15), text=seal_text(doc), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.multi_cell(
        w=text_w,
        h=pdf.line_h(11, 1.35),
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
        text="用微信扫右边的二维码，在手机上打开这份公开，核对封签码是否和本页相同。",
    )
    pdf.set_font(FONT_FAMILY, "", _SMALL_PT - 1)
    pdf.set_text_color(60)
    for label, value in (("封签 SHA-256", doc.seal_hash or "—"), ("上一封签", doc.prev_seal_hash or "—")):
        pdf.cell(w=text_w, h=pdf.line_h(_SMALL_PT - 1, 1.3), text=f"{label}：{value}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_xy(x0, y0 + height)


def disclosure_pdf(doc: DisclosureDoc) -> bytes:
    """An A4 portrait notice: title, the lines (the table runs over as many pages as it needs, its heading row
    repeated), totals with 大写, by category, large items with their decisions, approval, and the seal box (short
    code in large type, the full hash small, a QR code to ``doc.url``). Every page: short code and 第 N 页 共 M 页.
    The font is embedded. Same document in, same bytes out (the PDF's dates come from ``published_at``).

    The sign-off block never stands alone on a page: when it does not fit under the large items, the large items
    section moves to the next page with it (set twice; the first pass measures).
    """
    check_figures(doc)
    pdf, together = _set(doc, move_large=False)
    if not together:
        pdf.close_fonts()
        pdf, _ = _set(doc, move_large=True)
    return bytes(pdf.output())


def _set(doc: DisclosureDoc, *, move_large: bool) -> tuple[Notice, bool]:
    label = period_label(doc.period)
    year = int(doc.period[:4])
    published = published_date(doc.published_at)
    code = seal_text(doc)
    pdf = Notice(clean(f"{doc.village_name}财务公开 {label}　封签码 {code}"))
    pdf.set_title(f"{doc.village_name}财务公开 {label}")
    pdf.set_subject(doc.title)
    pdf.set_author(f"{doc.township_name}{doc.village_name}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("阳光村务")
    pdf.set_producer("阳光村务")
    stamp = doc.published_at or datetime(year, 1, 1, tzinfo=UTC)
    pdf.set_creation_date(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    pdf.add_page()

    pdf.para(f"{doc.village_name}财务公开", TITLE_PT, bold=True, align=Align.C)
    pdf.para(subtitle(doc, label), SUBTITLE_PT, bold=True, align=Align.C, gap=1)
    pdf.para(
        f"{doc.township_name}　{doc.village_name}　　公示日期：{cn_date(published)}"
        + (f"　至　{cn_date(doc.publicity_until)}" if doc.publicity_until else ""),
        BODY_PT,
        bold=True,
        align=Align.C,
        gap=2
    )

    # column widths from what is in them; 摘要 takes what is left
    cells = _line_cells(doc, year)
    money = [format_yuan(doc.income_total_fen), format_yuan(doc.expense_total_fen)]
    money += [c[5] for c in cells] + [c[6] for c in cells]
    money += [format_yuan(x.amount_fen) for x in doc.large_items]  # the summary tables share these widths
    money += [format_yuan(fen) for c in doc.by_category for fen in c[1:]]
    widths = [
        pdf.width_of(["序号", *(c[0] for c in cells)], BODY_PT, bold=True),
        pdf.width_of(["日期", *(c[1] for c in cells)], BODY_PT, bold=True),
        min(34.0, pdf.width_of(["凭证号", *(c[2] for c in cells)], BODY_PT, bold=True)),
        0.0,
        min(30.0, pdf.width_of(["类别", *(c[4] for c in cells)], BODY_PT, bold=True)),
        pdf.width_of(["收入（元）", *money], BODY_PT, bold=True),
        pdf.width_of(["支出（元）", *money], BODY_PT, bold=True),
    ]
    widths[3] = pdf.epw - sum(widths)
    notice_table(
        pdf,
        widths,
        ("C", "C", "C", "L", "C", "R", "R"),
        LINE_COLUMNS,
        cells,
        total=[("合计", 5), (money[0], 1), (money[1], 1)],
        empty="本期无收支",
    )
    pdf.ln(2)
    pdf.keep(2 * pdf.line_h(13))
    pdf.para(f"收入合计（大写）：人民币{signed_in_words(doc.income_total_fen)}", 13, bold=True)
    pdf.para(f"支出合计（大写）：人民币{signed_in_words(doc.expense_total_fen)}", 13, bold=True)

    row_h = pdf.line_h(BODY_PT, 1.3) + 2 * _PAD
    notice_section(pdf, "分类汇总", 3 * row_h)
    cat_rows = [(c[0], format_yuan(c[1]), format_yuan(c[2])) for c in doc.by_category]
    amount_w = max(widths[5], widths[6])
    notice_table(
        pdf,
        (pdf.epw - 2 * amount_w, amount_w, amount_w),
        ("L", "R", "R"),
        ("类别", "收入（元）", "支出（元）"),
        cat_rows,
        empty="无",
    )

    if move_large:
        pdf.add_page()
    notice_section(pdf, "大额收支及依据的决议", 3 * row_h)
    large_rows = [
        (cn_date(item.date, year=year), item.summary, format_yuan(item.amount_fen), decision_text(item))
        for item in doc.large_items
    ]
    date_w = pdf.width_of(["日期", *(r[0] for r in large_rows)], BODY_PT, bold=True)
    rest = pdf.epw - date_w - amount_w
    notice_table(
        pdf,
        (date_w, rest * 0.45, amount_w, rest * 0.55),
        ("C", "L", "R", "L"),
        ("日期", "摘要", "金额（元）", "依据的决议"),
        large_rows,
        empty="本期无大额收支",
    )
    last_figures = pdf.page_no()

    pdf.keep(signoff_height(pdf, hashes=2))
    signoff(
        pdf,
        seal_hash=doc.seal_hash,
        url=doc.url,
        no_seal_note=seal_text(doc),
        signers=(f"编制：{doc.prepared_by or '—'}", f"监督委员会审核：{doc.approved_by or '未审核'}", "村负责人"),
        more_hashes=(("上一封签", doc.prev_seal_hash),) if doc.prev_seal_hash else (),
    )
    return pdf, pdf.page_no() == last_figures
