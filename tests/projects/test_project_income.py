"""A project's income from the books against its plan, month by month; the behind-plan warning at its edge."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend import registry
from backend.core.db import db
from backend.ledger import monthly_credits
from backend.ledger import service as ledger
from backend.projects import findings, service
from backend.projects.models import ProjectStep


def implemented(make, world, plans: dict[int, list[int]], on: date = date(2026, 1, 5)):
    """A project with its seven steps recorded through the service (审批 by the township staff)."""
    p = world.project()
    for year, months in plans.items():
        service.set_plans(p, year, months, actor=None)
    sec = make.principal(world.secretary)
    staff = make.principal(world.staff)
    for n in range(1, 8):
        data = service.StepInput(step=n, done_on=on, decision_id=world.decision.id if n == 6 else None,
                                 funds=[service.FundInput("县级财政", 50_000_000, on)] if n == 4 else ())
        service.add_step(p, data, actor=staff if n == 5 else sec)
    db.session.commit()
    return p


def test_monthly_credits_counts_posted_income_and_not_reversed_vouchers(world):
    a = world.account
    world.post_income(date(2026, 1, 20), 1000_00)
    world.post_income(date(2026, 2, 20), 2000_00)
    wrong = world.post_income(date(2026, 2, 21), 999_00)
    ledger.reverse_voucher(wrong, date(2026, 3, 2), "金额记错", actor=None)  # reversed in another month
    world.post_income(date(2026, 3, 3), 500_00, code="501001")  # another account
    draft = ledger.create_voucher(world.village, ledger.VoucherInput(date(2026, 3, 4), "草稿", [
        ledger.LineInput("102", debit_fen=77_00), ledger.LineInput("501004", credit_fen=77_00)]), actor=None)
    assert draft.status == "draft"
    # a refund: a debit on the income account
    v = ledger.create_voucher(world.village, ledger.VoucherInput(date(2026, 3, 10), "退回多收电费", [
        ledger.LineInput("501004", debit_fen=100_00), ledger.LineInput("102", credit_fen=100_00)]), actor=None)
    ledger.post_voucher(v, actor=None)
    db.session.commit()
    got = monthly_credits(world.village.id, [a.id], date(2026, 1, 1), date(2026, 12, 31))
    assert got == {a.id: {"2026-01": 1000_00, "2026-02": 2000_00, "2026-03": -100_00}}
    # the parent 501 takes its subaccounts
    parent = next(x for x in ledger.accounts(world.village.id) if x.code == "501")
    got = monthly_credits(world.village.id, [parent.id], date(2026, 1, 1), date(2026, 3, 31))
    assert got[parent.id]["2026-03"] == 500_00 - 100_00
    # the window is inclusive and limited; another village's ledger gives nothing
    one_day = monthly_credits(world.village.id, [a.id], date(2026, 2, 20), date(2026, 2, 20))
    assert one_day == {a.id: {"2026-02": 2000_00}}
    assert monthly_credits(world.other_village.id, [a.id], date(2026, 1, 1), date(2026, 12, 31)) == {a.id: {}}


def test_income_against_plan_month_by_month(client, make, world):
    p = implemented(make, world, {2026: [1000_00] * 12})
    world.post_income(date(2026, 1, 25), 1000_00)
    world.post_income(date(2026, 2, 25), 900_00)
    world.post_income(date(2026, 6, 10), 50_00)  # the current month (the clock stands at 2026-06-15)
    r = client.get(f"/api/v1/projects/{p.id}", headers=make.headers(world.villager))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["income_to_date"] == "1950.00" and body["plan_to_date"] == "6000.00"
    assert body["support_funds"] == "500000.00"
    jan, feb, mar = body["months"][:3]
    assert (jan["planned"], jan["actual"], jan["cum_actual"]) == ("1000.00", "1000.00", "1000.00")
    assert (feb["actual"], feb["cum_planned"], feb["cum_actual"]) == ("900.00", "2000.00", "1900.00")
    assert (mar["actual"], mar["cum_actual"]) == ("0.00", "1900.00")
    assert body["months"][-1] == {"month": "2026-12", "planned": "1000.00", "actual": None,
                                  "cum_planned": "12000.00", "cum_actual": None}
    # the rule looks at January–May: 1900.00 of 5000.00
    assert (body["checked_month"], body["cum_planned"], body["cum_actual"]) == ("2026-05", "5000.00", "1900.00")
    assert body["behind_plan"] is True and body["behind_since"] == "2026-03-31"


def test_behind_plan_exactly_at_the_threshold_is_not_behind_and_a_fen_less_is(make, world, now):
    # plan 1000.00 a month, January–March; on 2026-04-01 the complete months are January–March: plan 3000.00,
    # the threshold (20 %) is 2400.00
    now[0] = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    p = implemented(make, world, {2026: [1000_00] * 3 + [0] * 9})
    world.post_income(date(2026, 1, 31), 1000_00)
    world.post_income(date(2026, 3, 31), 1400_00)
    on = date(2026, 4, 1)
    assert findings([world.village.id], on) == []
    fix = ledger.create_voucher(world.village, ledger.VoucherInput(date(2026, 3, 31), "更正", [
        ledger.LineInput("501004", debit_fen=1), ledger.LineInput("102", credit_fen=1)]), actor=None)
    ledger.post_voucher(fix, actor=None)
    db.session.commit()
    (f,) = findings([world.village.id], on)
    assert (f.kind, f.key, f.village_id, f.link_type, f.link_id) == ("project_behind_plan", f"project-{p.id}",
                                                                     world.village.id, "project", p.id)
    assert "2399.99元" in f.message and "3000.00元" in f.message and "79%" in f.message
    assert "村集体屋顶分布式光伏" in f.message
    # behind since the end of February (1000.00 of 2000.00) — January (1000.00 of 1000.00) was not
    assert f.since == date(2026, 2, 28)
    # the village's own threshold: 25 % lets 2399.99 of 3000.00 through (≥ 2250.00)
    registry.settings.put("projects.behind_plan_pct", 25, actor=None, village=world.village)
    db.session.commit()
    assert findings([world.village.id], on) == []


def test_only_implemented_projects_are_warned_about(world, now):
    now[0] = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    p = world.project()
    service.set_plans(p, 2026, [1000_00] * 12, actor=None)
    db.session.commit()
    assert findings([world.village.id], date(2026, 4, 1)) == []
    assert findings([], date(2026, 4, 1)) == []


def test_the_first_month_is_the_plan_or_the_implementation(make, world, now):
    now[0] = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    p = implemented(make, world, {2026: [0, 0, 1000_00] + [0] * 9}, on=date(2026, 1, 5))
    world.post_income(date(2025, 12, 20), 5000_00)  # before the project: not its income
    world.post_income(date(2026, 1, 20), 3000_00)
    pr = service.progress_of([p], date(2026, 4, 1))[p.id]
    assert pr.months[0]["month"] == "2026-01" and pr.income_to_date_fen == 3000_00
    assert pr.behind is False
    assert db.session.get(ProjectStep, 1) is not None
