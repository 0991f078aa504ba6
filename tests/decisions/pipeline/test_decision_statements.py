"""A decision whose implementation result is not recorded yet reads no vouchers (they are linked with the result)."""

from __future__ import annotations

from tests.decisions.pipeline.test_pipeline import API, create
from tests.land.conftest import statements


def test_a_decision_before_its_result_reads_no_vouchers(app, client, make, w):
    d = create(client, make, w)
    r, seen = statements(app, f"{API}/decisions/{d['id']}", make.headers(w["plain"]))
    assert r.status_code == 200 and r.json["stages"][-1]["kind"] == "result"
    assert not [s for s in seen if "FROM decision_vouchers" in s], "\n".join(seen)
