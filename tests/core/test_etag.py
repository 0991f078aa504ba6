"""Validators on every read (backend/core/etag.py): every villager read the mini-program makes answers with an
``ETag``; a repeat naming it gets 304 with no body; a write that
changes the answer changes the tag; another person's answer is never "unchanged" for a tag of someone else's body;
errors, writes and downloads carry none."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from backend import create_app, demo, disclosures, registry
from backend.assets import service as assets
from backend.config import ROOT
from backend.core.db import db
from backend.core.etag import CACHE_CONTROL, etag_for, matches
from backend.decisions.votes.models import Vote, VoteElector
from tests.dividends.conftest import post_income

API = "/api/v1"
TAG = re.compile(r'^"[0-9a-f]{32}"$')

# Every read the mini-program makes (miniprogram-stub/pages/*/*.js and app.js, api.get(…)), as a template of the
# path the page asks for: test_the_list_is_every_read_of_the_pages fails when a page reads something not here.
PAGE_READS = {
    "/me", "/me/home", "/me/dividends", "/me/dividends/{}", "/me/notices", "/notices/{}", "/me/votes", "/votes/{}",
    "/decisions/{}", "/villages/{}/decisions", "/me/land", "/me/land/rent-history", "/villages/{}/job-postings",
    "/job-postings/{}", "/me/job-applications", "/villages/{}/accounts/summary", "/villages/{}/disclosures",
    "/disclosures/{}", "/auth/console-tickets/{}/request", "/villages/{}/assets", "/villages/{}/assets/summary",
    "/assets/{}", "/villages/{}/contracts", "/villages/{}/projects", "/projects/{}",
}

# JSON reads that answer 200 without a validator, each with the reason (reviewed): none.
EXEMPT: dict[str, str] = {}


def test_the_list_is_every_read_of_the_pages() -> None:
    mp = ROOT / "miniprogram-stub"
    found = set()
    for js in [*mp.glob("pages/*/*.js"), mp / "app.js"]:
        for m in re.finditer(r"api\.get\(\s*([`'])(.*?)\1", js.read_text(encoding="utf-8")):
            found.add(re.sub(r"\$\{[^}]*\}", "{}", m.group(2)))
    assert found == PAGE_READS


# ---------------------------------------------------------------- the comparison (RFC 9110 §13.1.2)


def test_if_none_match_is_compared_as_rfc_9110_says() -> None:
    tag = etag_for(b'{"a":1}')
    assert TAG.match(tag) and tag != etag_for(b'{"a":2}')
    bare = tag.strip('"')
    assert matches(tag, tag)
    assert matches(f"W/{tag}", tag)  # weak comparison: a weak tag matches the strong one of the same value
    assert matches(f'"other", {tag}', tag) and matches(f'W/"x",W/{tag} , "y"', tag)  # a list: any one
    assert matches("*", tag)
    assert not matches('"other"', tag) and not matches(f'"{bare}x"', tag) and not matches(bare[:-1], tag)
    assert not matches("", tag) and not matches(None, tag) and not matches(tag, None)
    assert not matches('W/"', tag) and not matches("garbage, ,,", tag)


def test_vary_names_authorization_once_whatever_was_there() -> None:
    from flask import Response

    from backend.core.etag import _vary_on_authorization

    for before, after in ((None, "Authorization"), ("Accept-Encoding", "Accept-Encoding, Authorization"),
                          ("accept-encoding, AUTHORIZATION", "accept-encoding, AUTHORIZATION"),
                          ("X-Authorization-Id", "X-Authorization-Id, Authorization")):
        resp = Response("{}", mimetype="application/json")
        if before is not None:
            resp.headers["Vary"] = before
        _vary_on_authorization(resp)
        _vary_on_authorization(resp)  # twice: still once
        assert resp.headers.getlist("Vary") == [after], before


# ---------------------------------------------------------------- the demo: every read of the mini-program


@dataclass
class Demo:
    client: FlaskClient
    village_id: int
    zhang: dict[str, str]  # 张大山 (LJ-005)
    other: dict[str, str]  # 陈桂兰, another household of the same village
    secretary: dict[str, str]
    reads: dict[str, str]  # template → a concrete path (with the query the page sends)

    def get(self, path: str, headers: dict[str, str], **extra: str) -> Any:
        return self.client.get(API + path, headers={**headers, **extra})


def _login(client: FlaskClient, key: str) -> dict[str, str]:
    r = client.post(f"{API}/auth/wechat-login", json={"code": f"demo-{key}"})
    assert r.status_code == 200 and r.json["bound"], r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


@pytest.fixture
def world(client: FlaskClient) -> Demo:
    return _world_on(client)


def _world_on(client: FlaskClient) -> Demo:
    demo.seed()
    db.session.commit()
    village = registry.village_by_code("LJ01")
    assert village is not None
    v = village.id
    zhang, other = _login(client, "zhangdashan"), _login(client, "chenguilan")
    secretary = _login(client, "wangjianguo")
    first = client.get(f"{API}/me/dividends?page_size=100", headers=zhang).json["items"][0]
    notice = client.get(f"{API}/me/notices?page=1&page_size=20", headers=zhang).json["items"][0]
    decision = client.get(f"{API}/villages/{v}/decisions?page=1&page_size=20", headers=zhang).json["items"][0]
    vote = db.session.execute(select(Vote.id).where(Vote.village_id == v).order_by(Vote.id)).scalars().first()
    posting = client.get(f"{API}/villages/{v}/job-postings?page_size=100", headers=zhang).json["items"][0]
    disclosure = client.get(f"{API}/villages/{v}/disclosures?page=1&page_size=20", headers=zhang).json["items"][0]
    ticket = client.post(f"{API}/auth/console-tickets", json={}).json
    asset = client.get(f"{API}/villages/{v}/assets?page_size=100", headers=zhang).json["items"][0]
    project = client.get(f"{API}/villages/{v}/projects?page_size=100", headers=zhang).json["items"][0]
    reads = {
        "/me": "/me",
        "/me/home": "/me/home",
        "/me/dividends": "/me/dividends?page_size=100",
        "/me/dividends/{}": f"/me/dividends/{first['declaration']['id']}",
        "/me/notices": "/me/notices?page=1&page_size=20",
        "/notices/{}": f"/notices/{notice['id']}",
        "/me/votes": "/me/votes",
        "/votes/{}": f"/votes/{vote}",
        "/decisions/{}": f"/decisions/{decision['id']}",
        "/villages/{}/decisions": f"/villages/{v}/decisions?page=1&page_size=20",
        "/me/land": "/me/land",
        "/me/land/rent-history": "/me/land/rent-history?page_size=100",
        "/villages/{}/job-postings": f"/villages/{v}/job-postings?page_size=100",
        "/job-postings/{}": f"/job-postings/{posting['id']}",
        "/me/job-applications": "/me/job-applications?page_size=100",
        "/villages/{}/accounts/summary": f"/villages/{v}/accounts/summary?year={date.today().year}",
        "/villages/{}/disclosures": f"/villages/{v}/disclosures?page=1&page_size=20",
        "/disclosures/{}": f"/disclosures/{disclosure['id']}",
        "/auth/console-tickets/{}/request": f"/auth/console-tickets/{ticket['code']}/request",
        "/villages/{}/assets": f"/villages/{v}/assets?page_size=100",
        "/villages/{}/assets/summary": f"/villages/{v}/assets/summary",
        "/assets/{}": f"/assets/{asset['id']}",
        "/villages/{}/contracts": f"/villages/{v}/contracts?page_size=100",
        "/villages/{}/projects": f"/villages/{v}/projects?page_size=100",
        "/projects/{}": f"/projects/{project['id']}",
    }
    assert set(reads) == PAGE_READS
    return Demo(client, v, zhang, other, secretary, reads)


def _sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def _id(path: str) -> int:
    return int(re.findall(r"/(\d+)", path)[-1])


def _changes(w: Demo) -> dict[str, Callable[[], None]]:
    """For each read, a write that changes its answer: the villager's own through the API where the mini-program
    makes one, else what the village office (or a correction in the database) would change."""
    r = w.reads
    zhang_id = w.client.get(f"{API}/me", headers=w.zhang).json["person_id"]
    notice_id = _id(r["/notices/{}"])
    posting_id = _id(r["/job-postings/{}"])

    def rename_zhang() -> None:
        _sql("UPDATE people SET name = name || '川' WHERE id = :i", i=zhang_id)

    def read_notice() -> None:
        assert w.client.post(f"{API}/notices/{notice_id}/read", headers=w.zhang).status_code in (200, 201, 204)

    def retitle_posting() -> None:
        _sql("UPDATE job_postings SET title = title || '（改）' WHERE id = :i", i=posting_id)

    def apply() -> None:
        got = w.client.post(f"{API}/job-postings/{posting_id}/applications", headers=w.zhang, json={})
        assert got.status_code == 201, got.json

    def retitle_decision() -> None:
        _sql("UPDATE decisions SET title = title || '（改）' WHERE id = :i", i=_id(r["/decisions/{}"]))

    def retitle_distribution() -> None:
        _sql("UPDATE distributions SET title = title || '（改）' WHERE id = :i", i=_id(r["/me/dividends/{}"]))

    def rename_operator() -> None:
        _sql("UPDATE land_parties SET name = name || '（改）'")

    def retitle_notice() -> None:
        _sql("UPDATE notices SET title = title || '（改）' WHERE id = :i", i=notice_id)

    def retitle_vote() -> None:
        _sql("UPDATE votes SET title = title || '（改）' WHERE id = :i", i=_id(r["/votes/{}"]))

    def open_to_zhang() -> None:  # a vote open now with 张大山 among its electors: his /me/votes lists it
        me = w.client.get(f"{API}/me", headers=w.zhang).json
        vote = db.session.get(Vote, _id(r["/votes/{}"]))
        assert vote is not None
        vote.opens_at, vote.closes_at = vote.opens_at.replace(year=2000), vote.closes_at.replace(year=2099)
        db.session.add(VoteElector(vote_id=vote.id, unit=me["person_id"], household_id=me["member"]["household_id"]))
        db.session.commit()

    def post_voucher() -> None:
        village = registry.village_by_code("LJ01")
        assert village is not None
        post_income(village, date.today(), 12_345)
        db.session.commit()

    def ask_about_a_line() -> None:
        got = w.client.post(f"{API}/disclosures/{_id(r['/disclosures/{}'])}/questions", headers=w.zhang,
                            json={"line_no": 1, "text": "这一笔是什么钱？"})
        assert got.status_code == 201, got.json

    def publish_a_disclosure() -> None:  # an earlier quarter disclosed late: the list has one more
        village = registry.village_by_code("LJ01")
        accountant = registry.load_principal(demo.person("lixiuying").id)
        supervisor = registry.load_principal(demo.person("zhaodeming").id)
        assert village and accountant and supervisor
        d, _ = disclosures.draft_disclosure(village, f"{date.today().year - 1}-Q4", None, actor=accountant)
        disclosures.approve(d, actor=supervisor)
        disclosures.publish(d, actor=None)
        db.session.commit()

    def refuse_ticket() -> None:
        code = r["/auth/console-tickets/{}/request"].split("/")[3]
        got = w.client.post(f"{API}/auth/console-tickets/{code}/refuse", headers=w.secretary)
        assert got.status_code in (200, 204), got.json

    def rename_asset() -> None:
        _sql("UPDATE assets SET name = name || '（改）' WHERE id = :i", i=_id(r["/assets/{}"]))

    def register_an_asset() -> None:  # the register gains an entry: the totals count one more
        village = registry.village_by_code("LJ01")
        assert village is not None
        assets.create_asset(village, assets.AssetInput("asset", "ZC-ETAG", "新建公厕", "公益性资产",
                                                       original_fen=80_000_00, book_fen=80_000_00), actor=None)
        db.session.commit()

    def retitle_contracts() -> None:
        _sql("UPDATE collective_contracts SET title = title || '（改）'")

    def retitle_project() -> None:
        _sql("UPDATE projects SET title = title || '（改）' WHERE id = :i", i=_id(r["/projects/{}"]))

    return {
        "/villages/{}/assets": rename_asset, "/villages/{}/assets/summary": register_an_asset,
        "/assets/{}": rename_asset, "/villages/{}/contracts": retitle_contracts,
        "/villages/{}/projects": retitle_project, "/projects/{}": retitle_project,
        "/me": rename_zhang, "/me/home": rename_zhang, "/me/dividends": retitle_distribution,
        "/me/dividends/{}": retitle_distribution, "/me/notices": read_notice, "/notices/{}": retitle_notice,
        "/me/votes": open_to_zhang, "/votes/{}": retitle_vote, "/decisions/{}": retitle_decision,
        "/villages/{}/decisions": retitle_decision, "/me/land": rename_operator,
        "/me/land/rent-history": rename_operator, "/villages/{}/job-postings": retitle_posting,
        "/job-postings/{}": retitle_posting, "/me/job-applications": apply,
        "/villages/{}/accounts/summary": post_voucher, "/villages/{}/disclosures": publish_a_disclosure,
        "/disclosures/{}": ask_about_a_line, "/auth/console-tickets/{}/request": refuse_ticket,
    }


def _who(w: Demo, template: str) -> dict[str, str]:
    return w.secretary if template.startswith("/auth/console-tickets") else w.zhang


def _validated(resp: Any) -> str:
    assert resp.status_code == 200, resp.json
    tag = resp.headers.get("ETag")
    assert tag and TAG.match(tag), resp.headers
    assert tag == etag_for(resp.data)
    assert resp.headers["Cache-Control"] == CACHE_CONTROL
    assert "Authorization" in [v.strip() for v in resp.headers.get("Vary", "").split(",")]
    return tag


def _unchanged(resp: Any, tag: str) -> None:
    assert resp.status_code == 304, (resp.status_code, resp.data[:200])
    assert resp.data == b""
    assert resp.headers["ETag"] == tag and resp.headers["Cache-Control"] == CACHE_CONTROL
    assert "Content-Length" not in resp.headers or resp.headers["Content-Length"] == "0"


def _check_every_read(w: Demo) -> None:
    changes = _changes(w)
    assert set(changes) == PAGE_READS
    for template, path in w.reads.items():
        who = _who(w, template)
        first = w.get(path, who)
        tag = _validated(first)
        _unchanged(w.get(path, who, **{"If-None-Match": tag}), tag)
        _unchanged(w.get(path, who, **{"If-None-Match": f'W/{tag}'}), tag)
        _unchanged(w.get(path, who, **{"If-None-Match": f'"nope", {tag}'}), tag)
        _unchanged(w.get(path, who, **{"If-None-Match": "*"}), tag)
        full = w.get(path, who, **{"If-None-Match": '"nope"'})
        assert full.status_code == 200 and full.data == first.data and full.headers["ETag"] == tag, template
        # another person with the first one's tag: a 304 only for the very same bytes
        theirs = w.get(path, w.other if who is w.zhang else w.zhang, **{"If-None-Match": tag})
        if theirs.status_code == 304:
            assert w.get(path, w.other if who is w.zhang else w.zhang).data == first.data, template
        else:
            assert theirs.status_code in (200, 403, 404), template
            assert theirs.status_code != 200 or theirs.headers["ETag"] == etag_for(theirs.data) != tag, template
        # a write that changes the answer: the old tag gets the whole new answer with a new tag
        changes[template]()
        fresh = w.get(path, who, **{"If-None-Match": tag})
        assert fresh.status_code == 200, (template, fresh.status_code)
        assert fresh.data != first.data and _validated(fresh) != tag, template
        _unchanged(w.get(path, who, **{"If-None-Match": fresh.headers["ETag"]}), fresh.headers["ETag"])


def test_every_read_of_the_mini_program(world: Demo) -> None:
    _check_every_read(world)


# ---------------------------------------------------------------- what gets none


def test_errors_writes_and_downloads_carry_no_validator(client, make) -> None:
    village = make.village()
    zhang = make.member(village, "张大山")
    secretary = make.member(village, "王书记", roles=("secretary",))
    db.session.commit()
    headers = make.headers(zhang)
    for path, status in ((f"{API}/disclosures/999999", 404), (f"{API}/me", 401)):
        r = client.get(path, headers=headers if status != 401 else {}, )
        assert r.status_code == status and "ETag" not in r.headers
        r = client.get(path, headers={**(headers if status != 401 else {}), "If-None-Match": "*"})
        assert r.status_code == status and r.data, "an error is never 'unchanged'"
    written = client.post(f"{API}/villages/{village.id}/notices", headers=make.headers(secretary),
                          json={"title": "停水通知", "body": "周三停水"})
    assert written.status_code in (201, 422) and "ETag" not in written.headers
    again = client.post(f"{API}/villages/{village.id}/notices", headers={**make.headers(secretary),
                                                                         "If-None-Match": "*"},
                        json={"title": "停水通知", "body": "周三停水"})
    assert again.status_code != 304
    roster = client.get(f"{API}/villages/{village.id}/roster.xlsx", headers=make.headers(secretary))
    assert roster.status_code == 200 and not roster.mimetype.endswith("json")
    assert "ETag" not in roster.headers
    link = client.post(f"{API}/download-links", headers=make.headers(secretary),
                       json={"path": f"{API}/villages/{village.id}/roster.xlsx"}).json["url"]
    got = client.get(link, headers={"If-None-Match": "*"})
    assert got.status_code == 200 and got.data and "ETag" not in got.headers
    assert got.headers["Cache-Control"] == "private, no-store"
    head = client.head(f"{API}/me", headers=headers)
    assert head.status_code == 200


# ---------------------------------------------------------------- every JSON read of the app


def _example(rule: Any, ids: dict[str, Any]) -> str | None:
    path = rule.rule
    for arg in rule.arguments:
        if arg not in ids:
            return None
        path = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(ids[arg]), path)
    return path


def test_every_json_read_of_the_app_answers_with_a_validator(app: Flask, client: FlaskClient, make) -> None:
    """Each GET route of the app that answers 200 with JSON — for a township staff member, the village's
    secretary or a villager, whichever may read it — carries the validator (or is in EXEMPT, with its reason)."""
    village = make.village()
    zhang = make.member(village, "张大山")
    secretary = make.member(village, "王书记", roles=("secretary",))
    staff = make.staff(village.township, "郑雯")
    db.session.commit()
    ids: dict[str, Any] = {"village_id": village.id, "township_id": village.township_id, "person_id": zhang.person_id,
                           "household_id": zhang.household_id, "member_id": zhang.id, "year": date.today().year}
    who = [make.headers(staff), make.headers(secretary), make.headers(zhang), {}]
    answered, unvalidated = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.endswith((".pdf", ".xlsx")):
            continue
        path = _example(rule, ids)
        if path is None:
            continue
        for headers in who:
            r = client.get(path, headers=headers)
            if r.status_code == 200 and r.mimetype == "application/json":
                answered.append(rule.rule)
                if "ETag" not in r.headers or r.headers["ETag"] != etag_for(r.data):
                    unvalidated.append(rule.rule)
                else:
                    assert client.get(path, headers={**headers, "If-None-Match": r.headers["ETag"]}).status_code \
                        in (304, 200), rule.rule  # 200 only when the answer moved with the clock meanwhile
                break
    print(f"\n{len(answered)} JSON reads answered 200")
    assert len(answered) > 40, answered
    assert sorted(set(unvalidated) - set(EXEMPT)) == []
    assert "/healthz" in answered and f"{API}/me" in answered


def test_a_json_read_the_app_has_not_seen_before(make) -> None:
    """A view added later gets the validator without doing anything: it is the app's, not the view's."""
    plain = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "REDIS_URL": None})

    @plain.get("/x")
    def x() -> Any:
        return {"a": 1}

    c = plain.test_client()
    r = c.get("/x")
    tag = _validated(r)
    _unchanged(c.get("/x", headers={"If-None-Match": tag}), tag)
