"""Length messages say what to write in plain words: ``应为6位`` for a fixed-length code (never "长度应在6到6个字之间"),
``应为N个字`` for fixed-length text, ``至少N个字`` / ``最多N个字`` for one bound, ``项`` for lists."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError, fields

from backend.core.schemas import BaseSchema, Text, length, length_message


def _errors(schema: BaseSchema, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as exc:
        schema.load(data)
    return exc.value.messages  # type: ignore[return-value]


class S(BaseSchema):
    tail = Text(validate=length(6, 6))  # the last 6 of an ID number
    word = Text(validate=length(2, 2, unit="个字"))  # fixed-length text
    code = Text(validate=length(6, 12, unit="位"))
    title = Text(validate=length(1, 5))
    least = Text(validate=length(min=3))
    most = Text(validate=length(max=4))
    items = fields.List(fields.Integer(), validate=length(max=2))
    some = fields.List(fields.Integer(), validate=length(2, 3))
    exactly = fields.List(fields.Integer(), validate=length(2, 2))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tail", "12345", "应为6位"),
    ("tail", "1234567", "应为6位"),
    ("tail", "一二三", "应为6位"),  # a code is counted in 位 whatever was typed
    ("word", "一", "应为2个字"),
    ("code", "12", "长度应在6到12位之间"),
    ("title", "六个字的标题", "长度应在1到5个字之间"),
    ("least", "一二", "至少3个字"),
    ("most", "五个字的字", "最多4个字"),
    ("items", [1, 2, 3], "最多2项"),
    ("some", [1], "应有2到3项"),
    ("exactly", [1, 2, 3], "应为2项"),
])
def test_a_length_error_says_what_to_write(field: str, value: Any, message: str) -> None:
    assert _errors(S(), {field: value}) == {field: [message]}


@pytest.mark.parametrize(("field", "value"), [("tail", "15051X"), ("word", "两字"), ("code", "123456"),
                                              ("title", "五个字标题"), ("least", "三个字"), ("most", "四个字啊"),
                                              ("items", [1, 2]), ("some", [1, 2, 3]), ("exactly", [1, 2])])
def test_the_edge_of_each_rule_passes(field: str, value: Any) -> None:
    assert S().load({field: value}) == {field: value}


def test_no_message_says_between_a_number_and_itself() -> None:
    for n in (1, 6, 18):
        for unit in ("位", "个字", "项"):
            msg = length_message(n, n, unit)
            assert msg == f"应为{n}{unit}"
            assert "之间" not in msg
    assert length_message(1, None) == "不能为空"
    assert length_message(None, 80) == "最多80个字"


def test_through_the_api_a_short_id_tail_is_refused_with_the_plain_message(client) -> None:
    ticket = client.post("/api/v1/auth/wechat-login", json={"code": "demo-len"}).json["bind_ticket"]
    r = client.post("/api/v1/auth/bind", json={"bind_ticket": ticket, "village_code": "LJ01", "name": "张大山",
                                                "id_card_last6": "5051X"})
    assert r.status_code == 422
    assert r.json["error"]["details"]["fields"]["id_card_last6"] == ["应为6位"]
    assert "应为6位" in r.json["error"]["message"]
    assert "6到6" not in r.json["error"]["message"]
