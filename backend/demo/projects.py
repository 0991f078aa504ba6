"""Demo project library (placeholder)."""

from __future__ import annotations


def seed_projects() -> int:
    return 0
