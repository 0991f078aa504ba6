"""A decision whose implementation result is not recorded yet reads no vouchers (they are linked with the result);
its meetings' quorum is the body's own and reads no setting (a village's majority base changes only the majority)."""

from __future__ import annotations

from backend.core.db import db
from backend.registry import settings
from tests.decisions.pipeline.test_pipeline import API, create, through_resolution
from tests.land.conftest import statements


def test_a_decision_before_its_result_reads_no_vouchers(app, client, make, w):
    d = create(client, make, w)
    r, seen = statements(app, f"{API}/decisions/{d['id']}", make.headers(w["plain"]))
    assert r.status_code == 200 and r.json["stages"][-1]["kind"] == "result"
    assert not [s for s in seen if "FROM decision_vouchers" in s], "\n".join(seen)


def test_the_meetings_quorum_reads_no_setting(app, client, make, w):
    d = create(client, make, w)
    through_resolution(client, make, w, d["id"])
    settings.put("decisions.majority_of_all.representatives_meeting", 1, actor=None, village=w["v"])  # majority only
    db.session.commit()
    r, seen = statements(app, f"{API}/decisions/{d['id']}", make.headers(w["plain"]))
    assert r.status_code == 200
    quorums = [s["attendance"]["quorum_met"] for s in r.json["stages"] if s["kind"] == "meeting"]
    assert quorums == [True, True, True, True]
    assert not [s for s in seen if "FROM settings" in s], "\n".join(seen)
