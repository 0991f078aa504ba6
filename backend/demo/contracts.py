"""Demo contracts register (placeholder)."""

from __future__ import annotations


def seed_contracts() -> int:
    return 0
