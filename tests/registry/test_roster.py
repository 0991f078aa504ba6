"""Roster import and export (.xlsx): all-or-nothing import with every bad row reported, and the round trip."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.errors import AppError
from backend.registry import households, people, roster
from backend.registry.models import Household, Member, Person, Village
from tests.factories import Factory, id_card
from tests.xlsx_files import xlsx

HEADERS = ["成员编号", "户号", "姓名", "身份证号", "与户主关系", "手机号", "集体经济组织成员", "状态",
           "脱贫户", "监测户", "住址"]
MASK = "**************"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- helpers


def person(household: str, name: str, relation: str = "子女", card: str | None = None, **more: Any) -> dict[str, Any]:
    return {"户号": household, "姓名": name, "与户主关系": relation, "身份证号": card or id_card(), **more}


def counts() -> dict[str, int]:
    return {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Person, Member, Household, AuditEntry)}


def run(village: Village, rows: Sequence[dict[str, Any] | None], **kw: Any) -> dict[str, Any]:
    return roster.import_roster(village, xlsx(rows, HEADERS), actor=None, **kw)


def refused(village: Village, rows: Sequence[dict[str, Any] | None]) -> AppError:
    with pytest.raises(AppError) as info:
        run(village, rows)
    return info.value


def member_named(name: str) -> Member:
    return db.session.execute(select(Member).join(Member.person).where(Person.name == name)).scalar_one()


@pytest.fixture
def village(make: Factory) -> Village:
    """临江村 with household LJ-001: 张大山 (head, secretary) and his wife 李秀英."""
    v = make.village()
    h = make.household(v, "LJ-001", address="临江村一组1号")
    make.member(v, "张大山", household=h, roles=("secretary",), phone="13800000001")
    make.member(v, "李秀英", household=h, head=False)
    db.session.commit()
    return v


# ---------------------------------------------------------------- a good file


def test_good_file_imports_everything_in_one_go(village: Village) -> None:
    before = counts()
    head_card = id_card(date(1970, 5, 6))
    report = run(village, [
        person("LJ-001", "张小明", "子女", 手机号=13812345678.0),  # a phone stored by Excel as a number
        person("LJ-002", "王建国", "户主", card=head_card, 脱贫户="是", 监测户="否", 住址="临江村二组8号"),
        person("LJ-002", "王丽", "配偶", 集体经济组织成员="否", 脱贫户="是", 住址="临江村二组8号"),
        person("LJ-002", "王小虎", "子女", 状态="迁出"),
    ])

    assert report == {"created": 4, "updated": 0, "unchanged": 0, "households_created": 1,
                      "households_updated": 0, "rows": 4, "dry_run": False}
    after = counts()
    assert after["Person"] == before["Person"] + 4
    assert after["Member"] == before["Member"] + 4
    assert after["Household"] == before["Household"] + 1
    db.session.rollback()  # what was committed stays
    h2 = households.household_by_number(village.id, "LJ-002")
    assert h2 is not None
    assert (h2.is_tuopin, h2.is_jiance, h2.address) == (True, False, "临江村二组8号")
    head = member_named("王建国")
    assert (head.is_head, head.relation, head.household_id) == (True, "户主", h2.id)
    assert people.person_by_id_card(head_card) is head.person
    assert head.person.birth_date == date(1970, 5, 6)
    assert member_named("王丽").is_collective_member is False
    assert member_named("王小虎").status == "moved_out"
    assert member_named("张小明").person.phone == "13812345678"
    assert member_named("张小明").household.number == "LJ-001"
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "roster.import")).scalar_one()
    assert summary.village_id == village.id
    assert summary.after_data() == {"created": 4, "updated": 0, "unchanged": 0, "households_created": 1,
                                    "households_updated": 0, "rows": 4}
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("member.create") == 2 + 4 and actions.count("household.create") == 2


def test_headers_in_any_order_with_blanks_around_and_only_some_columns(village: Village) -> None:
    rows = [{" 姓名 ": "赵四", "户号": "LJ-009", "身份证号 ": id_card(), "与户主关系": "户主"}]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([" 姓名 ", "户号", "身份证号 ", "与户主关系"])
    ws.append([rows[0][h] for h in (" 姓名 ", "户号", "身份证号 ", "与户主关系")])
    data = BytesIO()
    wb.save(data)
    data.seek(0)
    report = roster.import_roster(village, data, actor=None)
    assert (report["created"], report["households_created"]) == (1, 1)
    m = member_named("赵四")
    assert (m.is_collective_member, m.status, m.household.is_tuopin) == (True, "active", False)  # the defaults


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_excel(village: Village) -> None:
    err = refused(village, [person("LJ-001", "甲"), None, person("LJ-001", ""), None, None])
    assert err.details["rows"] == [{"row": 4, "field": "姓名", "message": "请填写姓名"}]
    report = run(village, [person("LJ-001", "甲"), None, person("LJ-001", "乙"), {"姓名": "  ", "住址": " "}, None])
    assert report["rows"] == 2 and report["created"] == 2


# ---------------------------------------------------------------- bad rows: each kind, nothing written


def _other_village_member(make: Factory) -> tuple[Member, str]:
    card = id_card()
    return make.member(make.village("HX02", "河西村"), "外村人", id_no=card), card


def _bad_check_digit() -> str:
    good = id_card()
    return good[:17] + ("1" if good[17] != "1" else "2")


def _staff_card(make: Factory) -> str:
    card = id_card()
    make.staff(make.township(), id_no=card)
    return card


Builder = Any  # (Factory) -> rows
BAD_ROWS: list[tuple[str, Builder, int, str, str]] = [
    # (case, rows builder, excel row, field, part of the message)
    ("missing name", lambda mk: [person("LJ-001", "甲"), person("LJ-001", "  ")], 3, "姓名", "请填写姓名"),
    ("id format", lambda mk: [person("LJ-001", "甲", card="37142719800101")], 2, "身份证号", "应为18位"),
    ("id birth date", lambda mk: [person("LJ-001", "甲", card="371427198013010011")], 2, "身份证号", "出生日期"),
    ("id check digit", lambda mk: [person("LJ-001", "甲", card=_bad_check_digit())], 2, "身份证号", "校验位"),
    ("id typed as a number", lambda mk: [person("LJ-001", "甲", card=int(id_card()[:15]) * 1000)],
     2, "身份证号", "存成了数字"),
    ("masked id on a new person", lambda mk: [person("LJ-001", "甲", card="**************0115")],
     2, "身份证号", "完整的身份证号"),
    ("missing id", lambda mk: [{"户号": "LJ-001", "姓名": "甲", "与户主关系": "子女"}],
     2, "身份证号", "请填写身份证号"),
    ("household unknown", lambda mk: [person("LJ-001", "甲"), person("LJ-404", "乙")], 3, "户号", "LJ-404 不存在"),
    ("id of a person in another village",
     lambda mk: [person("LJ-001", "甲", card=_other_village_member(mk)[1])], 2, "身份证号", "已在系统中登记"),
    ("id of a staff person", lambda mk: [person("LJ-001", "甲", card=_staff_card(mk))],
     2, "身份证号", "已在系统中登记"),
    ("member id of another village", lambda mk: [
        {**person("LJ-001", "甲"), "成员编号": _other_village_member(mk)[0].id}], 2, "成员编号", "不是本村的人员"),
    ("member id not a number", lambda mk: [{**person("LJ-001", "甲"), "成员编号": "A12"}], 2, "成员编号", "数字"),
    ("head row for a household that has a head", lambda mk: [person("LJ-001", "甲", "户主")],
     2, "与户主关系", "已有户主 张大山"),
    ("bad relation", lambda mk: [person("LJ-001", "甲", "表哥")], 2, "与户主关系", "与户主关系应为"),
    ("missing relation", lambda mk: [person("LJ-001", "甲", "")], 2, "与户主关系", "请填写与户主关系"),
    ("bad status", lambda mk: [person("LJ-001", "甲", 状态="外出")], 2, "状态", "在册、迁出、已故"),
    ("bad yes/no", lambda mk: [person("LJ-001", "甲", 集体经济组织成员="不是")], 2, "集体经济组织成员", "“是”或“否”"),
    ("bad phone", lambda mk: [person("LJ-001", "甲", 手机号="1381234")], 2, "手机号", "11位"),
    ("phone as a short number", lambda mk: [person("LJ-001", "甲", 手机号=12345.0)], 2, "手机号", "11位"),
]


@pytest.mark.parametrize(("case", "build", "row", "column", "text"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(
        village: Village, make: Factory, case: str, build: Any, row: int, column: str, text: str | None) -> None:
    rows = build(make)
    db.session.commit()
    before = counts()

    err = refused(village, rows)

    assert (err.status, err.code) == (422, "roster.invalid")
    assert err.message == "花名册有 1 行有误，整份未导入，请改正后重新导入"
    assert err.details["error_count"] == len(err.details["rows"]) == 1
    [reported] = err.details["rows"]
    assert (reported["row"], reported["field"]) == (row, column)
    assert text is None or text in reported["message"], reported["message"]
    db.session.rollback()
    assert counts() == before


def test_identity_reasons_come_from_the_id_validator(village: Village) -> None:
    err = refused(village, [person("LJ-001", "甲", card=_bad_check_digit())])
    assert err.details["rows"][0]["message"] == "身份证号校验位不正确，请核对"


def test_same_id_twice_in_the_file_reports_both_rows(village: Village) -> None:
    card = id_card()
    before = counts()
    err = refused(village, [person("LJ-001", "甲", card=card), person("LJ-001", "丙"),
                            person("LJ-001", "乙", card=card.lower())])
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [(2, "身份证号"), (4, "身份证号")]
    assert "第4行" in err.details["rows"][0]["message"] and "第2行" in err.details["rows"][1]["message"]
    assert counts() == before


def test_same_member_by_member_id_and_by_id_number_is_a_duplicate(village: Village, make: Factory) -> None:
    card = id_card()
    m = make.member(village, "孙五", household=households.household_by_number(village.id, "LJ-001"), id_no=card,
                    head=False)
    db.session.commit()
    err = refused(village, [{**person("LJ-001", "孙五", card=MASK + card[-4:]), "成员编号": m.id},
                            person("LJ-001", "孙五", card=card)])
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [(2, "成员编号"), (3, "身份证号")]


def test_two_heads_for_one_new_household_reports_both(village: Village) -> None:
    err = refused(village, [person("LJ-007", "甲", "户主"), person("LJ-007", "乙", "配偶"),
                            person("LJ-007", "丙", "户主")])
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [(2, "与户主关系"), (4, "与户主关系")]
    assert "多名户主" in err.details["rows"][0]["message"]


def test_conflicting_household_flags_are_reported_on_every_row_of_the_household(village: Village) -> None:
    err = refused(village, [person("LJ-002", "甲", "户主", 脱贫户="是"), person("LJ-002", "乙", 脱贫户="否"),
                            person("LJ-002", "丙"), person("LJ-001", "丁", 监测户="是")])
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [(2, "脱贫户"), (3, "脱贫户")]
    assert "不一致" in err.details["rows"][0]["message"]


def test_several_errors_in_one_file_are_all_reported_in_row_order(village: Village) -> None:
    before = counts()
    err = refused(village, [
        person("LJ-001", "好人"),
        person("LJ-001", "", card="123"),  # row 3: two errors
        person("LJ-404", "乙"),  # row 4
        person("LJ-001", "丙", 手机号="abc"),  # row 5
        person("LJ-001", "丁"),
        person("LJ-001", "戊", 状态="失踪"),  # row 7
    ])
    assert err.message == "花名册有 4 行有误，整份未导入，请改正后重新导入"
    assert err.details["error_count"] == 5 and err.details["row_count"] == 4
    assert [(e["row"], e["field"]) for e in err.details["rows"]] == [
        (3, "姓名"), (3, "身份证号"), (4, "户号"), (5, "手机号"), (7, "状态")]
    assert counts() == before


def test_listed_errors_are_capped_at_500_but_the_count_is_true(village: Village) -> None:
    err = refused(village, [person("LJ-001", "") for _ in range(620)])
    assert len(err.details["rows"]) == 500
    assert err.details["error_count"] == 620
    assert err.message.startswith("花名册有 620 行有误")


def test_row_limit(app: Flask, village: Village, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ROSTER_MAX_ROWS", 3)
    assert run(village, [person("LJ-001", n) for n in "甲乙丙"])["created"] == 3
    before = counts()
    err = refused(village, [person("LJ-001", n) for n in "丁戊己庚"])
    assert (err.status, err.code, err.details["max_rows"]) == (422, "roster.too_large", 3)
    assert counts() == before


# ---------------------------------------------------------------- bad files


def _raises(village: Village, data: bytes) -> AppError:
    with pytest.raises(AppError) as info:
        roster.import_roster(village, BytesIO(data), actor=None)
    assert info.value.status == 422
    return info.value


def _damaged_sheet() -> bytes:
    source, out = zipfile.ZipFile(xlsx([person("LJ-001", "甲")], HEADERS)), BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return out.getvalue()


def test_files_that_are_not_a_roster_are_refused(village: Village) -> None:
    before = counts()
    assert _raises(village, b"").code == "roster.bad_file"
    assert _raises(village, b"\xe5\xa7\x93\xe5\x90\x8d,\xe6\x88\xb7\xe5\x8f\xb7\n").code == "roster.bad_file"  # csv
    assert _raises(village, b"PK\x03\x04 broken zip").code == "roster.bad_file"
    assert _raises(village, _damaged_sheet()).code == "roster.bad_file"  # the zip opens, the sheet does not parse
    header_only = _raises(village, xlsx([], HEADERS).getvalue())
    assert header_only.code == "roster.bad_file"
    assert header_only.message == "花名册中没有人员数据（第1行为表头，从第2行起每行一人）"
    assert counts() == before


def test_missing_and_unknown_headers_are_refused_with_the_known_headers(village: Village) -> None:
    missing = _raises(village, xlsx([{"姓名": "甲"}], headers=["姓名", "身份证号"]).getvalue())
    assert missing.code == "roster.bad_headers"
    assert "缺少必填的列：户号" in missing.message
    unknown = _raises(village, xlsx([person("LJ-001", "甲")], headers=[*HEADERS, "备注"]).getvalue())
    assert unknown.code == "roster.bad_headers"
    assert "无法识别的列“备注”" in unknown.message and "可用的列：成员编号、户号、姓名" in unknown.message
    assert unknown.details["known_headers"] == HEADERS
    title_row = _raises(village, xlsx([{"临江村花名册": "甲"}], headers=["临江村花名册"]).getvalue())
    assert title_row.code == "roster.bad_headers" and title_row.message.startswith("第1行应为表头")


# ---------------------------------------------------------------- updates and heads


def test_update_by_member_id(village: Village, make: Factory) -> None:
    wife = member_named("李秀英")
    make.household(village, "LJ-003")
    db.session.commit()
    before = counts()
    report = run(village, [{"成员编号": wife.id, "户号": "LJ-003", "姓名": "李秀英",
                            "身份证号": MASK + wife.person.id_last4, "与户主关系": "其他",
                            "手机号": "139 0000 0002", "集体经济组织成员": "否", "状态": "迁出"}])
    assert (report["created"], report["updated"]) == (0, 1)
    db.session.rollback()
    wife = db.session.get(Member, wife.id)
    assert wife is not None
    assert (wife.household.number, wife.relation, wife.is_collective_member, wife.status, wife.person.phone) == (
        "LJ-003", "其他", False, "moved_out", "13900000002")
    after = counts()
    assert (after["Person"], after["Member"]) == (before["Person"], before["Member"])
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "member.update")).scalar_one()
    assert entry.object_id == wife.id and entry.after_data()["status"] == "moved_out"


def test_masked_id_must_match_the_member(village: Village) -> None:
    wife = member_named("李秀英")
    err = refused(village, [{"成员编号": wife.id, "户号": "LJ-001", "姓名": "李秀英", "身份证号": MASK + (
        "9999" if wife.person.id_last4 != "9999" else "8888")}])
    assert err.details["rows"][0]["field"] == "身份证号" and "不符" in err.details["rows"][0]["message"]


def test_a_full_id_must_match_the_member_id(village: Village) -> None:
    wife = member_named("李秀英")
    err = refused(village, [{"成员编号": wife.id, "户号": "LJ-001", "姓名": "李秀英", "身份证号": id_card()}])
    assert err.details["rows"] == [
        {"row": 2, "field": "身份证号", "message": f"身份证号与成员编号 {wife.id} 的人员不符，请核对"}]


def test_a_full_id_of_someone_on_this_roster_updates_them(village: Village, make: Factory) -> None:
    card = id_card()
    make.member(village, "周六", household=households.household_by_number(village.id, "LJ-001"), id_no=card,
                head=False)
    db.session.commit()
    report = run(village, [person("LJ-001", "周陆", "子女", card=card)])
    assert (report["created"], report["updated"]) == (0, 1)
    assert member_named("周陆").person.id_last4 == card[-4:]


def test_head_changes_within_a_household_and_across_households(village: Village, make: Factory) -> None:
    """Swaps never break "one head per household" mid-way, in any order of rows."""
    h2 = make.household(village, "LJ-002")
    b_head = make.member(village, "钱一", household=h2)
    db.session.commit()
    old, wife = member_named("张大山"), member_named("李秀英")
    report = run(village, [
        {"成员编号": wife.id, "户号": "LJ-001", "姓名": "李秀英", "身份证号": MASK + wife.person.id_last4,
         "与户主关系": "户主"},
        {"成员编号": old.id, "户号": "LJ-001", "姓名": "张大山", "身份证号": MASK + old.person.id_last4,
         "与户主关系": "配偶"},
    ])
    assert report["updated"] == 2
    assert (member_named("李秀英").is_head, member_named("张大山").is_head) == (True, False)
    assert member_named("张大山").relation == "配偶"

    # the two heads trade households
    wife, b_head = member_named("李秀英"), db.session.get(Member, b_head.id)
    assert b_head is not None
    report = run(village, [
        {"成员编号": wife.id, "户号": "LJ-002", "姓名": "李秀英", "与户主关系": "户主"},
        {"成员编号": b_head.id, "户号": "LJ-001", "姓名": "钱一", "与户主关系": "户主"},
    ], )
    assert report["updated"] == 2
    db.session.rollback()
    heads = dict(db.session.execute(
        select(Household.number, Person.name).join(Member, Member.household_id == Household.id)
        .join(Person, Person.id == Member.person_id).where(Member.is_head.is_(True))).all())
    assert heads == {"LJ-001": "钱一", "LJ-002": "李秀英"}


def test_a_head_moving_away_without_a_relation_is_refused(village: Village, make: Factory) -> None:
    make.household(village, "LJ-002")
    db.session.commit()
    old = member_named("张大山")
    err = refused(village, [{"成员编号": old.id, "户号": "LJ-002", "姓名": "张大山"}])
    assert (err.details["rows"][0]["field"], err.details["rows"][0]["row"]) == ("与户主关系", 2)


def test_household_flags_update_existing_households(village: Village) -> None:
    report = run(village, [person("LJ-001", "新人", 监测户="是", 住址="临江村一组2号")])
    assert report["households_updated"] == 1
    h = households.household_by_number(village.id, "LJ-001")
    assert h is not None and (h.is_jiance, h.is_tuopin, h.address) == (True, False, "临江村一组2号")


# ---------------------------------------------------------------- dry run, transaction, performance shape


def test_dry_run_reports_and_writes_nothing(village: Village) -> None:
    rows = [person("LJ-001", "甲"), person("LJ-002", "乙", "户主")]
    before = counts()
    report = roster.import_roster(village, xlsx(rows, HEADERS), actor=None, dry_run=True)
    assert report == {"created": 2, "updated": 0, "unchanged": 0, "households_created": 1,
                      "households_updated": 0, "rows": 2, "dry_run": True}
    db.session.rollback()
    assert counts() == before


def test_a_database_failure_mid_way_leaves_nothing(village: Village, monkeypatch: pytest.MonkeyPatch) -> None:
    real_add = people.add_members

    def add_then_fail(village: Village, items: Any, *, actor: Any) -> list[Member]:
        real_add(village, items[:2], actor=actor)  # two people written, then the database refuses
        raise IntegrityError("INSERT", {}, Exception("uq_people_id_hash"))

    monkeypatch.setattr(people, "add_members", add_then_fail)
    before = counts()
    with pytest.raises(AppError) as info:
        run(village, [person("LJ-005", "甲", "户主"), person("LJ-005", "乙"), person("LJ-001", "丙")])
    assert (info.value.status, info.value.code) == (409, "roster.conflict")
    assert counts() == before  # households, people, members and audit entries of the first rows are gone
    db.session.rollback()
    assert counts() == before


def test_progress_advances_by_rows_in_batches(village: Village) -> None:
    steps: list[int] = []
    rows = [person("LJ-001", f"人{i}") for i in range(250)]
    roster.import_roster(village, xlsx(rows, HEADERS), actor=None, dry_run=True, progress=steps.append)
    assert steps == [100, 100, 50]


def test_checking_a_file_takes_the_same_number_of_queries_whatever_its_size(village: Village) -> None:
    def queries(n: int) -> int:
        data = xlsx([person("LJ-001", f"人{i}") for i in range(n)], HEADERS)
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            roster.import_roster(village, data, actor=None, dry_run=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    queries(1)  # loads what the session has expired since the fixture committed
    assert queries(20) == queries(400) <= 3  # households, members with people, ID numbers known elsewhere


def test_count_rows(tmp_path: Path, village: Village) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx([person("LJ-001", "甲"), None, person("LJ-001", "乙"), None], HEADERS).getvalue())
    assert roster.count_rows(path) == 2
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    assert roster.count_rows(tmp_path / "bad.xlsx") == 0


# ---------------------------------------------------------------- export and round trip


def _snapshot(village: Village) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Member.id, Person.name, Person.phone, Person.id_hash, Member.is_head, Member.relation,
               Member.is_collective_member, Member.status, Household.number, Household.is_tuopin,
               Household.is_jiance, Household.address)
        .join(Person, Person.id == Member.person_id).join(Household, Household.id == Member.household_id)
        .where(Member.village_id == village.id).order_by(Member.id)).all()]


def test_export_shape(village: Village) -> None:
    run(village, [person("LJ-002", "王丽", "配偶", 脱贫户="是", 手机号="13912345678"),
                  person("LJ-002", "王建国", "户主", card=id_card(n=115)), person("LJ-001", "张小明", 状态="已故")])
    wb = load_workbook(roster.export_roster(village))
    ws = wb.active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert all(ws.cell(row=1, column=i).font.b for i in range(1, len(HEADERS) + 1))
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width == 22
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        ("LJ-001", "张大山", "户主"), ("LJ-001", "李秀英", "子女"), ("LJ-001", "张小明", "子女"),
        ("LJ-002", "王建国", "户主"), ("LJ-002", "王丽", "配偶")]
    wang = rows[4]
    assert wang[3] == MASK + id_card(n=115)[-4:]
    assert isinstance(wang[0], int) and wang[0] == member_named("王建国").id
    assert rows[5][5] == "13912345678"  # in full: the export is for the secretary
    assert (wang[6], wang[7], wang[8], wang[9]) == ("是", "在册", "是", "否")
    assert rows[3][7] == "已故"


def test_export_then_import_unchanged_changes_nothing(village: Village) -> None:
    run(village, [person("LJ-002", "王建国", "户主", 脱贫户="是", 住址="二组"),
                  person("LJ-002", "王丽", "配偶", 集体经济组织成员="否", 手机号="13912345678"),
                  person("LJ-001", "张小明", 状态="迁出")])
    snapshot, before = _snapshot(village), counts()

    report = roster.import_roster(village, roster.export_roster(village), actor=None)

    assert report == {"created": 0, "updated": 0, "unchanged": 5, "households_created": 0,
                      "households_updated": 0, "rows": 5, "dry_run": False}
    assert _snapshot(village) == snapshot
    after = counts()
    assert after == {**before, "AuditEntry": before["AuditEntry"] + 1}  # only the import summary


def test_export_edit_import_updates_only_what_was_edited(village: Village) -> None:
    wb = load_workbook(roster.export_roster(village))
    ws = wb.active
    assert ws is not None
    ws["C3"] = "李秀兰"  # 李秀英's name, second data row
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    report = roster.import_roster(village, out, actor=None)
    assert (report["updated"], report["unchanged"], report["created"]) == (1, 1, 0)
    assert member_named("李秀兰").relation == "子女"


# ---------------------------------------------------------------- HTTP


@pytest.fixture
def other_secretary(make: Factory) -> Member:
    other = make.village("HX02", "河西村")
    m = make.member(other, "陈书记", roles=("secretary",))
    db.session.commit()
    return m


def _upload(client: FlaskClient, village: Village, headers: dict[str, str], data: BytesIO,
            **form: str) -> Any:
    return client.post(f"/api/v1/villages/{village.id}/roster/import", headers=headers,
                       data={"file": (data, "roster.xlsx"), **form}, content_type="multipart/form-data")


def test_http_import_as_the_village_secretary(client: FlaskClient, village: Village, make: Factory) -> None:
    headers = make.headers(member_named("张大山"))
    r = _upload(client, village, headers, xlsx([person("LJ-001", "甲"), person("LJ-002", "乙", "户主")], HEADERS))
    assert r.status_code == 200, r.json
    assert r.json == {"created": 2, "updated": 0, "unchanged": 0, "households_created": 1, "households_updated": 0,
                      "rows": 2, "dry_run": False}
    db.session.rollback()
    assert households.household_by_number(village.id, "LJ-002") is not None
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "roster.import")).scalar_one()
    assert summary.actor_person_id == member_named("张大山").person_id


def test_http_import_errors_and_dry_run(client: FlaskClient, village: Village, make: Factory) -> None:
    headers = make.headers(member_named("张大山"))
    before = counts()
    r = _upload(client, village, headers, xlsx([person("LJ-001", ""), person("LJ-404", "乙")], HEADERS))
    assert r.status_code == 422
    assert r.json["error"]["code"] == "roster.invalid"
    assert r.json["error"]["details"]["rows"] == [
        {"row": 2, "field": "姓名", "message": "请填写姓名"},
        {"row": 3, "field": "户号", "message": "户号 LJ-404 不存在；新建户须有一行与户主关系为“户主”"}]
    r = _upload(client, village, headers, xlsx([person("LJ-001", "甲")], HEADERS), dry_run="true")
    assert r.status_code == 200 and r.json["dry_run"] is True and r.json["created"] == 1
    r = _upload(client, village, headers, BytesIO(b"hello"))
    assert r.status_code == 422 and r.json["error"]["code"] == "roster.bad_file"
    db.session.rollback()
    assert counts() == before


def test_http_import_by_a_secretary_of_another_village_is_404(
        client: FlaskClient, village: Village, make: Factory, other_secretary: Member) -> None:
    headers = make.headers(other_secretary)
    before = counts()
    r = _upload(client, village, headers, xlsx([person("LJ-001", "甲")], HEADERS))
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found"
    db.session.rollback()
    assert counts() == before


def test_http_import_by_a_plain_member_of_the_village_is_403(
        client: FlaskClient, village: Village, make: Factory) -> None:
    headers = make.headers(member_named("李秀英"))
    before = counts()
    r = _upload(client, village, headers, xlsx([person("LJ-001", "甲")], HEADERS))
    assert r.status_code == 403
    db.session.rollback()
    assert counts() == before


def test_http_export(client: FlaskClient, village: Village, make: Factory, other_secretary: Member) -> None:
    r = client.get(f"/api/v1/villages/{village.id}/roster.xlsx", headers=make.headers(member_named("张大山")))
    assert r.status_code == 200
    assert r.mimetype == XLSX
    assert "LJ01-roster.xlsx" in r.headers["Content-Disposition"]
    ws = load_workbook(BytesIO(r.data)).active
    assert ws is not None
    assert [c.value for c in ws[2]][1:5] == ["LJ-001", "张大山", MASK + member_named("张大山").person.id_last4,
                                             "户主"]
    assert ws.max_row == 3
    r = client.get(f"/api/v1/villages/{village.id}/roster.xlsx", headers=make.headers(other_secretary))
    assert r.status_code == 404


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_file(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "roster.xlsx"


def test_cli_import(app: Flask, village: Village, cli_file: Path) -> None:
    cli_file.write_bytes(xlsx([person("LJ-001", "甲"), person("LJ-002", "乙", "户主")], HEADERS).getvalue())
    result = app.test_cli_runner().invoke(args=["roster", "import", "LJ01", str(cli_file)])
    assert result.exit_code == 0, result.output
    assert "导入完成：新增 2 人，更新 0 人，未变 0 人，新建 1 户" in result.output
    assert households.household_by_number(village.id, "LJ-002") is not None


def test_cli_dry_run_and_bad_file(app: Flask, village: Village, cli_file: Path) -> None:
    runner = app.test_cli_runner()
    cli_file.write_bytes(xlsx([person("LJ-001", "甲")], HEADERS).getvalue())
    result = runner.invoke(args=["roster", "import", "LJ01", str(cli_file), "--dry-run"])
    assert result.exit_code == 0 and "检查通过（未写入）：新增 1 人" in result.output
    before = counts()
    cli_file.write_bytes(xlsx([person("LJ-001", "甲"), person("LJ-001", "", 手机号="12")], HEADERS).getvalue())
    result = runner.invoke(args=["roster", "import", "LJ01", str(cli_file)])
    assert result.exit_code == 1
    assert "花名册有 1 行有误，整份未导入" in result.stderr
    assert "第3行 姓名：请填写姓名" in result.stderr and "第3行 手机号：手机号应为11位数字" in result.stderr
    cli_file.write_bytes(b"not a workbook")
    result = runner.invoke(args=["roster", "import", "LJ01", str(cli_file)])
    assert result.exit_code == 1 and "无法读取该文件" in result.stderr
    assert counts() == before
