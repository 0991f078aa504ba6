"""Which of the collective's parcels are leased now, for the 三资 register."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from backend.core.db import db
from backend.land.models import Contract, ContractParcel, Party


def active_leases(village_ids: list[int], on: date) -> dict[int, dict[str, Any]]:
    """parcel id → the active lease contract it is in on ``on`` (id, number, party, end date)."""
    if not village_ids:
        return {}
    rows = db.session.execute(
        select(ContractParcel.parcel_id, Contract.id, Contract.number, Contract.title, Contract.kind,
               Contract.start_date, Contract.end_date, Party.name)
        .join(Contract, Contract.id == ContractParcel.contract_id)
        .join(Party, Party.id == Contract.party_id)
        .where(Contract.village_id.in_(village_ids), Contract.status == "active",
               Contract.start_date <= on, Contract.end_date >= on)
        .order_by(Contract.start_date)
    )
    return {r[0]: {"id": r[1], "number": r[2], "title": r[3], "kind": r[4], "start_date": r[5],
                   "end_date": r[6], "party": r[7]} for r in rows}
