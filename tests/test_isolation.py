"""Generated isolation test: walk the URL map and prove that people of another village (or another
township) get 403/404 on every village-scoped endpoint, and that nothing changes.

Every URL argument must be known here: a new endpoint with a new kind of id fails this test until
an object of village A is provided for it below, so no endpoint escapes the check.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.core.db import db
from backend.registry.models import RoleAssignment

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def world(make):
    qs = make.township("QS", "青山镇")
    bs = make.township("BS", "白石镇")
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("XZ02", "新竹村", township=qs)
    make.village("BS01", "白石村", township=bs)
    a_house = make.household(a, "LJ-001")
    a_member = make.member(a, "王建国", household=a_house, roles=("secretary", "party_member"))
    a_rep = make.member(a, "陈桂兰", roles=("representative",))
    phoneless = make.member(a, "孙有福", id_no="371427195302110715")  # votes at the office (代办)
    a_assignment = db.session.execute(
        select(RoleAssignment).where(RoleAssignment.person_id == a_member.person_id, RoleAssignment.role == "secretary")
    ).scalar_one()
    strangers = {
        "secretary of another village": make.member(b, "周海", roles=("secretary", "party_member")),
        "member of another village": make.member(b, "吴强"),
        "staff of another township": make.staff(bs, "白石镇干部"),
        "agency accountant of another village": make.staff(qs, "冯立", role="township_accountant"),
    }
    # the agency accountant keeps only 新竹村's books
    accountant = strangers["agency accountant of another village"]
    db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.person_id == accountant.id))
    make.role(accountant, "township_accountant", village=b)
    overseer = make.staff(qs, "郑雯")
    from datetime import date

    from backend.ledger import service as ledger

    ledger.ensure_chart(a)
    voucher = ledger.create_voucher(a, ledger.VoucherInput(date(2026, 1, 5), "收租金", [
        ledger.LineInput("102", debit_fen=100_00), ledger.LineInput("501002", credit_fen=100_00)]), actor=None)
    ledger.post_voucher(voucher, actor=None)
    from backend import disclosures

    ledger.close_period(a, "2026-01", actor=None)
    a_supervisor = make.member(a, "孙立平", roles=("supervisor",))
    disclosure, _ = disclosures.draft_disclosure(a, "2026-01", None, actor=make.principal(a_member))
    disclosures.approve(disclosure, actor=make.principal(a_supervisor))
    disclosures.publish(disclosure, actor=make.principal(a_member))
    question = disclosures.ask(disclosure, 1, "这笔租金是哪块地的？", actor=make.principal(a_supervisor))
    from datetime import timedelta

    from backend.core.clock import utcnow
    from backend.decisions.votes import service as votes
    from tests.factories import resolved_decision

    decision = resolved_decision(a.id, "村道修缮", "project", None, date(2026, 1, 2))
    vote = votes.open_vote(decision, stage="决议", body="representatives_meeting", title="村道修缮方案",
                           opens_at=utcnow(), closes_at=utcnow() + timedelta(days=7), actor=None)
    spouse = make.member(a, "王妻", household=a_house, head=False, id_no=None)
    # one open vote per stage: the members' assembly votes on a decision of its own
    assembly_decision = resolved_decision(a.id, "收益分配", "other", None, date(2026, 1, 2))
    assembly = votes.open_vote(assembly_decision, stage="决议", body="members_assembly", title="收益分配方案",
                               opens_at=utcnow(), closes_at=utcnow() + timedelta(days=7), actor=None)
    proxy = votes.record_proxy(assembly, spouse.person_id, a_member.person_id, "委托书-001", actor=None)
    from backend import decisions as pipeline
    from backend.core.clock import today

    # a decision going through 四议两公开, its 决议 posted with an objection raised
    piped = pipeline.create_decision(a.id, pipeline.DecisionInput("村小学修缮", "project", "村干部提议"), actor=None)
    for stage, who in (("提议", a_member), ("商议", a_member), ("审议", a_member), ("决议", a_rep)):
        pipeline.record_meeting(piped, pipeline.MeetingInput(stage, today(), "passed", attendees=[who.person_id],
                                                             agree=1, oppose=0), actor=None)
    pipeline.open_publicity(piped, "决议公开", start_on=None, summary=None, channel=None, actor=None)
    objection = pipeline.record_objection(piped, raised_by="陈桂兰", text="请公布预算明细", raised_on=None,
                                          raised_by_person_id=None, actor=None)
    # a published dividend list with an objection
    from backend import dividends
    from backend.dividends.shares import service as shares

    share_type = shares.create_share_type(a, shares.ShareTypeInput("member", "成员股", per_person=1), actor=None)
    shares.record_event(a, shares.EventInput("initial", date(2026, 1, 1), changes=[
        shares.ChangeInput(share_type.id, 3, a_house.id, a_member.id)]), actor=None)
    plan = dividends.create_distribution(a, dividends.DistributionInput(
        2026, "2026年度收益分配", [dividends.ComponentInput("equity")]), actor=None)
    dividends.compute(plan, today(), actor=None)
    approving = resolved_decision(a.id, "2026年度收益分配方案", "other", None, date(2026, 1, 3))
    approving.decision_body = "members_assembly"
    dividends.publish(plan, approving.id, actor=None)
    dividend_objection = dividends.raise_objection(plan, "我家股数不对", actor=make.principal(a_rep))
    # a transfer contract on that household's parcel, its first year's rent paid
    from backend import land

    party = land.create_party(a, land.PartyInput("cooperative", "荣联农业合作社"), actor=None)
    parcel = land.create_parcel(a, land.ParcelInput("LJ-P001", "东坡地", 12000, household_id=a_house.id), actor=None)
    contract = land.create_contract(a, land.ContractInput(
        "LZ-001", "transfer", party.id, "东坡地流转", date(2026, 3, 1), date(2029, 3, 1), "粮食种植",
        date(2026, 2, 20), [land.LineInput(parcel.id)], [land.PeriodInput(1, 3, 800_00)]), actor=None)
    rent = land.record_payment(contract, land.PaymentInput(land.dues_of(contract)[0].id, 960_00, date(2026, 2, 25)),
                               idempotency_key=None, actor=None).payment
    # the households' part waiting in a bank batch (not yet marked paid)
    from backend.land import payouts
    from backend.land.models import RentAllocation

    allocation_ids = list(db.session.execute(select(RentAllocation.id).where(RentAllocation.payment_id == rent.id))
                          .scalars())
    batch, _ = payouts.create_batch(a, allocation_ids, idempotency_key=None, actor=None)
    # a public-benefit job drawn, objected to, then hired
    from backend.jobs import service as jobs

    posting = jobs.create_posting(a, jobs.PostingInput("村道保洁员", "保洁", 1, 600_00, utcnow() - timedelta(hours=1),
                                                       utcnow() + timedelta(hours=1)), actor=None)
    jobs.apply(posting, a_rep.person_id, note=None, actor=make.principal(a_rep))
    posting.apply_until = utcnow() - timedelta(seconds=1)
    jobs.seal_applicants(posting, actor=None)
    jobs.announce_seed(posting, "12-07-33", None, actor=None)
    job_objection = jobs.raise_objection(posting, "请公布年龄", actor=make.principal(a_rep))
    jobs.answer_objection(job_objection, "已公布", actor=None)
    posting.publicity_until = today() - timedelta(days=1)
    (hire,) = jobs.confirm_hires(posting, today(), actor=None)
    # a village notice, published by the secretary (bound to WeChat: the content check runs as them)
    from backend.auth.models import WeChatAccount
    from backend.notices import service as notices

    db.session.add(WeChatAccount(appid="wx-demo-appid", openid="o-iso-secretary", person_id=a_member.person_id,
                                 bound_at=utcnow()))
    notice = notices.publish(notices.NoticeInput("停水通知", "明天上午停水。"), actor=make.principal(a_member),
                             village=a)
    # a membership application confirmed by the 成员大会, its 公示 objected to
    from backend.membership import meetings as mmeet
    from backend.membership import service as mship

    newcomer = make.member(a, "林小燕", collective=False)
    application = mship.apply(a, mship.ApplicationInput(newcomer.person_id, "marriage"),
                              actor=make.principal(a_member))
    mship.review(application, "refer", None, actor=make.principal(a_member))
    electors = [e.person_id for e in mmeet.electorate(a.id, "members_assembly", today())]
    meeting = mmeet.record(a, mmeet.MeetingInput("members_assembly", today(), electors, [
        mmeet.VoteCounts(application.id, len(electors), 0, 0)]), actor=make.principal(a_member))
    mmeet.open_publicity(meeting, None, actor=make.principal(a_member))
    membership_objection = mmeet.raise_objection(meeting, "请核实", actor=make.principal(a_member))
    # a ballot entered at the office for a member without a phone, waiting for a supervisor's co-signature
    from backend.assisted import service as assisted

    entry = assisted.enter(a.id, assisted.EntryInput("vote", phoneless.person_id, True, "0715", vote_id=assembly.id,
                                                     choice="agree"), actor=make.principal(a_member))
    # the 三资 register: an asset, an open 清产核资 with one line; a collective contract; a project
    from backend.assets import inventory as asset_inventory
    from backend.assets import service as assets
    from backend.contracts import service as collective_contracts
    from backend.projects import service as projects

    asset = assets.create_asset(a, assets.AssetInput("asset", "ZC-001", "村委会办公楼", "房屋及建筑物",
                                                     original_fen=500_000_00, book_fen=400_000_00), actor=None)
    inventory = asset_inventory.create_inventory(a, "2026年清产核资", today(), None, actor=None)
    inventory_line = asset_inventory.set_line(inventory, asset_inventory.LineInput("confirmed", asset_id=asset.id),
                                              actor=None)
    collective_contract = collective_contracts.create_contract(a, collective_contracts.ContractInput(
        "HT-2026-001", "service", "expense", "洁美保洁服务部", "村庄保洁外包", 12000_00, date(2026, 1, 5),
        date(2026, 1, 10), date(2026, 12, 31), [collective_contracts.InstallmentInput(date(2026, 3, 31), 12000_00)]),
        actor=None)
    project = projects.create_project(a, projects.ProjectInput(title="村集体屋顶分布式光伏", category="光伏发电",
                                                               planned_investment_fen=80_000_000), actor=None)
    db.session.commit()
    ids = {
        "village_id": a.id,
        "asset_id": asset.id,
        "inventory_id": inventory.id,
        "line_id": inventory_line.id,
        "collective_contract_id": collective_contract.id,
        "project_id": project.id,
        "application_id": application.id,
        "meeting_id": meeting.id,
        "membership_objection_id": membership_objection.id,
        "entry_id": entry.id,
        "body": "party_meeting",
        "household_id": a_house.id,
        "member_id": a_member.id,
        "assignment_id": a_assignment.id,
        "township_id": qs.id,
        "voucher_id": voucher.id,
        "disclosure_id": disclosure.id,
        "question_id": question.id,
        "decision_id": decision.id,
        "vote_id": vote.id,
        "objection_id": objection.id,
        "proxy_id": proxy.id,
        "type_id": share_type.id,
        "distribution_id": plan.id,
        "dividend_objection_id": dividend_objection.id,
        "parcel_id": parcel.id,
        "contract_id": contract.id,
        "payment_id": rent.id,
        "batch_id": batch.id,
        "posting_id": posting.id,
        "job_objection_id": job_objection.id,
        "hire_id": hire.id,
        "notice_id": notice.id,
        "period": "2026-02",
        "key": "ledger.large_expense_fen",
    }
    return {"ids": ids, "strangers": strangers, "overseer": overseer}


# paths whose parameters name no village's object: a console log-in ticket (a secret of its own, answered 404 when
# unknown, to anyone) and the API docs' own static files
UNSCOPED_PREFIXES = ("/api/v1/auth/console-tickets/", "/api/v1/docs/static/")


def scoped_routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not rule.arguments:
            continue
        if rule.rule.startswith(UNSCOPED_PREFIXES):
            continue
        for method in sorted((rule.methods or set()) & set(HTTP_METHODS)):
            out.append((rule, method))
    return out


def url_for_rule(rule, ids) -> str:
    unknown = set(rule.arguments) - set(ids)
    assert not unknown, f"{rule.rule}: add an object of village A for {unknown} to tests/test_isolation.py"
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
    assert "<" not in path, f"{rule.rule}: unknown converter"
    return path


def table_counts() -> dict[str, int]:
    return {
        t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for t in db.metadata.sorted_tables
    }


def test_strangers_are_refused_everywhere(app, client, make, world):
    routes = scoped_routes(app)
    assert len(routes) >= 15, "the URL map looks too small: did the blueprints register?"
    before = table_counts()
    tokens = {who: make.token(p) for who, p in world["strangers"].items()}
    before = table_counts()  # tokens are rows too; count after issuing them
    failures = []
    for rule, method in routes:
        url = url_for_rule(rule, world["ids"])
        for who, tok in tokens.items():
            r = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {tok}"})
            if r.status_code not in (403, 404):
                failures.append(f"{method} {url} as {who}: {r.status_code}")
            elif "error" not in (r.json or {}):
                failures.append(f"{method} {url} as {who}: not in the error shape")
        anonymous = client.open(url, method=method, json={})
        if anonymous.status_code != 401:
            failures.append(f"{method} {url} anonymous: {anonymous.status_code}")
    assert not failures, "\n".join(failures)
    assert table_counts() == before


# GETs the overseer may not use by design (each is proven to serve its own audience in its domain's tests)
NOT_FOR_THE_OVERSEER = {
    "/api/v1/me/dividends/<int:distribution_id>": "a household's own statement "
    "(tests/dividends/test_dividend_villager.py)",
    "/api/v1/distributions/<int:distribution_id>/bank-batch.xlsx": "bank account numbers in full: only those who "
    "pay, once paying has started (tests/dividends/test_dividend_payout.py)",
    # the secretary's working tools of issue 18 (decisions.manage / jobs.manage / notices.manage): the township
    # follows the same things through its own screens (进度表, 预警, its notices' reach)
    "/api/v1/votes/<int:vote_id>/turnout": "who has voted, while the vote is open: the secretary who runs it",
    "/api/v1/villages/<int:village_id>/bodies/<body>/roster": "the meeting form's roster: the secretary who records it",
    "/api/v1/job-postings/<int:posting_id>/eligibility": "the check before a 代办 at the office",
    "/api/v1/villages/<int:village_id>/notices": "the village's own notices list with reach: who publishes them",
    "/api/v1/villages/<int:village_id>/assisted-options": "what the secretary may enter for a member at the office",
    # issue 19: the books' and the board's working tools
    "/api/v1/villages/<int:village_id>/disclosures/preview": "what drafting would freeze: those who keep the books "
    "(ledger.write; tests/disclosures/test_console_drafting.py)",
    "/api/v1/rent-payout-batches/<int:batch_id>/bank-file.xlsx": "households' bank accounts in full: only those who "
    "pay (tests/land/)",
    "/api/v1/decisions/<int:decision_id>/resolution.pdf": "the board's paper: the secretary who posts it "
    "(tests/printing/test_sheets.py)",
    "/api/v1/decisions/<int:decision_id>/result.pdf": "the board's paper: the secretary who posts it "
    "(tests/printing/test_sheets.py)",
    # issue 21: the contract form's tools (assets.manage): those who sign the collective's contracts
    "/api/v1/villages/<int:village_id>/contracts/template.xlsx": "the blank import sheet: who imports contracts "
    "(tests/contracts/test_contracts_import.py)",
    "/api/v1/villages/<int:village_id>/contract-decisions": "the resolved decisions a new contract may rest on: who "
    "signs it (tests/contracts/test_contracts_register.py)",
}
# GETs that need a query argument to answer (without it: 422 naming the argument)
OVERSEER_QUERY = {
    "/api/v1/villages/<int:village_id>/distribution-preview": "?year=2026",
    "/api/v1/villages/<int:village_id>/land-rent.pdf": "?year=2026",
}


def test_the_same_urls_serve_the_township_overseer(app, client, make, world):
    """Positive control: the ids above are real, so the refusals are about scope."""
    h = {"Authorization": f"Bearer {make.token(world['overseer'])}"}
    failures = []
    for rule, method in scoped_routes(app):
        if method != "GET" or rule.rule in NOT_FOR_THE_OVERSEER:
            continue
        url = url_for_rule(rule, world["ids"]) + OVERSEER_QUERY.get(rule.rule, "")
        r = client.get(url, headers=h)
        if r.status_code != 200:
            failures.append(f"GET {url}: {r.status_code} {r.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)
