"""Audit log: every write by a person leaves an entry (who, in which role, village, what, when, ids).

Entries are written in the same transaction as the change they describe, so an entry exists if and
only if the change does. The table is append-only: nothing in the code updates or deletes an entry, and the
database refuses to (triggers on SQLite and PostgreSQL, :func:`guard_create_statements`, installed by migration
0012), so neither can a script or a console that bypasses the code.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Select, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.permissions import Principal


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    actor_roles: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_audit_log_village_at", "village_id", "at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    def before_data(self) -> Any:
        return json.loads(self.before) if self.before else None

    def after_data(self) -> Any:
        return json.loads(self.after) if self.after else None


def village_entries(
    village_id: int,
    *,
    person_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[tuple[AuditEntry]]:
    """The village's entries, newest first; optionally only one actor's (``person_id``), one action's, and those
    at or after ``since`` and before ``until`` (a half-open span: the console passes the day after the last day)."""
    stmt = select(AuditEntry).where(AuditEntry.village_id == village_id)
    if person_id is not None:
        stmt = stmt.where(AuditEntry.actor_person_id == person_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt.order_by(AuditEntry.id.desc())


def village_actions(village_id: int) -> list[str]:
    """The actions that occur in the village's entries, in code order (for a filter picker)."""
    return list(db.session.execute(
        select(AuditEntry.action).where(AuditEntry.village_id == village_id).distinct().order_by(AuditEntry.action)
    ).scalars())


def village_actor_ids(village_id: int) -> list[int]:
    """The people who acted in the village's entries (the command line and the system, who have no id, left out)."""
    return list(db.session.execute(
        select(AuditEntry.actor_person_id)
        .where(AuditEntry.village_id == village_id, AuditEntry.actor_person_id.is_not(None))
        .distinct()
    ).scalars())


# What each action is called in Chinese, for the log a secretary or a supervisor reads.
ACTION_LABELS: dict[str, str] = {
    "auth.bind": "绑定微信",
    "auth.bind_failed": "绑定微信失败",
    "auth.logout": "退出登录",
    "auth.unbind": "解除微信绑定",
    "auth.console_login": "扫码登录管理端",
    "auth.console_refused": "拒绝管理端登录",
    "decision.create": "提出决策事项",
    "decision.end": "终止决策事项",
    "decision.objection": "对决策事项提出异议",
    "decision.objection_answer": "答复决策事项异议",
    "decision.publicity_close": "结束公示",
    "decision.publicity_open": "开始公示",
    "decision.result": "登记实施结果",
    "decision.stage": "登记决策环节",
    "disclosure.answer": "答复财务公开提问",
    "disclosure.approve": "审核通过财务公开",
    "disclosure.draft": "编制财务公开",
    "disclosure.erratum": "编制财务公开更正",
    "disclosure.publish": "公布财务公开",
    "disclosure.question": "对财务公开提问",
    "disclosure.redraft": "重新编制财务公开",
    "disclosure.return": "退回财务公开",
    "dividend.cancel": "撤销分配方案",
    "dividend.compute": "计算分配清单",
    "dividend.create": "新建分配方案",
    "dividend.objection": "对分配清单提出异议",
    "dividend.objection_answer": "答复分配清单异议",
    "dividend.pay": "登记分红发放",
    "dividend.payout_open": "开始发放分红",
    "dividend.publish": "公示分配清单",
    "dividend.template": "保存分配方案模板",
    "household.create": "建户",
    "household.update": "修改户信息",
    "job.apply": "报名公益岗位",
    "job.draw": "公益岗位抽签",
    "job.hire": "聘用公益岗位人员",
    "job.hire_end": "解聘公益岗位人员",
    "job.objection": "对公益岗位提出异议",
    "job.objection_answer": "答复公益岗位异议",
    "job.pay": "发放公益岗位工资",
    "job.pay_record": "登记公益岗位考勤工资",
    "job.posting_create": "发布公益岗位",
    "job.seal": "封签公益岗位结果",
    "land.contract_create": "签订土地流转合同",
    "land.contract_import": "导入土地流转合同",
    "land.grain_price": "设定粮价",
    "land.parcel_create": "登记地块",
    "land.parcel_import": "导入地块",
    "land.party_create": "登记流转方",
    "land.rent_payment": "登记租金收款",
    "land.rent_period": "设定租金期间",
    "ledger.account_add": "增设会计科目",
    "ledger.period_close": "月末结账",
    "ledger.voucher_create": "录入凭证",
    "ledger.voucher_delete": "删除凭证草稿",
    "ledger.voucher_import": "导入凭证",
    "ledger.voucher_post": "凭证记账",
    "ledger.voucher_reverse": "冲销凭证",
    "ledger.voucher_update": "修改凭证草稿",
    "member.create": "登记在册人员",
    "member.update": "修改在册人员",
    "notice.offline_reads": "登记线下已读",
    "notice.publish": "发布通知",
    "notice.remind": "提醒未读",
    "notice.withdraw": "撤回通知",
    "person.create": "登记人员",
    "role.end": "结束角色",
    "role.grant": "指定角色",
    "roster.import": "导入花名册",
    "setting.put": "修改本地规则",
    "share.certificate": "发放股权证",
    "share.event": "登记股权变动",
    "share.import": "导入股权登记簿",
    "share.payee": "登记收款账户",
    "share.type_create": "新增股份类型",
    "share.type_update": "修改股份类型",
    "township.create": "建立乡镇",
    "village.create": "建立村",
    "vote.open": "发起表决",
    "vote.paper": "录入纸质表决结果",
    "vote.proxy": "登记委托投票",
    "vote.proxy_revoke": "撤销委托投票",
    "vote.tally": "表决计票",
    # --- roster (issue 18)
    "member.end": "注销成员资格",
    "member.move": "迁户",
    # --- membership (issue 18)
    "membership.apply": "提交成员资格申请",
    "membership.review": "两委审查成员资格申请",
    "membership.meeting": "登记成员大会确认成员",
    "membership.publicity": "公示确认的成员名单",
    "membership.objection": "对成员名单提出异议",
    "membership.objection_answer": "答复成员名单异议",
    "membership.register": "登记确认的成员",
    "membership.register_member": "登记为集体经济组织成员",
    # --- decisions console (issue 18)
    "vote.close": "提前结束表决",
    # --- assisted (issue 18)
    "assisted.enter": "录入代办（无手机成员）",
    "assisted.cosign": "会签代办（已记录）",
    "assisted.refuse": "拒绝会签代办",
    "assisted.withdraw": "撤回代办",
    "assisted.expire": "代办超时未会签作废",
    # --- jobs and notices console (issue 18)
    "job.close": "提前截止公益岗位报名",
    # --- books console (issue 19, H1)
    # --- reports and disclosures console (issue 19, H5)
    # --- dividends console (issue 19, H2)
    # --- land console and payouts (issue 19, H3)
    "land.rent_payout": "现金转付农户租金",
    "land.parcel_update": "更正地块登记",
    "land.payout_batch": "编制租金银行代发批次",
    "land.payout_batch_paid": "租金银行代发到户",
    "land.payout_batch_cancel": "撤销租金代发批次",
    # --- 公示 sheets (issue 19, H4)
    # --- 三资, collective contracts, 项目库, warnings (issue 21)
    "assets.create": "登记三资", "assets.update": "更正三资登记", "assets.dispose": "处置三资",
    "assets.import": "导入三资登记簿", "assets.inventory_create": "开始清产核资",
    "assets.inventory_line": "记录清产核资核对结果", "assets.inventory_line_delete": "删去清产核资核对记录",
    "assets.inventory_seal": "封存清产核资",
    "contracts.create": "登记集体合同", "contracts.update": "更正集体合同", "contracts.terminate": "终止集体合同",
    "contracts.settle": "登记合同收付款", "contracts.deposit_received": "收取合同保证金",
    "contracts.deposit_returned": "退还合同保证金", "contracts.import": "导入集体合同",
    "projects.create": "登记项目", "projects.update": "更正项目", "projects.step": "项目推进一步",
    "projects.fund_add": "登记项目资金", "projects.plan_set": "设定项目收益计划", "projects.terminate": "终止项目",
    "warnings.refresh": "刷新预警",
}
# an action not listed above is named by its domain: nothing shows a code to a reader
DOMAIN_LABELS: dict[str, str] = {
    "auth": "登录与绑定", "decision": "四议两公开", "disclosure": "财务公开", "dividend": "收益分配",
    "household": "户", "job": "公益岗位", "land": "土地流转", "ledger": "账务", "member": "花名册",
    "notice": "通知", "person": "人员", "role": "角色", "roster": "花名册", "setting": "本地规则",
    "share": "股权", "township": "乡镇", "village": "村", "vote": "表决", "wechat": "微信",
    "membership": "成员确认", "assisted": "代办", "assets": "三资", "contracts": "集体合同", "projects": "项目库",
    "warnings": "预警",
}


def action_label(action: str) -> str:
    """The Chinese name of ``action``: "role.grant" → "指定角色"; an unlisted one → "<domain>：其他操作"."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return f"{DOMAIN_LABELS.get(action.split('.', 1)[0], '系统')}：其他操作"


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor: Principal | None,
    village_id: int | None = None,
    township_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    roles = ""
    if actor is not None:
        if village_id is not None:
            roles = ",".join(sorted(actor.roles_in(village_id))) or ",".join(actor.roles())
        else:
            roles = ",".join(actor.roles())
    entry = AuditEntry(
        at=utcnow(),
        actor_person_id=actor.person_id if actor else None,
        actor_roles=roles[:200],
        village_id=village_id,
        township_id=township_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True, default=str) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True, default=str) if after is not None else None,
    )
    db.session.add(entry)
    return entry


# ---------------------------------------------------------------- the database's guard

APPEND_ONLY = "操作记录只能追加，不能修改或删除"
GUARD_TRIGGERS = ("audit_log_guard_update", "audit_log_guard_delete")

_SQLITE_CREATE = tuple(
    f"""CREATE TRIGGER audit_log_guard_{op.lower()} BEFORE {op} ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for op in ("UPDATE", "DELETE")
)
_POSTGRES_CREATE = (
    f"""CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    *(
        f"""CREATE TRIGGER audit_log_guard_{op.lower()} BEFORE {op} ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()"""
        for op in ("UPDATE", "DELETE")
    ),
)
_POSTGRES_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name} ON audit_log" for name in GUARD_TRIGGERS),
    "DROP FUNCTION IF EXISTS audit_log_guard()",
)
_SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in GUARD_TRIGGERS)


def guard_create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that make the database refuse UPDATE and DELETE of audit rows (INSERT stays free).

    PostgreSQL's TRUNCATE is not a row operation and is not refused: emptying a test database, or ``pg_restore
    --clean`` dropping the table, still works."""
    return _POSTGRES_CREATE if dialect == "postgresql" else _SQLITE_CREATE


def guard_drop_statements(dialect: str) -> tuple[str, ...]:
    return _POSTGRES_DROP if dialect == "postgresql" else _SQLITE_DROP
