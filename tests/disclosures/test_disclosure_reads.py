"""A published disclosure's answer is encoded from its sealed part's JSON, kept per seal, yet is byte for byte what
encoding the whole view gives; which villages published a period is the township status's answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from backend import disclosures
from backend.core.db import db
from backend.disclosures import service
from backend.disclosures.models import Disclosure
from backend.disclosures.schemas import DisclosureSchema
from backend.ledger import service as ledger
from tests.disclosures.test_disclosures import API, h, lj, published  # noqa: F401  (lj: the fixture)


def test_the_answer_is_the_whole_view_encoded(app, client, make, lj):  # noqa: F811
    d_id = published(client, make, lj)["id"]
    asked = client.post(f"{API}/disclosures/{d_id}/questions", json={"line_no": 1, "text": "这笔钱是谁交的？"},
                        headers=h(make, lj["plain"]))
    assert asked.status_code == 201, asked.json
    for who in ("plain", "plain", "acc"):  # the second read is the kept one
        r = client.get(f"{API}/disclosures/{d_id}", headers=h(make, lj[who]))
        assert r.status_code == 200 and r.mimetype == "application/json"
        with app.test_request_context():
            whole = DisclosureSchema().dump(service.detail(db.session.get(Disclosure, d_id),
                                                           make.principal(lj[who])))
            assert r.get_data(as_text=True) == app.json.response(whole).get_data(as_text=True), who
        assert r.json["lines"] and r.json["seal"]


def test_published_villages_is_what_the_township_status_says(client, make, lj, now):  # noqa: F811
    now[0] = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
    ids = [lj["v"].id, lj["xz"].id]
    published(client, make, lj, "2026-Q1")
    xz = lj["xz"]
    ledger.ensure_chart(xz)
    for m in ("2026-01", "2026-02"):
        ledger.close_period(xz, m, actor=None)
    db.session.commit()
    published(client, make, {"v": xz, "acc": lj["xz_acc"], "sup": lj["xz_sup"]}, "2026-01")
    for period in ("2026-Q1", "2026-01", "2026-02", "2025-Q4"):
        status = disclosures.township_status(lj["qs"].id, period)
        assert disclosures.published_villages(ids, period) == {
            v["village_id"] for v in status["villages"] if v["published"]}, period
    assert disclosures.published_villages(ids, "2026-01") == set(ids)
    assert disclosures.published_villages(ids, "2026-Q1") == {lj["v"].id}


def test_the_staff_list_reads_the_seals_hashes_not_their_sealed_text(app, client, make, lj):  # noqa: F811
    published(client, make, lj)
    db.session.commit()
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.app_context():
            r = app.test_client().get(f"{API}/villages/{lj['v'].id}/disclosures/drafts", headers=h(make, lj["acc"]))
            db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert r.status_code == 200 and r.json["items"][0]["seal"]
    assert any("seals" in s for s in seen) and not any("canonical" in s for s in seen), seen  # joined or apart
