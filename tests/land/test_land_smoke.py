"""One contract's first year over HTTP: sign, collect, allocate by area, post, and the household's view."""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import select

from backend.core.db import db
from backend.ledger.models import Voucher
from tests.land.conftest import pass_on


def test_a_contract_collects_and_every_household_gets_its_part(client, make, lands, now):
    from datetime import datetime

    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    c = lands.contract()
    sec = make.headers(lands.secretary)
    body = client.get(f"/api/v1/land-contracts/{c.id}", headers=sec).json
    assert body["area_mu"] == "7.2833" and body["rent"] == "每亩每年800.00元"
    first = body["dues"][0]
    # 7.2833 mu × 800.00 = 5826.64
    assert first["total"] == "5826.64" and first["due_date"] == "2026-03-01" and len(body["dues"]) == 3
    r = client.post(f"/api/v1/land-contracts/{c.id}/payments", headers={**sec, "Idempotency-Key": "r1"},
                    json={"due_id": first["id"], "amount": "5826.64", "paid_on": "2026-03-03"})
    assert r.status_code == 201, r.json
    alloc = {a["household_number"]: a["amount"] for a in r.json["allocations"]}
    # by area 3.2 : 0.75 : 3.3333 of 582664 fen → 2560.00, 600.00, 2666.64
    assert alloc == {"LJ-L01": "2560.00", "LJ-L02": "600.00", "LJ-L03": "2666.64"}
    again = client.post(f"/api/v1/land-contracts/{c.id}/payments", headers={**sec, "Idempotency-Key": "r1"},
                        json={"due_id": first["id"], "amount": "5826.64", "paid_on": "2026-03-03"})
    assert again.status_code == 200 and again.json["id"] == r.json["id"]
    over = client.post(f"/api/v1/land-contracts/{c.id}/payments", headers=sec,
                       json={"due_id": first["id"], "amount": "0.01", "paid_on": "2026-03-03"})
    assert over.status_code == 409 and over.json["error"]["code"] == "land.overpaid"

    # received by the collective, not yet passed on: the household's rent is not paid
    mine = client.get("/api/v1/me/land", headers=make.headers(lands.heads[0])).json
    assert (mine["contracts"][0]["this_year"]["paid"], mine["contracts"][0]["this_year"]["awaiting"]) == (
        "0.00", "2560.00")
    assert mine["contracts"][0]["this_year"]["status"] != "paid"
    pass_on(client, make, lands, r.json["id"], "2026-03-03")
    mine = client.get("/api/v1/me/land", headers=make.headers(lands.heads[0])).json
    assert [p["area_mu"] for p in mine["parcels"]] == ["1.2", "2"]
    (contract,) = mine["contracts"]
    assert contract["operator"] == "荣联农业合作社"
    assert contract["this_year"]["due"] == "2560.00" and contract["this_year"]["paid"] == "2560.00"
    assert contract["this_year"]["due_date"] == "2026-03-01" and contract["this_year"]["status"] == "paid"
    vouchers = db.session.execute(select(Voucher).where(Voucher.source == "land")).scalars().all()
    # the receipt, then one payout voucher per household (cash): 2560.00 + 600.00 + 2666.64
    assert sorted(v.total_fen for v in vouchers) == [600_00, 2560_00, 2666_64, 5826_64]
    assert date(2026, 3, 3) in {v.voucher_date for v in vouchers}
