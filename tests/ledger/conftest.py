"""The books' shared fixtures: ``api`` (a request in its own app context) and ``w`` (青山镇's two villages with their
staff), defined with the voucher tests and used by the decision-cap tests too; ``books`` (two villages with their
charts and accountants, committed), for the postings at once and the months' totals."""

from typing import Any

import pytest

from backend import ledger
from backend.core.db import db
from tests.factories import Factory
from tests.ledger.test_vouchers import api, w  # noqa: F401


@pytest.fixture
def books(make: Factory) -> dict[str, Any]:
    qs = make.township()
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("XZ02", "新竹村", township=qs)
    acct = make.member(a, "李会计", roles=("accountant",))
    b_acct = make.member(b, "周会计", roles=("accountant",))
    ledger.ensure_chart(a)
    ledger.ensure_chart(b)
    db.session.commit()
    return {"a": a, "b": b, "h": make.headers(acct), "b_h": make.headers(b_acct)}
