"""合同 register endpoints: every contract of the village in one list (land's transfer and lease contracts beside the
collective's own), the collective's contracts with their schedules, settlements and deposits, and the .xlsx export.

Staff (``assets.read``) see every field; a villager of the village (``village.view``) sees the public fields
(合同公开: number, title, counterparty's name, amount, term, kind). The secretary, the accountant and the township's
agency accountant (``assets.manage``) keep the contracts.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.contracts import imports, service
from backend.contracts.export import import_template, register_xlsx
from backend.contracts.models import CollectiveContract
from backend.contracts.schemas import (
    CollectiveContractInSchema,
    CollectiveContractSchema,
    ContractDecisionChoicesSchema,
    ContractDepositInSchema,
    ContractImportReportSchema,
    ContractRegisterArgs,
    ContractRegisterRowSchema,
    ContractSettleInSchema,
    ContractTerminateInSchema,
)
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.idempotency import OPENAPI_PARAMETER, key_from_request
from backend.core.pagination import page_schema
from backend.core.permissions import require_login, requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page

blp = Blueprint("contracts", __name__, description="合同登记：土地合同与集体的服务、工程、采购、资产出租合同")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _input(args: dict[str, Any]) -> service.ContractInput:
    return service.ContractInput(
        number=args["number"], kind=args["kind"], direction=args["direction"],
        counterparty_name=args["counterparty_name"], counterparty_code=args["counterparty_code"],
        counterparty_phone=args["counterparty_phone"], title=args["title"], asset_id=args["asset_id"],
        total_fen=args["total"], signed_on=args["signed_on"], start_date=args["start_date"],
        end_date=args["end_date"], deposit_fen=args["deposit"], decision_id=args["decision_id"], note=args["note"],
        installments=[service.InstallmentInput(i["due_date"], i["amount"], i["note"]) for i in args["installments"]])


@blp.route("/villages/<int:village_id>/contracts", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(ContractRegisterArgs, location="query")
@blp.response(200, page_schema(ContractRegisterRowSchema))
@blp.doc(security=SECURITY)
def register(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """合同登记簿：本村全部合同（土地流转、集体土地资产出租，以及服务、工程施工、采购、资产出租等），含剩余天数、
    保证金、依据的决议、逾期未结金额。村民只看公开字段（编号、名称、对方名称、金额、期限、类别）。"""
    village = registry.get_village(village_id)
    public = not require_login().can("assets.read", village_id)
    rows = service.register_rows(village_id, today(), public=public)
    rows = service.filter_rows(rows, village, source=args["source"], kind=args["kind"], status=args["status"],
                               expiring=args["expiring"], q=args["q"])
    start = (args["page"] - 1) * args["page_size"]
    return {"items": rows[start:start + args["page_size"]], "total": len(rows), "page": args["page"],
            "page_size": args["page_size"]}


@blp.route("/villages/<int:village_id>/contracts.xlsx", methods=["GET"])
@requires("assets.read", village="village_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def export(village_id: int) -> Response:
    """导出合同登记簿 .xlsx（两类合同一张表）。"""
    village = registry.get_village(village_id)
    data = register_xlsx(village, service.register_rows(village_id, today(), public=False))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"contracts-{village.code}.xlsx",
                     mimetype=XLSX)


@blp.route("/villages/<int:village_id>/contracts/template.xlsx", methods=["GET"])
@requires("assets.manage", village="village_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def template(village_id: int) -> Response:
    """合同表模板 .xlsx（含填写说明和示例），填好后在“导入合同”中导入。"""
    return send_file(io.BytesIO(import_template()), as_attachment=True, download_name="contracts-template.xlsx",
                     mimetype=XLSX)


@blp.route("/villages/<int:village_id>/contract-decisions", methods=["GET"])
@requires("assets.manage", village="village_id")
@blp.response(200, ContractDecisionChoicesSchema)
@blp.doc(security=SECURITY)
def decision_choices(village_id: int) -> dict[str, Any]:
    """本村已通过的决议（签合同时按标题选择依据的决议）。"""
    return {"items": service.resolved_decisions(village_id)}


@blp.route("/villages/<int:village_id>/contracts", methods=["POST"])
@requires("assets.manage", village="village_id")
@blp.arguments(CollectiveContractInSchema)
@blp.response(201, CollectiveContractSchema)
@blp.doc(security=SECURITY)
def create(args: dict[str, Any], village_id: int) -> Any:
    """新签合同：对方、金额、期限、保证金、依据的决议、收付款计划（各期合计须等于合同金额）。超过大额支出标准或
    出租集体资产的合同须依据本村已通过的决议。"""
    c = service.create_contract(registry.get_village(village_id), _input(args), actor=require_login())
    db.session.commit()
    return service.contract_view(c, today())


@blp.route("/contracts/<int:collective_contract_id>", methods=["GET"])
@requires("assets.read", obj=(CollectiveContract, "collective_contract_id", "contract"))
@blp.response(200, CollectiveContractSchema)
@blp.doc(security=SECURITY)
def detail(contract: CollectiveContract) -> Any:
    """一份集体合同：收付款计划及每期结清情况、收付款记录、保证金、依据的决议。"""
    return service.contract_view(contract, today())


@blp.route("/contracts/<int:collective_contract_id>", methods=["PUT"])
@requires("assets.manage", obj=(CollectiveContract, "collective_contract_id", "contract"))
@blp.arguments(CollectiveContractInSchema)
@blp.response(200, CollectiveContractSchema)
@blp.doc(security=SECURITY)
def update(args: dict[str, Any], contract: CollectiveContract) -> Any:
    """更正合同（尚无任何收付款时）。"""
    service.update_contract(contract, _input(args), actor=require_login())
    db.session.commit()
    return service.contract_view(contract, today())


@blp.route("/contracts/<int:collective_contract_id>/terminate", methods=["POST"])
@requires("assets.manage", obj=(CollectiveContract, "collective_contract_id", "contract"))
@blp.arguments(ContractTerminateInSchema)
@blp.response(200, CollectiveContractSchema)
@blp.doc(security=SECURITY)
def terminate(args: dict[str, Any], contract: CollectiveContract) -> Any:
    """终止合同（写明日期和原因）。"""
    service.terminate(contract, args["on"], args["reason"], actor=require_login())
    db.session.commit()
    return service.contract_view(contract, today())


@blp.route("/contracts/<int:collective_contract_id>/settlements", methods=["POST"])
@requires("assets.manage", obj=(CollectiveContract, "collective_contract_id", "contract"))
@blp.arguments(ContractSettleInSchema)
@blp.response(201, CollectiveContractSchema)
@blp.alt_response(200, schema=CollectiveContractSchema, description="同一幂等键的重复请求：不再登记，返回合同现状")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def settle(args: dict[str, Any], contract: CollectiveContract) -> Any:
    """登记一期的收款（收入合同）或付款（支出合同）并记账；不能超过该期未结金额。支持 Idempotency-Key。"""
    data = service.SettleInput(installment_id=args["installment_id"], amount_fen=args["amount"],
                               paid_on=args["paid_on"], method=args["method"], reference=args["reference"],
                               account_code=args["account_code"])
    _, replayed = service.settle(contract, data, idempotency_key=key_from_request(), actor=require_login())
    db.session.commit()
    body = service.contract_view(contract, today())
    return (body, 200) if replayed else body


@blp.route("/contracts/<int:collective_contract_id>/deposit", methods=["POST"])
@requires("assets.manage", obj=(CollectiveContract, "collective_contract_id", "contract"))
@blp.arguments(ContractDepositInSchema)
@blp.response(200, CollectiveContractSchema)
@blp.doc(security=SECURITY)
def deposit(args: dict[str, Any], contract: CollectiveContract) -> Any:
    """登记保证金收取或退还并记账（借 银行存款，贷 应付款；退还相反）。"""
    service.record_deposit(contract, args["action"], args["on"], args["method"], actor=require_login())
    db.session.commit()
    return service.contract_view(contract, today())


@blp.route("/villages/<int:village_id>/contracts/import", methods=["POST"])
@requires("assets.manage", village="village_id")
@blp.response(200, ContractImportReportSchema)
@blp.doc(security=SECURITY, requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "合同表 .xlsx"},
                   "dry_run": {"type": "boolean", "description": "只检查并报告将导入的内容，不写入"}}}}}})
def import_contracts(village_id: int) -> Any:
    """导入集体的合同 .xlsx（土地合同在土地导入）：每行一期款项，同一合同编号的各行为一份合同（合同信息填在第一行）。
    先试导入看结果，再正式导入；任何一行有误则整份不导入，并逐行说明。"""
    p = require_login()
    upload = request.files.get("file")
    if upload is None:
        raise unprocessable("contracts.import_file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").strip().lower() in ("1", "true", "yes")
    report = imports.import_contracts(registry.get_village(village_id), upload.read(), actor=p, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report
