"""Projects of the collective (项目库), the seven steps each goes through, its support funds and its monthly plan.

Invariants the database enforces too:

- a project's step (the number of steps done) is 0–7; an implemented project has done all seven, an active one not;
- one row per project and step (1–7), and a step row only if the previous step's row exists (the composite foreign
  key (project_id, prev_step) → (project_id, step); step 1 has no previous); the service keeps the project's step
  equal to its highest step row, under the project's row lock, in the same transaction;
- every step, fund and plan row is of the project's village (composite foreign key to (id, village_id));
- one plan row per project and month; amounts never negative (funds strictly positive).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values

CATEGORIES = ("产业园", "光伏发电", "商铺厂房", "种养殖", "乡村旅游", "其他")
STATUSES = ("active", "implemented", "terminated")
STATUS_LABELS = {"active": "进行中", "implemented": "已实施", "terminated": "已终止"}
STEP_NAMES = ("储备", "论证", "筛选", "申报", "审批", "立项", "实施")  # step n is STEP_NAMES[n - 1]
FUND_SOURCES = ("中央财政", "省级财政", "市级财政", "县级财政", "乡镇", "村集体自筹", "社会资本", "其他")


class Project(db.Model):
    """A project of the village's collective: 产业园, 光伏发电, 商铺厂房 …"""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[str] = mapped_column(String(10), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    planned_investment_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)  # 计划总投资
    status: Mapped[str] = mapped_column(String(12), default="active", nullable=False)
    step: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # steps done, 0–7
    income_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    terminated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    terminate_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("id", "village_id", name="uq_projects_id_village"),
        UniqueConstraint("village_id", "title", name="uq_projects_village_title"),
        CheckConstraint(in_values("category", CATEGORIES), name="category"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("step >= 0 AND step <= 7", name="step_range"),
        CheckConstraint("status <> 'implemented' OR step = 7", name="implemented_all_steps"),
        CheckConstraint("status <> 'active' OR step < 7", name="active_not_done"),
        CheckConstraint("(status = 'terminated') = (terminated_on IS NOT NULL)", name="terminated_on"),
        CheckConstraint("planned_investment_fen >= 0", name="investment"),
    )


class ProjectStep(db.Model):
    """One step done: who, when, with which documents (references) and which decision."""

    __tablename__ = "project_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    prev_step: Mapped[int | None] = mapped_column(Integer, nullable=True)  # step − 1 (NULL for step 1)
    done_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    done_on: Mapped[date] = mapped_column(Date, nullable=False)
    documents: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("project_id", "step", name="uq_project_steps_project_step"),
        ForeignKeyConstraint(["project_id", "village_id"], ["projects.id", "projects.village_id"],
                             name="fk_project_steps_project_same_village"),
        ForeignKeyConstraint(["project_id", "prev_step"], ["project_steps.project_id", "project_steps.step"],
                             name="fk_project_steps_previous"),
        CheckConstraint("step >= 1 AND step <= 7", name="step_range"),
        CheckConstraint("(step = 1 AND prev_step IS NULL) OR (prev_step IS NOT NULL AND prev_step = step - 1)",
                        name="prev_step"),
    )


class ProjectFund(db.Model):
    """Support funds (扶持资金) or own funds for a project, by source."""

    __tablename__ = "project_funds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(["project_id", "village_id"], ["projects.id", "projects.village_id"],
                             name="fk_project_funds_project_same_village"),
        CheckConstraint(in_values("source", FUND_SOURCES), name="source"),
        CheckConstraint("amount_fen > 0", name="amount"),
    )


class ProjectPlan(db.Model):
    """The planned income of a project in one month."""

    __tablename__ = "project_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    planned_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("project_id", "month", name="uq_project_plans_project_month"),
        ForeignKeyConstraint(["project_id", "village_id"], ["projects.id", "projects.village_id"],
                             name="fk_project_plans_project_same_village"),
        CheckConstraint("planned_fen >= 0", name="planned"),
        CheckConstraint("length(month) = 7 AND substr(month, 5, 1) = '-'", name="month_format"),
    )
