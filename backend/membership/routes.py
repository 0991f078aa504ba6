"""Membership confirmation endpoints (docs/api.md "Membership confirmation")."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("membership", __name__, description="成员确认")
