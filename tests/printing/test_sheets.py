"""The 公示 sheets for the village board (issue 19), over the demo township (docs/demo.md): every sheet prints as an
A4 PDF that pypdfium2 (Chrome's engine) renders, carries the village and township, the 公示 period, the signatures
and the 公章's place, the seal's short code (or says honestly that the record has none), and a QR code that
decodes to a page the mini-program has (miniprogram-stub/app.json) with the query that page reads; the sign-off
block shares its page with the last figures. Refusals: a record not yet in its 公示 (409, in Chinese), another
village (404), a villager (403/404). The job pay list's money cells are numbers.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from backend import demo
from backend.core.db import db
from backend.core.printing.figures import short_code
from backend.core.seal import Seal
from backend.decisions.pipeline.models import Decision
from backend.disclosures.models import Disclosure
from backend.dividends.models import Distribution
from backend.jobs.models import JobPay, JobPosting
from backend.registry import Village

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "miniprogram-stub"
PAGES = set(json.loads((MINI / "app.json").read_text(encoding="utf-8"))["pages"])


def _login(client: FlaskClient, key: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/wechat-login", json={"code": f"demo-{key}"})
    assert r.status_code == 200 and r.json["bound"] is True, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def read_pdf(data: bytes) -> tuple[list[str], list[tuple[int, str]]]:
    """(each page's text, the QR codes found as (page number, text)) — page images rendered at 144 dpi."""
    assert data.startswith(b"%PDF-")
    doc = pdfium.PdfDocument(data)
    texts, codes = [], []
    try:
        for i in range(len(doc)):
            page = doc[i]
            w, h = page.get_size()
            assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)  # A4 portrait
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
            image = page.render(scale=2).to_pil()
            codes += [(i + 1, r.text) for r in zxingcpp.read_barcodes(image)
                      if r.format == zxingcpp.BarcodeFormat.QRCode]
            page.close()
    finally:
        doc.close()
    return texts, codes


def page_reads(path: str, name: str) -> bool:
    """Does the mini-program page's onLoad read ``query.<name>``?"""
    js = (MINI / f"{path}.js").read_text(encoding="utf-8")
    return re.search(rf"query(\s*&&\s*query)?\.{name}\b", js) is not None


def check_sheet(
    data: bytes, page: str, query: dict[str, str], *, seal: str | None, last_row: str = "合计"
) -> list[str]:
    texts, codes = read_pdf(data)
    last = texts[-1]
    assert [c for c in codes if c[0] != len(texts)] == []  # the QR code is on the last page, once
    (_, text), = codes
    path, _, qs = text.partition("?")
    assert path == page and path in PAGES
    assert dict(x.split("=", 1) for x in qs.split("&")) == query
    assert all(page_reads(path, name) for name in query)
    assert "临江村" in texts[0] and "青山镇" in texts[0] and "公示" in texts[0]
    # the sign-off block and the 公章's place, on the page of the last figures
    assert "签字" in last and "盖章处" in last and last_row in last
    if seal:
        assert short_code(seal) in last and seal in last
        assert all(f"封签码 {short_code(seal)}" in t for t in texts)  # every page's footer
    else:
        assert "本表未封签" in last
    return texts


def _id(model: Any, **where: Any) -> Any:
    stmt = select(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.execute(stmt.limit(1)).scalar_one()


def test_every_sheet_prints_with_its_code_and_a_qr_to_a_real_page(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    demo.seed()
    db.session.commit()
    sec = _login(client, "wangjianguo")
    lj = _id(Village, name="临江村")

    def get(url: str) -> bytes:
        r = client.get(f"/api/v1{url}", headers=sec)
        assert r.status_code == 200, (url, r.json if r.is_json else r.status)
        assert r.mimetype == "application/pdf" and r.headers["Content-Disposition"].startswith("attachment")
        return r.data

    paid = _id(Distribution, village_id=lj.id, status="paid")
    texts = check_sheet(get(f"/distributions/{paid.id}/notice.pdf"), "pages/dividend/dividend", {"id": str(paid.id)},
                        seal=db.session.get(Seal, paid.seal_id).hash)
    whole = "".join(texts)
    assert "收益分红名单公示" in whole and "户主姓名已脱敏" in whole
    assert not re.search(r"\d{17}[\dX]", whole) and not re.search(r"1\d{10}", whole)  # no ID number, no phone
    assert "*" in whole  # the heads' names are masked

    hired = _id(JobPosting, village_id=lj.id, title="护路员")
    texts = check_sheet(get(f"/job-postings/{hired.id}/hires.pdf"), "pages/job/job", {"id": str(hired.id)},
                        seal=db.session.get(Seal, hired.publicity_seal_id).hash)
    assert "公益岗位聘用人员公示" in texts[0] and "刘*梅" in "".join(texts) and "刘小梅" not in "".join(texts)

    done = _id(Decision, village_id=lj.id, status="done")
    resolution = db.session.execute(select(Seal).where(Seal.kind == "decision_resolution",
                                                       Seal.object_id == done.id)).scalar_one()
    texts = check_sheet(get(f"/decisions/{done.id}/resolution.pdf"), "pages/decision/decision",
                        {"id": str(done.id)}, seal=resolution.hash, last_row="通过")
    assert "决议公开" in texts[0] and "审议" in texts[0] and "决议" in texts[0]
    texts = check_sheet(get(f"/decisions/{done.id}/result.pdf"), "pages/decision/decision",
                        {"id": str(done.id)}, seal=None, last_row="验收意见")
    # the result has no seal of its own: the sheet says so and names the resolution's
    assert "实施结果不单独封签" in texts[-1] and short_code(resolution.hash) in texts[-1]

    texts = check_sheet(get(f"/villages/{lj.id}/land-rent.pdf?year=2026"), "pages/land/land", {"year": "2026"},
                        seal=None)
    assert all(w in texts[0] for w in ("面积（亩）", "应得（元）", "已收（元）", "已转付（元）", "待转付（元）"))

    disclosure = db.session.execute(select(Disclosure).where(Disclosure.village_id == lj.id)
                                    .order_by(Disclosure.id.desc()).limit(1)).scalar_one()
    texts = check_sheet(get(f"/disclosures/{disclosure.id}/export.pdf"), "pages/disclosure/disclosure",
                        {"id": str(disclosure.id)}, seal=disclosure.seal.hash, last_row="大额收支")
    assert re.search(r"公示日期：\d{4}年\d+月\d+日　至　\d{4}年\d+月\d+日", texts[0])  # the 公示's end date

    # scripts/sheet_check.py reads the same sheet the same way (the console's Playwright spec uses it)
    sheet = tmp_path / "hires.pdf"
    sheet.write_bytes(get(f"/job-postings/{hired.id}/hires.pdf"))
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "sheet_check.py"), str(sheet),
                          "--png-prefix", str(tmp_path / "hires")], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["pngs"] == [str(tmp_path / "hires.png")] and (tmp_path / "hires.png").stat().st_size > 10_000
    assert result["qr"] == [{"page": result["pages"], "text": f"pages/job/job?id={hired.id}",
                             "path": "pages/job/job", "query": {"id": str(hired.id)}, "exists": True}]

    # the job pay list keeps money as numbers and prints on A4 with its heading repeated
    month = db.session.execute(select(JobPay.month).order_by(JobPay.month.desc()).limit(1)).scalar_one()
    r = client.get(f"/api/v1/villages/{lj.id}/job-pay.xlsx", headers=sec, query_string={"month": month})
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    money = [ws.cell(row=n, column=6) for n in range(3, ws.max_row + 1)]
    assert money and all(isinstance(c.value, int | float) and c.number_format == "#,##0.00" for c in money)
    assert money[-1].value == sum(c.value for c in money[:-1])  # 合计 adds up as a number
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1  # 9: A4
    assert ws.print_title_rows == "$2:$2" and "&P" in ws.oddFooter.right.text
    assert all(isinstance(ws.cell(row=n, column=7).value, datetime | None) for n in range(3, ws.max_row))


def test_a_sheet_before_its_publicity_another_village_or_a_villager_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    demo.seed()
    db.session.commit()
    sec = _login(client, "wangjianguo")
    lj = _id(Village, name="临江村")

    def refused(url: str, status: int, headers: dict[str, str] = sec) -> dict[str, Any]:
        r = client.get(f"/api/v1{url}", headers=headers)
        assert r.status_code == status, (url, r.status_code, r.json)
        error = r.json["error"]
        assert re.search(r"[\u4e00-\u9fa5]", error["message"]) and error["code"]
        return error

    draft = _id(Distribution, village_id=lj.id, status="draft")
    assert "还没有公布" in refused(f"/distributions/{draft.id}/notice.pdf", 409)["message"]
    still_open = _id(JobPosting, village_id=lj.id, status="open")
    assert "还没有公示" in refused(f"/job-postings/{still_open.id}/hires.pdf", 409)["message"]
    voting = _id(Decision, village_id=lj.id, title="村级光伏电站扩建项目")
    assert "决议公开" in refused(f"/decisions/{voting.id}/resolution.pdf", 409)["message"]
    assert "实施结果公开" in refused(f"/decisions/{voting.id}/result.pdf", 409)["message"]
    outside = _id(Decision, village_id=lj.id, title="村道硬化修缮工程（二组至三组）")  # resolved outside the app
    refused(f"/decisions/{outside.id}/resolution.pdf", 409)
    assert "没有应收" in refused(f"/villages/{lj.id}/land-rent.pdf?year=2019", 409)["message"]
    assert refused(f"/villages/{lj.id}/land-rent.pdf", 422)
    refused(f"/villages/{lj.id}/land-rent.pdf?year=1900", 422)

    paid = _id(Distribution, village_id=lj.id, status="paid")
    hired = _id(JobPosting, village_id=lj.id, title="护路员")
    done = _id(Decision, village_id=lj.id, status="done")
    sheets = (f"/distributions/{paid.id}/notice.pdf", f"/job-postings/{hired.id}/hires.pdf",
              f"/decisions/{done.id}/resolution.pdf", f"/decisions/{done.id}/result.pdf",
              f"/villages/{lj.id}/land-rent.pdf?year=2026")
    other = _login(client, "zhouhai")  # 新竹村's secretary
    villager = _login(client, "zhangdashan")  # a member of 临江村, no staff role
    for url in sheets:
        refused(url, 404, other)
        assert client.get(f"/api/v1{url}", headers=villager).status_code in (403, 404)
        assert client.get(f"/api/v1{url}").status_code == 401
