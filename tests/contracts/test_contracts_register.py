"""The one register (land's contracts beside the collective's), its filters, who sees what, and the .xlsx."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.contracts.conftest import API, sign


def test_both_sources_in_one_row_shape(client, make, lands, today):
    land = lands.contract()  # LZ-2026-001, year 1 due 2026-03-01, unpaid
    c = sign(client, make, lands)
    r = client.get(f"{API}/villages/{lands.village.id}/contracts", headers=make.headers(lands.secretary))
    assert r.status_code == 200 and r.json["total"] == 2
    rows = {row["key"]: row for row in r.json["items"]}
    lr, cr = rows[f"land-{land.id}"], rows[f"c-{c['id']}"]
    assert lr["source"] == "land" and lr["kind_label"] == "土地流转" and lr["counterparty"] == "荣联农业合作社"
    assert lr["end_date"] == "2029-03-01" and lr["days_left"] == 990 and lr["status_label"] == "履行中"
    assert float(lr["overdue_amount"]) > 0 and lr["deposit"]["amount"] == "0.00"
    assert cr["source"] == "collective" and cr["amount"] == "12000.00" and cr["overdue_amount"] == "6000.00"
    assert cr["counterparty_phone"] == "13800001111" and cr["deposit"]["amount"] == "1000.00"
    assert set(lr) == set(cr)


def test_filters_and_paging(client, make, lands, today):
    lands.contract()
    sign(client, make, lands, number="HT-1", end_date="2026-09-13")  # 90 days left
    sign(client, make, lands, number="HT-2", end_date="2026-09-14")  # 91 days left
    h = make.headers(lands.secretary)
    url = f"{API}/villages/{lands.village.id}/contracts"
    assert client.get(url, headers=h, query_string={"source": "land"}).json["total"] == 1
    assert client.get(url, headers=h, query_string={"kind": "service"}).json["total"] == 2
    r = client.get(url, headers=h, query_string={"expiring": "true"})
    assert [row["number"] for row in r.json["items"]] == ["HT-1"] and r.json["items"][0]["days_left"] == 90
    r = client.get(url, headers=h, query_string={"page_size": 2, "page": 2})
    assert r.json["total"] == 3 and len(r.json["items"]) == 1
    assert client.get(url, headers=h, query_string={"q": "荣联"}).json["total"] == 1
    r = client.get(url, headers=h, query_string={"source": "nope"})
    assert r.status_code == 422


def test_a_villager_sees_the_public_fields_only(client, make, lands, today):
    lands.contract()
    c = sign(client, make, lands)
    villager = make.member(lands.village, "孙小明")
    h = make.headers(villager)
    r = client.get(f"{API}/villages/{lands.village.id}/contracts", headers=h)
    assert r.status_code == 200 and r.json["total"] == 2
    for row in r.json["items"]:
        assert row["counterparty_phone"] is None and row["counterparty_code"] is None
        assert row["deposit"] is None and row["overdue_amount"] is None and row["decision"] is None
        assert row["number"] and row["title"] and row["counterparty"] and row["amount"] and row["end_date"]
    assert client.get(f"{API}/contracts/{c['id']}", headers=h).status_code == 403
    assert client.get(f"{API}/villages/{lands.village.id}/contracts.xlsx", headers=h).status_code == 403
    r = client.post(f"{API}/villages/{lands.village.id}/contracts", headers=h, json={})
    assert r.status_code == 403


def test_another_village_sees_nothing(client, make, lands, today):
    c = sign(client, make, lands)
    other = make.village("LJ02", "河口村")
    stranger = make.member(other, "钱多多", roles=("secretary",))
    h = make.headers(stranger)
    assert client.get(f"{API}/villages/{lands.village.id}/contracts", headers=h).status_code == 404
    assert client.get(f"{API}/contracts/{c['id']}", headers=h).status_code == 404
    r = client.post(f"{API}/contracts/{c['id']}/settlements", headers=h,
                    json={"installment_id": c["installments"][0]["id"], "amount": "1.00", "paid_on": "2026-06-01"})
    assert r.status_code == 404


def test_a_supervisor_reads_but_does_not_keep(client, make, lands, today):
    c = sign(client, make, lands)
    h = make.headers(lands.supervisor)
    assert client.get(f"{API}/contracts/{c['id']}", headers=h).status_code == 200
    r = client.get(f"{API}/villages/{lands.village.id}/contracts", headers=h)
    assert r.json["items"][0]["counterparty_phone"] == "13800001111"
    r = client.post(f"{API}/contracts/{c['id']}/terminate", headers=h, json={"on": "2026-06-01", "reason": "x"})
    assert r.status_code == 403


def test_the_export_holds_both_sources(client, make, lands, today):
    lands.contract()
    sign(client, make, lands)
    r = client.get(f"{API}/villages/{lands.village.id}/contracts.xlsx", headers=make.headers(lands.accountant))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.data)).active
    numbers = [ws.cell(row, 1).value for row in range(3, ws.max_row + 1)]
    assert sorted(numbers) == ["HT-2026-001", "LZ-2026-001"]
    assert ws.cell(2, 8).value == "合同金额（元）"


def test_resolved_decisions_to_choose_from(client, make, lands, today):
    r = client.get(f"{API}/villages/{lands.village.id}/contract-decisions", headers=make.headers(lands.accountant))
    assert r.status_code == 200 and [d["title"] for d in r.json["items"]] == ["集体土地和资产出租"]
