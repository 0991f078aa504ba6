"""合同 register: every contract of the collective (land transfers and leases from ``land``, services, construction,
purchases), its receivables/payables schedule, deposit (保证金), the decision it rests on, and its expiry."""

from backend.contracts.findings import findings
from backend.contracts.leases import active_asset_leases

__all__ = ["active_asset_leases", "findings"]
