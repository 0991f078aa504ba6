"""Land: the village's parcels and the operators who take them in, land-transfer and lease contracts with their
rent terms and yearly dues, rent received (its households' part held in 应付款 until ``payouts`` records each
household's payout — by bank batch or in cash — which alone makes it paid), arrears, and what a household sees of
its land; ``imports`` reads parcels and contracts from .xlsx.
"""

from backend.land.contracts import (
    ContractInput,
    LineInput,
    PeriodInput,
    create_contract,
    due_total,
    dues_of,
)
from backend.land.households import RentOwed, RentPosition, rent_passed_on, rent_position
from backend.land.leases import active_leases
from backend.land.parcels import MU4, ParcelInput, PartyInput, create_parcel, create_party
from backend.land.payments import PaymentInput, record_payment
from backend.land.register import contract_rows, overdue_dues

__all__ = [
    "MU4",
    "ContractInput",
    "LineInput",
    "ParcelInput",
    "PartyInput",
    "PaymentInput",
    "PeriodInput",
    "RentOwed",
    "RentPosition",
    "active_leases",
    "contract_rows",
    "create_contract",
    "create_parcel",
    "create_party",
    "due_total",
    "dues_of",
    "overdue_dues",
    "record_payment",
    "rent_passed_on",
    "rent_position",
]
