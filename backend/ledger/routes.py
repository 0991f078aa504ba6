"""Books endpoints: chart of accounts, vouchers, month closing, the voucher import."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core import errors
from backend.core.clock import today
from backend.core.db import db
from backend.core.pagination import page_schema
from backend.core.permissions import require_login, requires
from backend.ledger import decision_cap, import_template, months, service, voucher_import
from backend.ledger.models import Voucher
from backend.ledger.schemas import (
    PERIOD_RE,
    AccountSchema,
    BooksMonthSchema,
    DecisionBudgetSchema,
    PeriodSchema,
    ReverseSchema,
    SubAccountInSchema,
    VoucherInSchema,
    VoucherListArgs,
    VoucherSchema,
)

blp = Blueprint("ledger", __name__, description="集体经济组织账务：科目、凭证、结账（会计、书记、代理会计）")
SECURITY = [{"bearer": []}]


def _input(args: dict[str, Any]) -> service.VoucherInput:
    return service.VoucherInput(
        voucher_date=args["voucher_date"],
        summary=args["summary"],
        decision_ref=args.get("decision_ref"),
        attachments=args.get("attachments", []),
        lines=[
            service.LineInput(ln["account_code"], ln["debit"], ln["credit"], ln.get("summary")) for ln in args["lines"]
        ],
    )


@blp.route("/villages/<int:village_id>/ledger/accounts", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.response(200, AccountSchema(many=True))
@blp.doc(security=SECURITY)
def list_accounts(village_id: int) -> list[Any]:
    """科目表（2023 年农村集体经济组织会计制度的 42 个一级科目及本村明细科目）。"""
    found, added = service.accounts_with_chart(village_id)
    if added:
        db.session.commit()
    return found


@blp.route("/villages/<int:village_id>/ledger/accounts", methods=["POST"])
@requires("ledger.write", village="village_id")
@blp.arguments(SubAccountInSchema)
@blp.response(201, AccountSchema)
@blp.doc(security=SECURITY)
def add_subaccount(args: dict[str, Any], village_id: int) -> Any:
    """增设明细科目（如 501002 租赁收入）。"""
    village = registry.get_village(village_id)
    service.ensure_chart(village)
    acc = service.add_subaccount(
        village, args["parent_code"], args["code"], args["name"], category=args.get("category"), actor=require_login()
    )
    db.session.commit()
    return acc


@blp.route("/villages/<int:village_id>/vouchers", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(VoucherListArgs, location="query")
@blp.response(200, page_schema(VoucherSchema))
@blp.doc(security=SECURITY)
def list_vouchers(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """凭证列表，可按月份和状态筛选。"""
    return service.vouchers_page(
        village_id, args.get("period"), args.get("status"), args["page"], args["page_size"]
    ).envelope()


@blp.route("/villages/<int:village_id>/vouchers", methods=["POST"])
@requires("ledger.write", village="village_id")
@blp.arguments(VoucherInSchema)
@blp.response(201, VoucherSchema)
@blp.doc(security=SECURITY)
def create_voucher(args: dict[str, Any], village_id: int) -> Any:
    """新建凭证草稿（借贷必须相等）。"""
    village = registry.get_village(village_id)
    service.ensure_chart(village)
    v = service.create_voucher(village, _input(args), actor=require_login())
    db.session.commit()
    return service.with_lines(v)


@blp.route("/vouchers/<int:voucher_id>", methods=["GET"])
@requires("ledger.read", obj=(Voucher, "voucher_id"))
@blp.response(200, VoucherSchema)
@blp.doc(security=SECURITY)
def get_voucher(voucher: Voucher) -> Any:
    """一张凭证及其分录。"""
    return service.with_lines(voucher)


@blp.route("/vouchers/<int:voucher_id>", methods=["PUT"])
@requires("ledger.write", obj=(Voucher, "voucher_id"))
@blp.arguments(VoucherInSchema)
@blp.response(200, VoucherSchema)
@blp.doc(security=SECURITY)
def update_voucher(args: dict[str, Any], voucher: Voucher) -> Any:
    """修改凭证草稿（已记账的凭证不能修改）。"""
    service.update_draft(voucher, _input(args), actor=require_login())
    db.session.commit()
    return service.with_lines(voucher)


@blp.route("/vouchers/<int:voucher_id>", methods=["DELETE"])
@requires("ledger.write", obj=(Voucher, "voucher_id"))
@blp.response(204)
@blp.doc(security=SECURITY)
def delete_voucher(voucher: Voucher) -> None:
    """删除凭证草稿。"""
    service.delete_draft(voucher, actor=require_login())
    db.session.commit()


@blp.route("/vouchers/<int:voucher_id>/post", methods=["POST"])
@requires("ledger.write", obj=(Voucher, "voucher_id"))
@blp.response(200, VoucherSchema)
@blp.doc(security=SECURITY)
def post_voucher(voucher: Voucher) -> Any:
    """记账：编号（每村每月连续），此后不能修改。大额支出须注明已通过的决议。"""
    service.post_voucher(voucher, actor=require_login())
    db.session.commit()
    return service.with_lines(voucher)


@blp.route("/vouchers/<int:voucher_id>/reverse", methods=["POST"])
@requires("ledger.write", obj=(Voucher, "voucher_id"))
@blp.arguments(ReverseSchema)
@blp.response(201, VoucherSchema)
@blp.doc(security=SECURITY)
def reverse_voucher(args: dict[str, Any], voucher: Voucher) -> Any:
    """冲销已记账的凭证：生成一张方向相反、指向原凭证的新凭证。"""
    rev = service.reverse_voucher(voucher, args["date"], args["reason"], actor=require_login())
    db.session.commit()
    return service.with_lines(rev)


@blp.route("/villages/<int:village_id>/periods", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.response(200, PeriodSchema(many=True))
@blp.doc(security=SECURITY)
def list_periods(village_id: int) -> list[dict[str, Any]]:
    """已结账的月份，以及有凭证但未结账的月份。"""
    return service.periods(village_id)


@blp.route("/villages/<int:village_id>/periods/<period>/close", methods=["POST"])
@requires("ledger.write", village="village_id")
@blp.response(200, PeriodSchema)
@blp.doc(security=SECURITY)
def close_period(village_id: int, period: str) -> dict[str, Any]:
    """结账：该月冻结，此后不能再记入该月。"""
    if not PERIOD_RE.match(period):
        raise errors.unprocessable("validation.failed", "月份格式应为 YYYY-MM")
    service.close_period(registry.get_village(village_id), period, actor=require_login())
    db.session.commit()
    return {"period": period, "closed": True}


@blp.route("/villages/<int:village_id>/ledger/months", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.response(200, BooksMonthSchema(many=True))
@blp.doc(security=SECURITY)
def list_months(village_id: int) -> list[dict[str, Any]]:
    """月结：各月份的凭证张数、草稿张数、是否已结账，以及下一个应结账的月份（即使还没有凭证）。"""
    return months.months_overview(village_id, today())


@blp.route("/villages/<int:village_id>/ledger/decision-budgets", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.response(200, DecisionBudgetSchema(many=True))
@blp.doc(security=SECURITY)
def decision_budgets(village_id: int) -> list[dict[str, Any]]:
    """本村已通过的四议两公开决议（凭证可注明的依据）：批准金额、已支出（已冲销的不计）、尚可支出。"""
    return decision_cap.decision_budgets(village_id)


# ---------------------------------------------------------------- import


@blp.route("/villages/<int:village_id>/vouchers/import", methods=["POST"])
@requires("ledger.write", village="village_id")
@blp.response(200, voucher_import.VoucherImportReportSchema)
@blp.doc(
    security=SECURITY,
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"}},
                }
            }
        }
    },
)
def import_vouchers(village_id: int) -> Any:
    """导入凭证 .xlsx（每行一条分录，按凭证号归为一张凭证）：有任何一行出错则整份不导入，并列出每行的错误。"""
    p = require_login()
    upload = request.files.get("file")
    if upload is None:
        raise errors.unprocessable("ledger.import_file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes")
    return voucher_import.import_vouchers(registry.get_village(village_id), upload.stream, actor=p, dry_run=dry_run)


@blp.route("/villages/<int:village_id>/vouchers/template.xlsx", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
@blp.doc(security=SECURITY)
def voucher_template(village_id: int) -> Response:
    """凭证导入模板 .xlsx：导入所读的各列，另附填写说明和示例。"""
    village = registry.get_village(village_id)
    return send_file(
        import_template.template(),
        as_attachment=True,
        download_name=f"{village.code}-voucher-template.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
