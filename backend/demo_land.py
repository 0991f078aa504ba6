"""Demo land (shared/DEMO.md): filled in by the demo helper."""

from __future__ import annotations


def seed_land() -> int:
    return 0
