"""Dividend endpoints: the share register, the distribution plan and its list, publication, objections, payout,
and a villager's own dividends (docs/api.md ``GET /me/dividends``).

Staff (``dividends.read``) see every plan and every line in full; everyone else in the village sees published
plans only, with the list's names and ID numbers masked; a household sees its own line in full.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from backend import decisions, registry
from backend.core import objections
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import not_found, unprocessable
from backend.core.idempotency import OPENAPI_PARAMETER, key_from_request
from backend.core.money import fen_to_yuan
from backend.core.pagination import page_schema, paginate
from backend.core.permissions import Principal, current_principal, require_login, requires
from backend.core.shared_pages import shared_page
from backend.core.tenancy import get_in_village
from backend.dividends import computing, payout, plans, publishing, views
from backend.dividends.models import Distribution, DividendObjection, ShareType
from backend.dividends.schemas import (
    ApprovingDecisionListSchema,
    BatchListSchema,
    CancelInSchema,
    ComputeInSchema,
    DistributionInSchema,
    DistributionItemSchema,
    DistributionListArgs,
    DividendLineSchema,
    DividendPlanSchema,
    LinesArgs,
    MyDividendSchema,
    PaymentBatchSchema,
    PaymentInSchema,
    PreviewArgs,
    PreviewSchema,
    PublishInSchema,
    StatementSchema,
    TemplateInSchema,
    TemplateSchema,
)
from backend.dividends.shares import service as register
from backend.dividends.shares.schemas import (
    CertificateInSchema,
    CertificateSchema,
    EventInSchema,
    EventListArgs,
    EventSchema,
    HouseholdPickArgs,
    PayeeInSchema,
    PayeeSchema,
    PickHouseholdListSchema,
    RegisterArgs,
    RegisterPageSchema,
    ShareTypeInSchema,
    ShareTypeListSchema,
    ShareTypePatchSchema,
    ShareTypeSchema,
)
from backend.registry import Household

blp = Blueprint("dividends", __name__, description="股权登记与收益分配：股份类型、登记簿、分配方案、分红名单、发放")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(p: Principal | None, village_id: int) -> bool:
    return p is not None and p.can("dividends.read", village_id=village_id)


def _visible(d: Distribution) -> Distribution:
    """Drafts and previews are for staff: to anyone else an unpublished plan does not exist."""
    if d.status in ("draft", "computed", "cancelled") and not _staff(current_principal(), d.village_id):
        raise not_found("dividend.not_found", "找不到该分配方案")
    return d


# ---------------------------------------------------------------- share types


@blp.route("/villages/<int:village_id>/share-types", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.response(200, ShareTypeListSchema)
@blp.doc(security=SECURITY)
def list_share_types(village_id: int) -> dict[str, Any]:
    """本村章程设置的股份类型（成员股、劳龄股、集体股等）及股权管理方式。"""
    village = registry.get_village(village_id)
    return {"items": register.share_types(village_id), "static_shares": register.static_policy(village)}


@blp.route("/villages/<int:village_id>/share-types", methods=["POST"])
@requires("dividends.manage", village="village_id")
@blp.arguments(ShareTypeInSchema)
@blp.response(201, ShareTypeSchema)
@blp.doc(security=SECURITY)
def create_share_type(args: dict[str, Any], village_id: int) -> Any:
    """新增股份类型。"""
    st = register.create_share_type(registry.get_village(village_id), register.ShareTypeInput(**args),
                                    actor=require_login())
    db.session.commit()
    return st


@blp.route("/share-types/<int:type_id>", methods=["PATCH"])
@requires("dividends.manage", obj=(ShareType, "type_id", "share_type"))
@blp.arguments(ShareTypePatchSchema)
@blp.response(200, ShareTypeSchema)
@blp.doc(security=SECURITY)
def update_share_type(args: dict[str, Any], share_type: ShareType) -> Any:
    """修改股份类型的名称、单位、每人配股数、排序或停用（代码和持有方不能改）。"""
    if not args:
        raise unprocessable("validation.empty", "没有要修改的内容")
    st = register.update_share_type(share_type, args, actor=require_login())
    db.session.commit()
    return st


# ---------------------------------------------------------------- the register


@blp.route("/villages/<int:village_id>/share-register", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.arguments(RegisterArgs, location="query")
@blp.response(200, RegisterPageSchema)
@blp.doc(security=SECURITY)
def share_register(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """某一天的股权登记簿（默认今天），按户：股权证号、各类股份、户内成员持股；附登记簿的哈希值。"""
    return register.register_page(village_id, args["on"] or today(), args["page"], args["page_size"])


@blp.route("/villages/<int:village_id>/share-events", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.arguments(EventListArgs, location="query")
@blp.response(200, page_schema(EventSchema))
@blp.doc(security=SECURITY)
def list_share_events(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """股权变动记录（出生、死亡、婚入、婚出、转让、调整），最新的在前；可只看一户的。"""
    household_id = args["household_id"]
    if household_id is not None:
        get_in_village(Household, household_id, village_id)  # another village's household: 404
    page = paginate(db.session, register.events_stmt(village_id, household_id), args["page"], args["page_size"])
    changes = register.event_changes([ev.id for ev in page.items])
    return page.envelope(register.event_views(village_id, page.items, changes))


@blp.route("/villages/<int:village_id>/share-households", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.arguments(HouseholdPickArgs, location="query")
@blp.response(200, PickHouseholdListSchema)
@blp.doc(security=SECURITY)
def pick_households(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """按户号或姓名找户（登记变动、发证时选户用），附户内成员；最多20户。"""
    return {"items": register.share_households(village_id, args["q"])}


@blp.route("/villages/<int:village_id>/share-events", methods=["POST"])
@requires("dividends.manage", village="village_id")
@blp.arguments(EventInSchema)
@blp.response(201, EventSchema)
@blp.doc(security=SECURITY)
def record_share_event(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """登记一次股权变动。静态管理的村，出生、死亡、婚入、婚出只记录不调股；动态管理按每人配股数自动增减。"""
    data = register.EventInput(
        kind=args["kind"], effective_on=args["effective_on"], member_id=args["member_id"], note=args["note"],
        changes=[register.ChangeInput(**c) for c in args["changes"]],
    )
    ev = register.record_event(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return register.event_view(ev, register.event_changes([ev.id]).get(ev.id, []))


@blp.route("/households/<int:household_id>/share-certificate", methods=["PUT"])
@requires("dividends.manage", obj=(Household, "household_id"))
@blp.arguments(CertificateInSchema)
@blp.response(200, CertificateSchema)
@blp.doc(security=SECURITY)
def put_certificate(args: dict[str, Any], household: Household) -> Any:
    """发放或更正一户的股权证号（以户为单位发证）。"""
    cert = register.set_certificate(registry.get_village(household.village_id), household.id, args["number"],
                                    args["issued_on"], actor=require_login())
    db.session.commit()
    return cert


@blp.route("/households/<int:household_id>/payee-account", methods=["PUT"])
@requires("dividends.manage", obj=(Household, "household_id"))
@blp.arguments(PayeeInSchema)
@blp.response(200, PayeeSchema)
@blp.doc(security=SECURITY)
def put_payee(args: dict[str, Any], household: Household) -> dict[str, Any]:
    """登记一户领取分红的银行账户（用于银行代发）。"""
    row = register.set_payee(registry.get_village(household.village_id), household.id, args["account_name"],
                             args["bank_name"], args["account_no"], actor=require_login())
    db.session.commit()
    return {"household_id": row.household_id, "account_name": row.account_name, "bank_name": row.bank_name,
            "account_no": register.mask_account(row.account_no)}


# ---------------------------------------------------------------- the split of distributable income


def _buckets(items: list[dict[str, Any]]) -> list[plans.BucketInput]:
    return [plans.BucketInput(name=b["name"], kind=b["kind"], percent_bp=int(b["percent"] * 100),
                              purpose=b["purpose"], account_code=b["account_code"]) for b in items]


@blp.route("/villages/<int:village_id>/dividend-template", methods=["GET"])
@requires("village.view", village="village_id")
@blp.response(200, TemplateSchema)
@blp.doc(security=SECURITY)
def get_template(village_id: int) -> dict[str, Any]:
    """本村按章程的收益分配比例（各项名称、比例、用途、科目）。"""
    return plans.template_view(registry.get_village(village_id))


@blp.route("/villages/<int:village_id>/dividend-template", methods=["PUT"])
@requires("dividends.manage", village="village_id")
@blp.arguments(TemplateInSchema)
@blp.response(200, TemplateSchema)
@blp.doc(security=SECURITY)
def put_template(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """设置本村的收益分配比例：合计须为 100%，留存不低于章程最低比例，至少一项成员分红。"""
    village = registry.get_village(village_id)
    plans.set_bucket_template(village, _buckets(args["buckets"]), actor=require_login())
    db.session.commit()
    return plans.template_view(village)


@blp.route("/villages/<int:village_id>/distribution-preview", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.arguments(PreviewArgs, location="query")
@blp.response(200, PreviewSchema)
@blp.doc(security=SECURITY)
def distribution_preview(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """新建方案前预览：该年度可分配收益，按本村分配比例各项各得多少（最大余额法，合计恰好等于可分配收益）。"""
    village = registry.get_village(village_id)
    p = computing.split_preview(village_id, args["year"], args["excluded"])
    return {
        "year": p.year, "available": fen_to_yuan(p.base_fen), "excluded": fen_to_yuan(p.excluded_fen),
        "distributable": fen_to_yuan(p.distributable_fen), "can_distribute": p.distributable_fen > 0,
        "buckets": [{"name": b.name, "kind": b.kind, "percent": plans.percent_text(b.percent_bp),
                     "percent_bp": b.percent_bp, "purpose": b.purpose, "account_code": b.account_code,
                     "amount": fen_to_yuan(a)} for b, a in zip(p.buckets, p.amounts, strict=True)],
        "dividend_pool": fen_to_yuan(p.dividend_fen),
        "min_retain_percent": plans.template_view(village)["min_retain_percent"],
    }


@blp.route("/villages/<int:village_id>/distribution-decisions", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.response(200, ApprovingDecisionListSchema)
@blp.doc(security=SECURITY)
def approving_decisions(village_id: int) -> dict[str, Any]:
    """可作为分配方案依据的决议：本村成员大会或成员代表大会已通过的决议，最新的在前（公布时按标题选）。"""
    return {"items": [{"id": r.id, "title": r.title, "resolved_on": r.resolved_on, "body": r.body,
                       "body_label": decisions.BODIES[r.body].label if r.body in decisions.BODIES else "",
                       "amount": fen_to_yuan(r.amount_fen) if r.amount_fen is not None else None}
                      for r in publishing.approving_decisions(village_id)]}


# ---------------------------------------------------------------- plans


@blp.route("/villages/<int:village_id>/distributions", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(DistributionListArgs, location="query")
@blp.response(200, page_schema(DistributionItemSchema))
@blp.doc(security=SECURITY)
def list_distributions(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的收益分配方案，最新的在前（村民只看到已公布的）。"""
    staff = _staff(current_principal(), village_id)
    page = paginate(db.session, plans.list_stmt(village_id, published_only=not staff), args["page"],
                    args["page_size"])
    return page.envelope(views.distribution_items(page.items))


@blp.route("/villages/<int:village_id>/distributions", methods=["POST"])
@requires("dividends.manage", village="village_id")
@blp.arguments(DistributionInSchema)
@blp.response(201, DividendPlanSchema)
@blp.doc(security=SECURITY)
def create_distribution(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """新建一个年度的收益分配方案：各项分配比例（不填用本村设置）和分红方式（固定分红、按股分红）。"""
    data = plans.DistributionInput(
        year=args["year"], title=args["title"],
        components=[plans.ComponentInput(kind=c["kind"], label=c["label"], share_type_id=c["share_type_id"],
                                         per_unit_fen=c["per_unit"]) for c in args["components"]],
        buckets=_buckets(args["buckets"]) if args["buckets"] is not None else None,
        excluded_fen=args["excluded"], excluded_note=args["excluded_note"],
        dividend_total_fen=args["dividend_total"], record_date=args["record_date"], decision_id=args["decision_id"],
    )
    d = plans.create_distribution(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return views.distribution_view(d, staff=True)


@blp.route("/distributions/<int:distribution_id>", methods=["GET"])
@requires("village.view", obj=(Distribution, "distribution_id"))
@blp.response(200, DividendPlanSchema)
@blp.doc(security=SECURITY)
def get_distribution(distribution: Distribution) -> dict[str, Any]:
    """一个分配方案：可分配收益、各项分配金额、分红方式和每股金额、公示期、封存哈希、异议及答复。"""
    d = _visible(distribution)
    me = current_principal()
    return views.distribution_view(d, staff=_staff(me, d.village_id), person_id=me.person_id if me else None)


@blp.route("/distributions/<int:distribution_id>/compute", methods=["POST"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.arguments(ComputeInSchema)
@blp.response(200, DividendPlanSchema)
@blp.doc(security=SECURITY)
def compute(args: dict[str, Any], distribution: Distribution) -> dict[str, Any]:
    """按股权登记日冻结登记簿并计算到户金额（最大余额法，到户金额合计恰好等于分红资金），可反复试算。"""
    d = computing.compute(distribution, args["record_date"], actor=require_login())
    db.session.commit()
    return views.distribution_view(d, staff=True)


@blp.route("/distributions/<int:distribution_id>/lines", methods=["GET"])
@requires("village.view", obj=(Distribution, "distribution_id"))
@blp.arguments(LinesArgs, location="query")
@blp.response(200, page_schema(DividendLineSchema))
@blp.doc(security=SECURITY)
def lines(args: dict[str, Any], distribution: Distribution) -> dict[str, Any]:
    """分红名单：工作人员看完整名单（含试算），masked=true 时看公示的样子；村民看公布后的名单，户主姓名和身份证号
    已脱敏。可按户号、户主、股数、金额排序。"""
    d = _visible(distribution)
    page = paginate(db.session, publishing.lines_stmt(d, args["sort"]), args["page"], args["page_size"])
    if _staff(current_principal(), d.village_id) and not args["masked"]:
        types = views.type_names(d.village_id)
        return page.envelope([views.staff_line(ln, types) for ln in page.items])
    return page.envelope([publishing.public_line(ln) for ln in page.items])


@blp.route("/distributions/<int:distribution_id>/publish", methods=["POST"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.arguments(PublishInSchema)
@blp.response(200, DividendPlanSchema)
@blp.doc(security=SECURITY)
def publish(args: dict[str, Any], distribution: Distribution) -> dict[str, Any]:
    """公布分红名单：须有成员大会或成员代表大会通过的决议；名单封存（哈希入链）并开始公示。"""
    d = publishing.publish(distribution, args["decision_id"], actor=require_login())
    db.session.commit()
    return views.distribution_view(d, staff=True)


@blp.route("/distributions/<int:distribution_id>/cancel", methods=["POST"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.arguments(CancelInSchema)
@blp.response(200, DividendPlanSchema)
@blp.doc(security=SECURITY)
def cancel(args: dict[str, Any], distribution: Distribution) -> dict[str, Any]:
    """作废分配方案（开始发放前）；已公布的名单仍留在封存链中。"""
    d = plans.cancel_distribution(distribution, args["reason"], actor=require_login())
    db.session.commit()
    return views.distribution_view(d, staff=True)


objections.add_routes(blp, objections.ObjectionRoutes(
    subject=Distribution, raise_url="/distributions/<int:distribution_id>/objections",
    raise_view=("raise_objection", "公示期内对分红名单提出异议。"), raise_objection=publishing.raise_objection,
    shown=_visible, objection=DividendObjection, answer_url="/dividend-objections/<int:dividend_objection_id>/answer",
    answer_view=("answer_objection", "答复异议（每条异议答复后才能发放）。"),
    answer_objection=publishing.answer_objection, manage="dividends.manage"))


# ---------------------------------------------------------------- payout


@blp.route("/distributions/<int:distribution_id>/payout", methods=["POST"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.response(200, DividendPlanSchema)
@blp.doc(security=SECURITY)
def open_payout(distribution: Distribution) -> dict[str, Any]:
    """公示期满且异议都已答复后开始发放：记收益分配凭证（提取留存、应付到户）。"""
    d = payout.open_payout(distribution, actor=require_login())
    db.session.commit()
    return views.distribution_view(d, staff=True)


@blp.route("/distributions/<int:distribution_id>/bank-batch.xlsx", methods=["GET"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def bank_batch(distribution: Distribution) -> Response:
    """导出银行代发表（尚未发放、有账户的农户：户名、开户行、账号、金额）；缺少账户的农户列在第二张表。"""
    data, _, _ = payout.bank_batch_xlsx(distribution)
    village = registry.get_village(distribution.village_id)
    return send_file(io.BytesIO(data), as_attachment=True,
                     download_name=f"{village.code}-{distribution.year}-dividends.xlsx",
                     mimetype=XLSX)


@blp.route("/distributions/<int:distribution_id>/payments", methods=["GET"])
@requires("dividends.read", obj=(Distribution, "distribution_id"))
@blp.response(200, BatchListSchema)
@blp.doc(security=SECURITY)
def list_payments(distribution: Distribution) -> dict[str, Any]:
    """发放记录：分配凭证和每一笔发放登记（方式、日期、户数、金额）及其记账凭证（凭证号、日期）。"""
    return payout.batches_view(distribution)


@blp.route("/distributions/<int:distribution_id>/payments", methods=["POST"])
@requires("dividends.manage", obj=(Distribution, "distribution_id"))
@blp.arguments(PaymentInSchema)
@blp.response(201, PaymentBatchSchema)
@blp.alt_response(200, schema=PaymentBatchSchema, description="同一幂等键的重复请求：返回第一次的结果")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def record_payments(args: dict[str, Any], distribution: Distribution) -> Any:
    """登记发放（银行代发回单或现金发放）并记账；任何一户已发放则整笔不登记。支持 Idempotency-Key 安全重试。"""
    key = key_from_request()
    data = payout.PaymentInput(household_ids=args["household_ids"], method=args["method"], paid_on=args["paid_on"],
                               reference=args["reference"])
    result = payout.record_payments(distribution, data, idempotency_key=key, actor=require_login())
    db.session.commit()
    b = result.batch
    body = {"id": b.id, "method": b.method, "paid_on": b.paid_on, "reference": b.reference, "count": b.count,
            "total": fen_to_yuan(b.total_fen), "voucher_id": b.voucher_id, "replayed": result.replayed}
    return (body, 200) if result.replayed else body


# ---------------------------------------------------------------- a villager's own dividends


@blp.route("/me/dividends", methods=["GET"])
@requires(None)
@blp.arguments(DistributionListArgs, location="query")
@blp.response(200, page_schema(MyDividendSchema))
@blp.doc(security=SECURITY)
def my_dividends(args: dict[str, Any]) -> dict[str, Any]:
    """我家的分红：每次分配的每股金额、我家股数、金额、是否已发放，最新的在前。"""
    return views.my_dividends(require_login().household_id, args["page"], args["page_size"])


@blp.route("/me/dividends/<int:distribution_id>", methods=["GET"])
@requires(None)
@blp.response(200, StatementSchema)
@blp.doc(security=SECURITY)
def my_statement(distribution_id: int) -> dict[str, Any]:
    """我家在一次分配中的明细：各类股份、户内成员持股、每股金额、合计、发放日期。"""
    me = require_login()
    return views.my_statement(distribution_id, me.household_id, me.person_id)
