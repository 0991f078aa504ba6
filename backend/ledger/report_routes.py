"""Ledger report endpoints (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("ledger_reports", __name__, description="reports")
