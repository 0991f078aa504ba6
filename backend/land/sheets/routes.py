"""The households' land rent of a year as a 公示 sheet for the village board (A4 PDF): for each household whose
land is in a transfer contract with rent due that year, its area, the rent due to it (the households' rent less
the collective's fee, split by area), what the collective received for it, what was passed on to it (已转付: its
recorded payouts) and what still waits (待转付). Land rent is not sealed: the sheet says so. QR: the mini-program's
land page for that year."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import func, select

from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.identity import mask_name
from backend.core.permissions import requires
from backend.core.printing.board import BoardSheet, Column, board_pdf, page_url, send_sheet
from backend.core.printing.figures import format_yuan
from backend.core.replica import replica_read
from backend.core.schemas import BaseSchema
from backend.land.contracts import household_shares, lines_of
from backend.land.models import Contract, RentAllocation, RentDue, RentPayout
from backend.land.parcels import mu_text

blp = Blueprint("land_sheets", __name__, description="公示打印")
SECURITY = [{"bearer": []}]


class LandRentSheetArgs(BaseSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100, error="年度应在 2000–2100 之间"),
                          metadata={"description": "租金年度（应收日期所在的年份）"})


def _sums(model: Any, amount: Any, due_ids: list[int], *where: Any) -> dict[int, int]:
    stmt = select(RentAllocation.household_id, func.sum(amount)).select_from(RentAllocation)
    if model is not None:
        stmt = stmt.join(model, model.allocation_id == RentAllocation.id)
    stmt = stmt.where(RentAllocation.due_id.in_(due_ids), *where).group_by(RentAllocation.household_id)
    return {hid: int(total or 0) for hid, total in db.session.execute(stmt).all()}


def land_rent_sheet(village_id: int, year: int) -> BoardSheet:
    """The sheet of ``year`` (409 when no rent fell due that year, or none of it is known yet)."""
    village = registry.get_village(village_id)
    dues = list(db.session.execute(
        select(RentDue, Contract).join(Contract, Contract.id == RentDue.contract_id)
        .where(RentDue.village_id == village_id, RentDue.due_date >= date(year, 1, 1),
               RentDue.due_date <= date(year, 12, 31)).order_by(RentDue.due_date, RentDue.id)
    ).all())
    if not dues:
        raise conflict("land.sheet_no_rent", f"{year}年没有应收的土地流转租金，没有可公示的内容")
    area: dict[int, int] = defaultdict(int)
    due: dict[int, int] = defaultdict(int)
    unknown = 0
    for d, c in dues:
        lines = lines_of(c)
        for ln in lines:
            if ln.household_id is not None:
                area[ln.household_id] += ln.area_mu4
        if d.household_fen is None or d.fee_fen is None:
            unknown += 1
            continue
        for hid, part in household_shares(c, d.household_fen - d.fee_fen, lines).items():
            due[hid] += part
    if not area:
        raise conflict("land.sheet_no_rent", f"{year}年的租金不涉及农户承包地，没有可公示的内容")
    due_ids = [d.id for d, _ in dues]
    received = _sums(None, RentAllocation.amount_fen, due_ids)
    passed = _sums(RentPayout, RentPayout.amount_fen, due_ids, RentPayout.paid_on.is_not(None))
    brief = registry.households_brief(village_id, set(area))
    rows = []
    totals = [0, 0, 0, 0]
    for n, hid in enumerate(sorted(area, key=lambda h: (brief[h].number if h in brief else "", h)), start=1):
        h = brief.get(hid)
        figures = [due.get(hid, 0), received.get(hid, 0), passed.get(hid, 0)]
        figures.append(figures[1] - figures[2])
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        rows.append((str(n), h.number if h else "—", mask_name(h.head_name) if h and h.head_name else "—",
                     mu_text(area[hid]), *(format_yuan(x) for x in figures)))
    notes = ["应得：农户租金扣除服务费后按面积分到各户；已收：村集体已收到的本户租金；已转付：已发到本户（银行代发"
             "或现金签收）；待转付：已收到、尚未发到本户。户主姓名已脱敏。"]
    if unknown:
        notes.append(f"有 {unknown} 份合同本年度租金尚未确定（如实物租金待公布粮价），未计入应得。")
    return BoardSheet(
        village_name=village.name,
        township_name=registry.get_township(village.township_id).name,
        title="土地流转租金到户公示",
        period=f"{year}年度",
        columns=(Column("序号", "C"), Column("户号", "C"), Column("户主", "C", fill=True), Column("面积（亩）", "R"),
                 Column("应得（元）", "R"), Column("已收（元）", "R"), Column("已转付（元）", "R"),
                 Column("待转付（元）", "R")),
        rows=rows,
        total=(("合计", 3), (mu_text(sum(area.values())), 1), *((format_yuan(t), 1) for t in totals)),
        facts=(("涉及合同", f"{len({c.id for _, c in dues})} 份，{len(area)} 户"),),
        notes=notes,
        url=page_url("land", year=year),
        seal_hash=None,
        no_seal_note="土地租金不封签，请以扫码看到的本户明细为准",
        publicity_until=None,
        printed_on=today(),
    )


@blp.route("/villages/<int:village_id>/land-rent.pdf", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(LandRentSheetArgs, location="query")
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
@replica_read
def land_rent_pdf(args: dict[str, Any], village_id: int) -> Response:
    """打印某年度土地流转租金到户公示（A4 PDF）：各户面积、应得、已收、已转付、待转付，附签字盖章处和小程序二维码。"""
    village = registry.get_village(village_id)
    return send_sheet(board_pdf(land_rent_sheet(village_id, args["year"])),
                      f"{village.code}-{args['year']}-land-rent.pdf")
