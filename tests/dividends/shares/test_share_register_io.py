"""The share register as .xlsx: export on a date, import as one dated event (initial or adjust) with every bad
row reported and nothing written, certificates, dry run, the frozen date, permissions, and the query count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from backend import registry
from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.dividends import computing, plans
from backend.dividends.models import ShareCertificate, ShareChange, ShareEvent, ShareRegister
from backend.dividends.shares import service as shares
from backend.dividends.shares import xlsx as register_io
from backend.registry.models import Household, Member, Village
from tests.factories import Factory, id_card
from tests.xlsx_files import xlsx

HEADERS = ["户号", "股权证号", "户主", "成员姓名", "身份证后4位", "成员股", "劳龄股", "合计"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- helpers


def sheet(data: BytesIO | bytes) -> list[list[Any]]:
    """The first sheet's rows (header included) of an .xlsx."""
    raw = data.getvalue() if isinstance(data, BytesIO) else data
    ws = load_workbook(BytesIO(raw)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def export(village: Village, on: date | None = None) -> list[list[Any]]:
    return sheet(register_io.export_register(village, on or today()))


def state() -> dict[str, Any]:
    """Everything an import could write."""
    db.session.expire_all()
    counts = {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in (ShareEvent, ShareChange, ShareCertificate, AuditEntry, ShareRegister)}
    certs = sorted(db.session.execute(
        select(ShareCertificate.household_id, ShareCertificate.number, ShareCertificate.issued_on)).all())
    return {**counts, "certificates": certs}


def holdings(village: Village, on: date) -> dict[tuple[int | None, int | None, int], int]:
    return {(x.household_id, x.member_id, x.share_type_id): x.shares for x in shares.register_at(village.id, on)}


def reg_hash(village: Village, on: date) -> str:
    return shares.register_hash(village.id, on, shares.register_at(village.id, on))


def run(village: Village, rows: Sequence[Sequence[Any] | None], headers: Sequence[str] = HEADERS,
        **kw: Any) -> dict[str, Any]:
    kw.setdefault("actor", None)
    report = register_io.import_register(village, xlsx(rows, headers), **kw)
    db.session.commit()
    return report


def refused(village: Village, rows: Sequence[Sequence[Any] | None], headers: Sequence[str] = HEADERS,
            **kw: Any) -> AppError:
    kw.setdefault("actor", None)
    with pytest.raises(AppError) as info:
        register_io.import_register(village, xlsx(rows, headers), **kw)
    db.session.rollback()
    return info.value


def last4(m: Member) -> str:
    return m.person.id_last4


def books_rows(books: Any) -> list[list[Any]]:
    """The fixture's register as a file: 张10 成员股 1 + 劳龄股 2, 张20 成员股 1 + 劳龄股 1, everyone else 成员股 1."""
    labor = {books.members[0][0].id: 2, books.members[1][0].id: 1}
    out = []
    for h, ms in zip(books.households, books.members, strict=True):
        for m in ms:
            out.append([h.number, None, None, m.person.name, last4(m), 1, labor.get(m.id, 0), None])
    return out


# ---------------------------------------------------------------- export


@pytest.fixture
def rich(books: Any, make: Factory) -> Any:
    """The fixture plus 集体股 30 held by the collective, one 成员股 LJ-103 keeps without a member, a certificate,
    and a member with a known ID number."""
    card = id_card(date(1975, 3, 9), n=377)
    books.extra["card"] = card
    books.extra["newcomer"] = make.member(books.village, "李新", household=books.households[3], id_no=card,
                                          head=False)
    collective = shares.create_share_type(books.village, shares.ShareTypeInput("collective", "集体股",
                                                                                holder="collective", sort=2),
                                          actor=None)
    books.extra["collective_type"] = collective
    shares.record_event(books.village, shares.EventInput("adjust", books.register_on, changes=[
        shares.ChangeInput(collective.id, 30),
        shares.ChangeInput(books.member_type.id, 1, books.households[2].id, None),
        shares.ChangeInput(books.member_type.id, 1, books.households[3].id, books.extra["newcomer"].id),
    ]), actor=None)
    shares.set_certificate(books.village, books.households[0].id, "LJ-GQ-001", books.register_on, actor=None)
    db.session.commit()
    return books


def test_export_shape(rich: Any) -> None:
    b = rich
    data = register_io.export_register(b.village, today())
    wb = load_workbook(BytesIO(data.getvalue()))
    ws = wb.worksheets[0]
    assert ws.title == "股权登记簿" and ws.freeze_panes == "F2"
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ["户号", "股权证号", "户主", "成员姓名", "身份证后4位", "成员股", "劳龄股", "集体股", "合计"]
    assert all(ws.cell(row=1, column=i).font.b for i in range(1, 10))
    m = b.members
    assert rows[1:] == [
        ["LJ-101", "LJ-GQ-001", "张10", "张10", last4(m[0][0]), 1, 2, 0, 3],
        ["LJ-101", "LJ-GQ-001", "张10", "张11", last4(m[0][1]), 1, 0, 0, 1],
        ["LJ-101", "LJ-GQ-001", "张10", "张12", last4(m[0][2]), 1, 0, 0, 1],
        ["LJ-102", None, "张20", "张20", last4(m[1][0]), 1, 1, 0, 2],
        ["LJ-102", None, "张20", "张21", last4(m[1][1]), 1, 0, 0, 1],
        ["LJ-103", None, "张30", "张30", last4(m[2][0]), 1, 0, 0, 1],
        ["LJ-103", None, "张30", None, None, 1, 0, 0, 1],  # kept by the household without a member
        ["LJ-104", None, "张40", "张40", last4(m[3][0]), 1, 0, 0, 1],
        ["LJ-104", None, "张40", "张41", last4(m[3][1]), 1, 0, 0, 1],
        ["LJ-104", None, "张40", "李新", b.extra["card"][-4:], 1, 0, 0, 1],
        ["集体", None, "集体经济组织", None, None, 0, 0, 30, 30],
    ]
    assert [ws.column_dimensions[c].number_format for c in "ABCDEFGHI"] == ["@"] * 5 + ["General"] * 4  # 0115 stays
    assert ws.column_dimensions["B"].width == 14
    notes = [list(r) for r in wb["说明"].iter_rows(values_only=True)]
    assert notes[0] == ["临江村股权登记簿", None]
    facts = {r[0]: r[1] for r in notes if r and r[0]}
    assert facts["登记日期"] == today().isoformat()
    assert facts["登记簿哈希"] == reg_hash(b.village, today())
    assert (facts["户数"], facts["股份合计"]) == (4, 43)
    # on the day of the initial entry the register had no 集体股 and no 李新
    before = export(b.village, b.register_on - timedelta(days=1))
    assert before == [["户号", "股权证号", "户主", "成员姓名", "身份证后4位", "成员股", "劳龄股", "集体股", "合计"],
                      *[[*r[:7], 0, r[5] + r[6]] for r in [
                          ["LJ-101", "LJ-GQ-001", "张10", "张10", last4(m[0][0]), 1, 2],
                          ["LJ-101", "LJ-GQ-001", "张10", "张11", last4(m[0][1]), 1, 0],
                          ["LJ-101", "LJ-GQ-001", "张10", "张12", last4(m[0][2]), 1, 0],
                          ["LJ-102", None, "张20", "张20", last4(m[1][0]), 1, 1],
                          ["LJ-102", None, "张20", "张21", last4(m[1][1]), 1, 0],
                          ["LJ-103", None, "张30", "张30", last4(m[2][0]), 1, 0],
                          ["LJ-104", None, "张40", "张40", last4(m[3][0]), 1, 0],
                          ["LJ-104", None, "张40", "张41", last4(m[3][1]), 1, 0]]]]


def test_export_never_contains_a_full_id_number(rich: Any) -> None:
    card = rich.extra["card"]
    wb = load_workbook(BytesIO(register_io.export_register(rich.village, today()).getvalue()))
    texts = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert card[-4:] in texts
    assert not any(card[:6] in t for t in texts)  # not even the region code of the number
    assert not any(re.search(r"\d{17}[\dX]", t) for t in texts if len(t) != 64)  # the hash is 64 hex characters
    column = [r[4] for r in sheet(register_io.export_register(rich.village, today()))[1:]]
    assert column.count(None) == 2 and all(isinstance(v, str) and len(v) == 4 for v in column if v is not None)


def test_export_of_an_empty_register_has_the_header_only(make: Factory) -> None:
    v = make.village("KB01", "空白村")
    shares.create_share_type(v, shares.ShareTypeInput("member", "成员股"), actor=None)
    db.session.commit()
    assert export(v) == [["户号", "股权证号", "户主", "成员姓名", "身份证后4位", "成员股", "合计"]]


# ---------------------------------------------------------------- round trip and the events an import records


def test_export_then_import_unchanged_records_nothing(rich: Any) -> None:
    on = today()
    data = register_io.export_register(rich.village, on)
    before, hash_before = state(), reg_hash(rich.village, on)

    report = register_io.import_register(rich.village, data, effective_on=on, actor=None)
    db.session.commit()

    assert report["changed"] is False and report["kind"] is None and report["event_id"] is None
    assert report["message"] == "文件与登记簿一致，没有变动，未作登记"
    assert (report["rows"], report["households"], report["holdings_unchanged"]) == (11, 4, 13)
    assert report["shares_before"] == report["shares_after"] == 43
    assert report["holdings_added"] == report["holdings_changed"] == report["holdings_removed"] == 0
    assert state() == before  # no event, no change, no certificate, no audit entry
    assert reg_hash(rich.village, on) == hash_before


def test_import_into_an_empty_register_is_one_initial_event(make: Factory) -> None:
    v = make.village("XH03", "新河村")
    member_type = shares.create_share_type(v, shares.ShareTypeInput("member", "成员股"), actor=None)
    labor_type = shares.create_share_type(v, shares.ShareTypeInput("labor", "劳龄股", sort=1), actor=None)
    h1, h2 = make.household(v, "XH-001"), make.household(v, "XH-002")
    a = make.member(v, "赵一", household=h1)
    b = make.member(v, "赵二", household=h1, head=False)
    c = make.member(v, "钱三", household=h2)
    db.session.commit()
    on = today() - timedelta(days=30)
    rows = [
        ["XH-001", "GQ-1", None, "赵一", last4(a), 1, 3, 4],
        ["XH-001", "GQ-1", None, "赵二", last4(b), 1, None, 1],
        ["XH-001", None, None, None, None, 2, 0, 2],  # kept by the household
        ["XH-002", "GQ-2", None, "钱三", None, 1, 0, 1],  # no last 4: the name is unique in the household
    ]

    report = run(v, rows, effective_on=on, note="股改初始登记")

    assert report["kind"] == "initial" and report["changed"] is True
    assert (report["holdings_added"], report["shares_before"], report["shares_after"]) == (5, 0, 8)
    assert (report["certificates_issued"], report["certificates_changed"]) == (2, 0)
    ev = db.session.get(ShareEvent, report["event_id"])
    assert ev is not None and (ev.kind, ev.effective_on, ev.note) == ("initial", on, "股改初始登记")
    assert holdings(v, on) == {(h1.id, a.id, member_type.id): 1, (h1.id, a.id, labor_type.id): 3,
                               (h1.id, b.id, member_type.id): 1, (h1.id, None, member_type.id): 2,
                               (h2.id, c.id, member_type.id): 1}
    assert holdings(v, on - timedelta(days=1)) == {}
    assert state()["certificates"] == [(h1.id, "GQ-1", on), (h2.id, "GQ-2", on)]
    assert [r[:2] + r[3:] for r in export(v, on)[1:]] == [
        ["XH-001", "GQ-1", "赵一", last4(a), 1, 3, 4], ["XH-001", "GQ-1", "赵二", last4(b), 1, 0, 1],
        ["XH-001", "GQ-1", None, None, 2, 0, 2], ["XH-002", "GQ-2", "钱三", last4(c), 1, 0, 1]]
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("share.event") == 1
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "share.import")).scalar_one()
    assert summary.village_id == v.id and summary.after_data()["event_id"] == report["event_id"]
    assert summary.after_data()["certificates"] == [[h1.id, None, "GQ-1"], [h2.id, None, "GQ-2"]]


def test_a_changed_file_records_exactly_the_differences_as_one_adjust_event(books: Any) -> None:
    b, first = books, books.register_on
    on = first + timedelta(days=40)
    hash_first = reg_hash(b.village, first)
    m, h = b.members, b.households
    rows = books_rows(b)
    rows[0][5] = 2  # 张10 成员股 1 → 2
    del rows[1]  # 张11 leaves the file: 成员股 1 → 0
    rows[4][6] = 3  # 张30 (row of LJ-103) 劳龄股 0 → 3
    rows.append(["LJ-104", None, None, None, None, 1, 0, None])  # LJ-104 keeps one without a member
    events_before = state()["ShareEvent"]

    report = run(b.village, rows, effective_on=on)

    assert (report["kind"], report["holdings_added"], report["holdings_changed"], report["holdings_removed"]) == \
        ("adjust", 2, 1, 1)
    assert (report["shares_before"], report["shares_after"], report["households_changed"]) == (11, 15, 3)
    assert state()["ShareEvent"] == events_before + 1
    ev = db.session.get(ShareEvent, report["event_id"])
    assert ev is not None and (ev.kind, ev.effective_on, ev.note) == ("adjust", on, "导入调整")
    changes = shares.event_changes([ev.id])[ev.id]
    assert sorted((c.household_id, c.member_id, c.share_type_id, c.delta) for c in changes) == sorted([
        (h[0].id, m[0][0].id, b.member_type.id, 1),
        (h[0].id, m[0][1].id, b.member_type.id, -1),
        (h[2].id, m[2][0].id, b.labor_type.id, 3),
        (h[3].id, None, b.member_type.id, 1),
    ])
    # both dates reproduce their file
    assert reg_hash(b.village, first) == hash_first
    assert [r[3:7] for r in export(b.village, first)[1:]] == [[r[3], r[4], r[5], r[6]] for r in books_rows(b)]
    assert [r[3:7] for r in export(b.village, on)[1:]] == [[r[3], r[4], r[5], r[6]] for r in rows]


def test_the_note_of_an_adjustment_can_be_given(books: Any) -> None:
    rows = books_rows(books)
    rows[0][6] = 5
    report = run(books.village, rows, note="2024年成员大会决议调整劳龄股")
    ev = db.session.get(ShareEvent, report["event_id"])
    assert ev is not None and ev.note == "2024年成员大会决议调整劳龄股" and ev.effective_on == today()


def test_a_member_keeps_shares_in_a_household_they_left(books: Any) -> None:
    """Matching is by household on the register too: a member who moved keeps the row of the old household."""
    b = books
    mover = b.members[0][2]
    registry.update_member(mover, {"household_number": "LJ-102"}, actor=None)
    db.session.commit()
    data = register_io.export_register(b.village, today())
    assert ["LJ-101", "张12"] in [[r[0], r[3]] for r in sheet(data)]
    report = register_io.import_register(b.village, data, actor=None)
    assert report["changed"] is False
    # and a new holding for him in the household he left is not his: he is no longer there
    rows = books_rows(b)
    rows.append(["LJ-103", None, None, "张12", last4(mover), 1, 0, None])
    err = refused(b.village, rows)
    message = f"户号 LJ-103 中没有成员张12（身份证后4位 {last4(mover)}），请核对花名册"
    assert err.details["rows"] == [{"row": 10, "field": "成员姓名", "message": message}]


# ---------------------------------------------------------------- certificates


def test_certificates_issue_change_swap_and_blank_keeps(books: Any) -> None:
    b = books
    h = b.households
    shares.set_certificate(b.village, h[0].id, "GQ-001", b.register_on, actor=None)
    shares.set_certificate(b.village, h[1].id, "GQ-002", b.register_on, actor=None)
    shares.set_certificate(b.village, h[2].id, "GQ-003", b.register_on, actor=None)
    db.session.commit()
    rows = books_rows(b)
    numbers = {"LJ-101": "GQ-002", "LJ-102": "GQ-001", "LJ-103": None, "LJ-104": "GQ-004"}  # a swap, blank, new
    for r in rows:
        r[1] = numbers[r[0]]
    on = today() - timedelta(days=3)
    report = run(b.village, rows, effective_on=on)
    assert (report["certificates_issued"], report["certificates_changed"], report["kind"]) == (1, 2, None)
    assert report["message"] == "已登记：发放股权证 1 户、更正 2 户"
    assert state()["certificates"] == [(h[0].id, "GQ-002", on), (h[1].id, "GQ-001", on),
                                       (h[2].id, "GQ-003", b.register_on), (h[3].id, "GQ-004", on)]
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "share.import")).scalar_one()
    assert summary.after_data()["certificates"] == [
        [h[0].id, "GQ-001", "GQ-002"], [h[1].id, "GQ-002", "GQ-001"], [h[3].id, None, "GQ-004"]]
    assert summary.after_data()["event_id"] is None


def test_certificate_errors(books: Any) -> None:
    b = books
    shares.set_certificate(b.village, b.households[2].id, "GQ-003", b.register_on, actor=None)
    db.session.commit()
    before = state()
    rows = books_rows(b)
    rows[0][1], rows[1][1] = "GQ-001", "GQ-009"  # LJ-101 disagrees with itself (rows 2, 3)
    rows[3][1] = rows[6][1] = "GQ-007"  # LJ-102 (row 5) and LJ-104 (row 8) both claim GQ-007
    err = refused(b.village, rows)
    assert err.details["rows"] == [
        {"row": 2, "field": "股权证号", "message": "同一户的股权证号填写不一致（第2、3行），请统一"},
        {"row": 3, "field": "股权证号", "message": "同一户的股权证号填写不一致（第2、3行），请统一"},
        {"row": 5, "field": "股权证号", "message": "股权证号 GQ-007 也发给了户号 LJ-104，一个证号只能发给一户"},
        {"row": 8, "field": "股权证号", "message": "股权证号 GQ-007 也发给了户号 LJ-102，一个证号只能发给一户"},
    ]
    assert state() == before
    rows = books_rows(b)
    rows[6][1] = "GQ-003"  # LJ-103's, and LJ-103 keeps it (its rows leave the number blank)
    err = refused(b.village, rows)
    assert err.details["rows"] == [{"row": 8, "field": "股权证号",
                                    "message": "股权证号 GQ-003 也发给了户号 LJ-103，一个证号只能发给一户"}]
    rows[5][1] = "GQ-103"  # unless LJ-103 takes another number in the same file
    assert run(b.village, rows)["certificates_changed"] == 1
    assert [n for _, n, _ in state()["certificates"]] == ["GQ-103", "GQ-003"]


# ---------------------------------------------------------------- bad rows: each kind, nothing written


def _edit(**cells: Any) -> Any:
    """A builder: the fixture's file with cells of one row replaced ({row index: {column: value}})."""
    def build(books: Any) -> list[list[Any]]:
        rows = books_rows(books)
        for key, value in cells.items():
            i, column = key.split("_", 1)
            rows[int(i[1:])][HEADERS.index(column)] = value
        return rows
    return build


def _append(*row: Any) -> Any:
    def build(books: Any) -> list[list[Any]]:
        return [*books_rows(books), list(row)]
    return build


def _twice(books: Any) -> list[list[Any]]:
    rows = books_rows(books)
    return [*rows, list(rows[1])]


BAD_ROWS: list[tuple[str, Any, int, str, str]] = [
    # (case, rows builder, excel row, field, the message or part of it)
    ("unknown household", _edit(r2_户号="LJ-999"), 4, "户号", "本村没有户号 LJ-999，请核对或先在花名册中登记"),
    ("blank household", _edit(r2_户号=" "), 4, "户号", "请填写户号（集体持有的股份填“集体”）"),
    ("member not on the roster", _edit(r2_成员姓名="张99", r2_身份证后4位=None), 4, "成员姓名",
     "户号 LJ-101 中没有成员张99，请核对花名册"),
    ("member of another household", _append("LJ-101", None, None, "张20", None, 1, 0, None), 10, "成员姓名",
     "户号 LJ-101 中没有成员张20"),
    ("last 4 of someone else", _edit(r2_身份证后4位="000X"), 4, "成员姓名", "（身份证后4位 000X）"),
    ("bad last 4", _edit(r2_身份证后4位="12X4"), 4, "身份证后4位", "身份证后4位应为4位数字（最后一位可以是X）"),
    ("last 4 without a name", _append("LJ-104", None, None, None, "1234", 1, 0, None), 10, "身份证后4位",
     "填写了身份证后4位，请同时填写成员姓名"),
    ("full-width digits", _edit(r2_成员股="３"), 4, "成员股", "股数请用半角数字填写（如 3，不是 ３）"),
    ("decimal number", _edit(r2_成员股=1.5), 4, "成员股", "股数应为整数，不能有小数"),
    ("decimal text", _edit(r2_劳龄股="0.5"), 4, "劳龄股", "股数应为整数，不能有小数"),
    ("text", _edit(r2_成员股="一股"), 4, "成员股", "股数应为不小于0的整数"),
    ("negative number", _edit(r2_成员股=-1), 4, "成员股", "股数不能为负数"),
    ("negative text", _edit(r2_劳龄股="-2"), 4, "劳龄股", "股数不能为负数"),
    ("too large", _edit(r2_成员股=10**9), 4, "成员股", "股数过大"),
    ("member shares on the collective row", _append("集体", None, None, None, None, 5, 0, None), 10, "成员股",
     "成员股由成员持有，不能填在“集体”行"),
    ("a member on the collective row", _append("集体", None, None, "张10", None, 0, 0, None), 10, "成员姓名",
     "“集体”行不填成员姓名"),
    ("a certificate on the collective row", _append("集体", "GQ-9", None, None, None, 0, 0, None), 10, "股权证号",
     "集体持有的股份不发股权证，请留空"),
]


@pytest.mark.parametrize(("case", "build", "row", "column", "text"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(
        books: Any, case: str, build: Any, row: int, column: str, text: str) -> None:
    rows = build(books)
    before, hash_before = state(), reg_hash(books.village, today())

    err = refused(books.village, rows)

    assert (err.status, err.code) == (422, "share.import_invalid")
    assert err.message == "股权登记簿有 1 行有误，整份未导入，请改正后重新导入"
    [reported] = err.details["rows"]
    assert (reported["row"], reported["field"]) == (row, column), reported
    assert text in reported["message"], reported
    assert state() == before and reg_hash(books.village, today()) == hash_before


def test_same_holding_twice_reports_both_rows(books: Any) -> None:
    err = refused(books.village, _twice(books))
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [(3, "成员姓名"), (10, "成员姓名")]
    assert "与第3行" in err.details["rows"][1]["message"]


def test_collective_shares_on_a_household_row(rich: Any) -> None:
    exported = export(rich.village)
    headers, rows = exported[0][:8], [r[:8] for r in exported[1:]]  # without 合计: it is not read anyway
    assert run(rich.village, rows, headers)["changed"] is False
    rows[3][7] = 2  # 集体股 for 张20
    err = refused(rich.village, rows, headers)
    assert err.details["rows"] == [{"row": 5, "field": "集体股",
                                    "message": "集体股由集体持有，只能填在户号为“集体”的一行"}]


def test_namesakes_need_the_last_4(books: Any, make: Factory) -> None:
    b = books
    twin = make.member(b.village, "张11", household=b.households[0], head=False)
    db.session.commit()
    rows = books_rows(b)
    rows[1][4] = None
    err = refused(b.village, rows)
    assert err.details["rows"] == [{"row": 3, "field": "成员姓名",
                                    "message": "户号 LJ-101 中有 2 位成员张11，请填写身份证后4位以区分"}]
    rows = books_rows(b)
    rows.append(["LJ-101", None, None, "张11", last4(twin), 1, 0, None])
    report = run(b.village, rows)
    assert report["holdings_added"] == 1
    assert holdings(b.village, today())[(b.households[0].id, twin.id, b.member_type.id)] == 1


def test_an_inactive_type_cannot_grow(books: Any) -> None:
    shares.update_share_type(books.labor_type, {"active": False}, actor=None)
    db.session.commit()
    rows = books_rows(books)
    rows[0][6] = 3  # 2 → 3: refused
    err = refused(books.village, rows)
    assert err.details["rows"] == [{"row": 2, "field": "劳龄股", "message": "劳龄股已停用，不能再增加"}]
    rows[0][6] = 1  # 2 → 1: allowed
    assert run(books.village, rows)["holdings_changed"] == 1


def test_several_errors_are_all_reported_in_row_order(books: Any) -> None:
    rows = books_rows(books)
    rows[5][5] = "x"  # row 7
    rows[1][0] = "LJ-999"  # row 3
    rows[1][6] = -1  # row 3, second error
    rows.append(["LJ-102", None, None, "王五", None, 1, 0, None])  # row 10
    err = refused(books.village, rows)
    assert err.message == "股权登记簿有 3 行有误，整份未导入，请改正后重新导入"
    assert (err.details["error_count"], err.details["row_count"]) == (4, 3)
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [
        (3, "户号"), (3, "劳龄股"), (7, "成员股"), (10, "成员姓名")]


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_excel(books: Any) -> None:
    rows: list[Any] = books_rows(books)
    rows = [rows[0], None, *rows[1:], None, ["LJ-404", None, None, None, None, 1, 0, None]]
    err = refused(books.village, rows)
    assert [e["row"] for e in err.details["rows"]] == [12]


def test_listed_errors_are_capped_at_500_but_the_count_is_true(books: Any) -> None:
    err = refused(books.village, [["LJ-999", None, None, None, None, 1, 0, None]] * 620)
    assert len(err.details["rows"]) == 500 and err.details["error_count"] == 620


# ---------------------------------------------------------------- bad files and headers


def test_files_that_are_not_a_register_are_refused(books: Any) -> None:
    before = state()
    for data, text in ((b"", "文件是空的"), (b"\xe6\x88\xb7\xe5\x8f\xb7,x\n", "无法读取该文件"),
                       (b"PK\x03\x04 broken zip", "无法读取该文件"),
                       (xlsx([], HEADERS).getvalue(), "文件中没有股权数据")):
        with pytest.raises(AppError) as info:
            register_io.import_register(books.village, BytesIO(data), actor=None)
        assert (info.value.status, info.value.code) == (422, "share.import_bad_file")
        assert text in info.value.message
    assert state() == before


def test_headers(books: Any) -> None:
    rows = books_rows(books)
    unknown = refused(books.village, [[*r, 1] for r in rows], [*HEADERS, "技术股"])
    assert unknown.code == "share.import_bad_headers"
    assert "无法识别的列“技术股”（不是本村的股份类型）" in unknown.message
    assert unknown.details["known_headers"] == HEADERS
    no_name = refused(books.village, [r[:3] + r[4:] for r in rows], [h for h in HEADERS if h != "成员姓名"])
    assert no_name.code == "share.import_bad_headers" and "缺少必填的列：成员姓名" in no_name.message
    no_type = refused(books.village, [r[:5] for r in rows], HEADERS[:5])
    assert "缺少股份类型的列（至少一列，如：成员股、劳龄股）" in no_type.message
    twice = refused(books.village, [[*r, 0] for r in rows], [*HEADERS, "成员股"])
    assert "列“成员股”出现了两次" in twice.message
    # a type the register holds on that date may not be left out: it would silently stay or vanish
    no_labor = refused(books.village, [r[:6] for r in rows], HEADERS[:6])
    assert no_labor.code == "share.import_bad_headers"
    assert f"缺少列：劳龄股（{today().isoformat()}的登记簿中有这些股份；不再持有的请填0）" in no_labor.message
    # before the initial entry nothing is held, so 劳龄股 may be left out
    report = run(books.village, [r[:6] for r in rows], HEADERS[:6], effective_on=books.register_on - timedelta(2),
                 dry_run=True)
    assert report["kind"] == "initial"


def test_row_limit(app: Flask, books: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SHARE_REGISTER_MAX_ROWS", 8)
    assert run(books.village, books_rows(books))["changed"] is False  # exactly 8 rows
    before = state()
    err = refused(books.village, [*books_rows(books), ["LJ-104", None, None, None, None, 1, 0, None]])
    assert (err.status, err.code, err.details["max_rows"]) == (422, "share.import_too_large", 8)
    assert state() == before
    assert register_io.MAX_ROWS == 60_000


def test_future_date_is_refused(books: Any) -> None:
    err = refused(books.village, books_rows(books), effective_on=today() + timedelta(days=1))
    assert (err.status, err.code, err.message) == (422, "share.future_date", "生效日期不能晚于今天")


def test_last_4_read_from_excel_numbers() -> None:
    assert register_io._last4(115) == "0115" and register_io._last4(115.0) == "0115"
    assert register_io._last4(" 123x ") == "123X" and register_io._last4("**************0115") == "0115"
    for bad in ("12345", "X123", 12345, "12 3"):
        with pytest.raises(ValueError):
            register_io._last4(bad)


# ---------------------------------------------------------------- dry run, refusals by the register's rules


def test_dry_run_reports_and_writes_nothing(books: Any) -> None:
    rows = books_rows(books)
    rows[0][5] = 4
    rows[2][1] = "GQ-1"
    before, hash_before = state(), reg_hash(books.village, today())
    dry = register_io.import_register(books.village, xlsx(rows, HEADERS), actor=None, dry_run=True)
    db.session.commit()
    assert state() == before and reg_hash(books.village, today()) == hash_before
    assert dry["dry_run"] is True and dry["event_id"] is None
    assert dry["message"] == ("检查通过（未写入）：调整：新增 0 笔、变更 1 笔、取消 0 笔持股，股份合计 11 → 14；"
                              "发放股权证 1 户、更正 0 户")
    real = run(books.village, rows)
    assert {k: v for k, v in real.items() if k not in ("dry_run", "event_id", "message")} == \
        {k: v for k, v in dry.items() if k not in ("dry_run", "event_id", "message")}
    assert real["event_id"] is not None and real["message"].startswith("已登记：调整：")


def _freeze(books: Any) -> None:
    """Compute a distribution with the initial entry's next day as its record date: the register is frozen."""
    d = plans.create_distribution(books.village, plans.DistributionInput(
        books.year, "年度收益分配方案", [plans.ComponentInput("equity")]), actor=None)
    computing.compute(d, books.register_on, actor=None)
    db.session.commit()
    assert shares.frozen_until(books.village.id) == books.register_on


def test_a_frozen_date_is_refused_and_nothing_changes(books: Any) -> None:
    _freeze(books)
    rows = books_rows(books)
    rows[0][5] = 3
    rows[0][1] = "GQ-1"  # a certificate in the same file is not written either
    before = state()
    for dry_run in (True, False):
        err = refused(books.village, rows, effective_on=books.register_on, dry_run=dry_run)
        assert (err.status, err.code) == (409, "share.frozen")
        assert err.details["frozen_until"] == books.register_on.isoformat()
        assert state() == before
    # the unchanged register on that date is fine (nothing to record), and the next day takes the change
    assert run(books.village, books_rows(books), effective_on=books.register_on)["changed"] is False
    report = run(books.village, rows, effective_on=books.register_on + timedelta(days=1))
    assert report["kind"] == "adjust" and report["certificates_issued"] == 1


def test_a_later_change_that_would_go_below_zero_refuses_the_whole_file(books: Any) -> None:
    b = books
    m, h = b.members, b.households
    later = b.register_on + timedelta(days=20)
    shares.record_event(b.village, shares.EventInput("transfer", later, changes=[
        shares.ChangeInput(b.labor_type.id, -2, h[0].id, m[0][0].id),
        shares.ChangeInput(b.labor_type.id, 2, h[0].id, m[0][1].id)]), actor=None)
    db.session.commit()
    rows = books_rows(b)
    rows[0][6] = 0  # before the transfer 张10 gives his 2 劳龄股 up: the transfer would then leave him at -2
    rows[3][1] = "GQ-2"
    before = state()
    for dry_run in (True, False):
        err = refused(b.village, rows, effective_on=b.register_on + timedelta(days=5), dry_run=dry_run)
        assert (err.status, err.code) == (409, "share.insufficient")
        assert state() == before


def test_a_failure_while_writing_leaves_nothing(books: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    def fail(*args: Any, **kw: Any) -> None:
        db.session.add(ShareCertificate(village_id=books.village.id, household_id=books.households[0].id,
                                        number="X", issued_on=today()))
        raise IntegrityError("INSERT", {}, Exception("uq_share_certificates_village_number"))

    monkeypatch.setattr(register_io, "_write_certificates", fail)
    rows = books_rows(books)
    rows[0][5], rows[0][1] = 3, "GQ-1"
    before = state()
    err = refused(books.village, rows)
    assert (err.status, err.code) == (409, "share.import_conflict")
    assert state() == before


# ---------------------------------------------------------------- HTTP and permissions


def _upload(client: FlaskClient, village: Village, headers: dict[str, str], data: BytesIO, **form: str) -> Any:
    return client.post(f"/api/v1/villages/{village.id}/share-register/import", headers=headers,
                       data={"file": (data, "register.xlsx"), **form}, content_type="multipart/form-data")


@pytest.fixture
def other_secretary(make: Factory) -> Member:
    m = make.member(make.village("HX02", "河西村"), "陈书记", roles=("secretary",))
    db.session.commit()
    return m


def test_http_export_and_import(client: FlaskClient, make: Factory, books: Any) -> None:
    b = books
    sec = make.headers(b.secretary)
    r = client.get(f"/api/v1/villages/{b.village.id}/share-register.xlsx?on={b.register_on}", headers=sec)
    assert r.status_code == 200 and r.mimetype == XLSX
    assert f"LJ01-share-register-{b.register_on}.xlsx" in r.headers["Content-Disposition"]
    rows = sheet(r.data)
    assert len(rows) == 9 and rows[1][3] == "张10"
    rows[1][5] = 5

    r = _upload(client, b.village, sec, xlsx(rows[1:], rows[0]), dry_run="true", effective_on=str(b.register_on))
    assert r.status_code == 200, r.json
    assert r.json["dry_run"] is True and r.json["holdings_changed"] == 1 and r.json["event_id"] is None
    db.session.rollback()
    assert state()["ShareEvent"] == 1

    r = _upload(client, b.village, sec, xlsx(rows[1:], rows[0]), effective_on=str(b.register_on), note="更正")
    assert r.status_code == 200, r.json
    assert (r.json["kind"], r.json["effective_on"], r.json["shares_after"]) == ("adjust", str(b.register_on), 15)
    db.session.rollback()
    ev = db.session.get(ShareEvent, r.json["event_id"])
    assert ev is not None and ev.note == "更正" and ev.recorded_by_id == b.secretary.person_id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "share.import")).scalar_one()
    assert entry.actor_person_id == b.secretary.person_id

    r = _upload(client, b.village, sec, BytesIO(b"hello"))
    assert r.status_code == 422 and r.json["error"]["code"] == "share.import_bad_file"
    r = _upload(client, b.village, sec, xlsx(rows[1:], rows[0]), effective_on="2024/01/01")
    assert r.status_code == 422 and r.json["error"]["code"] == "share.import_date_invalid"
    r = client.post(f"/api/v1/villages/{b.village.id}/share-register/import", headers=sec, data={},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "share.import_file_missing"
    r = _upload(client, b.village, sec, xlsx([["LJ-999", None, None, None, None, 1, 0, None]], HEADERS))
    assert r.status_code == 422 and r.json["error"]["details"]["rows"] == [
        {"row": 2, "field": "户号", "message": "本村没有户号 LJ-999，请核对或先在花名册中登记"}]


def test_http_permissions(client: FlaskClient, make: Factory, books: Any, other_secretary: Member) -> None:
    b = books
    url_x = f"/api/v1/villages/{b.village.id}/share-register.xlsx"
    before = state()
    # a villager: 403 both ways
    villager = make.headers(b.villager)
    assert client.get(url_x, headers=villager).status_code == 403
    assert _upload(client, b.village, villager, xlsx(books_rows(b), HEADERS)).status_code == 403
    # the supervisor reads but does not keep the register
    supervisor = make.headers(b.supervisor)
    assert client.get(url_x, headers=supervisor).status_code == 200
    assert _upload(client, b.village, supervisor, xlsx(books_rows(b), HEADERS)).status_code == 403
    # someone of another village: the village does not exist for them
    other = make.headers(other_secretary)
    r = client.get(url_x, headers=other)
    assert r.status_code == 404 and "error" in r.json
    assert _upload(client, b.village, other, xlsx(books_rows(b), HEADERS)).status_code == 404
    # anonymous
    assert client.get(url_x).status_code == 401
    assert _upload(client, b.village, {}, xlsx(books_rows(b), HEADERS)).status_code == 401
    # the accountant keeps it
    rows = books_rows(b)
    rows[0][5] = 2
    r = _upload(client, b.village, make.headers(b.accountant), xlsx(rows, HEADERS))
    assert r.status_code == 200 and r.json["kind"] == "adjust"
    db.session.rollback()
    assert state()["ShareEvent"] == before["ShareEvent"] + 1


# ---------------------------------------------------------------- CLI


def test_cli_export_and_import(app: Flask, books: Any, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    path = tmp_path / "register.xlsx"
    result = runner.invoke(args=["shares", "export", "--village", "LJ01", "--on", str(books.register_on),
                                 "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert f"已导出临江村{books.register_on}的股权登记簿" in result.output
    rows = sheet(path.read_bytes())
    assert len(rows) == 9
    result = runner.invoke(args=["shares", "import", str(path), "--village", "LJ01", "--on", str(books.register_on)])
    assert result.exit_code == 0 and "文件与登记簿一致，没有变动" in result.output

    rows[1][5] = 3
    path.write_bytes(xlsx(rows[1:], rows[0]).getvalue())
    before = state()
    result = runner.invoke(args=["shares", "import", str(path), "--village", "LJ01", "--dry-run"])
    assert result.exit_code == 0 and result.output.startswith("检查通过（未写入）：调整：")
    assert state() == before
    result = runner.invoke(args=["shares", "import", str(path), "--village", "LJ01", "--note", "年度核对"])
    assert result.exit_code == 0 and result.output.startswith("已登记：调整：新增 0 笔、变更 1 笔")
    assert state()["ShareEvent"] == before["ShareEvent"] + 1

    rows[2][0] = "LJ-999"
    path.write_bytes(xlsx(rows[1:], rows[0]).getvalue())
    result = runner.invoke(args=["shares", "import", str(path), "--village", "LJ01"])
    assert result.exit_code == 1
    assert "股权登记簿有 1 行有误，整份未导入" in result.stderr and "第3行 户号：本村没有户号 LJ-999" in result.stderr
    result = runner.invoke(args=["shares", "export", "--village", "NOPE", "-o", str(path)])
    assert result.exit_code != 0 and "找不到村编码 NOPE" in result.output


# ---------------------------------------------------------------- the query count does not grow with the file


def _village_of(make: Factory, code: str, households: int) -> tuple[Village, list[list[Any]]]:
    v = make.village(code, f"{code}村")
    shares.create_share_type(v, shares.ShareTypeInput("member", "成员股"), actor=None)
    shares.create_share_type(v, shares.ShareTypeInput("labor", "劳龄股", sort=1), actor=None)
    rows = []
    for i in range(households):
        h = make.household(v, f"{code}-{i:04d}")
        registry.add_members(v, [registry.MemberInput(name=f"户主{i}", id_card=id_card(), household_number=h.number,
                                                      is_head=True, relation="户主"),
                                 registry.MemberInput(name=f"子女{i}", id_card=id_card(), household_number=h.number,
                                                      relation="子女")], actor=None)
        rows.append([h.number, f"{code}-GQ-{i}", None, f"户主{i}", None, 1, i % 3, None])
        rows.append([h.number, None, None, f"子女{i}", None, 1, 0, None])
    db.session.commit()
    return v, rows


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


def test_an_import_takes_the_same_number_of_queries_whatever_the_size_of_the_file(make: Factory) -> None:
    small, small_rows = _village_of(make, "SA", 5)
    large, large_rows = _village_of(make, "LA", 150)
    for v in (small, large):
        v.id  # noqa: B018  (loads what the commit expired)
    checks = [_queries(lambda v=v, rows=rows: register_io.import_register(v, xlsx(rows, HEADERS), actor=None,
                                                                          dry_run=True))
              for v, rows in ((small, small_rows), (large, large_rows))]
    # share types, households and heads, members, their last 4, certificates, the register, frozen date, balances
    assert checks[0] == checks[1] <= 9, checks
    writes = [_queries(lambda v=v, rows=rows: register_io.import_register(v, xlsx(rows, HEADERS), actor=None))
              for v, rows in ((small, small_rows), (large, large_rows))]
    db.session.commit()
    assert writes[0] == writes[1] <= 30, writes
    assert len(holdings(large, today())) == 300 + 100  # 成员股 each, 劳龄股 where i % 3
    assert db.session.execute(select(func.count()).select_from(ShareCertificate)).scalar_one() == 155
    # an unchanged re-import of the large one: the same few queries, nothing written
    data = register_io.export_register(large, today())
    unchanged: list[dict[str, Any]] = []
    n = _queries(lambda: unchanged.append(register_io.import_register(large, data, actor=None)))
    assert unchanged[0]["changed"] is False and n <= checks[1]
    assert db.session.execute(select(func.count()).select_from(Household).where(
        Household.village_id == large.id)).scalar_one() == 150


# ---------------------------------------------------------------- two imports at once (PostgreSQL row locks)


def test_two_imports_at_once_each_compare_with_what_the_other_left(app: Flask, make: Factory, books: Any,
                                                                    postgres_only: None) -> None:
    """Each import compares under the register lock: the last one's file is the register afterwards, never a mix
    of two differences computed against the same old register."""
    from tests.factories import parallel

    sec = make.headers(books.secretary)
    a, b = books_rows(books), books_rows(books)
    a[0][5] = 5  # 张10: 成员股 5
    b[1][5] = 7  # 张11: 成员股 7
    files = {"a": xlsx(a, HEADERS).getvalue(), "b": xlsx(b, HEADERS).getvalue()}
    url = f"/api/v1/villages/{books.village.id}/share-register/import"
    results = parallel(app, [
        (lambda c, k=k: c.post(url, headers=sec, data={"file": (BytesIO(files[k]), f"{k}.xlsx")},
                               content_type="multipart/form-data"))
        for k in ("a", "b")])
    assert [r.status_code for r in results] == [200, 200], [r.json for r in results]
    last = max(("a", "b"), key=lambda k: results[0 if k == "a" else 1].json["event_id"])
    db.session.rollback()
    expected = a if last == "a" else b
    assert [r[3:7] for r in export(books.village)[1:]] == [[r[3], r[4], r[5], r[6]] for r in expected]
    assert state()["ShareEvent"] == 3  # the initial entry and one adjustment each
