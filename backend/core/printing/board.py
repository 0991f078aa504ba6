"""A 公示 sheet for the village notice board (A4 portrait PDF), the same for every domain.

What a village hangs on its board, top to bottom: the village's name and the sheet's title, the period, the
township and village and the 公示 period (its end date in bold), a few facts (key: value), the figures as a
bordered table (heading row repeated on every page, a bold total row), a few notes, and the sign-off block:

- the signatures 经办人 / 审核人 / 村务监督委员会 with room to sign and date;
- a dashed circle where the 公章 is stamped;
- the seal's short code in type large enough to read across a room (or, for a record that has no seal, a plain
  sentence saying so: a code is never invented);
- a QR code that opens the record's page in the mini-program (:func:`page_url`).

The sign-off block is never alone on a page: when it does not fit under the last figures, the last rows of the
table move to the next page with it (the sheet is set twice; the first pass measures). Every page's footer carries
the sheet's name, the short code and 第 N 页 共 M 页.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from flask import Response, current_app, has_app_context, send_file
from fpdf.enums import Align, WrapMode, XPos, YPos

from backend.core.printing.figures import cn_date, short_code
from backend.core.printing.notice import (
    BODY_PT,
    FONT_FAMILY,
    SUBTITLE_PT,
    TITLE_PT,
    Notice,
    clean,
    notice_table,
)

CODE_PT = 40  # the short code: about 10 mm high capitals, legible from some metres away
SIGNERS = ("经办人", "审核人", "村务监督委员会")
QR_MM = 32.0
STAMP_MM = 32.0
SIGN_ROW_MM = 12.0
BLOCK_MM = 37.0  # the code, the stamp with its date line, the QR with its caption
NO_SEAL = "本表未封签"

# the mini-program pages a sheet's QR code opens (miniprogram-stub/app.json), overridable in the config
PAGES = {
    "disclosure": ("MINIPROGRAM_DISCLOSURE_URL", "pages/disclosure/disclosure"),
    "dividend": ("MINIPROGRAM_DIVIDEND_URL", "pages/dividend/dividend"),
    "job": ("MINIPROGRAM_JOB_URL", "pages/job/job"),
    "land": ("MINIPROGRAM_LAND_URL", "pages/land/land"),
    "decision": ("MINIPROGRAM_DECISION_URL", "pages/decision/decision"),
}


def page_url(page: str, **query: object) -> str:
    """The mini-program path a QR code opens: ``page_url("dividend", id=7)`` → ``pages/dividend/dividend?id=7``.
    The page comes from the app's config (``MINIPROGRAM_<PAGE>_URL``) when set, else the stub's own page."""
    key, default = PAGES[page]
    base = (current_app.config.get(key) if has_app_context() else None) or default
    args = urlencode({k: v for k, v in query.items() if v is not None})
    return f"{base}{'&' if '?' in base else '?'}{args}" if args else base


@dataclass(frozen=True)
class Column:
    title: str
    align: str = "L"  # L, C or R (money is R)
    width: float = 0.0  # mm; 0: as wide as its contents; the first column marked fill=True takes what is left
    fill: bool = False


@dataclass(frozen=True)
class BoardSheet:
    village_name: str
    township_name: str
    title: str  # 分红名单公示, 公益岗位聘用人员公示 …
    period: str  # 2026年度, 2026年9月 …
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    url: str  # what the QR code opens
    seal_hash: str | None  # None: the record has no seal; the sheet says so (``no_seal_note``)
    publicity_until: date | None
    publicity_from: date | None = None
    subtitle: str = ""  # the record's own title, when it says more than ``title``
    facts: Sequence[tuple[str, str]] = ()
    total: Sequence[tuple[str, int]] | None = None  # a bold last row: (text, colspan)
    notes: Sequence[str] = ()
    empty: str = "无"
    no_seal_note: str = "这类记录不封签，请以扫码看到的内容为准"
    seal_label: str = "封签码"
    signers: Sequence[str] = field(default=SIGNERS)
    printed_on: date | None = None  # the date the PDF carries (same sheet in, same bytes out)


def _publicity_text(s: BoardSheet) -> str:
    if s.publicity_until is None:  # a record without a 公示 window of its own: the village writes it in
        return "公示期：　　年　　月　　日 至　　年　　月　　日"
    if s.publicity_from is not None:
        return f"公示期：{cn_date(s.publicity_from)} 至 {cn_date(s.publicity_until)}"
    return f"公示截止：{cn_date(s.publicity_until)}"


def _code(s: BoardSheet) -> str:
    return short_code(s.seal_hash) if s.seal_hash else NO_SEAL


def _widths(pdf: Notice, s: BoardSheet) -> list[float]:
    widths = []
    for i, col in enumerate(s.columns):
        if col.width:
            widths.append(col.width)
        elif col.fill:
            widths.append(0.0)
        else:
            texts = [col.title, *(r[i] for r in s.rows)]
            if s.total is not None:  # a total's cell in this column (colspan 1) must fit too
                at = 0
                for text, span in s.total:
                    if at == i and span == 1:
                        texts.append(text)
                    at += span
            widths.append(pdf.width_of(texts, BODY_PT, bold=True))
    rest = pdf.epw - sum(widths)
    fills = [i for i, c in enumerate(s.columns) if c.fill and not c.width]
    if fills:
        for i in fills:
            widths[i] = max(20.0, rest / len(fills))
    elif rest > 0:  # no column to fill: spread what is left
        widths = [w + rest / len(widths) for w in widths]
    scale = pdf.epw / sum(widths)
    return [w * scale for w in widths] if scale < 1 else widths


def signoff_height(pdf: Notice, *, hashes: int = 1) -> float:
    """The height of :func:`signoff` in mm (``hashes``: how many full hashes it prints under the code)."""
    return 3 + SIGN_ROW_MM + 3 + BLOCK_MM + hashes * pdf.line_h(7, 1.3) + 1


def signoff(
    pdf: Notice,
    *,
    seal_hash: str | None,
    url: str,
    seal_label: str = "封签码",
    no_seal_note: str = "",
    signers: Sequence[str] = SIGNERS,
    more_hashes: Sequence[tuple[str, str]] = (),
) -> None:
    """The signatures, the stamp's place, the short code (or 本表未封签 and why) and the QR code to ``url``: one
    block of :func:`signoff_height` mm; the caller makes sure it fits (``pdf.keep``).

    A row of signature lines (``signers``: 经办人, 审核人, 村务监督委员会; a label may carry a name already
    recorded, 编制：李建国), then side by side: the short code in large type, a dashed circle where the 公章 and the
    date go, the QR code. Under them the full SHA-256 in small type (and ``more_hashes``: label, hash)."""
    pdf.ln(3)
    x0, y0, w = pdf.l_margin, pdf.get_y(), pdf.epw
    col = w / len(signers)
    for i, who in enumerate(signers):
        x = x0 + i * col
        named = "：" in who  # 编制：李建国 — a name already recorded; the person still signs
        pdf.set_font(FONT_FAMILY, "", 11)
        pdf.set_xy(x, y0)
        pdf.cell(w=col - 2, h=5.5, text=clean(who if named else f"{who}（签字）："))
        lead = "签字：" if named else ""
        pdf.set_xy(x, y0 + 6.5)
        pdf.cell(w=col - 2, h=5.5, text=lead)
        pdf.line(x + pdf.get_string_width(lead) + 1, y0 + SIGN_ROW_MM - 0.5, x + col - 5, y0 + SIGN_ROW_MM - 0.5)
    y = y0 + SIGN_ROW_MM + 3
    qr_x = x0 + w - QR_MM
    stamp_x = qr_x - 6 - STAMP_MM
    code_w = stamp_x - x0 - 4
    # the short code, large
    pdf.set_xy(x0, y)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.cell(w=code_w, h=6, text=clean(seal_label) if seal_hash else "", align=Align.C, new_x=XPos.LEFT,
             new_y=YPos.NEXT)
    if seal_hash:
        pdf.set_font(FONT_FAMILY, "B", CODE_PT)
        pdf.cell(w=code_w, h=pdf.line_h(CODE_PT, 1.05), text=short_code(seal_hash), align=Align.C,
                 new_x=XPos.LEFT, new_y=YPos.NEXT)
        hint = "用微信扫右边的二维码，在手机上核对封签码是否和本页相同"
    else:
        pdf.set_font(FONT_FAMILY, "B", 26)
        pdf.cell(w=code_w, h=pdf.line_h(CODE_PT, 1.05), text=NO_SEAL, align=Align.C, new_x=XPos.LEFT,
                 new_y=YPos.NEXT)
        hint = no_seal_note
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.multi_cell(w=code_w, h=pdf.line_h(10, 1.25), text=clean(hint), align=Align.C, wrapmode=WrapMode.CHAR,
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    # the stamp's place: a dashed circle, the date under the stamp
    r = STAMP_MM / 2
    cx, cy = stamp_x + r, y + r
    pdf.set_draw_color(150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.circle(x=cx, y=cy, radius=r)
    pdf.set_dash_pattern()
    pdf.set_draw_color(90)
    pdf.set_text_color(120)
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.set_xy(stamp_x, cy - 7)
    pdf.multi_cell(w=STAMP_MM, h=4.6, text="（盖章处）\n村委会或村集体\n经济组织公章", align=Align.C)
    pdf.set_text_color(0)
    pdf.set_xy(stamp_x - 6, y + STAMP_MM)
    pdf.cell(w=STAMP_MM + 12, h=5, text="年　　月　　日", align=Align.C)
    # the QR code
    pdf.qr(url, qr_x, y, QR_MM)
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.set_xy(qr_x, y + QR_MM)
    pdf.cell(w=QR_MM, h=5, text="微信扫码查看", align=Align.C)
    pdf.set_xy(x0, y + BLOCK_MM)
    pdf.set_font(FONT_FAMILY, "", 7)
    pdf.set_text_color(90)
    for label, value in ((("封签 SHA-256", seal_hash),) if seal_hash else ()) + tuple(more_hashes):
        pdf.cell(w=w, h=pdf.line_h(7, 1.3), text=clean(f"{label}：{value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_y(max(pdf.get_y(), y + BLOCK_MM) + 1)


def _set(s: BoardSheet, split: int | None) -> tuple[Notice, bool]:
    """Set the sheet; ``split``: the number of last rows moved to a new page with the sign-off block.
    Returns the PDF and whether the last figures and the sign-off block share a page with at least two rows of
    the table (not the total alone under a repeated heading)."""
    code = _code(s)
    pdf = Notice(clean(f"{s.village_name}{s.title}　" + (f"{s.seal_label} {code}" if s.seal_hash else NO_SEAL)))
    pdf.set_title(f"{s.village_name}{s.title} {s.period}")
    pdf.set_author(f"{s.township_name}{s.village_name}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("阳光村务")
    pdf.set_producer("阳光村务")
    stamp = s.printed_on or s.publicity_until or date(2000, 1, 1)
    pdf.set_creation_date(datetime(stamp.year, stamp.month, stamp.day, tzinfo=UTC))
    pdf.add_page()
    pdf.para(f"{s.village_name}{s.title}", TITLE_PT, bold=True, align=Align.C)
    pdf.para(f"{s.period}　{s.subtitle}".strip(), SUBTITLE_PT, bold=True, align=Align.C, gap=1)
    pdf.para(f"{s.township_name}　{s.village_name}　　{_publicity_text(s)}", BODY_PT + 1, bold=True,
             align=Align.C, gap=3)
    for key, value in s.facts:
        pdf.para(f"{key}：{value}", BODY_PT)
    if s.facts:
        pdf.ln(2)
    widths = _widths(pdf, s)
    aligns = [c.align for c in s.columns]
    heading = [c.title for c in s.columns]
    rows = list(s.rows)
    start_page = pdf.page_no()
    if split:
        notice_table(pdf, widths, aligns, heading, rows[:-split])
        pdf.add_page()
        rows = rows[-split:]
    notice_table(pdf, widths, aligns, heading, rows, total=s.total, empty=s.empty if not s.rows else None)
    table_page = pdf.page_no()
    row_h = pdf.line_h(BODY_PT, 1.3) + 2.6
    # a table that ran onto a new page with only its heading and the total (or one row) there: not together
    lonely = table_page > start_page and pdf.get_y() - pdf.t_margin < 4.5 * row_h and not split
    pdf.ln(2)
    for note in s.notes:
        pdf.para(note, BODY_PT)
    pdf.ln(1)
    deadline = f"{cn_date(s.publicity_until)}前" if s.publicity_until else "公示期内"
    pdf.para(f"如对以上内容有异议，请在{deadline}向村务监督委员会反映。", BODY_PT)
    if pdf.room() < signoff_height(pdf) + 2:
        pdf.add_page()
    signoff(pdf, seal_hash=s.seal_hash, url=s.url, seal_label=s.seal_label, no_seal_note=s.no_seal_note,
            signers=s.signers)
    return pdf, pdf.page_no() == table_page and not lonely


def board_pdf(s: BoardSheet) -> bytes:
    """The sheet as A4 PDF bytes (font embedded); the sign-off block shares its page with the last figures."""
    pdf, together = _set(s, None)
    if not together and len(s.rows) > 1:
        pdf.close_fonts()
        pdf, _ = _set(s, min(3, len(s.rows) - 1))
    return bytes(pdf.output())


def send_sheet(data: bytes, filename: str) -> Response:
    """The PDF as a download (``filename`` in ASCII: village code, what, id)."""
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename)
