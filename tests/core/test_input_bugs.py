"""Input found wrong by trying the API from outside (issue 17): each answers 4xx in the one shape and changes
nothing — a JSON body nested ~500 deep under 2 KiB on every write, a negative decision amount, full-width digits
(accepted and folded, in integer and money fields alike), a land party's phone that is no phone."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import ValidationError, fields
from sqlalchemy import func, select

from backend.core.db import db
from backend.core.hardening import MAX_JSON_DEPTH
from backend.core.identity import IdentityError, normalize_contact_phone
from backend.core.schemas import Yuan
from tests.factories import Factory
from tests.security.conftest import assert_error

API = "/api/v1"


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


@pytest.fixture
def world(make: Factory) -> dict[str, Any]:
    village = make.village()
    secretary = make.member(village, "李书记", roles=("secretary",))
    staff = make.staff(village.township)
    db.session.commit()
    return {"village": village, "secretary": make.headers(secretary), "staff": make.headers(staff)}


def _write_routes(app: Flask, village_id: int) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
            path = rule.rule
            for arg in rule.arguments:
                converter = rule._converters[arg]  # type: ignore[attr-defined]
                value = str(village_id) if converter.regex.startswith("(?:[0-9]") else "2026-01"
                path = path.replace(f"<int:{arg}>", value).replace(f"<{arg}>", value)
            routes.append((method, path))
    return routes


DEEP_BODIES = {
    "lists": '{"title": ' + "[" * 500 + "]" * 500 + "}",
    "objects": '{"a":' * 300 + "1" + "}" * 300,
    "bare": "[" * 900 + "]" * 900,
}


@pytest.mark.parametrize("shape", list(DEEP_BODIES))
def test_a_deeply_nested_body_is_400_on_every_write(app: Flask, client: FlaskClient, world: dict[str, Any],
                                                    shape: str) -> None:
    body = DEEP_BODIES[shape]
    assert len(body.encode()) < 2048  # the size the old guard let through unparsed
    routes = _write_routes(app, world["village"].id)
    assert ("POST", f"{API}/auth/wechat-login") in routes and len(routes) > 60
    before = _row_counts()
    for method, path in routes:
        for headers in (world["secretary"], world["staff"], {}):
            resp = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
            assert 400 <= resp.status_code < 500, (method, path, resp.status_code)
            assert_error(resp, resp.status_code)
    assert _row_counts() == before


def test_the_depth_guard_names_its_limit_and_lets_ordinary_depth_through(client: FlaskClient) -> None:
    over = '{"code": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    err = assert_error(client.post(f"{API}/auth/wechat-login", data=over, content_type="application/json"), 400,
                       "request.too_deep")
    assert err["details"] == {"max_depth": MAX_JSON_DEPTH}
    within = '{"code": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    # the schema sees it and refuses the list where text belongs
    assert_error(client.post(f"{API}/auth/wechat-login", data=within, content_type="application/json"), 422,
                 "validation.failed")


def _decision(client: FlaskClient, world: dict[str, Any], amount: Any) -> Any:
    body = {"title": "村道硬化工程", "category": "project", "origin": "村干部提议", "amount": amount}
    return client.post(f"{API}/villages/{world['village'].id}/decisions", json=body, headers=world["secretary"])


@pytest.mark.parametrize("amount", ["-1.00", "-0.01", "－５", "-9999999999999.99"])
def test_a_negative_decision_amount_is_422(client: FlaskClient, world: dict[str, Any], amount: str) -> None:
    before = _row_counts()
    err = assert_error(_decision(client, world, amount), 422, "validation.failed")
    assert err["message"] == "涉及金额：不能为负数"
    assert err["details"]["fields"] == {"amount": ["不能为负数"]}
    assert _row_counts() == before


def test_a_zero_or_missing_decision_amount_is_fine(client: FlaskClient, world: dict[str, Any]) -> None:
    assert _decision(client, world, "0.00").status_code == 201
    assert _decision(client, world, None).status_code == 201


def test_full_width_digits_are_accepted_in_money_and_integers_alike(client: FlaskClient,
                                                                    world: dict[str, Any]) -> None:
    r = _decision(client, world, "１２３４．５０")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["amount"] == "1234.50"
    listed = client.get(f"{API}/villages/{world['village'].id}/decisions?page=１&page_size=２０",
                        headers=world["secretary"])
    assert listed.status_code == 200, listed.get_json()
    assert (listed.get_json()["page"], listed.get_json()["page_size"]) == (1, 20)


@pytest.mark.parametrize(("text", "number"), [("１２", 12), ("－３", -3), ("＋７", 7), (" ４２ ", 42), ("12", 12)])
def test_one_rule_for_integer_fields(text: str, number: int) -> None:
    assert fields.Integer().deserialize(text) == number


@pytest.mark.parametrize(("text", "fen"), [("１２", 1200), ("１２．３", 1230), ("－０．０５", -5), ("12.30", 1230)])
def test_one_rule_for_money_fields(text: str, fen: int) -> None:
    assert Yuan().deserialize(text) == fen


@pytest.mark.parametrize("text", ["١٢", "१२", "12a", "1 2", "", "٣.٥"])
def test_other_scripts_digits_are_refused_by_both(text: str) -> None:
    with pytest.raises(ValidationError):
        fields.Integer().deserialize(text)
    with pytest.raises(ValidationError):
        Yuan().deserialize(text)
    with pytest.raises(ValidationError):
        fields.Decimal().deserialize(text)


@pytest.mark.parametrize(("raw", "stored"), [
    ("13900001111", "13900001111"), ("１３９ ００００ １１１１", "13900001111"), ("+86 139-0000-1111", "13900001111"),
    ("0531-87654321", "0531-87654321"), ("(010)62345678", "010-62345678"), ("053187654321-808", "0531-87654321-808"),
    ("400-800-1234", "400-800-1234"),
])
def test_contact_phones(raw: str, stored: str) -> None:
    assert normalize_contact_phone(raw) == stored


@pytest.mark.parametrize("raw", ["随便写写", "12345", "1390000111", "139000011112", "0531-1234", "87654321",
                                 "10086", "abc13900001111", "0531-07654321"])
def test_what_is_no_phone(raw: str) -> None:
    with pytest.raises(IdentityError):
        normalize_contact_phone(raw)


def test_a_land_partys_phone_must_be_a_phone(client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"{API}/villages/{world['village'].id}/land-parties"
    before = _row_counts()
    for bad in ("随便写写", "<script>", "12345", "call me"):
        r = client.post(url, json={"kind": "company", "name": "荣联农业合作社", "phone": bad},
                        headers=world["secretary"])
        err = assert_error(r, 422, "validation.failed")
        assert err["message"].startswith("联系电话：电话应为11位手机号")
        assert list(err["details"]["fields"]) == ["phone"]
    assert _row_counts() == before
    r = client.post(url, json={"kind": "company", "name": "荣联农业合作社", "phone": "０５３１－８７６５４３２１"},
                    headers=world["secretary"])
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["phone"] == "0531-87654321"
    r = client.post(url, json={"kind": "company", "name": "无电话合作社", "phone": ""}, headers=world["secretary"])
    assert r.status_code == 201 and r.get_json()["phone"] is None
