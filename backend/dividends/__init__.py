"""Dividends: the share register (``shares``), the yearly distribution of the collective's income to its members'
households — the plan, the list computed from the register frozen at a record date, its publication behind a
resolved decision, the objections of the 公示, the payout with its vouchers — and each household's statements.
"""

from backend.dividends.computing import compute
from backend.dividends.plans import ComponentInput, DistributionInput, create_distribution
from backend.dividends.publishing import overdue_objections, publish, raise_objection
from backend.dividends.views import household_lines

__all__ = [
    "ComponentInput",
    "DistributionInput",
    "compute",
    "create_distribution",
    "household_lines",
    "overdue_objections",
    "publish",
    "raise_objection",
]
