"""The township's progress table (挂图作战) as JSON for the mini-program, and the monthly report (按月通报) as .xlsx
and PDF; for the staff console, its villages at a glance, its people, one village's months and the
warnings. Township staff and the township's agency accountants of that township only (``township.view``); the
people pickers need ``township.manage`` (township staff)."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint
from marshmallow import fields

from backend.core.permissions import requires
from backend.core.replica import replica_read
from backend.core.schemas import BaseSchema, range_
from backend.township import console, export, service, warning_store
from backend.township.schemas import (
    MonthsArgs,
    MonthsSchema,
    OverviewSchema,
    TownshipPeopleSchema,
    WarningArgs,
    WarningSchema,
)

blp = Blueprint("township", __name__, description="乡镇：各村集体经济收入进度、排名、考核得分和按月通报",
                cli_group=None)
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProgressArgs(BaseSchema):
    year = fields.Integer(validate=range_(min=1900, max=2999), metadata={"description": "年份，缺省为今年"})
    month = fields.Integer(
        validate=range_(min=1, max=12), metadata={"description": "统计到几月（1—12），缺省为本月（往年为 12 月）"}
    )


class TierSchema(BaseSchema):
    threshold = fields.String(metadata={"description": "档次（元）"})
    met = fields.Boolean()


class VillageProgressSchema(BaseSchema):
    village_id = fields.Integer()
    village_code = fields.String()
    village_name = fields.String()
    total_income = fields.String(metadata={"description": "年初至统计月的集体经济总收入（元）"})
    operating_income = fields.String(metadata={"description": "年初至统计月的经营性收入（元）"})
    target_total = fields.String(metadata={"description": "总收入目标（元）"})
    target_operating = fields.String(metadata={"description": "经营性收入目标（元）"})
    total_met = fields.Boolean()
    operating_met = fields.Boolean()
    tiers = fields.List(fields.Nested(TierSchema))
    rank = fields.Integer(metadata={"description": "按总收入排名，收入相同名次相同"})
    score = fields.Integer(metadata={"description": "考核加分"})
    disclosure_published = fields.Boolean(metadata={"description": "上一期财务公开是否已公开"})
    open_decisions = fields.Integer(metadata={"description": "在办的决策事项"})
    stuck_stages = fields.Integer(metadata={"description": "超过设定天数未推进的环节"})


class SummaryLineSchema(BaseSchema):
    label = fields.String()
    count = fields.Integer()
    share = fields.String(metadata={"example": "21 / 67 = 31.3%"})


class ProgressSummarySchema(BaseSchema):
    villages = fields.Integer()
    total_income = fields.String()
    operating_income = fields.String()
    unpublished = fields.Integer()
    stuck_stages = fields.Integer()
    lines = fields.List(fields.Nested(SummaryLineSchema))


class ProgressSchema(BaseSchema):
    township_id = fields.Integer()
    township_name = fields.String()
    year = fields.Integer()
    month = fields.Integer()
    through = fields.String(metadata={"description": "统计到的月份 YYYY-MM"})
    label = fields.String(metadata={"example": "2026年1—5月"})
    as_of = fields.String(metadata={"description": "截至日期"})
    disclosure_period = fields.String(metadata={"description": "检查的财务公开期间（上一个已结束的季度）"})
    stuck_days = fields.Integer()
    score_rule = fields.String()
    villages = fields.List(fields.Nested(VillageProgressSchema))
    summary = fields.Nested(ProgressSummarySchema)


@blp.route("/townships/<int:township_id>/progress", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, ProgressSchema)
@blp.doc(security=SECURITY)
@replica_read
def progress(args: dict[str, Any], township_id: int) -> dict[str, Any]:
    """各村年初至今的集体经济收入、是否达标、排名、考核得分、上期财务公开和在办事项，以及全镇汇总。"""
    return service.progress_view(service.progress(township_id, args.get("year"), args.get("month")))


def _file(township_id: int, args: dict[str, Any], render: Any, mimetype: str, ext: str) -> Response:
    p = service.progress(township_id, args.get("year"), args.get("month"))
    return send_file(
        io.BytesIO(render(p)), mimetype=mimetype, as_attachment=True, download_name=f"progress-{p.through}.{ext}"
    )


@blp.route("/townships/<int:township_id>/progress.xlsx", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def progress_xlsx(args: dict[str, Any], township_id: int) -> Response:
    """导出按月通报 .xlsx：各村收入进度表和汇总。"""
    return _file(township_id, args, export.progress_xlsx, XLSX, "xlsx")


@blp.route("/townships/<int:township_id>/progress.pdf", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
@replica_read
def progress_pdf(args: dict[str, Any], township_id: int) -> Response:
    """导出按月通报 PDF（A4，可打印张贴）：各村收入进度表和汇总。"""
    return _file(township_id, args, export.progress_pdf, "application/pdf", "pdf")


# ---------------------------------------------------------------- the staff console's township screens


@blp.route("/townships/<int:township_id>/villages/overview", methods=["GET"])
@requires("township.view", township="township_id")
@blp.response(200, OverviewSchema)
@blp.doc(security=SECURITY)
def villages_overview(township_id: int) -> dict[str, Any]:
    """各村概况：在册人数、集体经济组织成员、已绑定微信人数、现任村干部。"""
    return console.overview(township_id)


@blp.route("/townships/<int:township_id>/people", methods=["GET"])
@requires("township.manage", township="township_id")
@blp.response(200, TownshipPeopleSchema)
@blp.doc(security=SECURITY)
def township_people(township_id: int) -> dict[str, Any]:
    """本乡镇可以指定乡镇角色的人：乡镇工作人员、代理会计（供选择）。"""
    return console.people(township_id)


@blp.route("/townships/<int:township_id>/progress/<int:village_id>/months", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(MonthsArgs, location="query")
@blp.response(200, MonthsSchema)
@blp.doc(security=SECURITY)
@replica_read
def village_months(args: dict[str, Any], township_id: int, village_id: int) -> dict[str, Any]:
    """一个村一年中逐月的总收入、经营性收入及累计数（与进度表口径相同）；今年还没到的月份为 null。"""
    return console.months(township_id, village_id, args.get("year"))


@blp.route("/townships/<int:township_id>/warnings", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(WarningArgs, location="query")
@blp.response(200, WarningSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
@blp.doc(security=SECURITY)
@replica_read
def township_warnings(args: dict[str, Any], township_id: int) -> tuple[list[dict[str, Any]], int, dict[str, str]]:
    """待办/预警：各村未消除的预警（按发生时间，最早的在前），每条带中文种类和所指对象的链接；state=closed/all
    看已消除的历史（分页，总数在 X-Total-Count）。数据有变动或到了检查时间时先按规则刷新：原因消失的预警自动消除。"""
    items, total = warning_store.township_warnings(township_id, **_warning_filters(args))
    return items, 200, {"X-Total-Count": str(total)}


@blp.route("/villages/<int:village_id>/warnings", methods=["GET"])
@requires("warnings.read", village="village_id")
@blp.arguments(WarningArgs, location="query")
@blp.response(200, WarningSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
@blp.doc(security=SECURITY)
@replica_read
def village_warnings(args: dict[str, Any], village_id: int) -> tuple[list[dict[str, Any]], int, dict[str, str]]:
    """本村的预警（村干部、会计、监督委员和乡镇）：未消除的，或 state=closed/all 的历史，与乡镇的格式相同。"""
    args.pop("village_id", None)
    items, total = warning_store.village_warnings(village_id, **_warning_filters(args))
    return items, 200, {"X-Total-Count": str(total)}


def _warning_filters(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args[k] for k in ("state", "village_id", "kind", "page", "page_size") if args.get(k) is not None}


# `flask warnings refresh`: the daily run (cron, or the worker each round); the blueprint's commands join the app's
blp.cli.add_command(warning_store.warnings_cli)
