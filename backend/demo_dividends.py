"""Demo dividends (shared/DEMO.md): filled in by the demo helper."""

from __future__ import annotations


def seed_dividends() -> int:
    return 0
