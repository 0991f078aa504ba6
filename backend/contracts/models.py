"""The collective's contracts other than land transfers and leases (those stay in ``land``): services, construction,
purchases, leases of assets not on land — each with its schedule of installments, its deposit (保证金) and the
decision it rests on.

Invariants the database enforces too:

- a contract number is unique in its village (and the service refuses a land contract's number);
- a contract's total, each installment's amount are positive; an installment is never settled beyond its amount;
- the deposit is returned only after it was received; nothing crosses villages (composite foreign keys);
- one settlement per contract and idempotency key.

That the installments add up to the total is checked by the service (one transaction writes them all).
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

KINDS = ("service", "construction", "purchase", "asset_lease", "other")
KIND_LABELS = {"service": "服务", "construction": "工程施工", "purchase": "采购", "asset_lease": "资产出租",
               "other": "其他"}
DIRECTIONS = ("income", "expense")
DIRECTION_LABELS = {"income": "收入", "expense": "支出"}
STATUSES = ("active", "ended", "terminated")
STATUS_LABELS = {"active": "履行中", "ended": "已到期", "terminated": "已终止"}
METHODS = ("bank", "cash")


class CollectiveContract(db.Model):
    """A contract of the collective: who with, what for, how much, when, on which decision."""

    __tablename__ = "collective_contracts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    counterparty_name: Mapped[str] = mapped_column(String(80), nullable=False)
    counterparty_code: Mapped[str | None] = mapped_column(String(18), nullable=True)  # 统一社会信用代码
    counterparty_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    asset_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the 三资 register's asset, same village
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    deposit_received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    deposit_returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="active", nullable=False)
    terminated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "number", name="uq_collective_contracts_village_number"),
        UniqueConstraint("id", "village_id", name="uq_collective_contracts_id_village"),
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint(in_values("direction", DIRECTIONS), name="direction"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("total_fen > 0", name="total"),
        CheckConstraint("end_date >= start_date", name="term"),
        CheckConstraint("deposit_fen >= 0", name="deposit"),
        CheckConstraint("deposit_fen > 0 OR deposit_received_on IS NULL", name="deposit_received"),
        CheckConstraint("deposit_returned_on IS NULL OR deposit_received_on IS NOT NULL", name="deposit_returned"),
        CheckConstraint("(status = 'terminated') = (terminated_on IS NOT NULL)", name="terminated"),
    )


class Installment(db.Model):
    """One payment of the schedule: due on ``due_date``, ``settled_fen`` of it received or paid so far."""

    __tablename__ = "collective_contract_installments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    settled_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    note: Mapped[str | None] = mapped_column(String(60), nullable=True)

    __table_args__ = (
        UniqueConstraint("contract_id", "seq", name="uq_collective_contract_installments_seq"),
        UniqueConstraint("id", "village_id", name="uq_collective_contract_installments_id_village"),
        ForeignKeyConstraint(["contract_id", "village_id"],
                             ["collective_contracts.id", "collective_contracts.village_id"],
                             name="fk_collective_contract_installments_contract", ondelete="CASCADE"),
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("settled_fen >= 0 AND settled_fen <= amount_fen", name="settled"),
    )


class Settlement(db.Model):
    """Money received or paid against one installment, with the voucher that records it."""

    __tablename__ = "collective_contract_settlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    installment_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    account_code: Mapped[str] = mapped_column(String(20), nullable=False)  # the income/expense side posted
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("contract_id", "idempotency_key", name="uq_collective_contract_settlements_key"),
        ForeignKeyConstraint(["contract_id", "village_id"],
                             ["collective_contracts.id", "collective_contracts.village_id"],
                             name="fk_collective_contract_settlements_contract"),
        ForeignKeyConstraint(["installment_id", "village_id"],
                             ["collective_contract_installments.id", "collective_contract_installments.village_id"],
                             name="fk_collective_contract_settlements_installment"),
        CheckConstraint(in_values("method", METHODS), name="method"),
        CheckConstraint("amount_fen > 0", name="amount"),
    )
