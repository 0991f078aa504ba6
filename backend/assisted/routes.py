"""Assisted-action endpoints (docs/api.md "Members who have no phone")."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("assisted", __name__, description="代办（无手机成员）")
