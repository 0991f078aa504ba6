"""The land fixture (临江村 with staff, households, a transferee, a resolved lease decision, open books), a clock set
to 2026-06-15 in China, and helpers to sign the collective's contracts through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.land.conftest import Land, lands  # noqa: F401  (the fixture, shared)

API = "/api/v1"
TODAY = date(2026, 6, 15)


def at(now: list[datetime], day: date) -> None:
    """The clock at 10:00 in China on ``day``."""
    now[0] = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


@pytest.fixture
def today(now: list[datetime]) -> date:
    at(now, TODAY)
    return TODAY


def body(**over: Any) -> dict[str, Any]:
    """A service contract (保洁外包) of 12000.00 元 the collective pays in two installments."""
    data: dict[str, Any] = {
        "number": "HT-2026-001", "kind": "service", "direction": "expense", "counterparty_name": "洁美保洁服务部",
        "counterparty_code": "92371427MA3C00002X", "counterparty_phone": "13800001111", "title": "村庄保洁外包",
        "total": "12000.00", "signed_on": "2026-01-05", "start_date": "2026-01-10", "end_date": "2026-12-31",
        "deposit": "1000.00",
        "installments": [{"due_date": "2026-03-31", "amount": "6000.00"}, {"due_date": "2026-09-30",
                                                                          "amount": "6000.00"}]}
    data.update(over)
    return data


def sign(client: Any, make: Any, land: Land, **over: Any) -> dict[str, Any]:
    r = client.post(f"{API}/villages/{land.village.id}/contracts", headers=make.headers(land.accountant),
                    json=body(**over))
    assert r.status_code == 201, r.json
    return r.json
