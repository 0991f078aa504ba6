"""Time: stored in UTC, shown with +08:00; business dates are Shanghai dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.core import clock


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    """Freeze the clock at ``frozen[0]``; the real clock is restored afterwards."""
    holder = [datetime(2026, 11, 22, 17, 0, tzinfo=UTC)]
    clock.set_now(lambda: holder[0])
    try:
        yield holder
    finally:
        clock.set_now(None)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 11, 22, 3, 53, tzinfo=UTC), "2026-11-22T11:53:00+08:00"),
        (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), "2026-11-23T01:00:00+08:00"),
        (datetime(2026, 12, 31, 16, 0, 0, 999_999, tzinfo=UTC), "2027-01-01T00:00:00+08:00"),
        # a naive value is taken as UTC (that is how it is stored)
        (datetime(2026, 11, 22, 3, 53), "2026-11-22T11:53:00+08:00"),
        # other zones are converted, not relabelled
        (datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=-4))), "2026-07-01T21:00:00+08:00"),
        (datetime(2026, 7, 1, 9, 0, tzinfo=clock.SHANGHAI), "2026-07-01T09:00:00+08:00"),
    ],
)
def test_to_iso_shows_shanghai_time(value: datetime, shown: str) -> None:
    assert clock.to_iso(value) == shown


def test_to_iso_none() -> None:
    assert clock.to_iso(None) is None


def test_to_iso_is_plus_eight_all_year() -> None:
    # China has no daylight saving time: +08:00 in January and in July
    assert clock.to_iso(datetime(2026, 1, 15, tzinfo=UTC)).endswith("+08:00")  # type: ignore[union-attr]
    assert clock.to_iso(datetime(2026, 7, 15, tzinfo=UTC)).endswith("+08:00")  # type: ignore[union-attr]


def test_today_is_the_shanghai_date(frozen: list[datetime]) -> None:
    assert clock.today() == date(2026, 11, 23)  # 17:00Z is 01:00 the next morning in China
    frozen[0] = datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)
    assert clock.today() == date(2026, 11, 22)  # 23:59:59 in China
    frozen[0] = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert clock.today() == date(2026, 11, 23)  # midnight in China
    frozen[0] = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert clock.today() == date(2027, 1, 1)


def test_utcnow_follows_set_now(frozen: list[datetime]) -> None:
    assert clock.utcnow() == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    frozen[0] += timedelta(days=3)
    assert clock.utcnow() == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def test_set_now_none_restores_the_real_clock() -> None:
    clock.set_now(lambda: datetime(2000, 1, 1, tzinfo=UTC))
    assert clock.utcnow().year == 2000
    clock.set_now(None)
    before = datetime.now(UTC)
    now = clock.utcnow()
    after = datetime.now(UTC)
    assert before <= now <= after
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_real_utcnow_is_aware_utc() -> None:
    now = clock.utcnow()
    assert now.utcoffset() == timedelta(0)
