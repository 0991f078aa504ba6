"""SQL statements of the land reads do not grow with the data (no N+1): each path is counted in a village with one
contract, then again with more contracts (each with its own transferee, parcels and rent periods)."""

from __future__ import annotations

from datetime import date

from backend.core.db import db
from backend.land import contracts, parcels
from tests.land.conftest import Land, statements

API = "/api/v1"


def more_contracts(lands: Land, n: int) -> None:
    """``n`` more contracts, each on two new parcels of the first households, with a party of its own and two rent
    periods (长包短定)."""
    for k in range(n):
        plots = [parcels.create_parcel(lands.village, parcels.ParcelInput(
            f"LJ-N{k:02d}{j}", f"新地{k}-{j}", 10000 + j, household_id=lands.households[j].id,
            contract_until=date(2057, 12, 31)), actor=None) for j in range(2)]
        party = parcels.create_party(lands.village, parcels.PartyInput(
            "cooperative", f"第{k}合作社", credit_code=f"93371427MA3C1000{k:02d}"), actor=None)
        contracts.create_contract(lands.village, contracts.ContractInput(
            number=f"LZ-2026-N{k:02d}", kind="transfer", party_id=party.id, title=f"流转{k}",
            start_date=date(2026, 3, 1), end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20),
            lines=[contracts.LineInput(p.id) for p in plots],
            periods=[contracts.PeriodInput(1, 2, 800_00), contracts.PeriodInput(3, 3, 900_00)]), actor=None)
    db.session.commit()


def test_the_contract_list_reads_a_fixed_number_of_statements(app, make, lands):
    lands.contract()
    headers = make.headers(lands.secretary)
    path = f"{API}/villages/{lands.village.id}/land-contracts"
    r, one = statements(app, path, headers)
    assert r.status_code == 200 and len(r.json["items"]) == 1
    more_contracts(lands, 3)
    r, four = statements(app, path, headers)
    assert r.status_code == 200 and len(r.json["items"]) == 4
    assert len(four) == len(one) <= 5, "\n".join(four)
    assert {i["party"] for i in r.json["items"]} == {"荣联农业合作社", "第0合作社", "第1合作社", "第2合作社"}
    assert {i["area_mu"] for i in r.json["items"]} == {"7.2833", "2.0001"}
    assert {i["rent"] for i in r.json["items"]} == {"每亩每年800.00元", "每亩每年800.00元（分段约定）"}


def test_a_households_land_and_rent_history_read_a_fixed_number_of_statements(app, make, lands):
    lands.contract()
    headers = make.headers(lands.heads[0])
    paths = {"land": f"{API}/me/land", "history": f"{API}/me/land/rent-history?page_size=100"}
    before = {k: statements(app, p, headers) for k, p in paths.items()}
    more_contracts(lands, 3)
    after = {k: statements(app, p, headers) for k, p in paths.items()}
    assert len(before["land"][0].json["contracts"]) == 1 and len(after["land"][0].json["contracts"]) == 4
    assert len(after["history"][0].json["items"]) > len(before["history"][0].json["items"])
    for k in paths:
        assert len(after[k][1]) == len(before[k][1]) <= 7, "\n".join(after[k][1])
