"""Demo contracts register of 临江村 (LJ01), relative to the seeding day ``T`` (docs/demo.md):

- LJHT-2026-001 工程施工 村道硬化工程施工, 临江建筑工程有限公司, 280,000.00 元 the collective pays, resting on the
  resolved decision 村道硬化工程 (300,000.00): 84,000.00 due T−80 paid, 112,000.00 due T−20 with 60,000.00 paid
  (52,000.00 still to pay), 84,000.00 due at the end (T+200); 保证金 14,000.00 received T−90.
- LJHT-2026-002 服务 村庄保洁外包, 清源保洁服务部, 36,000.00 元 in four quarters of 9,000.00 (those due paid); it
  ends T+60 → ``contract_expiring`` (还剩 60 天).
- LJHT-2026-003 资产出租 道路机械（压路机、挖掘机）出租, 宏达路桥工程队, 24,000.00 元 the collective receives, on the
  resolved decision 道路机械出租: 8,000.00 due T−110 received, 8,000.00 due T−30 not received →
  ``receivable_overdue`` (逾期 30 天), 8,000.00 due T+60; 保证金 3,000.00 received T−120; on the register's 压路机
  (LJ-ZC-005) when the 三资 demo has it.

The land leases and transfers of :mod:`backend.demo.land` appear in the same register. Idempotent: a contract is
looked up by its number, a decision by its title, a settlement replays by its idempotency key.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend import decisions as pipeline
from backend import registry
from backend.assets.models import Asset
from backend.contracts import service
from backend.contracts.models import CollectiveContract
from backend.core.clock import today
from backend.core.db import db
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.demo.days import on_day
from backend.demo.decisions import _meeting
from backend.demo.registry import principal
from backend.registry.models import Village

VILLAGE = "LJ01"
ROLLER = "LJ-ZC-005"  # the 三资 register's 压路机 (backend/demo/assets.py), the asset the lease is on


def _decision(village: Village, title: str, amount_fen: int, description: str, start: date,
              secretary: Principal) -> int:
    found = db.session.execute(select(Decision.id).where(
        Decision.village_id == village.id, Decision.title == title)).scalar_one_or_none()
    if found is not None:
        return found
    with on_day(start):
        d = pipeline.create_decision(village.id, pipeline.DecisionInput(
            title=title, category="project", origin="村干部提议", amount_fen=amount_fen, description=description,
            decision_body="members_assembly"), actor=secretary)
    for stage, body, days, summary in (("提议", "two_committees", 0, f"党支部提议{title}"),
                                       ("商议", "two_committees", 3, "两委联席会议商议"),
                                       ("审议", "party_meeting", 7, "党员大会审议通过"),
                                       ("决议", "members_assembly", 14, "成员大会表决通过")):
        _meeting(d, village, stage, body, start + timedelta(days=days), secretary, absent=2 if days else 0,
                 summary=summary)
    return d.id


def _contract(village: Village, data: service.ContractInput, actor: Principal) -> tuple[CollectiveContract, bool]:
    found = db.session.execute(select(CollectiveContract).where(
        CollectiveContract.village_id == village.id, CollectiveContract.number == data.number)).scalar_one_or_none()
    if found is not None:
        return found, False
    with on_day(data.signed_on):
        return service.create_contract(village, data, actor=actor), True


def _pay(c: CollectiveContract, seq: int, amount_fen: int, on: date, actor: Principal) -> None:
    ins = service.installments_of(c)[seq - 1]
    with on_day(on):
        service.settle(c, service.SettleInput(ins.id, amount_fen, on), idempotency_key=f"demo-{c.number}-{seq}",
                       actor=actor)


def _deposit(c: CollectiveContract, on: date, actor: Principal) -> None:
    if c.deposit_received_on is None:
        with on_day(on):
            service.record_deposit(c, "received", on, "bank", actor=actor)


def seed_contracts() -> int:
    """Seed 临江村's other contracts (see the module docstring); returns the contracts created."""
    village = registry.village_by_code(VILLAGE)
    if village is None:
        return 0
    t = today()
    secretary, accountant = principal("wangjianguo"), principal("lixiuying")
    I = service.InstallmentInput  # noqa: E741
    created = 0

    road = _decision(village, "村道硬化工程", 30_000_000,
                     "硬化村东至河湾组村道2.4公里，公开招标选定施工单位，工程款分三期支付，总额不超过30万元。",
                     t - timedelta(days=130), secretary)
    c, new = _contract(village, service.ContractInput(
        number="LJHT-2026-001", kind="construction", direction="expense", counterparty_name="临江建筑工程有限公司",
        counterparty_code="91371427MA3C0RD01X", counterparty_phone="05348881234", title="村道硬化工程施工",
        total_fen=28_000_000, signed_on=t - timedelta(days=100), start_date=t - timedelta(days=90),
        end_date=t + timedelta(days=200), deposit_fen=1_400_000, decision_id=road,
        installments=[I(t - timedelta(days=80), 8_400_000, "预付款30%"), I(t - timedelta(days=20), 11_200_000,
                                                                         "进度款40%"),
                      I(t + timedelta(days=200), 8_400_000, "竣工验收款30%")]), secretary)
    created += new
    _deposit(c, t - timedelta(days=90), accountant)
    _pay(c, 1, 8_400_000, t - timedelta(days=78), accountant)
    _pay(c, 2, 6_000_000, t - timedelta(days=15), accountant)

    q = t - timedelta(days=300)
    c, new = _contract(village, service.ContractInput(
        number="LJHT-2026-002", kind="service", direction="expense", counterparty_name="清源保洁服务部",
        counterparty_phone="13905341122", title="村庄保洁外包", total_fen=3_600_000, signed_on=q - timedelta(days=5),
        start_date=q, end_date=t + timedelta(days=60),
        installments=[I(q + timedelta(days=90 * k), 900_000, f"第{k + 1}季度") for k in range(4)]), secretary)
    created += new
    for k in range(4):
        due = q + timedelta(days=90 * k)
        if due <= t - timedelta(days=3):
            _pay(c, k + 1, 900_000, due + timedelta(days=2), accountant)

    machines = _decision(village, "道路机械出租", 3_000_000,
                         "村集体的压路机、挖掘机闲置期间对外出租，租期一年，租金全部归集体。",
                         t - timedelta(days=150), secretary)
    roller = db.session.execute(select(Asset.id).where(Asset.village_id == village.id, Asset.code == ROLLER)
                                ).scalar_one_or_none()
    c, new = _contract(village, service.ContractInput(
        number="LJHT-2026-003", kind="asset_lease", direction="income", counterparty_name="宏达路桥工程队",
        counterparty_phone="13705347788", title="道路机械（压路机、挖掘机）出租", total_fen=2_400_000,
        signed_on=t - timedelta(days=125), start_date=t - timedelta(days=120), end_date=t + timedelta(days=245),
        deposit_fen=300_000, decision_id=machines, asset_id=roller,
        installments=[I(t - timedelta(days=110), 800_000), I(t - timedelta(days=30), 800_000),
                      I(t + timedelta(days=60), 800_000)]), secretary)
    created += new
    _deposit(c, t - timedelta(days=120), accountant)
    _pay(c, 1, 800_000, t - timedelta(days=108), accountant)
    db.session.commit()
    return created
