"""Disposal rests on a resolved decision of the same village; every refusal changes nothing; a disposed entry is
read-only; a leased one is not disposed while its lease runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.assets.models import Asset, AssetEvent
from backend.core.clock import today
from backend.core.db import db
from tests.assets.conftest import API, lease, new_asset


def _dispose(client, make, reg, asset_id, **body):
    data = {"kind": "sale", "on": today().isoformat()}
    data.update(body)
    return client.post(f"{API}/assets/{asset_id}/dispose", headers=make.headers(reg.secretary), json=data)


def _unchanged(asset_id: int) -> None:
    db.session.expire_all()
    a = db.session.get(Asset, asset_id)
    assert a.status == "in_use" and a.disposed_on is None and a.disposal_decision_id is None
    assert db.session.query(AssetEvent).filter_by(asset_id=asset_id, action="dispose").count() == 0


@pytest.mark.parametrize("which, code", [
    (None, "assets.decision_required"),
    ("unresolved", "assets.decision_unresolved"),
    ("other_decision", "assets.decision_unknown"),
    ("missing", "assets.decision_unknown"),
])
def test_disposal_without_a_resolved_decision_of_the_village_is_refused(client, make, reg, which, code):
    a = new_asset(client, make, reg)
    decision_id = {None: None, "missing": 999_999}.get(which) if which in (None, "missing") \
        else getattr(reg, which).id
    r = _dispose(client, make, reg, a["id"], decision_id=decision_id)
    assert r.status_code == 422 and r.json["error"]["code"] == code, r.json
    assert "决议" in r.json["error"]["message"]
    _unchanged(a["id"])


def test_disposal_on_a_resolved_decision_then_read_only(client, make, reg):
    a = new_asset(client, make, reg)
    r = _dispose(client, make, reg, a["id"], decision_id=reg.decision.id, kind="write_off", note="已无法修复")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "disposed" and r.json["disposal_name"] == "报废/核销" and r.json["read_only"]
    assert r.json["disposal_decision"]["title"] == "集体资产出租和处置方案"
    ev = r.json["events"][0]
    assert ev["action"] == "dispose" and ev["decision"]["id"] == reg.decision.id
    r = client.patch(f"{API}/assets/{a['id']}", headers=make.headers(reg.secretary), json={"name": "改名"})
    assert r.status_code == 409 and r.json["error"]["code"] == "assets.read_only"
    r = _dispose(client, make, reg, a["id"], decision_id=reg.decision.id)
    assert r.status_code == 409
    # out of the totals, still in the list under 已处置
    s = client.get(f"{API}/villages/{reg.village.id}/assets/summary", headers=make.headers(reg.villager)).json
    assert s["asset"]["count"] == 0 and s["disposed_count"] == 1
    r = client.get(f"{API}/villages/{reg.village.id}/assets", headers=make.headers(reg.villager),
                   query_string={"status": "disposed"})
    assert r.json["total"] == 1 and r.json["items"][0]["status_name"] == "已处置"


def test_disposal_date_rules(client, make, reg):
    a = new_asset(client, make, reg)
    r = _dispose(client, make, reg, a["id"], decision_id=reg.decision.id,
                 on=(today() + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.date_future"
    r = _dispose(client, make, reg, a["id"], decision_id=reg.decision.id,
                 on=(reg.decision.resolved_on - timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.before_decision"
    _unchanged(a["id"])


def test_leased_entry_is_not_disposed_while_the_lease_runs(client, make, reg):
    a = new_asset(client, make, reg, code="ZC-MM", name="老村部", category="门面商铺", parcel_id=reg.parcel.id,
                  quantity=None, unit=None)
    start = today() - timedelta(days=30)
    lease(reg, start, date(start.year + 2, start.month, 1))
    r = _dispose(client, make, reg, a["id"], decision_id=reg.decision.id)
    assert r.status_code == 409 and r.json["error"]["code"] == "assets.leased" and "惠农" in r.json["error"]["message"]
    _unchanged(a["id"])


def test_funds_are_not_disposed_and_accountant_may_dispose(client, make, reg):
    f = new_asset(client, make, reg, kind="fund", code="ZJ-101", name="库存现金", category="库存现金",
                  ledger_code="101", quantity=None, unit=None, original_value=None, book_value=None,
                  acquired_how=None, acquired_on=None)
    r = _dispose(client, make, reg, f["id"], decision_id=reg.decision.id)
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.fund_not_disposable"
    a = new_asset(client, make, reg, code="ZC-2")
    r = client.post(f"{API}/assets/{a['id']}/dispose", headers=make.headers(reg.accountant),
                    json={"kind": "transfer", "on": today().isoformat(), "decision_id": reg.decision.id})
    assert r.status_code == 200
    r = client.post(f"{API}/assets/{a['id']}/dispose", headers=make.headers(reg.villager),
                    json={"kind": "transfer", "on": today().isoformat(), "decision_id": reg.decision.id})
    assert r.status_code == 403
    r = client.post(f"{API}/assets/{a['id']}/dispose", headers=make.headers(reg.other_secretary),
                    json={"kind": "transfer", "on": today().isoformat(), "decision_id": reg.other_decision.id})
    assert r.status_code in (403, 404)
