"""The 公示 sheets of this domain as A4 PDFs (issue 19): placeholder."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("jobs_sheets", __name__, description="公示打印")
