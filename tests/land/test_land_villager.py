"""Arrears for the village's staff (per contract and transferee, days overdue, the contract's late fee), and what a
household sees of its land: its parcels, its contracts with only its own parcels, this year's rent that is its own
(the contract shape of docs/api.md ``GET /me/land``), and its rent history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.core.db import db
from backend.land import contracts, parcels
from tests.land.conftest import pass_on

API = "/api/v1"
FEE_NOTE = "合同第八条：村集体每亩每年收取流转服务费20元"


def _at(now: list[datetime], day: date) -> None:
    """The clock at 10:00 in China on ``day``."""
    now[0] = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def _due(c: Any, year_no: int) -> Any:
    db.session.expire_all()
    return contracts.dues_of(c)[year_no - 1]


def _pay(client: Any, make: Any, lands: Any, c: Any, year_no: int, amount: str, paid_on: str,
         passed_on: bool = True) -> dict[str, Any]:
    """Rent received and (``passed_on``) each household's part handed over the same day."""
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.accountant),
                    json={"due_id": _due(c, year_no).id, "amount": amount, "paid_on": paid_on})
    assert r.status_code == 201, r.json
    if passed_on:
        pass_on(client, make, lands, r.json["id"], paid_on)
    return r.json


def _me(client: Any, make: Any, who: Any) -> dict[str, Any]:
    r = client.get(f"{API}/me/land", headers=make.headers(who))
    assert r.status_code == 200, r.json
    return r.json


def _history(client: Any, make: Any, who: Any, **args: Any) -> dict[str, Any]:
    r = client.get(f"{API}/me/land/rent-history", headers=make.headers(who), query_string=args)
    assert r.status_code == 200, r.json
    return r.json


# ---------------------------------------------------------------- arrears


@pytest.fixture
def three(lands: Any, now: list[datetime]) -> dict[str, Any]:
    """荣联 holds two contracts (LZ-A1 on household 1's 3.2 mu with a late fee of 万分之5 a day, LZ-A2 on household
    2's 0.75 mu without one); 周家庭农场 holds LZ-B1 on household 3's 3.3333 mu (万分之3), whose rent is agreed for
    the first year only. All at 800.00 元/亩, from 2026-03-01, due 3 月 1 日."""
    _at(now, date(2026, 2, 25))
    farm = parcels.create_party(lands.village, parcels.PartyInput("family_farm", "周家庭农场"), actor=None)
    p = lands.parcels
    a1 = lands.contract(number="LZ-A1", lines=[contracts.LineInput(p[0].id), contracts.LineInput(p[1].id)],
                        late_fee_per_10k=5)
    a2 = lands.contract(number="LZ-A2", lines=[contracts.LineInput(p[2].id)])
    b1 = lands.contract(number="LZ-B1", party_id=farm.id, lines=[contracts.LineInput(p[3].id)], late_fee_per_10k=3,
                        periods=[contracts.PeriodInput(1, 1, 800_00)])
    assert [contracts.due_total(_due(c, 1)) for c in (a1, a2, b1)] == [2560_00, 600_00, 2666_64]
    assert contracts.due_total(_due(b1, 2)) is None
    return {"a1": a1, "a2": a2, "b1": b1, "farm": farm}


def _arrears(client: Any, make: Any, lands: Any, who: Any = None, **args: Any) -> Any:
    return client.get(f"{API}/villages/{lands.village.id}/rent-arrears", query_string=args,
                      headers=make.headers(who or lands.secretary))


def test_arrears_list_what_is_owed_past_its_date_per_contract_and_transferee(client, make, lands, three, now):
    _at(now, date(2026, 3, 3))
    _pay(client, make, lands, three["a1"], 1, "2560.00", "2026-03-03")
    _pay(client, make, lands, three["a2"], 1, "100.00", "2026-03-03")
    _at(now, date(2027, 3, 10))
    r = _arrears(client, make, lands, on="2027-03-10")
    assert r.status_code == 200, r.json
    body = r.json
    rows = [(i["contract_number"], i["party"], i["year_no"], i["due_date"], i["total"], i["outstanding"],
             i["days_overdue"], i["late_fee"]) for i in body["items"]]
    assert rows == [
        # A1's first year is paid: gone. B1's second year has no agreed rent: not owed yet.
        ("LZ-A2", "荣联农业合作社", 1, "2026-03-01", "600.00", "500.00", 374, "0.00"),
        # 2666.64 × 3/10000 × 374 days = 299.197… → 299.20
        ("LZ-B1", "周家庭农场", 1, "2026-03-01", "2666.64", "2666.64", 374, "299.20"),
        # 2560.00 × 5/10000 × 9 days = 11.52
        ("LZ-A1", "荣联农业合作社", 2, "2027-03-01", "2560.00", "2560.00", 9, "11.52"),
        ("LZ-A2", "荣联农业合作社", 2, "2027-03-01", "600.00", "600.00", 9, "0.00"),
    ]
    assert body["items"][0]["contract_id"] == three["a2"].id
    assert body["by_party"] == [{"party": "荣联农业合作社", "outstanding": "3660.00", "contracts": 2},
                                {"party": "周家庭农场", "outstanding": "2666.64", "contracts": 1}]
    assert (body["on"], body["total_outstanding"], body["total"], body["page"]) == ("2027-03-10", "6326.64", 4, 1)
    # a page of the items; the totals stay those of every arrear
    page = _arrears(client, make, lands, on="2027-03-10", page=2, page_size=1).json
    assert [i["contract_number"] for i in page["items"]] == ["LZ-B1"]
    assert (page["total"], page["page_size"], page["total_outstanding"]) == (4, 1, "6326.64")
    assert page["by_party"] == body["by_party"]
    # without ?on= it is today
    assert _arrears(client, make, lands).json["items"] == body["items"]

    # paid in full: gone from the list and from the totals
    _pay(client, make, lands, three["b1"], 1, "2666.64", "2027-03-10")
    body = _arrears(client, make, lands, on="2027-03-10").json
    assert [i["contract_number"] for i in body["items"]] == ["LZ-A2", "LZ-A1", "LZ-A2"]
    assert body["by_party"] == [{"party": "荣联农业合作社", "outstanding": "3660.00", "contracts": 2}]
    assert body["total_outstanding"] == "3660.00"


def test_a_due_is_late_from_the_day_after_its_date_and_the_fee_rounds_half_up(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    c = lands.contract(late_fee_per_10k=5)  # 5826.64 a year, due 2026-03-01
    assert _arrears(client, make, lands, on="2026-03-01").json["items"] == []
    (first,) = _arrears(client, make, lands, on="2026-03-02").json["items"]
    # 5826.64 × 5/10000 = 2.91332 → 2.91
    assert (first["days_overdue"], first["late_fee"], first["outstanding"]) == (1, "2.91", "5826.64")
    # 125 days: 364.165 exactly → 364.17 (half up, not to even)
    (late,) = _arrears(client, make, lands, on="2026-07-04").json["items"]
    assert (late["contract_id"], late["days_overdue"], late["late_fee"]) == (c.id, 125, "364.17")
    # the fee counts on the year's rent, the outstanding on what is left
    _at(now, date(2026, 7, 4))
    _pay(client, make, lands, c, 1, "5000.00", "2026-07-01")
    (late,) = _arrears(client, make, lands, on="2026-07-04").json["items"]
    assert (late["outstanding"], late["late_fee"]) == ("826.64", "364.17")


def test_arrears_are_for_the_villages_staff_only(client, make, lands, three, now):
    _at(now, date(2027, 3, 10))
    assert _arrears(client, make, lands, lands.supervisor).status_code == 200
    r = _arrears(client, make, lands, lands.heads[0])
    assert r.status_code == 403 and r.json["error"]["code"] == "auth.forbidden"
    other = make.village("SH02", "石河村")
    r = _arrears(client, make, lands, make.member(other, "外村书记", roles=("secretary",)))
    assert r.status_code == 404
    assert client.get(f"{API}/villages/{lands.village.id}/rent-arrears").status_code == 401


# ---------------------------------------------------------------- /me/land


def _fee_contract(lands: Any, **over: Any) -> Any:
    """All four parcels, 800.00 元/亩 less a service fee of 20.00 元/亩: the households get 5680.97 a year."""
    return lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, fee_per_mu=20_00)], fee_note=FEE_NOTE, **over)


def test_me_land_has_the_contract_shape_and_only_the_households_own_parcels(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    p = lands.parcels
    c = lands.contract(lines=[contracts.LineInput(p[0].id), contracts.LineInput(p[2].id), contracts.LineInput(p[3].id)])
    body = _me(client, make, lands.heads[0])
    assert set(body) >= {"parcels", "contracts"}
    assert [{k: x[k] for k in ("id", "code", "name", "area_mu")} for x in body["parcels"]] == [
        {"id": p[0].id, "code": "LJ-D001", "name": "东坡地", "area_mu": "1.2"},
        {"id": p[1].id, "code": "LJ-D002", "name": "河湾地", "area_mu": "2"},
    ]
    (mine,) = body["contracts"]
    assert set(mine) >= {"id", "operator", "start_date", "end_date", "parcels", "this_year"}
    assert (mine["id"], mine["operator"], mine["start_date"], mine["end_date"]) == \
        (c.id, "荣联农业合作社", "2026-03-01", "2029-03-01")
    # only its parcel in the contract, not the neighbours' nor its own 河湾地 (not in this contract)
    assert [{k: x[k] for k in ("id", "code", "name", "area_mu")} for x in mine["parcels"]] == [
        {"id": p[0].id, "code": "LJ-D001", "name": "东坡地", "area_mu": "1.2"}]
    # 5.2833 mu × 800.00 = 4226.64; its 1.2 mu: 960.00
    assert {k: mine["this_year"][k] for k in ("due", "paid", "due_date", "status")} == \
        {"due": "960.00", "paid": "0.00", "due_date": "2026-03-01", "status": "due"}
    h2 = _me(client, make, lands.heads[1])
    assert [x["area_mu"] for x in h2["parcels"]] == ["0.75"]
    assert [x["code"] for x in h2["contracts"][0]["parcels"]] == ["LJ-D003"]
    assert h2["contracts"][0]["this_year"]["due"] == "600.00"


def test_each_household_sees_its_own_share_and_the_three_make_the_households_total(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    c = _fee_contract(lands)
    d = _due(c, 1)
    assert d.household_fen - d.fee_fen == 5680_97

    def seen() -> list[dict[str, Any]]:
        return [_me(client, make, head)["contracts"][0]["this_year"] for head in lands.heads]

    # 5680.97 by area 3.2 : 0.75 : 3.3333 of 7.2833 → 2495.9998… 584.9998… 2599.9702… → 2496.00, 585.00, 2599.97
    assert [y["due"] for y in seen()] == ["2496.00", "585.00", "2599.97"]
    assert {y["status"] for y in seen()} == {"due"}
    pay = _pay(client, make, lands, c, 1, "1000.00", "2026-02-25")
    got = {a["household_id"]: a["amount"] for a in pay["allocations"]}
    years = seen()
    assert [y["paid"] for y in years] == [got[h.id] for h in lands.households]
    assert sum(int(y["paid"].replace(".", "")) for y in years) == int(pay["households"].replace(".", "")) == 975_00
    assert {y["status"] for y in years} == {"partly_paid"}
    assert {y["paid_on"] for y in years} == {"2026-02-25"}
    _at(now, date(2026, 3, 2))
    assert {y["status"] for y in seen()} == {"overdue"}
    _pay(client, make, lands, c, 1, "4826.64", "2026-03-02")
    years = seen()
    assert [y["paid"] for y in years] == ["2496.00", "585.00", "2599.97"]
    assert {y["status"] for y in years} == {"paid"} and {y["paid_on"] for y in years} == {"2026-03-02"}


def test_a_due_paid_in_full_shows_paid_to_every_household_even_if_a_fen_went_elsewhere(client, make, lands, now):
    """Each payment is split on its own (largest remainder), so a household's parts can end a fen away from its
    share of the year; once the whole year's rent is in, no household is shown as still owed."""
    _at(now, date(2026, 3, 10))
    c = _fee_contract(lands)
    first = _pay(client, make, lands, c, 1, "0.01", "2026-03-10")
    assert [(a["household_id"], a["amount"]) for a in first["allocations"] if a["amount"] != "0.00"] == \
        [(lands.households[2].id, "0.01")]
    # nothing reached the first household yet: no date it was paid on
    year = _me(client, make, lands.heads[0])["contracts"][0]["this_year"]
    assert (year["paid"], year["paid_on"], year["status"]) == ("0.00", None, "overdue")
    (row,) = _history(client, make, lands.heads[0])["items"]
    assert (row["paid"], row["paid_on"]) == ("0.00", None)
    _pay(client, make, lands, c, 1, "5826.63", "2026-03-10")
    years = [_me(client, make, head)["contracts"][0]["this_year"] for head in lands.heads]
    assert sum(int(y["paid"].replace(".", "")) for y in years) == 5680_97
    assert sum(int(y["due"].replace(".", "")) for y in years) == 5680_97
    assert [y["status"] for y in years] == ["paid", "paid", "paid"], years


def test_rent_not_yet_agreed_shows_as_unpriced(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    c = lands.contract(periods=[contracts.PeriodInput(1, 1, 800_00)])
    _at(now, date(2027, 1, 10))
    year = _me(client, make, lands.heads[0])["contracts"][0]["this_year"]
    assert (year["due"], year["paid"], year["due_date"], year["status"]) == (None, "0.00", "2027-03-01", "unpriced")
    assert year["note"]
    contracts.add_rent_period(c, contracts.PeriodInput(2, 3, 900_00), actor=None)
    db.session.commit()
    year = _me(client, make, lands.heads[0])["contracts"][0]["this_year"]
    assert (year["due"], year["status"]) == ("2880.00", "due")  # 3.2 mu × 900.00


def test_a_household_without_land_staff_without_a_household_and_other_villages_see_nothing(client, make, lands,
                                                                                             now):
    _at(now, date(2026, 3, 10))
    c = lands.contract()
    _pay(client, make, lands, c, 1, "5826.64", "2026-03-10")
    landless = make.member(lands.village, "钱无地", household=make.household(lands.village, "LJ-L09"), head=True)
    staff = make.staff(make.township(), "郑雯")
    other = make.village("SH02", "石河村")
    stranger = make.member(other, "孙外村", household=make.household(other, "SH-001"), head=True)
    for who in (landless, staff, stranger, lands.secretary):
        assert _me(client, make, who) == {"parcels": [], "contracts": []}, who
        assert _history(client, make, who) == {"items": [], "total": 0, "page": 1, "page_size": 20}
    assert client.get(f"{API}/me/land").status_code == 401


# ---------------------------------------------------------------- rent history


def test_rent_history_lists_past_years_and_this_year_newest_first(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    c = _fee_contract(lands)  # dues 2026-03-01, 2027-03-01, 2028-03-01
    _at(now, date(2026, 3, 3))
    _pay(client, make, lands, c, 1, "5826.64", "2026-03-03")
    _at(now, date(2027, 1, 10))
    body = _history(client, make, lands.heads[1])
    assert (body["total"], body["page"], body["page_size"]) == (2, 1, 20)
    rows = [(r["contract_id"], r["year_no"], r["due_date"], r["due"], r["paid"], r["paid_on"], r["status"])
            for r in body["items"]]
    # this year's rent (due 2027-03-01) is listed, not yet due; next year's (2028) is not listed
    assert rows == [(c.id, 2, "2027-03-01", "585.00", "0.00", None, "due"),
                    (c.id, 1, "2026-03-01", "585.00", "585.00", "2026-03-03", "paid")]
    _at(now, date(2027, 3, 5))
    body = _history(client, make, lands.heads[1])
    assert [(r["year_no"], r["status"]) for r in body["items"]] == [(2, "overdue"), (1, "paid")]
    page = _history(client, make, lands.heads[1], page=2, page_size=1)
    assert [r["year_no"] for r in page["items"]] == [1] and (page["total"], page["page_size"]) == (2, 1)


def test_rent_history_of_several_contracts_is_the_households_own(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    p = lands.parcels
    a = lands.contract(number="LZ-A1", lines=[contracts.LineInput(p[0].id), contracts.LineInput(p[2].id)])
    b = lands.contract(number="LZ-B1", lines=[contracts.LineInput(p[1].id)], start_date=date(2026, 9, 1),
                       end_date=date(2028, 9, 1), due_month=9,
                       periods=[contracts.PeriodInput(1, 2, 800_00)])
    _at(now, date(2026, 9, 5))
    _pay(client, make, lands, a, 1, "1560.00", "2026-09-05")  # 1.95 mu × 800.00: in full
    body = _history(client, make, lands.heads[0])
    rows = [(r["contract_number"], r["operator"], r["year_no"], r["due_date"], r["due"], r["paid"], r["status"])
            for r in body["items"]]
    assert rows == [("LZ-B1", "荣联农业合作社", 1, "2026-09-01", "1600.00", "0.00", "overdue"),
                    ("LZ-A1", "荣联农业合作社", 1, "2026-03-01", "960.00", "960.00", "paid")]
    assert b.id in {r["contract_id"] for r in body["items"]}
    # the neighbour in LZ-A1 sees its own 0.75 mu only
    rows = [(r["contract_number"], r["due"], r["paid"]) for r in _history(client, make, lands.heads[1])["items"]]
    assert rows == [("LZ-A1", "600.00", "600.00")]
