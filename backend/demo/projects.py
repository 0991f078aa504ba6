"""Demo project library (docs/demo.md): two projects of 临江村 at different steps, dates relative to the seeding day.

- 村集体屋顶分布式光伏 (光伏发电, 计划总投资 800,000.00 元): its seven steps done from 17 to 14 months ago (审批 by
  郑雯 for 青山镇's 项目评审委员会, 立项 on the resolved decision 村集体屋顶分布式光伏建设方案), 县级财政 扶持资金
  500,000.00 and 村集体自筹 300,000.00; income booked to the new subaccount 501004 光伏发电收入 as a 国网 electricity
  settlement on the 25th of each month since it started producing; the plan is 3,000–5,000 元 a month (48,000.00 a
  year). The plant produced about as planned until a 逆变器 failure five months ago: since then each month brings a
  quarter of the plan, so its cumulative income is 23–34 % behind plan (by the seeding month) and
  ``project_behind_plan`` is due.
- 十里荷塘乡村旅游 (乡村旅游, 计划总投资 1,200,000.00 元): 储备, 论证, 筛选 and 申报 done by 王建国 in the last two
  months, 申报 naming 市级财政 扶持资金 600,000.00; it waits for the township's 审批 (郑雯 signs it in the console).

Everything goes through the services (vouchers through the ledger's, into open past months:
:func:`backend.demo.ledger.close_past_months` closes them afterwards). Idempotent: projects by title, the account by
code, the decision by title, a month's voucher by its summary. Returns the number of projects created.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend import decisions as pipeline
from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.demo.days import month_start, on_day
from backend.demo.decisions import _meeting
from backend.demo.registry import person
from backend.ledger import service as ledger
from backend.ledger.models import Voucher
from backend.projects import service
from backend.projects.models import Project

SOLAR = "村集体屋顶分布式光伏"
LOTUS = "十里荷塘乡村旅游"
SOLAR_DECISION = "村集体屋顶分布式光伏建设方案"
ACCOUNT_CODE, ACCOUNT_NAME = "501004", "光伏发电收入"
PLAN = [3000, 3200, 3800, 4200, 4800, 5000, 5000, 4800, 4200, 3800, 3200, 3000]  # 元 per month, 48,000 a year
FAILED_MONTHS = 5  # the last complete months since the 逆变器 failure bring a quarter of the plan


def _decision(village_id: int, on: date) -> int:
    village = registry.get_village(village_id)
    found = db.session.execute(select(Decision.id).where(
        Decision.village_id == village_id, Decision.title == SOLAR_DECISION)).scalar_one_or_none()
    if found is not None:
        return found
    secretary = registry.load_principal(person("wangjianguo").id)
    assert secretary is not None
    start = on - timedelta(days=30)
    with on_day(start):
        d = pipeline.create_decision(village_id, pipeline.DecisionInput(
            title=SOLAR_DECISION, category="project", origin="上级党委政府安排", amount_fen=80_000_000,
            description="利用村委会、文化礼堂和小学屋顶建设分布式光伏电站，总投资80万元（县级扶持资金50万元、"
                        "村集体自筹30万元），发电收入全部归村集体。",
            decision_body="members_assembly"), actor=secretary)
    for stage, body, days, summary in (("提议", "two_committees", 0, "党支部提议建设屋顶分布式光伏"),
                                       ("商议", "two_committees", 4, "两委联席会议商议光伏建设方案"),
                                       ("审议", "party_meeting", 9, "党员大会审议通过光伏建设方案"),
                                       ("决议", "members_assembly", 20, "成员大会表决通过光伏建设方案")):
        with on_day(start + timedelta(days=days)):
            _meeting(d, village, stage, body, start + timedelta(days=days), secretary, absent=2 if days else 0,
                     summary=summary)
    return d.id


def _carry_out(decision_id: int, resolved_on: date, implemented_on: date, secretary: Principal) -> None:
    """The plan's 决议公开 after the 成员大会, and once the plant was accepted its 实施结果公开: the decision done,
    as a project implemented 14 months ago should be (else the township would see it 停滞)."""
    d = db.session.get(Decision, decision_id)
    assert d is not None
    if d.status == "done":
        return
    with on_day(resolved_on + timedelta(days=1)):
        pipeline.open_publicity(d, "决议公开", start_on=resolved_on + timedelta(days=1), summary="光伏建设方案决议公示",
                                channel="村务公开栏、阳光村务小程序", actor=secretary)
    with on_day(resolved_on + timedelta(days=12)):
        pipeline.close_publicity(d, "决议公开", supervisor_opinion="公示期内无异议（监督委员会 赵德明）",
                                 actor=secretary)
    with on_day(implemented_on + timedelta(days=5)):
        pipeline.record_result(d, pipeline.ResultInput(
            spent_fen=80_000_000, accepted_on=implemented_on, accepted_by="村务监督委员会、县供电公司",
            acceptance_opinion="电站建成并网，验收合格", summary="屋顶分布式光伏电站建成并网发电"), actor=secretary)
        pipeline.open_publicity(d, "实施结果公开", start_on=implemented_on + timedelta(days=5),
                                summary="光伏电站建设结果公示", channel="村务公开栏", actor=secretary)
    with on_day(implemented_on + timedelta(days=16)):
        pipeline.close_publicity(d, "实施结果公开", supervisor_opinion="建设结果属实（监督委员会 赵德明）",
                                 actor=secretary)


def _income_voucher(village_id: int, day: date, fen: int) -> None:
    summary = f"收到国网电费结算（{day.year}年{day.month}月光伏发电）"
    if db.session.execute(select(Voucher.id).where(Voucher.village_id == village_id,
                                                   Voucher.summary == summary)).first():
        return
    accountant = registry.load_principal(person("lixiuying").id)
    village = registry.get_village(village_id)
    with on_day(day):
        v = ledger.create_voucher(village, ledger.VoucherInput(day, summary, [
            ledger.LineInput("102", debit_fen=fen), ledger.LineInput(ACCOUNT_CODE, credit_fen=fen)]),
            actor=accountant, source="demo")
        ledger.post_voucher(v, actor=accountant)


def _project(village_id: int, data: service.ProjectInput) -> tuple[Project, bool]:
    """The project of this title (created when missing) and whether it was created."""
    found = db.session.execute(select(Project).where(Project.village_id == village_id,
                                                     Project.title == data.title)).scalar_one_or_none()
    if found is not None:
        return found, False
    return service.create_project(registry.get_village(village_id), data, actor=None), True


def seed_projects() -> int:
    village = registry.village_by_code("LJ01")
    if village is None:
        return 0
    secretary = registry.load_principal(person("wangjianguo").id)
    staff = registry.load_principal(person("zhengwen").id)
    assert secretary is not None and staff is not None
    now = today()
    created = 0

    # ---- 光伏: implemented 14 months ago, producing since the month after
    account = next((a for a in ledger.accounts(village.id) if a.code == ACCOUNT_CODE), None)
    if account is None:
        account = ledger.add_subaccount(village, "501", ACCOUNT_CODE, ACCOUNT_NAME, category=None, actor=None)
    base = month_start(now, 17)
    dates = [base + timedelta(days=d) for d in (3, 20, 35, 50, 70, 85, 95)]  # 储备 … 实施 (about 14 months ago)
    decision_id = _decision(village.id, dates[5])
    solar, new = _project(village.id, service.ProjectInput(
        title=SOLAR, category="光伏发电", planned_investment_fen=80_000_000, income_account_id=account.id,
        description="在村委会、文化礼堂和小学屋顶建设分布式光伏电站，装机约200千瓦，所发电量全部上网，电费收入归村集体。"))
    created += new
    first_month = month_start(dates[6], -1)  # producing from the month after 实施
    if new:
        for year in range(first_month.year, now.year + 1):
            months = [0 if date(year, m, 1) < first_month else PLAN[m - 1] * 100 for m in range(1, 13)]
            service.set_plans(solar, year, months, actor=secretary)
    documents = {1: ["村集体经济项目储备表（光伏）"], 2: ["光伏项目可行性研究报告", "屋顶荷载安全评估"],
                 3: ["村级项目筛选会议纪要"], 4: ["县级扶持村级集体经济发展项目申报书"],
                 5: ["青山镇项目评审委员会审批意见"], 6: ["立项批复", "成员大会决议"],
                 7: ["光伏电站并网验收单", "施工合同"]}
    notes = {5: "经镇项目评审委员会评审，同意实施", 7: "电站建成并网发电"}
    for n in range(solar.step + 1, 8):
        funds = [service.FundInput("县级财政", 50_000_000, dates[3], "县级扶持村级集体经济发展资金"),
                 service.FundInput("村集体自筹", 30_000_000, dates[3], "村集体经营积累")] if n == 4 else []
        with on_day(dates[n - 1]):
            service.add_step(solar, service.StepInput(
                step=n, done_on=dates[n - 1], documents=documents[n], note=notes.get(n),
                decision_id=decision_id if n == 6 else None, funds=funds), actor=staff if n == 5 else secretary)
    _carry_out(decision_id, dates[5] - timedelta(days=10), dates[6], secretary)
    # income: about as planned, then a third of the plan since the 逆变器 failure
    back = 1
    while month_start(now, back) >= first_month:
        m = month_start(now, back)
        share = 25 if back <= FAILED_MONTHS else 100 + (m.month * 7) % 9 - 4  # 96–104 %
        _income_voucher(village.id, m.replace(day=25), PLAN[m.month - 1] * share)
        back += 1

    # ---- 十里荷塘: at 申报, waiting for the township's 审批
    lotus, new = _project(village.id, service.ProjectInput(
        title=LOTUS, category="乡村旅游", planned_investment_fen=120_000_000,
        description="依托十里荷塘水面，建设观荷栈道、采莲体验区和农家乐，带动集体增收和村民就业。"))
    created += new
    lotus_dates = [now - timedelta(days=d) for d in (60, 45, 30, 12)]
    lotus_docs = {1: ["村集体经济项目储备表（乡村旅游）"], 2: ["十里荷塘乡村旅游项目论证报告"],
                  3: ["村级项目筛选会议纪要"], 4: ["市级乡村振兴衔接资金项目申报书"]}
    for n in range(lotus.step + 1, 5):
        funds = [service.FundInput("市级财政", 60_000_000, lotus_dates[3], "申请市级乡村振兴衔接资金")] \
            if n == 4 else []
        with on_day(lotus_dates[n - 1]):
            service.add_step(lotus, service.StepInput(step=n, done_on=lotus_dates[n - 1], documents=lotus_docs[n],
                                                      funds=funds), actor=secretary)
    db.session.flush()
    return created
