"""The objection endpoints core/objections.py builds for a domain, exercised through both domains that use them
(a published dividend list, a job's selected list): a villager raises one, the village's staff answer it; a
stranger from another village is refused at every one of them, in the one error shape, and nothing changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend import dividends, ledger
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.dividends.models import DividendObjection
from backend.dividends.shares import service as shares
from backend.jobs import service as jobs
from backend.jobs.models import JobObjection
from tests.factories import resolved_decision


@pytest.fixture
def posted(make):
    """临江村 with a dividend list and a job's selected list both in their 公示, each with one objection; and two
    strangers of 新竹村 (a villager and the secretary)."""
    qs = make.township()
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("XZ02", "新竹村", township=qs)
    house = make.household(a, "LJ-001")
    secretary = make.member(a, "王建国", household=house, roles=("secretary",))
    villager = make.member(a, "陈桂兰")
    ledger.ensure_chart(a)  # income to share out
    voucher = ledger.create_voucher(a, ledger.VoucherInput(date(2026, 1, 5), "收租金", [
        ledger.LineInput("102", debit_fen=100_00), ledger.LineInput("501002", credit_fen=100_00)]), actor=None)
    ledger.post_voucher(voucher, actor=None)
    share_type = shares.create_share_type(a, shares.ShareTypeInput("member", "成员股", per_person=1), actor=None)
    shares.record_event(a, shares.EventInput("initial", date(2026, 1, 1), changes=[
        shares.ChangeInput(share_type.id, 3, house.id, secretary.id)]), actor=None)
    plan = dividends.create_distribution(a, dividends.DistributionInput(
        2026, "2026年度收益分配", [dividends.ComponentInput("equity")]), actor=None)
    dividends.compute(plan, today(), actor=None)
    approving = resolved_decision(a.id, "2026年度收益分配方案", "other", None, date(2026, 1, 3))
    approving.decision_body = "members_assembly"
    dividends.publish(plan, approving.id, actor=None)
    d_objection = dividends.raise_objection(plan, "我家股数不对", actor=make.principal(villager))
    posting = jobs.create_posting(a, jobs.PostingInput("村道保洁员", "保洁", 1, 600_00, utcnow() - timedelta(hours=1),
                                                       utcnow() + timedelta(hours=1)), actor=None)
    jobs.apply(posting, villager.person_id, note=None, actor=make.principal(villager))
    posting.apply_until = utcnow() - timedelta(seconds=1)
    jobs.seal_applicants(posting, actor=None)
    jobs.announce_seed(posting, "12-07-33", None, actor=None)
    j_objection = jobs.raise_objection(posting, "请公布年龄", actor=make.principal(villager))
    strangers = [make.member(b, "吴强"), make.member(b, "周海", roles=("secretary",))]
    db.session.commit()
    return {
        "secretary": secretary, "villager": villager, "strangers": strangers,
        "dividends": (f"/distributions/{plan.id}/objections", f"/dividend-objections/{d_objection.id}/answer"),
        "jobs": (f"/job-postings/{posting.id}/objections", f"/job-objections/{j_objection.id}/answer"),
    }


def _state() -> tuple:
    db.session.expire_all()
    return tuple((o.id, o.answer) for m in (DividendObjection, JobObjection)
                 for o in db.session.execute(select(m).order_by(m.id)).scalars())


@pytest.mark.parametrize("domain", ["dividends", "jobs"])
def test_a_stranger_from_another_village_is_refused_in_the_one_error_shape(client, make, posted, domain):
    raise_url, answer_url = posted[domain]
    before = _state()
    for stranger in posted["strangers"]:
        h = make.headers(stranger)
        for url, body in ((raise_url, {"text": "我也有意见"}), (answer_url, {"answer": "已核实"})):
            r = client.post(f"/api/v1{url}", json=body, headers=h)
            assert r.status_code in (403, 404), (url, r.status_code, r.json)
            assert set(r.json) == {"error"} and set(r.json["error"]) == {"code", "message", "details"}, r.json
            assert r.json["error"]["message"], r.json
    assert _state() == before


@pytest.mark.parametrize("domain, model", [("dividends", DividendObjection), ("jobs", JobObjection)])
def test_a_villager_raises_and_the_secretary_answers(client, make, posted, domain, model):
    raise_url, answer_url = posted[domain]
    r = client.post(f"/api/v1{raise_url}", json={"text": "名单有误"}, headers=make.headers(posted["villager"]))
    assert r.status_code == 201, r.json
    assert r.json["text"] == "名单有误" and r.json["raised_by"] == "陈桂兰" and r.json["answer"] is None
    # the villager may not answer; the secretary answers once, and a second answer is refused
    assert client.post(f"/api/v1{answer_url}", json={"answer": "好"},
                       headers=make.headers(posted["villager"])).status_code == 403
    staff = make.headers(posted["secretary"])
    r = client.post(f"/api/v1{answer_url}", json={"answer": "已核实，名单无误"}, headers=staff)
    assert r.status_code == 200 and r.json["answer"] == "已核实，名单无误", r.json
    again = client.post(f"/api/v1{answer_url}", json={"answer": "再答"}, headers=staff)
    assert again.status_code == 409 and again.json["error"]["code"].endswith(".objection_answered"), again.json
    assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 2
