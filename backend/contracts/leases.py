"""The collective's contracts that lease out an entry of the 三资 register, for the register's 出租 (handed to
``assets.register_lease_source`` by ``create_app``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from backend.contracts.models import CollectiveContract
from backend.core.db import db


def active_asset_leases(village_ids: list[int], on: date) -> dict[int, dict[str, Any]]:
    """asset id → the active contract leasing it out on ``on`` (income, naming the asset, within its term)."""
    if not village_ids:
        return {}
    rows = db.session.execute(
        select(CollectiveContract).where(
            CollectiveContract.village_id.in_(village_ids), CollectiveContract.asset_id.is_not(None),
            CollectiveContract.direction == "income", CollectiveContract.status == "active",
            CollectiveContract.start_date <= on, CollectiveContract.end_date >= on,
        ).order_by(CollectiveContract.start_date, CollectiveContract.id)
    ).scalars()
    return {c.asset_id: {"id": c.id, "number": c.number, "title": c.title, "party": c.counterparty_name,
                         "start_date": c.start_date, "end_date": c.end_date, "source": "collective"}
            for c in rows if c.asset_id is not None}
