"""The warning rules' edges: cash exactly at the limit is no warning, one fen over is; idle exactly N days is no
warning, one day more is; a leased entry is not idle; each village's setting is its own."""

from __future__ import annotations

from datetime import timedelta

from backend import registry
from backend.assets import findings
from backend.assets.models import Asset
from backend.core.clock import today
from backend.core.db import db
from tests.assets.conftest import lease, new_asset, post_voucher


def _kinds(reg, on=None):
    return [f for f in findings([reg.village.id, reg.other.id], on or today())]


def test_cash_exactly_at_the_limit_is_no_warning_one_fen_over_is(client, make, reg):
    post_voucher(reg.village, today() - timedelta(days=20), "102", "301", 100_000_00)
    post_voucher(reg.village, today() - timedelta(days=10), "101", "102", 5_000_00, "提取备用金")
    assert [f for f in _kinds(reg) if f.kind == "cash_over_limit"] == []
    post_voucher(reg.village, today() - timedelta(days=4), "101", "102", 1, "提取")
    got = [f for f in _kinds(reg) if f.kind == "cash_over_limit"]
    assert len(got) == 1
    f = got[0]
    assert f.key == f"village-{reg.village.id}" and f.link_type == "fund" and f.link_id == reg.village.id
    assert f.since == today() - timedelta(days=4)
    assert "5000.01" in f.message and "5000.00" in f.message and "0.01" in f.message
    # on a day before it went over: nothing
    assert [f for f in _kinds(reg, today() - timedelta(days=5)) if f.kind == "cash_over_limit"] == []
    # a village's own limit
    registry.settings.put("assets.cash_limit_fen", 6_000_00, actor=None, village=reg.village)
    db.session.commit()
    assert [f for f in _kinds(reg) if f.kind == "cash_over_limit"] == []


def test_cash_since_is_the_last_time_it_went_over(client, make, reg):
    post_voucher(reg.village, today() - timedelta(days=300), "102", "301", 100_000_00)
    post_voucher(reg.village, today() - timedelta(days=200), "101", "102", 8_000_00, "提取")
    post_voucher(reg.village, today() - timedelta(days=100), "102", "101", 7_000_00, "存入")
    post_voucher(reg.village, today() - timedelta(days=37), "101", "102", 9_000_00, "提取")
    f = next(f for f in _kinds(reg) if f.kind == "cash_over_limit")
    assert f.since == today() - timedelta(days=37)


def test_idle_more_than_the_setting(client, make, reg):
    a = new_asset(client, make, reg, status="idle", status_since=(today() - timedelta(days=365)).isoformat())
    assert [f for f in _kinds(reg) if f.kind == "asset_idle"] == []
    db.session.get(Asset, a["id"]).status_since = today() - timedelta(days=366)
    db.session.commit()
    got = [f for f in _kinds(reg) if f.kind == "asset_idle"]
    assert len(got) == 1
    f = got[0]
    assert f.key == f"asset-{a['id']}" and f.link_type == "asset" and f.link_id == a["id"]
    assert f.since == today() - timedelta(days=1)
    assert "366" in f.message and "365" in f.message and "小型挖掘机" in f.message
    registry.settings.put("assets.idle_days", 400, actor=None, village=reg.village)
    db.session.commit()
    assert [f for f in _kinds(reg) if f.kind == "asset_idle"] == []


def test_idle_but_leased_or_in_use_is_no_warning(client, make, reg):
    long_ago = (today() - timedelta(days=800)).isoformat()
    new_asset(client, make, reg, code="ZC-MM", name="老村部", category="门面商铺", parcel_id=reg.parcel.id,
              quantity=None, unit=None, status="idle", status_since=long_ago)
    new_asset(client, make, reg, code="ZC-2", status="in_use", status_since=long_ago)
    assert len([f for f in _kinds(reg) if f.kind == "asset_idle"]) == 1
    lease(reg, today() - timedelta(days=10), today() + timedelta(days=700))
    assert [f for f in _kinds(reg) if f.kind == "asset_idle"] == []
    assert findings([], today()) == []
