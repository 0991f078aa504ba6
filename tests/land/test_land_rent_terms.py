"""Every rent form over multi-year contracts, read where the village reads it (``GET /land-contracts/{id}`` →
``dues``): cash per mu with its due dates (pay before use), a short last year, yearly increases, rent in kind priced
by the township's announced grain price, staged rent (长包短定), the collective's share and service fee, and the flat
rent of a collective asset. Expected figures are worked by hand with Fractions, rounded half up to the fen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.land import contracts, parcels
from backend.land.models import Contract, GrainPrice, RentDue, RentPeriod

API = "/api/v1"
PENDING = "租金待约定（长包短定：本期租金尚未商定）"


def _half_up(x: Fraction) -> int:
    return int(x + Fraction(1, 2))


def _state() -> dict[str, Any]:
    out: dict[str, Any] = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                           for m in (Contract, RentPeriod, RentDue, GrainPrice, AuditEntry)}
    out["dues"] = db.session.execute(
        select(RentDue.contract_id, RentDue.year_no, RentDue.household_fen, RentDue.fee_fen, RentDue.collective_fen,
               RentDue.paid_fen, RentDue.priced_note).order_by(RentDue.contract_id, RentDue.year_no)).all()
    return out


def _refused(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code, resp.json
    db.session.rollback()
    return resp.json["error"]


def _view(client: Any, headers: dict[str, str], contract_id: int) -> dict[str, Any]:
    r = client.get(f"{API}/land-contracts/{contract_id}", headers=headers)
    assert r.status_code == 200, r.json
    for d in r.json["dues"]:  # the parts of a priced due always add up to its total
        if d["total"] is not None:
            parts = sum(Fraction(d[k]) for k in ("households", "fee", "collective"))
            assert parts == Fraction(d["total"]), d
            assert Fraction(d["outstanding"]) == Fraction(d["total"]) - Fraction(d["paid"])
        else:
            assert d["households"] is d["fee"] is d["collective"] is d["outstanding"] is None, d
    return r.json


def _totals(body: dict[str, Any]) -> list[str | None]:
    return [d["total"] for d in body["dues"]]


def _post(client: Any, lands: Any, headers: dict[str, str], **over: Any) -> Any:
    body: dict[str, Any] = {
        "number": "LZ-2026-101", "kind": "transfer", "party_id": lands.party.id, "title": "东坡片区土地流转",
        "start_date": "2026-03-01", "end_date": "2029-03-01", "use": "粮食种植", "signed_on": "2026-02-20",
        "parcels": [{"parcel_id": p.id} for p in lands.parcels],
        "periods": [{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00"}],
    }
    body.update(over)
    if body["kind"] == "lease" and "decision_id" not in over:  # a lease rests on a resolved decision
        body["decision_id"] = lands.lease_decision.id
    r = client.post(f"{API}/villages/{lands.village.id}/land-contracts", headers=headers, json=body)
    assert r.status_code == 201, r.json
    return r.json


# ---------------------------------------------------------------- cash per mu and due dates


def test_cash_rent_per_mu_falls_due_each_contract_year_before_use(client, make, lands):
    sec = make.headers(lands.secretary)
    body = _view(client, sec, lands.contract().id)
    assert body["rent"] == "每亩每年800.00元" and body["area_mu"] == "7.2833"
    # (1.2 + 2 + 0.75 + 3.3333) mu = 7.2833 mu × 800.00 元 = 5826.64 元 exactly, every year
    assert [(d["year_no"], d["period_start"], d["period_end"], d["due_date"]) for d in body["dues"]] == [
        (1, "2026-03-01", "2027-03-01", "2026-03-01"), (2, "2027-03-01", "2028-03-01", "2027-03-01"),
        (3, "2028-03-01", "2029-03-01", "2028-03-01")]
    for d in body["dues"]:
        assert (d["households"], d["fee"], d["collective"], d["total"], d["paid"], d["outstanding"]) == (
            "5826.64", "0.00", "0.00", "5826.64", "0.00", "5826.64")
        assert d["note"] == "7.2833亩 × 800.00元/亩"


@pytest.mark.parametrize(("start", "end", "signed", "month_day", "due_dates"), [
    # by 3 月 1 日 of the year the contract year starts; the first year not before the signing
    ("2026-06-01", "2029-06-01", "2026-05-20", (3, 1), ["2026-05-20", "2027-03-01", "2028-03-01"]),
    # a contract year starting after the harvest: paid in the spring before it
    ("2026-10-01", "2029-10-01", "2026-09-20", (3, 1), ["2026-09-20", "2027-03-01", "2028-03-01"]),
    # a pay day later in the year than the start: pay before use, by the day the year starts, the first year too
    ("2026-03-01", "2029-03-01", "2026-02-20", (9, 1), ["2026-03-01", "2027-03-01", "2028-03-01"]),
    # a contract registered after it began: the first year is due on the day it was signed
    ("2026-03-01", "2029-03-01", "2026-04-10", (3, 1), ["2026-04-10", "2027-03-01", "2028-03-01"]),
    # signed long before: the first year is still due by the pay day, not on the signing day
    ("2026-03-01", "2029-03-01", "2025-12-01", (1, 15), ["2026-01-15", "2027-01-15", "2028-01-15"]),
])
def test_due_dates_pay_before_use(client, make, lands, start, end, signed, month_day, due_dates):
    c = lands.contract(start_date=date.fromisoformat(start), end_date=date.fromisoformat(end),
                       signed_on=date.fromisoformat(signed), due_month=month_day[0], due_day=month_day[1])
    dues = contracts.dues_of(c)
    assert [d.due_date.isoformat() for d in dues] == due_dates
    for d in dues[1:]:
        assert d.due_date <= d.period_start
    assert dues[0].due_date >= c.signed_on


def test_an_amount_is_rounded_half_up_to_the_fen(client, make, lands):
    c = lands.contract(lines=[contracts.LineInput(lands.parcels[2].id)], periods=[contracts.PeriodInput(1, 3, 800_06)])
    # 0.75 mu × 800.06 元 = 600.045 元 = 60004.5 fen → 60005 (half up; banker's rounding would give 60004)
    assert _half_up(Fraction(7500, 10000) * 80006) == 60005
    body = _view(client, make.headers(lands.secretary), c.id)
    assert _totals(body) == ["600.05"] * 3 and body["dues"][0]["households"] == "600.05"


def test_a_term_that_is_not_whole_years_prorates_the_last_year_by_days(client, make, lands):
    sec = make.headers(lands.secretary)
    c = lands.contract(start_date=date(2026, 3, 1), end_date=date(2028, 9, 1))
    body = _view(client, sec, c.id)
    assert [(d["period_start"], d["period_end"]) for d in body["dues"]] == [
        ("2026-03-01", "2027-03-01"), ("2027-03-01", "2028-03-01"), ("2028-03-01", "2028-09-01")]
    # 2028-03-01 … 2028-09-01 is 184 days of the 365 of 2028-03-01 … 2029-03-01:
    # 582664 fen × 184/365 = 107210176/365 = 293726.51 → 293727 fen
    assert _half_up(Fraction(582664 * 184, 365)) == 293727
    assert _totals(body) == ["5826.64", "5826.64", "2937.27"]
    assert body["dues"][2]["note"].endswith("× 184/365年") and body["dues"][2]["due_date"] == "2028-03-01"
    # a short last year counts its days against the 365 or 366 of a whole contract year from its start:
    # 2030-09-01 … 2031-06-01 is 273 days of 365: 582664 × 273/365 = 435800.6 → 435801 fen
    plain = lands.contract(number="LZ-2029-001", start_date=date(2029, 9, 1), end_date=date(2031, 6, 1),
                           signed_on=date(2029, 8, 20), periods=[contracts.PeriodInput(1, 2, 800_00)])
    d2 = contracts.dues_of(plain)[1]
    assert (d2.period_start, d2.period_end) == (date(2030, 9, 1), date(2031, 6, 1))
    assert d2.household_fen == _half_up(Fraction(582664 * 273, 365)) == 435801
    assert d2.priced_note.endswith("× 273/365年")
    # 2039-09-01 … 2040-06-01 holds 2040-02-29: 274 days of 366 (= 137/183): 582664 × 137/183 = 436202.01 → 436202
    leap = lands.contract(number="LZ-2038-001", start_date=date(2038, 9, 1), end_date=date(2040, 6, 1),
                          signed_on=date(2038, 8, 20), periods=[contracts.PeriodInput(1, 2, 800_00)])
    d2 = contracts.dues_of(leap)[1]
    assert (d2.period_end - d2.period_start).days == 274
    assert d2.household_fen == _half_up(Fraction(582664 * 137, 183)) == 436202
    assert d2.priced_note.endswith("× 137/183年")


def test_a_single_day_term_pays_its_single_day(client, make, lands):
    c = lands.contract(end_date=date(2026, 3, 2), periods=[contracts.PeriodInput(1, 1, 800_00)])
    (d,) = contracts.dues_of(c)
    # 582664 fen × 1/365 = 1596.34 → 1596 fen
    assert d.household_fen == _half_up(Fraction(582664, 365)) == 1596 and d.priced_note.endswith("× 1/365年")


# ---------------------------------------------------------------- increases


def test_an_increase_every_n_years_compounds_and_rounds_only_each_years_amount(client, make, lands):
    sec = make.headers(lands.secretary)
    body = _post(client, lands, sec, parcels=[{"parcel_id": lands.parcels[2].id}], end_date="2032-03-01",
                 increase_percent="5", increase_every=2,
                 periods=[{"from_year": 1, "to_year": 6, "per_mu_yuan": "800.21"}])
    assert body["rent"] == "每亩每年800.21元，每2年递增5%"
    assert body["increase_percent"] == "5" and body["increase_every"] == 2
    base = Fraction(7500, 10000) * 80021  # 0.75 mu × 800.21 元 = 60015.75 fen
    # years 1–2: 60015.75 → 60016; years 3–4: × 1.05 = 63016.5375 → 63017;
    # years 5–6: × 1.05² = × 1.1025 = 66167.364… → 66167 (rounding year 3's amount first would give 66168,
    # and simple interest × 1.10 would give 66017)
    expected = [_half_up(base * Fraction(105, 100) ** ((y - 1) // 2)) for y in range(1, 7)]
    assert expected == [60016, 60016, 63017, 63017, 66167, 66167]
    assert _half_up(_half_up(base * Fraction(105, 100)) * Fraction(105, 100)) == 66168
    assert _totals(body) == ["600.16", "600.16", "630.17", "630.17", "661.67", "661.67"]
    assert [d["note"] for d in body["dues"]][2:4] == ["0.75亩 × 800.21元/亩 × 递增1次"] * 2


def test_a_fractional_increase_is_shown_as_a_decimal(client, make, lands):
    sec = make.headers(lands.secretary)
    body = _post(client, lands, sec, increase_percent="2.5", increase_every=1)
    assert body["increase_percent"] == "2.5" and body["rent"] == "每亩每年800.00元，每1年递增2.5%"
    # 582664 × 1.025 = 597230.6 → 597231; × 1.025² = 612161.365 → 612161
    assert _totals(body) == ["5826.64", "5972.31", "6121.61"]


def test_an_increase_applies_to_the_prorated_last_year_too(client, make, lands):
    c = lands.contract(end_date=date(2028, 9, 1), increase_bp=1000, increase_every=1)
    # year 3: 582664 × 1.1² × 184/365 = 355409.27… → 355409 fen
    year3 = Fraction(582664) * Fraction(121, 100) * Fraction(184, 365)
    assert [d.household_fen for d in contracts.dues_of(c)] == [582664, _half_up(Fraction(582664 * 11, 10)),
                                                               _half_up(year3)]
    assert contracts.dues_of(c)[2].household_fen == 355409


# ---------------------------------------------------------------- in kind


def _in_kind(lands: Any, number: str, parcels: list[Any], per_mu: int, basis: str = "market",
             grain: str = "稻谷") -> Contract:
    return lands.contract(number=number, lines=[contracts.LineInput(p.id) for p in parcels], rent_kind="in_kind",
                          grain=grain, price_basis=basis, periods=[contracts.PeriodInput(1, 3, per_mu)])


def _village_with_in_kind_contract(make: Any, code: str, township: Any) -> Contract:
    v = make.village(code, f"{code}村", township=township)
    h = make.household(v, f"{code}-H1")
    make.member(v, "孙户一", household=h, head=True)
    p = parcels.create_parcel(v, parcels.ParcelInput(f"{code}-D1", "稻田", 10000, household_id=h.id), actor=None)
    party = parcels.create_party(v, parcels.PartyInput("family_farm", f"{code}家庭农场"), actor=None)
    c = contracts.create_contract(v, contracts.ContractInput(
        number="SW-1", kind="transfer", party_id=party.id, title="稻田流转", start_date=date(2026, 3, 1),
        end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20), lines=[contracts.LineInput(p.id)],
        periods=[contracts.PeriodInput(1, 3, 500)], rent_kind="in_kind", grain="稻谷", price_basis="market"),
        actor=None)
    db.session.commit()
    return c


def test_rent_in_kind_waits_for_the_townships_price_then_prices_every_such_contract(client, make, lands):
    township = lands.village.township
    market = _in_kind(lands, "SW-M", lands.parcels[:2], 500)  # 3.2 mu, 500 斤稻谷/亩, market price
    minimum = _in_kind(lands, "SW-Z", lands.parcels[2:], 600, basis="minimum")  # 4.0833 mu, 600 斤, minimum price
    neighbour = _village_with_in_kind_contract(make, "LJ02", township)  # same township: 1 mu × 500 斤
    far = _village_with_in_kind_contract(make, "HX01", make.township("HX", "河西镇"))  # another township
    sec = make.headers(lands.secretary)
    body = _view(client, sec, market.id)
    assert body["rent"] == "每亩每年稻谷500斤，按当年市场价折款" and body["periods"][0]["per_mu"] == "500"
    assert _totals(body) == [None, None, None]
    assert [d["note"] for d in body["dues"]] == [f"待公布{y}年稻谷市场价" for y in (2026, 2027, 2028)]
    assert _view(client, sec, minimum.id)["dues"][0]["note"] == "待公布2026年稻谷最低收购价"

    staff = make.headers(make.staff(township))
    url = f"{API}/townships/{township.id}/grain-prices"
    r = client.post(url, headers=staff, json={"year": 2026, "grain": "稻谷", "basis": "market", "price": "1.37",
                                              "source": "青山镇农经站公布"})
    assert r.status_code == 201, r.json
    assert (r.json["year"], r.json["grain"], r.json["basis"], r.json["price"]) == (2026, "稻谷", "market", "1.37")
    body = _view(client, sec, market.id)
    # 3.2 mu × 500 斤 × 1.37 元 = 2192.00 元; later years wait for their own year's price
    assert _totals(body) == ["2192.00", None, None]
    assert body["dues"][0]["households"] == "2192.00" and body["dues"][0]["note"] == "3.2亩 × 500斤/亩 × 1.37元/斤"
    assert body["dues"][1]["note"] == "待公布2027年稻谷市场价"
    # the neighbour in the same township is priced: 1 mu × 500 × 1.37 = 685.00; another township's is not
    assert [d.household_fen for d in contracts.dues_of(neighbour)] == [685_00, None, None]
    assert [d.household_fen for d in contracts.dues_of(far)] == [None, None, None]
    # the market price leaves the minimum-price contract alone; then its own price comes
    assert [d.household_fen for d in contracts.dues_of(minimum)] == [None, None, None]
    r = client.post(url, headers=staff, json={"year": 2026, "grain": "稻谷", "basis": "minimum", "price": "1.19"})
    assert r.status_code == 201, r.json
    # 4.0833 mu × 600 斤 × 1.19 元 = 2915.4762 元 → 2915.48 元
    assert _half_up(Fraction(40833, 10000) * 600 * 119) == 291548
    assert _totals(_view(client, sec, minimum.id)) == ["2915.48", None, None]
    assert _totals(_view(client, sec, market.id)) == ["2192.00", None, None]  # unchanged by the minimum price
    # another grain prices nothing of 稻谷
    r = client.post(url, headers=staff, json={"year": 2027, "grain": "小麦", "basis": "market", "price": "1.20"})
    assert r.status_code == 201
    assert _totals(_view(client, sec, market.id)) == ["2192.00", None, None]
    r = client.post(url, headers=staff, json={"year": 2027, "grain": "稻谷", "basis": "market", "price": "1.41"})
    # 3.2 × 500 × 1.41 = 2256.00
    assert _totals(_view(client, sec, market.id)) == ["2192.00", "2256.00", None]
    listed = client.get(url, headers=staff).json["items"]
    assert [(p["year"], p["grain"], p["basis"], p["price"]) for p in listed][:2] == [
        (2027, "小麦", "market", "1.20"), (2027, "稻谷", "market", "1.41")]


def test_a_grain_price_is_announced_once_and_only_by_the_townships_staff(client, make, lands):
    township = lands.village.township
    market = _in_kind(lands, "SW-M", lands.parcels, 500)
    url = f"{API}/townships/{township.id}/grain-prices"
    body = {"year": 2026, "grain": "稻谷", "basis": "market", "price": "1.35"}
    # the village's own staff and villagers may not announce a price: core/permissions answers 404 for a township
    # in which the caller holds no township role (403 would be as right: they know their township exists)
    callers = ((make.headers(lands.secretary), (403, 404)), (make.headers(lands.accountant), (403, 404)),
               (make.headers(lands.heads[0]), (403, 404)),
               (make.headers(make.staff(make.township("HX", "河西镇"), "孙丽")), (404,)), ({}, (401,)))
    before = _state()
    for headers, status in callers:
        r = client.post(url, headers=headers, json=body)
        assert r.status_code in status, r.json
        assert r.json["error"]["code"] in ("auth.forbidden", "not_found", "auth.unauthenticated")
        db.session.rollback()
        assert _state() == before
    staff = make.headers(make.staff(township))
    assert client.post(url, headers=staff, json=body).status_code == 201
    # 7.2833 mu × 500 斤 × 1.35 元 = 4916.2275 元 → 4916.23 元
    assert _half_up(Fraction(72833, 10000) * 500 * 135) == 491623
    assert contracts.dues_of(market)[0].household_fen == 491623
    before = _state()
    err = _refused(client.post(url, headers=staff, json={**body, "price": "1.50"}), 409, "land.price_exists")
    assert "已公布" in err["message"]
    assert _state() == before
    for bad in ({**body, "grain": "高粱"}, {**body, "basis": "guess"}, {**body, "price": 1.5},
                {**body, "price": "1.234"}, {**body, "year": 1999}):
        _refused(client.post(url, headers=staff, json=bad), 422, "validation.failed")
        assert _state() == before
    for price in ("0", "0.00", "-1.00", "100.01", "99999999.00"):
        err = _refused(client.post(url, headers=staff, json={**body, "year": 2030, "price": price}), 422,
                       "land.price_invalid")
        assert "价格" in err["message"]
        assert _state() == before


# ---------------------------------------------------------------- staged rent (长包短定)


def test_staged_rent_prices_later_years_only_when_they_are_agreed(client, make, lands, now):
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    sec = make.headers(lands.secretary)
    c = lands.contract(end_date=date(2035, 3, 1), periods=[contracts.PeriodInput(1, 3, 800_00)])
    body = _view(client, sec, c.id)
    assert body["rent"] == "每亩每年800.00元（分段约定）" and len(body["dues"]) == 9
    assert _totals(body) == ["5826.64"] * 3 + [None] * 6
    assert [d["note"] for d in body["dues"][3:]] == [PENDING] * 6
    # year 1 partly paid
    first = body["dues"][0]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=sec,
                    json={"due_id": first["id"], "amount": "1000.00", "paid_on": "2026-03-03"})
    assert r.status_code == 201, r.json

    url = f"{API}/land-contracts/{c.id}/rent-periods"
    before = _state()
    for period in ({"from_year": 5, "to_year": 6}, {"from_year": 3, "to_year": 6}, {"from_year": 4, "to_year": 10},
                   {"from_year": 1, "to_year": 3}):
        err = _refused(client.post(url, headers=sec, json={**period, "per_mu_yuan": "900.00"}), 422,
                       "land.periods_invalid")
        assert "第1年" in err["message"] or "共 9 年" in err["message"]
        assert _state() == before
    r = client.post(url, headers=sec, json={"from_year": 4, "to_year": 6, "per_mu_yuan": "900.00",
                                            "agreed_on": "2029-01-10"})
    assert r.status_code == 201, r.json
    body = _view(client, sec, c.id)
    # 7.2833 mu × 900.00 元 = 6554.97 元
    assert _totals(body) == ["5826.64"] * 3 + ["6554.97"] * 3 + [None] * 3
    assert (body["dues"][0]["paid"], body["dues"][0]["outstanding"]) == ("1000.00", "4826.64")
    assert [(p["from_year"], p["to_year"], p["per_mu"], p["agreed_on"]) for p in body["periods"]] == [
        (1, 3, "800.00", "2026-02-20"), (4, 6, "900.00", "2029-01-10")]
    r = client.post(url, headers=sec, json={"from_year": 7, "to_year": 9, "per_mu_yuan": "950.00"})
    assert r.status_code == 201
    assert _totals(_view(client, sec, c.id))[6:] == ["6919.14"] * 3  # 7.2833 × 950 = 6919.135 → 6919.14
    assert _half_up(Fraction(72833, 10000) * 95000) == 691914
    before = _state()
    _refused(client.post(url, headers=sec, json={"from_year": 10, "to_year": 10, "per_mu_yuan": "1.00"}), 422,
             "land.periods_invalid")
    assert _state() == before


def test_a_due_with_money_on_it_keeps_its_amount_when_the_rent_is_worked_out_again(client, make, lands, now):
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    sec = make.headers(lands.secretary)
    c = lands.contract(end_date=date(2032, 3, 1), periods=[contracts.PeriodInput(1, 3, 800_00)])
    due1 = contracts.dues_of(c)[0]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=sec,
                    json={"due_id": due1.id, "amount": "0.01", "paid_on": "2026-03-05"})
    assert r.status_code == 201, r.json
    # the first period is corrected to 850.00 (a re-signed rate) and the dues worked out again
    period = contracts.periods_of(c)[0]
    period.per_mu = 850_00
    assert contracts.price_dues(c) == 2  # years 2 and 3 got amounts; year 1 (money on it) and 4–6 (unagreed) did not
    db.session.commit()
    # 7.2833 × 850 = 6190.805 元 = 619080.5 fen → 619081 fen (half up)
    assert _half_up(Fraction(72833 * 85000, 10000)) == 619081
    assert _totals(_view(client, sec, c.id)) == ["5826.64", "6190.81", "6190.81", None, None, None]


# ---------------------------------------------------------------- the collective's share and fee


def test_a_collective_share_on_top_and_a_service_fee_out_of_the_households_rent(client, make, lands):
    sec = make.headers(lands.secretary)
    body = _post(client, lands, sec, fee_note="2026年2月村民代表会议决议：流转服务费每亩100元，集体另收管理费每亩50元",
                 periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00", "fee_per_mu": "100.00",
                           "collective_per_mu": "50.00"}])
    assert body["periods"][0]["fee_per_mu"] == "100.00" and body["periods"][0]["collective_per_mu"] == "50.00"
    # households' rent 7.2833 × 800 = 5826.64; fee out of it 7.2833 × 100 = 728.33 → households get 5098.31;
    # the collective's share on top 7.2833 × 50 = 364.165 → 364.17 (half up); total 5826.64 + 364.17 = 6190.81
    for d in body["dues"]:
        assert (d["households"], d["fee"], d["collective"], d["total"]) == ("5098.31", "728.33", "364.17", "6190.81")
    due = contracts.dues_of(db.session.get(Contract, body["id"]))[0]
    assert (due.household_fen, due.fee_fen, due.collective_fen) == (582664, 72833, 36417)
    # a prorated last year prorates the share and the fee too: 184/365 of each
    c = lands.contract(number="LZ-2029-001", start_date=date(2029, 3, 1), end_date=date(2029, 9, 1),
                       signed_on=date(2029, 2, 20), fee_note="同上决议",
                       periods=[contracts.PeriodInput(1, 1, 800_00, fee_per_mu=100_00, collective_per_mu=50_00)])
    (d,) = contracts.dues_of(c)
    # 582664 × 184/365 = 293726.5 → 293727; 72833 × 184/365 = 36715.6 → 36716; 36416.5 × 184/365 = 18357.7 → 18358
    assert (d.household_fen, d.fee_fen, d.collective_fen) == (
        _half_up(Fraction(582664 * 184, 365)), _half_up(Fraction(72833 * 184, 365)),
        _half_up(Fraction(72833 * 184, 2 * 365)))
    assert (d.household_fen, d.fee_fen, d.collective_fen) == (293727, 36716, 18358)


def test_a_fee_equal_to_the_rent_leaves_the_households_nothing_but_never_less(client, make, lands):
    sec = make.headers(lands.secretary)
    body = _post(client, lands, sec, fee_note="农户书面同意全部作为服务费",
                 parcels=[{"parcel_id": lands.parcels[0].id}],
                 periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00", "fee_per_mu": "800.00"}])
    assert [(d["households"], d["fee"], d["total"]) for d in body["dues"]] == [("0.00", "960.00", "960.00")] * 3


def test_an_in_kind_contract_may_take_a_service_fee_in_yuan(client, make, lands):
    # 500 斤稻谷/亩 is worth some 675 元/亩 at 1.35 元/斤: a 50.00 元/亩 fee (5000 fen) is well inside it
    c = lands.contract(rent_kind="in_kind", grain="稻谷", price_basis="market", fee_note="村民代表会议决议",
                       periods=[contracts.PeriodInput(1, 3, 500, fee_per_mu=50_00)])
    assert contracts.periods_of(c)[0].fee_per_mu == 50_00


# ---------------------------------------------------------------- leases of the collective's own land and assets


def test_a_lease_of_a_collective_asset_at_a_flat_yearly_rent_goes_all_to_the_collective(client, make, lands):
    sec = make.headers(lands.secretary)
    shop = client.post(f"{API}/villages/{lands.village.id}/parcels", headers=sec,
                       json={"code": "LJ-M01", "name": "村口门面", "kind": "collective_asset", "area_mu": "0.05",
                             "land_type": "其他"}).json
    body = _post(client, lands, sec, number="ZL-2026-001", kind="lease", title="村口门面出租", use="商业经营",
                 parcels=[{"parcel_id": shop["id"]}], end_date="2028-09-01", increase_percent="10",
                 periods=[{"from_year": 1, "to_year": 3, "flat": "12000.00"}])
    assert body["rent"] == "每年12000.00元，每1年递增10%"
    assert body["periods"][0]["flat"] == "12000.00" and body["periods"][0]["per_mu"] == "0.00"
    # 12000.00; × 1.1 = 13200.00; × 1.21 = 14520.00 for a whole year, of which 2028-03-01 … 2028-09-01 is 184/365:
    # 1452000 × 184/365 = 731967.12 → 7319.67
    assert _half_up(Fraction(1452000 * 184, 365)) == 731967
    assert [(d["households"], d["fee"], d["collective"], d["total"]) for d in body["dues"]] == [
        ("0.00", "0.00", "12000.00", "12000.00"), ("0.00", "0.00", "13200.00", "13200.00"),
        ("0.00", "0.00", "7319.67", "7319.67")]
    assert all(ln["household_id"] is None for ln in body["parcels"])


def test_a_lease_of_collective_land_per_mu_goes_all_to_the_collective(client, make, lands):
    sec = make.headers(lands.secretary)
    field = client.post(f"{API}/villages/{lands.village.id}/parcels", headers=sec,
                        json={"code": "LJ-J01", "name": "机动地", "kind": "collective_land", "area_mu": "5.5"}).json
    body = _post(client, lands, sec, number="ZL-2026-002", kind="lease", title="机动地出租", use="蔬菜种植",
                 parcels=[{"parcel_id": field["id"]}],
                 periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "612.34"}])
    # 5.5 mu × 612.34 元 = 3367.87 元, all the collective's
    assert [(d["households"], d["collective"], d["total"]) for d in body["dues"]] == [
        ("0.00", "3367.87", "3367.87")] * 3
    before = _state()
    r = client.post(f"{API}/villages/{lands.village.id}/land-contracts", headers=sec, json={
        "number": "ZL-2026-003", "kind": "lease", "party_id": lands.party.id, "title": "分成", "use": "蔬菜种植",
        "start_date": "2029-03-01", "end_date": "2030-03-01", "signed_on": "2029-02-01", "fee_note": "决议",
        "parcels": [{"parcel_id": field["id"]}],
        "periods": [{"from_year": 1, "to_year": 1, "per_mu_yuan": "600.00", "collective_per_mu": "50.00"}]})
    err = _refused(r, 422, "land.periods_invalid")
    assert "全部归集体" in err["message"]
    r = client.post(f"{API}/villages/{lands.village.id}/land-contracts", headers=sec, json={
        "number": "LZ-2029-009", "kind": "transfer",
        "party_id": lands.party.id, "title": "定额", "use": "粮食种植", "start_date": "2029-03-01",
        "end_date": "2030-03-01", "signed_on": "2029-02-01", "parcels": [{"parcel_id": lands.parcels[0].id}],
        "periods": [{"from_year": 1, "to_year": 1, "flat": "1000.00"}]})
    err = _refused(r, 422, "land.periods_invalid")
    assert "按亩计租" in err["message"]
    assert _state() == before
