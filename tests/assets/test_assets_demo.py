"""The demo's register (docs/demo.md, backend/demo/assets.py): 临江村's old 村部 reads 出租 through the land lease of
its parcel, 十里荷塘 has its 320 亩, the machinery cites the posted purchase voucher, the bank and cash balances come
from the books, the idle 原粮站仓库 and the cash held are really due as warnings, last year's 清产核资 is sealed and
the chain verifies, and seeding again adds nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend import demo, registry
from backend.assets import findings, service
from backend.assets.models import Asset, AssetEvent, Inventory
from backend.core.clock import today
from backend.core.db import db
from backend.core.seal import verify_chain
from backend.ledger import account_balances


def test_the_demo_register(app: object) -> None:
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    assert lj is not None
    rows = list(db.session.execute(select(Asset).where(Asset.village_id == lj.id)).scalars())
    view = {r["code"]: r for r in service.items(rows, staff=True, leased=service.village_leases(lj.id))}
    assert view["LJ-ZC-001"]["status"] == "leased" and view["LJ-ZC-001"]["lessee"] == "惠农粮油有限公司"
    assert view["LJ-ZY-001"]["name"] == "十里荷塘" and view["LJ-ZY-001"]["area_mu"] == "320"
    assert view["LJ-ZC-006"]["status"] == "idle" and view["LJ-ZC-006"]["book_value"] == "24000.00"
    # the 压路机 is leased by the contracts register's machinery lease, the 挖掘机 beside it by nothing
    assert (view["LJ-ZC-005"]["status_name"], view["LJ-ZC-005"]["lessee"]) == ("出租", "宏达路桥工程队")
    assert view["LJ-ZC-004"]["status"] == "in_use"
    assert view["LJ-ZC-008"]["status"] == "disposed"
    assert view["LJ-ZC-009"]["name"] == "潜水泵"  # 盘盈 of last year's inventory
    books = account_balances(lj.id, ["101", "102"])
    assert view["LJ-ZJ-001"]["book_value"] == f"{books['102'] // 100}.{books['102'] % 100:02d}"
    assert view["LJ-ZJ-002"]["book_value"] == f"{books['101'] // 100}.{books['101'] % 100:02d}"
    digger = service.detail(db.session.get(Asset, view["LJ-ZC-004"]["id"]), staff=True)
    assert digger["vouchers"][0]["summary"] == "购置村道养护机械（小型挖掘机、压路机）"
    assert digger["vouchers"][0]["amount"] == "186000.00"

    kinds = {f.kind: f for f in findings([lj.id], today())}
    assert set(kinds) == {"cash_over_limit", "asset_idle"}
    assert kinds["asset_idle"].link_id == view["LJ-ZC-006"]["id"]
    assert kinds["cash_over_limit"].since <= today()

    inv = db.session.execute(select(Inventory).where(Inventory.village_id == lj.id)).scalar_one()
    assert inv.status == "sealed" and inv.base_date == date(today().year - 1, 12, 31)
    assert verify_chain(lj.id).ok

    events = db.session.execute(select(func.count()).select_from(AssetEvent)).scalar_one()
    demo.seed()
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(Asset)).scalar_one() == len(rows)
    assert db.session.execute(select(func.count()).select_from(AssetEvent)).scalar_one() == events
