"""Every write the mini-program makes honours ``Idempotency-Key`` (core/idempotency.py): a retry after a lost answer
gets the first answer and does the thing once; the same key on another request is refused and changes nothing; no
key behaves as before; another person's key is another scope; a failed attempt keeps nothing, so its retry goes
through. One case per endpoint, over an explicit list of the phone's writes, and a test that fails when a page of
the mini-program calls a write that is not in that list. Then the store's own rules: the key commits with the write
or not at all, the purge, and (PostgreSQL) two concurrent requests with one key."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.auth.models import ApiToken, ConsoleTicket, WeChatAccount
from backend.core import idempotency
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.idempotency import IdempotentRequest, idempotent
from backend.decisions.pipeline.models import DecisionObjection
from backend.disclosures.models import DisclosureQuestion
from backend.dividends.models import DividendObjection
from backend.jobs import service as jobs
from backend.jobs.models import JobApplication, JobObjection
from backend.membership.models import MembershipApplication
from backend.notices.models import NoticeRead, PushConsent
from tests.core.test_objections import posted  # noqa: F401  (a fixture: dividend and job lists in 公示)
from tests.decisions.conftest import w  # noqa: F401  (a fixture: a village's committees and villagers)
from tests.decisions.pipeline.test_pipeline import create as create_decision
from tests.decisions.pipeline.test_pipeline import through_resolution
from tests.disclosures.test_disclosures import lj, published  # noqa: F401  (a fixture: closed books)
from tests.factories import id_card
from tests.notices.conftest import bind as bind_wechat

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram-stub"

# The mini-program's writes (method, URL rule) and the case that exercises each. A new write of the phone must be
# added here (test_every_write_of_the_miniprogram_is_listed fails until it is) and wrapped in @idempotent.
PHONE_WRITES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/job-postings/<int:posting_id>/applications"): "job_application",
    ("POST", "/api/v1/disclosures/<int:disclosure_id>/questions"): "disclosure_question",
    ("POST", "/api/v1/notices/<int:notice_id>/read"): "notice_read",
    ("POST", "/api/v1/me/push-consents"): "push_consent",
    ("POST", "/api/v1/auth/console-tickets/<code>/approve"): "console_approve",
    ("POST", "/api/v1/auth/console-tickets/<code>/refuse"): "console_refuse",
    ("POST", "/api/v1/auth/bind"): "bind",
    ("POST", "/api/v1/auth/logout"): "logout",
    ("POST", "/api/v1/villages/<int:village_id>/membership-applications"): "membership_application",
    ("POST", "/api/v1/distributions/<int:distribution_id>/objections"): "dividend_objection",
    ("POST", "/api/v1/job-postings/<int:posting_id>/objections"): "job_objection",
    ("POST", "/api/v1/decisions/<int:decision_id>/my-objections"): "decision_objection",
}
# writes that keep their key with what they create (a domain's own rule, tested in its own tests)
DOMAIN_KEYED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/votes/<int:vote_id>/ballots"): "tests/decisions/votes/test_ballot_retry.py",
}
# writes the mini-program makes without a key, and why
NOT_KEYED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/wechat-login"): "a wx.login code works once: each try asks WeChat for a fresh code",
}


@dataclass
class Write:
    """One phone write, ready to be made: by ``who``, and what it changes (``state`` must differ after it)."""

    url: str
    body: dict[str, Any] | None
    headers: Callable[[], dict[str, str]]
    state: Callable[[], Any]
    other: tuple[str, dict[str, Any] | None]  # another request (path or body) to try under the same key
    by_another: Callable[[], tuple[str, dict[str, Any] | None, dict[str, str]]]  # the write of another person
    status: int = 201
    secret: tuple[str, ...] = ()  # answer fields a replay gives afresh (a bind's token)
    extra: dict[str, Any] = field(default_factory=dict)


def count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def keys() -> int:
    return count(IdempotentRequest)


# ---------------------------------------------------------------- the cases, one per endpoint


def job_application(client, make, request) -> Write:
    v = make.village()
    a, b = make.member(v, "陈桂兰"), make.member(v, "刘海")
    posting = jobs.create_posting(v, jobs.PostingInput("村道保洁员", "保洁", 1, 600_00, utcnow() - timedelta(hours=1),
                                                       utcnow() + timedelta(hours=1)), actor=None)
    db.session.commit()
    url = f"/job-postings/{posting.id}/applications"
    return Write(url, {"note": "我能早起"}, lambda: make.headers(a), lambda: count(JobApplication),
                 other=(url, {"note": "换了一句"}), by_another=lambda: (url, {"note": "我能早起"}, make.headers(b)))


def disclosure_question(client, make, request) -> Write:
    books = request.getfixturevalue("lj")
    d = published(client, make, books)
    url = f"/disclosures/{d['id']}/questions"
    body = {"line_no": 1, "text": "这笔发包款是哪块地的？"}
    return Write(url, body, lambda: make.headers(books["plain"]), lambda: count(DisclosureQuestion),
                 other=(url, {"line_no": 2, "text": "这笔发包款是哪块地的？"}),
                 by_another=lambda: (url, body, make.headers(books["sec"])))


def notice_read(client, make, request) -> Write:
    v = make.village()
    sec, a, b = make.member(v, "王建国", roles=("secretary",)), make.member(v, "陈桂兰"), make.member(v, "刘海")
    bind_wechat(sec.person_id, "o-wjg")  # a publisher's text is checked by WeChat's content security
    db.session.commit()
    ids = []
    for title in ("停水通知", "防火通知"):
        r = client.post(f"{API}/villages/{v.id}/notices", json={"title": title, "body": "明天上午停水。"},
                        headers=make.headers(sec))
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    url = f"/notices/{ids[0]}/read"
    return Write(url, {}, lambda: make.headers(a), lambda: count(NoticeRead), status=204,
                 other=(f"/notices/{ids[1]}/read", {}), by_another=lambda: (url, {}, make.headers(b)))


def _consents() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.coalesce(func.sum(PushConsent.remaining), 0))).scalar_one()


def push_consent(client, make, request) -> Write:
    v = make.village()
    a, b = make.member(v, "陈桂兰"), make.member(v, "刘海")
    db.session.commit()
    body = {"template_id": "tpl-vote-result", "count": 1}
    return Write("/me/push-consents", body, lambda: make.headers(a), status=200, state=_consents,
                 other=("/me/push-consents", {"template_id": "tpl-vote-result", "count": 2}),
                 by_another=lambda: ("/me/push-consents", body, make.headers(b)))


def _console(decision: str) -> Callable[..., Write]:
    def case(client, make, request) -> Write:
        v = make.village()
        sec, sec2 = make.member(v, "王建国", roles=("secretary",)), make.member(v, "李秀英", roles=("accountant",))
        db.session.commit()

        def ticket() -> str:
            r = client.post(f"{API}/auth/console-tickets", json={}, headers={"User-Agent": "Chrome"})
            assert r.status_code == 201, r.json
            return r.json["code"]

        code = ticket()
        other = "refuse" if decision == "approve" else "approve"
        return Write(f"/auth/console-tickets/{code}/{decision}", {}, lambda: make.headers(sec), status=204,
                     state=lambda: count(ConsoleTicket, ConsoleTicket.status != "waiting"),
                     other=(f"/auth/console-tickets/{code}/{other}", {}),
                     by_another=lambda: (f"/auth/console-tickets/{ticket()}/{decision}", {}, make.headers(sec2)))

    return case


def bind(client, make, request) -> Write:
    v = make.village()
    make.member(v, "张大山", id_no="37142719720415051X")
    liu = id_card()
    make.member(v, "刘海", id_no=liu)
    db.session.commit()

    def ticket(code: str) -> str:
        r = client.post(f"{API}/auth/wechat-login", json={"code": code})
        assert r.status_code == 200 and r.json["bound"] is False, r.json
        return r.json["bind_ticket"]

    body = {"bind_ticket": ticket("demo-zhangdashan"), "village_code": v.code, "name": "张大山",
            "id_card_last6": "15051X"}
    return Write("/auth/bind", body, dict, status=200, secret=("token", "expires_at"),
                 state=lambda: (count(WeChatAccount, WeChatAccount.person_id.is_not(None)),
                                count(AuditEntry, AuditEntry.action == "auth.bind")),
                 other=("/auth/bind", {**body, "id_card_last6": "150510"}),
                 by_another=lambda: ("/auth/bind", {"bind_ticket": ticket("demo-liuhai"), "village_code": v.code,
                                                    "name": "刘海", "id_card_last6": liu[-6:]}, {}))


def logout(client, make, request) -> Write:
    v = make.village()
    a, b = make.member(v, "陈桂兰"), make.member(v, "刘海")
    db.session.commit()
    mine = make.headers(a)  # one token: the retry presents the token the first attempt revoked
    return Write("/auth/logout", {}, lambda: mine, status=204,
                 state=lambda: count(ApiToken, ApiToken.revoked_at.is_not(None)),
                 other=("/auth/logout", {"everywhere": True}), by_another=lambda: ("/auth/logout", {}, make.headers(b)))


def membership_application(client, make, request) -> Write:
    v = make.village()
    a = make.member(v, "林小燕", id_no=id_card(female=True), collective=False)
    b = make.member(v, "周芳", id_no=id_card(female=True), collective=False)
    db.session.commit()
    url = f"/villages/{v.id}/membership-applications"
    body = {"grounds": "婚入", "note": "2025 年嫁入本村", "attachments": ["户口簿复印件"]}
    return Write(url, body, lambda: make.headers(a), lambda: count(MembershipApplication),
                 other=(url, {**body, "grounds": "出生"}), by_another=lambda: (url, body, make.headers(b)))


def _objection(domain: str, model: Any) -> Callable[..., Write]:
    def case(client, make, request) -> Write:
        world = request.getfixturevalue("posted")
        url = world[domain][0]
        return Write(url, {"text": "名单有误，请核实"}, lambda: make.headers(world["villager"]), lambda: count(model),
                     other=(url, {"text": "另一条意见"}),
                     by_another=lambda: (url, {"text": "名单有误，请核实"}, make.headers(world["secretary"])))

    return case


def decision_objection(client, make, request) -> Write:
    world = request.getfixturevalue("w")
    did = create_decision(client, make, world)["id"]
    through_resolution(client, make, world, did)
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=make.headers(world["sec"]))
    assert r.status_code in (200, 201), r.json
    url = f"/decisions/{did}/my-objections"
    body = {"text": "这笔开支太大，请再商量"}
    return Write(url, body, lambda: make.headers(world["plain"]), lambda: count(DecisionObjection),
                 other=(url, {"text": "另一条意见"}), by_another=lambda: (url, body, make.headers(world["reps"][0])))


CASES: dict[str, Callable[..., Write]] = {
    "job_application": job_application,
    "disclosure_question": disclosure_question,
    "notice_read": notice_read,
    "push_consent": push_consent,
    "console_approve": _console("approve"),
    "console_refuse": _console("refuse"),
    "bind": bind,
    "logout": logout,
    "membership_application": membership_application,
    "dividend_objection": _objection("dividends", DividendObjection),
    "job_objection": _objection("jobs", JobObjection),
    "decision_objection": decision_objection,
}


@pytest.fixture(params=sorted(set(PHONE_WRITES.values())))
def write(request, client, make) -> Write:
    return CASES[request.param](client, make, request)


def post(client, url: str, body: dict[str, Any] | None, headers: dict[str, str], key: str | None = None) -> Any:
    h = dict(headers)
    if key is not None:
        h[idempotency.HEADER] = key
    return client.post(f"{API}{url}", json=body if body is not None else {}, headers=h)


def body_of(r: Any) -> Any:
    return r.get_data() if r.status_code == 204 else r.json


def _same(a: Any, b: Any, secret: tuple[str, ...]) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: v for k, v in a.items() if k not in secret} == {k: v for k, v in b.items() if k not in secret}
    return a == b


# ---------------------------------------------------------------- per endpoint


def test_a_retry_with_the_same_key_does_it_once_and_answers_the_same(client, write):
    before = write.state()
    first = post(client, write.url, write.body, write.headers(), "mp-retry-1")
    assert first.status_code == write.status, first.get_data(as_text=True)
    assert idempotency.REPLAYED_HEADER not in first.headers
    done = write.state()
    assert done != before
    again = post(client, write.url, write.body, write.headers(), "mp-retry-1")
    assert again.status_code == write.status, again.get_data(as_text=True)
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert _same(body_of(again), body_of(first), write.secret), (body_of(again), body_of(first))
    assert write.state() == done
    assert keys() == 1


def test_the_same_key_on_another_request_is_refused_and_changes_nothing(client, write):
    first = post(client, write.url, write.body, write.headers(), "mp-reused")
    assert first.status_code == write.status, first.get_data(as_text=True)
    done = write.state()
    url, body = write.other
    r = post(client, url, body, write.headers(), "mp-reused")
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "idempotency.key_reused"
    assert "Idempotency-Key" in r.json["error"]["message"] and "请换一个新的键" in r.json["error"]["message"]
    assert write.state() == done and keys() == 1


def test_without_a_key_it_behaves_as_before(client, write):
    before = write.state()
    r = post(client, write.url, write.body, write.headers())
    assert r.status_code == write.status, r.get_data(as_text=True)
    assert idempotency.REPLAYED_HEADER not in r.headers
    assert write.state() != before
    assert keys() == 0  # nothing kept without a key


def test_another_persons_key_is_another_scope(client, write):
    first = post(client, write.url, write.body, write.headers(), "mp-shared-key")
    assert first.status_code == write.status, first.get_data(as_text=True)
    done = write.state()
    url, body, headers = write.by_another()
    r = post(client, url, body, headers, "mp-shared-key")
    assert r.status_code == write.status, r.get_data(as_text=True)
    assert idempotency.REPLAYED_HEADER not in r.headers  # done for them, not the first person's answer
    assert write.state() != done
    assert keys() == 2


def test_a_failed_attempt_keeps_nothing_and_its_retry_goes_through(client, write, monkeypatch):
    """The database refuses the view's commit (503, which the mini-program retries with the same key): neither the
    write nor the key is kept, and the retry with that key does the write."""
    before = write.state()
    headers = write.headers()  # its token is committed before the database starts refusing
    real = Session.commit
    failures = [1]

    def commit_fails_once(self: Session) -> None:
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        real(self)

    monkeypatch.setattr(Session, "commit", commit_fails_once)
    r = post(client, write.url, write.body, headers, "mp-failed-first")
    assert r.status_code == 503, r.json
    monkeypatch.setattr(Session, "commit", real)
    assert write.state() == before and keys() == 0
    r = post(client, write.url, write.body, headers, "mp-failed-first")
    assert r.status_code == write.status, r.get_data(as_text=True)
    assert idempotency.REPLAYED_HEADER not in r.headers
    assert write.state() != before and keys() == 1


def test_each_phone_write_documents_the_header(app):
    spec = app.test_client().get(f"{API}/openapi.json").json
    for method, rule in (*PHONE_WRITES, *DOMAIN_KEYED):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
        params = spec["paths"][path][method.lower()].get("parameters", [])
        assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params), (method, path)


# ---------------------------------------------------------------- the bind: no token is kept


def test_a_replayed_bind_gets_a_new_working_token_and_none_is_stored(client, make, request):
    case = bind(client, make, request)
    first = post(client, case.url, case.body, {}, "mp-bind")
    assert first.status_code == 200 and first.json["bound"] is True, first.get_data(as_text=True)
    row = db.session.execute(select(IdempotentRequest)).scalar_one()
    assert first.json["token"] not in row.response_body and "token" not in row.response_body
    again = post(client, case.url, case.body, {}, "mp-bind")
    assert again.status_code == 200 and again.headers[idempotency.REPLAYED_HEADER] == "true", again.json
    assert again.json["token"] != first.json["token"] and again.json["user"] == first.json["user"]
    for token in (first.json["token"], again.json["token"]):
        me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json["name"] == "张大山", me.json


def test_a_bind_is_not_replayed_after_its_ticket_expired(client, make, request, now):
    case = bind(client, make, request)
    first = post(client, case.url, case.body, {}, "mp-bind-late")
    assert first.status_code == 200, first.get_data(as_text=True)
    tokens = count(ApiToken)
    now[0] = utcnow() + timedelta(minutes=11)  # the ticket lives 10 minutes
    late = post(client, case.url, case.body, {}, "mp-bind-late")
    assert late.status_code == 401 and late.json["error"]["code"] == "auth.ticket_invalid", late.json
    assert "重新进入小程序" in late.json["error"]["message"]
    assert count(ApiToken) == tokens


# ---------------------------------------------------------------- the list is complete


LITERAL = r"([`'\"])(.*?)\{q}"


def _literal_paths(source: str, call: str) -> list[str]:
    """The first argument of every ``call(`` in ``source`` that is a string; ${…} stands for one path segment."""
    return [re.sub(r"\$\{[^}]*\}", "1", m.group(2))
            for m in re.finditer(call + r"\(\s*" + LITERAL.format(q=1), source)]


def _phone_writes() -> tuple[set[tuple[str, str, str]], list[str]]:
    """(file, method, path) of every write the mini-program's sources make, and the writes this cannot read.

    Read: ``api.post(path …)``, ``request('POST', path …)``, ``send({method: 'POST', path: …})``, and a helper of
    utils/ that posts to a path it is given as its first parameter (``objection.send(url, text)`` → every
    ``objection.send(path, …)`` of the pages). Any other ``api.post`` of a path not written out is unreadable, and
    fails the test: a new write cannot hide behind a variable."""
    files = [*sorted((MINIPROGRAM / "pages").rglob("*.js")), *sorted((MINIPROGRAM / "utils").glob("*.js"))]
    assert files, "the mini-program's sources are not where this test looks"
    sources = {str(f.relative_to(MINIPROGRAM)): f.read_text() for f in files}
    found: set[tuple[str, str, str]] = set()
    unreadable: list[str] = []
    helpers: list[str] = []  # "objection.send": posts to its first argument
    for where, source in sources.items():
        for path in _literal_paths(source, r"\bapi\.post"):
            found.add((where, "POST", path))
        for m in re.finditer(r"\brequest\(\s*'(POST|PUT|PATCH|DELETE)'\s*,\s*" + LITERAL.format(q=2), source):
            found.add((where, m.group(1), re.sub(r"\$\{[^}]*\}", "1", m.group(3))))
        for m in re.finditer(r"method:\s*'(POST|PUT|PATCH|DELETE)'\s*,\s*path:\s*" + LITERAL.format(q=2), source):
            found.add((where, m.group(1), m.group(3)))
        for m in re.finditer(r"\bapi\.post\(\s*([A-Za-z_$][\w$]*)\s*[,)]", source):
            head = source[:m.start()]
            fn = list(re.finditer(r"function\s+(\w+)\s*\(([^)]*)\)", head))
            params = [p.strip() for p in fn[-1].group(2).split(",")] if fn else []
            if where.startswith("utils/") and params and params[0] == m.group(1):
                helpers.append(f"{Path(where).stem}.{fn[-1].group(1)}")
            else:
                unreadable.append(f"{where}: api.post({m.group(1)} …)")
    for helper in helpers:
        called = [(where, path) for where, source in sources.items()
                  for path in _literal_paths(source, r"\b" + re.escape(helper))]
        assert called, f"{helper} posts to the path it is given, but no page calls it with a path written out"
        found.update((where, "POST", path) for where, path in called)
    return found, unreadable


def test_every_write_of_the_miniprogram_is_listed(app):
    adapter = app.url_map.bind("localhost")
    calls, unreadable = _phone_writes()
    assert not unreadable, unreadable
    assert ("pages/job/job.js", "POST", "/job-postings/1/applications") in calls  # the parser finds what is there
    assert ("utils/api.js", "POST", "/auth/logout") in calls and ("utils/api.js", "POST", "/auth/wechat-login") in calls
    listed = set(PHONE_WRITES) | set(DOMAIN_KEYED) | set(NOT_KEYED)
    missing = []
    for where, method, path in sorted(calls):
        rule, _ = adapter.match(API + path, method=method, return_rule=True)
        if (method, rule.rule) not in listed:
            missing.append(f"{where}: {method} {rule.rule}")
    assert not missing, "phone writes not in PHONE_WRITES (wrap them in @idempotent and add a case): " + "; ".join(
        missing)


def test_every_listed_write_is_wrapped(app):
    """A listed write answers a replay from the store: its view is wrapped in @idempotent (the parameter it adds is
    the mark), and no listed rule is stale."""
    rules = {(m, r.rule): r.endpoint for r in app.url_map.iter_rules() for m in r.methods or ()}
    for key in PHONE_WRITES:
        assert key in rules, key
        view = app.view_functions[rules[key]]
        params = getattr(view, "_apidoc", {}).get("manual_doc", {}).get("parameters", [])
        assert idempotency.STORED_PARAMETER in params, key


# ---------------------------------------------------------------- the store itself

store_blp = Blueprint("idempotency_test", __name__)
CALLS: list[str] = []


@store_blp.route("/_idem/ok", methods=["POST"])
@idempotent(scope=lambda body: "test:store")
def _ok() -> Any:
    CALLS.append("ok")
    db.session.add(AuditEntry(action="test.write", object_type="test"))
    db.session.commit()
    return {"n": len(CALLS)}, 201


@store_blp.route("/_idem/fails-after-commit", methods=["POST"])
@idempotent(scope=lambda body: "test:store")
def _fails_after_commit() -> Any:
    CALLS.append("fails")
    db.session.commit()  # the reservation is committed here, as a view that commits before failing would
    raise RuntimeError("after the commit")


@store_blp.route("/_idem/refuses", methods=["POST"])
@idempotent(scope=lambda body: "test:store")
def _refuses() -> Any:
    CALLS.append("refuses")
    db.session.add(AuditEntry(action="test.write", object_type="test"))
    return {"error": {"code": "x", "message": "不行", "details": {}}}, 409


@store_blp.route("/_idem/slow", methods=["POST"])
@idempotent(scope=lambda body: "test:store")
def _slow() -> Any:
    CALLS.append("slow")
    db.session.add(AuditEntry(action="test.write", object_type="test"))
    db.session.flush()
    SLOW.wait(10)  # holding its reservation, uncommitted
    db.session.commit()
    return {"n": len(CALLS)}, 201


@store_blp.route("/_idem/slow-to-answer", methods=["POST"])
@idempotent(scope=lambda body: "test:store")
def _slow_to_answer() -> Any:
    CALLS.append("slow-to-answer")
    db.session.add(AuditEntry(action="test.write", object_type="test"))
    db.session.commit()
    SLOW.wait(10)  # committed, the answer not yet kept
    return {"n": len(CALLS)}, 201


SLOW = threading.Event()


@pytest.fixture(scope="module")
def store_app(app, database_url, standin):
    """An app of its own over the same database, with the test views above (the suite's app keeps its routes)."""
    from backend import create_app

    other = create_app({**{k: app.config[k] for k in ("TESTING", "WECHAT_API_BASE_URL", "WECHAT_APPID",
                                                      "WECHAT_SECRET", "WECHAT_TIMEOUT", "REDIS_URL",
                                                      "RATELIMIT_ENABLED")},
                        "SQLALCHEMY_DATABASE_URI": database_url})
    other.register_blueprint(store_blp)
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def store(store_app):
    CALLS.clear()
    SLOW.clear()
    store_app.config.pop("IDEMPOTENCY_WAIT_SECONDS", None)
    return store_app.test_client()


def _written() -> int:
    return count(AuditEntry, AuditEntry.action == "test.write")


def test_a_view_failing_after_its_commit_leaves_no_key(store):
    r = store.post("/_idem/fails-after-commit", json={}, headers={idempotency.HEADER: "k1"})
    assert r.status_code == 500
    assert keys() == 0  # removed although the view had committed it


def test_a_refusal_the_view_returns_keeps_nothing(store):
    r = store.post("/_idem/refuses", json={}, headers={idempotency.HEADER: "k1"})
    assert r.status_code == 409 and keys() == 0 and _written() == 0
    r = store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "k1"})
    assert r.status_code == 201 and keys() == 1 and _written() == 1


def test_the_key_and_the_write_commit_together(store, monkeypatch):
    """Storing the answer fails after the view committed: the key (reserved in the view's transaction) is there with
    the write, so a retry never does it again — it waits, then gets a clear 409."""
    monkeypatch.setattr(idempotency, "_kept_body", lambda resp, unkept: (_ for _ in ()).throw(RuntimeError("x")))
    store.application.config["IDEMPOTENCY_WAIT_SECONDS"] = 0.2
    assert store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "k2"}).status_code == 201
    assert keys() == 1 and _written() == 1
    r = store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "k2"})
    assert r.status_code == 409 and r.json["error"]["code"] == "idempotency.in_progress", r.json
    assert "不要重复提交" in r.json["error"]["message"]
    assert _written() == 1 and CALLS == ["ok"]


def test_a_bad_key_is_400(store):
    for bad in ("", " ", "x" * 81, "a\tb"):
        r = store.post("/_idem/ok", json={}, headers={idempotency.HEADER: bad})
        assert r.status_code == 400 and r.json["error"]["code"] == "idempotency.key_invalid", (bad, r.json)
    assert CALLS == [] and keys() == 0


def test_the_body_is_compared_as_json_not_as_text(store):
    h = {idempotency.HEADER: "k3", "Content-Type": "application/json"}
    assert store.post("/_idem/ok", data='{"a": 1, "b": 2}', headers=h).status_code == 201
    r = store.post("/_idem/ok", data='{"b":2,"a":1}', headers=h)
    assert r.status_code == 201 and r.headers[idempotency.REPLAYED_HEADER] == "true"
    assert store.post("/_idem/ok", data='{"a": 1, "b": 3}', headers=h).status_code == 422
    assert CALLS == ["ok"]


def test_keys_expire_and_are_purged(store, now):
    assert store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "old"}).status_code == 201
    now[0] = utcnow() + timedelta(hours=47)
    assert store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "newer"}).status_code == 201
    r = store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "old"})
    assert r.headers.get(idempotency.REPLAYED_HEADER) == "true"  # 47 hours: still kept
    now[0] = now[0] + timedelta(hours=2)  # the first is 49 hours old, the second 2
    assert idempotency.purge() == 1
    db.session.commit()
    assert db.session.execute(select(IdempotentRequest.key)).scalars().all() == ["newer"]
    # an expired key is as if never used, even before a purge removes it
    now[0] = now[0] + timedelta(hours=47)
    r = store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "newer"})
    assert r.status_code == 201 and idempotency.REPLAYED_HEADER not in r.headers
    assert CALLS == ["ok", "ok", "ok"]


def test_the_purge_runs_on_the_fly(store, now, monkeypatch):
    assert store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "a"}).status_code == 201
    now[0] = utcnow() + timedelta(hours=49)
    monkeypatch.setattr(idempotency, "_last_purge", [-math.inf])
    assert store.post("/_idem/ok", json={}, headers={idempotency.HEADER: "b"}).status_code == 201
    assert db.session.execute(select(IdempotentRequest.key)).scalars().all() == ["b"]


def _in_thread(app: Any, url: str, key: str, results: list[Any], i: int) -> threading.Thread:
    def call() -> None:
        with app.app_context():
            try:
                results[i] = app.test_client().post(url, json={}, headers={idempotency.HEADER: key})
            finally:
                db.session.remove()

    t = threading.Thread(target=call)
    t.start()
    return t


def test_concurrent_duplicates_write_once(store_app, store, postgres_only):
    """Two requests with one key at once: the second waits on the unique index while the first holds its
    reservation, then replays the first's answer."""
    results: list[Any] = [None, None]
    first = _in_thread(store_app, "/_idem/slow", "same", results, 0)
    _wait_for(lambda: CALLS == ["slow"])
    second = _in_thread(store_app, "/_idem/slow", "same", results, 1)
    second.join(0.5)
    assert second.is_alive()  # waiting on the first's reservation
    SLOW.set()
    first.join(20)
    second.join(20)
    assert [r.status_code for r in results] == [201, 201]
    assert idempotency.REPLAYED_HEADER not in results[0].headers
    assert results[1].headers[idempotency.REPLAYED_HEADER] == "true" and results[1].json == results[0].json
    assert CALLS == ["slow"] and _written() == 1 and keys() == 1


def test_a_duplicate_gets_409_while_the_first_is_slow_to_answer(store_app, store):
    """The first has committed its write (and its key) but not yet its answer: a duplicate waits
    IDEMPOTENCY_WAIT_SECONDS, then is told in Chinese that it is being done — and is not done twice."""
    store_app.config["IDEMPOTENCY_WAIT_SECONDS"] = 0.3
    results: list[Any] = [None, None]
    first = _in_thread(store_app, "/_idem/slow-to-answer", "long", results, 0)
    _wait_for(lambda: CALLS == ["slow-to-answer"] and keys() == 1)
    second = _in_thread(store_app, "/_idem/slow-to-answer", "long", results, 1)
    second.join(20)
    SLOW.set()
    first.join(20)
    assert results[0].status_code == 201
    assert results[1].status_code == 409 and results[1].json["error"]["code"] == "idempotency.in_progress"
    assert CALLS == ["slow-to-answer"] and _written() == 1
    again = store_app.test_client().post("/_idem/slow-to-answer", json={}, headers={idempotency.HEADER: "long"})
    assert again.status_code == 201 and again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.json == results[0].json


def _wait_for(cond: Callable[[], bool], seconds: float = 10) -> None:
    stop = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if cond():
            return
        stop.wait(0.02)
    raise AssertionError("timed out")
