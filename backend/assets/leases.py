"""出租 is derived, never typed: an entry is leased while a land lease holds its parcel (``land.active_leases``) or
while a lease source names it — the contracts register's asset leases, handed in by ``create_app`` through
:func:`register_lease_source` (contracts may read assets; assets may not read contracts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from flask import Flask, current_app

from backend.land import active_leases

# village ids and a day → {asset id: {"id", "number", "title", "party", "start_date", "end_date", "source"}}
LeaseSource = Callable[[list[int], date], dict[int, dict[str, Any]]]
LEASE_SOURCES = "assets.lease_sources"  # the app.extensions key of the registered sources


def register_lease_source(app: Flask, source: LeaseSource) -> None:
    """Count the leases ``source`` names as 出租 (once, however often it is handed in)."""
    sources: list[LeaseSource] = app.extensions.setdefault(LEASE_SOURCES, [])
    if source not in sources:
        sources.append(source)


class _Entry(Protocol):
    id: int
    parcel_id: int | None
    status: str


@dataclass
class Leases:
    """The leases in force on a day in some villages: by land parcel and by register entry."""

    by_parcel: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_asset: dict[int, dict[str, Any]] = field(default_factory=dict)

    def of(self, a: _Entry) -> dict[str, Any] | None:
        """The lease that makes ``a`` leased (a contract of its own first, then its parcel's), None if none."""
        if a.status == "disposed":
            return None
        lease = self.by_asset.get(a.id)
        if lease is None and a.parcel_id is not None:
            lease = self.by_parcel.get(a.parcel_id)
        return lease


def leases(village_ids: list[int], on: date) -> Leases:
    """Every lease in force on ``on`` in ``village_ids``: land's by parcel, the registered sources' by entry."""
    by_parcel = {pid: {**lease, "source": "land"} for pid, lease in active_leases(village_ids, on).items()}
    by_asset: dict[int, dict[str, Any]] = {}
    for source in current_app.extensions.get(LEASE_SOURCES, []):
        by_asset.update(source(village_ids, on))
    return Leases(by_parcel, by_asset)
