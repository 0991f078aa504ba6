"""Pushes of money to a household: a dividend list up for 公示 and a dividend paid (each to every member of each
household concerned with a bound WeChat, with its own amount), rent passed on (cash, or a bank batch marked paid) —
who gets each, who does not (another household, no WeChat, another village, staff off the list), once; and the
templates the mini-program asks consent for."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from backend.core.clock import today
from backend.core.db import db
from backend.dividends import pushes as dividend_pushes
from backend.dividends.models import Distribution, DividendLine
from backend.land import pushes as land_pushes
from backend.land.models import RentPayout
from backend.notices import amount_text, outbox, template_for
from backend.notices.models import PushJob
from tests.dividends import conftest as dividend_fixtures
from tests.land import conftest as land_fixtures
from tests.notices.conftest import bind

API = "/api/v1"
books = dividend_fixtures.books  # the dividends' village, ready to distribute
lands = land_fixtures.lands  # the land's village, with contracted parcels


def _jobs(kind: str, object_id: int | None = None) -> dict[int, PushJob]:
    db.session.expire_all()
    stmt = select(PushJob).where(PushJob.kind == kind)
    if object_id is not None:
        stmt = stmt.where(PushJob.object_id == object_id)
    return {j.person_id: j for j in db.session.scalars(stmt)}


def _data(job: PushJob) -> dict[str, str]:
    data = json.loads(job.data)
    assert all(len(v) <= 20 for k, v in data.items() if k.startswith("thing")), data
    return data


def _amount(did: int, household_id: int) -> int:
    return db.session.scalar(select(DividendLine.amount_fen).where(DividendLine.distribution_id == did,
                                                                   DividendLine.household_id == household_id))


def _bind_households(make, books):
    """Household 1: the head and a member bound (both told); household 2: its head bound; households 3 and 4: no
    WeChat. The secretary (bound) holds no shares; a villager of another village is bound too."""
    m = books.members
    bind(m[0][0].person_id, "o-h1-head")
    bind(m[0][1].person_id, "o-h1-son")
    bind(m[1][0].person_id, "o-h2-head")
    bind(books.secretary.person_id, "o-sec")
    other = make.village("XZ02", "新竹村")
    stranger = make.member(other, "周海")
    bind(stranger.person_id, "o-stranger")
    db.session.commit()
    return stranger


def _publish(client, make, books) -> int:
    sec = make.headers(books.secretary)
    body = {"year": books.year, "title": f"{books.year}年度收益分配方案", "components": [{"kind": "equity"}]}
    r = client.post(f"{API}/villages/{books.village.id}/distributions", json=body, headers=sec)
    assert r.status_code == 201, r.json
    did = r.json["id"]
    r = client.post(f"{API}/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
    assert r.status_code == 200, r.json
    assert _jobs(dividend_pushes.NOTICE) == {}  # computed, not yet published: nobody is told
    r = client.post(f"{API}/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200, r.json
    return did


def test_a_dividend_list_in_publicity_tells_every_member_of_each_household_on_it_once(client, make, books):
    stranger = _bind_households(make, books)
    did = _publish(client, make, books)
    m = books.members
    jobs = _jobs(dividend_pushes.NOTICE, did)
    assert sorted(jobs) == sorted([m[0][0].person_id, m[0][1].person_id, m[1][0].person_id])
    assert books.secretary.person_id not in jobs and stranger.person_id not in jobs
    # each household's own amount, as text
    h1, h2 = (_data(jobs[m[i][0].person_id]) for i in (0, 1))
    assert h1["amount2"] == amount_text(_amount(did, books.households[0].id)) and h1["amount2"].endswith("元")
    assert h2["amount2"] == amount_text(_amount(did, books.households[1].id)) and h1["amount2"] != h2["amount2"]
    assert _data(jobs[m[0][1].person_id]) == h1
    d = db.session.get(Distribution, did)
    assert h1["date3"] == d.publicity_until.isoformat()
    assert jobs[m[0][0].person_id].page == f"pages/dividend/dividend?id={did}"
    assert jobs[m[0][0].person_id].template_id == template_for("dividend_notice")
    assert dividend_pushes.queue_published(d) == 0  # once


def test_a_dividend_paid_tells_the_households_paid_and_no_other(client, make, books, now):
    _bind_households(make, books)
    did = _publish(client, make, books)
    now[0] = now[0] + timedelta(days=8)  # the 7-day 公示 is over
    sec = make.headers(books.secretary)
    assert client.post(f"{API}/distributions/{did}/payout", headers=sec).status_code == 200
    assert _jobs(dividend_pushes.PAID) == {}  # the payout opened: nobody paid yet
    m, hs = books.members, books.households
    body = {"household_ids": [hs[0].id, hs[2].id], "method": "bank", "paid_on": today().isoformat()}
    r = client.post(f"{API}/distributions/{did}/payments", json=body, headers={**sec, "Idempotency-Key": "pay-1"})
    assert r.status_code == 201, r.json
    jobs = _jobs(dividend_pushes.PAID, did)
    # household 1's two bound members; household 3 has no WeChat; household 2 is not paid yet
    assert sorted(jobs) == sorted([m[0][0].person_id, m[0][1].person_id])
    data = _data(jobs[m[0][0].person_id])
    assert data["amount2"] == amount_text(_amount(did, hs[0].id)) and data["phrase4"] == "银行代发"
    # the same request again (a retry) queues nothing
    r = client.post(f"{API}/distributions/{did}/payments", json=body, headers={**sec, "Idempotency-Key": "pay-1"})
    assert r.status_code == 200 and len(_jobs(dividend_pushes.PAID, did)) == 2
    r = client.post(f"{API}/distributions/{did}/payments", headers=sec,
                    json={"household_ids": [hs[1].id], "method": "cash", "paid_on": today().isoformat()})
    assert r.status_code == 201, r.json
    jobs = _jobs(dividend_pushes.PAID, did)
    assert len(jobs) == 3 and _data(jobs[m[1][0].person_id])["phrase4"] == "现金发放"
    # a refused payment (already paid) queues nothing
    r = client.post(f"{API}/distributions/{did}/payments", headers=sec,
                    json={"household_ids": [hs[1].id], "method": "cash", "paid_on": today().isoformat()})
    assert r.status_code == 409 and len(_jobs(dividend_pushes.PAID, did)) == 3


def test_a_queued_dividend_message_is_sent_with_a_consent_and_not_without(client, make, books, wechat):
    _bind_households(make, books)
    did = _publish(client, make, books)
    tid = template_for("dividend_notice")
    outbox.add_consent(books.members[0][1].person_id, tid, 1)
    db.session.commit()
    wechat.grant_consent("o-h1-son", tid, 1)
    report = outbox.work()
    assert (report.sent, report.no_consent) == (1, 2)
    [msg] = wechat.messages()
    assert msg["touser"] == "o-h1-son" and msg["page"] == f"pages/dividend/dividend?id={did}"
    assert _jobs(dividend_pushes.NOTICE, did)[books.members[0][0].person_id].status == "no_consent"


# ---------------------------------------------------------------- rent passed on


def _received(client, make, lands):
    """The fixture contract's first year received on 2026-03-03: households 2560.00, 600.00, 2666.64."""
    c = lands.contract()
    from backend.land import contracts

    due = contracts.dues_of(c)[0]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.accountant),
                    json={"due_id": due.id, "amount": "5826.64", "paid_on": "2026-03-03"})
    assert r.status_code == 201, r.json
    r = client.get(f"{API}/land-payments/{r.json['id']}/payouts", headers=make.headers(lands.accountant))
    return [i["allocation_id"] for i in r.json["items"]]


def test_rent_passed_on_tells_the_household_paid_once(client, make, lands, now):
    from datetime import UTC, datetime

    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    h1_wife = make.member(lands.village, "张户1妻", household=lands.households[0], head=False)
    bind(lands.heads[0].person_id, "o-l1")
    bind(h1_wife.person_id, "o-l1-wife")
    bind(lands.heads[1].person_id, "o-l2")
    bind(lands.accountant.person_id, "o-acct")  # staff, no land: never told
    db.session.commit()
    alloc = _received(client, make, lands)
    assert _jobs(land_pushes.RENT_PAID) == {}  # received, not passed on: nobody is told yet
    acct = make.headers(lands.accountant)
    r = client.post(f"{API}/villages/{lands.village.id}/rent-payouts/cash", headers={**acct, "Idempotency-Key": "c1"},
                    json={"allocation_id": alloc[0], "receiver_name": "张户1", "paid_on": "2026-03-04"})
    assert r.status_code == 201, r.json
    jobs = _jobs(land_pushes.RENT_PAID)
    assert sorted(jobs) == sorted([lands.heads[0].person_id, h1_wife.person_id])  # household 1 only, both members
    data = _data(jobs[lands.heads[0].person_id])
    assert (data["amount2"], data["date3"], data["phrase4"]) == ("2,560.00元", "2026-03-04", "现金")
    assert jobs[lands.heads[0].person_id].page == "pages/land/land"
    r = client.post(f"{API}/villages/{lands.village.id}/rent-payouts/cash", headers={**acct, "Idempotency-Key": "c1"},
                    json={"allocation_id": alloc[0], "receiver_name": "张户1", "paid_on": "2026-03-04"})
    assert r.status_code == 200 and len(_jobs(land_pushes.RENT_PAID)) == 2  # a retry: nothing new

    # a bank batch: nobody is told when it is drawn up, the households when it is marked paid, once
    b = client.post(f"{API}/villages/{lands.village.id}/rent-payout-batches", headers=acct,
                    json={"allocation_ids": alloc[1:]})
    assert b.status_code == 201, b.json
    assert len(_jobs(land_pushes.RENT_PAID)) == 2
    for _ in range(2):  # the same confirmation twice
        r = client.post(f"{API}/rent-payout-batches/{b.json['id']}/paid", headers=acct,
                        json={"bank_reference": "HD20260305001", "paid_on": "2026-03-05"})
        assert r.status_code == 200, r.json
    jobs = _jobs(land_pushes.RENT_PAID)
    # household 2's head; household 3 has no WeChat; the accountant is no household of these
    assert sorted(jobs) == sorted([lands.heads[0].person_id, h1_wife.person_id, lands.heads[1].person_id])
    assert lands.accountant.person_id not in jobs
    data = _data(jobs[lands.heads[1].person_id])
    assert (data["amount2"], data["phrase4"]) == ("600.00元", "银行代发")
    payouts = list(db.session.scalars(select(RentPayout).where(RentPayout.batch_id == b.json["id"])))
    assert land_pushes.queue_paid(lands.village.id, payouts, payouts[0].paid_on) == 0  # once


# ---------------------------------------------------------------- the consent moments


def test_the_templates_to_ask_consent_for_at_each_moment(app, client, make, lands):
    r = client.get(f"{API}/me/push-templates")
    assert r.status_code == 401
    r = client.get(f"{API}/me/push-templates", headers=make.headers(lands.heads[0]))
    assert r.status_code == 200
    moments = r.json["moments"]
    assert moments["vote"] == [template_for("vote_result"), template_for("vote_opened"), template_for("vote_closing")]
    assert moments["notices"][0] == template_for("notice")
    assert moments["job_apply"] == [template_for("job_outcome")]
    assert template_for("dividend_notice") in moments["dividends"] and template_for("rent_paid") in moments["dividends"]
    assert all(1 <= len(ids) <= 3 for ids in moments.values())
    # a deployment's own template id (WECHAT_TEMPLATE_<MOMENT>) is what is asked for, and what pushes carry
    app.config["WECHAT_TEMPLATE_JOB_OUTCOME"] = "tmpl-JOB-real"
    try:
        r = client.get(f"{API}/me/push-templates", headers=make.headers(lands.heads[0]))
        assert r.json["moments"]["job_apply"] == ["tmpl-JOB-real"]
    finally:
        app.config["WECHAT_TEMPLATE_JOB_OUTCOME"] = None
