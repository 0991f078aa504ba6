"""Routes of backend.contracts (placeholder: filled by the contracts work)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("contracts", __name__, description="contracts")
