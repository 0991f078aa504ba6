"""三资 register: the collective's assets (资产), resources (资源) and funds (资金), 清产核资 (a dated, sealed inventory
that confirms or corrects each entry), disposal and new leases resting on resolved decisions; .xlsx import/export.

Other domains read an entry through :func:`asset_brief` (the contracts register names the asset a contract is on)
and the register's totals through :func:`register_summary`; a domain that leases entries out hands its leases in
through :func:`register_lease_source` (``create_app`` does it for the contracts register), so that they read 出租.
"""

from __future__ import annotations

from typing import Any

from backend.assets.findings import findings
from backend.assets.leases import register_lease_source
from backend.assets.models import CATEGORIES, KIND_LABELS, STATUS_LABELS
from backend.assets.service import summary as register_summary


def asset_brief(village_id: int, asset_id: int) -> dict[str, Any] | None:
    """The entry ``asset_id`` of ``village_id`` (id, kind, code, name, category, status), None if not there."""
    from backend.assets.models import Asset
    from backend.core.db import db

    a = db.session.get(Asset, asset_id)
    if a is None or a.village_id != village_id:
        return None
    return {"id": a.id, "kind": a.kind, "code": a.code, "name": a.name, "category": a.category, "status": a.status,
            "parcel_id": a.parcel_id}


__all__ = ["CATEGORIES", "KIND_LABELS", "STATUS_LABELS", "asset_brief", "findings", "register_lease_source",
           "register_summary"]
