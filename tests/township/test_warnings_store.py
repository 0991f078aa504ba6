"""预警的开启、消除和历史: the ledger's rule (a large expense without a resolved decision) at its edge, each warning
opened, updated, closed and opened anew (history keeps both), the township marked dirty by a write (and not by a
refused one), the daily refresh, one open row per key (the database's index; PostgreSQL: two refreshes at once),
who may read which warnings, and the number of statements not growing with the villages."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import db
from backend.decisions.pipeline.models import Decision
from backend.ledger import findings as ledger_findings
from backend.ledger import service as ledger
from backend.registry import settings
from backend.township import warning_store
from backend.township import warnings as rules
from backend.township.models import StoredWarning, WarningTownship
from tests.factories import parallel, resolved_decision

API = "/api/v1"
MAY_5 = datetime(2026, 5, 5, 2, 0, tzinfo=UTC)  # 10:00 on 5 May 2026 in China
KEY = "ledger.large_expense_fen"


def spend(village, yuan_fen: int, on: date = date(2026, 4, 8), ref: str | None = None, summary: str = "购买办公设备"):
    """A posted voucher spending ``yuan_fen`` fen (经营支出 511 against the bank)."""
    ledger.ensure_chart(village)
    v = ledger.create_voucher(village, ledger.VoucherInput(
        on, summary, [ledger.LineInput("511", yuan_fen, 0), ledger.LineInput("102", 0, yuan_fen)],
        decision_ref=ref), actor=None)
    ledger.post_voucher(v, actor=None)
    return v


@pytest.fixture
def w(make, now):
    now[0] = MAY_5
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    bs = make.township("BS", "白石镇")
    c = make.village("C03", "白石村", township=bs)
    out = {
        "qs": qs, "bs": bs, "a": a, "b": b, "c": c,
        "staff": make.staff(qs, "郑雯"), "other": make.staff(bs, "杨帆"),
        "sec": make.member(a, "王书记", roles=("secretary",)), "sup": make.member(a, "孙立平", roles=("supervisor",)),
        "b_sec": make.member(b, "乙书记", roles=("secretary",)),
        "villager": make.member(a, "张一"),
    }
    # 1,000.00 yuan spent by 甲村 on 8 April, under the threshold of the day (50,000.00)
    out["voucher"] = spend(a, 1_000_00)
    db.session.commit()
    return out


def get(client, make, w, who="staff", path=None, **query):
    path = path or f"/townships/{w['qs'].id}/warnings"
    r = client.get(f"{API}{path}", headers=make.headers(w[who]), query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def expenses(items):
    return [x for x in items if x["kind"] == "expense_no_decision"]


def threshold(w, fen: int, village="a"):
    settings.put(KEY, fen, actor=None, village=w[village])
    db.session.commit()


def state(w) -> WarningTownship:
    db.session.expire_all()
    return db.session.get(WarningTownship, w["qs"].id)


# ------------------------------------------------------------------ the ledger's rule


def test_a_large_expense_without_a_decision_at_the_threshold_and_one_fen_over(client, make, w):
    assert expenses(get(client, make, w)) == []
    threshold(w, 1_000_00)  # exactly the amount: not "more than"
    assert expenses(get(client, make, w)) == []
    threshold(w, 999_99)  # one fen under the amount: the voucher is over it
    [x] = expenses(get(client, make, w))
    v = w["voucher"]
    assert x["id"] == f"expense_no_decision:voucher-{v.id}"
    assert x["label"] == "大额支出无决议" and x["village"] == {"id": w["a"].id, "name": "甲村"}
    assert x["link"] == {"type": "voucher", "id": v.id, "village_id": w["a"].id, "period": "2026-04"}
    assert x["since"] == "2026-04-08" and x["state"] == "open" and x["closed_at"] is None
    assert "“购买办公设备”支出 1000.00 元，超过大额支出标准 999.99 元，没有注明依据的四议两公开决议" in x["message"]
    # 乙村's threshold is its own: its villages' findings never mix
    assert all(y["village"]["id"] == w["a"].id for y in expenses(get(client, make, w)))


def test_a_resolved_decision_covers_it_an_unresolved_one_does_not_and_a_reversal_counts_for_nothing(
    client, make, w
):
    d = resolved_decision(w["a"].id, "购置设备", "expense", None, date(2026, 4, 1))
    covered = spend(w["a"], 2_000_00, ref=str(d.id), summary="购置水泵")
    reversed_ = spend(w["a"], 3_000_00, summary="误记的支出")
    ledger.reverse_voucher(reversed_, date(2026, 4, 9), "记错了", actor=None)
    db.session.commit()
    threshold(w, 500_00)
    ids = [x["id"] for x in expenses(get(client, make, w))]
    assert ids == [f"expense_no_decision:voucher-{w['voucher'].id}"]  # covered, and the reversed pair, are not
    # the decision later found not resolved (failed): the voucher citing it is warned of
    failed = db.session.get(Decision, d.id)
    failed.status, failed.resolved_on = "failed", None
    db.session.commit()
    [x] = [y for y in expenses(get(client, make, w)) if y["link"]["id"] == covered.id]
    assert "所注明的决议（" in x["message"] and "未通过或不是本村的决议" in x["message"]


# ------------------------------------------------------------------ opened, updated, closed, opened anew


def test_a_warning_opens_updates_closes_itself_and_a_new_one_opens_when_the_cause_comes_back(client, make, w, now):
    threshold(w, 900_00)
    [first] = expenses(get(client, make, w))
    assert first["opened_at"] == "2026-05-05T10:00:00+08:00"
    now[0] = MAY_5 + timedelta(hours=1)
    threshold(w, 800_00)  # still over: the same warning, its message updated
    [same] = expenses(get(client, make, w))
    assert same["warning_id"] == first["warning_id"] and same["opened_at"] == first["opened_at"]
    assert "超过大额支出标准 800.00 元" in same["message"]
    now[0] = MAY_5 + timedelta(hours=2)
    threshold(w, 1_000_00)  # the cause is gone: it closes itself
    assert expenses(get(client, make, w)) == []
    [closed] = expenses(get(client, make, w, state="closed"))
    assert closed["warning_id"] == first["warning_id"] and closed["state"] == "closed"
    assert closed["closed_at"] == "2026-05-05T12:00:00+08:00"
    now[0] = MAY_5 + timedelta(hours=3)
    threshold(w, 900_00)  # it comes back: a new warning, the closed one stays in the history
    [again] = expenses(get(client, make, w))
    assert again["warning_id"] != first["warning_id"] and again["id"] == first["id"]
    assert again["opened_at"] == "2026-05-05T13:00:00+08:00"
    history = expenses(get(client, make, w, state="all"))
    assert [(x["warning_id"], x["state"]) for x in history] == [
        (again["warning_id"], "open"), (first["warning_id"], "closed")]
    rows = db.session.execute(select(StoredWarning).where(StoredWarning.kind == "expense_no_decision")).scalars()
    assert sorted(r.closed_at is None for r in rows) == [False, True]


def test_the_history_is_paged_with_its_total(client, make, w, now):
    for i in range(3):  # three openings and closings of the same cause
        now[0] = MAY_5 + timedelta(hours=2 * i)
        threshold(w, 900_00)
        get(client, make, w)
        now[0] = MAY_5 + timedelta(hours=2 * i + 1)
        threshold(w, 1_000_00)
        get(client, make, w)
    r = client.get(f"{API}/townships/{w['qs'].id}/warnings", headers=make.headers(w["staff"]),
                   query_string={"state": "closed", "kind": "expense_no_decision", "page_size": 2})
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "3" and len(r.json) == 2
    assert r.json[0]["closed_at"] == "2026-05-05T15:00:00+08:00"  # the latest closing first
    r = client.get(f"{API}/townships/{w['qs'].id}/warnings", headers=make.headers(w["staff"]),
                   query_string={"state": "closed", "kind": "expense_no_decision", "page_size": 2, "page": 2})
    assert len(r.json) == 1 and r.json[0]["closed_at"] == "2026-05-05T11:00:00+08:00"
    r = client.get(f"{API}/townships/{w['qs'].id}/warnings", headers=make.headers(w["staff"]),
                   query_string={"state": "shut"})
    assert r.status_code == 422


def test_the_database_allows_one_open_row_per_kind_and_key(w):
    def row(closed: datetime | None = None) -> StoredWarning:
        return StoredWarning(township_id=w["qs"].id, village_id=w["a"].id, kind="asset_idle", key="asset-1",
                             message="闲置", link="{}", since="2026-05-01", opened_at=MAY_5, last_seen_at=MAY_5,
                             closed_at=closed)

    db.session.add_all([row(MAY_5), row(MAY_5), row()])  # closed ones: any number
    db.session.commit()
    db.session.add(row())
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(StoredWarning)).scalar_one() == 3


# ------------------------------------------------------------------ when the rules run


def test_a_write_marks_its_township_dirty_and_the_next_read_refreshes(client, make, w, now):
    get(client, make, w)
    s = state(w)
    assert s.dirty_since is None and s.refreshed_at == MAY_5
    now[0] = MAY_5 + timedelta(minutes=5)
    get(client, make, w)  # nothing changed and nothing due: answered from the store
    assert state(w).refreshed_at == MAY_5
    # a write request (township staff sets 甲村's threshold through the API) marks 青山镇, not 白石镇
    r = client.put(f"{API}/villages/{w['a'].id}/settings/{KEY}", json={"value": 900_00},
                   headers=make.headers(w["staff"]))
    assert r.status_code == 200
    assert state(w).dirty_since == now[0]
    assert db.session.get(WarningTownship, w["bs"].id) is None
    # a refused write marks nothing
    now[0] = MAY_5 + timedelta(minutes=6)
    get(client, make, w)
    assert state(w).dirty_since is None and state(w).refreshed_at == now[0]
    r = client.put(f"{API}/villages/{w['a'].id}/settings/{KEY}", json={"value": -1},
                   headers=make.headers(w["staff"]))
    assert r.status_code == 422
    assert state(w).dirty_since is None
    [x] = expenses(get(client, make, w))  # the write's effect was seen at once
    assert x["village"]["name"] == "甲村"


def test_daily_refresh_at_midnight_and_the_command(app, client, make, w, now):
    assert set(warning_store.refresh_due()) == {w["qs"].id, w["bs"].id}  # never refreshed: both due
    assert warning_store.refresh_due() == {}
    assert state(w).next_check_at == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)  # midnight in China
    # a change the app did not see (another program wrote it): found at the next midnight at the latest
    db.session.execute(WarningTownship.__table__.update().values(dirty_since=None))
    db.session.commit()
    now[0] = datetime(2026, 5, 5, 15, 59, tzinfo=UTC)
    assert warning_store.refresh_due() == {}
    now[0] = datetime(2026, 5, 5, 16, 0, tzinfo=UTC)
    assert set(warning_store.refresh_due()) == {w["qs"].id, w["bs"].id}
    assert state(w).refreshed_at == now[0]
    # the worker's round: only what is due, one statement when nothing is
    assert warning_store.refresh_due(discover=False) == {}
    settings.put(KEY, 900_00, actor=None, village=w["a"])
    db.session.commit()
    assert list(warning_store.refresh_due(discover=False)) == [w["qs"].id]  # dirty: 青山镇 only
    now[0] = datetime(2026, 5, 5, 16, 30, tzinfo=UTC)
    result = app.test_cli_runner().invoke(args=["warnings", "refresh", "--township", "QS", "--force"])
    assert result.exit_code == 0, result.output
    assert "已刷新 1 个乡镇的预警" in result.output
    assert state(w).refreshed_at == now[0]
    result = app.test_cli_runner().invoke(args=["warnings", "refresh", "--township", "XX"])
    assert result.exit_code != 0 and "找不到乡镇编码 XX" in result.output


def test_the_push_worker_keeps_the_warnings_fresh_and_goes_on_when_a_refresh_fails(app, make, w, monkeypatch):
    threshold(w, 900_00)  # 甲村's 1,000.00 expense is now over the line
    runner = app.test_cli_runner()
    out = runner.invoke(args=["notices", "work", "--once"])
    assert out.exit_code == 0, out.output
    assert "warnings: 2 township(s) refreshed, " in out.output  # every township at its start
    opened = db.session.execute(select(StoredWarning).where(StoredWarning.kind == "expense_no_decision")).scalars()
    assert [(r.village_id, r.closed_at) for r in opened] == [(w["a"].id, None)]
    assert state(w).dirty_since is None

    def broken(*_a, **_k):
        raise RuntimeError("a rule failed")

    threshold(w, 2_000_00)
    monkeypatch.setattr(warning_store, "refresh", broken)
    out = runner.invoke(args=["notices", "work", "--once"])
    assert out.exit_code == 0, out.output  # the pushes went on
    assert state(w).dirty_since is not None  # and 青山镇 waits for the next round
    monkeypatch.undo()
    out = runner.invoke(args=["notices", "work", "--once"])
    assert "warnings: 1 township(s) refreshed, 0 opened, 1 closed" in out.output, out.output  # 青山镇 only
    db.session.expire_all()
    (closed,) = db.session.execute(select(StoredWarning).where(StoredWarning.kind == "expense_no_decision")).scalars()
    assert closed.closed_at is not None


def test_two_refreshes_at_once_open_one_row_per_key(app, w):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, real concurrency): run with TEST_DATABASE_URL")
    threshold(w, 900_00)
    tid = w["qs"].id

    def refresh(_client):
        warning_store.refresh(tid)
        db.session.commit()
        return "done"

    # each refresh queues on the township's row: none fails on the unique index, none opens a second row
    assert parallel(app, [refresh] * 4) == ["done"] * 4
    db.session.expire_all()
    rows = db.session.execute(select(StoredWarning.kind, StoredWarning.key)
                              .where(StoredWarning.closed_at.is_(None))).all()
    assert len(rows) == len(set(rows)) and ("expense_no_decision", f"voucher-{w['voucher'].id}") in rows


# ------------------------------------------------------------------ who reads what


def test_who_may_read_which_warnings(client, make, w):
    threshold(w, 900_00)
    tw = f"{API}/townships/{w['qs'].id}/warnings"
    # a village's staff, a villager, another township's staff: the township does not exist for them (404, as for
    # every township screen: core.permissions.require); the agency accountant of the township reads it
    for who in ("sec", "villager", "other"):
        assert client.get(tw, headers=make.headers(w[who])).status_code == 404, who
    mine = get(client, make, w, who="sec", path=f"/villages/{w['a'].id}/warnings")
    assert {x["village"]["name"] for x in mine} == {"甲村"}
    assert [x["kind"] for x in expenses(mine)] == ["expense_no_decision"]
    sup = get(client, make, w, who="sup", path=f"/villages/{w['a'].id}/warnings")
    assert [x["warning_id"] for x in sup] == [x["warning_id"] for x in mine]
    theirs = get(client, make, w, who="b_sec", path=f"/villages/{w['b'].id}/warnings")
    assert all(x["village"]["name"] == "乙村" for x in theirs) and expenses(theirs) == []
    # the township's staff read a village's too
    assert get(client, make, w, path=f"/villages/{w['a'].id}/warnings") == mine
    for who, vid in (("villager", "a"), ("b_sec", "a"), ("other", "a")):
        r = client.get(f"{API}/villages/{w[vid].id}/warnings", headers=make.headers(w[who]))
        assert r.status_code in (403, 404), (who, r.status_code)
    assert client.get(f"{API}/villages/{w['a'].id}/warnings",
                      headers=make.headers(w["villager"])).status_code == 403


# ------------------------------------------------------------------ statements


def _statements(app, fn) -> int:
    count = [0]

    def seen(conn, cursor, statement, *_a):
        count[0] += 1
        if os.environ.get("SHOW_SQL"):
            print("SQL", statement[:150].replace("\n", " "))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
            db.session.remove()
    return count[0]


def test_a_refresh_takes_the_same_number_of_statements_for_two_villages_or_six(app, make, w, monkeypatch):
    # the township's rules and the ledger's; the other domains' rules are measured in their own tests
    monkeypatch.setattr(rules, "DOMAIN_RULES", (ledger_findings,))
    def measure() -> int:
        warning_store.mark_dirty([w["qs"].id])

        def read():
            c = app.test_client()
            r = c.get(f"{API}/townships/{w['qs'].id}/warnings", headers=headers)
            assert r.status_code == 200 and r.json

        return _statements(app, read)

    headers = make.headers(w["staff"])
    db.session.commit()
    measure()  # the first refresh opens the warnings; the second (counted) keeps them
    two = measure()
    for i in range(4):  # four more villages, each with a question-free unpublished quarter (a warning each)
        make.village(f"X0{i}", f"新村{i}", township=w["qs"])
    db.session.commit()
    measure()
    six = measure()
    assert six == two, (two, six)
