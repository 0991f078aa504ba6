"""临江村 with its secretary and accountant, a villager, a stranger village, the chart of accounts, a collective
asset parcel (村委会西侧临街门面) with a lessee, and a resolved and an unresolved decision: ready to keep a register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from backend.core.clock import today
from backend.core.db import db
from backend.land import contracts, parcels
from backend.ledger import service as ledger
from backend.registry.models import Member, Village
from tests.factories import resolved_decision

API = "/api/v1"


@dataclass
class Reg:
    village: Village
    secretary: Member
    accountant: Member
    villager: Member
    other: Village
    other_secretary: Member
    other_villager: Member
    parcel: Any  # collective_asset 门面
    party: Any
    decision: Any  # resolved 集体资产处置
    unresolved: Any
    other_decision: Any  # resolved, of the other village


def post_voucher(village: Village, on: date, debit: str, credit: str, fen: int, summary: str = "测试凭证",
                 decision_ref: str | None = None) -> Any:
    lines = [ledger.LineInput(debit, debit_fen=fen), ledger.LineInput(credit, credit_fen=fen)]
    v = ledger.create_voucher(village, ledger.VoucherInput(on, summary, lines, decision_ref), actor=None)
    ledger.post_voucher(v, actor=None)
    db.session.commit()
    return v


def voucher_no(v: Any) -> str:
    return f"{v.period}-{v.number:03d}"


def lease(reg: Reg, start: date, end: date, number: str = "ZL-001") -> Any:
    c = contracts.create_contract(reg.village, contracts.ContractInput(
        number=number, kind="lease", party_id=reg.party.id, title="临街门面出租", start_date=start, end_date=end,
        use="商业经营", signed_on=start - timedelta(days=3), lines=[contracts.LineInput(reg.parcel.id)],
        periods=[contracts.PeriodInput(1, max(1, end.year - start.year), 0, flat_fen=18_000_00)],
        due_month=start.month, due_day=min(start.day, 28), decision_id=reg.decision.id), actor=None)
    db.session.commit()
    return c


@pytest.fixture
def reg(make: Any) -> Reg:
    village = make.village("LJ01", "临江村")
    other = make.village("XZ02", "新竹村")
    ledger.ensure_chart(village)
    ledger.ensure_chart(other)
    secretary = make.member(village, "王建国", roles=("secretary",))
    accountant = make.member(village, "李秀英", roles=("accountant",))
    villager = make.member(village, "张大山")
    other_secretary = make.member(other, "陈书记", roles=("secretary",))
    other_villager = make.member(other, "刘村民")
    parcel = parcels.create_parcel(village, parcels.ParcelInput("LJ-Z001", "村委会西侧临街门面", 1_400,
                                                                kind="collective_asset", land_type="其他"), actor=None)
    party = parcels.create_party(village, parcels.PartyInput("company", "惠农粮油有限公司",
                                                             credit_code="91371427MA3C000022"), actor=None)
    d = resolved_decision(village.id, "集体资产出租和处置方案", "asset", None, today() - timedelta(days=400))
    u = resolved_decision(village.id, "旧粮站仓库拍卖（讨论中）", "asset", None, today() - timedelta(days=10))
    u.status, u.resolved_on = "in_progress", None
    o = resolved_decision(other.id, "新竹村资产处置", "asset", None, today() - timedelta(days=30))
    db.session.commit()
    return Reg(village, secretary, accountant, villager, other, other_secretary, other_villager, parcel, party, d, u,
               o)


def new_asset(client: Any, make: Any, reg: Reg, **over: Any) -> dict[str, Any]:
    body = {"kind": "asset", "code": "ZC-001", "name": "小型挖掘机", "category": "机器设备", "quantity": 1,
            "unit": "台", "original_value": "128000.00", "book_value": "96000.00", "acquired_how": "bought",
            "acquired_on": (today() - timedelta(days=700)).isoformat(), "location": "村委会院内"}
    body.update(over)
    r = client.post(f"{API}/villages/{reg.village.id}/assets", headers=make.headers(reg.secretary), json=body)
    assert r.status_code == 201, r.json
    return r.json
