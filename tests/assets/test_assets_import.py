"""The register from .xlsx: a preview writes nothing, a good file creates every row, a file with any bad row is
refused whole with each bad row's number and reason in Chinese; an exported file reads back."""

from __future__ import annotations

from typing import Any

from backend.assets.models import Asset
from backend.assets.sheets import HEADERS
from backend.core.db import db
from tests.assets.conftest import API, new_asset
from tests.xlsx_files import xlsx

GOOD = [
    {"编号": "ZC-101", "名称": "集体蚕房", "类型": "资产", "类别": "房屋及建筑物", "位置": "5组桑园旁",
     "账面价值（元）": "86000.00", "原值（元）": 120000, "取得方式": "国家划拨/转移", "取得日期": "2016-05-01",
     "状态": "闲置"},
    {"编号": "ZY-101", "名称": "北岗林地", "类型": "资源", "类别": "林地", "面积（亩）": "56.5"},
]


def _post(client: Any, make: Any, reg: Any, rows: Any, dry_run: bool, headers: Any = HEADERS) -> Any:
    data = {"file": (xlsx(rows, headers), "三资.xlsx"), "dry_run": "true" if dry_run else "false"}
    return client.post(f"{API}/villages/{reg.village.id}/assets/import", headers=make.headers(reg.accountant),
                       data=data, content_type="multipart/form-data")


def test_preview_then_commit(client, make, reg):
    r = _post(client, make, reg, GOOD, True)
    assert r.status_code == 200, r.json
    assert r.json["dry_run"] and r.json["rows"] == 2 and r.json["created"] == 0
    assert "检查通过" in r.json["message"] and r.json["book_value"] == "86000.00"
    assert db.session.query(Asset).count() == 0
    r = _post(client, make, reg, GOOD, False)
    assert r.status_code == 200 and r.json["created"] == 2
    db.session.expire_all()
    rows = {a.code: a for a in db.session.query(Asset)}
    assert rows["ZC-101"].status == "idle" and rows["ZC-101"].original_fen == 120_000_00
    assert rows["ZC-101"].acquired_how == "state" and rows["ZY-101"].area_mu4 == 565_000


def test_every_bad_row_is_reported_and_nothing_written(client, make, reg):
    new_asset(client, make, reg)  # ZC-001
    bad = [
        GOOD[0],
        {"编号": "ZC-001", "名称": "重复编号", "类型": "资产", "类别": "其他", "账面价值（元）": "1"},
        {"编号": "ZC-102", "名称": "类别不对", "类型": "资产", "类别": "水面", "账面价值（元）": "1"},
        {"编号": "ZC-103", "名称": "金额不对", "类型": "资产", "类别": "其他", "账面价值（元）": "1.234"},
        {"编号": "ZY-102", "名称": "没有面积", "类型": "资源", "类别": "林地"},
        {"编号": "ZJ-1", "名称": "现金", "类型": "资金", "类别": "库存现金"},
        {"编号": "ZC-104", "名称": "出租的", "类型": "资产", "类别": "其他", "账面价值（元）": "1", "状态": "出租"},
        {"编号": "ZC-101", "名称": "文件内重复", "类型": "资产", "类别": "其他", "账面价值（元）": "1"},
        {"名称": "缺编号", "类型": "资产", "类别": "其他", "账面价值（元）": "1"},
    ]
    r = _post(client, make, reg, bad, True)
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.import_invalid", r.json
    rows = r.json["error"]["details"]["rows"]
    assert sorted({e["row"] for e in rows}) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert all(f"第{e['row']}行" in e["message"] for e in rows)
    assert "整份未导入" in r.json["error"]["message"]
    r = _post(client, make, reg, bad, False)
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.query(Asset).count() == 1


def test_bad_file_and_headers(client, make, reg):
    r = _post(client, make, reg, GOOD, False, headers=["编号", "名字"])
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.import_bad_headers"
    r = client.post(f"{API}/villages/{reg.village.id}/assets/import", headers=make.headers(reg.accountant),
                    data={"file": (__import__("io").BytesIO(b"not a workbook"), "x.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.import_bad_file"
    r = client.post(f"{API}/villages/{reg.village.id}/assets/import", headers=make.headers(reg.villager),
                    data={"file": (xlsx(GOOD, HEADERS), "x.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 403
    assert db.session.query(Asset).count() == 0


def test_an_exported_file_reads_back_into_another_village(client, make, reg):
    new_asset(client, make, reg)
    r = client.get(f"{API}/villages/{reg.village.id}/assets.xlsx", headers=make.headers(reg.accountant))
    data = {"file": (__import__("io").BytesIO(r.data), "export.xlsx"), "dry_run": "true"}
    r = client.post(f"{API}/villages/{reg.village.id}/assets/import", headers=make.headers(reg.accountant),
                    data=data, content_type="multipart/form-data")
    # the same village: its codes exist already
    assert r.status_code == 422 and r.json["error"]["details"]["rows"][0]["row"] == 3
