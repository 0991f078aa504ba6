"""Public-benefit job endpoints (docs/api.md "Public-benefit jobs" and ``GET /me/job-applications``).

Villagers see open postings, apply, follow their applications and, once hired, their pay. Staff (``jobs.manage``:
secretary and committee) post, apply on behalf of a villager without a phone, seal the list, announce the seed,
answer objections, confirm hires and record attendance and pay; ``jobs.read`` covers supervisors and the township.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core import objections
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.idempotency import idempotent
from backend.core.money import fen_to_yuan
from backend.core.pagination import PageArgs, page_schema
from backend.core.permissions import current_principal, require, require_login, requires
from backend.core.replica import replica_read
from backend.jobs import service, views
from backend.jobs.models import JobHire, JobObjection, JobPosting
from backend.jobs.schemas import (
    JobApplicantListSchema,
    JobApplicationSchema,
    JobApplyInSchema,
    JobCloseInSchema,
    JobConfirmInSchema,
    JobDrawCheckSchema,
    JobEndInSchema,
    JobHireListSchema,
    JobHireSchema,
    JobMonthArgs,
    JobMonthPaySchema,
    JobPayInSchema,
    JobPayMonthInSchema,
    JobPayMonthSchema,
    JobPaySchema,
    JobPersonArgs,
    JobPersonCheckSchema,
    JobPostingInSchema,
    JobPostingItemSchema,
    JobPostingSchema,
    JobSeedInSchema,
    MyJobApplicationSchema,
    MyJobPaySchema,
)

blp = Blueprint("jobs", __name__, description="公益岗位：发布、报名、封存与抽签、公示、聘用、考勤与工资")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- postings


@blp.route("/villages/<int:village_id>/job-postings", methods=["GET"])
@requires("village.view", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(JobPostingItemSchema))
@blp.doc(security=SECURITY)
def open_postings(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """正在报名的公益岗位。"""
    return views.open_posting_items(village_id, args["page"], args["page_size"])


@blp.route("/villages/<int:village_id>/job-postings/all", methods=["GET"])
@requires("village.view", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(JobPostingItemSchema))
@blp.doc(security=SECURITY)
def all_postings(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村全部公益岗位（含已截止、公示中、已聘用），最新的在前。"""
    return views.posting_items(service.postings_stmt(village_id), args["page"], args["page_size"])


@blp.route("/villages/<int:village_id>/job-postings", methods=["POST"])
@requires("jobs.manage", village="village_id")
@blp.arguments(JobPostingInSchema)
@blp.response(201, JobPostingSchema)
@blp.doc(security=SECURITY)
def create_posting(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """发布公益岗位：类别、岗位数、月工资、聘期（最长按设置，默认一年）、报名时间、年龄和优先群体等条件。"""
    who = require_login()
    p = service.create_posting(registry.get_village(village_id), service.PostingInput(
        title=args["title"], category=args["category"], positions=args["positions"],
        monthly_wage_fen=args["monthly_wage"], apply_from=args["apply_from"], apply_until=args["apply_until"],
        term_months=args["term_months"], duties=args["duties"], place=args["place"], funding=args["funding"],
        min_age=args["min_age"], max_age=args["max_age"], priority_tuopin=args["priority_tuopin"],
        priority_jiance=args["priority_jiance"], priority_only=args["priority_only"],
        one_per_household=args["one_per_household"], exclude_cadre_families=args["exclude_cadre_families"]),
        actor=who)
    db.session.commit()
    return views.posting_detail(p, who)


@blp.route("/job-postings/<int:posting_id>", methods=["GET"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def get_posting(posting: JobPosting) -> dict[str, Any]:
    """一个岗位：条件、我能否报名（及原因）、报名名单（截止后，姓名脱敏）、封存与抽签、公示与异议。"""
    return views.posting_detail(posting, current_principal())


@blp.route("/job-postings/<int:posting_id>/applications", methods=["POST"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@idempotent
@blp.arguments(JobApplyInSchema)
@blp.response(201, JobApplicationSchema)
@blp.doc(security=SECURITY)
def apply(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """报名。不符合条件返回 403 job.not_eligible 及原因；重复报名 409 job.already_applied；不在报名时间 409 job.closed。
    替没有手机的村民报名不在这里：走“代办”（POST /villages/{id}/assisted-entries，监督委员会成员会签后才记录），
    工作人员在这里填别人的 person_id 返回 409 job.use_assisted。"""
    who = require_login()
    if args["person_id"] is not None and args["person_id"] != who.person_id:
        # an application for someone else is the staff's, and is recorded only with a co-signature
        # (backend/assisted, issue 18): a villager gets 403 as before, the staff are pointed to 代办
        require("jobs.manage", village_id=posting.village_id)
        raise conflict("job.use_assisted",
                       "替没有手机的村民报名，请在“代办（无手机成员）”中录入，经村务监督委员会成员会签后才记录")
    a = service.apply(posting, who.person_id, note=args["note"], actor=who)
    db.session.commit()
    return views.application_view(a)


@blp.route("/job-postings/<int:posting_id>/seal", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def seal_applicants(posting: JobPosting) -> dict[str, Any]:
    """报名截止后封存报名名单（入封存链），之后才能公布抽签种子。"""
    who = require_login()
    service.seal_applicants(posting, actor=who)
    db.session.commit()
    return views.posting_detail(posting, who)


@blp.route("/job-postings/<int:posting_id>/draw", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobSeedInSchema)
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def draw(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """公布种子并抽签：优先群体在前，同组按种子和回执号确定顺序，前 N 名拟聘用并开始公示。任何人可按公开算法复算。"""
    who = require_login()
    service.announce_seed(posting, args["seed"], args["source"], actor=who)
    db.session.commit()
    return views.posting_detail(posting, who)


objections.add_routes(blp, objections.ObjectionRoutes(
    subject=JobPosting, raise_url="/job-postings/<int:posting_id>/objections",
    raise_view=("object_to", "公示期内对拟聘名单提出异议。"), raise_objection=service.raise_objection,
    objection=JobObjection, answer_url="/job-objections/<int:job_objection_id>/answer",
    answer_view=("answer", "答复异议。"), answer_objection=service.answer_objection, manage="jobs.manage"))


# ---------------------------------------------------------------- hiring, attendance and pay


@blp.route("/job-postings/<int:posting_id>/hires", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobConfirmInSchema)
@blp.response(201, JobHireListSchema)
@blp.doc(security=SECURITY)
def confirm(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """公示期满、异议答复后确认聘用，签订劳务协议（聘期不超过岗位聘期）。"""
    hires = service.confirm_hires(posting, args["start_on"], actor=require_login())
    db.session.commit()
    return {"items": views.hire_views(hires)}


@blp.route("/job-postings/<int:posting_id>/hires", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, JobHireListSchema)
@blp.doc(security=SECURITY)
def hires(posting: JobPosting) -> dict[str, Any]:
    """岗位的聘用人员。"""
    return {"items": views.hire_views(service.hires_of(posting))}


@blp.route("/job-postings/<int:posting_id>/selected.xlsx", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def selected_xlsx(posting: JobPosting) -> Response:
    """导出拟聘用（已聘用）名单 .xlsx，附报名名单封存哈希和抽签种子。"""
    return send_file(io.BytesIO(views.selected_xlsx(posting)), as_attachment=True,
                     download_name=f"job-{posting.id}-selected.xlsx", mimetype=XLSX)


@blp.route("/job-hires/<int:hire_id>/end", methods=["POST"])
@requires("jobs.manage", obj=(JobHire, "hire_id"))
@blp.arguments(JobEndInSchema)
@blp.response(200, JobHireSchema)
@blp.doc(security=SECURITY)
def end(args: dict[str, Any], hire: JobHire) -> dict[str, Any]:
    """终止聘用（不履职、入学参军、户口迁出、长期外出等），写明原因。"""
    h = service.end_hire(hire, args["on"], args["reason"], actor=require_login())
    db.session.commit()
    return views.hire_views([h])[0]


@blp.route("/job-hires/<int:hire_id>/pay", methods=["POST"])
@requires("jobs.manage", obj=(JobHire, "hire_id"))
@blp.arguments(JobPayInSchema)
@blp.response(201, JobPaySchema)
@blp.doc(security=SECURITY)
def record_pay(args: dict[str, Any], hire: JobHire) -> dict[str, Any]:
    """登记某月出勤和应发工资（每人每月一条）。"""
    row = service.record_pay(hire, args["month"], args["days_worked"], args["amount"], score=args["score"],
                             note=args["note"], actor=require_login())
    db.session.commit()
    return views.pay_view(row)


@blp.route("/villages/<int:village_id>/job-pay", methods=["POST"])
@requires("jobs.manage", village="village_id")
@blp.arguments(JobPayMonthInSchema)
@blp.response(200, JobPayMonthSchema)
@blp.doc(security=SECURITY)
def pay_month(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """发放某月公益岗位工资：未发放的都记为已发放，记公益支出凭证；重复提交不会重复发放。"""
    n, total = service.pay_month(registry.get_village(village_id), args["month"], args["paid_on"], args["method"],
                                 actor=require_login())
    db.session.commit()
    return {"month": args["month"], "records": n, "total": fen_to_yuan(total)}


@blp.route("/villages/<int:village_id>/job-pay.xlsx", methods=["GET"])
@requires("jobs.read", village="village_id")
@blp.arguments(JobMonthArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def pay_sheet(args: dict[str, Any], village_id: int) -> Response:
    """导出某月公益岗位考勤及工资表 .xlsx。"""
    village = registry.get_village(village_id)
    month = args["month"] or today().strftime("%Y-%m")
    return send_file(io.BytesIO(views.pay_sheet_xlsx(village, month)), as_attachment=True,
                     download_name=f"{village.code}-job-pay-{month}.xlsx", mimetype=XLSX)


# ---------------------------------------------------------------- a villager's own


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    start = (args["page"] - 1) * args["page_size"]
    return {"items": items[start : start + args["page_size"]], "total": len(items), "page": args["page"],
            "page_size": args["page_size"]}


@blp.route("/me/job-applications", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MyJobApplicationSchema))
@blp.doc(security=SECURITY)
def my_applications(args: dict[str, Any]) -> dict[str, Any]:
    """我的公益岗位报名及结果。"""
    return _page(views.my_application_views(require_login().person_id), args)


@blp.route("/me/job-pay", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MyJobPaySchema))
@blp.doc(security=SECURITY)
def my_pay(args: dict[str, Any]) -> dict[str, Any]:
    """我的公益岗位工资：每月出勤、应发、发放日期。"""
    return _page(views.my_pay_views(require_login().person_id), args)


# ---------------------------------------------------------------- the staff's console


@blp.route("/job-postings/<int:posting_id>/close", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobCloseInSchema)
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def close(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """提前截止报名（写明原因，记入审计日志），之后可以封存名单。报名还没开始或已经截止的，不能再截止。"""
    who = require_login()
    service.close_applications(posting, args["reason"], actor=who)
    db.session.commit()
    return views.posting_detail(posting, who)


@blp.route("/job-postings/<int:posting_id>/applicants", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, JobApplicantListSchema)
@blp.doc(security=SECURITY)
def applicants(posting: JobPosting) -> dict[str, Any]:
    """报名人员（工作人员看）：姓名、身份证后4位、户号、年龄、优先群体、符合哪些条件；封存前按今天重新核对。"""
    return {"items": views.applicant_checks(posting)}


@blp.route("/job-postings/<int:posting_id>/eligibility", methods=["GET"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobPersonArgs, location="query")
@blp.response(200, JobPersonCheckSchema)
@blp.doc(security=SECURITY)
def check_person(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """核对某个村民能否报名这个岗位、为什么不能（代没有手机的村民报名前先看）。"""
    return views.person_check(posting, args["person_id"])


@blp.route("/job-postings/<int:posting_id>/draw/check", methods=["GET"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@blp.response(200, JobDrawCheckSchema)
@blp.doc(security=SECURITY)
def check_draw(posting: JobPosting) -> dict[str, Any]:
    """复核抽签：按封存的报名名单（先核对封存哈希）和公布的种子，用公开算法重新计算顺序，说明是否与公布结果一致。本村任何人可查。"""
    return views.draw_check(posting)


@blp.route("/villages/<int:village_id>/job-pay", methods=["GET"])
@requires("jobs.read", village="village_id")
@blp.arguments(JobMonthArgs, location="query")
@blp.response(200, JobMonthPaySchema)
@blp.doc(security=SECURITY)
def month_pay(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """某月考勤和工资（不填月份为本月）：该月在聘的每个人，已登记的出勤天数和应发金额、是否已发放；还没登记的也列出。"""
    return views.month_pay(registry.get_village(village_id), args["month"] or today().strftime("%Y-%m"))
