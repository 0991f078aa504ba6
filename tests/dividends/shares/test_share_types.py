"""Share types' refusals name their field, so the console's 股份类型设置 shows each at the box it is about."""

from __future__ import annotations

from typing import Any

API = "/api/v1"


def _fields(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code, resp.json
    return resp.json["error"]["details"]["fields"]


def test_share_type_refusals_are_said_at_their_field(client, make, books):
    sec = make.headers(books.secretary)
    url = f"{API}/villages/{books.village.id}/share-types"
    assert _fields(client.post(url, json={"code": "member", "name": "土地股"}, headers=sec), 409,
                   "share.type_exists") == {"code": "本村已有代码为“member”的股份类型"}
    assert _fields(client.post(url, json={"code": "land", "name": "劳龄股"}, headers=sec), 409,
                   "share.type_exists") == {"name": "本村已有名称为“劳龄股”的股份类型"}
    assert set(_fields(client.post(url, json={"code": "member", "name": "劳龄股"}, headers=sec), 409,
                       "share.type_exists")) == {"code", "name"}
    assert "per_person" in _fields(client.post(url, json={"code": "coll", "name": "集体股", "holder": "collective",
                                                           "per_person": 1}, headers=sec), 422, "share.type_invalid")
    assert "name" in _fields(client.patch(f"{API}/share-types/{books.labor_type.id}", json={"name": "成员股"},
                                          headers=sec), 409, "share.type_exists")
    r = client.post(url, json={"code": "coll", "name": "集体股", "holder": "collective"}, headers=sec)
    assert r.status_code == 201, r.json
    assert "per_person" in _fields(client.patch(f"{API}/share-types/{r.json['id']}", json={"per_person": 2},
                                                headers=sec), 422, "share.type_invalid")
    # what the API takes: name, unit, per_person, sort, active — the code and holder are not among them
    assert "code" in _fields(client.patch(f"{API}/share-types/{r.json['id']}", json={"code": "c2"}, headers=sec),
                             422, "validation.failed")
