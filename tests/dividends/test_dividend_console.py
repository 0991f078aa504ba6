"""What the console's 分红 screens need beyond the flow itself: the buckets' amounts before a plan exists, the
decisions a plan may rest on, the list sorted and as the board shows it, the payments with their vouchers, the
households to pick by name, a household's events, and an account number that starts with 0 in the bank sheet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from backend.core.clock import today
from backend.core.db import db
from backend.dividends.shares import service as shares
from tests.dividends.conftest import approving_decision
from tests.factories import resolved_decision


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _plan(client, h, books) -> int:
    body = {"year": books.year, "title": f"{books.year}年度收益分配方案", "components": [{"kind": "equity"}]}
    r = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=h)
    assert r.status_code == 201, r.json
    return r.json["id"]


# ---------------------------------------------------------------- the plan's form


def test_the_preview_splits_the_years_income_by_the_villages_buckets(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    put = client.put(f"/api/v1/villages/{vid}/dividend-template", headers=acc, json={"buckets": [
        {"name": "提取公积公益金", "kind": "retain", "percent": "40", "account_code": "311"},
        {"name": "福利费", "kind": "retain", "percent": "30", "account_code": "311"},
        {"name": "股金分红", "kind": "dividend", "percent": "30"}]})
    assert put.status_code == 200, put.json
    r = client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}", headers=acc)
    assert r.status_code == 200, r.json
    p = r.json
    assert p["distributable"] == p["available"] == "90000.00" and p["can_distribute"] is True
    assert [(b["name"], b["percent"], b["amount"]) for b in p["buckets"]] == [
        ("提取公积公益金", "40%", "36000.00"), ("福利费", "30%", "27000.00"), ("股金分红", "30%", "27000.00")]
    assert p["dividend_pool"] == "27000.00" and p["min_retain_percent"] == 30

    # an amount excluded (征地补偿费) comes off first; the parts still add up to the fen
    p = client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}&excluded=0.01", headers=acc).json
    assert p["distributable"] == "89999.99"
    assert sum(_fen(b["amount"]) for b in p["buckets"]) == 89999_99

    # the preview is what the computation then books
    did = _plan(client, acc, books)
    r = client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=acc)
    assert [b["amount"] for b in r.json["buckets"]] == ["36000.00", "27000.00", "27000.00"]


def test_the_preview_refuses_a_future_year_and_says_when_nothing_can_be_distributed(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    r = client.get(f"/api/v1/villages/{vid}/distribution-preview?year={today().year + 1}", headers=acc)
    assert r.status_code == 422 and r.json["error"]["code"] == "dividend.year_invalid"
    r = client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}&excluded=-1", headers=acc)
    assert r.status_code == 422
    p = client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}&excluded=90000", headers=acc).json
    assert p["distributable"] == "0.00" and p["can_distribute"] is False
    assert all(b["amount"] == "0.00" for b in p["buckets"])
    # readers may look; villagers and other villages may not
    assert client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}",
                      headers=make.headers(books.supervisor)).status_code == 200
    assert client.get(f"/api/v1/villages/{vid}/distribution-preview?year={books.year}",
                      headers=make.headers(books.villager)).status_code == 403


def test_only_resolved_decisions_of_the_members_assemblies_are_offered(client, make, books):
    vid = books.village.id
    rep = approving_decision(books.village, body="members_rep_assembly")
    approving_decision(books.village, body="villagers_meeting")  # a 村民会议 cannot approve a distribution
    later = approving_decision(books.village, resolved_on=today() + timedelta(days=1))  # not yet
    open_one = resolved_decision(books.village.id, "还在表决的方案", "other", None, today())
    open_one.status, open_one.resolved_on, open_one.decision_body = "in_progress", None, "members_assembly"
    db.session.commit()
    r = client.get(f"/api/v1/villages/{vid}/distribution-decisions", headers=make.headers(books.accountant))
    assert r.status_code == 200, r.json
    ids = [d["id"] for d in r.json["items"]]
    assert sorted(ids) == sorted([books.decision_id, rep]) and later not in ids and open_one.id not in ids
    by_id = {d["id"]: d for d in r.json["items"]}
    assert by_id[rep]["body_label"] == "成员代表大会" and by_id[books.decision_id]["body_label"] == "成员大会"
    assert by_id[rep]["title"] == "年度收益分配方案" and by_id[rep]["resolved_on"] == today().isoformat()
    assert client.get(f"/api/v1/villages/{vid}/distribution-decisions",
                      headers=make.headers(books.villager)).status_code == 403


# ---------------------------------------------------------------- the list


def test_the_list_sorts_by_amount_and_shows_the_board_its_masked_form(client, make, books):
    acc = make.headers(books.accountant)
    did = _plan(client, acc, books)
    client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=acc)
    rows = client.get(f"/api/v1/distributions/{did}/lines?sort=-amount", headers=acc).json["items"]
    amounts = [_fen(r["amount"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True) and len(rows) == 4
    assert rows[0]["household_number"] == "LJ-101" and rows[0]["head_name"] == "张10"  # 3 成员股 + 2 劳龄股
    up = client.get(f"/api/v1/distributions/{did}/lines?sort=shares", headers=acc).json["items"]
    assert [r["shares"] for r in up] == sorted(r["shares"] for r in up)
    bad = client.get(f"/api/v1/distributions/{did}/lines?sort=id", headers=acc)
    assert bad.status_code == 422

    masked = client.get(f"/api/v1/distributions/{did}/lines?masked=true", headers=acc).json["items"]
    first = masked[0]
    assert first["head_name"] != "张10" and first["head_name"].startswith("张") and "*" in first["head_name"]
    assert not {"by_member", "household_id", "head_id"} & set(first)  # no ids, no member names, no ID number
    assert sum(_fen(r["amount"]) for r in masked) == sum(amounts)


# ---------------------------------------------------------------- payout


def test_the_payments_list_shows_each_batch_with_its_voucher(client, make, books, now):
    acc = make.headers(books.accountant)
    h = books.households
    did = _plan(client, acc, books)
    client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=acc)
    client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=acc)
    url = f"/api/v1/distributions/{did}/payments"
    assert client.get(url, headers=acc).json == {"accrual_voucher": None, "items": []}
    now[0] = now[0] + timedelta(days=8)
    acc = make.headers(books.accountant)  # a new session: a week has passed
    assert client.post(f"/api/v1/distributions/{did}/payout", headers=acc).status_code == 200
    r = client.post(url, headers=acc, json={"household_ids": [h[0].id, h[1].id], "method": "bank",
                                            "paid_on": today().isoformat(), "reference": "批量代发 01"})
    assert r.status_code == 201, r.json
    listing = client.get(url, headers=make.headers(books.supervisor)).json  # the supervisor follows it
    acc_v = listing["accrual_voucher"]
    assert acc_v["status"] == "posted" and acc_v["number"] and _fen(acc_v["total"]) == 90000_00
    (batch,) = listing["items"]
    assert batch["method_label"] == "银行代发" and batch["count"] == 2 and batch["reference"] == "批量代发 01"
    assert batch["voucher"]["status"] == "posted" and batch["voucher"]["total"] == batch["total"]
    assert batch["voucher"]["number"] != acc_v["number"]
    # a failed transfer is simply not marked: that household stays unpaid and is in the next bank sheet
    plan = client.get(f"/api/v1/distributions/{did}", headers=acc).json
    assert plan["paid_households"] == 2 and plan["status"] == "paying"
    assert client.get(url, headers=make.headers(books.villager)).status_code == 403


def test_an_account_number_starting_with_zero_stays_text_in_the_bank_sheet(client, make, books, now):
    h = books.households
    shares.set_payee(books.village, h[0].id, "张10", "某村镇银行", "0012345678901234", actor=None)
    db.session.commit()
    acc = make.headers(books.accountant)
    did = _plan(client, acc, books)
    client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=acc)
    client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=acc)
    now[0] = now[0] + timedelta(days=8)
    acc = make.headers(books.accountant)
    assert client.post(f"/api/v1/distributions/{did}/payout", headers=acc).status_code == 200
    wb = load_workbook(BytesIO(client.get(f"/api/v1/distributions/{did}/bank-batch.xlsx", headers=acc).data))
    ws = wb["银行代发"]
    assert ws["E2"].value == "0012345678901234" and ws["E2"].data_type == "s"
    # every household is on one of the two sheets: their totals are the plan's households' total
    plan = client.get(f"/api/v1/distributions/{did}", headers=acc).json
    bank_total = list(ws.iter_rows(values_only=True))[-1][5]
    cash_total = list(wb["缺少账户"].iter_rows(values_only=True))[-1][3]
    assert _fen(str(bank_total)) + _fen(str(cash_total)) == _fen(plan["total"])


# ---------------------------------------------------------------- the register


def test_households_are_found_by_number_or_a_members_name(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    r = client.get(f"/api/v1/villages/{vid}/share-households?q=张21", headers=acc)
    assert r.status_code == 200
    assert [x["number"] for x in r.json["items"]] == ["LJ-102"]
    assert [m["name"] for m in r.json["items"][0]["members"]] == ["张20", "张21"]
    assert [x["number"] for x in client.get(f"/api/v1/villages/{vid}/share-households?q=LJ-10",
                                            headers=acc).json["items"]][:4] == ["LJ-101", "LJ-102", "LJ-103",
                                                                                "LJ-104"]
    assert client.get(f"/api/v1/villages/{vid}/share-households?q=无此人", headers=acc).json["items"] == []
    assert client.get(f"/api/v1/villages/{vid}/share-households", headers=make.headers(books.villager)).status_code \
        == 403


def test_a_households_events_with_names(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    h, m = books.households, books.members
    body = {"kind": "transfer", "effective_on": today().isoformat(), "note": "内部转让",
            "changes": [{"share_type_id": books.labor_type.id, "delta": -1, "household_id": h[0].id,
                         "member_id": m[0][0].id},
                        {"share_type_id": books.labor_type.id, "delta": 1, "household_id": h[2].id,
                         "member_id": m[2][0].id}]}
    r = client.post(f"/api/v1/villages/{vid}/share-events", json=body, headers=acc)
    assert r.status_code == 201, r.json
    assert [(c["household_number"], c["member_name"], c["share_type_name"], c["delta"]) for c in r.json["changes"]] \
        == [("LJ-101", "张10", "劳龄股", -1), ("LJ-103", "张30", "劳龄股", 1)]
    third = client.get(f"/api/v1/villages/{vid}/share-events?household_id={h[2].id}", headers=acc).json
    assert [e["kind"] for e in third["items"]] == ["transfer", "initial"]
    fourth = client.get(f"/api/v1/villages/{vid}/share-events?household_id={h[3].id}", headers=acc).json
    assert [e["kind"] for e in fourth["items"]] == ["initial"]
    # a death concerns the household through its member, with no change of shares (static charter)
    r = client.post(f"/api/v1/villages/{vid}/share-events", headers=acc, json={
        "kind": "death", "effective_on": today().isoformat(), "member_id": m[3][1].id})
    assert r.status_code == 201, r.json
    fourth = client.get(f"/api/v1/villages/{vid}/share-events?household_id={h[3].id}", headers=acc).json
    assert [(e["kind"], e["member_name"]) for e in fourth["items"]] == [("death", "张41"), ("initial", None)]
    other = make.household(make.village("XZ02", "新竹村"), "XZ-901")
    db.session.commit()
    assert client.get(f"/api/v1/villages/{vid}/share-events?household_id={other.id}", headers=acc).status_code == 404


# ---------------------------------------------------------------- a plan written with its date and decision


def test_a_plan_states_its_record_date_and_decision_and_is_computed_and_published_on_them(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    base = {"year": books.year, "title": "方案", "components": [{"kind": "equity"}]}
    rec = today() - timedelta(days=3)
    village_meeting = approving_decision(books.village, body="villagers_meeting")
    db.session.commit()
    refused = [
        ({"record_date": (today() + timedelta(days=1)).isoformat()}, 422, "dividend.record_date", "record_date"),
        ({"record_date": f"{books.year - 1}-12-31"}, 422, "dividend.record_date", "record_date"),
        ({"decision_id": 999_999}, 422, "dividend.decision_unknown", "decision_id"),
        ({"decision_id": village_meeting}, 409, "dividend.decision_body", None),
    ]
    for extra, status, code, field in refused:
        r = client.post(f"/api/v1/villages/{vid}/distributions", json={**base, **extra}, headers=acc)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (extra, r.json)
        if field:
            assert field in r.json["error"]["details"]["fields"]
    assert client.get(f"/api/v1/villages/{vid}/distributions", headers=acc).json["total"] == 0  # nothing made

    r = client.post(f"/api/v1/villages/{vid}/distributions", headers=acc,
                    json={**base, "record_date": rec.isoformat(), "decision_id": books.decision_id})
    assert r.status_code == 201, r.json
    plan = r.json
    assert (plan["record_date"], plan["decision_id"], plan["decision_title"]) == \
        (rec.isoformat(), books.decision_id, "年度收益分配方案")
    did = plan["id"]
    r = client.post(f"/api/v1/distributions/{did}/compute", json={}, headers=acc)
    assert r.status_code == 200 and r.json["record_date"] == rec.isoformat(), r.json
    r = client.post(f"/api/v1/distributions/{did}/publish", json={}, headers=acc)
    assert r.status_code == 200 and r.json["status"] == "published", r.json
    assert r.json["decision_resolved_on"] == today().isoformat()


def test_computing_a_plan_without_a_record_date_asks_for_one_at_the_field(client, make, books):
    acc = make.headers(books.accountant)
    did = _plan(client, acc, books)
    r = client.post(f"/api/v1/distributions/{did}/compute", json={}, headers=acc)
    assert r.status_code == 422 and r.json["error"]["details"]["fields"] == {"record_date": "请填写股权登记日"}
    assert client.get(f"/api/v1/distributions/{did}", headers=acc).json["status"] == "draft"


# ---------------------------------------------------------------- 继承


def test_an_inheritance_moves_a_deceased_holders_shares_to_an_heir(client, make, books):
    acc = make.headers(books.accountant)
    vid = books.village.id
    h, m = books.households, books.members
    deceased, heir = m[0][0], m[0][1]  # 张10 holds 1 成员股 and 2 劳龄股
    url = f"/api/v1/villages/{vid}/share-events"
    moves = [{"share_type_id": books.labor_type.id, "delta": -2, "household_id": h[0].id, "member_id": deceased.id},
             {"share_type_id": books.labor_type.id, "delta": 2, "household_id": h[0].id, "member_id": heir.id}]
    on = today().isoformat()
    refused = [
        ({"member_id": None, "changes": moves}, "share.inherit_member"),  # whose shares: the deceased is named
        ({"member_id": deceased.id, "changes": moves[:1]}, "share.transfer_unbalanced"),
        ({"member_id": deceased.id, "changes": [moves[0], {**moves[1], "delta": 1}]}, "share.transfer_unbalanced"),
        ({"member_id": deceased.id, "changes": [{**moves[0], "delta": -3}, {**moves[1], "delta": 3}]},
         "share.insufficient"),  # more than the deceased held
    ]
    for extra, code in refused:
        r = client.post(url, json={"kind": "inherit", "effective_on": on, **extra}, headers=acc)
        assert r.status_code in (409, 422) and r.json["error"]["code"] == code, (extra, r.json)
    assert client.get(url, headers=acc).json["total"] == 1  # only the initial entry

    r = client.post(url, headers=acc, json={"kind": "inherit", "effective_on": on, "member_id": deceased.id,
                                            "note": "张10去世，劳龄股由张11继承", "changes": moves})
    assert r.status_code == 201, r.json
    assert (r.json["kind_label"], r.json["member_name"]) == ("继承", "张10")
    reg = client.get(f"/api/v1/villages/{vid}/share-register", headers=acc).json
    row = next(x for x in reg["items"] if x["household_number"] == "LJ-101")
    held = {x["name"]: {s["code"]: s["shares"] for s in x["shares_by_type"]} for x in row["members"]}
    assert held["张10"] == {"member": 1} and held["张11"] == {"member": 1, "labor": 2}
    assert reg["total_shares"] == 11  # an inheritance moves shares, it makes none


def test_the_database_knows_the_inheritance_kind_and_refuses_others(app, books):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    db.session.execute(text("INSERT INTO share_events (village_id, kind, effective_on, created_at) "
                            "VALUES (:v, 'inherit', :d, :t)"), {"v": books.village.id, "d": today(), "t": today()})
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("INSERT INTO share_events (village_id, kind, effective_on, created_at) "
                                "VALUES (:v, 'gift', :d, :t)"), {"v": books.village.id, "d": today(), "t": today()})
    db.session.rollback()
