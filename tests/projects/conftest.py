"""A township with 临江村 (secretary, committee member, accountant, a villager, an income subaccount 501004
光伏发电收入, a resolved and an unresolved decision), a second village of the same township, a second township, and
the township staff of each. The clock stands at 2026-06-15 10:00 (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.core.db import db
from backend.decisions.pipeline.models import Decision
from backend.ledger import service as ledger
from backend.projects import service
from backend.registry.models import Member, Person, Village
from tests.factories import resolved_decision

TODAY = date(2026, 6, 15)


@dataclass
class World:
    village: Village
    other_village: Village
    far_village: Village
    secretary: Member
    committee: Member
    accountant: Member
    villager: Member
    other_villager: Member
    staff: Person  # township staff of the village's township (项目评审委员会)
    far_staff: Person  # township staff of another township
    account: Any  # 501004 光伏发电收入
    decision: Decision  # resolved
    pending: Decision  # not resolved
    other_decision: Decision  # resolved, of the other village

    def project(self, **over: Any) -> Any:
        data = dict(title="村集体屋顶分布式光伏", category="光伏发电", planned_investment_fen=80_000_000,
                    income_account_id=self.account.id)
        data.update(over)
        p = service.create_project(self.village, service.ProjectInput(**data), actor=None)
        db.session.commit()
        return p

    def post_income(self, on: date, fen: int, code: str = "501004") -> Any:
        v = ledger.create_voucher(self.village, ledger.VoucherInput(on, "光伏发电收入", [
            ledger.LineInput("102", debit_fen=fen), ledger.LineInput(code, credit_fen=fen)]), actor=None)
        ledger.post_voucher(v, actor=None)
        db.session.commit()
        return v


@pytest.fixture
def world(make, now) -> World:
    now[0] = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
    qs = make.township("QS", "青山镇")
    far = make.township("HX", "河西镇")
    village = make.village("LJ01", "临江村", qs)
    other = make.village("SQ02", "石桥村", qs)
    far_village = make.village("HX01", "河西村", far)
    ledger.ensure_chart(village)
    ledger.ensure_chart(other)
    account = ledger.add_subaccount(village, "501", "501004", "光伏发电收入", category=None, actor=None)
    w = World(
        village=village, other_village=other, far_village=far_village,
        secretary=make.member(village, "王建国", roles=("secretary",)),
        committee=make.member(village, "陈志强", roles=("committee",)),
        accountant=make.member(village, "李秀英", roles=("accountant",)),
        villager=make.member(village, "张大山"),
        other_villager=make.member(other, "刘石头"),
        staff=make.staff(qs, "郑雯"),
        far_staff=make.staff(far, "孙河"),
        account=account,
        decision=resolved_decision(village.id, "建设村集体屋顶分布式光伏", "project", 80_000_000, date(2025, 3, 1)),
        pending=Decision(village_id=village.id, title="蔬菜大棚产业园", category="project", status="in_progress"),
        other_decision=resolved_decision(other.id, "石桥村修路", "project", None, date(2025, 3, 1)),
    )
    db.session.add(w.pending)
    db.session.commit()
    return w
