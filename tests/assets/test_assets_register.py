"""The register: the list's contract, what a villager sees, other villages, the rules of an entry's fields, funds
from the books, 出租 following a lease, vouchers behind a value, the history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from backend.assets.models import Asset, AssetEvent
from backend.core.clock import today
from backend.core.db import db
from tests.assets.conftest import API, lease, new_asset, post_voucher, voucher_no


def _list(client: Any, make: Any, who: Any, village_id: int, **q: Any) -> Any:
    return client.get(f"{API}/villages/{village_id}/assets", headers=make.headers(who), query_string=q)


def test_list_has_the_contract_fields_paged(client, make, reg):
    new_asset(client, make, reg)
    new_asset(client, make, reg, code="ZY-001", kind="resource", name="十里荷塘", category="水面", area="320.5",
              quantity=None, unit=None, original_value=None, book_value=None, acquired_how="state")
    r = _list(client, make, reg.secretary, reg.village.id, page_size=1)
    assert r.status_code == 200, r.json
    assert r.json["total"] == 2 and r.json["page_size"] == 1 and len(r.json["items"]) == 1
    item = r.json["items"][0]
    assert {"id", "kind", "name", "category", "book_value", "status"} <= set(item)
    assert item["kind"] == "asset" and item["book_value"] == "96000.00" and item["status"] == "in_use"
    r = _list(client, make, reg.secretary, reg.village.id, kind="resource")
    assert [i["name"] for i in r.json["items"]] == ["十里荷塘"] and r.json["items"][0]["area_mu"] == "320.5"
    assert r.json["items"][0]["book_value"] is None
    assert _list(client, make, reg.secretary, reg.village.id, q="挖掘").json["total"] == 1
    assert _list(client, make, reg.secretary, reg.village.id, q="ZY-").json["total"] == 1
    assert _list(client, make, reg.secretary, reg.village.id, category="水面").json["total"] == 1
    assert _list(client, make, reg.secretary, reg.village.id, status="idle").json["total"] == 0
    r = _list(client, make, reg.secretary, reg.village.id, status="rented")
    assert r.status_code == 422


def test_villager_sees_public_fields_only(client, make, reg):
    a = new_asset(client, make, reg, hidden_fields=["book_value", "location"], note="内部备注")
    r = _list(client, make, reg.villager, reg.village.id)
    assert r.status_code == 200
    item = r.json["items"][0]
    assert item["name"] == "小型挖掘机" and item["book_value"] is None and item["location"] is None
    assert "original_value" not in item and "ledger_code" not in item
    r = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.villager))
    assert r.status_code == 200
    assert "events" not in r.json and "vouchers" not in r.json and "note" not in r.json
    assert r.json["book_value"] is None and r.json["acquired_name"] == "购置"
    r = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.secretary))
    assert r.json["book_value"] == "96000.00" and r.json["note"] == "内部备注" and r.json["events"]
    # the hidden book value stays out of the villager's totals too
    s = client.get(f"{API}/villages/{reg.village.id}/assets/summary", headers=make.headers(reg.villager)).json
    assert s["asset"]["count"] == 1 and s["asset"]["book_value"] == "0.00"
    s = client.get(f"{API}/villages/{reg.village.id}/assets/summary", headers=make.headers(reg.secretary)).json
    assert s["asset"]["book_value"] == "96000.00"


def test_other_village_cannot_read_or_write(client, make, reg):
    a = new_asset(client, make, reg)
    for who in (reg.other_villager, reg.other_secretary):
        assert _list(client, make, who, reg.village.id).status_code in (403, 404)
        assert client.get(f"{API}/assets/{a['id']}", headers=make.headers(who)).status_code in (403, 404)
        r = client.patch(f"{API}/assets/{a['id']}", headers=make.headers(who), json={"name": "改名"})
        assert r.status_code in (403, 404)
    assert client.get(f"{API}/villages/{reg.village.id}/assets.xlsx",
                      headers=make.headers(reg.other_secretary)).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Asset, a["id"]).name == "小型挖掘机"


def test_villager_cannot_write_nor_read_funds(client, make, reg):
    r = client.post(f"{API}/villages/{reg.village.id}/assets", headers=make.headers(reg.villager),
                    json={"kind": "asset", "code": "X", "name": "X", "category": "其他", "book_value": "1.00"})
    assert r.status_code == 403
    assert client.get(f"{API}/villages/{reg.village.id}/assets/funds",
                      headers=make.headers(reg.villager)).status_code == 403
    assert db.session.query(Asset).count() == 0


def test_field_rules_refuse_in_chinese_and_change_nothing(client, make, reg):
    new_asset(client, make, reg)
    h = make.headers(reg.accountant)
    url = f"{API}/villages/{reg.village.id}/assets"
    cases = [
        ({"kind": "asset", "code": "ZC-001", "name": "重复", "category": "其他", "book_value": "1.00"}, 409,
         "assets.code_exists"),
        ({"kind": "asset", "code": "ZC-9", "name": "A", "category": "水面", "book_value": "1.00"}, 422,
         "assets.category_invalid"),
        ({"kind": "resource", "code": "ZY-9", "name": "林地", "category": "林地"}, 422, "assets.area_required"),
        ({"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他"}, 422, "assets.book_required"),
        ({"kind": "fund", "code": "ZJ-9", "name": "基本户", "category": "银行存款", "bank_name": "农商银行",
          "ledger_code": "102", "book_value": "100.00"}, 422, "assets.fund_value_typed"),
        ({"kind": "fund", "code": "ZJ-9", "name": "现金", "category": "库存现金", "ledger_code": "102"}, 422,
         "assets.ledger_code_invalid"),
        ({"kind": "fund", "code": "ZJ-9", "name": "基本户", "category": "银行存款", "bank_name": "农商银行",
          "ledger_code": "102", "account_last4": "12a4"}, 422, "assets.last4_invalid"),
        ({"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他", "book_value": "1.00",
          "parcel_id": 999999}, 422, "assets.parcel_unknown"),
        ({"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他", "book_value": "1.00",
          "vouchers": ["2020-01-001"]}, 422, "assets.voucher_unknown"),
        ({"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他", "book_value": "1.005"}, 422, None),
    ]
    for body, status, code in cases:
        r = client.post(url, headers=h, json=body)
        assert r.status_code == status, (body, r.json)
        if code:
            assert r.json["error"]["code"] == code, r.json
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["error"]["message"])
        assert db.session.query(Asset).count() == 1, body
    assert db.session.query(Asset).count() == 1
    r = client.post(url, headers=h, json={"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他",
                                          "book_value": "1.00", "status": "leased"})
    assert r.status_code == 422


def test_other_villages_parcel_refused(client, make, reg):
    from backend.land import parcels

    p = parcels.create_parcel(reg.other, parcels.ParcelInput("XZ-Z1", "新竹门面", 1000, kind="collective_asset",
                                                             land_type="其他"), actor=None)
    db.session.commit()
    r = client.post(f"{API}/villages/{reg.village.id}/assets", headers=make.headers(reg.secretary),
                    json={"kind": "asset", "code": "ZC-9", "name": "A", "category": "其他", "book_value": "1.00",
                          "parcel_id": p.id})
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.parcel_unknown"


def test_fund_balance_comes_from_the_posted_books(client, make, reg):
    post_voucher(reg.village, today() - timedelta(days=5), "102", "301", 480_000_00, "期初")
    post_voucher(reg.village, today() - timedelta(days=2), "101", "102", 1_234_56, "提取现金")
    f = new_asset(client, make, reg, kind="fund", code="ZJ-101", name="库存现金", category="库存现金",
                  ledger_code="101", quantity=None, unit=None, original_value=None, book_value=None,
                  acquired_how=None, acquired_on=None)
    new_asset(client, make, reg, kind="fund", code="ZJ-102", name="基本存款账户", category="银行存款",
              ledger_code="102", bank_name="农商银行青山支行", account_last4="6688", quantity=None, unit=None,
              original_value=None, book_value=None, acquired_how=None, acquired_on=None)
    assert f["book_value"] == "1234.56"
    r = _list(client, make, reg.villager, reg.village.id, kind="fund")
    assert {i["name"]: i["book_value"] for i in r.json["items"]} == {"库存现金": "1234.56",
                                                                     "基本存款账户": "478765.44"}
    assert "account_last4" not in r.json["items"][0]
    r = client.get(f"{API}/villages/{reg.village.id}/assets/funds", headers=make.headers(reg.accountant))
    assert r.status_code == 200
    assert r.json["cash_balance"] == "1234.56" and r.json["cash_limit"] == "5000.00" and not r.json["over_limit"]
    assert r.json["funds"][1]["account_last4"] == "6688"


def test_leased_follows_the_active_lease_on_the_parcel(client, make, reg):
    a = new_asset(client, make, reg, code="ZC-MM", name="老村部（临街门面）", category="门面商铺",
                  parcel_id=reg.parcel.id, quantity=None, unit=None)
    assert a["status"] == "in_use" and a["lessee"] is None
    start = today() - timedelta(days=100)
    lease(reg, start, date(start.year + 3, start.month, 1))
    r = _list(client, make, reg.villager, reg.village.id, status="leased")
    assert [i["name"] for i in r.json["items"]] == ["老村部（临街门面）"]
    assert r.json["items"][0]["status_name"] == "出租" and r.json["items"][0]["lessee"] == "惠农粮油有限公司"
    assert _list(client, make, reg.villager, reg.village.id, status="in_use").json["total"] == 0
    d = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.villager)).json
    assert d["lease"]["party"] == "惠农粮油有限公司" and d["lease"]["number"] == "ZL-001"
    # a lessee the secretary hides
    client.patch(f"{API}/assets/{a['id']}", headers=make.headers(reg.secretary), json={"hidden_fields": ["lessee"]})
    d = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.villager)).json
    assert d["lease"] is None and d["status"] == "leased"


def test_vouchers_link_by_number_and_history_records_changes(client, make, reg):
    v = post_voucher(reg.village, today() - timedelta(days=3), "151", "102", 128_000_00, "购置小型挖掘机",
                     str(reg.decision.id))
    ov = post_voucher(reg.other, today() - timedelta(days=3), "151", "102", 1_00, "其他村")
    a = new_asset(client, make, reg, vouchers=[voucher_no(v)])
    assert [x["summary"] for x in a["vouchers"]] == ["购置小型挖掘机"]
    assert a["vouchers"][0]["period"] == v.period
    h = make.headers(reg.secretary)
    r = client.patch(f"{API}/assets/{a['id']}", headers=h, json={"vouchers": [voucher_no(v), voucher_no(ov) + "9"]})
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.voucher_unknown"
    r = client.patch(f"{API}/assets/{a['id']}", headers=h, json={"book_value": "90000.00", "status": "idle"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "idle" and r.json["status_since"] == today().isoformat()
    ev = r.json["events"][0]
    assert ev["action_name"] == "修改" and ev["actor"] == "王建国"
    assert ev["before"]["book_fen"] == 96_000_00 and ev["after"]["book_fen"] == 90_000_00
    assert db.session.query(AssetEvent).filter_by(asset_id=a["id"]).count() == 2
    r = client.patch(f"{API}/assets/{a['id']}", headers=h, json={"status": "disposed"})
    assert r.status_code == 422


def test_export_xlsx(client, make, reg):
    from io import BytesIO

    from openpyxl import load_workbook

    new_asset(client, make, reg, name="=HYPERLINK(\"x\")")
    r = client.get(f"{API}/villages/{reg.village.id}/assets.xlsx", headers=make.headers(reg.accountant))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.data)).active
    assert ws.cell(2, 1).value == "编号" and ws.cell(3, 1).value == "ZC-001"
    assert ws.cell(3, 2).data_type == "s" and ws.cell(3, 10).value == 96000


def test_a_collective_contract_leasing_the_entry_makes_it_leased_until_it_ends(client, make, reg):
    from backend.assets import findings
    from backend.contracts import service as contracts

    a = new_asset(client, make, reg, code="ZC-YL", name="压路机", status="idle",
                  status_since=(today() - timedelta(days=400)).isoformat())
    assert [f.kind for f in findings([reg.village.id], today())] == ["asset_idle"]  # idle 400 days, nothing leases it
    start = today() - timedelta(days=30)
    c = contracts.create_contract(reg.village, contracts.ContractInput(
        "HT-ZL-001", "asset_lease", "income", "宏达路桥工程队", "压路机出租", 24_000_00, start, start,
        start + timedelta(days=364), [contracts.InstallmentInput(start, 24_000_00)], asset_id=a["id"],
        decision_id=reg.decision.id), actor=None)
    db.session.commit()
    leased = _list(client, make, reg.villager, reg.village.id, status="leased").json["items"]
    assert [(i["name"], i["status_name"], i["lessee"]) for i in leased] == [("压路机", "出租", "宏达路桥工程队")]
    assert leased[0]["lease_until"] == (start + timedelta(days=364)).isoformat()
    assert _list(client, make, reg.villager, reg.village.id, status="idle").json["total"] == 0
    d = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.secretary)).json
    assert (d["lease"]["source"], d["lease"]["contract_id"], d["lease"]["number"]) == ("collective", c.id, "HT-ZL-001")
    assert findings([reg.village.id], today()) == []  # a leased machine is not idle
    r = client.post(f"{API}/assets/{a['id']}/dispose", headers=make.headers(reg.secretary),
                    json={"kind": "sale", "on": today().isoformat(), "decision_id": reg.decision.id})
    assert r.status_code == 409 and r.json["error"]["code"] == "assets.leased", r.json
    assert "HT-ZL-001" in r.json["error"]["message"] and "宏达路桥工程队" in r.json["error"]["message"]
    # the contract terminated: the machine is idle again (since the day it was stored idle)
    contracts.terminate(c, today(), "承租方提前退租", actor=None)
    db.session.commit()
    again = client.get(f"{API}/assets/{a['id']}", headers=make.headers(reg.secretary)).json
    assert (again["status"], again["lease"]) == ("idle", None)
    assert [f.kind for f in findings([reg.village.id], today())] == ["asset_idle"]
