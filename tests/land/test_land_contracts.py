"""Parcels, parties and contracts: the legal limits of a transfer (农村土地承包法 第38–40条, the 2021 measures, the
GF-2021-2606 model lease) through the service and the endpoints, and who may read and write them. Every refusal is
checked to leave the tables as they were (read after a rollback, as a request's teardown does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.errors import AppError
from backend.land import contracts, parcels
from backend.land.models import Contract, ContractParcel, GrainPrice, Parcel, Party, RentDue, RentPeriod
from backend.registry.models import Household, Member, Village
from tests.factories import id_card, resolved_decision

API = "/api/v1"


# ---------------------------------------------------------------- helpers


def _state() -> dict[str, Any]:
    """What a refusal must leave untouched."""
    out: dict[str, Any] = {
        m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
        for m in (Parcel, Party, Contract, ContractParcel, RentPeriod, RentDue, GrainPrice, AuditEntry)
    }
    out["dues"] = db.session.execute(
        select(RentDue.contract_id, RentDue.year_no, RentDue.household_fen, RentDue.fee_fen, RentDue.collective_fen,
               RentDue.paid_fen).order_by(RentDue.contract_id, RentDue.year_no)).all()
    out["parcels"] = db.session.execute(
        select(Parcel.id, Parcel.code, Parcel.household_id, Parcel.area_mu4).order_by(Parcel.id)).all()
    return out


def _refused(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code, resp.json
    db.session.rollback()
    return resp.json["error"]


def _service_refused(lands: Any, code: str, **over: Any) -> AppError:
    """``lands.contract(**over)`` is refused with ``code`` and changes nothing."""
    before = _state()
    with pytest.raises(AppError) as info:
        lands.contract(**over)
    assert info.value.code == code, info.value
    db.session.rollback()
    assert _state() == before
    return info.value


def _body(lands: Any, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "LZ-2026-101", "kind": "transfer", "party_id": lands.party.id, "title": "东坡片区土地流转",
        "start_date": "2026-03-01", "end_date": "2029-03-01", "use": "粮食种植", "signed_on": "2026-02-20",
        "parcels": [{"parcel_id": p.id} for p in lands.parcels],
        "periods": [{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00"}],
    }
    body.update(over)
    if body["kind"] == "lease" and "decision_id" not in over:  # a lease rests on a resolved decision
        body["decision_id"] = lands.lease_decision.id
    return body


def _post_contract(client: Any, lands: Any, headers: dict[str, str], **over: Any) -> Any:
    return client.post(f"{API}/villages/{lands.village.id}/land-contracts", headers=headers, json=_body(lands, **over))


def _parcel(lands: Any, code: str, mu4: int, *, household: int | None = 1, **kw: Any) -> Parcel:
    """A parcel of ``lands.households[household]`` (or of the collective with ``household=None``)."""
    kw.setdefault("contract_until", date(2057, 12, 31) if household is not None else None)
    kw.setdefault("kind", "contracted" if household is not None else "collective_land")
    p = parcels.create_parcel(lands.village, parcels.ParcelInput(
        code, f"地块{code}", mu4, household_id=lands.households[household].id if household is not None else None,
        **kw), actor=None)
    db.session.commit()
    return p


@dataclass
class Other:
    village: Village
    secretary: Member
    villager: Member
    household: Household
    parcel: Parcel
    party: Party


def _other_village(make: Any) -> Other:
    """A second village of the same township, with its own staff, household, parcel and transferee."""
    v = make.village("LJ02", "河东村")
    sec = make.member(v, "周立新", roles=("secretary",))
    h = make.household(v, "HD-L01")
    villager = make.member(v, "钱户一", household=h, head=True)
    p = parcels.create_parcel(v, parcels.ParcelInput("HD-D001", "河东地", 10000, household_id=h.id,
                                                     contract_until=date(2057, 12, 31)), actor=None)
    party = parcels.create_party(v, parcels.PartyInput("company", "河东农业公司", credit_code="91350100M000100Y43"),
                                 actor=None)
    db.session.commit()
    return Other(v, sec, villager, h, p, party)


# ---------------------------------------------------------------- parcels


def test_a_parcel_code_is_unique_in_its_village_but_not_across_villages(client, make, lands):
    sec = make.headers(lands.secretary)
    url = f"{API}/villages/{lands.village.id}/parcels"
    before = _state()
    for code in ("LJ-D001", "  LJ-D001 "):  # the same code, blanks trimmed
        r = client.post(url, headers=sec, json={"code": code, "name": "重号地", "area_mu": "1",
                                                "household_id": lands.households[1].id})
        err = _refused(r, 409, "land.parcel_exists")
        assert "LJ-D001" in err["message"]
        assert _state() == before
    other = _other_village(make)
    r = client.post(f"{API}/villages/{other.village.id}/parcels", headers=make.headers(other.secretary),
                    json={"code": "LJ-D001", "name": "同号不同村", "area_mu": "1", "household_id": other.household.id})
    assert r.status_code == 201, r.json
    assert r.json["code"] == "LJ-D001" and r.json["area_mu"] == "1"


def test_a_contracted_parcel_names_a_household_of_this_village_and_collective_land_names_none(client, make, lands):
    sec = make.headers(lands.secretary)
    url = f"{API}/villages/{lands.village.id}/parcels"
    other = _other_village(make)
    before = _state()
    for extra, code in (({}, "land.household_required"),
                        ({"household_id": other.household.id}, "land.household_required"),
                        ({"household_id": 999_999}, "land.household_required"),
                        ({"kind": "collective_land", "household_id": lands.households[0].id},
                         "land.household_not_allowed"),
                        ({"kind": "collective_asset", "household_id": lands.households[0].id},
                         "land.household_not_allowed")):
        r = client.post(url, headers=sec, json={"code": "LJ-X01", "name": "新地", "area_mu": "1", **extra})
        err = _refused(r, 422, code)
        assert "户" in err["message"]
        assert _state() == before
    ok = client.post(url, headers=sec, json={"code": "LJ-X01", "name": "新开荒地", "area_mu": "1.5",
                                             "household_id": lands.households[1].id, "certificate_no": "Z-0001",
                                             "contract_until": "2057-12-31"})
    assert ok.status_code == 201 and ok.json["household_id"] == lands.households[1].id
    assert ok.json["kind"] == "contracted" and ok.json["contract_until"] == "2057-12-31"
    for kind, code in (("collective_land", "LJ-J01"), ("collective_asset", "LJ-M01")):
        r = client.post(url, headers=sec, json={"code": code, "name": "集体的", "kind": kind, "area_mu": "0.5"})
        assert r.status_code == 201, r.json
        assert r.json["household_id"] is None and r.json["kind"] == kind


@pytest.mark.parametrize(("text", "shown", "mu4"), [("1.2", "1.2", 12000), ("3.3333", "3.3333", 33333),
                                                    ("2.50", "2.5", 25000), ("0.0001", "0.0001", 1),
                                                    (" 7 ", "7", 70000), ("１．２", "1.2", 12000)])
def test_an_area_is_mu_with_up_to_four_decimals(client, make, lands, text, shown, mu4):
    r = client.post(f"{API}/villages/{lands.village.id}/parcels", headers=make.headers(lands.secretary),
                    json={"code": "LJ-A01", "name": "量地", "area_mu": text, "household_id": lands.households[1].id})
    assert r.status_code == 201, r.json
    assert r.json["area_mu"] == shown
    assert db.session.get(Parcel, r.json["id"]).area_mu4 == mu4


@pytest.mark.parametrize(("value", "words"), [("1.23456", "最多4位小数"), ("-1", "面积应为"), ("0", "面积应大于零"),
                                              ("0.0000", "面积应大于零"), ("١٫٢", "面积应为"), ("abc", "面积应为"),
                                              ("", "面积应为"), ("1,2", "面积应为"), (1.2, "文字形式")])
def test_an_area_that_is_not_a_plain_positive_number_is_refused_in_chinese(client, make, lands, value, words):
    sec = make.headers(lands.secretary)
    before = _state()
    for field in ("area_mu", "measured_mu"):
        body = {"code": "LJ-A01", "name": "量地", "area_mu": "1", "household_id": lands.households[1].id,
                field: value}
        err = _refused(client.post(f"{API}/villages/{lands.village.id}/parcels", headers=sec, json=body), 422,
                       "validation.failed")
        assert words in err["details"]["fields"][field][0] and words in err["message"]
        assert _state() == before


def test_parse_mu_refuses_what_it_cannot_read_exactly():
    assert parcels.parse_mu("1.2") == 12000 and parcels.parse_mu("3.3333") == 33333 and parcels.parse_mu("1234567") > 0
    for bad in ("1.23456", "-1", "0", "１.２", "abc", "1e3", "12345678", ".5", "+1"):
        with pytest.raises(AppError) as info:
            parcels.parse_mu(bad)
        assert info.value.code == "land.area_invalid" and "面积" in info.value.message
    assert parcels.mu_text(12000) == "1.2" and parcels.mu_text(10000) == "1" and parcels.mu_text(12345) == "1.2345"


def test_the_measured_area_counts_when_the_contract_says_so(client, make, lands):
    sec = make.headers(lands.secretary)
    r = client.post(f"{API}/villages/{lands.village.id}/parcels", headers=sec,
                    json={"code": "LJ-M02", "name": "实测地", "area_mu": "2", "measured_mu": "2.1",
                          "household_id": lands.households[1].id})
    assert r.status_code == 201 and r.json["area_mu"] == "2" and r.json["measured_mu"] == "2.1"
    pid, small = r.json["id"], lands.parcels[2].id  # small: 0.75 mu, no measured area
    one_year = {"periods": [{"from_year": 1, "to_year": 1, "per_mu_yuan": "800.00"}]}
    reg = _post_contract(client, lands, sec, number="LZ-R", parcels=[{"parcel_id": pid}, {"parcel_id": small}],
                         start_date="2026-03-01", end_date="2027-03-01", **one_year)
    assert reg.status_code == 201, reg.json
    # registered: (2 + 0.75) mu × 800.00 = 2200.00
    assert reg.json["area_basis"] == "registered" and reg.json["area_mu"] == "2.75"
    assert reg.json["dues"][0]["total"] == "2200.00"
    mea = _post_contract(client, lands, sec, number="LZ-M", parcels=[{"parcel_id": pid}, {"parcel_id": small}],
                         start_date="2027-03-01", end_date="2028-03-01", signed_on="2027-02-20",
                         area_basis="measured", **one_year)
    assert mea.status_code == 201, mea.json
    # measured: 2.1 mu (measured) + 0.75 mu (no measured area: the registered one) = 2.85 mu × 800.00 = 2280.00
    assert mea.json["area_basis"] == "measured" and mea.json["area_mu"] == "2.85"
    assert {p["code"]: p["area_mu"] for p in mea.json["parcels"]} == {"LJ-M02": "2.1", "LJ-D003": "0.75"}
    assert mea.json["dues"][0]["total"] == "2280.00"
    # a line may name its own rent area (part of a parcel): 1.5 mu × 800.00 = 1200.00
    part = _post_contract(client, lands, sec, number="LZ-P", parcels=[{"parcel_id": pid, "area_mu": "1.5"}],
                          start_date="2028-03-01", end_date="2029-03-01", signed_on="2028-02-20", **one_year)
    assert part.status_code == 201 and part.json["area_mu"] == "1.5" and part.json["dues"][0]["total"] == "1200.00"


def test_a_line_cannot_count_more_area_than_the_parcel_has(client, make, lands):
    sec = make.headers(lands.secretary)
    before = _state()
    # LJ-D003 is 0.75 mu, no measured area
    r = _post_contract(client, lands, sec, parcels=[{"parcel_id": lands.parcels[2].id, "area_mu": "0.7501"}])
    err = _refused(r, 422, "land.parcels_invalid")
    assert "LJ-D003" in err["message"] and "面积" in err["message"]
    assert _state() == before
    edge = _post_contract(client, lands, sec, parcels=[{"parcel_id": lands.parcels[2].id, "area_mu": "0.75"}])
    assert edge.status_code == 201, edge.json


# ---------------------------------------------------------------- parties


def test_a_persons_id_number_is_kept_only_as_a_hash_and_its_last_four(client, make, lands):
    sec = make.headers(lands.secretary)
    card = id_card()
    r = client.post(f"{API}/villages/{lands.village.id}/land-parties", headers=sec,
                    json={"kind": "person", "name": "刘大户", "id_card": card, "phone": "13900001111"})
    assert r.status_code == 201, r.json
    assert r.json["id_last4"] == card[-4:]
    assert "id_card" not in r.json and "id_hash" not in r.json and card not in r.get_data(as_text=True)
    row = db.session.get(Party, r.json["id"])
    assert row.id_last4 == card[-4:] and len(row.id_hash) == 64 and card not in row.id_hash
    logged = db.session.execute(select(AuditEntry.after).where(AuditEntry.action == "land.party_create")).scalars()
    assert all(card not in (a or "") and card[-6:] not in (a or "") for a in logged)
    listed = client.get(f"{API}/villages/{lands.village.id}/land-parties", headers=sec)
    assert listed.status_code == 200 and card not in listed.get_data(as_text=True)
    assert {p["name"] for p in listed.json["items"]} == {"刘大户", "荣联农业合作社"}
    c = _post_contract(client, lands, sec, party_id=r.json["id"], parcels=[{"parcel_id": lands.parcels[1].id}])
    assert c.status_code == 201, c.json
    assert c.json["party"]["id_last4"] == card[-4:] and "id_hash" not in c.json["party"]
    shown = client.get(f"{API}/land-contracts/{c.json['id']}", headers=sec)
    assert card not in shown.get_data(as_text=True) and row.id_hash not in shown.get_data(as_text=True)


def test_a_bad_id_number_or_credit_code_is_refused(client, make, lands):
    sec = make.headers(lands.secretary)
    url = f"{API}/villages/{lands.village.id}/land-parties"
    card = id_card()
    wrong_check = card[:17] + ("0" if card[17] != "0" else "1")
    before = _state()
    for body, code in (({"kind": "person", "name": "刘二", "id_card": wrong_check}, "validation.failed"),
                       ({"kind": "company", "name": "某公司", "credit_code": "12345"}, "validation.failed"),
                       ({"kind": "company", "name": "某公司", "credit_code": "91350100M000100Y4-"},
                        "land.credit_code_invalid"),
                       ({"kind": "company", "name": "某公司", "credit_code": "９１３５０１００Ｍ０００１００Ｙ４３"},
                        "land.credit_code_invalid"),
                       ({"kind": "company", "name": "某公司", "credit_code": "9135010 M000100Y43"},
                        "land.credit_code_invalid"),
                       ({"kind": "bank", "name": "某公司"}, "validation.failed")):
        err = _refused(client.post(url, headers=sec, json=body), 422, code)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])
        assert _state() == before
    ok = client.post(url, headers=sec, json={"kind": "company", "name": "某公司", "credit_code": "91350100m000100y43"})
    assert ok.status_code == 201 and ok.json["credit_code"] == "91350100M000100Y43"


def test_a_party_name_is_unique_in_the_village(client, make, lands):
    sec = make.headers(lands.secretary)
    before = _state()
    for name in ("荣联农业合作社", " 荣联农业合作社 "):
        r = client.post(f"{API}/villages/{lands.village.id}/land-parties", headers=sec,
                        json={"kind": "company", "name": name})
        err = _refused(r, 409, "land.party_exists")
        assert "荣联农业合作社" in err["message"]
        assert _state() == before
    other = _other_village(make)
    r = client.post(f"{API}/villages/{other.village.id}/land-parties", headers=make.headers(other.secretary),
                    json={"kind": "cooperative", "name": "荣联农业合作社"})
    assert r.status_code == 201


# ---------------------------------------------------------------- the term


def test_the_term_ends_after_it_starts(client, make, lands):
    _service_refused(lands, "land.term_invalid", end_date=date(2026, 3, 1))
    _service_refused(lands, "land.term_invalid", end_date=date(2025, 3, 1))
    sec = make.headers(lands.secretary)
    before = _state()
    err = _refused(_post_contract(client, lands, sec, end_date="2026-03-01"), 422, "land.term_invalid")
    assert err["message"] == "合同到期日应晚于起始日"
    assert _state() == before
    c = lands.contract(end_date=date(2026, 3, 2), periods=[contracts.PeriodInput(1, 1, 800_00)])  # one day is a term
    assert len(contracts.dues_of(c)) == 1


def test_a_transfer_never_runs_past_the_households_contract_term(client, make, lands):
    p = _parcel(lands, "LJ-T01", 10000, contract_until=date(2030, 12, 31))
    err = _service_refused(lands, "land.parcels_invalid", lines=[contracts.LineInput(p.id)],
                           start_date=date(2027, 1, 1), end_date=date(2031, 1, 1),
                           periods=[contracts.PeriodInput(1, 4, 800_00)])
    assert "LJ-T01" in err.message and "2030-12-31" in err.message and "剩余承包期" in err.message
    # the other parcels run to 2057-12-31: one parcel short of it is enough to refuse the whole contract
    _service_refused(lands, "land.parcels_invalid", lines=[contracts.LineInput(x.id) for x in [*lands.parcels, p]],
                     start_date=date(2027, 1, 1), end_date=date(2031, 1, 1),
                     periods=[contracts.PeriodInput(1, 4, 800_00)])
    err = _refused(_post_contract(client, lands, make.headers(lands.secretary), parcels=[{"parcel_id": p.id}],
                                  start_date="2029-01-01", end_date="2031-01-01",
                                  periods=[{"from_year": 1, "to_year": 2, "per_mu_yuan": "800.00"}]),
                   422, "land.parcels_invalid")
    assert "2030-12-31" in err["message"]
    # the edge: the transfer ends exactly on the household's contract_until
    c = lands.contract(lines=[contracts.LineInput(p.id)], start_date=date(2027, 1, 1), end_date=date(2030, 12, 31),
                       periods=[contracts.PeriodInput(1, 4, 800_00)])
    assert c.end_date == date(2030, 12, 31) and len(contracts.dues_of(c)) == 4


@pytest.mark.parametrize("use", ["建房", "商业经营", "休闲度假", "停车场"])
def test_transferred_land_stays_agricultural(client, make, lands, use):
    err = _service_refused(lands, "land.use_not_agricultural", use=use)
    assert use in err.message and "农业用途" in err.message
    j = _parcel(lands, "LJ-J01", 50000, household=None, land_type="耕地")
    _service_refused(lands, "land.use_not_agricultural", kind="lease", lines=[contracts.LineInput(j.id)], use=use)
    before = _state()
    r = _post_contract(client, lands, make.headers(lands.secretary), use=use)
    _refused(r, 422, "land.use_not_agricultural")
    assert "粮食种植" in r.json["error"]["details"]["allowed"]
    assert _state() == before


def test_a_collective_asset_may_be_leased_for_any_use_but_land_with_it_stays_agricultural(client, make, lands):
    sec = make.headers(lands.secretary)
    shop = client.post(f"{API}/villages/{lands.village.id}/parcels", headers=sec,
                       json={"code": "LJ-M01", "name": "村口门面", "kind": "collective_asset", "area_mu": "0.05",
                             "land_type": "其他"}).json
    field = _parcel(lands, "LJ-J01", 50000, household=None)
    flat = [{"from_year": 1, "to_year": 3, "flat": "12000.00"}]
    before = _state()
    mixed = _post_contract(client, lands, sec, number="ZL-1", kind="lease", use="商业经营", periods=flat,
                           parcels=[{"parcel_id": shop["id"]}, {"parcel_id": field.id}])
    _refused(mixed, 422, "land.use_not_agricultural")
    assert _state() == before
    ok = _post_contract(client, lands, sec, number="ZL-1", kind="lease", use="商业经营", title="村口门面出租",
                        periods=flat, parcels=[{"parcel_id": shop["id"]}])
    assert ok.status_code == 201, ok.json
    assert ok.json["use"] == "商业经营" and ok.json["rent"] == "每年12000.00元"
    farm = _post_contract(client, lands, sec, number="ZL-2", kind="lease", use="蔬菜种植", title="集体机动地出租",
                          periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "600.00"}],
                          parcels=[{"parcel_id": field.id}])
    assert farm.status_code == 201, farm.json


@pytest.mark.parametrize("use", ["果树种植", "水产养殖", "苗木花卉"])
def test_no_orchards_fish_ponds_or_nurseries_on_permanent_basic_farmland(client, make, lands, use):
    p = _parcel(lands, "LJ-B01", 20000, basic_farmland=True)
    err = _service_refused(lands, "land.parcels_invalid", lines=[contracts.LineInput(p.id)], use=use)
    assert "LJ-B01" in err.message and "永久基本农田" in err.message and use in err.message
    # the same use on ordinary land is lawful; grain on basic farmland too
    assert lands.contract(number="LZ-A", lines=[contracts.LineInput(lands.parcels[0].id)], use=use).use == use
    assert lands.contract(number="LZ-B", lines=[contracts.LineInput(p.id)], use="粮食种植").use == "粮食种植"


def test_households_land_is_transferred_and_the_collectives_leased_never_the_other_way(client, make, lands):
    j = _parcel(lands, "LJ-J01", 50000, household=None)
    m = _parcel(lands, "LJ-M01", 500, household=None, kind="collective_asset", land_type="其他")
    for p in (j, m):
        err = _service_refused(lands, "land.parcels_invalid", lines=[contracts.LineInput(p.id)])
        assert p.code in err.message and "出租合同" in err.message
    err = _service_refused(lands, "land.parcels_invalid", kind="lease",
                           lines=[contracts.LineInput(lands.parcels[0].id)],
                           periods=[contracts.PeriodInput(1, 3, 0, flat_fen=1000_00)])
    assert "LJ-D001" in err.message and "租金归农户" in err.message
    r = _post_contract(client, lands, make.headers(lands.secretary), kind="lease")
    _refused(r, 422, "land.parcels_invalid")
    assert len(r.json["error"]["details"]["problems"]) == 4  # every household parcel named


def test_a_parcel_is_in_one_active_contract_at_a_time(client, make, lands):
    first = lands.contract()  # 2026-03-01 … 2029-03-01, every parcel
    sec = make.headers(lands.secretary)
    for start, end in (("2028-03-01", "2030-03-01"), ("2025-03-01", "2026-03-02"), ("2026-06-01", "2027-06-01"),
                       ("2020-01-01", "2040-01-01")):
        before = _state()
        r = _post_contract(client, lands, sec, number="LZ-X", parcels=[{"parcel_id": lands.parcels[3].id}],
                           start_date=start, end_date=end, signed_on=start,
                           periods=[{"from_year": 1, "to_year": 1, "per_mu_yuan": "800.00"}])
        err = _refused(r, 409, "land.parcel_taken")
        assert "LJ-D004" in err["message"] and "LZ-2026-001" in err["message"]
        assert _state() == before
    # terms that touch do not overlap: before and after
    for number, start, end in (("LZ-B", "2025-03-01", "2026-03-01"), ("LZ-A", "2029-03-01", "2030-03-01")):
        r = _post_contract(client, lands, sec, number=number, parcels=[{"parcel_id": lands.parcels[3].id}],
                           start_date=start, end_date=end, signed_on=start,
                           periods=[{"from_year": 1, "to_year": 1, "per_mu_yuan": "800.00"}])
        assert r.status_code == 201, r.json
    # a terminated contract frees its parcels
    first.status = "terminated"
    db.session.commit()
    again = lands.contract(number="LZ-2026-009", start_date=date(2027, 3, 1), end_date=date(2028, 3, 1),
                           periods=[contracts.PeriodInput(1, 1, 900_00)])
    assert again.status == "active"


def test_an_entrusted_transfer_needs_every_households_written_entrustment(client, make, lands):
    sec = make.headers(lands.secretary)
    on = "2026-02-10"
    full = [{"parcel_id": p.id, "entrustment_no": f"WT-{i}", "entrustment_on": on,
             "entrustment_scope": "委托村集体出租，期限三年"} for i, p in enumerate(lands.parcels)]
    before = _state()
    for lines, lacking in (([{"parcel_id": p.id} for p in lands.parcels], ["LJ-D001", "LJ-D002", "LJ-D003", "LJ-D004"]),
                           ([*full[:3], {"parcel_id": lands.parcels[3].id, "entrustment_no": "WT-3"}], ["LJ-D004"]),
                           ([{**full[0], "entrustment_no": None}, *full[1:]], ["LJ-D001"])):
        r = _post_contract(client, lands, sec, entrusted=True, parcels=lines)
        err = _refused(r, 422, "land.entrustment_required")
        assert err["details"]["parcels"] == lacking and "流转委托书" in err["message"]
        assert _state() == before
    ok = _post_contract(client, lands, sec, entrusted=True, parcels=full)
    assert ok.status_code == 201, ok.json
    assert ok.json["entrusted"] is True
    assert [(p["entrustment_no"], p["entrustment_on"]) for p in ok.json["parcels"]] == [
        (f"WT-{i}", on) for i in range(4)]
    # a household that transfers its own land (the collective only registers it) signs no entrustment
    plain = lands.contract(number="LZ-2026-002", start_date=date(2029, 3, 1), end_date=date(2030, 3, 1),
                           periods=[contracts.PeriodInput(1, 1, 800_00)])
    assert plain.entrusted is False


def test_an_entrustment_number_without_its_date_is_refused_not_a_server_error(client, make, lands):
    sec = make.headers(lands.secretary)
    before = _state()
    for entrusted, code in ((False, "land.entrustment_incomplete"), (True, "land.entrustment_required")):
        for line in ({"entrustment_no": "WT-1"}, {"entrustment_on": "2026-02-10"}):
            r = _post_contract(client, lands, sec, entrusted=entrusted,
                               parcels=[{"parcel_id": lands.parcels[0].id, **line}])
            err = _refused(r, 422, code)
            assert "LJ-D001" in err["message"] and "委托书" in err["message"]
            assert _state() == before
    ok = _post_contract(client, lands, sec, parcels=[{"parcel_id": lands.parcels[0].id, "entrustment_no": "WT-1",
                                                      "entrustment_on": "2026-02-10"}])
    assert ok.status_code == 201 and ok.json["parcels"][0]["entrustment_no"] == "WT-1"


def test_the_collective_takes_a_share_or_a_fee_only_on_a_written_basis(client, make, lands):
    for period in (contracts.PeriodInput(1, 3, 800_00, collective_per_mu=50_00),
                   contracts.PeriodInput(1, 3, 800_00, fee_per_mu=100_00)):
        for note in (None, "", "   "):
            err = _service_refused(lands, "land.fee_basis_required", periods=[period], fee_note=note)
            assert "租金归农户所有" in err.message
    sec = make.headers(lands.secretary)
    before = _state()
    r = _post_contract(client, lands, sec, periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00",
                                                     "fee_per_mu": "100.00"}])
    _refused(r, 422, "land.fee_basis_required")
    assert _state() == before
    # a fee above the households' rent is refused; equal to it is the limit
    err = _service_refused(lands, "land.fee_too_high", periods=[contracts.PeriodInput(1, 3, 800_00, fee_per_mu=800_01)],
                           fee_note="村民代表会议决议")
    assert "服务费" in err.message
    c = lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, fee_per_mu=100_00, collective_per_mu=50_00)],
                       fee_note="2026年村民代表会议决议：服务费每亩100元，集体另收每亩50元")
    assert c.fee_note.startswith("2026年") and len(contracts.dues_of(c)) == 3


def test_rent_periods_start_at_year_one_follow_each_other_and_stay_in_the_term(client, make, lands):
    def p(a: int, b: int) -> contracts.PeriodInput:
        return contracts.PeriodInput(a, b, 800_00)

    for periods in ([p(2, 3)], [p(1, 1), p(3, 3)], [p(1, 2), p(2, 3)], [p(1, 2), p(1, 3)], [p(2, 1)]):
        err = _service_refused(lands, "land.periods_invalid", periods=periods)
        assert "第1年" in err.message
    err = _service_refused(lands, "land.periods_invalid", periods=[p(1, 4)])
    assert "共 3 年" in err.message
    _service_refused(lands, "land.periods_invalid", periods=[p(1, 2), p(3, 4)])
    _service_refused(lands, "land.rent_missing", periods=[])
    _service_refused(lands, "land.periods_invalid", periods=[contracts.PeriodInput(1, 3, -1)])
    sec = make.headers(lands.secretary)
    before = _state()
    _refused(_post_contract(client, lands, sec, periods=[]), 422, "validation.failed")
    _refused(_post_contract(client, lands, sec, periods=[{"from_year": 1, "to_year": 3}]), 422, "land.periods_invalid")
    _refused(_post_contract(client, lands, sec, periods=[{"from_year": 0, "to_year": 3, "per_mu_yuan": "1.00"}]),
             422, "validation.failed")
    assert _state() == before
    # given out of order they are still one contiguous run; ending before the term is staged rent (长包短定)
    c = lands.contract(periods=[p(3, 3), p(1, 2)])
    assert [(x.from_year, x.to_year) for x in contracts.periods_of(c)] == [(1, 2), (3, 3)]
    staged = lands.contract(number="LZ-2026-002", start_date=date(2029, 3, 1), end_date=date(2032, 3, 1),
                            periods=[p(1, 1)])
    assert [d.household_fen is None for d in contracts.dues_of(staged)] == [False, True, True]


def test_a_contract_refers_only_to_its_own_villages_party_parcels_and_decision(client, make, lands):
    other = _other_village(make)
    err = _service_refused(lands, "land.party_unknown", party_id=other.party.id)
    assert "本村" in err.message
    _service_refused(lands, "land.party_unknown", party_id=999_999)
    err = _service_refused(lands, "land.parcel_unknown", lines=[contracts.LineInput(lands.parcels[0].id),
                                                                contracts.LineInput(other.parcel.id)])
    assert err.details["parcel_ids"] == [other.parcel.id]
    _service_refused(lands, "land.parcels_duplicate", lines=[contracts.LineInput(lands.parcels[0].id)] * 2)
    _service_refused(lands, "land.parcels_missing", lines=[])
    theirs = resolved_decision(other.village.id, "河东村土地流转", "land", None, date(2026, 2, 1))
    ours = resolved_decision(lands.village.id, "临江村土地流转", "land", None, date(2026, 2, 1))
    db.session.commit()
    err = _service_refused(lands, "land.decision_unknown", decision_id=theirs.id)
    assert "本村的决议" in err.message
    _service_refused(lands, "land.decision_unknown", decision_id=999_999)
    sec = make.headers(lands.secretary)
    before = _state()
    _refused(_post_contract(client, lands, sec, decision_id=theirs.id), 422, "land.decision_unknown")
    _refused(_post_contract(client, lands, sec, party_id=other.party.id), 422, "land.party_unknown")
    _refused(_post_contract(client, lands, sec, parcels=[{"parcel_id": other.parcel.id}]), 422, "land.parcel_unknown")
    assert _state() == before
    ok = _post_contract(client, lands, sec, decision_id=ours.id)
    assert ok.status_code == 201 and ok.json["decision_id"] == ours.id


def test_a_contract_number_is_unique_in_the_village(client, make, lands):
    lands.contract()
    err = _service_refused(lands, "land.contract_exists", start_date=date(2030, 3, 1), end_date=date(2031, 3, 1),
                           periods=[contracts.PeriodInput(1, 1, 800_00)])
    assert "LZ-2026-001" in err.message
    sec = make.headers(lands.secretary)
    before = _state()
    _refused(_post_contract(client, lands, sec, number=" LZ-2026-001 ", start_date="2030-03-01",
                            end_date="2031-03-01", periods=[{"from_year": 1, "to_year": 1, "per_mu_yuan": "8.00"}]),
             409, "land.contract_exists")
    assert _state() == before
    other = _other_village(make)
    theirs = client.post(f"{API}/villages/{other.village.id}/land-contracts", headers=make.headers(other.secretary),
                         json={**_body(lands), "number": "LZ-2026-001", "party_id": other.party.id,
                               "parcels": [{"parcel_id": other.parcel.id}]})
    assert theirs.status_code == 201, theirs.json


def test_in_kind_rent_names_its_grain_and_price_basis(client, make, lands):
    for over in ({"grain": None, "price_basis": "market"}, {"grain": "稻谷", "price_basis": None},
                 {"grain": "高粱", "price_basis": "market"}, {"grain": "稻谷", "price_basis": "guess"}):
        err = _service_refused(lands, "land.in_kind_invalid", rent_kind="in_kind",
                               periods=[contracts.PeriodInput(1, 3, 500)], **over)
        assert "粮食品种" in err.message
    sec = make.headers(lands.secretary)
    before = _state()
    r = _post_contract(client, lands, sec, rent_kind="in_kind", grain="稻谷", price_basis="market",
                       periods=[{"from_year": 1, "to_year": 3, "per_mu_yuan": "800.00"}])
    err = _refused(r, 422, "land.periods_invalid")
    assert "斤" in err["message"]
    assert _state() == before


# ---------------------------------------------------------------- who may do what


def test_who_may_read_and_write_land_records(client, make, lands):
    c = lands.contract()
    parcel = lands.parcels[0]
    vid = lands.village.id
    other = _other_village(make)
    party_body = {"kind": "company", "name": "新公司"}
    parcel_body = {"code": "LJ-Z09", "name": "新地", "area_mu": "1", "household_id": lands.households[1].id}
    period_body = {"from_year": 1, "to_year": 1, "per_mu_yuan": "1.00"}
    reads = [f"{API}/villages/{vid}/land-parties", f"{API}/villages/{vid}/parcels", f"{API}/parcels/{parcel.id}",
             f"{API}/villages/{vid}/land-contracts", f"{API}/land-contracts/{c.id}"]
    writes = [(f"{API}/villages/{vid}/land-parties", party_body), (f"{API}/villages/{vid}/parcels", parcel_body),
              (f"{API}/villages/{vid}/land-contracts", _body(lands, number="LZ-Z")),
              (f"{API}/land-contracts/{c.id}/rent-periods", period_body)]

    def check(headers: dict[str, str] | None, read: int, write: int) -> None:
        for url in reads:
            r = client.get(url, headers=headers or {})
            assert r.status_code == read, (url, r.json)
            db.session.rollback()
        for url, body in writes:
            before = _state()
            r = client.post(url, headers=headers or {}, json=body)
            assert r.status_code == write, (url, r.json)
            assert "error" in r.json
            db.session.rollback()
            assert _state() == before

    check(make.headers(lands.heads[0]), 403, 403)  # a villager whose land is in the contract: staff only
    check(make.headers(lands.supervisor), 200, 403)  # the supervision committee reads, does not keep
    check(make.headers(other.secretary), 404, 404)  # another village's secretary cannot even see it exists
    check(make.headers(other.villager), 404, 404)
    check(None, 401, 401)
    # the supervisor sees the contract's rent, not a 403
    body = client.get(f"{API}/land-contracts/{c.id}", headers=make.headers(lands.supervisor)).json
    assert body["number"] == "LZ-2026-001" and len(body["dues"]) == 3
    # the township's staff read every village's contracts of the township, but do not keep them
    staff = make.headers(make.staff(lands.village.township))
    assert client.get(f"{API}/land-contracts/{c.id}", headers=staff).status_code == 200
    assert client.post(f"{API}/villages/{vid}/land-parties", headers=staff, json=party_body).status_code == 403
    db.session.rollback()
    # the accountant keeps them
    acc = make.headers(lands.accountant)
    assert client.post(f"{API}/villages/{vid}/land-parties", headers=acc, json=party_body).status_code == 201
