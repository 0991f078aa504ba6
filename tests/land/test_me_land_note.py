"""``GET /me/land``: the note under 今年我家应得 explains the household's *own* figure — its parcels' area in that
contract × the price, less what the collective withholds, a short year's part, the fen of splitting the whole
contract's rent — and every equation in it is exact and ends on the figure shown as due; never the contract's whole
area next to the household's figure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from backend.core.db import db
from backend.land import contracts, parcels
from backend.land.contracts import round_half_up
from backend.land.models import RentDue
from tests.land.conftest import pass_on

API = "/api/v1"
FEE_NOTE = "合同第八条：村集体每亩每年收取流转服务费20元"


def _at(now: list[datetime], day: date) -> None:
    now[0] = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def _year(client: Any, make: Any, who: Any, number: str | None = None) -> dict[str, Any]:
    r = client.get(f"{API}/me/land", headers=make.headers(who))
    assert r.status_code == 200, r.json
    items = [c for c in r.json["contracts"] if number is None or c["number"] == number]
    assert len(items) == 1, r.json
    return items[0]["this_year"]


def _fen(text: str) -> int:
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    whole, _, cents = digits.replace(",", "").partition(".")
    return sign * (int(whole) * 100 + int((cents or "0").ljust(2, "0")))


def _number(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


_PRODUCT = re.compile(r"([\d.,]+(?: × [\d.,/]+)+) = ([\d.,]+) 元")
_SUM = re.compile(r"([\d.,]+) ([−+]) ([\d.,]+) = ([\d.,]+) 元")


def check_arithmetic(note: str, due: str) -> int:
    """Every ``a × b [× n/d] = c 元`` is ``a × b`` rounded half up to the fen, every ``a − b = c`` and ``a + b = c``
    is exact, and the last figure of the note is the figure shown as due; returns how many equations it has."""
    equations = 0
    for left, right in _PRODUCT.findall(note):
        value = Fraction(1)
        for factor in left.split(" × "):
            value *= _number(factor)
        assert round_half_up(value * 100) == _fen(right), (left, right, note)
        equations += 1
    for a, sign, b, c in _SUM.findall(note):
        assert _fen(a) + (_fen(b) if sign == "+" else -_fen(b)) == _fen(c), (a, sign, b, c, note)
        equations += 1
    figures = re.findall(r"([\d,]+\.\d\d) 元", note)
    assert figures and _fen(figures[-1]) == _fen(due), (note, due)
    return equations


# ---------------------------------------------------------------- the household's part of a contract


def test_a_household_with_part_of_a_contracts_area_sees_its_own_area_times_the_price(client, make, lands, now):
    """households[1] has 0.75 of the contract's 7.2833 mu: the note is 0.75 × 800.00, never 7.2833 × 800.00."""
    _at(now, date(2026, 2, 25))
    lands.contract()
    year = _year(client, make, lands.heads[1])
    assert year["due"] == "600.00"
    assert year["note"] == "您家在本合同中有 0.75 亩，每亩每年 800.00 元，0.75 × 800.00 = 600.00 元。"
    assert (year["note_kind"], year["my_area_mu"], year["contract_area_mu"], year["price_per_mu"]) == \
        ("area_price", "0.75", "7.2833", "800.00")
    assert (year["gross"], year["fee"], year["fee_per_mu"], year["rounding"], year["year_fraction"]) == \
        ("600.00", None, None, "0.00", None)
    assert "7.2833" not in year["note"]
    assert year["contract_note"] == "7.2833亩 × 800.00元/亩"  # the contract's own arithmetic, kept apart
    # the contract's fields of ../shared/API.md are all still there
    assert {"due", "paid", "due_date"} <= set(year)
    assert check_arithmetic(year["note"], year["due"]) == 1


def test_two_parcels_in_one_contract_are_added_up_first(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    lands.contract()
    year = _year(client, make, lands.heads[0])
    assert year["note"] == "您家在本合同中有 1.2 + 2 = 3.2 亩，每亩每年 800.00 元，3.2 × 800.00 = 2,560.00 元。"
    assert (year["due"], year["my_area_mu"], year["gross"]) == ("2560.00", "3.2", "2560.00")
    check_arithmetic(year["note"], year["due"])


def test_a_service_fee_withheld_by_the_collective_is_taken_off_in_the_note(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, fee_per_mu=20_00)], fee_note=FEE_NOTE)
    year = _year(client, make, lands.heads[0])
    assert year["due"] == "2496.00"
    assert year["note"] == ("您家在本合同中有 1.2 + 2 = 3.2 亩，每亩每年 800.00 元，3.2 × 800.00 = 2,560.00 元；"
                            "按合同扣村集体服务费每亩 20.00 元，3.2 × 20.00 = 64.00 元，"
                            "2,560.00 − 64.00 = 2,496.00 元。")
    assert (year["gross"], year["fee_per_mu"], year["fee"], year["rounding"]) == ("2560.00", "20.00", "64.00", "0.00")
    assert _fen(year["gross"]) - _fen(year["fee"]) + _fen(year["rounding"]) == _fen(year["due"])
    assert check_arithmetic(year["note"], year["due"]) == 3
    # 3.3333 mu: each step is rounded to the fen as shown, and still ends on the figure due
    third = _year(client, make, lands.heads[2])
    assert third["due"] == "2599.97" and third["fee"] == "66.67"
    check_arithmetic(third["note"], third["due"])


def test_a_share_paid_to_the_collective_on_top_is_not_taken_from_the_household(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    lands.contract(periods=[contracts.PeriodInput(1, 3, 700_00, collective_per_mu=30_00)],
                   fee_note="每亩每年30元交村集体，不从农户租金中扣除")
    year = _year(client, make, lands.heads[0])
    assert year["due"] == "2240.00" and year["fee"] is None
    assert year["note"] == "您家在本合同中有 1.2 + 2 = 3.2 亩，每亩每年 700.00 元，3.2 × 700.00 = 2,240.00 元。"


def test_a_short_last_year_an_increase_and_the_fen_of_the_split_add_up_to_the_figure(client, make, lands, now):
    """Years 3 of a term ending 1 September 2028: 184 of 365 days, at 800.00 raised 3% a year twice, less the fee;
    splitting the whole contract's rent leaves 0.75 mu a fen short of its own arithmetic, and the note says so."""
    _at(now, date(2026, 2, 25))
    lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, fee_per_mu=20_00)], fee_note=FEE_NOTE,
                   end_date=date(2028, 9, 1), increase_bp=300, increase_every=1)
    _at(now, date(2028, 2, 25))
    years = [_year(client, make, head) for head in lands.heads]
    for year in years:
        assert year["year_fraction"] == "184/365" and year["price_per_mu"] == "848.72"  # 800.00 × 1.03²
        assert "本合同年只有 184 天" in year["note"] and "已递增2次" in year["note"]
        check_arithmetic(year["note"], year["due"])
        assert _fen(year["gross"]) - _fen(year["fee"]) + _fen(year["rounding"]) == _fen(year["due"])
    small = years[1]
    assert (small["due"], small["rounding"]) == ("313.32", "-0.01")
    assert small["note"].endswith("全合同租金按面积分到各户时凑整到分，少 0.01 元，313.33 − 0.01 = 313.32 元。")
    # the households' figures are the contract's net, split exactly
    due = db.session.query(RentDue).filter_by(year_no=3).one()
    assert sum(_fen(y["due"]) for y in years) == due.household_fen - due.fee_fen


def test_rent_in_kind_shows_the_grain_and_its_price(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    contracts.create_contract(lands.village, contracts.ContractInput(
        number="SW-M", kind="transfer", party_id=lands.party.id, title="稻田流转", start_date=date(2026, 3, 1),
        end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20), rent_kind="in_kind", grain="稻谷",
        price_basis="minimum", lines=[contracts.LineInput(p.id) for p in lands.parcels[:3]],
        periods=[contracts.PeriodInput(1, 3, 500)]), actor=None)
    db.session.commit()
    year = _year(client, make, lands.heads[1])
    assert (year["due"], year["note_kind"]) == (None, "unpriced")
    assert year["note"] == "您家在本合同中有 0.75 亩；待公布2026年稻谷最低收购价。"
    township = lands.village.township
    r = client.post(f"{API}/townships/{township.id}/grain-prices", headers=make.headers(make.staff(township)),
                    json={"year": 2026, "grain": "稻谷", "basis": "minimum", "price": "1.19"})
    assert r.status_code == 201, r.json
    year = _year(client, make, lands.heads[1])
    assert year["due"] == "446.25"  # 0.75 × 500 × 1.19
    assert year["note"] == ("您家在本合同中有 0.75 亩，每亩每年稻谷 500 斤，"
                            "按2026年最低收购价每斤 1.19 元折 595.00 元，0.75 × 595.00 = 446.25 元。")
    assert (year["grain_price"], year["price_per_mu"]) == ("1.19", "595.00")
    check_arithmetic(year["note"], year["due"])


def test_rent_not_yet_agreed_says_so_for_the_households_own_area(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    lands.contract(periods=[contracts.PeriodInput(1, 1, 800_00)])
    _at(now, date(2027, 1, 10))
    year = _year(client, make, lands.heads[0])
    assert (year["due"], year["status"], year["note_kind"], year["my_area_mu"]) == (None, "unpriced", "unpriced", "3.2")
    assert year["note"] == "您家在本合同中有 3.2 亩；租金待约定（长包短定：本期租金尚未商定）。"


def test_a_figure_not_reached_from_the_households_own_area_is_told_in_words(client, make, lands, now):
    """A due priced on terms that no longer hold (here written straight into the row): no arithmetic that would not
    end on the figure shown, but how the contract's rent was shared."""
    _at(now, date(2026, 2, 25))
    c = lands.contract()
    due = contracts.dues_of(c)[0]
    due.household_fen = 5000_00
    db.session.commit()
    year = _year(client, make, lands.heads[1])
    assert year["note_kind"] == "shared" and year["due"] == "514.88"  # 5000.00 × 0.75 / 7.2833, largest remainder
    assert year["note"] == ("本合同今年各户租金共 5,000.00 元（全合同 7.2833 亩），按各户面积分配："
                            "您家 0.75 亩，分得 514.88 元。")
    assert year["price_per_mu"] is None and year["rounding"] is None and "×" not in year["note"]


def test_paid_rent_keeps_the_same_note(client, make, lands, now):
    _at(now, date(2026, 3, 2))
    c = lands.contract()
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.accountant),
                    json={"due_id": contracts.dues_of(c)[0].id, "amount": "5826.64", "paid_on": "2026-03-02"})
    assert r.status_code == 201, r.json
    pass_on(client, make, lands, r.json["id"], "2026-03-02")
    year = _year(client, make, lands.heads[0])
    assert (year["status"], year["paid"]) == ("paid", "2560.00")
    assert year["note"].endswith("3.2 × 800.00 = 2,560.00 元。")


# ---------------------------------------------------------------- who sees what


def test_a_household_in_no_contract_has_no_note(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    p = lands.parcels
    lands.contract(lines=[contracts.LineInput(p[0].id), contracts.LineInput(p[1].id)])  # households[0] only
    r = client.get(f"{API}/me/land", headers=make.headers(lands.heads[2]))
    assert r.status_code == 200 and r.json["contracts"] == []
    assert [x["area_mu"] for x in r.json["parcels"]] == ["3.3333"]  # its parcel, in no contract


def test_a_villager_of_another_village_sees_only_their_own_contract_and_figure(client, make, lands, now):
    _at(now, date(2026, 2, 25))
    lands.contract()
    other = make.village("SH02", "石河村")
    home = make.household(other, "SH-001")
    stranger = make.member(other, "孙外村", household=home, head=True)
    plot = parcels.create_parcel(other, parcels.ParcelInput("SH-D001", "沙洲地", 15000, household_id=home.id,
                                                            contract_until=date(2057, 12, 31)), actor=None)
    party = parcels.create_party(other, parcels.PartyInput("person", "石河种粮户"), actor=None)
    contracts.create_contract(other, contracts.ContractInput(
        number="LZ-2026-001", kind="transfer", party_id=party.id, title="沙洲地流转", start_date=date(2026, 3, 1),
        end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20),
        lines=[contracts.LineInput(plot.id)], periods=[contracts.PeriodInput(1, 3, 600_00)]), actor=None)
    db.session.commit()
    r = client.get(f"{API}/me/land", headers=make.headers(stranger))
    assert r.status_code == 200
    (mine,) = r.json["contracts"]
    assert mine["operator"] == "石河种粮户" and [x["name"] for x in mine["parcels"]] == ["沙洲地"]
    year = mine["this_year"]
    assert year["note"] == "您家在本合同中有 1.5 亩，每亩每年 600.00 元，1.5 × 600.00 = 900.00 元。"
    assert year["contract_area_mu"] == "1.5"  # 临江村's 7.2833 mu of the same contract number never counts
    # and 临江村's households never see 石河村's
    assert [c["operator"] for c in client.get(f"{API}/me/land", headers=make.headers(lands.heads[0])).json[
        "contracts"]] == ["荣联农业合作社"]
