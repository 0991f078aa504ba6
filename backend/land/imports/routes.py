"""Parcels and contracts from .xlsx (issue 6). The rules live in :mod:`importer`; here: parse the request, check the
permission (stated once per route), call it, commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import fields

from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.permissions import require_login, requires
from backend.core.schemas import BaseSchema
from backend.land.imports import service as importer
from backend.registry import service as registry

blp = Blueprint("land_files", __name__, description="地块与合同导入")
SECURITY = [{"bearer": []}]


class LandParcelImportReportSchema(BaseSchema):
    """What a parcel import did (or, on a dry run, would do)."""

    rows = fields.Integer(metadata={"description": "文件中的地块行数"})
    created = fields.Integer(metadata={"description": "新增的地块（试导入为0）"})
    contracted = fields.Integer(metadata={"description": "其中农户承包地"})
    collective = fields.Integer(metadata={"description": "其中集体土地和资产"})
    households = fields.Integer(metadata={"description": "涉及的承包户数"})
    area_mu = fields.String(metadata={"description": "登记面积合计（亩）"})
    dry_run = fields.Boolean()
    message = fields.String(metadata={"description": "结果说明"})


class LandContractImportItemSchema(BaseSchema):
    number = fields.String(metadata={"description": "合同编号"})
    contract_id = fields.Integer(allow_none=True, metadata={"description": "登记的合同（试导入为空）"})
    title = fields.String()
    party = fields.String(metadata={"description": "流入方"})
    parcels = fields.Integer(metadata={"description": "地块数"})
    area_mu = fields.String(metadata={"description": "计租面积合计（亩）"})
    years = fields.Integer(metadata={"description": "合同年数（每年一期应收租金）"})
    first_year_rent = fields.String(allow_none=True,
                                    metadata={"description": "第一年应收租金（元）；实物计租未公布价格时为空"})
    first_due_date = fields.Date(allow_none=True, metadata={"description": "第一年租金的付款日"})


class LandContractImportReportSchema(BaseSchema):
    """What a contract import did (or, on a dry run, would do)."""

    rows = fields.Integer(metadata={"description": "文件中的行数（每行一块地）"})
    contracts = fields.Integer(metadata={"description": "合同份数"})
    parcels = fields.Integer(metadata={"description": "合同涉及的地块数"})
    parties_created = fields.Integer(metadata={"description": "新登记的流入方"})
    dues = fields.Integer(metadata={"description": "生成的每年应收租金期数"})
    items = fields.List(fields.Nested(LandContractImportItemSchema))
    dry_run = fields.Boolean()
    message = fields.String(metadata={"description": "结果说明"})


def _upload_doc(what: str) -> dict[str, Any]:
    return {"content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": f"{what} .xlsx"},
            "dry_run": {"type": "boolean", "description": "只检查并报告将导入的内容，不写入"},
        },
    }}}}


def _run(village_id: int, fn: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    p = require_login()
    upload = request.files.get("file")
    if upload is None:
        raise unprocessable("land.import_file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").strip().lower() in ("1", "true", "yes")
    stream: IO[bytes] = upload.stream
    report = fn(registry.get_village(village_id), stream, actor=p, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


@blp.route("/villages/<int:village_id>/parcels/import", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.response(200, LandParcelImportReportSchema)
@blp.doc(security=SECURITY, requestBody=_upload_doc("地块表"))
def import_parcels(village_id: int) -> Any:
    """导入地块表 .xlsx：每行一块地（地块代码、名称、类别、承包户户号、坐落、地类、等级、登记面积、实测面积、
    永久基本农田、承包经营权证号、承包期至）。只新增：本村已有的地块代码报错，不覆盖。
    有任何一行出错则整份不导入，并列出每行的错误。"""
    return _run(village_id, importer.import_parcels)


@blp.route("/villages/<int:village_id>/land-contracts/import", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.response(200, LandContractImportReportSchema)
@blp.doc(security=SECURITY, requestBody=_upload_doc("合同表"))
def import_contracts(village_id: int) -> Any:
    """导入合同表 .xlsx：每行一块地，合同编号相同的各行为同一份合同（合同级的列在各行填写的须一致）。
    新的流入方随之登记；每份合同都经过与逐份登记相同的检查（剩余承包期、农业用途、委托书、永久基本农田、地块重叠），租金按一段覆盖全期，
    生成每年应收租金。有任何一行出错则整份不导入，并列出每行的错误。"""
    return _run(village_id, importer.import_contracts)
