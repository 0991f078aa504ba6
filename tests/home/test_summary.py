"""``GET /me/home``'s ``summary``: one plain sentence for what reached the household this year (dividends paid, land
rent passed on to it, the caller's job pay) and one for each thing still owed to it with its date — rent received
by the village and not yet passed on is owed (待转付), never received; another household's money never counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from backend.core.db import db
from backend.dividends.shares import service as shares
from backend.home import summary
from backend.land import contracts
from tests.dividends.conftest import approving_decision, post_income
from tests.home.test_home import _distribution, world  # noqa: F401  (world: the home screen's 临江村)
from tests.land.conftest import Land, lands, pass_on  # noqa: F401  (lands: a village with parcels and a transferee)

API = "/api/v1"


def _at(now: list[datetime], day: date) -> None:
    now[0] = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in China


def _home(client: Any, make: Any, who: Any) -> dict[str, Any]:
    r = client.get(f"{API}/me/home", headers=make.headers(who))
    assert r.status_code == 200, r.json
    return r.json


def _summary(client: Any, make: Any, who: Any) -> dict[str, Any]:
    return _home(client, make, who)["summary"]


def _pay(client: Any, make: Any, land: Land, c: Any, year_no: int, amount: str, paid_on: str,
         passed_on: bool = True) -> None:
    db.session.expire_all()
    due = contracts.dues_of(c)[year_no - 1]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(land.accountant),
                    json={"due_id": due.id, "amount": amount, "paid_on": paid_on})
    assert r.status_code == 201, r.json
    if passed_on:
        pass_on(client, make, land, r.json["id"], paid_on)


def _cjk(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def _year_end_contract(land: Land, **over: Any) -> Any:
    """Every parcel from 31 December 2025, 800.00 元/亩, each year's rent due by 28 December: the first year's by
    28 December 2025, this year's by 28 December 2026. Household 0 (3.2 mu) is due 2,560.00 a year."""
    return land.contract(start_date=date(2025, 12, 31), end_date=date(2028, 12, 31), signed_on=date(2025, 12, 20),
                          due_month=12, due_day=28, **over)


# ---------------------------------------------------------------- the sentences


def test_nothing_this_year(client, make, lands, now):  # noqa: F811
    _at(now, date(2026, 3, 10))
    body = _home(client, make, lands.heads[0])  # land, but in no contract
    assert body["summary"] == {"received": "今年还没有钱到账。", "owed": ["目前没有待到账的钱。"],
                               "sentences": ["今年还没有钱到账。", "目前没有待到账的钱。"], "owed_total": "0.00",
                               "owed_items": []}
    assert body["money_this_year"]["total"] == "0.00"


def test_all_paid(client, make, lands, now):  # noqa: F811
    _at(now, date(2026, 2, 25))
    c = lands.contract()  # from 1 March 2026, due 1 March
    _at(now, date(2026, 3, 2))
    _pay(client, make, lands, c, 1, "5826.64", "2026-03-02")
    s = _summary(client, make, lands.heads[0])
    assert s["received"] == "今年已到账土地租金 2,560.00 元。"
    assert s["owed"] == ["今年应得的都已到账。"] and s["owed_items"] == [] and s["owed_total"] == "0.00"
    assert s["sentences"] == [s["received"], *s["owed"]]


def test_what_is_owed_says_when_and_whether_the_date_is_past(client, make, lands, now):  # noqa: F811
    _at(now, date(2025, 12, 25))
    c = _year_end_contract(lands)
    _at(now, date(2026, 6, 1))
    s = _summary(client, make, lands.heads[0])
    # last year's rent is past its date; this year's is due by 28 December
    assert s["owed"] == ["还有 2,560.00 元土地租金未到账，合同约定2025年12月28日前付，已过期。",
                         "还有 2,560.00 元土地租金未到账，合同约定12月28日前付。"]
    assert [(i["kind"], i["amount"], i["by"], i["overdue"]) for i in s["owed_items"]] == [
        ("land_rent", "2560.00", "2025-12-28", True), ("land_rent", "2560.00", "2026-12-28", False)]
    assert s["owed_total"] == "5120.00" and s["received"] == "今年还没有钱到账。"
    # last year's paid and passed on today: only this year's is left, with its date
    _pay(client, make, lands, c, 1, "5826.64", "2026-06-01")
    s = _summary(client, make, lands.heads[0])
    assert s["received"] == "今年已到账土地租金 2,560.00 元。"
    assert s["owed"] == ["还有 2,560.00 元土地租金未到账，合同约定12月28日前付。"]
    # part of this year's: what is left is owed, by the same date
    _pay(client, make, lands, c, 2, "2913.32", "2026-06-01")  # half the contract's 5826.64
    s = _summary(client, make, lands.heads[0])
    assert s["received"] == "今年已到账土地租金 3,840.00 元。"
    assert s["owed"] == ["还有 1,280.00 元土地租金未到账，合同约定12月28日前付。"]
    # past the date, it says so
    _at(now, date(2026, 12, 29))
    assert _summary(client, make, lands.heads[0])["owed"] == [
        "还有 1,280.00 元土地租金未到账，合同约定12月28日前付，已过期。"]


def test_rent_awaiting_payout_is_owed_not_received(client, make, lands, now):  # noqa: F811
    _at(now, date(2026, 2, 25))
    c = lands.contract()
    _at(now, date(2026, 3, 2))
    _pay(client, make, lands, c, 1, "5826.64", "2026-03-02", passed_on=False)  # received by the village only
    body = _home(client, make, lands.heads[0])
    s = body["summary"]
    assert body["money_this_year"]["land_rent"] == "0.00"
    assert s["received"] == "今年还没有钱到账。"
    assert s["owed"] == ["村里已代收土地租金 2,560.00 元，待转付到您家。"]
    assert [(i["kind"], i["amount"], i["by"]) for i in s["owed_items"]] == [("rent_awaiting", "2560.00", None)]
    # a part received, none passed on: the part waits, the rest is still owed by its date
    _at(now, date(2027, 2, 20))
    _pay(client, make, lands, c, 2, "2913.32", "2027-02-20", passed_on=False)
    s = _summary(client, make, lands.heads[0])
    assert s["owed"] == ["还有 1,280.00 元土地租金未到账，合同约定3月1日前付。",
                         "村里已代收土地租金 3,840.00 元，待转付到您家。"]
    assert s["owed_total"] == "5120.00"


def test_rent_whose_amount_is_not_known_yet_says_so_with_its_date(client, make, lands, now):  # noqa: F811
    _at(now, date(2026, 2, 25))
    contracts.create_contract(lands.village, contracts.ContractInput(
        number="SW-M", kind="transfer", party_id=lands.party.id, title="稻田流转", start_date=date(2026, 3, 1),
        end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20), rent_kind="in_kind", grain="稻谷",
        price_basis="minimum", lines=[contracts.LineInput(p.id) for p in lands.parcels[:2]],
        periods=[contracts.PeriodInput(1, 3, 500)]), actor=None)
    db.session.commit()
    s = _summary(client, make, lands.heads[0])
    assert s["owed"] == ["土地租金金额待定（待公布2026年稻谷最低收购价），合同约定3月1日前付。"]
    assert [(i["kind"], i["amount"], i["by"]) for i in s["owed_items"]] == [
        ("land_rent_unpriced", None, "2026-03-01")]
    assert s["owed_total"] == "0.00"


def test_another_households_money_never_counts(client, make, lands, now):  # noqa: F811
    _at(now, date(2026, 2, 25))
    c = lands.contract()
    _at(now, date(2026, 3, 2))
    # the whole year's rent received; only household 1's part passed on
    db.session.expire_all()
    due = contracts.dues_of(c)[0]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.accountant),
                    json={"due_id": due.id, "amount": "5826.64", "paid_on": "2026-03-02"})
    assert r.status_code == 201, r.json
    acc = make.headers(lands.accountant)
    items = client.get(f"{API}/land-payments/{r.json['id']}/payouts", headers=acc).json["items"]
    (theirs,) = [i for i in items if i["household_id"] == lands.households[1].id]
    r = client.post(f"{API}/villages/{lands.village.id}/rent-payouts/cash", headers=acc,
                    json={"allocation_id": theirs["allocation_id"], "receiver_name": "张户2", "paid_on": "2026-03-02"})
    assert r.status_code == 201, r.json
    mine = _summary(client, make, lands.heads[0])
    assert mine["received"] == "今年还没有钱到账。"
    assert mine["owed"] == ["村里已代收土地租金 2,560.00 元，待转付到您家。"]
    assert _summary(client, make, lands.heads[1])["received"] == "今年已到账土地租金 600.00 元。"
    assert _summary(client, make, lands.heads[2])["owed"] == ["村里已代收土地租金 2,666.64 元，待转付到您家。"]
    # a member of another village with a household of their own: none of it
    other = make.village("SH02", "石河村")
    stranger = make.member(other, "孙外村", household=make.household(other, "SH-001"), head=True)
    db.session.commit()
    assert _summary(client, make, stranger) == {"received": "今年还没有钱到账。", "owed": ["目前没有待到账的钱。"],
                                                "sentences": ["今年还没有钱到账。", "目前没有待到账的钱。"],
                                                "owed_total": "0.00", "owed_items": []}


def test_dividends_paid_count_and_unpaid_ones_are_owed(world):  # noqa: F811
    """临江村's world (tests/home/test_home.py): the 2025 dividend paid to LJ-005 on 10 March, the 2024 one not."""
    w = world
    s = w.home(w.zhang)["summary"]
    money = w.home(w.zhang)["money_this_year"]
    lines = {i["declaration"]["year"]: i for i in w.get("/api/v1/me/dividends", w.zhang)["items"]}
    paid, unpaid = lines[2025]["amount"], lines[2024]["amount"]
    assert money["dividends"] == paid
    yuan = summary.money_text
    assert s["received"] == (f"今年已到账 {yuan(_fen(money['total']))}：分红 {yuan(_fen(paid))}、"
                             f"土地租金 2,560.00 元、岗位工资 {yuan(_fen(money['job_pay']))}。")
    assert s["owed"] == [f"2024年度分红 {yuan(_fen(unpaid))}待发放。"]
    # his wife: the same household's money and debts, not his job pay
    hers = w.home(w.sun)["summary"]
    assert "岗位工资" not in hers["received"] and hers["owed"] == s["owed"]
    # the neighbour's household: its own dividends only (none paid), its own rent
    theirs = w.home(w.neighbour)["summary"]
    assert theirs["received"] == "今年已到账土地租金 600.00 元。"
    assert len(theirs["owed"]) == 2 and all("待发放" in x for x in theirs["owed"]) and unpaid not in theirs["owed"]
    # the 2024 dividend paid now: it is received, and nothing is left
    w.pay_dividend(2024, [w.zhang.household_id])
    after = w.home(w.zhang)["summary"]
    assert after["owed"] == ["今年应得的都已到账。"] and "分红" in after["received"]
    # job pay recorded and not yet paid is owed to him
    w.at(datetime(2026, 4, 30, 2, tzinfo=UTC))
    r = w.client.post(f"/api/v1/job-hires/{w.hire_id}/pay", headers=w.h(w.secretary),
                      json={"month": "2026-04", "days_worked": 20})
    assert r.status_code == 201, r.json
    owed = w.home(w.zhang)["summary"]["owed_items"]
    assert [(i["kind"], i["amount"]) for i in owed] == [("job_pay", r.json["amount"])]
    # township staff have no household: no summary
    assert w.home(w.staff)["summary"] is None


def _fen(text: str) -> int:
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0"))


def test_a_dividend_in_its_publicity_says_until_when(client, make, now):
    _at(now, date(2026, 3, 2))
    village = make.village("LJ01", "临江村")
    secretary = make.member(village, "王建国", roles=("secretary",))
    home = make.household(village, "LJ-005")
    head = make.member(village, "张大山", household=home, head=True)
    member_type = shares.create_share_type(village, shares.ShareTypeInput("member", "成员股", per_person=1),
                                           actor=None)
    shares.record_event(village, shares.EventInput("initial", date(2025, 1, 1), changes=[
        shares.ChangeInput(member_type.id, 1, head.household_id, head.id)]), actor=None)
    post_income(village, date(2025, 6, 30), 10_000_00)
    decision_id = approving_decision(village)
    db.session.commit()
    w = SimpleNamespace(client=client, village=village, secretary=secretary, h=make.headers)
    did = _distribution(w, 2025, date(2025, 1, 2), decision_id)
    r = client.get(f"{API}/distributions/{did}", headers=make.headers(secretary))
    until = date.fromisoformat(r.json["publicity_until"])
    assert until >= date(2026, 3, 2)
    s = _summary(client, make, head)
    (item,) = s["owed_items"]
    assert item["kind"] == "dividend" and item["by"] == until.isoformat()
    assert s["owed"] == [f"2025年度分红 {summary.money_text(_fen(item['amount']))}公示到{until.month}月{until.day}日，"
                         "之后发放。"]
    # once the 公示 is over, it is waiting to be paid
    _at(now, until + timedelta(days=1))
    assert _summary(client, make, head)["owed"] == [f"2025年度分红 {summary.money_text(_fen(item['amount']))}待发放。"]


def test_each_sentence_is_short(client, make, lands, now):  # noqa: F811
    _at(now, date(2025, 12, 25))
    c = _year_end_contract(lands)
    _at(now, date(2026, 6, 1))
    _pay(client, make, lands, c, 2, "1000.00", "2026-06-01", passed_on=False)
    s = _summary(client, make, lands.heads[0])
    assert len(s["sentences"]) == 4
    assert all(_cjk(x) <= 30 for x in s["sentences"]), [(_cjk(x), x) for x in s["sentences"]]
    assert summary.received_sentence(123456_78, 2560_00, 600_00) == \
        "今年已到账 126,616.78 元：分红 123,456.78 元、土地租金 2,560.00 元、岗位工资 600.00 元。"
    assert _cjk(summary.received_sentence(1, 1, 1)) <= 30
