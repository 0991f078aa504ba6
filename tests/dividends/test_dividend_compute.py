"""Computing a distribution: the buckets, fixed and equity dividends and their combinations, the refusals
(亏空分配, fixed above the pool, 分红总额 above the buckets, a reserve below the charter), the collective's own
shares, one live plan a year, the freeze of the register, and the figures over HTTP. A property test drives the
real ``computing.compute`` over generated registers, pools and plans."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.money import split_largest_remainder
from backend.dividends import computing, plans, publishing, views
from backend.dividends.models import Distribution, DistributionBucket, DividendLine
from backend.dividends.shares import service as shares
from backend.ledger import service as ledger
from backend.registry import settings as village_settings
from backend.registry.models import Village
from tests.factories import parallel

API = "/api/v1"
B = plans.BucketInput
C = plans.ComponentInput


# ---------------------------------------------------------------- helpers


def _post_books(village: Village, on: date, income_fen: int, expense_fen: int = 0) -> None:
    """Income (租赁收入) and optionally costs (管理费用), posted on ``on``."""
    ledger.ensure_chart(village)
    if income_fen:
        v = ledger.create_voucher(village, ledger.VoucherInput(on, "收租金", [
            ledger.LineInput("102", debit_fen=income_fen), ledger.LineInput("501002", credit_fen=income_fen)]),
            actor=None)
        ledger.post_voucher(v, actor=None)
    if expense_fen:
        v = ledger.create_voucher(village, ledger.VoucherInput(on, "办公费", [
            ledger.LineInput("513", debit_fen=expense_fen), ledger.LineInput("102", credit_fen=expense_fen)]),
            actor=None)
        ledger.post_voucher(v, actor=None)


def _plan(books: Any, components: list[plans.ComponentInput], **kw: Any) -> Distribution:
    return plans.create_distribution(
        books.village, plans.DistributionInput(books.year, f"{books.year}年度收益分配方案", components, **kw),
        actor=None)


def _lines(d: Distribution) -> dict[int | None, DividendLine]:
    rows = db.session.execute(select(DividendLine).where(DividendLine.distribution_id == d.id)).scalars().all()
    out = {ln.household_id: ln for ln in rows}
    assert len(out) == len(rows)
    return out


def _amounts(d: Distribution) -> dict[int | None, int]:
    return {h: ln.amount_fen for h, ln in _lines(d).items()}


def _view(d: Distribution) -> dict[str, Any]:
    return views.distribution_view(d, staff=True)


def _fen(yuan: str) -> int:
    return int(yuan.replace(".", ""))


def _refused(code: str, fn: Any, *args: Any, **kw: Any) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args, **kw)
    assert info.value.code == code, info.value
    db.session.rollback()
    return info.value


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _record(books: Any) -> date:
    return date(books.year, 12, 31)


# ---------------------------------------------------------------- property: the real compute on generated data


_village_seq = itertools.count(1)


@st.composite
def _scenarios(draw: Any) -> dict[str, Any]:
    # per household: its members as (成员股, 劳龄股) and the 成员股 the household keeps without a member
    houses = draw(st.lists(st.tuples(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), max_size=3),
                                     st.integers(0, 5)), min_size=2, max_size=5))
    collective = draw(st.integers(0, 10))
    assume(sum(a + b for ms, _ in houses for a, b in ms) + sum(own for _, own in houses) + collective > 0)
    retain = draw(st.integers(3000, 9999))
    reserve = draw(st.integers(0, retain))
    dividend = 10000 - retain
    first = draw(st.integers(0, dividend))
    buckets = [B("公积公益金", "retain", reserve, account_code="311"),
               B("公益金", "retain", retain - reserve, account_code="311"),
               B("股金分红", "dividend", first), B("福利分红", "dividend", dividend - first)]
    income = draw(st.integers(1, 5_000_000_00))
    expense = draw(st.integers(0, min(income - 1, 50_000_00)))  # above 50,000.00 元 an expense needs a decision
    excluded = draw(st.one_of(st.just(0), st.integers(1, income - expense - 1))) if income - expense > 1 else 0
    distributable = income - expense - excluded
    allowed_about = distributable * dividend // 10000
    # fixed amounts mostly within the pool (up to ~100 shares or members a type), now and then above it
    per_unit = st.integers(1, max(1, allowed_about // 60))
    return {
        "houses": houses,
        "collective": collective,
        "buckets": buckets,
        "income": income,
        "expense": expense,
        "excluded": excluded,
        "dividend_total": draw(st.one_of(st.none(), st.integers(1, allowed_about + 2))),
        "per_share": draw(st.one_of(st.none(), st.tuples(st.sampled_from(["member", "labor", "coll"]), per_unit))),
        "per_member": draw(st.one_of(st.none(), per_unit)),
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_scenarios())
def test_property_lines_sum_to_the_pool_and_each_is_within_a_fen_of_its_exact_share(make, case):
    try:
        _check_scenario(make, case)
    finally:
        db.session.rollback()  # each example starts from empty tables


def _check_scenario(make: Any, case: dict[str, Any]) -> None:
    assert _count(Distribution) == 0 and _count(Village) == 0
    year = today().year - 1
    n = next(_village_seq)
    v = make.village(f"PV{n:04d}", f"试算村{n}")
    types = {code: shares.create_share_type(v, shares.ShareTypeInput(code, name, holder=holder), actor=None)
             for code, name, holder in (("member", "成员股", "member"), ("labor", "劳龄股", "member"),
                                        ("coll", "集体股", "collective"))}
    # what each holder should get, worked out from the generated data only
    want: dict[int | None, dict[str, int]] = {}
    changes = []
    for i, (ms, own) in enumerate(case["houses"]):
        h = make.household(v, f"P-{i:02d}")
        units = {"member": own, "labor": 0, "coll": 0, "members": 0}
        if own:
            changes.append(shares.ChangeInput(types["member"].id, own, h.id, None))
        for j, (a, b) in enumerate(ms):
            m = make.member(v, f"成员{i}{j}", household=h, head=(j == 0))
            for code, k in (("member", a), ("labor", b)):
                if k:
                    changes.append(shares.ChangeInput(types[code].id, k, h.id, m.id))
                    units[code] += k
            units["members"] += 1 if a + b else 0
        if units["member"] + units["labor"]:
            want[h.id] = units
    if case["collective"]:
        changes.append(shares.ChangeInput(types["coll"].id, case["collective"], None, None))
        want[None] = {"member": 0, "labor": 0, "coll": case["collective"], "members": 0}
    shares.record_event(v, shares.EventInput("initial", date(year, 1, 1), changes=changes), actor=None)
    _post_books(v, date(year, 6, 30), case["income"], case["expense"])

    components = [C("equity")]
    if case["per_share"]:
        components.append(C("fixed_per_share", share_type_id=types[case["per_share"][0]].id,
                            per_unit_fen=case["per_share"][1]))
    if case["per_member"]:
        components.append(C("fixed_per_member", per_unit_fen=case["per_member"]))
    d = plans.create_distribution(v, plans.DistributionInput(
        year, "试算", components, buckets=case["buckets"], excluded_fen=case["excluded"],
        excluded_note="征地补偿费" if case["excluded"] else None, dividend_total_fen=case["dividend_total"]),
        actor=None)

    distributable = case["income"] - case["expense"] - case["excluded"]
    bps = [b.percent_bp for b in case["buckets"]]
    bucket_amounts = split_largest_remainder(distributable, bps)
    allowed = sum(a for a, b in zip(bucket_amounts, case["buckets"], strict=True) if b.kind == "dividend")
    pool = allowed if case["dividend_total"] is None else case["dividend_total"]

    def fixed_of(u: dict[str, int]) -> int:
        out = 0
        if case["per_share"]:
            out += u[case["per_share"][0]] * case["per_share"][1]
        if case["per_member"]:
            out += u["members"] * case["per_member"]
        return out

    fixed_total = sum(fixed_of(u) for u in want.values())
    record_date = date(year, 12, 31)
    if case["dividend_total"] is not None and case["dividend_total"] > allowed:
        with pytest.raises(AppError) as info:
            computing.compute(d, record_date, actor=None)
        assert info.value.code == "dividend.total_exceeds_buckets"
        event("refused: 分红总额 above the buckets")
        return
    if fixed_total > pool:
        with pytest.raises(AppError) as info:
            computing.compute(d, record_date, actor=None)
        assert info.value.code == "dividend.fixed_exceeds_pool"
        event("refused: fixed above the pool")
        return
    computing.compute(d, record_date, actor=None)
    event(f"computed: {len(want)} lines")

    buckets = plans.buckets_of(d)
    assert [b.amount_fen for b in buckets] == bucket_amounts
    assert sum(b.amount_fen for b in buckets) == distributable == d.distributable_fen
    for b in buckets:  # each bucket is its exact share rounded down or up
        assert abs(b.amount_fen - Fraction(distributable * b.percent_bp, 10000)) < 1

    lines = _lines(d)
    assert set(lines) == set(want)
    total_shares = sum(u["member"] + u["labor"] + u["coll"] for u in want.values())
    assert d.total_shares == total_shares and d.households == sum(1 for h in want if h is not None)
    assert sum(ln.amount_fen for ln in lines.values()) == pool == d.pool_fen == d.paid_out_fen
    for h, u in want.items():
        ln = lines[h]
        held = u["member"] + u["labor"] + u["coll"]
        exact = fixed_of(u) + Fraction(pool - fixed_total) * held / total_shares
        assert ln.amount_fen >= 0
        assert abs(ln.amount_fen - exact) < 1, (h, ln.amount_fen, exact)
        assert ln.shares == held and ln.members == u["members"]
        detail = json.loads(ln.detail)
        assert sum(detail["fixed"]) + detail["equity"] == ln.amount_fen
    view = _view(d)
    assert _fen(view["carried_forward"]) == allowed - pool
    assert computing.verify_register(d) and shares.frozen_until(v.id) == record_date


@settings(max_examples=500)
@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=40).filter(any))
def test_the_integer_split_by_shares_is_the_largest_remainder_split(total, weights):
    parts = computing._split_by_shares(total, weights)
    assert parts == split_largest_remainder(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)


# ---------------------------------------------------------------- fixed, per member, equity, together


def test_fixed_per_share_is_exact_and_equity_gets_what_the_pool_has_left(books):
    d = _plan(books, [C("fixed_per_share", share_type_id=books.labor_type.id, per_unit_fen=100_00), C("equity")])
    computing.compute(d, _record(books), actor=None)
    h0, h1, h2, h3 = (h.id for h in books.households)
    # 劳龄股 3 × 100.00 = 300.00; 62,700.00 / 11 shares = 5,700.00 a share exactly
    assert _amounts(d) == {h0: 200_00 + 5 * 5700_00, h1: 100_00 + 3 * 5700_00, h2: 5700_00, h3: 2 * 5700_00}
    comps = plans.components_of(d)
    assert [(c.kind, c.units, c.amount_fen) for c in comps] == [("fixed_per_share", 3, 300_00),
                                                                ("equity", 11, 62_700_00)]
    detail = json.loads(_lines(d)[h0].detail)
    assert detail["fixed"] == [200_00] and detail["equity"] == 28_500_00
    assert d.pool_fen == d.paid_out_fen == 63_000_00


def test_fixed_per_member_then_equity_by_largest_remainder(books):
    d = _plan(books, [C("fixed_per_member", per_unit_fen=50_00), C("equity")])
    computing.compute(d, _record(books), actor=None)
    h0, h1, h2, h3 = (h.id for h in books.households)
    # 8 members × 50.00 = 400.00; 6,260,000 fen over 11 shares: exact 2,845,454.5 / 1,707,272.7 / 569,090.9 /
    # 1,138,181.8; the floors leave 3 fen for the three largest remainders (.909, .818, .727)
    assert _amounts(d) == {h0: 150_00 + 2_845_454, h1: 100_00 + 1_707_273, h2: 50_00 + 569_091,
                           h3: 100_00 + 1_138_182}
    assert sum(_amounts(d).values()) == 63_000_00
    assert [(c.units, c.amount_fen) for c in plans.components_of(d)] == [(8, 400_00), (11, 62_600_00)]


def test_fixed_only_leaves_the_rest_of_the_pool_carried_forward(books):
    d = _plan(books, [C("fixed_per_member", per_unit_fen=100_00)])
    computing.compute(d, _record(books), actor=None)
    h0, h1, h2, h3 = (h.id for h in books.households)
    assert _amounts(d) == {h0: 300_00, h1: 200_00, h2: 100_00, h3: 200_00}
    view = _view(d)
    assert view["total"] == "800.00" and view["pool"] == "63000.00"
    # what the dividend bucket allowed = what is paid out + what stays in 未分配收益
    assert view["carried_forward"] == "62200.00"
    assert _fen(view["buckets"][1]["amount"]) == _fen(view["total"]) + _fen(view["carried_forward"])


def test_fixed_and_equity_together_with_the_collectives_own_shares(books):
    coll = shares.create_share_type(books.village, shares.ShareTypeInput("coll", "集体股", holder="collective"),
                                    actor=None)
    shares.record_event(books.village, shares.EventInput("initial", date(books.year, 1, 1), changes=[
        shares.ChangeInput(coll.id, 4)]), actor=None)
    d = _plan(books, [C("fixed_per_share", share_type_id=books.member_type.id, per_unit_fen=10_00),
                      C("fixed_per_member", per_unit_fen=5_00), C("equity")])
    computing.compute(d, _record(books), actor=None)
    h0, h1, h2, h3 = (h.id for h in books.households)
    # fixed: 成员股 8 × 10.00 + 8 members × 5.00 = 120.00; 62,880.00 over 15 shares = 4,192.00 a share exactly
    assert _amounts(d) == {h0: 30_00 + 15_00 + 5 * 4192_00, h1: 20_00 + 10_00 + 3 * 4192_00,
                           h2: 10_00 + 5_00 + 4192_00, h3: 20_00 + 10_00 + 2 * 4192_00, None: 4 * 4192_00}
    assert sum(_amounts(d).values()) == 63_000_00
    collective = _lines(d)[None]
    assert (collective.household_number, collective.shares, collective.members) == ("集体", 4, 0)
    assert d.total_shares == 15 and d.households == 4
    assert [(c.units, c.amount_fen) for c in plans.components_of(d)] == [(8, 80_00), (8, 40_00),
                                                                          (15, 62_880_00)]


def test_fixed_above_the_pool_is_refused_and_nothing_is_written(client, make, books):
    sec = make.headers(books.secretary)
    d = _plan(books, [C("fixed_per_member", per_unit_fen=10_000_00), C("equity")])  # 8 × 10,000.00 > 63,000.00
    db.session.commit()
    r = client.post(f"{API}/distributions/{d.id}/compute", json={"record_date": _record(books).isoformat()},
                    headers=sec)
    assert r.status_code == 422 and r.json["error"]["code"] == "dividend.fixed_exceeds_pool", r.json
    assert r.json["error"]["details"] == {"fixed": "80000.00", "pool": "63000.00"}
    db.session.rollback()
    d = db.session.get(Distribution, d.id)
    assert d.status == "draft" and d.register_hash is None and _count(DividendLine) == 0
    assert shares.frozen_until(books.village.id) is None
    assert [b.amount_fen for b in plans.buckets_of(d)] == [None, None]


def test_fixed_exactly_the_pool_is_fine_a_fen_more_is_not(books):
    # 分红总额 800.00 and 8 members × 100.00: the equity dividend is zero for everyone
    d = _plan(books, [C("fixed_per_member", per_unit_fen=100_00), C("equity")], dividend_total_fen=800_00)
    computing.compute(d, _record(books), actor=None)
    assert sorted(_amounts(d).values()) == [100_00, 200_00, 200_00, 300_00]
    assert all(json.loads(ln.detail)["equity"] == 0 for ln in _lines(d).values())
    plans.cancel_distribution(d, "重做", actor=None)
    d = _plan(books, [C("fixed_per_member", per_unit_fen=100_00), C("equity")], dividend_total_fen=799_99)
    _refused("dividend.fixed_exceeds_pool", computing.compute, d, _record(books), actor=None)


# ---------------------------------------------------------------- the pool: 分红总额, buckets, income


def test_dividend_total_above_the_buckets_is_refused_below_is_carried_forward(books):
    d = _plan(books, [C("equity")], dividend_total_fen=63_000_01)
    db.session.commit()
    e = _refused("dividend.total_exceeds_buckets", computing.compute, d, _record(books), actor=None)
    assert e.details == {"allowed": "63000.00"}
    assert _count(DividendLine) == 0
    d = db.session.get(Distribution, d.id)
    plans.cancel_distribution(d, "重做", actor=None)

    d = _plan(books, [C("equity")], dividend_total_fen=60_000_00)
    computing.compute(d, _record(books), actor=None)
    view = _view(d)
    assert (view["pool"], view["total"], view["carried_forward"], view["dividend_total"]) == \
        ("60000.00", "60000.00", "3000.00", "60000.00")
    assert sum(_amounts(d).values()) == 60_000_00
    plans.cancel_distribution(d, "重做", actor=None)

    d = _plan(books, [C("equity")], dividend_total_fen=63_000_00)
    computing.compute(d, _record(books), actor=None)
    assert _view(d)["carried_forward"] == "0.00" and sum(_amounts(d).values()) == 63_000_00


@pytest.mark.parametrize(("buckets", "code"), [
    ([("留存", "retain", "30"), ("分红", "dividend", "60")], "dividend.buckets_total"),
    ([("留存", "retain", "30"), ("分红", "dividend", "70.01")], "dividend.buckets_total"),
    ([("留存", "retain", "29.99"), ("分红", "dividend", "70.01")], "dividend.reserve_too_low"),
    ([("留存", "retain", "100")], "dividend.no_dividend_bucket"),
    ([("留存", "retain", "50"), ("留存", "retain", "20"), ("分红", "dividend", "30")], "dividend.buckets_invalid"),
])
def test_buckets_must_total_100_keep_the_minimum_and_pay_a_dividend(client, make, books, buckets, code):
    sec = make.headers(books.secretary)
    body = {"year": books.year, "title": "方案", "components": [{"kind": "equity"}],
            "buckets": [{"name": n, "kind": k, "percent": p, "account_code": "311" if k == "retain" else None}
                        for n, k, p in buckets]}
    r = client.post(f"{API}/villages/{books.village.id}/distributions", json=body, headers=sec)
    assert r.status_code == 422 and r.json["error"]["code"] == code, r.json
    db.session.rollback()
    assert _count(Distribution) == 0 and _count(DistributionBucket) == 0


def test_the_minimum_reserve_is_the_villages_setting(client, make, books):
    sec = make.headers(books.secretary)
    url = f"{API}/villages/{books.village.id}/distributions"

    def body(retain: str, dividend: str) -> dict[str, Any]:
        return {"year": books.year, "title": "方案", "components": [{"kind": "equity"}],
                "buckets": [{"name": "公积公益金", "kind": "retain", "percent": retain, "account_code": "311"},
                            {"name": "分红", "kind": "dividend", "percent": dividend}]}

    village_settings.put(plans.MIN_RETAIN.key, 40, actor=None, village=books.village)
    db.session.commit()
    r = client.post(url, json=body("30", "70"), headers=sec)
    assert r.status_code == 422 and r.json["error"]["code"] == "dividend.reserve_too_low", r.json
    assert r.json["error"]["details"] == {"minimum": "40%"}
    db.session.rollback()
    assert _count(Distribution) == 0
    r = client.post(url, json=body("40", "60"), headers=sec)  # the edge itself is allowed
    assert r.status_code == 201, r.json
    r = client.post(f"{API}/distributions/{r.json['id']}/compute", json={"record_date": _record(books).isoformat()},
                    headers=sec)
    assert [b["amount"] for b in r.json["buckets"]] == ["36000.00", "54000.00"] and r.json["pool"] == "54000.00"


def test_no_distribution_without_distributable_income(make, books):
    # exactly nothing left after the exclusion, or less than nothing: no 亏空分配
    for excluded, left in ((90_000_00, "0.00"), (100_000_00, "-10000.00")):
        d = _plan(books, [C("equity")], excluded_fen=excluded, excluded_note="征地补偿费")
        db.session.commit()
        e = _refused("dividend.no_income", computing.compute, d, _record(books), actor=None)
        assert e.details == {"distributable": left}
        d = db.session.get(Distribution, d.id)
        assert d.status == "draft" and _count(DividendLine) == 0 and shares.frozen_until(books.village.id) is None
        plans.cancel_distribution(d, "重做", actor=None)
    # a village that lost money, and one with no books at all
    for name, income, cost in (("亏损村", 1_000_00, 1_500_00), ("空账村", 0, 0)):
        v = make.village(f"X{income}", name)
        sec = make.member(v, "周海", roles=("secretary",))
        st_ = shares.create_share_type(v, shares.ShareTypeInput("member", "成员股"), actor=None)
        shares.record_event(v, shares.EventInput("initial", date(books.year, 1, 1), changes=[
            shares.ChangeInput(st_.id, 1, sec.household_id, sec.id)]), actor=None)
        _post_books(v, date(books.year, 6, 30), income, cost)
        d = plans.create_distribution(v, plans.DistributionInput(books.year, "方案", [C("equity")]), actor=None)
        db.session.commit()
        e = _refused("dividend.no_income", computing.compute, d, _record(books), actor=None)
        assert e.details["distributable"] == ("-500.00" if income else "0.00")


def test_one_fen_of_distributable_income_is_still_split_exactly(books):
    d = _plan(books, [C("equity")], excluded_fen=89_999_99, excluded_note="征地补偿费")
    computing.compute(d, _record(books), actor=None)
    assert [b.amount_fen for b in plans.buckets_of(d)] == [0, 1]  # 0.3 and 0.7 of a fen: the larger remainder
    assert _amounts(d) == {books.households[0].id: 1, books.households[1].id: 0, books.households[2].id: 0,
                           books.households[3].id: 0}


def test_an_excluded_amount_needs_a_note_and_reduces_what_is_distributed(books):
    _refused("dividend.excluded_note", _plan, books, [C("equity")], excluded_fen=10_000_00)
    _refused("dividend.excluded_note", _plan, books, [C("equity")], excluded_fen=10_000_00, excluded_note="  ")
    _refused("dividend.excluded_invalid", _plan, books, [C("equity")], excluded_fen=-1)
    assert _count(Distribution) == 0
    d = _plan(books, [C("equity")], excluded_fen=10_000_00, excluded_note="征地补偿费")
    computing.compute(d, _record(books), actor=None)
    view = _view(d)
    assert (view["distributable"], view["excluded"], view["excluded_note"]) == ("80000.00", "10000.00", "征地补偿费")
    assert [b["amount"] for b in view["buckets"]] == ["24000.00", "56000.00"]
    assert sum(_amounts(d).values()) == 56_000_00


# ---------------------------------------------------------------- one live plan a year


def test_one_live_distribution_per_village_and_year(client, make, books):
    sec = make.headers(books.secretary)
    url = f"{API}/villages/{books.village.id}/distributions"
    body = {"year": books.year, "title": "方案", "components": [{"kind": "equity"}]}
    first = client.post(url, json=body, headers=sec)
    assert first.status_code == 201, first.json
    r = client.post(url, json=body, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.year_taken"
    db.session.rollback()
    assert _count(Distribution) == 1
    r = client.post(url, json={**body, "year": today().year + 1}, headers=sec)
    assert r.status_code == 422 and r.json["error"]["code"] == "dividend.year_invalid"
    db.session.rollback()
    assert client.post(url, json={**body, "year": books.year - 1}, headers=sec).status_code == 201

    # the database refuses a second live plan of the year too …
    row = {"village_id": books.village.id, "year": books.year, "title": "绕过检查", "excluded_fen": 0}
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert(Distribution), [{**row, "status": "draft"}])
    # … but not a cancelled one, and a cancelled plan frees the year
    db.session.execute(insert(Distribution), [{**row, "status": "cancelled"}])
    db.session.commit()
    r = client.post(f"{API}/distributions/{first.json['id']}/cancel", json={"reason": "数据有误"}, headers=sec)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert client.post(url, json=body, headers=sec).status_code == 201
    assert _count(Distribution) == 4


# ---------------------------------------------------------------- the record date and the freeze


def test_compute_freezes_the_register_and_a_later_recompute_moves_the_freeze(client, make, books):
    sec = make.headers(books.secretary)
    h2, m20 = books.households[2], books.members[2][0]
    first_date, second_date = date(books.year, 3, 31), date(books.year, 6, 30)
    d = _plan(books, [C("equity")])
    computing.compute(d, first_date, actor=None)
    db.session.commit()
    assert d.record_date == first_date and d.status == "computed"
    assert shares.frozen_until(books.village.id) == first_date
    reg = client.get(f"{API}/villages/{books.village.id}/share-register",
                     query_string={"on": first_date.isoformat()}, headers=sec).json
    assert d.register_hash == reg["register_hash"] and computing.verify_register(d)
    first_hash = d.register_hash

    # a change after the record date is allowed and does not touch the computed list
    shares.record_event(books.village, shares.EventInput("adjust", first_date + timedelta(days=1), changes=[
        shares.ChangeInput(books.member_type.id, 1, h2.id, m20.id)]), actor=None)
    assert computing.verify_register(d) and _lines(d)[h2.id].shares == 1

    computing.compute(d, second_date, actor=None)
    db.session.commit()
    lines = _lines(d)
    assert len(lines) == 4 and _count(DividendLine) == 4  # replaced, not added
    assert lines[h2.id].shares == 2 and d.total_shares == 12 and sum(_amounts(d).values()) == 63_000_00
    assert d.record_date == second_date and d.register_hash != first_hash and computing.verify_register(d)
    assert shares.frozen_until(books.village.id) == second_date
    _refused("share.frozen", shares.record_event, books.village, shares.EventInput("adjust", second_date, changes=[
        shares.ChangeInput(books.member_type.id, 1, h2.id, m20.id)]), actor=None)
    # recomputing on an earlier date never thaws what was frozen
    computing.compute(d, first_date, actor=None)
    assert shares.frozen_until(books.village.id) == second_date and d.register_hash == first_hash


def test_the_record_date_lies_within_the_year_and_today(books):
    d = _plan(books, [C("equity")])
    db.session.commit()
    for bad in (today() + timedelta(days=1), date(books.year, 1, 1) - timedelta(days=1)):
        _refused("dividend.record_date", computing.compute, db.session.get(Distribution, d.id), bad, actor=None)
        assert shares.frozen_until(books.village.id) is None and _count(DividendLine) == 0
    d = db.session.get(Distribution, d.id)
    computing.compute(d, date(books.year, 1, 1), actor=None)  # both edges are allowed
    assert d.total_shares == 11
    computing.compute(d, today(), actor=None)
    assert shares.frozen_until(books.village.id) == today()


def test_no_recompute_once_published_or_cancelled(books):
    d = _plan(books, [C("equity")])
    computing.compute(d, _record(books), actor=None)
    publishing.publish(d, books.decision_id, actor=None)
    db.session.commit()
    lines_before = _amounts(d)
    assert _refused("dividend.not_editable", computing.compute, d, _record(books), actor=None).status == 409
    d = db.session.get(Distribution, d.id)
    assert d.status == "published" and _amounts(d) == lines_before
    plans.cancel_distribution(d, "重做", actor=None)
    _refused("dividend.not_editable", computing.compute, db.session.get(Distribution, d.id), _record(books), actor=None)


# ---------------------------------------------------------------- over HTTP


def test_computed_figures_over_http_and_who_sees_them(client, make, books):
    sec = make.headers(books.secretary)
    sup = make.headers(books.supervisor)
    villager = make.headers(books.villager)
    other = make.village("XZ02", "新竹村")
    stranger = make.headers(make.member(other, "周海", roles=("secretary",)))
    body = {"year": books.year, "title": "方案", "dividend_total": "60000.00",
            "components": [{"kind": "fixed_per_share", "share_type_id": books.labor_type.id, "per_unit": "100"},
                           {"kind": "equity"}]}
    r = client.post(f"{API}/villages/{books.village.id}/distributions", json=body, headers=sec)
    assert r.status_code == 201, r.json
    did = r.json["id"]
    url = f"{API}/distributions/{did}/compute"
    rd = {"record_date": _record(books).isoformat()}
    for headers, status in ((villager, 403), (sup, 403), (stranger, 404), ({}, 401)):
        assert client.post(url, json=rd, headers=headers).status_code == status
        db.session.rollback()
    assert _count(DividendLine) == 0 and shares.frozen_until(books.village.id) is None

    r = client.post(url, json=rd, headers=sec)
    assert r.status_code == 200, r.json
    plan = r.json
    assert (plan["status"], plan["distributable"], plan["pool"], plan["total"], plan["carried_forward"]) == \
        ("computed", "90000.00", "60000.00", "60000.00", "3000.00")
    assert plan["record_date"] == _record(books).isoformat() and len(plan["register_hash"]) == 64
    assert [c["amount"] for c in plan["components"]] == ["300.00", "59700.00"]
    assert [c["units"] for c in plan["components"]] == [3, 11]

    lines = client.get(f"{API}/distributions/{did}/lines", headers=sup)
    assert lines.status_code == 200 and lines.json["total"] == 4
    first = lines.json["items"][0]
    h0, ms = books.households[0], books.members[0]
    # 59,700.00 / 11 = 5,427.2727…: the lines still sum to the pool exactly
    assert sum(_fen(x["amount"]) for x in lines.json["items"]) == 60_000_00
    assert first["household_id"] == h0.id and first["fixed"] == ["200.00"] and first["shares"] == 5
    assert _fen(first["amount"]) == 200_00 + _fen(first["equity"])
    assert first["by_member"] == [
        {"member_id": ms[0].id, "name": "张10", "by_type": {"member": 1, "labor": 2}},
        {"member_id": ms[1].id, "name": "张11", "by_type": {"member": 1}},
        {"member_id": ms[2].id, "name": "张12", "by_type": {"member": 1}},
    ]
    # a draft or preview does not exist for members of the village, nor for anyone outside it
    for headers in (villager, stranger):
        assert client.get(f"{API}/distributions/{did}", headers=headers).status_code == 404
        assert client.get(f"{API}/distributions/{did}/lines", headers=headers).status_code == 404
    assert client.get(f"{API}/distributions/{did}", headers=sup).json["register_hash"] == plan["register_hash"]


# ---------------------------------------------------------------- races (PostgreSQL)


def test_a_change_racing_a_compute_is_either_in_the_list_or_refused(app, make, books, postgres_only):
    sec = make.headers(books.secretary)
    d = _plan(books, [C("equity")])
    db.session.commit()
    record_date = date(books.year, 6, 30)
    vid, did, h2, m20 = books.village.id, d.id, books.households[2].id, books.members[2][0].id
    event = {"kind": "adjust", "effective_on": record_date.isoformat(),
             "changes": [{"share_type_id": books.member_type.id, "delta": 1, "household_id": h2, "member_id": m20}]}

    def compute(c: Any) -> Any:
        r = c.post(f"{API}/distributions/{did}/compute", json={"record_date": record_date.isoformat()}, headers=sec)
        return r.status_code, r.json

    def change(c: Any) -> Any:
        r = c.post(f"{API}/villages/{vid}/share-events", json=event, headers=sec)
        return r.status_code, r.json

    (c_status, _), (e_status, e_body) = parallel(app, [compute, change])
    assert c_status == 200
    db.session.expire_all()
    d = db.session.get(Distribution, did)
    assert computing.verify_register(d)
    if e_status == 201:  # the change came first: it is in the list
        assert _lines(d)[h2].shares == 2 and d.total_shares == 12
    else:
        assert (e_status, e_body["error"]["code"]) == (409, "share.frozen")
        assert _lines(d)[h2].shares == 1 and d.total_shares == 11
