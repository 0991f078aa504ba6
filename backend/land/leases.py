"""Which of the collective's parcels are leased now, for the 三资 register (placeholder: filled by the assets work)."""

from __future__ import annotations

from datetime import date
from typing import Any


def active_leases(village_ids: list[int], on: date) -> dict[int, dict[str, Any]]:
    """parcel id → the active lease contract it is in on ``on`` (id, number, party, end date)."""
    return {}
