"""Share register files: .xlsx import and export (issue 5). Filled in by register_io.py's routes."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("share_register_files", __name__, description="股权登记簿导入导出")
