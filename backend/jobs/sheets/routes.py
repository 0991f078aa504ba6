"""The public-benefit job's hires as a 公示 sheet for the village board (A4 PDF): the people the sealed draw
selected (names masked as the public list shows them), the post, its wage and term, the 公示 period, the sign-off
block, the seal of the selected list and a QR code to the mini-program's job page."""

from __future__ import annotations

from datetime import timedelta

from flask import Response
from flask_smorest import Blueprint

from backend import registry
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.permissions import requires
from backend.core.printing.board import BoardSheet, Column, board_pdf, page_url, send_sheet
from backend.core.printing.figures import format_yuan, published_date
from backend.core.replica import replica_read
from backend.core.seal import Seal
from backend.jobs import service, views
from backend.jobs.models import JobPosting

blp = Blueprint("jobs_sheets", __name__, description="公示打印")
SECURITY = [{"bearer": []}]
PUBLIC_STATUSES = ("publicity", "confirmed")
PUBLICITY_DAYS_NOTE = "公示期满且异议已答复后，签订劳务协议上岗。"


def hires_sheet(p: JobPosting) -> BoardSheet:
    """The sheet of a posting in or past its 公示 (409 before the draw is posted, or for a cancelled posting)."""
    if p.status == "cancelled":
        raise conflict("job.sheet_cancelled", "岗位已取消，不能打印聘用公示")
    if p.status not in PUBLIC_STATUSES or p.publicity_seal_id is None:
        raise conflict("job.sheet_not_public", "拟聘用名单还没有公示，不能打印；请先完成抽签并公示")
    village = registry.get_village(p.village_id)
    seal = db.session.get(Seal, p.publicity_seal_id)
    chosen = [r for r in views.applicant_rows(p, staff=False) if r["status"] in ("selected", "hired")]
    rows = [(str(n), r["name"], r["priority_reason"] or "—", str(r["rank"] or "—"),
             service.APPLICATION_LABELS[r["status"]].removesuffix("（公示中）"))
            for n, r in enumerate(chosen, start=1)]
    start = published_date(seal.sealed_at) if seal else None
    if start and p.publicity_until and start > p.publicity_until:
        start = p.publicity_until - timedelta(days=1)
    return BoardSheet(
        village_name=village.name,
        township_name=registry.get_township(village.township_id).name,
        title="公益岗位聘用人员公示",
        period=p.title,
        subtitle=f"（{p.category}）",
        columns=(Column("序号", "C"), Column("姓名", "C", fill=True), Column("优先群体", "C"),
                 Column("抽签序号", "C"), Column("状态", "C")),
        rows=rows,
        total=(("合计", 1), (f"拟聘用 {len(rows)} 人（岗位 {p.positions} 个）", 4)),
        facts=(("岗位", f"{p.title}，{p.positions} 个，聘期 {p.term_months} 个月"),
               ("月工资", f"{format_yuan(p.monthly_wage_fen)} 元"),
               ("报名人数", f"{service.count_applications(p)} 人，按封存名单和公开种子抽签")),
        notes=("姓名已脱敏；抽签结果可在小程序中按封存名单和种子复核。", PUBLICITY_DAYS_NOTE),
        url=page_url("job", id=p.id),
        seal_hash=seal.hash if seal else None,
        seal_label="名单封签码",
        publicity_from=start,
        publicity_until=p.publicity_until,
        empty="无拟聘用人员",
        printed_on=start,
    )


@blp.route("/job-postings/<int:posting_id>/hires.pdf", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
@replica_read
def hires_pdf(posting: JobPosting) -> Response:
    """打印公益岗位聘用人员公示（A4 PDF）：姓名脱敏，附公示期、签字盖章处、名单封签码和小程序二维码。"""
    village = registry.get_village(posting.village_id)
    return send_sheet(board_pdf(hires_sheet(posting)), f"{village.code}-job-{posting.id}-hires.pdf")
