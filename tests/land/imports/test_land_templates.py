"""The land imports' templates: the first sheet's headers are what the importer reads, the code-like and date columns
are text, 填写说明 states every column once (必填 exactly for the columns the importer requires), the examples of
the third sheet — copied into the first — pass the importer's dry run in a village like the demo's, and the
downloads are refused to whoever may not read the village's land."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from backend.core.db import db
from backend.land.imports import service as importer
from backend.land.models import Contract, Parcel, Party
from backend.registry.models import Member
from tests.factories import Factory

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {
    # kind: (the URL's part, the importer's headers, its required columns, the columns kept as text)
    "parcels": ("parcels", importer.PARCEL_HEADERS, importer.PARCEL_REQUIRED,
                {"地块代码", "承包户户号", "承包经营权证号", "承包期至"}),
    "contracts": ("land-contracts", importer.CONTRACT_HEADERS, importer.CONTRACT_REQUIRED,
                  {"合同编号", "统一社会信用代码", "起始日期", "到期日期", "签订日期", "委托书编号", "委托日期",
                   "地块代码"}),
}


def _url(village_id: int, kind: str, what: str = "template.xlsx") -> str:
    return f"{API}/villages/{village_id}/{KINDS[kind][0]}/{what}"


def _template(client: FlaskClient, headers: dict[str, str], village_id: int, kind: str) -> bytes:
    r = client.get(_url(village_id, kind), headers=headers)
    assert r.status_code == 200 and r.mimetype == XLSX, r.data[:300]
    return r.data


def _examples(data: bytes, headers: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The rows of the sheet 示例（不导入）, under the importer's header row."""
    rows = list(load_workbook(BytesIO(data))["示例（不导入）"].iter_rows(values_only=True))
    assert rows[0] == headers
    return [r for r in rows[1:] if any(v not in (None, "") for v in r)]


def _filled(data: bytes, rows: list[tuple[Any, ...]]) -> BytesIO:
    """The template with ``rows`` typed into its first sheet from row 2, as a person would paste them."""
    wb = load_workbook(BytesIO(data))
    ws = wb.worksheets[0]
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _dry_run(client: FlaskClient, headers: dict[str, str], url: str, data: BytesIO, dry: bool = True) -> Any:
    form: dict[str, Any] = {"file": (data, "filled.xlsx")}
    if dry:
        form["dry_run"] = "true"
    return client.post(url, headers=headers, data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("kind", ["parcels", "contracts"])
def test_the_template_has_the_columns_the_importer_reads_and_says_how_to_fill_each(
        client: FlaskClient, make: Factory, lands: Any, kind: str) -> None:
    _, headers, required, text = KINDS[kind]
    data = _template(client, make.headers(lands.supervisor), lands.village.id, kind)  # land.read is enough
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == [{"parcels": "地块", "contracts": "合同"}[kind], "填写说明", "示例（不导入）"]
    ws = wb.worksheets[0]
    assert tuple(c.value for c in ws[1]) == headers
    assert all(c.font.bold for c in ws[1])
    for i, header in enumerate(headers, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        is_text = ws.cell(row=2, column=i).number_format == "@"
        assert is_text == (header in text), header
        assert is_text == (ws.column_dimensions[letter].number_format == "@"), header
        assert ws.cell(row=1001, column=i).number_format == ws.cell(row=2, column=i).number_format
        assert (ws.column_dimensions[letter].width or 0) >= 8
    assert ws.print_title_rows == "$1:$1" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    examples = wb["示例（不导入）"]  # copied whole rows carry their text format along
    assert tuple(c.value for c in examples[1]) == headers
    assert {h for h, c in zip(headers, examples[2], strict=True) if c.number_format == "@"} == text

    notes = wb["填写说明"]
    assert [c.value for c in notes[1]] == ["列", "是否必填", "怎么填"] and notes.max_column == 3
    stated = [(r[0], r[1], r[2]) for r in notes.iter_rows(min_row=2, max_row=1 + len(headers), values_only=True)]
    assert tuple(h for h, _, _ in stated) == headers
    assert {h for h, need, _ in stated if need == "必填"} == set(required)
    assert all(need and how for _, need, how in stated)
    assert all(need == "可不填" or "必填" in need for _, need, _ in stated)

    # the empty template is a file without data: refused with a sentence, nothing written
    r = _dry_run(client, make.headers(lands.accountant), _url(lands.village.id, kind, "import"), BytesIO(data))
    assert r.status_code == 422 and r.json["error"]["code"] == "land.import_bad_file", r.json
    assert "没有数据" in r.json["error"]["message"]


def test_the_examples_pass_the_importers_dry_run(client: FlaskClient, make: Factory, lands: Any) -> None:
    """临江村 with the demo's households LJ-005 and LJ-008 and its lease decision: the parcels' examples pass a dry run
    and are imported, then the contracts' examples (on those parcels) pass a dry run."""
    v = lands.village
    for number in ("LJ-005", "LJ-008"):
        make.member(v, f"{number}户主", household=make.household(v, number), head=True)
    db.session.commit()
    acct = make.headers(lands.accountant)
    parcels_before = db.session.query(Parcel).count()

    data = _template(client, acct, v.id, "parcels")
    examples = _examples(data, importer.PARCEL_HEADERS)
    assert len(examples) >= 2
    assert all(isinstance(r[0], str) for r in examples)  # a 19-digit code stays text
    url = _url(v.id, "parcels", "import")
    r = _dry_run(client, acct, url, _filled(data, examples))
    assert r.status_code == 200, r.json
    assert (r.json["dry_run"], r.json["rows"], r.json["created"]) == (True, len(examples), 0)
    assert r.json["contracted"] >= 1 and r.json["collective"] >= 1
    db.session.rollback()
    assert db.session.query(Parcel).count() == parcels_before
    r = _dry_run(client, acct, url, _filled(data, examples), dry=False)
    assert r.status_code == 200 and r.json["created"] == len(examples), r.json

    data = _template(client, acct, v.id, "contracts")
    examples = _examples(data, importer.CONTRACT_HEADERS)
    r = _dry_run(client, acct, _url(v.id, "contracts", "import"), _filled(data, examples))
    assert r.status_code == 200, r.json
    report = r.json
    numbers = list(dict.fromkeys(row[0] for row in examples))
    assert report["dry_run"] is True and report["rows"] == len(examples)
    assert [i["number"] for i in report["items"]] == numbers and report["parcels"] == len(examples)
    kinds = {row[2] for row in examples if row[2]}
    assert kinds == {"流转", "出租"}  # both kinds shown, and rent in cash and in kind
    assert {row[10] for row in examples if row[10]} == {"现金", "实物"}
    assert report["parties_created"] >= 1
    db.session.rollback()
    assert db.session.query(Contract).count() == 0
    assert db.session.query(Party).count() == 1  # the fixture's; the dry run registered nobody


def test_templates_are_refused_to_whoever_may_not_read_the_villages_land(
        client: FlaskClient, make: Factory, lands: Any) -> None:
    other_village = make.village("HX02", "河西村")
    other: Member = make.member(other_village, "陈书记", roles=("secretary",))
    db.session.commit()
    for kind in KINDS:
        url = _url(lands.village.id, kind)
        r = client.get(url, headers=make.headers(other))
        assert r.status_code == 404 and "error" in r.json
        assert client.get(url, headers=make.headers(lands.heads[0])).status_code == 403  # a villager
        assert client.get(url).status_code == 401
        assert client.get(_url(other_village.id, kind), headers=make.headers(lands.secretary)).status_code == 404
        assert client.get(url, headers=make.headers(lands.secretary)).status_code == 200
