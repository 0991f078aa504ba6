"""The dividend list as a 公示 sheet for the village board (A4 PDF): the published list as the public sees it
(户号, the head's name masked, members, shares, amount; no ID number, no phone), the plan's total in figures and
in 大写, the 公示 period, the sign-off block, the list's seal and a QR code to the mini-program's dividend page."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from backend import registry
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.identity import mask_name
from backend.core.permissions import requires
from backend.core.printing.board import BoardSheet, Column, board_pdf, page_url, send_sheet
from backend.core.printing.figures import amount_in_words, cn_date, format_yuan, published_date
from backend.core.replica import replica_read
from backend.core.seal import Seal
from backend.dividends import publishing
from backend.dividends.models import Distribution

blp = Blueprint("dividends_sheets", __name__, description="公示打印")
SECURITY = [{"bearer": []}]
PUBLIC_STATUSES = ("published", "paying", "paid")


def notice_sheet(d: Distribution) -> BoardSheet:
    """The sheet of a published list (409 for a plan still in draft, computed or cancelled)."""
    if d.status not in PUBLIC_STATUSES or d.seal_id is None:
        raise conflict("dividend.sheet_not_public", "分红名单还没有公布，不能打印公示；请先公布名单")
    village = registry.get_village(d.village_id)
    seal = db.session.get(Seal, d.seal_id)
    lines = db.session.execute(publishing.lines_stmt(d)).scalars().all()
    rows = [
        (str(n), ln.household_number, ln.head_name if ln.household_id is None else mask_name(ln.head_name),
         str(ln.members), f"{ln.shares:,}", format_yuan(ln.amount_fen))
        for n, ln in enumerate(lines, start=1)
    ]
    total = sum(ln.amount_fen for ln in lines)
    published = published_date(d.published_at)
    facts = [("分配方案", d.title), ("分红总额", f"{format_yuan(total)} 元（大写：人民币{amount_in_words(total)}）"),
             ("分红户数", f"{sum(1 for ln in lines if ln.household_id is not None)} 户")]
    if d.record_date:
        facts.append(("股权登记日", cn_date(d.record_date)))
    return BoardSheet(
        village_name=village.name,
        township_name=registry.get_township(village.township_id).name,
        title="收益分红名单公示",
        period=f"{d.year}年度",
        columns=(Column("序号", "C"), Column("户号", "C"), Column("户主", "C", fill=True), Column("股东人数", "C"),
                 Column("股数", "R"), Column("分红金额（元）", "R")),
        rows=rows,
        total=(("合计", 5), (format_yuan(total), 1)),
        facts=facts,
        notes=("户主姓名已脱敏，不公开身份证号和电话；本户明细请扫码在小程序中查看。",),
        url=page_url("dividend", id=d.id),
        seal_hash=seal.hash if seal else None,
        publicity_from=published,
        publicity_until=d.publicity_until,
        empty="名单为空",
        printed_on=published,
    )


@blp.route("/distributions/<int:distribution_id>/notice.pdf", methods=["GET"])
@requires("dividends.read", obj=(Distribution, "distribution_id"))
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
@replica_read
def notice_pdf(distribution: Distribution) -> Response:
    """打印分红名单公示（A4 PDF）：户主姓名脱敏，附公示期、签字盖章处、封签码和小程序二维码。"""
    village = registry.get_village(distribution.village_id)
    return send_sheet(board_pdf(notice_sheet(distribution)),
                      f"{village.code}-{distribution.year}-dividends-{distribution.id}.pdf")
