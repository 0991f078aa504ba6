"""The assets domain's warning rules (预警), reported to the township as :class:`backend.core.findings.Finding`
(placeholder: filled by the assets work)."""

from __future__ import annotations

from datetime import date

from backend.core.findings import Finding


def findings(village_ids: list[int], on: date) -> list[Finding]:
    """Every finding of this domain's rules in these villages on day ``on``."""
    return []
