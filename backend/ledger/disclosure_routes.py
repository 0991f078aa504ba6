"""Ledger disclosure endpoints (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("ledger_disclosures", __name__, description="disclosures")
