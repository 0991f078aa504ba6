"""Public-benefit job endpoints (contract: shared/API.md "Public-benefit jobs" and ``GET /me/job-applications``).

Villagers see open postings, apply, follow their applications and, once hired, their pay. Staff (``jobs.manage``:
secretary and committee) post, apply on behalf of a villager without a phone, seal the list, announce the seed,
answer objections, confirm hires and record attendance and pay; ``jobs.read`` covers supervisors and the township.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint
from marshmallow import fields

from backend.core import objections
from backend.core.clock import to_iso, today
from backend.core.db import db
from backend.core.money import fen_to_yuan
from backend.core.objections import PublicObjectionSchema
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import current_principal, require, require_login, requires
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_
from backend.jobs import service
from backend.jobs.models import CATEGORIES, JobHire, JobObjection, JobPosting
from backend.registry import service as registry

blp = Blueprint("jobs", __name__, description="公益岗位：发布、报名、封存与抽签、公示、聘用、考勤与工资")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- schemas


class JobPostingInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 60))
    category = Text(required=True, validate=one_of(CATEGORIES))
    positions = fields.Integer(required=True, validate=range_(1, 500))
    monthly_wage = Yuan(required=True)
    apply_from = IsoDateTime(required=True)
    apply_until = IsoDateTime(required=True)
    term_months = fields.Integer(load_default=None, allow_none=True, validate=range_(1, 36))
    duties = Text(load_default=None, allow_none=True, validate=length(max=2000))
    place = Text(load_default=None, allow_none=True, validate=length(max=120))
    funding = Text(load_default=None, allow_none=True, validate=length(max=60),
                   metadata={"description": "资金来源：衔接资金、光伏收益、集体收入等"})
    min_age = fields.Integer(load_default=None, allow_none=True, validate=range_(16, 80))
    max_age = fields.Integer(load_default=None, allow_none=True, validate=range_(16, 80))
    priority_tuopin = fields.Boolean(load_default=True)
    priority_jiance = fields.Boolean(load_default=True)
    priority_only = fields.Boolean(load_default=False, metadata={"description": "只面向优先群体（如光伏收益岗位）"})
    one_per_household = fields.Boolean(load_default=None, allow_none=True)
    exclude_cadre_families = fields.Boolean(load_default=None, allow_none=True)


class JobPostingItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    category = fields.String()
    positions = fields.Integer()
    monthly_wage = fields.String()
    apply_from = fields.String()
    apply_until = fields.String()
    status = fields.String()
    status_label = fields.String()


class JobApplicantSchema(BaseSchema):
    receipt = fields.String()
    name = fields.String()
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    status = fields.String()
    rank = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    assisted = fields.Boolean()


class JobDrawSchema(BaseSchema):
    list_hash = fields.String()
    sealed_at = fields.String()
    seed = fields.String(allow_none=True)
    seed_source = fields.String(allow_none=True)
    seed_at = fields.String(allow_none=True)
    order = fields.List(fields.String(), metadata={"description": "抽签结果（报名回执号顺序）"})
    algorithm = fields.String()


class JobPostingSchema(JobPostingItemSchema):
    term_months = fields.Integer()
    duties = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    funding = fields.String(allow_none=True)
    min_age = fields.Integer()
    max_age = fields.Integer()
    priority_groups = fields.List(fields.String())
    priority_only = fields.Boolean()
    one_per_household = fields.Boolean()
    exclude_cadre_families = fields.Boolean()
    applications = fields.Integer()
    applicants = fields.List(fields.Nested(JobApplicantSchema))
    draw = fields.Nested(JobDrawSchema, allow_none=True)
    publicity_until = fields.Date(allow_none=True)
    objections = fields.List(fields.Nested(PublicObjectionSchema))
    eligibility = fields.Dict(allow_none=True, metadata={"description": "当前用户能否报名及原因"})


class JobApplyInSchema(BaseSchema):
    note = Text(load_default=None, allow_none=True, validate=length(max=500))
    person_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "工作人员代没有手机的村民报名时填写"})


class JobApplicationSchema(BaseSchema):
    id = fields.Integer()
    posting_id = fields.Integer()
    receipt = fields.String()
    status = fields.String()
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    assisted = fields.Boolean()


class JobSeedInSchema(BaseSchema):
    seed = Text(required=True, validate=length(1, 200), metadata={"description": "公开产生的种子，如现场摇号结果"})
    source = Text(load_default=None, allow_none=True, validate=length(max=200))


class JobTextInSchema(BaseSchema):
    text = Text(required=True, validate=length(1, 2000))


class JobAnswerInSchema(BaseSchema):
    answer = Text(required=True, validate=length(1, 2000))


class JobConfirmInSchema(BaseSchema):
    start_on = fields.Date(required=True)


class JobHireSchema(BaseSchema):
    id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    start_on = fields.Date()
    end_on = fields.Date()
    monthly_wage = fields.String()
    agreement_no = fields.String(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)


class JobHireListSchema(BaseSchema):
    items = fields.List(fields.Nested(JobHireSchema))


class JobEndInSchema(BaseSchema):
    on = fields.Date(required=True)
    reason = Text(required=True, validate=length(1, 200))


class JobPayInSchema(BaseSchema):
    month = Text(required=True, validate=length(7, 7), metadata={"description": "YYYY-MM"})
    days_worked = fields.Integer(required=True, validate=range_(0, 31))
    score = fields.Integer(load_default=None, allow_none=True, validate=range_(0, 100))
    amount = Yuan(load_default=None, allow_none=True, metadata={"description": "不填按月工资全额"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200))


class JobPaySchema(BaseSchema):
    id = fields.Integer()
    month = fields.String()
    days_worked = fields.Integer()
    score = fields.Integer(allow_none=True)
    amount = fields.String()
    paid_on = fields.Date(allow_none=True)


class JobPayMonthInSchema(BaseSchema):
    month = Text(required=True, validate=length(7, 7))
    paid_on = fields.Date(required=True)
    method = Text(load_default="bank", validate=one_of(("bank", "cash"), {"bank": "银行", "cash": "现金"}))


class JobPayMonthSchema(BaseSchema):
    month = fields.String()
    records = fields.Integer()
    total = fields.String()


class JobMonthArgs(BaseSchema):
    month = Text(load_default=None, validate=length(7, 7), metadata={"description": "YYYY-MM，默认本月"})


class MyJobApplicationSchema(BaseSchema):
    id = fields.Integer()
    posting = fields.Dict(metadata={"description": '{"id", "title"}'})
    receipt = fields.String(metadata={"description": "报名回执号（抽签用，公开）：答复丢失后重新打开也能看到"})
    status = fields.String()
    status_label = fields.String()
    updated_at = fields.String()


class MyJobPaySchema(BaseSchema):
    posting = fields.Dict()
    month = fields.String()
    days_worked = fields.Integer()
    amount = fields.String()
    paid_on = fields.Date(allow_none=True)


# ---------------------------------------------------------------- views


def _staff(village_id: int) -> bool:
    p = current_principal()
    return p is not None and p.can("jobs.read", village_id=village_id)


def _detail(p: JobPosting) -> dict[str, Any]:
    staff = _staff(p.village_id)
    d = service.get_draw(p)
    who = current_principal()
    elig = None
    if who is not None and p.status == "open":
        e = service.eligibility(p, who.person_id)
        elig = {"ok": e.ok, "reason": e.reason, "priority": e.priority}
    groups = [g for g, on in (("脱贫户", p.priority_tuopin), ("监测户", p.priority_jiance)) if on]
    out = {
        **service.posting_item(p), "term_months": p.term_months, "duties": p.duties, "place": p.place,
        "funding": p.funding, "min_age": p.min_age, "max_age": p.max_age, "priority_groups": groups,
        "priority_only": p.priority_only, "one_per_household": p.one_per_household,
        "exclude_cadre_families": p.exclude_cadre_families, "applications": service.count_applications(p),
        "applicants": service.applicant_rows(p, staff=staff) if (staff or p.status != "open") else [],
        "draw": None if d is None else {
            "list_hash": d.list_hash, "sealed_at": to_iso(d.sealed_at), "seed": d.seed, "seed_source": d.seed_source,
            "seed_at": to_iso(d.seed_at), "order": [] if d.result is None else json.loads(d.result),
            "algorithm": "按封存名单：优先群体在前，其余在后；各组内按 sha256(种子 + \":\" + 回执号) 的十六进制升序"},
        "publicity_until": p.publicity_until,
        "objections": [objections.view(o, staff=staff) for o in service.objections_of(p)],
        "eligibility": elig,
    }
    return out


# ---------------------------------------------------------------- postings


@blp.route("/villages/<int:village_id>/job-postings", methods=["GET"])
@requires("village.view", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(JobPostingItemSchema))
@blp.doc(security=SECURITY)
def open_postings(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """正在报名的公益岗位。"""
    page = paginate(db.session, service.open_postings_stmt(village_id), args["page"], args["page_size"])
    return page.envelope([service.posting_item(p) for p in page.items])


@blp.route("/villages/<int:village_id>/job-postings/all", methods=["GET"])
@requires("village.view", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(JobPostingItemSchema))
@blp.doc(security=SECURITY)
def all_postings(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村全部公益岗位（含已截止、公示中、已聘用），最新的在前。"""
    page = paginate(db.session, service.postings_stmt(village_id), args["page"], args["page_size"])
    return page.envelope([service.posting_item(p) for p in page.items])


@blp.route("/villages/<int:village_id>/job-postings", methods=["POST"])
@requires("jobs.manage", village="village_id")
@blp.arguments(JobPostingInSchema)
@blp.response(201, JobPostingSchema)
@blp.doc(security=SECURITY)
def create_posting(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """发布公益岗位：类别、岗位数、月工资、聘期（最长按设置，默认一年）、报名时间、年龄和优先群体等条件。"""
    data = service.PostingInput(
        title=args["title"], category=args["category"], positions=args["positions"],
        monthly_wage_fen=args["monthly_wage"], apply_from=args["apply_from"], apply_until=args["apply_until"],
        term_months=args["term_months"], duties=args["duties"], place=args["place"], funding=args["funding"],
        min_age=args["min_age"], max_age=args["max_age"], priority_tuopin=args["priority_tuopin"],
        priority_jiance=args["priority_jiance"], priority_only=args["priority_only"],
        one_per_household=args["one_per_household"], exclude_cadre_families=args["exclude_cadre_families"])
    p = service.create_posting(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return _detail(p)


@blp.route("/job-postings/<int:posting_id>", methods=["GET"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def get_posting(posting: JobPosting) -> dict[str, Any]:
    """一个岗位：条件、我能否报名（及原因）、报名名单（截止后，姓名脱敏）、封存与抽签、公示与异议。"""
    posting_id = posting.id
    return _detail(service.get_posting(posting_id))


@blp.route("/job-postings/<int:posting_id>/applications", methods=["POST"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@blp.arguments(JobApplyInSchema)
@blp.response(201, JobApplicationSchema)
@blp.doc(security=SECURITY)
def apply(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """报名。不符合条件返回 403 job.not_eligible 及原因；重复报名 409 job.already_applied；不在报名时间 409 job.closed。
    工作人员可代没有手机的村民报名（填 person_id，记为代报名）。"""
    posting_id = posting.id
    p = service.get_posting(posting_id)
    who = require_login()
    person_id, assisted = who.person_id, False
    if args["person_id"] is not None and args["person_id"] != who.person_id:
        require("jobs.manage", village_id=p.village_id)
        person_id, assisted = args["person_id"], True
    a = service.apply(p, person_id, note=args["note"], actor=who, assisted=assisted)
    db.session.commit()
    return {"id": a.id, "posting_id": p.id, "receipt": a.receipt, "status": a.status, "priority": a.priority,
            "priority_reason": a.priority_reason, "assisted": assisted}


@blp.route("/job-postings/<int:posting_id>/seal", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def seal_applicants(posting: JobPosting) -> dict[str, Any]:
    """报名截止后封存报名名单（入封存链），之后才能公布抽签种子。"""
    posting_id = posting.id
    p = service.get_posting(posting_id)
    service.seal_applicants(p, actor=require_login())
    db.session.commit()
    return _detail(p)


@blp.route("/job-postings/<int:posting_id>/draw", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobSeedInSchema)
@blp.response(200, JobPostingSchema)
@blp.doc(security=SECURITY)
def draw(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """公布种子并抽签：优先群体在前，同组按种子和回执号确定顺序，前 N 名拟聘用并开始公示。任何人可按公开算法复算。"""
    posting_id = posting.id
    p = service.get_posting(posting_id)
    service.announce_seed(p, args["seed"], args["source"], actor=require_login())
    db.session.commit()
    return _detail(p)


@blp.route("/job-postings/<int:posting_id>/objections", methods=["POST"])
@requires("village.view", obj=(JobPosting, "posting_id"))
@blp.arguments(JobTextInSchema)
@blp.response(201, PublicObjectionSchema)
@blp.doc(security=SECURITY)
def object_to(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """公示期内对拟聘名单提出异议。"""
    posting_id = posting.id
    o = service.raise_objection(service.get_posting(posting_id), args["text"], actor=require_login())
    db.session.commit()
    return objections.view(o, staff=True)


@blp.route("/job-objections/<int:job_objection_id>/answer", methods=["POST"])
@requires("jobs.manage", obj=(JobObjection, "job_objection_id"))
@blp.arguments(JobAnswerInSchema)
@blp.response(200, PublicObjectionSchema)
@blp.doc(security=SECURITY)
def answer(args: dict[str, Any], job_objection: JobObjection) -> dict[str, Any]:
    """答复异议。"""
    job_objection_id = job_objection.id
    o = service.answer_objection(service.get_objection(job_objection_id), args["answer"], actor=require_login())
    db.session.commit()
    return objections.view(o, staff=True)


def _hire_view(h: JobHire) -> dict[str, Any]:
    from backend.registry.models import Person

    person = db.session.get(Person, h.person_id)
    return {"id": h.id, "person_id": h.person_id, "name": person.name if person else "", "start_on": h.start_on,
            "end_on": h.end_on, "monthly_wage": fen_to_yuan(h.monthly_wage_fen), "agreement_no": h.agreement_no,
            "ended_on": h.ended_on, "end_reason": h.end_reason}


@blp.route("/job-postings/<int:posting_id>/hires", methods=["POST"])
@requires("jobs.manage", obj=(JobPosting, "posting_id"))
@blp.arguments(JobConfirmInSchema)
@blp.response(201, JobHireListSchema)
@blp.doc(security=SECURITY)
def confirm(args: dict[str, Any], posting: JobPosting) -> dict[str, Any]:
    """公示期满、异议答复后确认聘用，签订劳务协议（聘期不超过岗位聘期）。"""
    posting_id = posting.id
    hires = service.confirm_hires(service.get_posting(posting_id), args["start_on"], actor=require_login())
    db.session.commit()
    return {"items": [_hire_view(h) for h in hires]}


@blp.route("/job-postings/<int:posting_id>/hires", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, JobHireListSchema)
@blp.doc(security=SECURITY)
def hires(posting: JobPosting) -> dict[str, Any]:
    """岗位的聘用人员。"""
    posting_id = posting.id
    return {"items": [_hire_view(h) for h in service.hires_of(service.get_posting(posting_id))]}


@blp.route("/job-postings/<int:posting_id>/selected.xlsx", methods=["GET"])
@requires("jobs.read", obj=(JobPosting, "posting_id"))
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def selected_xlsx(posting: JobPosting) -> Response:
    """导出拟聘用（已聘用）名单 .xlsx，附报名名单封存哈希和抽签种子。"""
    posting_id = posting.id
    p = service.get_posting(posting_id)
    return send_file(io.BytesIO(service.selected_xlsx(p)), as_attachment=True,
                     download_name=f"job-{p.id}-selected.xlsx", mimetype=XLSX)


@blp.route("/job-hires/<int:hire_id>/end", methods=["POST"])
@requires("jobs.manage", obj=(JobHire, "hire_id"))
@blp.arguments(JobEndInSchema)
@blp.response(200, JobHireSchema)
@blp.doc(security=SECURITY)
def end(args: dict[str, Any], hire: JobHire) -> dict[str, Any]:
    """终止聘用（不履职、入学参军、户口迁出、长期外出等），写明原因。"""
    hire_id = hire.id
    h = service.end_hire(service.get_hire(hire_id), args["on"], args["reason"], actor=require_login())
    db.session.commit()
    return _hire_view(h)


@blp.route("/job-hires/<int:hire_id>/pay", methods=["POST"])
@requires("jobs.manage", obj=(JobHire, "hire_id"))
@blp.arguments(JobPayInSchema)
@blp.response(201, JobPaySchema)
@blp.doc(security=SECURITY)
def record_pay(args: dict[str, Any], hire: JobHire) -> dict[str, Any]:
    """登记某月出勤和应发工资（每人每月一条）。"""
    hire_id = hire.id
    row = service.record_pay(service.get_hire(hire_id), args["month"], args["days_worked"], args["amount"],
                             score=args["score"], note=args["note"], actor=require_login())
    db.session.commit()
    return {"id": row.id, "month": row.month, "days_worked": row.days_worked, "score": row.score,
            "amount": fen_to_yuan(row.amount_fen), "paid_on": row.paid_on}


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
def pay_sheet(args: dict[str, Any], village_id: int) -> Response:
    """导出某月公益岗位考勤及工资表 .xlsx。"""
    village = registry.get_village(village_id)
    month = args["month"] or today().strftime("%Y-%m")
    return send_file(io.BytesIO(service.pay_sheet_xlsx(village, month)), as_attachment=True,
                     download_name=f"{village.code}-job-pay-{month}.xlsx", mimetype=XLSX)


# ---------------------------------------------------------------- a villager's own


@blp.route("/me/job-applications", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MyJobApplicationSchema))
@blp.doc(security=SECURITY)
def my_applications(args: dict[str, Any]) -> dict[str, Any]:
    """我的公益岗位报名及结果。"""
    rows = service.applications_of(require_login().person_id)
    start = (args["page"] - 1) * args["page_size"]
    items = [{"id": a.id, "posting": {"id": p.id, "title": p.title}, "receipt": a.receipt, "status": a.status,
              "status_label": service.APPLICATION_LABELS[a.status], "updated_at": to_iso(a.updated_at)}
             for a, p in rows[start : start + args["page_size"]]]
    return {"items": items, "total": len(rows), "page": args["page"], "page_size": args["page_size"]}


@blp.route("/me/job-pay", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MyJobPaySchema))
@blp.doc(security=SECURITY)
def my_pay(args: dict[str, Any]) -> dict[str, Any]:
    """我的公益岗位工资：每月出勤、应发、发放日期。"""
    rows = service.pay_of_person(require_login().person_id)
    start = (args["page"] - 1) * args["page_size"]
    items = [{"posting": {"id": p.id, "title": p.title}, "month": pay.month, "days_worked": pay.days_worked,
              "amount": fen_to_yuan(pay.amount_fen), "paid_on": pay.paid_on}
             for pay, _h, p in rows[start : start + args["page_size"]]]
    return {"items": items, "total": len(rows), "page": args["page"], "page_size": args["page_size"]}

