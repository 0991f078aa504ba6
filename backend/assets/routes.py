"""三资 endpoints: the register (list, detail, totals), its upkeep and disposal, the funds with their balances from
the books, 清产核资 inventories, and the register as .xlsx (export, import with a preview).

Villagers of the village read the list, the totals and an entry's public fields (``village.view``); staff with
``assets.read`` see every field with the history and vouchers; ``assets.manage`` (secretary, accountant, the
township's agency accountant) keeps it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.assets import inventory, service, sheets
from backend.assets.findings import CASH_LIMIT, cash_over_since
from backend.assets.models import Asset, Inventory
from backend.assets.schemas import (
    AssetDisposeInSchema,
    AssetFundsSchema,
    AssetImportReportSchema,
    AssetInSchema,
    AssetInventoryInSchema,
    AssetInventoryItemSchema,
    AssetInventoryLineInSchema,
    AssetInventorySchema,
    AssetItemSchema,
    AssetListArgs,
    AssetSchema,
    AssetSummarySchema,
    AssetUpdateSchema,
)
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.money import fen_to_yuan
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import require_login, requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page

blp = Blueprint("assets", __name__, description="三资（资产、资源、资金）登记、处置、清产核资与导入导出")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RENAMES = {"area": "area_mu4", "original_value": "original_fen", "book_value": "book_fen"}


def _staff(village_id: int) -> bool:
    return require_login().can("assets.read", village_id=village_id)


def _values(args: dict[str, Any]) -> dict[str, Any]:
    return {RENAMES.get(k, k): v for k, v in args.items()}


# ---------------------------------------------------------------- the register


@blp.route("/villages/<int:village_id>/assets", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(AssetListArgs, location="query")
@blp.response(200, page_schema(AssetItemSchema))
@blp.doc(security=SECURITY)
def list_assets(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村三资登记：资产、资源、资金（资金余额取自账簿），可按类型、状态、类别、名称或编号筛选。
    村民看到公开的字段（不公开的为空）；出租状态随土地合同。"""
    leased = service.village_leases(village_id)
    stmt = service.list_stmt(village_id, kind=args["kind"], status=args["status"], category=args["category"],
                             q=args["q"], leased=leased)
    page = paginate(db.session, stmt, args["page"], args["page_size"])
    return page.envelope(service.items(page.items, staff=_staff(village_id), leased=leased))


@blp.route("/villages/<int:village_id>/assets/summary", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.response(200, AssetSummarySchema)
@blp.doc(security=SECURITY)
def summary(village_id: int) -> dict[str, Any]:
    """三资合计：资产、资源、资金各多少项、账面价值合计（资金为账簿余额），已处置的不计。"""
    return service.summary(village_id, staff=_staff(village_id))


@blp.route("/villages/<int:village_id>/assets", methods=["POST"])
@requires("assets.manage", village="village_id")
@blp.arguments(AssetInSchema)
@blp.response(201, AssetSchema)
@blp.doc(security=SECURITY)
def create_asset(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """登记一项：编号（本村唯一）、名称、类别、位置、数量和单位、面积（资源）、原值和账面价值（元）、取得方式和日期、
    状态（在用或闲置）、关联地块、凭证号、照片、不公开的字段；资金登记开户银行、账号后4位和会计科目，余额取自账簿。"""
    v = _values(args)
    a = service.create_asset(registry.get_village(village_id), service.AssetInput(**v), actor=require_login())
    db.session.commit()
    return service.detail(a, staff=True)


@blp.route("/assets/<int:asset_id>", methods=["GET"])
@requires("village.view", obj=(Asset, "asset_id"))
@shared_page
@blp.response(200, AssetSchema)
@blp.doc(security=SECURITY)
def get_asset(asset: Asset) -> dict[str, Any]:
    """一项登记：村民看到公开的字段（位置、状态、承租方和租期）；工作人员另见全部字段、变动记录和凭证。"""
    return service.detail(asset, staff=_staff(asset.village_id))


@blp.route("/assets/<int:asset_id>", methods=["PATCH"])
@requires("assets.manage", obj=(Asset, "asset_id"))
@blp.arguments(AssetUpdateSchema)
@blp.response(200, AssetSchema)
@blp.doc(security=SECURITY)
def update_asset(args: dict[str, Any], asset: Asset) -> dict[str, Any]:
    """修改登记内容（每项改动记入变动记录）。已处置的不能修改（409 assets.read_only）；状态只能改为在用或闲置。"""
    service.update_asset(asset, _values(args), actor=require_login())
    db.session.commit()
    return service.detail(asset, staff=True)


@blp.route("/assets/<int:asset_id>/dispose", methods=["POST"])
@requires("assets.manage", obj=(Asset, "asset_id"))
@blp.arguments(AssetDisposeInSchema)
@blp.response(200, AssetSchema)
@blp.doc(security=SECURITY)
def dispose(args: dict[str, Any], asset: Asset) -> dict[str, Any]:
    """处置（出售、报废/核销、无偿调出）：须依据本村已通过的决议（422 assets.decision_required /
    assets.decision_unknown / assets.decision_unresolved）；出租中的须先终止合同（409 assets.leased）。处置后只读。"""
    service.dispose_asset(asset, args["kind"], args["on"], args["decision_id"], args["note"], actor=require_login())
    db.session.commit()
    return service.detail(asset, staff=True)


@blp.route("/villages/<int:village_id>/assets/funds", methods=["GET"])
@requires("assets.read", village="village_id")
@blp.response(200, AssetFundsSchema)
@blp.doc(security=SECURITY)
def funds(village_id: int) -> dict[str, Any]:
    """资金：各银行账户和库存现金的账面余额（已记账凭证），库存现金限额及是否超限、自何日起超限。"""
    village = registry.get_village(village_id)
    on = today()
    rows = list(db.session.execute(service.list_stmt(village_id, kind="fund")).scalars())
    balances = service.fund_balances(rows)
    totals = service.account_balances(village_id, [service.CASH_CODE, service.BANK_CODE], on)
    limit = registry.settings.get(village, CASH_LIMIT.key)
    cash = totals[service.CASH_CODE]
    over = cash > limit
    return {
        "funds": [{"id": a.id, "code": a.code, "name": a.name, "category": a.category, "bank_name": a.bank_name,
                   "account_last4": a.account_last4, "ledger_code": a.ledger_code,
                   "balance": fen_to_yuan(balances.get(a.id, 0)), "status": a.status} for a in rows],
        "cash_balance": fen_to_yuan(cash), "bank_balance": fen_to_yuan(totals[service.BANK_CODE]),
        "cash_limit": fen_to_yuan(limit), "over_limit": over, "over_by": fen_to_yuan(max(cash - limit, 0)),
        "over_since": cash_over_since(village_id, limit, on, cash) if over else None, "on": on,
    }


# ---------------------------------------------------------------- 清产核资


@blp.route("/villages/<int:village_id>/asset-inventories", methods=["GET"])
@requires("assets.read", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(AssetInventoryItemSchema))
@blp.doc(security=SECURITY)
def list_inventories(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村历次清产核资，最新的在前。"""
    page = paginate(db.session, inventory.inventories_stmt(village_id), args["page"], args["page_size"])
    return page.envelope(inventory.inventory_items(page.items))


@blp.route("/villages/<int:village_id>/asset-inventories", methods=["POST"])
@requires("assets.manage", village="village_id")
@blp.arguments(AssetInventoryInSchema)
@blp.response(201, AssetInventorySchema)
@blp.doc(security=SECURITY)
def create_inventory(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """开始一次清产核资（基准日）；本村同时只能有一次未封存的（409 assets.inventory_open）。"""
    inv = inventory.create_inventory(registry.get_village(village_id), args["title"], args["base_date"],
                                     args["note"], actor=require_login())
    db.session.commit()
    return inventory.inventory_detail(inv)


@blp.route("/asset-inventories/<int:inventory_id>", methods=["GET"])
@requires("assets.read", obj=(Inventory, "inventory_id"))
@blp.response(200, AssetInventorySchema)
@blp.doc(security=SECURITY)
def get_inventory(inventory: Inventory) -> dict[str, Any]:
    """一次清产核资：各项核对结果和尚未核对的项。"""
    from backend.assets import inventory as inv_service

    return inv_service.inventory_detail(inventory)


@blp.route("/asset-inventories/<int:inventory_id>/lines", methods=["POST"])
@requires("assets.manage", obj=(Inventory, "inventory_id"))
@blp.arguments(AssetInventoryLineInSchema)
@blp.response(200, AssetInventorySchema)
@blp.doc(security=SECURITY)
def set_line(args: dict[str, Any], inventory: Inventory) -> dict[str, Any]:
    """记录一项的核对结果：账实相符、更正（核实后的数量、账面价值、状态）、盘亏，或盘盈（新发现的资产）。
    已封存的不能再改（409 assets.inventory_sealed）。"""
    from backend.assets import inventory as inv_service

    v = _values(args)
    inv_service.set_line(inventory, inv_service.LineInput(**v), actor=require_login())
    db.session.commit()
    return inv_service.inventory_detail(inventory)


@blp.route("/asset-inventories/<int:inventory_id>/lines/<int:line_id>", methods=["DELETE"])
@requires("assets.manage", obj=(Inventory, "inventory_id"))
@blp.response(200, AssetInventorySchema)
@blp.doc(security=SECURITY)
def delete_line(inventory: Inventory, line_id: int) -> dict[str, Any]:
    """删去一条核对记录（未封存时）。"""
    from backend.assets import inventory as inv_service

    inv_service.delete_line(inventory, line_id, actor=require_login())
    db.session.commit()
    return inv_service.inventory_detail(inventory)


@blp.route("/asset-inventories/<int:inventory_id>/seal", methods=["POST"])
@requires("assets.manage", obj=(Inventory, "inventory_id"))
@blp.response(200, AssetInventorySchema)
@blp.doc(security=SECURITY)
def seal(inventory: Inventory) -> dict[str, Any]:
    """封存：每项都已核对后，把更正、盘亏、盘盈记入登记簿并封签（同一事务）；封存后不能再改。"""
    from backend.assets import inventory as inv_service

    inv_service.seal_inventory(inventory, actor=require_login())
    db.session.commit()
    return inv_service.inventory_detail(inventory)


# ---------------------------------------------------------------- .xlsx


@blp.route("/villages/<int:village_id>/assets.xlsx", methods=["GET"])
@requires("assets.read", village="village_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def export_xlsx(village_id: int) -> Response:
    """导出三资登记表 .xlsx（含资金的账面余额、出租情况）。"""
    village = registry.get_village(village_id)
    return send_file(sheets.export(village), as_attachment=True, mimetype=XLSX,
                     download_name=f"{village.code}-三资登记-{today().isoformat()}.xlsx")


@blp.route("/villages/<int:village_id>/assets/import", methods=["POST"])
@requires("assets.manage", village="village_id")
@blp.response(200, AssetImportReportSchema)
@blp.doc(security=SECURITY, requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "三资登记表 .xlsx"},
                   "dry_run": {"type": "boolean", "description": "只检查并报告将导入的内容，不写入"}}}}}})
def import_xlsx(village_id: int) -> dict[str, Any]:
    """导入三资登记表 .xlsx（资产和资源；只新增）：先预览（dry_run）再导入。任何一行有误则整份不导入，
    并按行号列出每行的错误（422 assets.import_invalid）。"""
    upload = request.files.get("file")
    if upload is None:
        raise unprocessable("assets.import_file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").strip().lower() in ("1", "true", "yes")
    report = sheets.import_register(registry.get_village(village_id), upload.stream, actor=require_login(),
                                    dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report
