"""Routes of backend.projects (placeholder: filled by the projects work)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("projects", __name__, description="projects")
