"""A village with contracted parcels, a transferee, staff, and open books: ready to sign and collect rent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from backend.core.db import db
from backend.land import contracts, parcels
from backend.ledger import service as ledger
from backend.registry.models import Household, Member, Village
from tests.factories import resolved_decision
from tests.statements import cold_get


@dataclass
class Land:
    village: Village
    secretary: Member
    accountant: Member
    supervisor: Member
    heads: list[Member]  # heads of households[i]
    households: list[Household]
    parcels: list[Any]  # households[0]: 1.2 mu and 2.0 mu; households[1]: 0.75 mu; households[2]: 3.3333 mu
    party: Any
    extra: dict[str, Any] = field(default_factory=dict)
    lease_decision: Any = None  # 集体资产出租 resolved, no amount stated (no cap)

    def contract(self, **over: Any) -> Any:
        """A cash transfer contract on every parcel at 800.00 元/亩/年, 2026-03-01 … 2029-03-01, due 3 月 1 日."""
        data = dict(number="LZ-2026-001", kind="transfer", party_id=self.party.id, title="东坡片区土地流转",
                    start_date=date(2026, 3, 1), end_date=date(2029, 3, 1), use="粮食种植",
                    signed_on=date(2026, 2, 20), lines=[contracts.LineInput(p.id) for p in self.parcels],
                    periods=[contracts.PeriodInput(1, 3, 800_00)])
        data.update(over)
        if data["kind"] == "lease" and "decision_id" not in over:  # a lease rests on a resolved decision
            data["decision_id"] = self.lease_decision.id
        c = contracts.create_contract(self.village, contracts.ContractInput(**data), actor=None)
        db.session.commit()
        return c


@pytest.fixture
def lands(make) -> Land:
    village = make.village("LJ01", "临江村")
    ledger.ensure_chart(village)
    secretary = make.member(village, "王建国", roles=("secretary",))
    accountant = make.member(village, "李秀英", roles=("accountant",))
    supervisor = make.member(village, "赵德明", roles=("supervisor",))
    households, heads = [], []
    for i in range(3):
        h = make.household(village, f"LJ-L{i + 1:02d}")
        heads.append(make.member(village, f"张户{i + 1}", household=h, head=True))
        households.append(h)
    areas = [(0, "LJ-D001", "东坡地", 12000), (0, "LJ-D002", "河湾地", 20000), (1, "LJ-D003", "塘埂地", 7500),
             (2, "LJ-D004", "坝上地", 33333)]
    plots = [parcels.create_parcel(village, parcels.ParcelInput(code, name, mu4, household_id=households[i].id,
                                                                contract_until=date(2057, 12, 31)), actor=None)
             for i, code, name, mu4 in areas]
    party = parcels.create_party(village, parcels.PartyInput("cooperative", "荣联农业合作社",
                                                             credit_code="93371427MA3C000011"), actor=None)
    decision = resolved_decision(village.id, "集体土地和资产出租", "land_contract", None, date(2025, 12, 1))
    db.session.commit()
    return Land(village, secretary, accountant, supervisor, heads, households, plots, party,
                lease_decision=decision)


def pass_on(client: Any, make: Any, lands: Land, payment_id: int, paid_on: str, receiver: str = "户主本人") -> None:
    """Every household's part of one payment handed over in cash on ``paid_on`` (the payout that makes it paid)."""
    headers = make.headers(lands.accountant)
    r = client.get(f"/api/v1/land-payments/{payment_id}/payouts", headers=headers)
    assert r.status_code == 200, r.json
    for item in r.json["items"]:
        if item["status"] != "pending":
            continue
        r = client.post(f"/api/v1/villages/{lands.village.id}/rent-payouts/cash", headers=headers,
                        json={"allocation_id": item["allocation_id"], "receiver_name": receiver, "paid_on": paid_on})
        assert r.status_code == 201, r.json


def statements(app: Any, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    """(the response, the SQL statements it ran) of one GET with a cold session (tests/statements.py)."""
    return cold_get(app, path, headers)
