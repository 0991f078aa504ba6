"""Parcels and contracts from .xlsx (issue 6): filled in with land/importer.py."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("land_files", __name__, description="地块与合同导入")
