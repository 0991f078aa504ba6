"""Signing the collective's contracts: the decision rule, the schedule, the number, changes, termination."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from backend.contracts.models import CollectiveContract, Installment
from backend.core.db import db
from tests.contracts.conftest import API, body, sign
from tests.factories import resolved_decision


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(CollectiveContract)).scalar_one()


def _post(client: Any, make: Any, lands: Any, **over: Any) -> Any:
    return client.post(f"{API}/villages/{lands.village.id}/contracts", headers=make.headers(lands.accountant),
                       json=body(**over))


def test_sign_a_small_service_contract_without_a_decision(client, make, lands, today):
    c = sign(client, make, lands)
    assert c["kind_label"] == "服务" and c["direction_label"] == "支出" and c["total"] == "12000.00"
    assert [i["amount"] for i in c["installments"]] == ["6000.00", "6000.00"]
    assert c["installments"][0]["overdue"] is True  # due 2026-03-31, nothing paid
    assert c["overdue_amount"] == "6000.00" and c["days_left"] == 199 and c["decision"] is None
    assert c["needs_decision"] is False


def test_above_the_threshold_needs_a_resolved_decision_of_the_village(client, make, lands, today):
    big = {"total": "60000.00", "installments": [{"due_date": "2026-07-01", "amount": "60000.00"}]}
    r = _post(client, make, lands, **big)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.decision_required"
    assert "50000.00" in r.json["error"]["message"] and r.json["error"]["details"]["field"] == "decision_id"
    pending = resolved_decision(lands.village.id, "保洁外包", "contract", None, date(2026, 1, 2))
    pending.status, pending.resolved_on = "in_progress", None
    other = make.village("LJ02", "河口村")
    theirs = resolved_decision(other.id, "河口村保洁外包", "contract", None, date(2026, 1, 2))
    db.session.commit()
    r = _post(client, make, lands, decision_id=pending.id, **big)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.decision_not_resolved"
    assert "尚未通过" in r.json["error"]["message"]
    r = _post(client, make, lands, decision_id=theirs.id, **big)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.decision_unknown"
    assert _count() == 0
    ok = resolved_decision(lands.village.id, "村庄保洁外包三年", "contract", None, date(2026, 1, 2))
    db.session.commit()
    c = sign(client, make, lands, decision_id=ok.id, **big)
    assert c["decision"] == {"id": ok.id, "title": "村庄保洁外包三年", "resolved": True} and c["needs_decision"]


def test_exactly_the_threshold_needs_no_decision(client, make, lands, today):
    c = sign(client, make, lands, total="50000.00", installments=[{"due_date": "2026-07-01", "amount": "50000.00"}])
    assert c["needs_decision"] is False


def test_an_asset_lease_needs_a_decision_whatever_its_amount(client, make, lands, today):
    lease = {"kind": "asset_lease", "direction": "income", "total": "3000.00", "title": "压路机出租",
             "installments": [{"due_date": "2026-07-01", "amount": "3000.00"}]}
    r = _post(client, make, lands, **lease)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.decision_required"
    assert "出租集体资产" in r.json["error"]["message"]
    r = _post(client, make, lands, **{**lease, "direction": "expense"})
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.direction_invalid"
    c = sign(client, make, lands, decision_id=lands.lease_decision.id, **lease)
    assert c["kind_label"] == "资产出租" and c["decision"]["resolved"] is True


def test_the_schedule_must_add_up_to_the_total(client, make, lands, today):
    r = _post(client, make, lands, installments=[{"due_date": "2026-03-31", "amount": "6000.00"},
                                                 {"due_date": "2026-09-30", "amount": "5999.99"}])
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.schedule_mismatch"
    assert r.json["error"]["message"] == "各期金额合计 11999.99 元，与合同金额 12000.00 元不一致"
    r = _post(client, make, lands, installments=[])
    assert r.status_code == 422
    r = _post(client, make, lands, installments=[{"due_date": "2026-03-31", "amount": "0"},
                                                 {"due_date": "2026-09-30", "amount": "12000.00"}])
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.installment_invalid"
    r = _post(client, make, lands, end_date="2026-01-01")
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.term_invalid"
    assert _count() == 0 and db.session.execute(select(func.count()).select_from(Installment)).scalar_one() == 0


def test_the_number_is_unique_among_land_and_collective_contracts(client, make, lands, today):
    lands.contract()  # LZ-2026-001
    r = _post(client, make, lands, number="LZ-2026-001")
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.number_taken"
    assert "土地合同" in r.json["error"]["message"]
    sign(client, make, lands)
    r = _post(client, make, lands)
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.number_taken"
    assert _count() == 1


def test_update_while_nothing_is_settled_then_refused(client, make, lands, today):
    c = sign(client, make, lands)
    h = make.headers(lands.accountant)
    r = client.put(f"{API}/contracts/{c['id']}", headers=h, json=body(
        title="村庄保洁外包（含河道）", total="13000.00",
        installments=[{"due_date": "2026-03-31", "amount": "6500.00"}, {"due_date": "2026-09-30",
                                                                       "amount": "6500.00"}]))
    assert r.status_code == 200 and r.json["total"] == "13000.00" and r.json["title"] == "村庄保洁外包（含河道）"
    inst = r.json["installments"][0]["id"]
    r = client.post(f"{API}/contracts/{c['id']}/settlements", headers=h,
                    json={"installment_id": inst, "amount": "100.00", "paid_on": "2026-04-01"})
    assert r.status_code == 201, r.json
    r = client.put(f"{API}/contracts/{c['id']}", headers=h, json=body())
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.settled"
    db.session.expire_all()
    assert db.session.get(CollectiveContract, c["id"]).total_fen == 1_300_000


def test_terminate_then_no_more_settlements(client, make, lands, today):
    c = sign(client, make, lands)
    h = make.headers(lands.accountant)
    r = client.post(f"{API}/contracts/{c['id']}/terminate", headers=h, json={"on": "2026-06-01", "reason": " "})
    assert r.status_code == 422
    r = client.post(f"{API}/contracts/{c['id']}/terminate", headers=h,
                    json={"on": "2026-06-01", "reason": "服务部停业"})
    assert r.status_code == 200 and r.json["status"] == "terminated" and r.json["status_label"] == "已终止"
    r = client.post(f"{API}/contracts/{c['id']}/settlements", headers=h,
                    json={"installment_id": c["installments"][0]["id"], "amount": "100.00", "paid_on": "2026-06-02"})
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.not_active"
    r = client.post(f"{API}/contracts/{c['id']}/terminate", headers=h,
                    json={"on": "2026-06-01", "reason": "再终止"})
    assert r.status_code == 409


def test_the_database_refuses_an_installment_settled_beyond_its_amount(client, make, lands, today):
    import pytest
    from sqlalchemy.exc import IntegrityError

    c = sign(client, make, lands)
    ins = db.session.get(Installment, c["installments"][0]["id"])
    ins.settled_fen = ins.amount_fen + 1
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_asset_leased_must_be_one_of_the_village(client, make, lands, today):
    from backend.assets.service import AssetInput, create_asset

    lease = {"kind": "asset_lease", "direction": "income", "total": "3000.00", "title": "压路机出租",
             "decision_id": lands.lease_decision.id, "installments": [{"due_date": "2026-07-01", "amount": "3000.00"}]}
    r = _post(client, make, lands, asset_id=999999, **lease)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.asset_unknown"
    other = make.village("LJ02", "河口村")
    value = {"original_fen": 10_000_000, "book_fen": 8_000_000}
    theirs = create_asset(other, AssetInput("asset", "HK-ZC-01", "河口村压路机", "机器设备", **value), actor=None)
    mine = create_asset(lands.village, AssetInput("asset", "LJ-ZC-01", "压路机", "机器设备", **value), actor=None)
    db.session.commit()
    r = _post(client, make, lands, asset_id=theirs.id, **lease)
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.asset_unknown"
    c = sign(client, make, lands, asset_id=mine.id, **lease)
    assert c["asset"]["name"] == "压路机"
