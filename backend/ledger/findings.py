"""The books' warning rules (预警): a large expense posted without a resolved decision
(placeholder: filled by the warnings work)."""

from __future__ import annotations

from datetime import date

from backend.core.findings import Finding


def findings(village_ids: list[int], on: date) -> list[Finding]:
    return []
