"""Routes of backend.assets (placeholder: filled by the assets work)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("assets", __name__, description="assets")
