"""Parcels and contracts from .xlsx. The rules live in :mod:`backend.land.imports.service`; here: parse the request,
check the permission (stated once per route), call it, commit. The empty templates to fill in come from
:mod:`backend.land.imports.template`."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.permissions import require_login, requires
from backend.land.imports import service as importer
from backend.land.imports import template as templates
from backend.land.imports.schemas import LandContractImportReportSchema, LandParcelImportReportSchema

blp = Blueprint("land_files", __name__, description="地块与合同导入")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _template(village_id: int, kind: str, name: str) -> Response:
    village = registry.get_village(village_id)
    return send_file(templates.template(kind), as_attachment=True, download_name=f"{village.code}-{name}.xlsx",
                     mimetype=XLSX)


@blp.route("/villages/<int:village_id>/parcels/template.xlsx", methods=["GET"])
@requires("land.read", village="village_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def parcel_template(village_id: int) -> Response:
    """地块导入模板 .xlsx：导入所读的各列（地块代码、户号、日期等列为文本格式），另附填写说明（每列是否必填、
    怎么填）和示例。"""
    return _template(village_id, "parcels", "parcel-template")


@blp.route("/villages/<int:village_id>/land-contracts/template.xlsx", methods=["GET"])
@requires("land.read", village="village_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def contract_template(village_id: int) -> Response:
    """合同导入模板 .xlsx：导入所读的各列（合同编号、地块代码、日期等列为文本格式），另附填写说明（每列是否必填、
    怎么填，哪些列只在合同的第一行填写）和示例。"""
    return _template(village_id, "contracts", "contract-template")
