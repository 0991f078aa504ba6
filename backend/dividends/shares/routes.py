"""Share register files: the register on a date as .xlsx, and importing a file that states it.

The rules live in :mod:`backend.dividends.shares.xlsx`; here: parse the request, check the permission (stated once
per route), call it, commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.permissions import require_login, requires
from backend.core.replica import replica_read
from backend.dividends.shares import xlsx as register_io
from backend.dividends.shares.schemas import ShareImportReportSchema, ShareRegisterFileArgs

blp = Blueprint("share_register_files", __name__, description="股权登记簿导入导出")
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/villages/<int:village_id>/share-register.xlsx", methods=["GET"])
@requires("dividends.read", village="village_id")
@blp.arguments(ShareRegisterFileArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def export_share_register(args: dict[str, Any], village_id: int) -> Response:
    """导出某一天的股权登记簿 .xlsx（默认今天）：每行一笔持股，各类股份一列；身份证号只显示后4位。可修改后再导入。"""
    village = registry.get_village(village_id)
    on = args["on"] or today()
    return send_file(register_io.export_register(village, on), as_attachment=True,
                     download_name=f"{village.code}-share-register-{on.isoformat()}.xlsx", mimetype=XLSX)


def _form_date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise unprocessable("share.import_date_invalid", "生效日期格式应为 YYYY-MM-DD，如 2025-12-31") from None


@blp.route("/villages/<int:village_id>/share-register/import", methods=["POST"])
@requires("dividends.manage", village="village_id")
@blp.response(200, ShareImportReportSchema)
@blp.doc(
    security=SECURITY,
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "股权登记簿 .xlsx"},
                        "effective_on": {"type": "string", "format": "date",
                                         "description": "文件所载登记簿的生效日期（默认今天）"},
                        "note": {"type": "string", "maxLength": 200, "description": "变动说明（默认“导入调整”）"},
                        "dry_run": {"type": "boolean", "description": "只检查并报告将发生的变动，不写入"},
                    },
                }
            }
        }
    },
)
def import_share_register(village_id: int) -> Any:
    """导入股权登记簿 .xlsx：文件即生效日期的登记簿，与系统的差异登记为一次变动（初始登记或调整），股权证号留空不改。
    有任何一行出错则整份不导入，并列出每行的错误；与登记簿一致则不作登记。"""
    p = require_login()
    upload = request.files.get("file")
    if upload is None:
        raise unprocessable("share.import_file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").strip().lower() in ("1", "true", "yes")
    report = register_io.import_register(
        registry.get_village(village_id), upload.stream, effective_on=_form_date("effective_on"), actor=p,
        dry_run=dry_run, note=request.form.get("note"),
    )
    if report["changed"] and not dry_run:
        db.session.commit()
    return report
