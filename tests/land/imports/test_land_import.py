"""Parcels and land contracts from .xlsx: every bad row reported with its row and column and nothing written,
create_contract's legal refusals as row errors, dry runs, HTTP and permissions, the CLI, and the query count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.errors import AppError
from backend.land import contracts, parcels
from backend.land.imports import service as importer
from backend.land.models import Contract, ContractParcel, Parcel, Party, RentDue, RentPeriod
from backend.registry.models import Member, Village
from tests.factories import Factory
from tests.xlsx_files import xlsx

API = "/api/v1"
P_HEADERS = list(importer.PARCEL_HEADERS)
C_HEADERS = list(importer.CONTRACT_HEADERS)


# ---------------------------------------------------------------- helpers


ALIAS = {"面积": "登记面积（亩）", "实测": "实测面积（亩）", "租金": "每亩租金（元）", "实物斤": "每亩实物（斤）",
         "递增": "每年递增（%）", "间隔": "递增间隔（年）", "分成": "集体每亩分成（元）", "服务费": "每亩服务费（元）",
         "保障金": "风险保障金（元）", "计租面积": "计租面积（亩）"}  # keyword names for the headers with brackets


def parcel(code: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"地块代码": code, "地块名称": f"{code}地", "类别": "农户承包地", "承包户户号": "LJ-L01",
                           "坐落": "东坡组，东至河", "地类": "耕地", "等级": "二等", "登记面积（亩）": 1.2,
                           "永久基本农田": "否", "承包经营权证号": "LJ-JY-001", "承包期至": date(2057, 12, 31)}
    row.update({ALIAS.get(k, k): v for k, v in over.items()})
    return row


def line(number: str = "LZ-2026-101", code: str = "LJ-D001", **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"合同编号": number, "合同名称": "东坡片区土地流转", "类型": "流转",
                           "流入方名称": "荣联农业合作社", "起始日期": date(2026, 3, 1),
                           "到期日期": date(2029, 3, 1), "用途": "粮食种植", "签订日期": date(2026, 2, 20),
                           "计租方式": "现金", "每亩租金（元）": 800, "付款月": 3, "付款日": 1, "地块代码": code}
    row.update({ALIAS.get(k, k): v for k, v in over.items()})
    return row


def more(number: str, code: str, **over: Any) -> dict[str, Any]:
    """Another parcel of the same contract: the contract-level columns left blank (they take the contract's)."""
    return {"合同编号": number, "地块代码": code, **{ALIAS.get(k, k): v for k, v in over.items()}}


def state() -> dict[str, Any]:
    """Everything an import could write."""
    db.session.expire_all()
    out: dict[str, Any] = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                           for m in (Parcel, Party, Contract, ContractParcel, RentPeriod, RentDue, AuditEntry)}
    out["parcels"] = db.session.execute(select(Parcel.code, Parcel.area_mu4).order_by(Parcel.code)).all()
    return out


def parcels_refused(village: Village, rows: Sequence[dict[str, Any] | None], headers: Sequence[str] = P_HEADERS,
                    **kw: Any) -> AppError:
    before = state()
    with pytest.raises(AppError) as info:
        importer.import_parcels(village, xlsx(rows, headers), actor=None, **kw)
    db.session.rollback()
    assert state() == before
    return info.value


def contracts_refused(village: Village, rows: Sequence[dict[str, Any] | None], **kw: Any) -> AppError:
    before = state()
    with pytest.raises(AppError) as info:
        importer.import_contracts(village, xlsx(rows, C_HEADERS), actor=None, **kw)
    db.session.rollback()
    assert state() == before
    return info.value


def rows_of(err: AppError) -> list[tuple[int | None, str | None, str]]:
    assert (err.status, err.code) == (422, "land.import_invalid"), err
    return [(r["row"], r["field"], r["message"]) for r in err.details["rows"]]


# ---------------------------------------------------------------- parcels


def test_parcels_are_created_with_every_column(lands: Any) -> None:
    rows = [
        parcel("LJ-D101", 面积=1.2, 实测="1.25"),
        parcel("LJ-D102", 类别="集体土地", 承包户户号=None, 地类="园地", 面积="3.3333", 永久基本农田="是",
               承包经营权证号=None, 承包期至=None, 等级=None),
        parcel("LJ-D103", 类别="集体资产", 承包户户号=None, 地类="其他", 面积=0.5, 永久基本农田=None,
               承包期至=None),
        None,
        parcel("LJ-D104", 承包户户号="LJ-L03", 面积=2, 承包期至="2055/6/30"),
    ]
    report = importer.import_parcels(lands.village, xlsx(rows, P_HEADERS), actor=None)
    db.session.commit()
    assert report == {"rows": 4, "created": 4, "contracted": 2, "collective": 2, "households": 2,
                      "area_mu": "7.0333", "dry_run": False,
                      "message": "已导入：新增 4 块地（农户承包地 2 块、集体土地和资产 2 块），登记面积合计 7.0333 亩"}
    got = {p.code: p for p in db.session.execute(select(Parcel).where(Parcel.code.like("LJ-D1%"))).scalars()}
    a, b, c, d = (got[k] for k in ("LJ-D101", "LJ-D102", "LJ-D103", "LJ-D104"))
    assert (a.kind, a.household_id, a.area_mu4, a.measured_mu4, a.land_type, a.grade, a.basic_farmland,
            a.certificate_no, a.contract_until, a.location, a.name) == (
        "contracted", lands.households[0].id, 12000, 12500, "耕地", "二等", False, "LJ-JY-001", date(2057, 12, 31),
        "东坡组，东至河", "LJ-D101地")
    assert (b.kind, b.household_id, b.area_mu4, b.land_type, b.basic_farmland, b.contract_until) == (
        "collective_land", None, 33333, "园地", True, None)
    assert (c.kind, c.area_mu4, c.land_type, c.basic_farmland) == ("collective_asset", 5000, "其他", False)
    assert (d.household_id, d.area_mu4, d.contract_until) == (lands.households[2].id, 20000, date(2055, 6, 30))
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("land.parcel_create") == 4 + 4 and actions.count("land.parcel_import") == 1


def test_a_blank_land_type_is_arable_as_in_the_api_and_headers_may_use_half_width_brackets(lands: Any) -> None:
    headers = [h.replace("（", "(").replace("）", ")") for h in P_HEADERS]
    row = {h2: v for h, h2 in zip(P_HEADERS, headers, strict=True)
           for k, v in parcel("LJ-D101", 地类=None).items() if k == h}
    importer.import_parcels(lands.village, xlsx([row], headers), actor=None)
    db.session.commit()
    p = db.session.execute(select(Parcel).where(Parcel.code == "LJ-D101")).scalar_one()
    assert (p.land_type, p.area_mu4) == ("耕地", 12000)


@pytest.mark.parametrize(("over", "column", "words"), [
    ({"承包户户号": "LJ-999"}, "承包户户号", "本村没有户号 LJ-999，请核对或先在花名册中登记"),
    ({"承包户户号": None}, "承包户户号", "农户承包地请填写承包户户号"),
    ({"类别": "集体土地"}, "承包户户号", "集体的土地或资产不属于某一户，承包户户号请留空"),
    ({"登记面积（亩）": 1.23456}, "登记面积（亩）", "最多4位小数"),
    ({"登记面积（亩）": "1.23456"}, "登记面积（亩）", "最多4位小数"),
    ({"登记面积（亩）": 0}, "登记面积（亩）", "面积应大于零"),
    ({"登记面积（亩）": "-1"}, "登记面积（亩）", "面积应大于零"),
    ({"登记面积（亩）": "一亩二"}, "登记面积（亩）", "面积应为以亩计的数字"),
    ({"登记面积（亩）": "１．２"}, "登记面积（亩）", "请用半角数字填写"),
    ({"登记面积（亩）": None}, "登记面积（亩）", "请填写登记面积（亩）"),
    ({"实测面积（亩）": "1.2亩"}, "实测面积（亩）", "面积应为以亩计的数字"),
    ({"地类": "水田"}, "地类", "地类应为：耕地、园地、林地、草地、养殖水面、设施农用地、其他"),
    ({"类别": "自留地"}, "类别", "类别应为：农户承包地、集体土地、集体资产"),
    ({"类别": None}, "类别", "请填写类别"),
    ({"地块代码": "LJ-D001"}, "地块代码", "本村已有地块代码 LJ-D001（导入只新增地块"),
    ({"地块代码": "LJ-D100"}, "地块代码", "地块代码 LJ-D100 与第2行重复"),
    ({"地块代码": None}, "地块代码", "请填写地块代码"),
    ({"地块名称": None}, "地块名称", "请填写地块名称"),
    ({"地块名称": "长" * 61}, "地块名称", "地块名称最多60个字"),
    ({"承包期至": "2057-13-01"}, "承包期至", "“2057-13-01”不是有效的日期"),
    ({"承包期至": "明年"}, "承包期至", "日期应填写为 2026-03-01 这样的格式"),
    ({"承包期至": 46000}, "承包期至", "日期应填写为 2026-03-01 这样的格式"),
    ({"永久基本农田": "Y"}, "永久基本农田", "请填写“是”或“否”"),
])
def test_each_bad_parcel_row_is_reported_and_nothing_is_written(lands: Any, over: dict[str, Any], column: str,
                                                                words: str) -> None:
    err = parcels_refused(lands.village, [parcel("LJ-D100"), parcel("LJ-D101", **over)])
    errors = rows_of(err)
    if "重复" in words:  # both rows carry it
        assert errors[0] == (2, "地块代码", "地块代码 LJ-D100 与第3行重复")
        errors = errors[1:]
    ((row, field, message),) = errors
    assert (row, field) == (3, column) and words in message, message


def test_a_duplicate_code_is_reported_on_every_row_that_has_it_and_errors_come_in_row_order(lands: Any) -> None:
    err = parcels_refused(lands.village, [
        parcel("LJ-D100", 面积="x"), None, parcel("LJ-D200"), parcel("LJ-D100", 承包户户号="LJ-999"),
        parcel("LJ-D100", 地类="水田")])
    assert rows_of(err) == [
        (2, "地块代码", "地块代码 LJ-D100 与第5、6行重复"),
        (2, "登记面积（亩）", "面积应为以亩计的数字，最多4位小数，如 1.2"),
        (5, "地块代码", "地块代码 LJ-D100 与第2、6行重复"),
        (5, "承包户户号", "本村没有户号 LJ-999，请核对或先在花名册中登记"),
        (6, "地块代码", "地块代码 LJ-D100 与第2、5行重复"),
        (6, "地类", "地类应为：耕地、园地、林地、草地、养殖水面、设施农用地、其他"),
    ]
    assert err.message == "地块表有 3 行有误，整份未导入，请改正后重新导入" and err.details["error_count"] == 6


def test_files_that_are_not_a_parcel_table_are_refused(lands: Any) -> None:
    err = parcels_refused(lands.village, [])
    assert (err.code, err.message) == ("land.import_bad_file", "文件中没有数据（第1行为表头，从第2行起每行一条地块）")
    with pytest.raises(AppError) as info:
        importer.import_parcels(lands.village, BytesIO(b"not a workbook"), actor=None)
    assert info.value.code == "land.import_bad_file"
    with pytest.raises(AppError) as info:
        importer.import_parcels(lands.village, BytesIO(b""), actor=None)
    assert info.value.message == "文件是空的，请选择填好的地块表 .xlsx 文件"
    err = parcels_refused(lands.village, [{"地块代码": "X"}], headers=["地块代码", "面积", "地块代码"])
    assert err.code == "land.import_bad_headers"
    assert err.details["problems"] == ["无法识别的列“面积”", "列“地块代码”出现了两次",
                                       "缺少必填的列：地块名称、类别、登记面积（亩）"]


def test_the_row_limit(app: Flask, lands: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LAND_IMPORT_MAX_ROWS", 2)
    err = parcels_refused(lands.village, [parcel(f"LJ-D10{i}") for i in range(3)])
    assert (err.code, err.details) == ("land.import_too_large", {"max_rows": 2})


def test_a_parcel_dry_run_reports_and_writes_nothing(lands: Any) -> None:
    before = state()
    report = importer.import_parcels(lands.village, xlsx([parcel("LJ-D101"), parcel("LJ-D102")], P_HEADERS),
                                     actor=None, dry_run=True)
    db.session.commit()
    assert (report["rows"], report["created"], report["dry_run"]) == (2, 0, True)
    assert report["message"].startswith("检查通过（未写入）：将新增 2 块地")
    assert state() == before


def test_a_refusal_while_writing_leaves_no_parcel_of_the_file(lands: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone registers a code between the check and the write: the whole file is refused, not half written."""
    real = parcels.create_parcel

    def racing(village: Village, data: parcels.ParcelInput, *, actor: Any) -> Parcel:
        if data.code == "LJ-D102":
            real(village, parcels.ParcelInput("LJ-D102", "抢先", 10000, kind="collective_land"), actor=None)
        return real(village, data, actor=actor)

    monkeypatch.setattr(parcels, "create_parcel", racing)
    err = parcels_refused(lands.village, [parcel("LJ-D101"), parcel("LJ-D102")])
    assert rows_of(err) == [(3, "地块代码", "本村已有地块代码 LJ-D102")]


# ---------------------------------------------------------------- contracts


@pytest.fixture
def plots(lands: Any) -> Any:
    """The fixture's village with more parcels imported: LJ-D101 (LJ-L01, 1.5 mu, basic farmland), LJ-D102
    (LJ-L02, 2.5 mu, contract term to 2040-12-31), LJ-J01 collective land 10 mu, LJ-Z01 an asset 0.2 mu."""
    importer.import_parcels(lands.village, xlsx([
        parcel("LJ-D101", 面积=1.5, 永久基本农田="是"),
        parcel("LJ-D102", 承包户户号="LJ-L02", 面积=2.5, 承包期至=date(2040, 12, 31)),
        parcel("LJ-J01", 类别="集体土地", 承包户户号=None, 面积=10, 承包期至=None),
        parcel("LJ-Z01", 类别="集体资产", 承包户户号=None, 地类="其他", 面积=0.2, 承包期至=None),
    ], P_HEADERS), actor=None)
    db.session.commit()
    return lands


def _contract(number: str) -> Contract:
    return db.session.execute(select(Contract).where(Contract.number == number)).scalar_one()


def test_contracts_are_registered_with_their_parcels_parties_and_dues(client: FlaskClient, make: Factory,
                                                                      plots: Any) -> None:
    rows = [
        # a transfer of three households' parcels to a new company, the collective entrusted, a fee on a basis
        line("LZ-2026-101", "LJ-D001", 流入方名称="青禾农业有限公司", 流入方类型="公司",
             统一社会信用代码="91371427ma3c00002x", 集体受托="是", 委托书编号="WT-01", 委托日期=date(2026, 1, 10),
             服务费依据="村民代表会议决议（2026-01-05）", 服务费=50, 递增=5, 间隔=2,
             保障金="2000.00", 到期日期=date(2031, 3, 1)),
        more("LZ-2026-101", "LJ-D002", 委托书编号="WT-01", 委托日期="2026-01-10", 计租面积="1.9"),
        None,
        more("LZ-2026-101", "LJ-D102", 委托书编号="WT-02", 委托日期="2026年1月12日", 合同名称="东坡片区土地流转",
             服务费=50.0),
        # the collective's own land leased, in kind, to the fixture's cooperative
        line("ZL-2026-001", "LJ-J01", 合同名称="集体机动地出租", 类型="出租", 计租方式="实物", 租金=None,
             实物斤=500, 粮食品种="稻谷", 折价方式="最低收购价", 付款月=2, 付款日=15, 依据决议="集体土地和资产出租"),
    ]
    report = importer.import_contracts(plots.village, xlsx(rows, C_HEADERS), actor=make.principal(plots.secretary))
    db.session.commit()
    assert (report["rows"], report["contracts"], report["parcels"], report["parties_created"], report["dues"]) == (
        4, 2, 4, 1, 5 + 3)
    a, b = report["items"]
    assert a == {"number": "LZ-2026-101", "contract_id": _contract("LZ-2026-101").id, "title": "东坡片区土地流转",
                 "party": "青禾农业有限公司", "parcels": 3, "area_mu": "5.6", "years": 5,
                 "first_year_rent": "4480.00", "first_due_date": date(2026, 3, 1)}
    assert (b["party"], b["area_mu"], b["years"], b["first_year_rent"]) == ("荣联农业合作社", "10", 3, None)
    assert report["message"] == "已导入：登记 2 份合同（4 块地），新登记流入方 1 个，生成每年应收租金 8 期"

    party = db.session.execute(select(Party).where(Party.name == "青禾农业有限公司")).scalar_one()
    assert (party.kind, party.credit_code) == ("company", "91371427MA3C00002X")
    sec = make.headers(plots.secretary)
    body = client.get(f"{API}/land-contracts/{a['contract_id']}", headers=sec).json
    assert (body["kind"], body["entrusted"], body["fee_note"], body["deposit"]) == (
        "transfer", True, "村民代表会议决议（2026-01-05）", "2000.00")
    assert (body["increase_percent"], body["increase_every"], body["due_month"], body["due_day"]) == ("5", 2, 3, 1)
    assert [(p["code"], p["area_mu"], p["entrustment_no"], p["entrustment_on"]) for p in body["parcels"]] == [
        ("LJ-D001", "1.2", "WT-01", "2026-01-10"), ("LJ-D002", "1.9", "WT-01", "2026-01-10"),
        ("LJ-D102", "2.5", "WT-02", "2026-01-12")]
    assert [(p["from_year"], p["to_year"], p["per_mu"], p["fee_per_mu"]) for p in body["periods"]] == [
        (1, 5, "800.00", "50.00")]
    # 5.6 mu × 800.00 = 4480.00 for years 1–2, × 1.05 = 4704.00 for years 3–4, × 1.05² = 4939.20 in year 5;
    # the fee 5.6 × 50.00 = 280.00 a year comes out of the households' part
    assert [(d["year_no"], d["total"], d["fee"], d["households"]) for d in body["dues"]] == [
        (1, "4480.00", "280.00", "4200.00"), (2, "4480.00", "280.00", "4200.00"),
        (3, "4704.00", "280.00", "4424.00"), (4, "4704.00", "280.00", "4424.00"),
        (5, "4939.20", "280.00", "4659.20")]
    lease = client.get(f"{API}/land-contracts/{b['contract_id']}", headers=sec).json
    assert (lease["kind"], lease["rent_kind"], lease["grain"], lease["price_basis"], lease["rent"]) == (
        "lease", "in_kind", "稻谷", "minimum", "每亩每年稻谷500斤，按当年最低收购价折款")
    assert [(d["due_date"], d["total"]) for d in lease["dues"]] == [
        ("2026-02-20", None), ("2027-02-15", None), ("2028-02-15", None)]
    assert lease["dues"][0]["note"] == "待公布2026年稻谷最低收购价"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "land.contract_import")).scalar_one()
    assert entry.actor_person_id == plots.secretary.person_id


def test_a_contract_dry_run_reports_every_contract_and_writes_nothing(plots: Any) -> None:
    before = state()
    rows = [line("LZ-1", "LJ-D001", 流入方名称="新户", 流入方类型="个人"), more("LZ-1", "LJ-D002"),
            line("LZ-2", "LJ-D003", 租金="650.5")]
    report = importer.import_contracts(plots.village, xlsx(rows, C_HEADERS), actor=None, dry_run=True)
    db.session.commit()
    assert state() == before
    assert report["dry_run"] is True and report["parties_created"] == 1
    assert [(i["number"], i["contract_id"], i["area_mu"], i["first_year_rent"]) for i in report["items"]] == [
        ("LZ-1", None, "3.2", "2560.00"), ("LZ-2", None, "0.75", "487.88")]
    assert report["message"].startswith("检查通过（未写入）：将登记 2 份合同（3 块地），新登记流入方 1 个")
    # and the same file then imports
    importer.import_contracts(plots.village, xlsx(rows, C_HEADERS), actor=None)
    db.session.commit()
    assert state()["land_contracts"] == 2


@pytest.mark.parametrize(("over", "column", "words"), [
    ({"合同名称": "另一个名称"}, "合同名称",
     "同一合同（LZ-1）各行的“合同名称”应一致：第2行填的是“东坡片区土地流转”，本行是“另一个名称”"),
    ({"每亩租金（元）": 700}, "每亩租金（元）", "各行的“每亩租金（元）”应一致"),
    ({"起始日期": date(2026, 3, 2)}, "起始日期", "各行的“起始日期”应一致"),
    ({"地块代码": "LJ-X999"}, "地块代码", "本村没有地块代码 LJ-X999，请核对或先导入地块"),
    ({"地块代码": "LJ-D001"}, "地块代码", "地块 LJ-D001 在合同 LZ-1 中已填在第2行"),
    ({"地块代码": None}, "地块代码", "请填写地块代码"),
    ({"到期日期": "2029-02-30"}, "到期日期", "“2029-02-30”不是有效的日期"),
    ({"签订日期": "２０２６-０２-２０"}, "签订日期", "请用半角数字填写"),
    ({"类型": "转包"}, "类型", "类型应为：流转、出租"),
    ({"计租方式": "股份"}, "计租方式", "计租方式应为：现金、实物"),
    ({"流入方类型": "村委会"}, "流入方类型", "流入方类型应为：公司、合作社、家庭农场、个人、其他"),
    ({"每亩租金（元）": "８００"}, "每亩租金（元）", "请用半角数字填写"),
    ({"每亩租金（元）": "800.123"}, "每亩租金（元）", "每亩租金应为以元计的数字，最多2位小数"),
    ({"每年递增（%）": 60}, "每年递增（%）", "递增比例填百分数，0 到 50"),
    ({"付款日": 30}, "付款日", "付款日应为 1 到 28 的整数"),
    ({"付款月": "三月"}, "付款月", "付款月应为 1 到 12 的整数"),
    ({"计租面积（亩）": 0}, "计租面积（亩）", "面积应大于零"),
    ({"委托书编号": "WT-9"}, "委托日期", "流转委托书的编号和日期应一并填写"),
    ({"集体受托": "对"}, "集体受托", "请填写“是”或“否”"),
])
def test_each_bad_contract_row_is_reported_and_nothing_is_written(plots: Any, over: dict[str, Any], column: str,
                                                                  words: str) -> None:
    """Row 2 and 3 are one contract, row 4 a good one: the bad cell is on row 3, and nothing at all is written."""
    err = contracts_refused(plots.village, [line("LZ-1", "LJ-D001"), line("LZ-1", "LJ-D002", **over),
                                            line("LZ-2", "LJ-D003")])
    ((row, field, message),) = rows_of(err)
    assert (row, field) == (3, column) and words in message, message


@pytest.mark.parametrize(("over", "column", "words"), [
    ({"合同名称": None}, "合同名称", "请填写合同名称"),
    ({"用途": None}, "用途", "请填写用途"),
    ({"签订日期": None}, "签订日期", "请填写签订日期"),
    ({"每亩租金（元）": None}, "每亩租金（元）", "现金计租请填写每亩租金（元）"),
    ({"粮食品种": "稻谷"}, "粮食品种", "现金计租不填“粮食品种”"),
    ({"计租方式": "实物", "每亩实物（斤）": 500, "粮食品种": "稻谷", "折价方式": "市场价"}, "每亩租金（元）",
     "实物计租不填每亩租金"),
    ({"计租方式": "实物", "每亩租金（元）": None, "每亩实物（斤）": 500, "折价方式": "市场价"}, "粮食品种",
     "实物计租请填写“粮食品种”"),
    ({"合同编号": "LZ-2026-001"}, "合同编号", "本村已有合同编号 LZ-2026-001（导入只新增合同）"),
    ({"流入方名称": "新来的公司"}, "流入方类型", "“新来的公司”是新的流入方，请填写流入方类型"),
    ({"流入方名称": "新来的公司", "流入方类型": "公司", "统一社会信用代码": "123"}, "统一社会信用代码",
     "统一社会信用代码应为18位字母或数字"),
    ({"流入方类型": "公司"}, "流入方类型", "本村已登记的“荣联农业合作社”是合作社，与文件不一致"),
    ({"统一社会信用代码": "91371427MA3C00002X"}, "统一社会信用代码",
     "本村已登记的“荣联农业合作社”的统一社会信用代码是93371427MA3C000011，与文件不一致"),
])
def test_contract_level_problems_are_reported_on_the_contracts_row(plots: Any, over: dict[str, Any], column: str,
                                                                   words: str) -> None:
    plots.contract(number="LZ-2026-001", lines=[contracts.LineInput(plots.parcels[3].id)])
    err = contracts_refused(plots.village, [line("LZ-9", "LJ-D003"), line("LZ-1", "LJ-D001", **over)])
    ((row, field, message),) = rows_of(err)
    assert (row, field) == (3, column) and words in message, message


def test_what_the_file_says_of_a_new_party_must_agree_across_its_contracts(plots: Any) -> None:
    err = contracts_refused(plots.village, [
        line("LZ-1", "LJ-D001", 流入方名称="新户", 流入方类型="个人"),
        line("LZ-2", "LJ-D002", 流入方名称="新户"),  # blank: takes the first contract's
        line("LZ-3", "LJ-D003", 流入方名称="新户", 流入方类型="家庭农场")])
    assert rows_of(err) == [(4, "流入方类型", "流入方“新户”的流入方类型与第2行不一致")]


@pytest.mark.parametrize(("over", "column", "words"), [
    # the transfer runs past LJ-D102's contract term (2040-12-31)
    ({"到期日期": date(2041, 3, 1)}, "地块代码", "地块 LJ-D102 的承包期到 2040-12-31，流转期限不能超过剩余承包期"),
    ({"用途": "建厂房"}, "用途", "流转和出租的土地须保持农业用途，“建厂房”不属于农业用途"),
    ({"集体受托": "是"}, "委托书编号", "集体受托流转须有每户签字的书面流转委托书"),
    ({"用途": "果树种植"}, "地块代码", "地块 LJ-D101 是永久基本农田，不得用于果树种植"),
    ({"类型": "出租"}, "地块代码", "是农户承包地：应签流转合同，租金归农户"),
    ({"到期日期": date(2026, 3, 1)}, "到期日期", "合同到期日应晚于起始日"),
    ({"每亩服务费（元）": 20}, "服务费依据", "须在合同中写明依据"),
    ({"每亩服务费（元）": 900, "服务费依据": "决议"}, "每亩服务费（元）", "服务费不能超过农户所得租金"),
])
def test_a_legal_refusal_of_create_contract_is_a_row_error_on_the_contracts_first_row(
        plots: Any, over: dict[str, Any], column: str, words: str) -> None:
    """A good contract before it and a new party are not written either."""
    err = contracts_refused(plots.village, [
        line("LZ-1", "LJ-D001", 流入方名称="新户", 流入方类型="个人"),
        line("LZ-2", "LJ-D101", **over), more("LZ-2", "LJ-D102")])
    ((row, field, message),) = rows_of(err)
    assert (row, field) == (3, column), message
    assert message.startswith("合同 LZ-2：") and words in message, message


def test_a_parcel_in_two_of_the_files_contracts_for_overlapping_terms_is_refused(plots: Any) -> None:
    plots.contract(number="LZ-2026-001", lines=[contracts.LineInput(plots.parcels[3].id)])  # LJ-D004 to 2029-03-01
    err = contracts_refused(plots.village, [
        line("LZ-1", "LJ-D001"), line("LZ-2", "LJ-D001", 起始日期=date(2028, 3, 1), 到期日期=date(2030, 3, 1)),
        line("LZ-3", "LJ-D001", 起始日期=date(2029, 3, 1), 到期日期=date(2031, 3, 1)),
        line("LZ-4", "LJ-D004", 起始日期=date(2028, 1, 1))])
    assert [(r, f) for r, f, _ in rows_of(err)] == [(3, "地块代码"), (5, "地块代码")]
    assert "LJ-D001（合同 LZ-1）" in rows_of(err)[0][2] and "LJ-D004（合同 LZ-2026-001）" in rows_of(err)[1][2]


def test_errors_of_cells_and_of_the_law_are_reported_together(plots: Any) -> None:
    err = contracts_refused(plots.village, [
        line("LZ-1", "LJ-D001", 用途="建厂房"), line("LZ-2", "LJ-X1"), line("LZ-3", "LJ-D002", 付款日=31)])
    assert [(r, f) for r, f, _ in rows_of(err)] == [(2, "用途"), (3, "地块代码"), (4, "付款日")]
    assert err.message == "合同表有 3 行有误，整份未导入，请改正后重新导入"


def test_files_that_are_not_a_contract_table_are_refused(plots: Any) -> None:
    before = state()
    with pytest.raises(AppError) as info:
        importer.import_contracts(plots.village, xlsx([{"合同编号": "X"}], ["合同编号", "地块"]), actor=None)
    assert info.value.code == "land.import_bad_headers"
    assert info.value.details["problems"] == [
        "无法识别的列“地块”", "缺少必填的列：合同名称、类型、流入方名称、起始日期、到期日期、用途、签订日期、地块代码"]
    db.session.rollback()
    assert state() == before


# ---------------------------------------------------------------- HTTP and permissions


def _upload(client: FlaskClient, url: str, headers: dict[str, str], data: BytesIO, **form: str) -> Any:
    return client.post(url, headers=headers, data={"file": (data, "file.xlsx"), **form},
                       content_type="multipart/form-data")


@pytest.fixture
def other_secretary(make: Factory) -> Member:
    m = make.member(make.village("HX02", "河西村"), "陈书记", roles=("secretary",))
    db.session.commit()
    return m


def test_http_import_of_parcels_then_contracts(client: FlaskClient, make: Factory, lands: Any) -> None:
    v = lands.village
    sec = make.headers(lands.accountant)
    p_url, c_url = f"{API}/villages/{v.id}/parcels/import", f"{API}/villages/{v.id}/land-contracts/import"
    parcels_file = xlsx([parcel("LJ-D101"), parcel("LJ-D102", 承包户户号="LJ-L02")], P_HEADERS).getvalue()
    r = _upload(client, p_url, sec, BytesIO(parcels_file), dry_run="true")
    assert r.status_code == 200 and r.json["dry_run"] is True and r.json["created"] == 0, r.json
    db.session.rollback()
    assert state()["land_parcels"] == 4
    r = _upload(client, p_url, sec, BytesIO(parcels_file))
    assert r.status_code == 200 and r.json["created"] == 2, r.json
    db.session.rollback()
    assert state()["land_parcels"] == 6
    r = _upload(client, p_url, sec, BytesIO(parcels_file))
    assert r.status_code == 422 and r.json["error"]["code"] == "land.import_invalid"
    assert r.json["error"]["details"]["rows"][0] == {
        "row": 2, "field": "地块代码", "message": "本村已有地块代码 LJ-D101（导入只新增地块，已有地块请在系统中修改）"}

    contracts_file = xlsx([line("LZ-1", "LJ-D101"), line("LZ-1", "LJ-D102")], C_HEADERS).getvalue()
    r = _upload(client, c_url, sec, BytesIO(contracts_file), dry_run="1")
    assert r.status_code == 200 and r.json["items"][0]["contract_id"] is None, r.json
    db.session.rollback()
    assert state()["land_contracts"] == 0
    r = _upload(client, c_url, sec, BytesIO(contracts_file))
    assert r.status_code == 200, r.json
    assert (r.json["contracts"], r.json["items"][0]["area_mu"], r.json["items"][0]["first_year_rent"]) == (
        1, "2.4", "1920.00")
    db.session.rollback()
    c = _contract("LZ-1")
    assert c.created_by_id == lands.accountant.person_id
    r = _upload(client, c_url, sec, BytesIO(contracts_file))
    assert r.status_code == 422 and r.json["error"]["details"] == {
        "rows": [{"row": 2, "field": "合同编号", "message": "本村已有合同编号 LZ-1（导入只新增合同）"}],
        "error_count": 1, "row_count": 1}
    r = client.post(c_url, headers=sec, data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "land.import_file_missing"
    r = _upload(client, c_url, sec, BytesIO(b"hello"))
    assert r.status_code == 422 and r.json["error"]["code"] == "land.import_bad_file"


def test_http_permissions(client: FlaskClient, make: Factory, lands: Any, other_secretary: Member) -> None:
    v = lands.village
    before = state()
    for url, rows, headers in ((f"{API}/villages/{v.id}/parcels/import", [parcel("LJ-D101")], P_HEADERS),
                               (f"{API}/villages/{v.id}/land-contracts/import", [line("LZ-1")], C_HEADERS)):
        assert _upload(client, url, make.headers(lands.heads[0]), xlsx(rows, headers)).status_code == 403
        assert _upload(client, url, make.headers(lands.supervisor), xlsx(rows, headers)).status_code == 403
        r = _upload(client, url, make.headers(other_secretary), xlsx(rows, headers))
        assert r.status_code == 404 and "error" in r.json
        assert _upload(client, url, {}, xlsx(rows, headers)).status_code == 401
    db.session.rollback()
    assert state() == before
    r = _upload(client, f"{API}/villages/{v.id}/parcels/import", make.headers(lands.secretary),
                xlsx([parcel("LJ-D101")], P_HEADERS))
    assert r.status_code == 200


# ---------------------------------------------------------------- CLI


def test_cli_imports(app: Flask, lands: Any, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    parcels_path, contracts_path = tmp_path / "parcels.xlsx", tmp_path / "contracts.xlsx"
    parcels_path.write_bytes(xlsx([parcel("LJ-D101"), parcel("LJ-D102", 面积=0.8)], P_HEADERS).getvalue())
    before = state()
    result = runner.invoke(args=["land", "import-parcels", str(parcels_path), "--village", "LJ01", "--dry-run"])
    assert result.exit_code == 0 and result.output.startswith("检查通过（未写入）：将新增 2 块地"), result.output
    assert state() == before
    result = runner.invoke(args=["land", "import-parcels", str(parcels_path), "--village", "LJ01"])
    assert result.exit_code == 0 and "已导入：新增 2 块地" in result.output and "登记面积合计 2 亩" in result.output
    assert state()["land_parcels"] == before["land_parcels"] + 2
    result = runner.invoke(args=["land", "import-parcels", str(parcels_path), "--village", "LJ01"])
    assert result.exit_code == 1 and "地块表有 2 行有误，整份未导入" in result.stderr
    assert "第2行 地块代码：本村已有地块代码 LJ-D101" in result.stderr

    contracts_path.write_bytes(xlsx([line("LZ-1", "LJ-D101"), line("LZ-1", "LJ-D102")], C_HEADERS).getvalue())
    result = runner.invoke(args=["land", "import-contracts", str(contracts_path), "--village", "LJ01", "--dry-run"])
    assert result.exit_code == 0 and "LZ-1 荣联农业合作社：2 块地 2 亩，3 年，第一年租金 1600.00 元" in result.output
    assert state()["land_contracts"] == 0
    result = runner.invoke(args=["land", "import-contracts", str(contracts_path), "--village", "LJ01"])
    assert result.exit_code == 0 and result.output.startswith("已导入：登记 1 份合同（2 块地）"), result.output
    assert state()["land_contracts"] == 1 and state()["land_rent_dues"] == 3
    contracts_path.write_bytes(xlsx([line("LZ-2", "LJ-D101", 用途="建厂房", 起始日期=datetime(2026, 3, 1, 0, 0))],
                                    C_HEADERS).getvalue())
    result = runner.invoke(args=["land", "import-contracts", str(contracts_path), "--village", "LJ01"])
    assert result.exit_code == 1 and "第2行 用途：合同 LZ-2：流转和出租的土地须保持农业用途" in result.stderr
    result = runner.invoke(args=["land", "import-parcels", str(parcels_path), "--village", "NOPE"])
    assert result.exit_code != 0 and "找不到村编码 NOPE" in result.output


# ---------------------------------------------------------------- the query count


def _queries(fn: Any) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _village_of(make: Factory, code: str, households: int) -> Village:
    v = make.village(code, f"{code}村")
    for i in range(households):
        make.household(v, f"{code}-{i:04d}")
    db.session.commit()
    return v


def _parcel_rows(code: str, n: int) -> list[dict[str, Any]]:
    return [parcel(f"{code}-D{i:04d}", 承包户户号=f"{code}-{i % 7:04d}", 面积=1 + i / 100) for i in range(n)]


def test_checking_parcels_takes_the_same_queries_whatever_the_size_and_writing_a_fixed_number_per_parcel(
        make: Factory) -> None:
    small, large = _village_of(make, "SA", 7), _village_of(make, "LA", 7)
    for v in (small, large):
        v.id  # noqa: B018  (loads what the commit expired)
    checks = [_queries(lambda v=v, n=n: importer.import_parcels(v, xlsx(_parcel_rows(v.code, n), P_HEADERS),
                                                                actor=None, dry_run=True))
              for v, n in ((small, 5), (large, 120))]
    assert checks[0] == checks[1] <= 2, checks  # the village's households, its parcel codes
    writes = [_queries(lambda v=v, n=n: importer.import_parcels(v, xlsx(_parcel_rows(v.code, n), P_HEADERS),
                                                                actor=None))
              for v, n in ((small, 5), (large, 120))]
    db.session.commit()
    per_parcel, rest = divmod(writes[1] - writes[0], 115)
    # create_parcel: its code, the household (number and head), the insert and its audit entry
    assert rest == 0 and per_parcel <= 5 and writes[0] - checks[0] - 5 * per_parcel <= 3, writes
    assert db.session.scalar(select(func.count()).select_from(Parcel).where(Parcel.village_id == large.id)) == 120


def _contract_rows(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(line(f"LZ-{i:03d}", f"QC-D{2 * i:04d}"))
        rows.append(line(f"LZ-{i:03d}", f"QC-D{2 * i + 1:04d}"))
    return rows


def test_contracts_cost_a_fixed_number_of_queries_each(make: Factory) -> None:
    """create_contract reads and writes per contract (its number, parcels, overlaps, dues), so a file's cost is a
    fixed part plus the same cost for every contract of the same shape: never a query per row beyond that."""
    v = _village_of(make, "QC", 7)
    importer.import_parcels(v, xlsx(_parcel_rows("QC", 40), P_HEADERS), actor=None)
    parcels.create_party(v, parcels.PartyInput("cooperative", "荣联农业合作社"), actor=None)
    db.session.commit()
    v.id  # noqa: B018
    counts = [_queries(lambda n=n: importer.import_contracts(v, xlsx(_contract_rows(n), C_HEADERS), actor=None,
                                                             dry_run=True)) for n in (1, 5, 20)]
    per_contract = (counts[1] - counts[0]) // 4
    assert counts[1] - counts[0] == 4 * per_contract and counts[2] - counts[1] == 15 * per_contract, counts
    fixed = counts[0] - per_contract
    # fixed: the village's parcel codes, parties, the file's numbers taken, the file's savepoint and its rollback.
    # Per contract (2 parcels, 3 years): its savepoint and release; create_contract's number, parcels and overlap
    # reads, its inserts (the contract, periods, audit; lines and dues one statement each on SQLite, batched on
    # PostgreSQL), pricing (periods, lines, dues, one batched update); the report's dues and lines.
    assert fixed <= 5 and per_contract <= 20, (fixed, per_contract)
    db.session.rollback()
    n = _queries(lambda: importer.import_contracts(v, xlsx(_contract_rows(20), C_HEADERS), actor=None))
    db.session.commit()
    assert n <= counts[2] + 3, (n, counts)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 20
    assert db.session.scalar(select(func.count()).select_from(RentDue)) == 60
