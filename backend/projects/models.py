"""Models of backend.projects (placeholder: filled by the projects work)."""

from __future__ import annotations
