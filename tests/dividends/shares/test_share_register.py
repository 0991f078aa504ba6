"""The share register: dated changes, the register at any date and its hash, static and dynamic policy,
transfers and the never-below-zero rule, the freeze of a computed list, certificates and payee accounts,
and who may do what. Every refusal is checked to leave the tables as they were."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.dividends import computing, plans
from backend.dividends.models import (
    PayeeAccount,
    ShareCertificate,
    ShareChange,
    ShareEvent,
    ShareRegister,
    ShareType,
)
from backend.dividends.shares import service as shares
from backend.registry import settings
from tests.factories import parallel

API = "/api/v1"


# ---------------------------------------------------------------- helpers


def _state() -> dict[str, Any]:
    """What a refusal must leave untouched (read after a rollback: what a request's teardown does)."""
    out: dict[str, Any] = {
        m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
        for m in (ShareType, ShareEvent, ShareChange, ShareCertificate, PayeeAccount)
    }
    out["register"] = db.session.execute(
        select(ShareRegister.village_id, ShareRegister.version, ShareRegister.frozen_until).order_by(
            ShareRegister.village_id)
    ).all()
    out["types"] = db.session.execute(
        select(ShareType.id, ShareType.name, ShareType.per_person, ShareType.active).order_by(ShareType.id)
    ).all()
    out["payees"] = db.session.execute(select(PayeeAccount.household_id, PayeeAccount.account_no)).all()
    out["certificates"] = db.session.execute(select(ShareCertificate.household_id, ShareCertificate.number)).all()
    return out


def _refused(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code, resp.json
    db.session.rollback()


def _service_refused(code: str, fn: Any, *args: Any, **kw: Any) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args, **kw)
    assert info.value.code == code, info.value
    db.session.rollback()
    return info.value


def _held(village_id: int, on: date) -> dict[tuple[int | None, int | None, str], int]:
    codes = {st.id: st.code for st in shares.share_types(village_id)}
    return {(x.household_id, x.member_id, codes[x.share_type_id]): x.shares for x in shares.register_at(village_id, on)}


def _event(books: Any, kind: str, on: date, changes: list[tuple[Any, int, Any, Any]] = (), member: Any = None):
    """Record through the service; ``changes`` as (type, delta, household, member)."""
    return shares.record_event(books.village, shares.EventInput(
        kind, on, member_id=member.id if member is not None else None,
        changes=[shares.ChangeInput(t.id, n, h.id if h is not None else None, m.id if m is not None else None)
                 for t, n, h, m in changes]), actor=None)


def _post_event(client: Any, h: dict[str, str], books: Any, kind: str, on: date,
                changes: list[tuple[Any, int, Any, Any]] = (), member: Any = None) -> Any:
    body = {"kind": kind, "effective_on": on.isoformat(), "member_id": member.id if member is not None else None,
            "changes": [{"share_type_id": t.id, "delta": n, "household_id": hh.id if hh is not None else None,
                         "member_id": m.id if m is not None else None} for t, n, hh, m in changes]}
    return client.post(f"{API}/villages/{books.village.id}/share-events", json=body, headers=h)


def _hash(client: Any, h: dict[str, str], books: Any, on: date) -> str:
    r = client.get(f"{API}/villages/{books.village.id}/share-register", query_string={"on": on.isoformat()},
                   headers=h)
    assert r.status_code == 200, r.json
    return r.json["register_hash"]


def _base(books: Any) -> dict[tuple[int | None, int | None, str], int]:
    """The books fixture's initial register, written out by hand."""
    (h0, h1, h2, h3), ms = books.households, books.members
    return {
        (h0.id, ms[0][0].id, "member"): 1, (h0.id, ms[0][1].id, "member"): 1, (h0.id, ms[0][2].id, "member"): 1,
        (h0.id, ms[0][0].id, "labor"): 2,
        (h1.id, ms[1][0].id, "member"): 1, (h1.id, ms[1][1].id, "member"): 1, (h1.id, ms[1][0].id, "labor"): 1,
        (h2.id, ms[2][0].id, "member"): 1,
        (h3.id, ms[3][0].id, "member"): 1, (h3.id, ms[3][1].id, "member"): 1,
    }


# ---------------------------------------------------------------- the register at any date


def test_register_at_any_date_reproduces_the_hand_computed_holdings(books):
    y, (h0, h1, h2, h3), ms = books.year, books.households, books.members
    mt, lt = books.member_type, books.labor_type
    d2, d3, d4, d5 = date(y, 3, 1), date(y, 5, 1), date(y, 7, 1), date(y, 9, 1)
    # recorded out of date order: the register depends on the dates, not on the order of recording
    _event(books, "adjust", d3, [(mt, 2, h2, None)])  # 2 shares the household keeps without a member
    _event(books, "transfer", d5, [(mt, -1, h2, ms[2][0]), (mt, 1, h3, ms[3][0])])
    _event(books, "transfer", d2, [(lt, -1, h0, ms[0][0]), (lt, 1, h1, ms[1][0])])
    _event(books, "adjust", d4, [(mt, -1, h0, ms[0][1])])
    db.session.commit()

    before = {}
    at_d1 = _base(books)
    at_d2 = {**at_d1, (h0.id, ms[0][0].id, "labor"): 1, (h1.id, ms[1][0].id, "labor"): 2}
    at_d3 = {**at_d2, (h2.id, None, "member"): 2}
    at_d4 = {k: v for k, v in at_d3.items() if k != (h0.id, ms[0][1].id, "member")}
    at_d5 = {k: v for k, v in at_d4.items() if k != (h2.id, ms[2][0].id, "member")}
    at_d5[(h3.id, ms[3][0].id, "member")] = 2
    expected = [(date(y, 1, 1), at_d1), (d2, at_d2), (d3, at_d3), (d4, at_d4), (d5, at_d5)]

    day = date(y - 1, 12, 25)
    while day <= date(y, 12, 31):
        want = before
        for start, holdings in expected:
            if day >= start:
                want = holdings
        assert _held(books.village.id, day) == want, day
        day += timedelta(days=1)
    assert sum(at_d5.values()) == 11 + 2 - 1  # the transfers moved shares, only the adjustments changed the total


def test_register_hash_is_stable_and_moves_only_with_changes_on_or_before_its_date(client, make, books):
    sec = make.headers(books.secretary)
    y, (h0, h1, h2, _), ms = books.year, books.households, books.members
    on = date(y, 3, 1)
    first = _hash(client, sec, books, on)
    assert len(first) == 64 and _hash(client, sec, books, on) == first
    r = client.get(f"{API}/villages/{books.village.id}/share-register", query_string={"on": on.isoformat()},
                   headers=sec).json
    assert r["total_shares"] == 11 and r["total"] == 4
    row = next(x for x in r["items"] if x["household_id"] == h0.id)
    assert row["shares"] == 5 and {t["code"]: t["shares"] for t in row["shares_by_type"]} == {"member": 3, "labor": 2}
    assert len(row["members"]) == 3

    # a change dated after the date leaves that date's register (and its hash) alone …
    assert _post_event(client, sec, books, "adjust", on + timedelta(days=1),
                       [(books.member_type, 1, h2, ms[2][0])]).status_code == 201
    assert _hash(client, sec, books, on) == first
    # … a change dated on it moves it …
    assert _post_event(client, sec, books, "adjust", on, [(books.member_type, 1, h1, ms[1][1])]).status_code == 201
    second = _hash(client, sec, books, on)
    assert second != first
    # … and so does a back-dated one
    assert _post_event(client, sec, books, "transfer", date(y, 2, 1),
                       [(books.labor_type, -1, h0, ms[0][0]), (books.labor_type, 1, h0, ms[0][1])]).status_code == 201
    third = _hash(client, sec, books, on)
    assert third not in (first, second) and _hash(client, sec, books, on) == third


# ---------------------------------------------------------------- static and dynamic policy


@pytest.mark.parametrize("kind", ["birth", "death", "marry_in", "marry_out"])
def test_static_register_records_life_events_without_moving_shares(client, make, books, kind):
    sec = make.headers(books.secretary)
    assert client.get(f"{API}/villages/{books.village.id}/share-types", headers=sec).json["static_shares"] is True
    on = date(books.year, 4, 1)
    who = books.members[0][1]
    hash_before = _hash(client, sec, books, on)
    held_before = _held(books.village.id, today())

    r = _post_event(client, sec, books, kind, on, member=who)
    assert r.status_code == 201, r.json
    assert r.json["kind"] == kind and r.json["member_id"] == who.id and r.json["changes"] == []
    assert _held(books.village.id, today()) == held_before and _hash(client, sec, books, on) == hash_before

    state = _state()
    _refused(_post_event(client, sec, books, kind, on, [(books.member_type, -1 if kind in ("death", "marry_out")
                                                         else 1, books.households[0], who)], member=who),
             422, "share.static_register")
    _refused(_post_event(client, sec, books, kind, on), 422, "share.member_required")
    assert _state() == state


def _dynamic(books: Any) -> None:
    settings.put(shares.STATIC.key, 0, actor=None, village=books.village)


def test_dynamic_birth_allots_each_member_types_per_person(make, books):
    _dynamic(books)
    v, (_, h1, _, _) = books.village, books.households
    bonus = shares.create_share_type(v, shares.ShareTypeInput("bonus", "福利股", per_person=2), actor=None)
    old = shares.create_share_type(v, shares.ShareTypeInput("old", "旧股", per_person=3), actor=None)
    shares.update_share_type(old, {"active": False}, actor=None)
    shares.create_share_type(v, shares.ShareTypeInput("coll", "集体股", holder="collective"), actor=None)
    baby = make.member(v, "张宝宝", household=h1, head=False)
    bride = make.member(v, "刘新娘", household=h1, head=False)
    db.session.commit()
    assert shares.static_policy(v) is False

    on = date(books.year, 4, 1)
    ev = _event(books, "birth", on, member=baby)
    got = {(c.share_type_id, c.delta, c.household_id, c.member_id) for c in shares.event_changes([ev.id])[ev.id]}
    assert got == {(books.member_type.id, 1, h1.id, baby.id), (bonus.id, 2, h1.id, baby.id)}
    ev = _event(books, "marry_in", on + timedelta(days=1), member=bride)
    assert len(shares.event_changes([ev.id])[ev.id]) == 2
    held = _held(v.id, today())
    assert held == {**_base(books), (h1.id, baby.id, "member"): 1, (h1.id, baby.id, "bonus"): 2,
                    (h1.id, bride.id, "member"): 1, (h1.id, bride.id, "bonus"): 2}
    assert _held(v.id, on - timedelta(days=1)) == _base(books)


def test_dynamic_death_and_marriage_out_remove_exactly_what_the_member_held_then(books):
    _dynamic(books)
    y, v, (h0, h1, _, _), ms = books.year, books.village, books.households, books.members
    mt, lt = books.member_type, books.labor_type
    _event(books, "adjust", date(y, 2, 1), [(mt, 3, h0, None)])  # the household's own shares
    _event(books, "transfer", date(y, 3, 1), [(lt, -1, h0, ms[0][0]), (lt, 1, h1, ms[1][0])])
    db.session.commit()

    death_on = date(y, 6, 1)
    ev = _event(books, "death", death_on, member=ms[0][0])
    got = sorted((c.share_type_id, c.delta, c.household_id, c.member_id)
                 for c in shares.event_changes([ev.id])[ev.id])
    # on 6-01 he held 1 成员股 and 1 劳龄股 (one of his two was transferred on 3-01)
    assert got == sorted([(mt.id, -1, h0.id, ms[0][0].id), (lt.id, -1, h0.id, ms[0][0].id)])
    after = _held(v.id, death_on)
    assert not any(k[1] == ms[0][0].id for k in after)
    before = _held(v.id, death_on - timedelta(days=1))
    assert {k: n for k, n in before.items() if k[1] != ms[0][0].id} == after  # nobody else's holding moved
    assert after[(h0.id, None, "member")] == 3

    ev = _event(books, "marry_out", date(y, 7, 1), member=ms[1][0])
    assert sorted((c.share_type_id, c.delta) for c in shares.event_changes([ev.id])[ev.id]) == \
        sorted([(mt.id, -1), (lt.id, -2)])
    assert not any(k[1] == ms[1][0].id for k in _held(v.id, date(y, 7, 1)))
    db.session.commit()

    state = _state()
    _service_refused("share.nothing_held", _event, books, "death", date(y, 8, 1), member=ms[0][0])
    assert _state() == state


def test_dynamic_birth_with_no_per_person_allotment_is_refused(make, books):
    _dynamic(books)
    shares.update_share_type(books.member_type, {"per_person": 0}, actor=None)
    baby = make.member(books.village, "张宝宝", household=books.households[1], head=False)
    db.session.commit()
    state = _state()
    _service_refused("share.no_allotment", _event, books, "birth", date(books.year, 4, 1), member=baby)
    assert _state() == state


# ---------------------------------------------------------------- transfers, adjustments, never below zero


def test_transfer_must_net_to_zero_per_type(client, make, books):
    sec = make.headers(books.secretary)
    y, (h0, h1, _, _), ms = books.year, books.households, books.members
    mt, lt = books.member_type, books.labor_type
    on = date(y, 5, 1)
    state = _state()
    for changes in (
        [(lt, -1, h0, ms[0][0]), (lt, 2, h1, ms[1][0])],  # more in than out
        [(lt, -1, h0, ms[0][0]), (mt, 1, h1, ms[1][0])],  # nets to zero only across types
        [(lt, 1, h1, ms[1][0])],  # one side only
    ):
        _refused(_post_event(client, sec, books, "transfer", on, changes), 422, "share.transfer_unbalanced")
    assert _state() == state
    r = _post_event(client, sec, books, "transfer", on,
                    [(lt, -2, h0, ms[0][0]), (lt, 1, h1, ms[1][0]), (lt, 1, h1, ms[1][1])])
    assert r.status_code == 201, r.json
    held = _held(books.village.id, on)
    assert (h0.id, ms[0][0].id, "labor") not in held
    assert held[(h1.id, ms[1][0].id, "labor")] == 2 and held[(h1.id, ms[1][1].id, "labor")] == 1
    assert sum(held.values()) == 11


def test_no_holding_may_go_below_zero_at_any_date(client, make, books):
    sec = make.headers(books.secretary)
    y, (h0, h1, h2, h3), ms = books.year, books.households, books.members
    mt, lt = books.member_type, books.labor_type
    state = _state()
    # more than held
    _refused(_post_event(client, sec, books, "transfer", date(y, 5, 1), [(lt, -3, h0, ms[0][0]),
                                                                          (lt, 3, h1, ms[1][0])]),
             409, "share.insufficient")
    _refused(_post_event(client, sec, books, "adjust", date(y, 5, 1), [(mt, -2, h2, ms[2][0])]),
             409, "share.insufficient")
    # before the holding existed (the initial entry is dated 1-01)
    _refused(_post_event(client, sec, books, "adjust", date(y - 1, 12, 31), [(mt, -1, h2, ms[2][0])]),
             409, "share.insufficient")
    # another member's or the household's own shares are another holding
    _refused(_post_event(client, sec, books, "adjust", date(y, 5, 1), [(lt, -1, h0, ms[0][1])]),
             409, "share.insufficient")
    _refused(_post_event(client, sec, books, "adjust", date(y, 5, 1), [(mt, -1, h0, None)]),
             409, "share.insufficient")
    assert _state() == state

    # the tricky one: 张20's only share is transferred out on 9-01; a reduction back-dated to 5-01 leaves 0 on
    # 5-01 (fine then) but −1 from 9-01 on
    assert _post_event(client, sec, books, "transfer", date(y, 9, 1),
                       [(mt, -1, h2, ms[2][0]), (mt, 1, h3, ms[3][0])]).status_code == 201
    state = _state()
    _refused(_post_event(client, sec, books, "adjust", date(y, 5, 1), [(mt, -1, h2, ms[2][0])]),
             409, "share.insufficient")
    _refused(_post_event(client, sec, books, "transfer", date(y, 5, 1),
                         [(mt, -1, h2, ms[2][0]), (mt, 1, h1, ms[1][0])]), 409, "share.insufficient")
    assert _state() == state

    # down to exactly zero is fine, and a same-day correction of the initial entry counts the whole day
    r = _post_event(client, sec, books, "adjust", date(y, 5, 1), [(lt, -2, h0, ms[0][0])])
    assert r.status_code == 201, r.json
    r = _post_event(client, sec, books, "adjust", date(y, 1, 1), [(lt, -1, h1, ms[1][0])])
    assert r.status_code == 201, r.json
    held = _held(books.village.id, date(y, 1, 1))
    assert (h1.id, ms[1][0].id, "labor") not in held and held[(h0.id, ms[0][0].id, "labor")] == 2


def test_future_dates_are_refused_today_is_not(client, make, books):
    sec = make.headers(books.secretary)
    h0, m = books.households[0], books.members[0][0]
    state = _state()
    _refused(_post_event(client, sec, books, "adjust", today() + timedelta(days=1), [(books.member_type, 1, h0, m)]),
             422, "share.future_date")
    assert _state() == state
    assert _post_event(client, sec, books, "adjust", today(), [(books.member_type, 1, h0, m)]).status_code == 201


def test_nothing_may_be_dated_on_or_before_a_computed_record_date(client, make, books):
    sec = make.headers(books.secretary)
    y, h2, m = books.year, books.households[2], books.members[2][0]
    record_date = date(y, 6, 30)
    d = plans.create_distribution(books.village, plans.DistributionInput(
        books.year, "分配", [plans.ComponentInput("equity")]), actor=None)
    computing.compute(d, record_date, actor=None)
    db.session.commit()
    assert shares.frozen_until(books.village.id) == record_date

    state = _state()
    for on in (record_date, date(y, 1, 1)):
        r = _post_event(client, sec, books, "adjust", on, [(books.member_type, 1, h2, m)])
        assert r.json["error"]["details"] == {"frozen_until": record_date.isoformat()}
        _refused(r, 409, "share.frozen")
    # life events too, even with no share change under the static policy
    _refused(_post_event(client, sec, books, "birth", record_date, member=m), 409, "share.frozen")
    assert _state() == state
    r = _post_event(client, sec, books, "adjust", record_date + timedelta(days=1), [(books.member_type, 1, h2, m)])
    assert r.status_code == 201, r.json
    assert computing.verify_register(db.session.get(type(d), d.id))


# ---------------------------------------------------------------- what a change may name


def test_changes_must_name_this_villages_types_households_and_members(client, make, books):
    sec = make.headers(books.secretary)
    y, v, (h0, *_), ms = books.year, books.village, books.households, books.members
    other = make.village("XZ02", "新竹村")
    other_type = shares.create_share_type(other, shares.ShareTypeInput("member", "成员股"), actor=None)
    stranger = make.member(other, "吴强")
    stranger_house = db.session.get(type(h0), stranger.household_id)
    coll = shares.create_share_type(v, shares.ShareTypeInput("coll", "集体股", holder="collective"), actor=None)
    db.session.commit()
    on = date(y, 5, 1)
    state = _state()
    for changes in (
        [(other_type, 1, h0, ms[0][0])],  # a type of another village
        [(books.member_type, 1, stranger_house, None)],  # a household of another village
        [(books.member_type, 1, h0, stranger)],  # a member of another village
        [(coll, 1, h0, None)],  # the collective's type on a household
        [(coll, 1, h0, ms[0][0])],
        [(books.member_type, 1, None, None)],  # a member type held by nobody
        [(books.member_type, 0, h0, ms[0][0])],  # nothing moves
    ):
        _refused(_post_event(client, sec, books, "adjust", on, changes), 422, "share.invalid_changes")
    _refused(_post_event(client, sec, books, "initial", on, [(books.member_type, -1, h0, ms[0][0])]),
             422, "share.invalid_changes")
    _refused(_post_event(client, sec, books, "adjust", on, []), 422, "share.no_changes")
    _refused(_post_event(client, sec, books, "adjust", on, [(books.member_type, 1, h0, ms[0][0])], member=stranger),
             422, "share.member_unknown")
    assert _state() == state
    # the collective's own shares: no household, no member
    r = _post_event(client, sec, books, "initial", on, [(coll, 10, None, None)])
    assert r.status_code == 201, r.json
    assert _held(v.id, on)[(None, None, "coll")] == 10


def test_an_inactive_type_takes_no_new_shares_but_may_still_be_reduced(client, make, books):
    sec = make.headers(books.secretary)
    h0, m = books.households[0], books.members[0][0]
    r = client.patch(f"{API}/share-types/{books.labor_type.id}", json={"active": False}, headers=sec)
    assert r.status_code == 200 and r.json["active"] is False
    state = _state()
    _refused(_post_event(client, sec, books, "adjust", date(books.year, 5, 1), [(books.labor_type, 1, h0, m)]),
             422, "share.invalid_changes")
    assert _state() == state
    r = _post_event(client, sec, books, "adjust", date(books.year, 5, 1), [(books.labor_type, -1, h0, m)])
    assert r.status_code == 201, r.json


def test_share_type_code_and_name_are_unique_in_the_village(client, make, books):
    sec = make.headers(books.secretary)
    url = f"{API}/villages/{books.village.id}/share-types"
    state = _state()
    _refused(client.post(url, json={"code": "member", "name": "新成员股"}, headers=sec), 409, "share.type_exists")
    _refused(client.post(url, json={"code": "new", "name": "劳龄股"}, headers=sec), 409, "share.type_exists")
    _refused(client.patch(f"{API}/share-types/{books.labor_type.id}", json={"name": "成员股"}, headers=sec),
             409, "share.type_exists")
    _refused(client.post(url, json={"code": "coll", "name": "集体股", "holder": "collective", "per_person": 1},
                         headers=sec), 422, "share.type_invalid")
    assert _state() == state
    # another village may use the same code and name
    other = make.village("XZ02", "新竹村")
    other_sec = make.headers(make.member(other, "周海", roles=("secretary",)))
    r = client.post(f"{API}/villages/{other.id}/share-types", json={"code": "member", "name": "成员股"},
                    headers=other_sec)
    assert r.status_code == 201, r.json
    r = client.post(url, json={"code": "coll", "name": "集体股", "holder": "collective"}, headers=sec)
    assert r.status_code == 201 and r.json["holder"] == "collective" and r.json["per_person"] == 0
    r = client.patch(f"{API}/share-types/{books.labor_type.id}", json={"name": "劳龄股", "per_person": 2},
                     headers=sec)  # its own name again is no clash
    assert r.status_code == 200 and r.json["per_person"] == 2


# ---------------------------------------------------------------- certificates and payee accounts


def test_certificate_numbers_are_unique_in_the_village(client, make, books):
    sec = make.headers(books.secretary)
    h0, h1 = books.households[0], books.households[1]
    issued = date(books.year, 1, 1).isoformat()
    r = client.put(f"{API}/households/{h0.id}/share-certificate", json={"number": "LJ0001", "issued_on": issued},
                   headers=sec)
    assert r.status_code == 200 and r.json == {"household_id": h0.id, "number": "LJ0001", "issued_on": issued}
    state = _state()
    _refused(client.put(f"{API}/households/{h1.id}/share-certificate",
                        json={"number": " LJ0001 ", "issued_on": issued}, headers=sec), 409,
             "share.certificate_taken")
    assert _state() == state
    # the same household may be re-issued its number, or a new one
    assert client.put(f"{API}/households/{h0.id}/share-certificate", json={"number": "LJ0001", "issued_on": issued},
                      headers=sec).status_code == 200
    assert client.put(f"{API}/households/{h0.id}/share-certificate", json={"number": "LJ0009", "issued_on": issued},
                      headers=sec).status_code == 200
    assert client.put(f"{API}/households/{h1.id}/share-certificate", json={"number": "LJ0001", "issued_on": issued},
                      headers=sec).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ShareCertificate)) == 2
    rows = client.get(f"{API}/villages/{books.village.id}/share-register", headers=sec).json["items"]
    assert {x["household_id"]: x["certificate"] for x in rows}[h0.id] == "LJ0009"
    # another village may use the same number
    other = make.village("XZ02", "新竹村")
    stranger = make.member(other, "周海", roles=("secretary",))
    r = client.put(f"{API}/households/{stranger.household_id}/share-certificate",
                   json={"number": "LJ0001", "issued_on": issued}, headers=make.headers(stranger))
    assert r.status_code == 200, r.json


def test_payee_account_is_validated_and_shown_masked(client, make, books):
    sec = make.headers(books.secretary)
    h0 = books.households[0]
    url = f"{API}/households/{h0.id}/payee-account"
    body = {"account_name": "张10", "bank_name": "农村信用社"}
    state = _state()
    _refused(client.put(url, json={**body, "account_no": "1234567"}, headers=sec), 422, "validation.failed")
    for bad in ("1234 567", "6" * 33, "62220212345678X0", "６２２２０２１２３４５６７８９０", "6222-0212-3456"):
        _refused(client.put(url, json={**body, "account_no": bad}, headers=sec), 422, "payee.account_invalid")
    assert _state() == state

    for no, shown in (("12345678", "****5678"), ("6222 0212 3456 7890", "************7890"),
                      ("1" * 28 + "4321", "*" * 28 + "4321")):
        r = client.put(url, json={**body, "account_no": no}, headers=sec)
        assert r.status_code == 200, r.json
        assert r.json == {"household_id": h0.id, "account_name": "张10", "bank_name": "农村信用社",
                          "account_no": shown}
        assert shares.payees(books.village.id)[h0.id].account_no == no.replace(" ", "")
    assert db.session.scalar(select(func.count()).select_from(PayeeAccount)) == 1


# ---------------------------------------------------------------- who may do what


def test_permissions_on_every_register_endpoint(client, make, books):
    v, h0, m = books.village, books.households[0], books.members[0][0]
    other = make.village("XZ02", "新竹村")
    who = {
        "villager": make.headers(books.villager),
        "supervisor": make.headers(books.supervisor),
        "other member": make.headers(make.member(other, "吴强")),
        "other secretary": make.headers(make.member(other, "周海", roles=("secretary",))),
        "nobody": {},
    }
    on = date(books.year, 5, 1).isoformat()
    event = {"kind": "adjust", "effective_on": on,
             "changes": [{"share_type_id": books.member_type.id, "delta": 1, "household_id": h0.id,
                          "member_id": m.id}]}
    calls = {
        "list types": ("GET", f"{API}/villages/{v.id}/share-types", None),
        "create type": ("POST", f"{API}/villages/{v.id}/share-types", {"code": "x", "name": "新股"}),
        "update type": ("PATCH", f"{API}/share-types/{books.labor_type.id}", {"name": "改名"}),
        "register": ("GET", f"{API}/villages/{v.id}/share-register?on={on}", None),
        "events": ("GET", f"{API}/villages/{v.id}/share-events", None),
        "record event": ("POST", f"{API}/villages/{v.id}/share-events", event),
        "certificate": ("PUT", f"{API}/households/{h0.id}/share-certificate", {"number": "A1", "issued_on": on}),
        "payee": ("PUT", f"{API}/households/{h0.id}/payee-account",
                  {"account_name": "张", "bank_name": "农商行", "account_no": "6222021234567890"}),
    }
    expected = {
        #               list  create update register events record  cert  payee
        "villager":     (200, 403, 403, 403, 403, 403, 403, 403),
        "supervisor":   (200, 403, 403, 200, 200, 403, 403, 403),
        "other member": (404, 404, 404, 404, 404, 404, 404, 404),
        "other secretary": (404, 404, 404, 404, 404, 404, 404, 404),
        "nobody":       (401, 401, 401, 401, 401, 401, 401, 401),
    }
    state = _state()
    for person, statuses in expected.items():
        for (name, (method, url, body)), status in zip(calls.items(), statuses, strict=True):
            r = client.open(url, method=method, json=body, headers=who[person])
            assert r.status_code == status, (person, name, r.json)
            db.session.rollback()
    assert _state() == state
    # the staff who keep the register may do each write
    sec = make.headers(books.secretary)
    acc = make.headers(books.accountant)
    for headers in (sec, acc):
        for name in ("record event", "certificate", "payee"):
            method, url, body = calls[name]
            r = client.open(url, method=method, json=body, headers=headers)
            assert r.status_code in (200, 201), (name, r.json)
    r = client.post(calls["create type"][1], json={"code": "x", "name": "新股"}, headers=acc)
    assert r.status_code == 201, r.json
    assert client.patch(calls["update type"][1], json={"name": "改名"}, headers=sec).status_code == 200
    events = client.get(calls["events"][1], headers=who["supervisor"]).json
    assert events["total"] == 3 and events["items"][0]["kind"] == "adjust"
    assert events["items"][0]["changes"] == [{"share_type_id": books.member_type.id, "share_type_name": "成员股",
                                              "household_id": h0.id, "household_number": h0.number,
                                              "member_id": m.id, "member_name": m.person.name, "delta": 1}]


# ---------------------------------------------------------------- races (PostgreSQL)


def test_two_transfers_racing_for_the_same_shares_cannot_both_pass(app, make, books, postgres_only):
    sec = make.headers(books.secretary)
    y, (h0, h1, _, _), ms, vid = books.year, books.households, books.members, books.village.id
    lt = books.labor_type.id

    def transfer(to: Any) -> Any:
        body = {"kind": "transfer", "effective_on": date(y, 5, 1).isoformat(),
                "changes": [{"share_type_id": lt, "delta": -2, "household_id": h0.id, "member_id": ms[0][0].id},
                            {"share_type_id": lt, "delta": 2, "household_id": h1.id, "member_id": to}]}
        return lambda c: (lambda r: (r.status_code, r.json))(
            c.post(f"{API}/villages/{vid}/share-events", json=body, headers=sec))

    results = parallel(app, [transfer(ms[1][0].id), transfer(ms[1][1].id)])
    assert sorted(s for s, _ in results) == [201, 409], results
    assert next(b for s, b in results if s == 409)["error"]["code"] == "share.insufficient"
    held = _held(vid, today())
    assert (h0.id, ms[0][0].id, "labor") not in held and sum(held.values()) == 11


def test_first_events_of_a_new_village_racing_both_pass(app, make, postgres_only):
    v = make.village("XZ02", "新竹村")
    sec = make.member(v, "周海", roles=("secretary",))
    st = shares.create_share_type(v, shares.ShareTypeInput("member", "成员股"), actor=None)
    db.session.commit()
    h = make.headers(sec)
    assert db.session.get(ShareRegister, v.id) is None
    body = {"kind": "initial", "effective_on": date(today().year, 1, 1).isoformat(),
            "changes": [{"share_type_id": st.id, "delta": 1, "household_id": sec.household_id,
                         "member_id": sec.id}]}
    def call(c: Any) -> int:
        return c.post(f"{API}/villages/{v.id}/share-events", json=body, headers=h).status_code

    assert parallel(app, [call, call, call]) == [201, 201, 201]
    db.session.expire_all()
    assert db.session.get(ShareRegister, v.id).version == 3
    assert _held(v.id, today()) == {(sec.household_id, sec.id, "member"): 3}
