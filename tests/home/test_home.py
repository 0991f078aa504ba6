"""``GET /me/home``: the mini-program's home screen in one request — who the caller is, their notices, their open
votes, the village's newest disclosure and the money that reached their household this calendar year (Asia/
Shanghai) — agreeing with the per-domain screens, in a number of SQL statements that does not grow with the data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from backend import disclosures, land, registry
from backend.core.db import db
from backend.core.shared_pages import READS_EXTENSION
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.dividends.shares import service as shares
from backend.land import payouts
from backend.land.models import RentAllocation
from backend.ledger import service as ledger
from backend.registry.models import Member, Person, Village
from tests.dividends.conftest import approving_decision, post_income
from tests.factories import Factory, id_card
from tests.jobs.conftest import Jobs
from tests.notices.conftest import bind
from tests.statements import cold_get

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in 临江村
HOME = "/api/v1/me/home"


@dataclass
class World:
    client: Any
    make: Factory
    now: list[datetime]
    village: Village
    zhang: Member  # 张大山, head of LJ-005
    sun: Member  # 孙红, his wife (same household)
    neighbour: Member  # head of LJ-006
    secretary: Member
    accountant: Member
    supervisor: Member
    staff: Person  # 郑雯, township staff (no roster entry)
    jobs: Jobs
    decision_id: int
    distributions: dict[int, int]  # year → id
    contract: Any
    hire_id: int
    extra: dict[str, Any]

    def h(self, who: Any) -> dict[str, str]:
        return self.make.headers(who)

    def at(self, when: datetime) -> None:
        self.now[0] = when

    def home(self, who: Any) -> dict[str, Any]:
        r = self.client.get(HOME, headers=self.h(who))
        assert r.status_code == 200, r.json
        return r.json

    def get(self, path: str, who: Any) -> Any:
        r = self.client.get(path, headers=self.h(who))
        assert r.status_code == 200, (path, r.json)
        return r.json

    # ------------------------------------------------------------ things that happen

    def notice(self, *, township: bool = False, pinned: bool = False, title: str = "村通知", **body: Any) -> int:
        if township:
            path, who = f"/api/v1/townships/{self.village.township_id}/notices", self.staff
        else:
            path, who = f"/api/v1/villages/{self.village.id}/notices", self.secretary
        r = self.client.post(path, headers=self.h(who), json={"title": title, "body": "请相互转告。", "pinned": pinned,
                                                               **body})
        assert r.status_code == 201, r.json
        return int(r.json["id"])

    def read(self, notice_id: int, who: Any) -> None:
        assert self.client.post(f"/api/v1/notices/{notice_id}/read", headers=self.h(who)).status_code == 204

    def vote(self, title: str = "村道修缮方案表决", days: int = 120) -> int:
        d = db.session.get(Decision, self.decision_id)
        now = self.now[0]
        v = votes.open_vote(d, stage="决议", body="villagers_meeting", title=title, opens_at=now,
                            closes_at=now + timedelta(days=days), actor=None)
        db.session.commit()
        return v.id

    def ballot(self, vote_id: int, who: Any, choice: str = "agree") -> None:
        r = self.client.post(f"/api/v1/votes/{vote_id}/ballots", headers=self.h(who), json={"choice": choice})
        assert r.status_code == 201, r.json

    def pay_dividend(self, year: int, household_ids: list[int]) -> None:
        r = self.client.post(f"/api/v1/distributions/{self.distributions[year]}/payments",
                             headers=self.h(self.secretary),
                             json={"household_ids": household_ids, "method": "cash",
                                   "paid_on": self.now[0].date().isoformat()})
        assert r.status_code == 201, r.json

    def pay_rent(self, year_no: int, amount_fen: int | None = None) -> None:
        due = next(d for d in land.dues_of(self.contract) if d.year_no == year_no)
        total = land.due_total(due)
        assert total is not None
        result = land.record_payment(self.contract, land.PaymentInput(due.id, amount_fen or total - due.paid_fen,
                                                                      self.now[0].date()),
                                     idempotency_key=None, actor=None)
        # rent is the household's once passed on (land.payouts): each part handed over in cash the same day
        village = registry.get_village(self.contract.village_id)
        for a in db.session.execute(select(RentAllocation).where(
                RentAllocation.payment_id == result.payment.id, RentAllocation.amount_fen > 0)).scalars():
            payouts.pay_cash(village, a.id, "户主", self.now[0].date(), idempotency_key=None, actor=None)
        db.session.commit()

    def job_month(self, month: str, days_worked: int = 20) -> None:
        # days worked are at most the month's days inside the hire's term (job.days_invalid)
        r = self.client.post(f"/api/v1/job-hires/{self.hire_id}/pay", headers=self.h(self.secretary),
                             json={"month": month, "days_worked": days_worked})
        assert r.status_code == 201, r.json
        r = self.client.post(f"/api/v1/villages/{self.village.id}/job-pay", headers=self.h(self.secretary),
                             json={"month": month, "paid_on": self.now[0].date().isoformat()})
        assert r.status_code == 200, r.json


def _distribution(w: World, year: int, record_date: date, decision_id: int) -> int:
    sec = w.h(w.secretary)
    r = w.client.post(f"/api/v1/villages/{w.village.id}/distributions", headers=sec,
                      json={"year": year, "title": f"{year}年度收益分配方案", "components": [{"kind": "equity"}]})
    assert r.status_code == 201, r.json
    did = int(r.json["id"])
    r = w.client.post(f"/api/v1/distributions/{did}/compute", headers=sec,
                      json={"record_date": record_date.isoformat()})
    assert r.status_code == 200, r.json
    r = w.client.post(f"/api/v1/distributions/{did}/publish", headers=sec, json={"decision_id": decision_id})
    assert r.status_code == 200, r.json
    return did


@pytest.fixture
def world(client, make, now, wechat) -> Iterator[World]:
    """临江村 on 2 March 2026: 张大山 (LJ-005, with 孙红) has shares, two parcels in a transfer contract, and takes a
    public-benefit job. By 31 March 2026: the 2024 and 2025 dividends published and open for payment, the 2025 one
    paid to LJ-005 on 10 March; the first year's rent (due 1 March) paid on 10 March; his March job pay paid on
    31 March; January's disclosure published; a township notice (pinned) and a village notice; one open vote."""
    now[0] = T0
    qs = make.township("QS", "青山镇")
    village = make.village("LJ01", "临江村", township=qs)
    ledger.ensure_chart(village)
    secretary = make.member(village, "王建国", id_no=id_card(born=date(1970, 5, 5)), roles=("secretary",))
    accountant = make.member(village, "李秀英", roles=("accountant",))
    supervisor = make.member(village, "赵德明", roles=("supervisor",))
    lj5 = make.household(village, "LJ-005")
    zhang = make.member(village, "张大山", household=lj5, head=True, id_no=id_card(born=date(1972, 4, 15)))
    sun = make.member(village, "孙红", household=lj5, head=False, id_no=id_card(born=date(1974, 8, 1), female=True))
    lj6 = make.household(village, "LJ-006")
    neighbour = make.member(village, "刘建华", household=lj6, head=True)
    staff = make.staff(qs, "郑雯")
    for who, openid in ((secretary.person_id, "o-wangjianguo"), (staff.id, "o-zhengwen")):
        bind(who, openid)

    # the share register since 2024 and two years of income: 2024 and 2025 can each be distributed
    member_type = shares.create_share_type(village, shares.ShareTypeInput("member", "成员股", per_person=1), actor=None)
    changes = [shares.ChangeInput(member_type.id, 1, m.household_id, m.id) for m in (zhang, sun, neighbour)]
    shares.record_event(village, shares.EventInput("initial", date(2024, 1, 1), changes=changes), actor=None)
    post_income(village, date(2024, 6, 30), 20_000_00)
    post_income(village, date(2025, 6, 30), 60_000_00, 10_000_00)
    decision_id = approving_decision(village)
    # January's books, closed and disclosed
    v = ledger.create_voucher(village, ledger.VoucherInput(date(2026, 1, 5), "收门面租金", [
        ledger.LineInput("102", debit_fen=1_500_00), ledger.LineInput("501002", credit_fen=1_500_00)]), actor=None)
    ledger.post_voucher(v, actor=None)
    ledger.close_period(village, "2026-01", actor=None)
    d, _ = disclosures.draft_disclosure(village, "2026-01", None, actor=make.principal(accountant))
    disclosures.approve(d, actor=make.principal(supervisor))
    disclosures.publish(d, actor=make.principal(secretary))
    # LJ-005's 1.20 mu and 2.00 mu and LJ-006's 0.75 mu, transferred at 800.00 元/亩 from 1 March 2026
    parcels = [land.create_parcel(village, land.ParcelInput(code, name, mu4, household_id=hid,
                                                            contract_until=date(2057, 12, 31)), actor=None)
               for code, name, mu4, hid in (("LJ-D001", "东坡地", 12000, lj5.id), ("LJ-D002", "河湾地", 20000, lj5.id),
                                            ("LJ-D003", "塘埂地", 7500, lj6.id))]
    party = land.create_party(village, land.PartyInput("cooperative", "荣联农业合作社",
                                                       credit_code="93371427MA3C000011"), actor=None)
    contract = land.create_contract(village, land.ContractInput(
        number="LZ-2026-001", kind="transfer", party_id=party.id, title="东坡片区土地流转", start_date=date(2026, 3, 1),
        end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20),
        lines=[land.LineInput(p.id) for p in parcels], periods=[land.PeriodInput(1, 3, 800_00)]), actor=None)
    db.session.commit()

    jobs = Jobs(client, make, now, qs, village, secretary)
    w = World(client, make, now, village, zhang, sun, neighbour, secretary, accountant, supervisor, staff, jobs,
              decision_id, {}, contract, 0, {})

    w.distributions[2024] = _distribution(w, 2024, date(2024, 1, 2), decision_id)
    w.distributions[2025] = _distribution(w, 2025, date(2025, 1, 2), decision_id)
    w.at(T0 + timedelta(days=8))  # 10 March: the 公示 is over
    for did in w.distributions.values():
        r = client.post(f"/api/v1/distributions/{did}/payout", headers=w.h(secretary))
        assert r.status_code == 200, r.json
    w.pay_dividend(2025, [lj5.id])
    w.pay_rent(1)

    # a job: the posting opens on 10 March, 张大山 is hired from 24 March, March is paid on 31 March
    pid = jobs.posting(positions=1)
    jobs.applied(pid, zhang)
    w.hire_id = int(jobs.hired(pid, start_on=date(2026, 3, 24))[0]["id"])
    w.at(datetime(2026, 3, 31, 2, tzinfo=UTC))
    w.job_month("2026-03", days_worked=8)  # 24–31 March

    w.extra["township_notice"] = w.notice(township=True, pinned=True, title="关于春耕防火的通知")
    w.extra["village_notice"] = w.notice(title="村务公开栏更新")
    w.extra["vote"] = w.vote()
    yield w


def _yuan(s: str) -> Decimal:
    return Decimal(s)


def _paid_in(items: list[dict[str, Any]], year: int, amount: str = "amount") -> Decimal:
    return sum((_yuan(i[amount]) for i in items if i.get("paid_on") and i["paid_on"][:4] == str(year)), Decimal(0))


# ---------------------------------------------------------------- the rule, and agreement with each screen


def test_home_shows_the_caller_and_agrees_with_every_screen(world):
    w = world
    home = w.home(w.zhang)
    me = w.get("/api/v1/me", w.zhang)
    assert home["member"] == me["member"] == {"id": w.zhang.id, "name": "张大山", "household_id": w.zhang.household_id}
    assert home["village"] == me["village"] and home["village"]["name"] == "临江村"
    assert home["township"]["name"] == "青山镇" and home["roles"] == me["roles"]

    # notices: the list /me/notices shows, pinned first
    mine = w.get("/api/v1/me/notices?page_size=100", w.zhang)["items"]
    assert home["unread_notices"] == sum(1 for n in mine if not n["read"]) == 2
    first = mine[0]
    assert home["latest_notice"] == {k: first[k] for k in home["latest_notice"]}
    assert home["latest_notice"]["id"] == w.extra["township_notice"] and home["latest_notice"]["pinned"] is True
    assert home["latest_notice"]["source"] == "township" and home["latest_notice"]["read"] is False
    w.read(w.extra["township_notice"], w.zhang)
    again = w.home(w.zhang)
    assert again["unread_notices"] == 1 and again["latest_notice"]["read"] is True

    # votes: exactly /me/votes, before and after voting
    assert home["open_votes"] == w.get("/api/v1/me/votes", w.zhang)
    assert [(v["id"], v["has_voted"]) for v in home["open_votes"]] == [(w.extra["vote"], False)]
    w.ballot(w.extra["vote"], w.zhang)
    assert w.home(w.zhang)["open_votes"] == w.get("/api/v1/me/votes", w.zhang) != home["open_votes"]

    # the disclosure: the first of the village's list
    listed = w.get(f"/api/v1/villages/{w.village.id}/disclosures", w.zhang)["items"][0]
    assert home["latest_disclosure"] == {k: listed[k] for k in home["latest_disclosure"]}
    assert home["latest_disclosure"]["period"] == "2026-01" and len(home["latest_disclosure"]["seal"]) == 64

    # money: what /me/dividends, /me/land/rent-history and /me/job-pay say was paid in 2026
    money = home["money_this_year"]
    dividends = w.get("/api/v1/me/dividends?page_size=100", w.zhang)["items"]
    history = w.get("/api/v1/me/land/rent-history?page_size=100", w.zhang)["items"]
    pay = w.get("/api/v1/me/job-pay?page_size=100", w.zhang)["items"]
    assert money["year"] == 2026
    assert _yuan(money["dividends"]) == _paid_in(dividends, 2026) > 0
    assert [i["status"] for i in dividends] == ["paid", "announced"]  # 2025 paid in March, 2024 not yet
    assert _yuan(money["land_rent"]) == _paid_in(history, 2026, "paid") == Decimal("2560.00")  # 3.2 mu × 800
    assert _yuan(money["job_pay"]) == _paid_in(pay, 2026) > 0
    assert _yuan(money["total"]) == _yuan(money["dividends"]) + _yuan(money["land_rent"]) + _yuan(money["job_pay"])
    assert all(s == f"{_yuan(s):.2f}" for s in (money["dividends"], money["land_rent"], money["job_pay"]))
    # his wife sees the same household's money, without his job pay
    hers = w.home(w.sun)["money_this_year"]
    assert (hers["dividends"], hers["land_rent"], hers["job_pay"]) == (money["dividends"], money["land_rent"], "0.00")


def test_last_years_dividend_paid_this_year_counts_and_only_what_was_paid(world):
    w = world
    before = w.home(w.zhang)["money_this_year"]
    # the 2024 dividend, declared long ago, paid now: it is this year's money
    w.pay_dividend(2024, [w.zhang.household_id])
    after = w.home(w.zhang)["money_this_year"]
    lines = {i["declaration"]["year"]: i for i in w.get("/api/v1/me/dividends", w.zhang)["items"]}
    assert lines[2024]["status"] == "paid" and lines[2024]["amount"] != "0.00"
    assert _yuan(after["dividends"]) == _yuan(before["dividends"]) + _yuan(lines[2024]["amount"])
    # a month recorded but not yet paid is not money received
    w.at(datetime(2026, 4, 30, 2, tzinfo=UTC))
    r = w.client.post(f"/api/v1/job-hires/{w.hire_id}/pay", headers=w.h(w.secretary),
                      json={"month": "2026-04", "days_worked": 20})
    assert r.status_code == 201, r.json
    assert w.home(w.zhang)["money_this_year"]["job_pay"] == after["job_pay"]


def test_money_of_a_previous_year_is_not_counted(world):
    w = world
    paid_2026 = w.home(w.zhang)["money_this_year"]
    assert paid_2026["total"] != "0.00"
    w.at(datetime(2027, 1, 5, 2, tzinfo=UTC))
    home = w.home(w.zhang)
    assert home["money_this_year"] == {"year": 2027, "dividends": "0.00", "land_rent": "0.00", "job_pay": "0.00",
                                       "total": "0.00"}
    # the screens still show the money, dated last year
    assert _paid_in(w.get("/api/v1/me/dividends", w.zhang)["items"], 2026) == _yuan(paid_2026["dividends"])


def test_the_year_is_the_calendar_year_in_china(world):
    w = world
    w.at(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC))  # 23:59:59 on 31 December in 临江村
    late = w.home(w.zhang)["money_this_year"]
    assert late["year"] == 2026 and late["land_rent"] == "2560.00"
    w.at(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC))  # midnight: 1 January 2027 there, still 2026 in UTC
    new_year = w.home(w.zhang)["money_this_year"]
    assert new_year["year"] == 2027 and new_year["land_rent"] == "0.00" and new_year["total"] == "0.00"


# ---------------------------------------------------------------- edges


def test_township_staff_without_a_member_record_get_nulls_and_zeros(world):
    w = world
    home = w.home(w.staff)
    assert home["member"] is None and home["village"] is None and home["latest_disclosure"] is None
    assert home["township"]["name"] == "青山镇" and home["roles"] == ["township_staff"]
    assert home["open_votes"] == [] and home["money_this_year"] == {
        "year": 2026, "dividends": "0.00", "land_rent": "0.00", "job_pay": "0.00", "total": "0.00"}
    # their notices follow /me/notices (the township's own, which its staff see)
    mine = w.get("/api/v1/me/notices", w.staff)["items"]
    assert home["unread_notices"] == sum(1 for n in mine if not n["read"])
    assert (home["latest_notice"] or {}).get("id") == (mine[0]["id"] if mine else None)


def test_a_new_village_with_nothing_published_yet(client, make, now):
    village = make.village("XZ02", "新竹村", township=make.township("QS", "青山镇"))
    newcomer = make.member(village, "吴强")
    db.session.commit()
    r = client.get(HOME, headers=make.headers(newcomer))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["member"]["name"] == "吴强" and body["village"]["name"] == "新竹村"
    assert body["unread_notices"] == 0 and body["latest_notice"] is None
    assert body["open_votes"] == [] and body["latest_disclosure"] is None
    assert body["money_this_year"]["total"] == "0.00" and body["money_this_year"]["year"] == now[0].year


def test_a_member_of_another_village_sees_their_own_village_only(world):
    w = world
    other = w.make.village("XZ02", "新竹村", township=w.make.township("QS", "青山镇"))
    stranger = w.make.member(other, "吴强")
    db.session.commit()
    home = w.home(stranger)
    assert home["village"]["name"] == "新竹村" and home["latest_disclosure"] is None and home["open_votes"] == []
    # the township's earlier notice went to the villages of that day; 临江村's own notices never reach 新竹村
    assert home["unread_notices"] == 0 and home["latest_notice"] is None
    everyone = w.notice(township=True, title="全镇通知")
    w.notice(title="临江村通知")
    home = w.home(stranger)
    assert home["unread_notices"] == 1 and home["latest_notice"]["id"] == everyone
    assert home["money_this_year"]["total"] == "0.00"


def test_without_a_valid_token_401_in_the_error_shape(client, make):
    r = client.get(HOME)
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.unauthenticated" and r.json["error"]["message"]
    assert set(r.json["error"]) == {"code", "message", "details"}
    r = client.get(HOME, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.token_invalid"


def test_home_is_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/me/home"]["get"]
    assert op["security"] == [{"bearer": []}] and "200" in op["responses"]


# ---------------------------------------------------------------- SQL statements do not grow with the data


def _statements(w: World, who: Any) -> int:
    """The statements of one ``GET /me/home``, in its own app context: a session of its own, cold, as in production
    (the test's session, shared by the test client, would answer some look-ups from its identity map), and with
    nothing kept by the shared reads (a first reader: tests/core/test_shared_reads.py counts a kept read)."""
    headers = w.h(who)
    db.session.commit()
    w.client.application.extensions[READS_EXTENSION].clear()
    r, seen = cold_get(w.client.application, HOME, headers)
    assert r.status_code == 200, r.json
    return len(seen)


def test_the_number_of_statements_does_not_grow_with_the_data(world):
    w = world
    few = _statements(w, w.zhang)
    # the token and the principal, who they are, the notices (one statement, as /me/notices), money, votes, disclosure
    assert few <= 10, few

    # many more of everything: notices (some read), open votes (some voted in), dividends, rent and job pay
    for i in range(6):
        nid = w.notice(title=f"第{i}号通知")
        if i % 2:
            w.read(nid, w.zhang)
    for i in range(4):
        vid = w.vote(title=f"第{i}项表决")
        if i % 2:
            w.ballot(vid, w.zhang)
    w.pay_dividend(2024, [w.zhang.household_id])
    for month in ("2026-04", "2026-05", "2026-06"):
        w.at(datetime.fromisoformat(f"{month}-28T02:00:00+00:00"))
        w.job_month(month)
        w.pay_rent(2, 300_00)  # next year's rent, paid early in parts: many allocations
    home = w.home(w.zhang)
    assert home["unread_notices"] == 5 and len(home["open_votes"]) == 5
    assert sum(v["has_voted"] for v in home["open_votes"]) == 2
    assert len(w.get("/api/v1/me/job-pay", w.zhang)["items"]) == 4

    assert _statements(w, w.zhang) == few
    # and the same for someone with none of it
    assert _statements(w, w.staff) <= few
