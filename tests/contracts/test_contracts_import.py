"""The collective's contracts from .xlsx: a dry run writes nothing, the import creates them through the service,
every bad row is refused in Chinese and nothing is written."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from backend.contracts.imports import HEADERS
from backend.contracts.models import CollectiveContract
from backend.core.db import db
from tests.contracts.conftest import API

BLANK = dict.fromkeys(HEADERS[1:14])


def _xlsx(rows: list[list[Any]], headers: tuple[str, ...] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(**over: Any) -> list[Any]:
    base = {"合同编号": "HT-IMP-1", "合同名称": "村庄保洁外包", "类别": "服务", "收支": "支出",
            "合同对方": "洁美保洁服务部", "统一社会信用代码": None, "联系电话": "13800001111", "合同金额（元）": 12000,
            "签订日期": "2026-01-05", "开始日期": date(2026, 1, 10), "到期日期": "2026年12月31日", "保证金（元）": None,
            "依据决议": None, "备注": None, "应付日期": "2026-03-31", "本期金额（元）": 6000}
    base.update(over)
    return [base[h] for h in HEADERS]


def _upload(client: Any, make: Any, lands: Any, data: bytes, dry_run: bool) -> Any:
    return client.post(f"{API}/villages/{lands.village.id}/contracts/import", headers=make.headers(lands.accountant),
                       data={"file": (BytesIO(data), "contracts.xlsx"), "dry_run": "true" if dry_run else "false"},
                       content_type="multipart/form-data")


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(CollectiveContract)).scalar_one()


def _found(r: Any) -> dict[tuple[int, str], str]:
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.import_invalid", r.json
    return {(e["row"], e["field"]): e["message"] for e in r.json["error"]["details"]["rows"]}


def test_dry_run_then_import(client, make, lands, today):
    rows = [_row(), _row(**{**BLANK, "应付日期": "2026-09-30"}),
            _row(**{"合同编号": "HT-IMP-2", "合同名称": "压路机出租", "类别": "资产出租", "收支": "收入",
                    "合同对方": "宏达路桥工程队", "合同金额（元）": "3000.00", "依据决议": "集体土地和资产出租",
                    "本期金额（元）": "3000.00"})]
    data = _xlsx(rows)
    r = _upload(client, make, lands, data, True)
    assert r.status_code == 200, r.json
    assert r.json["contracts"] == 2 and r.json["message"] == "可以导入 2 份合同（3 期款项）"
    assert _count() == 0
    r = _upload(client, make, lands, data, False)
    assert r.status_code == 200 and r.json["message"] == "已导入 2 份合同（3 期款项）"
    assert _count() == 2
    c = db.session.execute(select(CollectiveContract).where(CollectiveContract.number == "HT-IMP-2")).scalar_one()
    assert c.decision_id == lands.lease_decision.id and c.direction == "income"


def test_every_bad_row_in_chinese_and_nothing_written(client, make, lands, today):
    lands.contract()  # LZ-2026-001
    rows = [_row(**{"合同编号": "HT-IMP-2", "类别": "保洁", "本期金额（元）": 12000}),
            _row(**{"合同编号": "HT-IMP-3", "合同金额（元）": "12,000", "本期金额（元）": 12000}),
            _row(**{"合同编号": "HT-IMP-4", "类别": "资产出租", "收支": "收入", "依据决议": "没有这个决议",
                    "本期金额（元）": 12000}),
            _row(**{"合同编号": "HT-IMP-5", "到期日期": "明年", "本期金额（元）": 12000})]
    found = _found(_upload(client, make, lands, _xlsx(rows), False))
    assert "类别应为" in found[(2, "类别")]
    assert "金额应为元" in found[(3, "合同金额（元）")]
    assert found[(4, "依据决议")] == "本村没有已通过的决议“没有这个决议”"
    assert "日期应写成" in found[(5, "到期日期")]
    assert _count() == 0
    # rows that read well are then checked by the service: the schedule, the number beside land's
    rows = [_row(**{"本期金额（元）": 5000}), _row(**{**BLANK, "应付日期": "2026-09-30"}),
            _row(**{"合同编号": "LZ-2026-001", "本期金额（元）": 12000}), _row(**{"合同编号": "HT-OK"}),
            _row(**{**BLANK, "合同编号": "HT-OK", "应付日期": "2026-09-30"})]
    found = _found(_upload(client, make, lands, _xlsx(rows), False))
    assert found[(2, "本期金额（元）")] == "各期金额合计 11000.00 元，与合同金额 12000.00 元不一致"
    assert "已被本村另一份合同" in found[(4, "合同编号")]
    assert _count() == 0  # HT-OK was fine, but the file is all or nothing


def test_a_bad_header_an_empty_file_and_who_may(client, make, lands, today):
    r = _upload(client, make, lands, _xlsx([_row()], headers=("编号", *HEADERS[1:])), True)
    assert r.status_code == 422 and "缺少必填的列：合同编号" in r.json["error"]["message"]
    r = _upload(client, make, lands, _xlsx([]), True)
    assert r.status_code == 422 and "没有合同行" in r.json["error"]["message"]
    villager = make.member(lands.village, "孙小明")
    r = client.post(f"{API}/villages/{lands.village.id}/contracts/import", headers=make.headers(villager),
                    data={"file": (BytesIO(b"x"), "a.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 403


def test_the_template_reads_back_as_a_clean_file(client, make, lands, today):
    from openpyxl import load_workbook

    r = client.get(f"{API}/villages/{lands.village.id}/contracts/template.xlsx", headers=make.headers(lands.accountant))
    assert r.status_code == 200
    wb = load_workbook(BytesIO(r.data))
    assert [c.value for c in wb["合同表"][1]] == list(HEADERS)
    sample = _xlsx([[c.value for c in row] for row in wb["示例"].iter_rows(min_row=2)])
    r = _upload(client, make, lands, sample, True)
    assert r.status_code == 200 and r.json["contracts"] == 1, r.json
