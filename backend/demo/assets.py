"""Demo 三资 register (docs/demo.md): 临江村's assets, resources and funds, entered through the register's services
by the secretary 王建国, with last year's sealed 清产核资.

- 资产: the old 村部 (老村部临街门面, linked to land's "村委会西侧临街门面（3间）", leased there to 惠农粮油 under
  LJZL-001: its status reads 出租), the 镇区商铺 bought with 扶持资金 (leased to 荣联, LJZL-004), the 集体蚕房 (land's
  parcel, leased to 鑫源, LJZL-003), the road machinery — a 小型挖掘机 and a 压路机 bought with one voucher
  ("购置村道养护机械（小型挖掘机、压路机）", 186,000.00 元, 151/102, on the resolved decision 购置村道养护机械) —, the
  原粮站仓库 idle for about 500 days (so ``asset_idle`` is due), the 村文化广场 (公益性资产) and an old 手扶拖拉机
  disposed of (报废) on the same decision.
- 资源: 十里荷塘 (水面, 320 亩, the project library's 乡村旅游 rests on it), 村东鱼塘 (land's parcel, leased to
  孙晓明), 北岗集体果园 (园地, not let), 江滩四荒地 (80 亩).
- 资金: the 基本存款账户 at 临江农商银行青山支行 (102, account ending 3071) and 库存现金 (101), their balances read
  from the books. The rent the land demo receives in cash (村东鱼塘, 孙晓明) sits in 101 and is never banked, so the
  cash is far above the default limit of 5,000.00 元 and ``cash_over_limit`` is really due, since the day the first
  cash rent came in — no village setting needed.
- 清产核资: "2025年度清产核资" (基准日 31 December of last year), every entry of the time confirmed but the
  warehouse (账面价值 30,000.00 → 24,000.00) and a 潜水泵 found (盘盈, 2 台, 3,200.00 元), sealed.

Idempotent: entries by code, vouchers by summary, decisions by title, the inventory by title. Returns the number of
entries created.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend import registry
from backend.assets import inventory, service
from backend.assets.models import Asset, Inventory
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.decisions.pipeline.models import Decision
from backend.demo.days import month_start, on_day
from backend.demo.registry import principal
from backend.ledger import service as ledger
from backend.ledger.models import Voucher
from backend.registry.models import Village

VILLAGE = "LJ01"
FABAO = "371427105201"
MACHINES_DECISION = "购置村道养护机械并报废旧手扶拖拉机"
MACHINES_VOUCHER = "购置村道养护机械（小型挖掘机、压路机）"
MACHINES_FEN = 186_000_00
INVENTORY = "2025年度清产核资"


def _parcel_id(village: Village, code: str) -> int | None:
    from backend.land.models import Parcel

    return db.session.execute(select(Parcel.id).where(Parcel.village_id == village.id, Parcel.code == code)
                              ).scalar_one_or_none()


def _decision(village: Village, resolved_on: date) -> Decision:
    d = db.session.execute(select(Decision).where(Decision.village_id == village.id,
                                                  Decision.title == MACHINES_DECISION)).scalar_one_or_none()
    if d is None:  # resolved on paper (成员代表会议) before it was entered: a decision with no stages
        d = Decision(village_id=village.id, title=MACHINES_DECISION, category="asset", amount_fen=MACHINES_FEN,
                     status="resolved", resolved_on=resolved_on, updated_at=utcnow())
        db.session.add(d)
        db.session.flush()
    return d


def _voucher(village: Village, on: date, summary: str, debit: str, credit: str, fen: int,
             ref: str | None = None) -> Voucher:
    v = db.session.execute(select(Voucher).where(Voucher.village_id == village.id, Voucher.summary == summary,
                                                 Voucher.status == "posted")).scalar_one_or_none()
    if v is None:
        v = ledger.create_voucher(village, ledger.VoucherInput(on, summary, [
            ledger.LineInput(debit, debit_fen=fen), ledger.LineInput(credit, credit_fen=fen)], ref), actor=None,
            source="demo")
        ledger.post_voucher(v, actor=None)
    return v


def _number(v: Voucher) -> str:
    return f"{v.period}-{v.number:03d}"


def seed_assets() -> int:
    village = registry.village_by_code(VILLAGE)
    if village is None:
        return 0
    ledger.ensure_chart(village)
    t = today()
    secretary = principal("wangjianguo")
    bought = month_start(t, 16).replace(day=12)
    decision = _decision(village, bought - timedelta(days=20))
    machines = _voucher(village, bought, MACHINES_VOUCHER, "151", "102", MACHINES_FEN, str(decision.id))
    last_year_end = date(t.year - 1, 12, 31)
    E = service.AssetInput
    plan = [
        E("asset", "LJ-ZC-001", "老村部（临街门面）", "门面商铺", location="村委会西侧，临青山大街，砖混约93平方米",
          quantity=3, unit="间", original_fen=320_000_00, book_fen=268_000_00, acquired_how="built",
          acquired_on=date(1998, 6, 1), parcel_id=_parcel_id(village, f"{FABAO}0000003"),
          note="原村委会办公用房，2015年村部搬迁后改为临街门面出租"),
        E("asset", "LJ-ZC-002", "镇区商铺（扶持资金购置）", "门面商铺", location="青山镇商贸街12号，约80平方米",
          quantity=1, unit="间", original_fen=500_000_00, book_fen=500_000_00, acquired_how="bought",
          acquired_on=date(t.year - 2, 6, 18), parcel_id=_parcel_id(village, f"{FABAO}0000005")),
        E("asset", "LJ-ZC-003", "集体蚕房", "房屋及建筑物", location="5组桑园旁，约240平方米", quantity=1, unit="栋",
          original_fen=96_000_00, book_fen=72_000_00, acquired_how="state", acquired_on=date(2017, 10, 1),
          parcel_id=_parcel_id(village, f"{FABAO}0000004"), note="扶贫项目建成后划归村集体"),
        E("asset", "LJ-ZC-004", "小型挖掘机", "机器设备", location="村委会院内机械棚", quantity=1, unit="台",
          original_fen=128_000_00, book_fen=128_000_00, acquired_how="bought", acquired_on=bought,
          vouchers=[_number(machines)], note="村道养护和小型农田水利用"),
        E("asset", "LJ-ZC-005", "压路机", "机器设备", location="村委会院内机械棚", quantity=1, unit="台",
          original_fen=58_000_00, book_fen=58_000_00, acquired_how="bought", acquired_on=bought,
          vouchers=[_number(machines)]),
        E("asset", "LJ-ZC-006", "原粮站仓库", "房屋及建筑物", location="3组村道北侧，原乡粮站收储点，约600平方米",
          quantity=1, unit="栋", original_fen=60_000_00, book_fen=30_000_00, acquired_how="state",
          acquired_on=date(2004, 3, 1), status="idle", status_since=t - timedelta(days=500),
          note="粮站撤并后移交村集体，一直闲置"),
        E("asset", "LJ-ZC-007", "村文化广场", "公益性资产", location="村委会东侧", quantity=1, unit="处",
          original_fen=210_000_00, book_fen=210_000_00, acquired_how="built", acquired_on=date(2019, 9, 1)),
        E("asset", "LJ-ZC-008", "手扶拖拉机（旧）", "交通运输工具", location="村委会院内机械棚", quantity=1,
          unit="台", original_fen=9_500_00, book_fen=800_00, acquired_how="bought", acquired_on=date(2006, 4, 1)),
        E("resource", "LJ-ZY-001", "十里荷塘", "水面", location="村南江湾，东起渡口、西至柳树行", area_mu4=3_200_000,
          acquired_how="other", note="集体所有水面，规划乡村旅游（项目库：十里荷塘乡村旅游）"),
        E("resource", "LJ-ZY-002", "村东鱼塘", "水面", location="村东江堤内侧", area_mu4=156_000,
          parcel_id=_parcel_id(village, f"{FABAO}0000001")),
        E("resource", "LJ-ZY-003", "北岗集体果园", "园地", location="北岗坡地，梨树", area_mu4=224_000,
          parcel_id=_parcel_id(village, f"{FABAO}0000002")),
        E("resource", "LJ-ZY-004", "江滩四荒地", "四荒地", location="江堤外滩地", area_mu4=800_000),
        E("fund", "LJ-ZJ-001", "基本存款账户", "银行存款", bank_name="临江农商银行青山支行", account_last4="3071",
          ledger_code="102", hidden_fields=[]),
        E("fund", "LJ-ZJ-002", "库存现金", "库存现金", ledger_code="101", location="村报账员保管"),
    ]
    existing = set(db.session.execute(select(Asset.code).where(Asset.village_id == village.id)).scalars())
    created = 0
    for data in plan:
        if data.code in existing:
            continue
        data.status_since = data.status_since or data.acquired_on or last_year_end
        with on_day(min(t, max(data.status_since, last_year_end - timedelta(days=60)))):
            service.create_asset(village, data, actor=secretary)
        created += 1
    db.session.flush()
    _inventory(village, last_year_end, secretary)
    tractor = db.session.execute(select(Asset).where(Asset.village_id == village.id, Asset.code == "LJ-ZC-008")
                                 ).scalar_one()
    if tractor.status != "disposed":
        with on_day(t - timedelta(days=40)):
            service.dispose_asset(tractor, "write_off", t - timedelta(days=40), decision.id,
                                  "发动机报废，无修理价值，按残值作废品处理", actor=secretary)
    db.session.flush()
    return created


def _inventory(village: Village, base: date, secretary: object) -> None:
    if db.session.execute(select(Inventory.id).where(Inventory.village_id == village.id,
                                                     Inventory.title == INVENTORY)).first():
        return
    with on_day(base + timedelta(days=20)):
        inv = inventory.create_inventory(village, INVENTORY, base, "村两委、监委会和群众代表共同清查",
                                         actor=secretary)  # type: ignore[arg-type]
        rows = inventory.unchecked(inv)
        for a in rows:
            if a.code == "LJ-ZC-006":
                data = inventory.LineInput("corrected", a.id, book_fen=24_000_00,
                                           note="房顶漏雨、墙体开裂，经评估减值")
            else:
                data = inventory.LineInput("confirmed", a.id)
            inventory.set_line(inv, data, actor=secretary)  # type: ignore[arg-type]
        inventory.set_line(inv, inventory.LineInput(
            "found", found_kind="asset", found_code="LJ-ZC-009", found_name="潜水泵", found_category="机器设备",
            quantity=2, book_fen=3_200_00, note="2019年抗旱购置，未入账"), actor=secretary)  # type: ignore[arg-type]
        inventory.seal_inventory(inv, actor=secretary)  # type: ignore[arg-type]
