"""三资 register: the collective's assets (资产), resources (资源) and funds (资金), 清产核资 (a dated, sealed inventory
that confirms or corrects each entry), disposal and new leases resting on resolved decisions; .xlsx import/export."""

from backend.assets.findings import findings

__all__ = ["findings"]
