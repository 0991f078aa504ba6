"""The demo's calendar: dates relative to the seeding day, and running service calls "on" a past day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from backend.core import clock
from backend.core.clock import SHANGHAI


def month_start(d: date, back: int) -> date:
    """The first day of the month ``back`` months before ``d``'s month."""
    y, m = divmod(d.year * 12 + d.month - 1 - back, 12)
    return date(y, m + 1, 1)


@contextmanager
def on_day(day: date, at: time = time(10, 0)) -> Iterator[None]:
    """Run the service calls inside as if it were ``day`` (Asia/Shanghai), then put the clock back."""
    previous = clock._now
    moment = datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)
    clock.set_now(lambda: moment)
    try:
        yield
    finally:
        clock.set_now(previous)
