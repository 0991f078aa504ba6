"""What the contracts register reads of land: its contracts with their expiry and decision, and overdue rent dues
(placeholder: filled by the contracts work)."""

from __future__ import annotations

from datetime import date
from typing import Any


def contract_rows(village_ids: list[int]) -> list[dict[str, Any]]:
    """The villages' land contracts as register rows."""
    return []


def overdue_dues(village_ids: list[int], on: date) -> list[dict[str, Any]]:
    """Rent dues past their due date and not fully paid on ``on``."""
    return []
