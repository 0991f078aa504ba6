"""Demo public-benefit jobs (shared/DEMO.md): filled in by the demo helper."""

from __future__ import annotations


def seed_jobs() -> int:
    return 0
