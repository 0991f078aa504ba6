"""Login state. Secrets (tokens, bind tickets) are stored only as SHA-256 hashes; session_key never leaves."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db

if TYPE_CHECKING:
    from backend.registry import Person


class WeChatAccount(db.Model):
    """One WeChat user of our mini-program (appid + openid); bound to at most one person and vice versa."""

    __tablename__ = "wechat_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appid: Mapped[str] = mapped_column(String(40), nullable=False)
    openid: Mapped[str] = mapped_column(String(64), nullable=False)
    unionid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    session_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # server-side only
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True, unique=True)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bind_blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    person: Mapped[Person | None] = relationship("Person")

    __table_args__ = (UniqueConstraint("appid", "openid", name="uq_wechat_accounts_appid_openid"),)


class BindTicket(db.Model):
    """Proof that a WeChat account just logged in, good for a few minutes of binding attempts."""

    __tablename__ = "bind_tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    wechat_account_id: Mapped[int] = mapped_column(ForeignKey("wechat_accounts.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    account: Mapped[WeChatAccount] = relationship()


class ApiToken(db.Model):
    """A bearer token. Revoked at logout; expired after TOKEN_TTL_HOURS (the mini-program's, kind ``app``) or
    CONSOLE_TOKEN_TTL_HOURS (the staff console's, kind ``console``, good only while its person holds a staff role)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    wechat_account_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_accounts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    kind: Mapped[str] = mapped_column(String(10), default="app", server_default="app", nullable=False)

    __table_args__ = (CheckConstraint("kind IN ('app', 'console')", name="kind"),)


class ConsoleTicket(db.Model):
    """A staff console asking to be logged in: the console polls with the secret ``ticket`` (kept here only as its
    hash); the QR code it shows carries the public ``code``, which a staff member's mini-program approves. Whoever
    photographs the QR code learns the code and still cannot poll. The token is made at the first poll after the
    approval, delivered once, and never stored in clear."""

    __tablename__ = "console_tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    browser: Mapped[str | None] = mapped_column(String(120), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # expired is not a status: it is read from expires_at
    status: Mapped[str] = mapped_column(String(10), default="waiting", nullable=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (CheckConstraint("status IN ('waiting', 'approved', 'refused', 'used')", name="status"),)
