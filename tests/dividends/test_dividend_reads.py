"""The dividends' reads cost a fixed number of statements whatever the number of plans (no N+1), and the share
register's page reads only its own households and members yet is the same page the whole register would give."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from backend import dividends
from backend.core.clock import today
from backend.core.db import db
from backend.core.shared_pages import READS_EXTENSION
from backend.dividends.publishing import raise_objection
from backend.dividends.shares import service as shares
from tests.dividends.conftest import approving_decision, post_income
from tests.statements import counted

API = "/api/v1"


def _get(app: Any, path: str, headers: dict[str, str]) -> tuple[Any, int]:
    """(answer, statements) of one GET in an app context of its own: a cold session, as each request has."""
    db.session.commit()
    with counted() as seen, app.app_context():
        r = app.test_client().get(path, headers=headers)
        db.session.remove()
    assert r.status_code == 200, r.json
    return r.json, len(seen)


def _published_plan(books: Any, year: int, make: Any) -> None:
    post_income(books.village, date(year, 6, 30), 20_000_00 + year)
    d = dividends.create_distribution(books.village, dividends.DistributionInput(
        year=year, title=f"{year}年度收益分配方案", components=[dividends.ComponentInput("equity")]), actor=None)
    dividends.compute(d, books.register_on, actor=None)
    dividends.publish(d, approving_decision(books.village), actor=None)
    raise_objection(d, f"{year}年的分红名单有误", actor=make.principal(books.villager))
    db.session.commit()


def test_the_plans_list_reads_each_part_once_for_the_whole_page(app, make, books):
    path = f"{API}/villages/{books.village.id}/distributions"
    staff, villager = make.headers(books.accountant), make.headers(books.villager)
    _published_plan(books, books.year - 3, make)
    few = {who: _get(app, path, h) for who, h in (("staff", staff), ("villager", villager))}
    for year in (books.year - 2, books.year - 1, books.year):
        _published_plan(books, year, make)
    dividends.create_distribution(books.village, dividends.DistributionInput(  # a draft: staff see it
        year=books.year + 1, title="草稿", components=[dividends.ComponentInput("equity")]), actor=None)
    many = {who: _get(app, path, h) for who, h in (("staff", staff), ("villager", villager))}
    for who in few:
        (small, n_small), (large, n_large) = few[who], many[who]
        assert len(large["items"]) > len(small["items"]) >= 1
        assert n_large == n_small, (who, n_small, n_large)
    plans = many["staff"][0]["items"]
    assert len(plans) == 5 and plans[0]["status"] == "draft" and plans[0]["seal"] is None
    assert all(p["seal"] and p["per_share"] and p["published_at"] for p in plans[1:])
    assert [p["id"] for p in many["villager"][0]["items"]] == [p["id"] for p in plans[1:]]
    for p in plans[:2]:  # the page's plan is the plan read alone, in the list's few fields
        one = _get(app, f"{API}/distributions/{p['id']}", staff)[0]
        assert p == {k: one[k] for k in p}


def test_a_register_page_is_the_slice_of_the_whole_register(app, make, books):
    sec = make.headers(books.secretary)
    coll = shares.create_share_type(books.village, shares.ShareTypeInput("coll", "集体股", holder="collective"),
                                    actor=None)
    more = [make.household(books.village, f"LJ-0{i:02d}") for i in range(3)]  # numbered before the others
    heads = [make.member(books.village, f"李{i}", household=h, head=True) for i, h in enumerate(more)]
    shares.record_event(books.village, shares.EventInput("initial", books.register_on + timedelta(days=1), changes=[
        *[shares.ChangeInput(books.member_type.id, 1, h.id, m.id) for h, m in zip(more, heads, strict=True)],
        shares.ChangeInput(coll.id, 5)]), actor=None)
    shares.set_certificate(books.village, more[1].id, "GQ-0002", today(), actor=None)
    url = f"{API}/villages/{books.village.id}/share-register"
    whole, n_whole = _get(app, f"{url}?page_size=100", sec)
    numbers = [x["household_number"] for x in whole["items"]]
    assert numbers == ["LJ-000", "LJ-001", "LJ-002", "LJ-101", "LJ-102", "LJ-103", "LJ-104", "集体"]
    assert whole["total"] == 8 and whole["items"][1]["certificate"] == "GQ-0002"
    assert whole["items"][0]["members"][0]["name"] == "李0" and whole["items"][0]["head_name"] == "李0"
    pages = [_get(app, f"{url}?page={p}&page_size=3", sec) for p in (1, 2, 3)]
    assert [x for page, _ in pages for x in page["items"]] == whole["items"]
    assert {page["register_hash"] for page, _ in pages} == {whole["register_hash"]}
    assert {page["total_shares"] for page, _ in pages} == {whole["total_shares"]}
    assert {n for _, n in pages} == {n_whole}
    assert _get(app, f"{url}?page=9&page_size=3", sec)[0]["items"] == []


def test_a_statement_reads_each_part_once_and_not_the_sealed_list(app, make, books):
    _published_plan(books, books.year, make)
    mine = _get(app, f"{API}/me/dividends", make.headers(books.villager))[0]["items"]
    did = mine[0]["declaration"]["id"]
    app.extensions[READS_EXTENSION].clear()  # the list kept its components (a shared read): a first reader here
    with counted() as seen:
        body, _ = _get(app, f"{API}/me/dividends/{did}", make.headers(books.villager))
    assert body["declaration"]["seal"] and body["components"][0]["kind"] == "equity"
    assert sum("FROM dividend_components" in s for s in seen) == 1, seen
    assert not any("canonical" in s for s in seen), seen  # the seal's hash only, not the sealed text
