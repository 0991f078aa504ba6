"""The OpenAPI spec is served, documents every endpoint, and keeps the contract's paths."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

CONTRACT = {
    ("post", "/api/v1/auth/wechat-login"),
    ("post", "/api/v1/auth/bind"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
}


def _spec(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json


def test_spec_lists_every_api_route(app, client):
    spec = _spec(client)
    assert spec["openapi"].startswith("3.")
    documented = {
        (m, p) for p, ops in spec["paths"].items() for m in ops if m in ("get", "post", "put", "patch", "delete")
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        if rule.rule.startswith("/api/v1/docs/static/"):  # the docs page's own script and style files
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
        for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routed.add((m.lower(), path))
    assert routed, "no routes found"
    assert routed - documented == set()
    assert documented >= CONTRACT


def test_errors_are_documented_in_the_one_shape(client):
    spec = _spec(client)
    schemas = spec["components"]["schemas"]
    assert "Error" in schemas
    assert set(schemas["Error"]["properties"]) == {"error"}
    op = spec["paths"]["/api/v1/auth/bind"]["post"]
    assert "422" in op["responses"]
    resp = op["responses"]["422"]
    if "$ref" in resp:
        resp = spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    assert resp["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"


def test_docs_ui_is_served(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and b"swagger" in r.data.lower()


def test_spec_descriptions_are_chinese(client):
    spec = _spec(client)
    summary = spec["paths"]["/api/v1/auth/wechat-login"]["post"]["summary"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in summary)


SNAPSHOT = Path(__file__).with_name("openapi.json")


def test_spec_matches_its_snapshot(client):
    """The contract changes only on purpose: every path, method, parameter, body and response is in
    tests/openapi.json, and a change shows there in review. Regenerate with UPDATE_OPENAPI_SNAPSHOT=1."""
    served = json.dumps(_spec(client), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(served, encoding="utf-8")
    kept = SNAPSHOT.read_text(encoding="utf-8")
    if served != kept:
        diff = "".join(difflib.unified_diff(kept.splitlines(True), served.splitlines(True), "tests/openapi.json",
                                            "served", n=2))
        raise AssertionError("the served spec differs from tests/openapi.json (UPDATE_OPENAPI_SNAPSHOT=1 to accept "
                             "a deliberate change):\n" + diff[:6000])
