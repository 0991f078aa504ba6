"""Registry tables. Invariants the database enforces too:

- a village code and a township code are unique; a household number is unique in its village;
- a member's household lies in the member's own village (composite foreign key);
- a household has at most one head (partial unique index);
- one person per ID number (unique keyed hash), one roster entry per person;
- a role assignment is scoped to exactly one village or one township, and a person holds a role in
  a scope at most once at a time; ended assignments stay as history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.permissions import ROLES

_ROLE_LIST = ", ".join(f"'{r}'" for r in ROLES)


class Township(db.Model):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    villages: Mapped[list[Village]] = relationship(back_populates="township", order_by="Village.code")


class Village(db.Model):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    township: Mapped[Township] = relationship(back_populates="villages")


class Household(db.Model):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    number: Mapped[str] = mapped_column(String(30), nullable=False)  # 户号, e.g. LJ-005
    address: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # 脱贫户 / 监测户: the households public-benefit jobs give priority to
    is_tuopin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # 脱贫户
    is_jiance: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # 监测户
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    village: Mapped[Village] = relationship()
    members: Mapped[list[Member]] = relationship(
        back_populates="household", foreign_keys="Member.household_id", order_by="Member.id", viewonly=True
    )

    __table_args__ = (
        UniqueConstraint("village_id", "number", name="uq_households_village_number"),
        UniqueConstraint("id", "village_id", name="uq_households_id_village"),
    )


class Person(db.Model):
    """A natural person known to the system: a villager on a roster, or staff without one."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    gender: Mapped[str] = mapped_column(String(1), nullable=False)
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    id6_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    id_last4: Mapped[str] = mapped_column(String(4), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(11), nullable=True, index=True)
    # the home township of staff who have no roster entry (郑雯, 冯立)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    member: Mapped[Member | None] = relationship(back_populates="person", uselist=False)

    __table_args__ = (CheckConstraint("gender IN ('M', 'F')", name="gender"),)


class Member(db.Model):
    """A person's entry on a village roster (户籍 in the village). ``is_collective_member`` is 成员资格."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    is_head: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    relation: Mapped[str] = mapped_column(String(20), default="户主", nullable=False)  # 与户主关系
    is_collective_member: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="active", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    person: Mapped[Person] = relationship(back_populates="member")
    village: Mapped[Village] = relationship()
    household: Mapped[Household] = relationship(back_populates="members", foreign_keys=[household_id])

    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "village_id"],
            ["households.id", "households.village_id"],
            name="fk_members_household_same_village",
        ),
        CheckConstraint("status IN ('active', 'moved_out', 'deceased', 'ended')", name="status"),
        Index(
            "uq_members_one_head",
            "household_id",
            unique=True,
            sqlite_where=text("is_head"),
            postgresql_where=text("is_head"),
        ),
    )


EVENT_KINDS = ("joined", "edited", "moved", "ended")


class MemberEvent(db.Model):
    """One step of a roster entry's history: registered (joined), changed (edited), moved to another household of
    the village (moved), membership ended (ended) — on which day, what it was before and after, and by whom.
    Rows are only ever added."""

    __tablename__ = "member_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    on_date: Mapped[date] = mapped_column(Date, nullable=False)  # the day it happened (China's date)
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)  # ended: moved_out / deceased / other
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint("kind IN ('joined', 'edited', 'moved', 'ended')", name="kind"),
        CheckConstraint("reason IS NULL OR reason IN ('moved_out', 'deceased', 'other')", name="reason"),
        CheckConstraint("(kind = 'ended') = (reason IS NOT NULL)", name="ended_reason"),
    )


class RoleAssignment(db.Model):
    """A person holds ``role`` in one village or one township from ``valid_from`` until ``valid_to``."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True, index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True, index=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    village: Mapped[Village | None] = relationship()
    township: Mapped[Township | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST})", name="role"),
        CheckConstraint("(village_id IS NULL) <> (township_id IS NULL)", name="one_scope"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        Index(
            "uq_role_assignments_active_village",
            "person_id",
            "role",
            "village_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL AND village_id IS NOT NULL"),
            postgresql_where=text("valid_to IS NULL AND village_id IS NOT NULL"),
        ),
        Index(
            "uq_role_assignments_active_township",
            "person_id",
            "role",
            "township_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL AND township_id IS NOT NULL"),
            postgresql_where=text("valid_to IS NULL AND township_id IS NOT NULL"),
        ),
    )


class Setting(db.Model):
    """A local rule's value for one village or one township (the township's value is the villages' default).

    Keys and their code defaults are declared by the domains (see ``registry.settings``)."""

    __tablename__ = "settings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True)
    value: Mapped[str] = mapped_column(String(400), nullable=False)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("(village_id IS NULL) <> (township_id IS NULL)", name="one_scope"),
        Index("uq_settings_village_key", "village_id", "key", unique=True,
              sqlite_where=text("village_id IS NOT NULL"), postgresql_where=text("village_id IS NOT NULL")),
        Index("uq_settings_township_key", "township_id", "key", unique=True,
              sqlite_where=text("township_id IS NOT NULL"), postgresql_where=text("township_id IS NOT NULL")),
    )
