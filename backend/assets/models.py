"""The 三资 register: one table of the collective's assets (资产), resources (资源) and funds (资金), the events of
each entry's history, the posted vouchers behind an entry's value, and 清产核资 inventories with their lines.

Money is integer fen, areas integer mu × 10,000. Invariants the database enforces too:

- an entry's code is unique in its village; its category belongs to its kind; a fund names its ledger account and
  holds no typed value (its balance is read from the posted books); a resource has an area;
- the stored status is 在用, 闲置 or 已处置 (出租 follows an active lease on the linked parcel, never typed), and a
  disposed entry has its disposal date and kind;
- every link (parcel, event, voucher, inventory line) stays inside the entry's village (composite foreign keys);
- an inventory is open or sealed, and a sealed one carries its seal's hash and time.
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

KINDS = ("asset", "resource", "fund")
KIND_LABELS = {"asset": "资产", "resource": "资源", "fund": "资金"}
CATEGORIES = {
    "asset": ("房屋及建筑物", "门面商铺", "机器设备", "交通运输工具", "基础设施", "生物资产", "公益性资产", "其他"),
    "resource": ("耕地", "园地", "林地", "草地", "水面", "四荒地", "建设用地", "其他"),
    "fund": ("银行存款", "库存现金"),
}
STATUSES = ("in_use", "idle", "disposed")  # stored; "leased" is derived from an active lease
STATUS_LABELS = {"in_use": "在用", "leased": "出租", "idle": "闲置", "disposed": "已处置"}
ACQUIRED = ("built", "bought", "state", "donated", "other")
ACQUIRED_LABELS = {"built": "自建", "bought": "购置", "state": "国家划拨/转移", "donated": "接受捐赠", "other": "其他"}
DISPOSALS = ("sale", "write_off", "transfer", "missing")
DISPOSAL_LABELS = {"sale": "出售", "write_off": "报废/核销", "transfer": "无偿调出", "missing": "盘亏"}
INVENTORY_STATUSES = ("open", "sealed")
LINE_RESULTS = ("confirmed", "corrected", "missing", "found")
LINE_LABELS = {"confirmed": "账实相符", "corrected": "更正", "missing": "盘亏", "found": "盘盈"}


def _categories() -> str:
    return " OR ".join(f"(kind = '{k}' AND {in_values('category', v)})" for k, v in CATEGORIES.items())


class Asset(db.Model):
    """One entry of the register: an asset, a resource or a fund (bank account or cash)."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)  # 编号
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    location: Mapped[str | None] = mapped_column(String(120), nullable=True)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(10), nullable=True)
    area_mu4: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    original_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # 原值
    book_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # 账面价值 (a fund: from the books)
    acquired_how: Mapped[str | None] = mapped_column(String(10), nullable=True)
    acquired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="in_use", nullable=False)
    status_since: Mapped[date] = mapped_column(Date, nullable=False)
    parcel_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)  # land parcel (user/contract)
    bank_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    ledger_code: Mapped[str | None] = mapped_column(String(12), nullable=True)  # 101 / 102 or a subaccount
    photos: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    hidden_fields: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON: not shown to villagers
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disposal_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    disposed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    disposal_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "code", name="uq_assets_village_code"),
        UniqueConstraint("id", "village_id", name="uq_assets_id_village"),
        ForeignKeyConstraint(["parcel_id", "village_id"], ["land_parcels.id", "land_parcels.village_id"],
                             name="fk_assets_parcel_same_village"),
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint(_categories(), name="category"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("acquired_how IS NULL OR " + in_values("acquired_how", ACQUIRED), name="acquired"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity"),
        CheckConstraint("area_mu4 IS NULL OR area_mu4 > 0", name="area"),
        CheckConstraint("original_fen IS NULL OR original_fen >= 0", name="original"),
        CheckConstraint("book_fen IS NULL OR book_fen >= 0", name="book"),
        CheckConstraint("kind <> 'fund' OR (ledger_code IS NOT NULL AND book_fen IS NULL AND original_fen IS NULL"
                        " AND parcel_id IS NULL)", name="fund"),
        CheckConstraint("kind = 'fund' OR (ledger_code IS NULL AND bank_name IS NULL AND account_last4 IS NULL)",
                        name="not_fund"),
        CheckConstraint("kind <> 'resource' OR area_mu4 IS NOT NULL", name="resource_area"),
        CheckConstraint("account_last4 IS NULL OR length(account_last4) = 4", name="last4"),
        CheckConstraint("(status = 'disposed') = (disposed_on IS NOT NULL AND disposal_kind IS NOT NULL)",
                        name="disposed"),
        CheckConstraint("disposal_kind IS NULL OR " + in_values("disposal_kind", DISPOSALS), name="disposal_kind"),
    )


class AssetEvent(db.Model):
    """One change of an entry: who, when, what before and after, on which decision."""

    __tablename__ = "asset_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    asset_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # create, update, dispose, inventory, import
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    before: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON
    after: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(["asset_id", "village_id"], ["assets.id", "assets.village_id"],
                             name="fk_asset_events_asset", ondelete="CASCADE"),
    )


class AssetVoucher(db.Model):
    """A posted voucher of the village behind an entry's value (its number as the books write it)."""

    __tablename__ = "asset_vouchers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    asset_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=False)
    number: Mapped[str] = mapped_column(String(20), nullable=False)  # "2026-03-007"

    __table_args__ = (
        UniqueConstraint("asset_id", "voucher_id", name="uq_asset_vouchers_asset_voucher"),
        ForeignKeyConstraint(["asset_id", "village_id"], ["assets.id", "assets.village_id"],
                             name="fk_asset_vouchers_asset", ondelete="CASCADE"),
    )


class Inventory(db.Model):
    """清产核资: a dated inventory (基准日) of the register, open while its lines are recorded, then sealed."""

    __tablename__ = "asset_inventories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    base_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default="open", nullable=False)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seal_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("id", "village_id", name="uq_asset_inventories_id_village"),
        CheckConstraint(in_values("status", INVENTORY_STATUSES), name="status"),
        CheckConstraint("(status = 'sealed') = (seal_hash IS NOT NULL AND sealed_at IS NOT NULL)", name="sealed"),
    )


class InventoryLine(db.Model):
    """One entry's result in an inventory: confirmed, corrected (quantity, book value, status), missing (盘亏), or
    a new entry found (盘盈: no entry yet; the seal creates it)."""

    __tablename__ = "asset_inventory_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    asset_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)
    result: Mapped[str] = mapped_column(String(10), nullable=False)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # 盘盈: the new entry
    found_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    found_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    found_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    found_category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_asset_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        UniqueConstraint("inventory_id", "asset_id", name="uq_asset_inventory_lines_asset"),
        UniqueConstraint("inventory_id", "found_code", name="uq_asset_inventory_lines_found_code"),
        ForeignKeyConstraint(["inventory_id", "village_id"], ["asset_inventories.id", "asset_inventories.village_id"],
                             name="fk_asset_inventory_lines_inventory", ondelete="CASCADE"),
        ForeignKeyConstraint(["asset_id", "village_id"], ["assets.id", "assets.village_id"],
                             name="fk_asset_inventory_lines_asset"),
        ForeignKeyConstraint(["created_asset_id", "village_id"], ["assets.id", "assets.village_id"],
                             name="fk_asset_inventory_lines_created"),
        CheckConstraint(in_values("result", LINE_RESULTS), name="result"),
        CheckConstraint("(result = 'found') = (asset_id IS NULL)", name="found"),
        CheckConstraint("result <> 'found' OR (found_kind IS NOT NULL AND found_code IS NOT NULL"
                        " AND found_name IS NOT NULL AND found_category IS NOT NULL)", name="found_entry"),
        CheckConstraint("status IS NULL OR " + in_values("status", STATUSES), name="status"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity"),
        CheckConstraint("book_fen IS NULL OR book_fen >= 0", name="book"),
    )
