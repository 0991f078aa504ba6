"""Time: stored in UTC, shown as ISO 8601 with +08:00; business dates are Asia/Shanghai dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Tests may replace this to move time (see tests/conftest.py `clock` fixture).
_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_now(fn: Callable[[], datetime] | None) -> None:
    """Freeze or move the clock (tests only). ``None`` restores the real clock."""
    global _now
    _now = fn if fn is not None else (lambda: datetime.now(UTC))


def today() -> date:
    """The business date in China."""
    return utcnow().astimezone(SHANGHAI).date()


def to_iso(value: datetime | None) -> str | None:
    """``2026-11-22T11:53:00+08:00``: what the API shows."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")
