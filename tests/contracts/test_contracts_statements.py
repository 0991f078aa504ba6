"""The register reads a fixed number of statements however many contracts and decisions it shows (every decision
cited in one statement), and a villager's register reads neither decisions nor installments (it shows neither)."""

from __future__ import annotations

from datetime import date

from backend.core.db import db
from tests.contracts.conftest import API, sign
from tests.factories import resolved_decision
from tests.land.conftest import statements


def _cites(n: int, lands, client, make) -> None:
    for i in range(n):
        d = resolved_decision(lands.village.id, f"保洁外包{i}", "contract", None, date(2026, 1, 2))
        db.session.commit()
        sign(client, make, lands, number=f"HT-{n}-{i}", decision_id=d.id)


def test_the_register_reads_every_cited_decision_in_one_statement(app, client, make, lands, today):
    lands.contract()
    _cites(1, lands, client, make)
    url = f"{API}/villages/{lands.village.id}/contracts"
    h = make.headers(lands.secretary)
    r, small = statements(app, url, h)
    assert r.status_code == 200 and r.json["total"] == 2
    _cites(4, lands, client, make)
    r, large = statements(app, url, h)
    assert r.status_code == 200 and r.json["total"] == 6
    assert len({row["decision"]["id"] for row in r.json["items"] if row["decision"]}) == 5
    assert len(large) == len(small), "\n".join(large)
    assert len([s for s in large if "FROM decisions" in s]) == 1


def test_a_villagers_register_reads_no_decision_and_no_installment(app, client, make, lands, today):
    lands.contract()
    _cites(2, lands, client, make)
    villager = make.member(lands.village, "孙小明")
    db.session.commit()
    r, seen = statements(app, f"{API}/villages/{lands.village.id}/contracts", make.headers(villager))
    assert r.status_code == 200 and r.json["total"] == 3
    assert not [s for s in seen if "FROM decisions" in s or "FROM collective_contract_installments" in s], seen
