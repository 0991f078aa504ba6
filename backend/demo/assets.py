"""Demo 三资 register (placeholder)."""

from __future__ import annotations


def seed_assets() -> int:
    return 0
