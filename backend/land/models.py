"""Parcels, transfer and lease contracts, rent terms, the dues they generate, and payments allocated to households.

Areas are integer ten-thousandths of a mu (``area_mu4``: 1.2 mu = 12000), money integer fen, grain integer jin.
Invariants the database enforces too:

- a parcel code is unique in its village; a contracted parcel names its household (same village);
- a contract number is unique in its village; a parcel is in at most one contract line per contract;
- one due per contract and contract year; amounts never negative; a payment's idempotency key is unique per contract;
- one allocation per payment and household (a payment is never allocated twice), one payment per due and key.

Whether a parcel is in two contracts for overlapping terms, the term against the household's contract term, and
that a payment never exceeds what is outstanding are checked by the service under the contract's row lock.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values

PARCEL_KINDS = ("contracted", "collective_land", "collective_asset")
LAND_TYPES = ("耕地", "园地", "林地", "草地", "养殖水面", "设施农用地", "其他")
PARTY_KINDS = ("company", "cooperative", "family_farm", "person", "other")
CONTRACT_KINDS = ("transfer", "lease")  # households' land transferred / the collective's own land and assets leased
CONTRACT_STATUSES = ("active", "ended", "terminated")
RENT_KINDS = ("cash", "in_kind")
PRICE_BASES = ("market", "minimum")
PAY_METHODS = ("bank", "cash")
BATCH_STATUSES = ("pending", "paid")


class Parcel(db.Model):
    """承包地块 (a household's contracted parcel) or the collective's own land or asset (鱼塘, 门面, 蚕房 …)."""

    __tablename__ = "land_parcels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="contracted", nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)  # 地块代码
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    location: Mapped[str | None] = mapped_column(String(120), nullable=True)  # 坐落 / 四至
    land_type: Mapped[str] = mapped_column(String(10), default="耕地", nullable=False)
    grade: Mapped[str | None] = mapped_column(String(20), nullable=True)  # 等级
    area_mu4: Mapped[int] = mapped_column(BigInteger, nullable=False)  # 登记面积 (mu × 10,000)
    measured_mu4: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # 实测面积
    basic_farmland: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # 永久基本农田
    household_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)  # 承包户
    certificate_no: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 承包经营权证号
    contract_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # end of the household's 承包期
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "code", name="uq_land_parcels_village_code"),
        UniqueConstraint("id", "village_id", name="uq_land_parcels_id_village"),
        ForeignKeyConstraint(["household_id", "village_id"], ["households.id", "households.village_id"],
                             name="fk_land_parcels_household_same_village"),
        CheckConstraint(in_values("kind", PARCEL_KINDS), name="kind"),
        CheckConstraint(in_values("land_type", LAND_TYPES), name="land_type"),
        CheckConstraint("area_mu4 > 0", name="area"),
        CheckConstraint("measured_mu4 IS NULL OR measured_mu4 > 0", name="measured"),
        CheckConstraint("(kind = 'contracted') = (household_id IS NOT NULL)", name="household"),
    )


class Party(db.Model):
    """A transferee or lessee (公司, 合作社, 家庭农场, 个人), as the model lease names its parties."""

    __tablename__ = "land_parties"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)  # 统一社会信用代码 (public)
    id_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a person's ID: keyed hash only
    id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    representative: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "name", name="uq_land_parties_village_name"),
        UniqueConstraint("id", "village_id", name="uq_land_parties_id_village"),
        CheckConstraint(in_values("kind", PARTY_KINDS), name="kind"),
    )


class Contract(db.Model):
    """A transfer contract for households' land (GF-2021-2606 fields) or the collective's own lease."""

    __tablename__ = "land_contracts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    party_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    use: Mapped[str] = mapped_column(String(20), nullable=False)  # 用途
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    entrusted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # 集体受托流转
    status: Mapped[str] = mapped_column(String(12), default="active", nullable=False)
    # rent terms (the first period's; later periods in land_rent_periods)
    rent_kind: Mapped[str] = mapped_column(String(8), default="cash", nullable=False)
    grain: Mapped[str | None] = mapped_column(String(10), nullable=True)  # 稻谷, 小麦, 玉米 (in kind)
    price_basis: Mapped[str | None] = mapped_column(String(8), nullable=True)  # market | minimum (in kind)
    increase_bp: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 每 N 年递增 (basis points)
    increase_every: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # N years
    due_month: Mapped[int] = mapped_column(Integer, nullable=False)  # 每年 M 月 D 日前支付当年度租金
    due_day: Mapped[int] = mapped_column(Integer, nullable=False)
    area_basis: Mapped[str] = mapped_column(String(10), default="registered", nullable=False)  # or measured
    # what the collective takes, only with a basis written in the contract
    fee_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    late_fee_per_10k: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 万分之 N of annual rent/day
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)  # 风险保障金
    deposit_received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    deposit_held_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    subsidy_to: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 耕地地力保护补贴归属
    filed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 向发包方备案
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "number", name="uq_land_contracts_village_number"),
        UniqueConstraint("id", "village_id", name="uq_land_contracts_id_village"),
        ForeignKeyConstraint(["party_id", "village_id"], ["land_parties.id", "land_parties.village_id"],
                             name="fk_land_contracts_party_same_village"),
        CheckConstraint(in_values("kind", CONTRACT_KINDS), name="kind"),
        CheckConstraint(in_values("status", CONTRACT_STATUSES), name="status"),
        CheckConstraint(in_values("rent_kind", RENT_KINDS), name="rent_kind"),
        CheckConstraint("rent_kind = 'cash' OR (grain IS NOT NULL AND price_basis IS NOT NULL)", name="in_kind"),
        CheckConstraint("end_date > start_date", name="term"),
        CheckConstraint("increase_bp >= 0 AND increase_bp <= 5000 AND increase_every >= 1", name="increase"),
        CheckConstraint("due_month BETWEEN 1 AND 12 AND due_day BETWEEN 1 AND 28", name="due_day"),
        CheckConstraint("area_basis IN ('registered', 'measured')", name="area_basis"),
        CheckConstraint("late_fee_per_10k >= 0 AND late_fee_per_10k <= 100", name="late_fee"),
        CheckConstraint("deposit_fen >= 0", name="deposit"),
    )


class ContractParcel(db.Model):
    """A parcel in a contract, with the area rent is counted on and, for an entrusted transfer, the household's
    written entrustment (流转委托书)."""

    __tablename__ = "land_contract_parcels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    parcel_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    household_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)  # copied from the parcel
    area_mu4: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the area rent is counted on
    entrustment_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    entrustment_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    entrustment_scope: Mapped[str | None] = mapped_column(String(200), nullable=True)  # 委托事项、权限、期限

    __table_args__ = (
        UniqueConstraint("contract_id", "parcel_id", name="uq_land_contract_parcels_parcel"),
        ForeignKeyConstraint(["contract_id", "village_id"], ["land_contracts.id", "land_contracts.village_id"],
                             name="fk_land_contract_parcels_contract", ondelete="CASCADE"),
        ForeignKeyConstraint(["parcel_id", "village_id"], ["land_parcels.id", "land_parcels.village_id"],
                             name="fk_land_contract_parcels_parcel"),
        CheckConstraint("area_mu4 > 0", name="area"),
        CheckConstraint("(entrustment_no IS NULL) = (entrustment_on IS NULL)", name="entrustment"),
    )


class RentPeriod(db.Model):
    """Rent agreed for contract years ``from_year``..``to_year`` (1 = the first contract year): 长包短定 re-agrees
    the rent period by period. Cash: fen per mu per year; in kind: jin per mu per year. ``collective_per_mu`` is
    paid to the collective on top; ``fee_per_mu`` is the collective's service fee out of the households' rent, in fen
    (for rent in kind it is compared with the rent once the year's price makes it money: ``contracts.price_dues``)."""

    __tablename__ = "land_rent_periods"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("land_contracts.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    from_year: Mapped[int] = mapped_column(Integer, nullable=False)
    to_year: Mapped[int] = mapped_column(Integer, nullable=False)
    per_mu: Mapped[int] = mapped_column(BigInteger, nullable=False)  # fen (cash) or jin (in kind)
    collective_per_mu: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    fee_per_mu: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    flat_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)  # a lease of an asset: per year
    agreed_on: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (
        UniqueConstraint("contract_id", "from_year", name="uq_land_rent_periods_from"),
        CheckConstraint("from_year >= 1 AND to_year >= from_year", name="years"),
        CheckConstraint("per_mu >= 0 AND collective_per_mu >= 0 AND fee_per_mu >= 0 AND flat_fen >= 0",
                        name="amounts"),
    )


class GrainPrice(db.Model):
    """The year's grain price a township announces (market) or the state minimum purchase price, fen per jin."""

    __tablename__ = "land_grain_prices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    grain: Mapped[str] = mapped_column(String(10), nullable=False)
    basis: Mapped[str] = mapped_column(String(8), nullable=False)
    fen_per_jin: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("township_id", "year", "grain", "basis", name="uq_land_grain_prices"),
        CheckConstraint(in_values("basis", PRICE_BASES), name="basis"),
        CheckConstraint("fen_per_jin > 0", name="price"),
    )


class RentDue(db.Model):
    """One contract year's rent: due by ``due_date`` (pay before use). The amounts are NULL until the rent of that
    year is known (a period not yet re-agreed, an in-kind year whose price is not yet announced)."""

    __tablename__ = "land_rent_dues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("land_contracts.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    year_no: Mapped[int] = mapped_column(Integer, nullable=False)  # contract year 1, 2, …
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)  # exclusive
    due_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    household_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # rent to the households, gross
    fee_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the collective's fee out of it
    collective_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # paid to the collective on top
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    priced_note: Mapped[str | None] = mapped_column(String(120), nullable=True)  # how the amount was reached

    __table_args__ = (
        UniqueConstraint("contract_id", "year_no", name="uq_land_rent_dues_year"),
        CheckConstraint("household_fen IS NULL OR household_fen >= 0", name="household"),
        CheckConstraint("fee_fen IS NULL OR (fee_fen >= 0 AND fee_fen <= household_fen)", name="fee"),
        CheckConstraint("collective_fen IS NULL OR collective_fen >= 0", name="collective"),
        CheckConstraint("paid_fen >= 0", name="paid"),
        CheckConstraint("paid_fen <= COALESCE(household_fen, 0) + COALESCE(collective_fen, 0)", name="not_overpaid"),
        CheckConstraint("period_end > period_start", name="period"),
    )


class RentPayment(db.Model):
    """Money the transferee or lessee paid against one due, posted to the ledger and allocated to households."""

    __tablename__ = "land_rent_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("land_contracts.id"), nullable=False, index=True)
    due_id: Mapped[int] = mapped_column(ForeignKey("land_rent_dues.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    household_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)  # passed on to the households (net)
    collective_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the collective's share and fee
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)  # of which the service fee
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    receipt_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    payout_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("contract_id", "idempotency_key", name="uq_land_rent_payments_key"),
        CheckConstraint(in_values("method", PAY_METHODS), name="method"),
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("household_fen >= 0 AND collective_fen >= 0 AND household_fen + collective_fen = amount_fen",
                        name="split"),
        CheckConstraint("fee_fen >= 0 AND fee_fen <= collective_fen", name="fee"),
    )


class RentAllocation(db.Model):
    """A household's part of one payment (by area, largest remainder): what reaches the household."""

    __tablename__ = "land_rent_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("land_rent_payments.id"), nullable=False)
    due_id: Mapped[int] = mapped_column(ForeignKey("land_rent_dues.id"), nullable=False)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    household_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    area_mu4: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("payment_id", "household_id", name="uq_land_rent_allocations_household"),
        Index("uq_land_rent_allocations_payout_key", "id", "household_id", "amount_fen", unique=True),
        ForeignKeyConstraint(["household_id", "village_id"], ["households.id", "households.village_id"],
                             name="fk_land_rent_allocations_household_same_village"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        Index("ix_land_rent_allocations_due_household", "due_id", "household_id"),
    )


class PayoutBatch(db.Model):
    """A bank batch (代发) of households' rent: the file goes to the bank, and the batch is marked paid with the
    bank's reference and date — one voucher (Dr 应付款 / Cr 银行存款) for the whole batch."""

    __tablename__ = "land_payout_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(8), default="pending", nullable=False)
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    bank_reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)

    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_land_payout_batches_key"),
        UniqueConstraint("id", "village_id", name="uq_land_payout_batches_id_village"),
        CheckConstraint(in_values("status", BATCH_STATUSES), name="status"),
        CheckConstraint("total_fen > 0", name="total"),
        CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL AND bank_reference IS NOT NULL "
                        "AND voucher_id IS NOT NULL)", name="paid"),
    )


class RentPayout(db.Model):
    """Proof that a household's part of a payment reached it: in a bank batch (paid when the batch is) or in cash
    to a named receiver. One per allocation; its amount and household are the allocation's (a composite foreign
    key to the allocation's id, household and amount: the database refuses any other figure)."""

    __tablename__ = "land_rent_payouts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(BigId, nullable=False, unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)
    receiver_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # NULL while its bank batch is not paid
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(["allocation_id", "household_id", "amount_fen"],
                             ["land_rent_allocations.id", "land_rent_allocations.household_id",
                              "land_rent_allocations.amount_fen"], name="fk_land_rent_payouts_allocation"),
        ForeignKeyConstraint(["batch_id", "village_id"], ["land_payout_batches.id", "land_payout_batches.village_id"],
                             name="fk_land_rent_payouts_batch"),
        ForeignKeyConstraint(["household_id", "village_id"], ["households.id", "households.village_id"],
                             name="fk_land_rent_payouts_household_same_village"),
        UniqueConstraint("village_id", "idempotency_key", name="uq_land_rent_payouts_key"),
        CheckConstraint(in_values("method", PAY_METHODS), name="method"),
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("(method = 'bank') = (batch_id IS NOT NULL)", name="batch"),
        CheckConstraint("method = 'bank' OR (receiver_name IS NOT NULL AND paid_on IS NOT NULL "
                        "AND voucher_id IS NOT NULL)", name="cash"),
        CheckConstraint("(paid_on IS NULL) = (voucher_id IS NULL)", name="posted"),
    )
