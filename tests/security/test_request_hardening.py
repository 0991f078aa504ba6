"""Hostile requests: oversized bodies, wrong content types, malformed JSON, absurd pages, ids beyond BIGINT, and
SQL, script, NUL, surrogates, 10,000 characters, emoji and bidi marks in text fields. Each gets a clear 4xx in the
one error shape, or is stored exactly as the text it is — never a 500. These run on SQLite and on PostgreSQL, which
is stricter (NUL in text, column lengths, integer ranges)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.core.db import db
from backend.ledger.models import Period
from backend.registry.models import Household, Township, Village
from tests.factories import Factory
from tests.security.conftest import app_with, assert_error

LOGIN = "/api/v1/auth/wechat-login"
BIGINT_MAX = 2**63 - 1


@dataclass
class World:
    township: Township
    village: Village
    secretary: dict[str, str]
    member: dict[str, str]
    staff: dict[str, str]
    household_id: int


@pytest.fixture
def world(make: Factory) -> World:
    qs = make.township("QS", "青山镇")
    v = make.village("LJ01", "临江村", township=qs)
    sec = make.member(v, "王建国", roles=("secretary", "party_member"))
    m = make.member(v, "张大山")
    staff = make.staff(qs, "郑雯")
    db.session.commit()
    return World(qs, v, make.headers(sec), make.headers(m), make.headers(staff), m.household_id)


# ---------------------------------------------------------------- body size


def test_json_over_its_cap_is_413_in_the_shape(app: Flask, client: FlaskClient) -> None:
    cap = app.config["MAX_JSON_LENGTH"]
    assert cap == 1024 * 1024 < app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"code": "x" * cap}).encode()
    err = assert_error(client.post(LOGIN, data=body, content_type="application/json"), 413, "request.too_large")
    assert err["message"] == "提交的内容太大" and err["details"] == {"max_bytes": cap}


def test_json_just_under_its_cap_is_read(app: Flask, client: FlaskClient) -> None:
    body = b'{"code": "' + b"x" * (app.config["MAX_JSON_LENGTH"] - 20) + b'"}'
    err = assert_error(client.post(LOGIN, data=body, content_type="application/json"), 422, "validation.failed")
    assert err["details"]["fields"] == {"code": ["长度应在1到128个字之间"]}


def test_a_chunked_json_body_without_length_stops_at_the_cap(app: Flask, client: FlaskClient) -> None:
    body = json.dumps({"code": "x" * (app.config["MAX_JSON_LENGTH"] + 10)}).encode()
    resp = client.post(LOGIN, input_stream=io.BytesIO(body), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert_error(resp, 413, "request.too_large")


def _upload(client: FlaskClient, url: str, data: bytes, headers: dict[str, str]) -> Any:
    """A multipart upload of ``data`` as roster.xlsx, built in memory (Werkzeug's test client would spool a large
    one to a temporary file that it leaves open when the app answers before reading it)."""
    boundary = "----sunshine-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.xlsx\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=body, headers=headers, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_upload_may_be_larger_than_json_but_not_than_max_content_length(
        app: Flask, client: FlaskClient, world: World) -> None:
    url = f"/api/v1/villages/{world.village.id}/roster/import"
    between = b"PK" + b"\0" * (2 * 1024 * 1024)  # over the JSON cap, under MAX_CONTENT_LENGTH: reaches the importer
    err = assert_error(_upload(client, url, between, world.secretary), 422)
    assert "xlsx" in err["message"]
    over = b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert_error(_upload(client, url, over, world.secretary), 413, "request.too_large")


def _bomb(unpacked: int) -> bytes:
    """A zip whose one member inflates to ``unpacked`` bytes from a few hundred."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * unpacked)
    return buf.getvalue()


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_openpyxl(app: Flask, world: World) -> None:
    with app_with(app, XLSX_MAX_UNPACKED_BYTES=1024 * 1024) as a:
        c = a.test_client()
        bomb = _bomb(3 * 1024 * 1024)
        assert len(bomb) < 10_000
        resp = _upload(c, f"/api/v1/villages/{world.village.id}/roster/import", bomb, world.secretary)
        err = assert_error(resp, 422)
        assert "解压后超过 1 MB" in err["message"]
    assert app.config["XLSX_MAX_UNPACKED_BYTES"] == 100 * 1024 * 1024


# ---------------------------------------------------------------- content type and JSON


WRITES = [
    ("POST", LOGIN),
    ("POST", "/api/v1/auth/bind"),
    ("POST", "/api/v1/votes/1/ballots"),
    ("POST", "/api/v1/job-postings/1/applications"),
    ("POST", "/api/v1/notices/1/read"),
    ("POST", "/api/v1/villages/1/vouchers"),
    ("PATCH", "/api/v1/households/1"),
    ("PUT", "/api/v1/households/1/payee-account"),
]


def test_a_body_that_is_not_json_is_415_on_every_write(client: FlaskClient, world: World) -> None:
    for method, url in WRITES:
        for ctype in ("text/plain", "application/xml", "application/x-www-form-urlencoded", "text/html; charset=utf-8"):
            resp = client.open(url, method=method, data='{"choice": "agree"}', content_type=ctype,
                               headers=world.secretary)
            err = assert_error(resp, 415, "request.unsupported_type")
            assert "JSON" in err["message"], (method, url, ctype)


MALFORMED = [
    '{"title": ',
    "[1, 2",
    '{"title": "a"}{"b": 1}',
    "nul",
    "[" * 5000 + "]" * 5000,  # deeper than Python's recursion limit
    '{"a":' * 3000 + "1" + "}" * 3000,
    "1" * 5000,  # an integer beyond Python's 4300 digits
]


@pytest.mark.parametrize("body", MALFORMED, ids=["cut", "unclosed", "two", "nul", "deep-array", "deep-object",
                                                 "huge-int"])
def test_malformed_json_is_400_on_several_routes(client: FlaskClient, world: World, body: str) -> None:
    v, t = world.village.id, world.township.id
    for url, who in ((LOGIN, {}), (f"/api/v1/villages/{v}/households", world.secretary),
                     (f"/api/v1/townships/{t}/notices", world.staff), (f"/api/v1/villages/{v}/decisions",
                                                                       world.secretary)):
        resp = client.post(url, data=body, content_type="application/json", headers=who)
        err = assert_error(resp, 400, "request.bad")
        assert err["message"] == "请求格式有误，请检查后重试"
    bad_utf8 = b'{"number": "\xff\xfe"}'
    resp = client.post(f"/api/v1/villages/{v}/households", data=bad_utf8, content_type="application/json",
                       headers=world.secretary)
    assert_error(resp, 400, "request.bad")


# ---------------------------------------------------------------- pages


ABSURD_PAGES = [
    ({"page_size": 101}, "page_size"),
    ({"page_size": 100000}, "page_size"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": -1}, "page_size"),
    ({"page_size": "1e3"}, "page_size"),
    ({"page_size": "20.5"}, "page_size"),
    ({"page": 0}, "page"),
    ({"page": -5}, "page"),
    ({"page": 100_001}, "page"),
    ({"page": 10**30}, "page"),
    ({"page": "1" * 5000}, "page"),
    ({"page": "abc"}, "page"),
]


def test_absurd_pages_are_422_naming_the_field(client: FlaskClient, world: World) -> None:
    for query, field in ABSURD_PAGES:
        for url, who in ((f"/api/v1/villages/{world.village.id}/members", world.secretary),
                         (f"/api/v1/villages/{world.village.id}/households", world.secretary),
                         ("/api/v1/me/notices", world.member)):
            err = assert_error(client.get(url, query_string=query, headers=who), 422, "validation.failed")
            assert field in err["details"]["fields"], (url, query, err)


def test_the_largest_page_is_100_and_a_page_past_the_end_is_empty(client: FlaskClient, make: Factory,
                                                                   world: World) -> None:
    for n in range(3):
        make.household(world.village, f"LJ-{900 + n}")
    db.session.commit()
    url = f"/api/v1/villages/{world.village.id}/households"
    full = client.get(url, query_string={"page_size": 100}, headers=world.secretary).get_json()
    assert full["page_size"] == 100 and full["total"] == len(full["items"]) >= 5
    far = client.get(url, query_string={"page": 100_000, "page_size": 100}, headers=world.secretary).get_json()
    assert far["items"] == [] and far["total"] == full["total"] and far["page"] == 100_000


# ---------------------------------------------------------------- path ids


def _int_routes(app: Flask) -> Iterator[tuple[str, str]]:
    """Every API route with an id in its path, each id replaced by ``{id}``; and one method for it."""
    for rule in app.url_map.iter_rules():
        ints = [a for a, conv in rule._converters.items() if type(conv).__name__ == "BigIntConverter"]
        if not rule.rule.startswith("/api/v1/") or not ints:
            continue
        path = rule.rule
        for arg in rule.arguments:  # ids become {id}; the text arguments (a setting's key, a period) a valid value
            path = path.replace(f"<int:{arg}>", "{id}") if arg in ints else path.replace(f"<{arg}>", "2026-01")
        method = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0]
        yield method, path


def test_ids_beyond_bigint_or_not_ascii_digits_are_404_on_every_route(app: Flask, client: FlaskClient,
                                                                      world: World) -> None:
    routes = list(_int_routes(app))
    assert len(routes) > 80
    for bad in (str(BIGINT_MAX + 1), "9" * 19, str(10**30), "1" * 5000, "-1", "١", "１", "0x1", "1e3"):
        for method, path in routes:
            resp = client.open(path.replace("{id}", bad), method=method, json={}, headers=world.staff)
            assert resp.status_code == 404, (method, path, bad[:20])
            assert_error(resp, 404, "not_found")


def test_the_largest_bigint_is_an_ordinary_missing_record(client: FlaskClient, world: World) -> None:
    for path in (f"/api/v1/villages/{BIGINT_MAX}", f"/api/v1/households/{BIGINT_MAX}",
                 f"/api/v1/notices/{BIGINT_MAX}", f"/api/v1/disclosures/{BIGINT_MAX}"):
        assert_error(client.get(path, headers=world.staff), 404)


def test_the_spec_documents_the_id_bound(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    param = spec["paths"]["/api/v1/villages/{village_id}"]["parameters"][0]
    assert param["schema"] == {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}


def test_integers_in_bodies_beyond_bigint_or_with_a_fraction_are_422(client: FlaskClient, world: World) -> None:
    url = f"/api/v1/villages/{world.village.id}/roles"
    for value, message in ((BIGINT_MAX + 1, "数字太大"), (-(2**63) - 1, "数字太大"), (10**40, "数字太大"),
                           (2.5, "应为整数"), (1e300, "数字太大")):
        resp = client.post(url, json={"person_id": value, "role": "accountant"}, headers=world.staff)
        err = assert_error(resp, 422, "validation.failed")
        assert err["details"]["fields"]["person_id"] == [message], (value, err)


def test_nul_in_the_path_is_404(client: FlaskClient, world: World) -> None:
    v = world.village.id
    assert_error(client.put(f"/api/v1/villages/{v}/settings/a%00b", json={"value": 1}, headers=world.staff), 404)
    assert_error(client.post(f"/api/v1/villages/{v}/periods/2026-01%00/close", headers=world.secretary), 404)


def test_a_period_in_the_path_must_be_exactly_yyyy_mm(client: FlaskClient, make: Factory) -> None:
    qs = make.township()
    v = make.village(township=qs)
    acc = make.member(v, "李秀英", roles=("accountant",))
    db.session.commit()
    for period in ("2026-01%0A", "２０２６-01", "2026-1", "2026-13", "2026-01;DROP", "2026-01%20"):
        resp = client.post(f"/api/v1/villages/{v.id}/periods/{period}/close", headers=make.headers(acc))
        assert 400 <= resp.status_code < 500, (period, resp.status_code)
        assert_error(resp, resp.status_code)
    assert db.session.execute(select(func.count()).select_from(Period)).scalar_one() == 0


# ---------------------------------------------------------------- text fields

SQL = "' OR 1=1 --"
SQL_DROP = "x'); DROP TABLE households; --"
SCRIPT = "<script>alert(1)</script>"
EMOJI = "👨‍👩‍👧 村道🚜"
RLM = "\u200f临江\u200e村"  # right-to-left and left-to-right marks: allowed, stored as they are
STORED = [SQL, SQL_DROP, SCRIPT, EMOJI, RLM, "\ufeff户号", "A" * 30]
REFUSED = [("\u0000", "含有不可见的控制字符"), ("村\u0000道", "含有不可见的控制字符"),
           ("\ud800", "文字编码不正确"), ("a\udfffb", "文字编码不正确"),
           ("\u202e道村", "含有不可见的控制字符"), ("a\x1bb", "含有不可见的控制字符"),
           ("长" * 10_000, "长度应在1到30个字之间")]


def _post_raw(client: FlaskClient, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    # json.dumps keeps a lone surrogate as the escape "\ud800", as a hostile client would send it
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_hostile_text_is_stored_as_the_text_it_is(client: FlaskClient, world: World) -> None:
    v = world.village.id
    for n, text in enumerate(STORED, start=1):
        resp = _post_raw(client, f"/api/v1/villages/{v}/households", {"number": text, "address": text * 2},
                         world.secretary)
        assert resp.status_code == 201, (repr(text), resp.get_json())
        hid = resp.get_json()["id"]
        got = client.get(f"/api/v1/households/{hid}", headers=world.secretary)
        assert got.status_code == 200
        assert got.get_json()["number"] == text and got.get_json()["address"] == text * 2
        assert got.mimetype == "application/json"  # never rendered as HTML
        db.session.expire_all()
        assert db.session.get(Household, hid).number == text
        # the table is still there and holds the households it held, plus these
        assert db.session.execute(select(func.count()).select_from(Household)).scalar_one() == 2 + n


def test_unstorable_or_invisible_text_is_422_naming_the_field(client: FlaskClient, world: World) -> None:
    v = world.village.id
    for text, message in REFUSED:
        resp = _post_raw(client, f"/api/v1/villages/{v}/households", {"number": text}, world.secretary)
        err = assert_error(resp, 422, "validation.failed")
        assert err["details"]["fields"] == {"number": [message]}, repr(text[:10])
        resp = _post_raw(client, f"/api/v1/villages/{v}/households", {"number": "LJ-100", "address": text[:120]},
                         world.secretary)
        if text.startswith("长"):
            assert resp.status_code == 201  # 120 characters fit the address
            continue
        assert_error(resp, 422, "validation.failed")
    assert db.session.execute(select(func.count()).select_from(Household)).scalar_one() == 3


HOSTILE = [SQL, SCRIPT, "\u0000", "\ud800", "长" * 10_000, EMOJI, "\u202e", RLM]


def test_hostile_text_in_a_notice_a_decision_and_a_search(client: FlaskClient, world: World) -> None:
    v, t = world.village.id, world.township.id
    for text in HOSTILE:
        for url, body, who in (
            (f"/api/v1/villages/{v}/notices", {"title": text[:80], "body": text}, world.secretary),
            (f"/api/v1/townships/{t}/notices", {"title": "通知", "body": text}, world.staff),
            (f"/api/v1/villages/{v}/decisions", {"title": text[:120], "category": "project", "origin": "村干部提议",
                                                 "description": text}, world.secretary),
        ):
            resp = _post_raw(client, url, body, who)
            if resp.status_code >= 400:
                assert_error(resp, resp.status_code)
                assert resp.status_code == 422, (url, repr(text[:10]), resp.get_json())
                continue
            assert resp.status_code in (200, 201), resp.get_json()
            created = resp.get_json()
            back = client.get(f"/api/v1/{'notices' if 'notices' in url else 'decisions'}/{created['id']}",
                              headers=who).get_json()
            field = "body" if "notices" in url else "description"
            assert back[field] == text
        if "\ud800" in text:
            continue  # a query string is bytes: a lone surrogate cannot even be sent (Werkzeug decodes with U+FFFD)
        for url in (f"/api/v1/villages/{v}/members", f"/api/v1/villages/{v}/households"):
            resp = client.get(url, query_string={"q": text[:40]}, headers=world.secretary)
            if resp.status_code == 200:
                assert resp.get_json()["total"] == 0, (url, repr(text[:10]))  # matched literally, found nothing
            else:
                assert_error(resp, 422, "validation.failed")
    resp = client.get(f"/api/v1/villages/{v}/members", query_string={"q": SQL}, headers=world.secretary)
    assert resp.status_code == 200 and resp.get_json()["items"] == []


def test_hostile_text_at_the_doors_without_a_token(client: FlaskClient, world: World) -> None:
    for text in HOSTILE:
        resp = _post_raw(client, LOGIN, {"code": text}, {})
        assert resp.status_code in (400, 422), (repr(text[:10]), resp.get_json())
        assert_error(resp, resp.status_code)
    ticket = client.post(LOGIN, json={"code": "demo-hostile"}).get_json()["bind_ticket"]
    for text in (SQL, SCRIPT, EMOJI, RLM):
        body = {"bind_ticket": ticket, "village_code": "LJ01", "name": text[:40], "id_card_last6": "123456"}
        resp = _post_raw(client, "/api/v1/auth/bind", body, {})
        assert_error(resp, 404, "auth.member_not_found")
        ticket = client.post(LOGIN, json={"code": "demo-hostile"}).get_json()["bind_ticket"]  # a fresh ticket each time


def test_a_detail_may_be_named_code(client: FlaskClient, make: Factory) -> None:
    """Found by schemathesis: ``unprocessable(code, message, code=...)`` was a TypeError, a 500."""
    qs = make.township()
    v = make.village(township=qs)
    acc = make.member(v, "李秀英", roles=("accountant",))
    db.session.commit()
    from backend.ledger import service as ledger

    ledger.ensure_chart(v)
    db.session.commit()
    resp = client.post(f"/api/v1/villages/{v.id}/ledger/accounts",
                       json={"parent_code": "999", "code": "999001", "name": "测试"}, headers=make.headers(acc))
    err = assert_error(resp, 422, "ledger.account_unknown")
    assert err["details"] == {"code": "999"}


def test_idempotency_key_with_control_characters_is_400(client: FlaskClient, world: World) -> None:
    from backend.core.idempotency import key_from_request

    app = client.application
    for key in ("a\x00b", "a\x1bb", "\x7f"):
        with app.test_request_context("/", headers={"Idempotency-Key": key}):
            with pytest.raises(Exception) as exc:
                key_from_request()
            assert getattr(exc.value, "status", None) == 400 and exc.value.code == "idempotency.key_invalid"
    with app.test_request_context("/", headers={"Idempotency-Key": " 0b7c9e2a-key "}):
        assert key_from_request() == "0b7c9e2a-key"


def test_a_value_only_the_database_refuses_is_422_not_500(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """The net under the schemas: a DataError (too long for its column, out of range, NUL) is the request's fault."""
    from sqlalchemy.exc import DataError

    with app_with(app) as a:
        @a.post("/api/v1/too-long")
        def too_long() -> str:
            raise DataError("INSERT INTO households (number) VALUES (%(n)s)", {"n": "x" * 31},
                            Exception("value too long for type character varying(30)"))

        resp = a.test_client().post("/api/v1/too-long")
    err = assert_error(resp, 422, "validation.out_of_range")
    assert err["message"] == "提交的内容超出允许的范围，请检查后重试" and err["details"] == {}
    assert "households" not in resp.get_data(as_text=True) and "varying" not in resp.get_data(as_text=True)
    assert any("value too long for type character varying(30)" in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("postgres_only")
def test_postgresql_refusing_a_value_is_422_not_500(app: Flask, world: World) -> None:
    """For real: were a view ever to hand PostgreSQL a NUL in text (no schema lets one through), the answer is 422."""
    from backend import registry

    village_id = world.village.id
    with app_with(app) as a:
        @a.post("/api/v1/nul-to-the-database")
        def nul() -> str:
            registry.create_household(db.session.get(Village, village_id), "LJ-\x00", actor=None)
            db.session.flush()
            return "unreachable"

        resp = a.test_client().post("/api/v1/nul-to-the-database")
    assert_error(resp, 422, "validation.out_of_range")
    assert db.session.execute(select(func.count()).select_from(Household)).scalar_one() == 2


# ---------------------------------------------------------------- exports

FORMULA = '=HYPERLINK("http://example.com/x","点此领取补贴")'


def test_text_that_looks_like_a_formula_stays_text_in_an_export(client: FlaskClient, make: Factory,
                                                                 world: World) -> None:
    """Formula injection: an address typed as "=HYPERLINK(…)" must reach the office's Excel as text, not as a
    formula Excel would run (openpyxl writes any string beginning with "=" as a formula)."""
    from openpyxl import load_workbook

    resp = _post_raw(client, f"/api/v1/villages/{world.village.id}/households",
                     {"number": "LJ-777", "address": FORMULA}, world.secretary)
    assert resp.status_code == 201
    household = db.session.get(Household, resp.get_json()["id"])
    make.member(world.village, "赵六", household=household)
    db.session.commit()
    export = client.get(f"/api/v1/villages/{world.village.id}/roster.xlsx", headers=world.secretary)
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_text_only_turns_every_formula_back_into_text() -> None:
    from openpyxl import Workbook

    from backend.core.xlsx import text_only

    wb = Workbook()
    ws = wb.active
    ws.append(["=1+1", "+1", "@SUM(A1)", "-2", "普通文字", 5])
    wb.create_sheet("第二页").append([FORMULA])
    assert [c.data_type for c in ws[1]] == ["f", "s", "s", "s", "s", "n"]
    text_only(wb)
    assert [c.data_type for c in ws[1]] == ["s", "s", "s", "s", "s", "n"]
    assert wb["第二页"]["A1"].data_type == "s" and wb["第二页"]["A1"].value == FORMULA


def test_no_cookie_session_is_read_or_written(app: Flask, client: FlaskClient, make: Factory) -> None:
    """Callers carry a bearer token: Flask's cookie session is the null one (it was built for nothing on every
    request before); a view that wrote to it would fail loudly instead of setting a cookie, and no answer sets one."""
    from flask import session
    from flask.sessions import NullSession

    village = make.village()
    zhang = make.member(village, "张大山")
    db.session.commit()
    answer = client.get("/api/v1/me", headers={**make.headers(zhang), "Cookie": "session=eyJ4IjoxfQ.forged"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    with app.test_request_context("/api/v1/me", headers={"Cookie": "session=eyJ4IjoxfQ.forged"}):
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
        assert session.get("x") is None
        with pytest.raises(RuntimeError):
            session["x"] = 1
