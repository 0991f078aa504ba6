"""marshmallow in Chinese: input validation messages a villager can see are Chinese, money is fen."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from marshmallow import ValidationError, fields

from backend.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageArgs
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_

_CJK = re.compile(r"[\u4e00-\u9fff]")
# technical spellings that may stand in a Chinese message
_ALLOWED_ASCII = ("YYYY-MM-DD", "true/false", "JSON")


def _english(msg: str) -> bool:
    s = re.sub(r"\{[^}]*\}", "", msg)  # format placeholders such as {choices}
    for ok in _ALLOWED_ASCII:
        s = s.replace(ok, "")
    return bool(re.search(r"[A-Za-z]{2,}", s))


def _all_messages(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _all_messages(v)]
    if isinstance(messages, list):
        return [m for v in messages for m in _all_messages(v)]
    return [str(messages)]


def _load_errors(schema: BaseSchema, data: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as err:
        schema.load(data)
    messages = err.value.messages
    assert isinstance(messages, dict)
    for m in _all_messages(messages):
        assert _CJK.search(m), m
        assert not _english(m), m
    return messages


class _Sample(BaseSchema):
    name = Text(required=True, validate=length(1, 10))
    age = fields.Integer()
    amount = Yuan()
    active = fields.Boolean()
    born = fields.Date()
    at = IsoDateTime()
    tags = fields.List(fields.String())
    note = Text(allow_none=True)
    meta = fields.Dict()


# ------------------------------------------------------------------ BaseSchema messages


def test_required_unknown_and_type_errors_are_chinese() -> None:
    errors = _load_errors(_Sample(), {"age": "x", "surprise": 1})
    assert errors == {"name": ["必填"], "age": ["应为整数"], "surprise": ["不认识的字段"]}


def test_payload_that_is_not_an_object() -> None:
    assert _load_errors(_Sample(), ["name"]) == {"_schema": ["请求内容应为 JSON 对象"]}


def test_null_and_many_field_type_errors_are_chinese() -> None:
    errors = _load_errors(_Sample(), {
        "name": None, "active": "maybe", "born": "22/11/2026", "at": "yesterday", "tags": "a",
        "meta": [1], "amount": "12.345",
    })
    assert errors["name"] == ["不能为空"]
    assert errors["active"] == ["应为是或否（true/false）"]
    assert errors["born"] == ["日期格式应为 YYYY-MM-DD"]
    assert errors["at"] == ["时间格式不正确"]
    assert errors["tags"] == ["应为列表"]
    assert errors["meta"] == ["应为对象"]
    assert errors["amount"] == ["金额格式不正确，例如 1234.50"]


def test_length_range_and_one_of_helpers_are_chinese() -> None:
    class S(BaseSchema):
        a = Text(validate=length(1, 3))
        b = Text(validate=length(min=1))
        c = Text(validate=length(min=2))
        d = Text(validate=length(max=2))
        e = fields.Integer(validate=range_(1, 9))
        f = fields.Integer(validate=range_(min=0))
        g = fields.Integer(validate=range_(max=5))
        h = Text(validate=one_of(["open", "closed"], {"open": "进行中", "closed": "已结束"}))

    errors = _load_errors(S(), {"a": "四个字啊", "b": "  ", "c": "一", "d": "三个字", "e": 10, "f": -1, "g": 6,
                                "h": "draft"})
    assert errors == {
        "a": ["长度应在1到3个字之间"], "b": ["不能为空"], "c": ["至少2个字"], "d": ["最多2个字"],
        "e": ["应在1到9之间"], "f": ["不能小于0"], "g": ["不能大于5"], "h": ["应为以下之一：进行中、已结束"],
    }


def _field_classes() -> list[type[fields.Field]]:
    return [cls for _, cls in inspect.getmembers(fields, inspect.isclass)
            if issubclass(cls, fields.Field) and not cls.__name__.startswith("_")]


@pytest.mark.parametrize("cls", _field_classes(), ids=lambda c: c.__name__)
def test_every_marshmallow_field_has_chinese_default_messages(cls: type[fields.Field]) -> None:
    messages: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    english = {k: v for k, v in messages.items() if _english(v) or not _CJK.search(v)}
    assert english == {}


def test_schema_level_messages_are_chinese() -> None:
    msgs = _Sample().error_messages
    assert msgs["unknown"] == "不认识的字段"
    assert msgs["type"] == "请求内容应为 JSON 对象"


# ------------------------------------------------------------------ Yuan


class _Money(BaseSchema):
    amount = Yuan(required=True)


@pytest.mark.parametrize(("text", "fen"), [("12.30", 1230), ("12.3", 1230), ("0.05", 5), ("1234", 123400),
                                           ("-0.05", -5), (" 8.00 ", 800)])
def test_yuan_loads_text_to_fen(text: str, fen: int) -> None:
    assert _Money().load({"amount": text}) == {"amount": fen}


def test_yuan_refuses_a_json_number() -> None:
    errors = _load_errors(_Money(), {"amount": 12.3})
    assert errors == {"amount": ['金额应写成文字形式，例如 "1234.50"']}
    assert _load_errors(_Money(), {"amount": 12}) == errors
    assert _load_errors(_Money(), {"amount": True}) == errors


@pytest.mark.parametrize(("text", "reason"), [("12.345", "金额格式不正确，例如 1234.50"),
                                              ("abc", "金额格式不正确，例如 1234.50"),
                                              ("", "金额格式不正确，例如 1234.50"),
                                              ("1,000.00", "金额格式不正确，例如 1234.50")])
def test_yuan_refuses_bad_text(text: str, reason: str) -> None:
    assert _load_errors(_Money(), {"amount": text}) == {"amount": [reason]}


@pytest.mark.parametrize(("fen", "shown"), [(1230, "12.30"), (0, "0.00"), (-5, "-0.05"), (123450, "1234.50")])
def test_yuan_dumps_fen_as_text(fen: int, shown: str) -> None:
    assert _Money().dump({"amount": fen}) == {"amount": shown}


def test_yuan_dumps_none_as_none() -> None:
    assert _Money().dump({"amount": None}) == {"amount": None}


# ------------------------------------------------------------------ Text


class _Note(BaseSchema):
    text = Text(required=True)


def test_text_trims_blanks() -> None:
    assert _Note().load({"text": "  张大山 \n"}) == {"text": "张大山"}
    assert _Note().load({"text": "\u3000临江村\u3000"}) == {"text": "临江村"}  # ideographic space


def test_text_keeps_inner_newlines_and_tabs() -> None:
    assert _Note().load({"text": "第一行\n第二行\t完"}) == {"text": "第一行\n第二行\t完"}


@pytest.mark.parametrize("bad", ["张\x00三", "a\x07b", "a\x1bb", "a\rb", "a\x7fb", "a\x85b", "张三\u202e", "x\u2066y"])
def test_text_refuses_control_characters(bad: str) -> None:
    assert _load_errors(_Note(), {"text": bad}) == {"text": ["含有不可见的控制字符"]}


def test_text_refuses_non_text() -> None:
    assert _load_errors(_Note(), {"text": 12}) == {"text": ["应为文字"]}


def test_text_keeps_emoji_sequences() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # zero-width joiners are not refused
    assert _Note().load({"text": family}) == {"text": family}


# ------------------------------------------------------------------ IsoDateTime


class _When(BaseSchema):
    at = IsoDateTime(required=True)


def test_iso_datetime_dumps_utc_as_shanghai_time() -> None:
    assert _When().dump({"at": datetime(2026, 11, 22, 3, 53, 0, tzinfo=UTC)}) == {"at": "2026-11-22T11:53:00+08:00"}
    assert _When().dump({"at": datetime(2026, 11, 22, 17, 0, 0, tzinfo=UTC)}) == {"at": "2026-11-23T01:00:00+08:00"}


def test_iso_datetime_dumps_other_zones_and_drops_microseconds() -> None:
    ny = timezone(timedelta(hours=-5))
    assert _When().dump({"at": datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=ny)}) == {"at": "2026-01-01T13:00:00+08:00"}


def test_iso_datetime_loads_an_aware_time() -> None:
    loaded = _When().load({"at": "2026-11-22T11:53:00+08:00"})["at"]
    assert loaded == datetime(2026, 11, 22, 3, 53, tzinfo=UTC)
    assert loaded.utcoffset() is not None


def test_iso_datetime_refuses_a_time_without_zone() -> None:
    # a naive time cannot be stored (UTCDateTime refuses it): it must be a 422 here, not a 500 later
    errors = _load_errors(_When(), {"at": "2026-11-22T11:53:00"})
    assert errors == {"at": ["时间需要带时区，例如 2026-11-22T09:00:00+08:00"]}


# ------------------------------------------------------------------ PageArgs


def test_page_args_defaults() -> None:
    assert PageArgs().load({}) == {"page": 1, "page_size": 20}
    assert DEFAULT_PAGE_SIZE == 20
    assert MAX_PAGE_SIZE == 100


def test_page_args_load_query_strings() -> None:
    assert PageArgs().load({"page": "3", "page_size": "100"}) == {"page": 3, "page_size": 100}


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        ({"page_size": 101}, {"page_size": ["应在1到100之间"]}),
        ({"page_size": 0}, {"page_size": ["应在1到100之间"]}),
        ({"page": 0}, {"page": ["应在1到100000之间"]}),
        ({"page": -1, "page_size": 1000}, {"page": ["应在1到100000之间"], "page_size": ["应在1到100之间"]}),
        ({"page": "abc"}, {"page": ["应为整数"]}),
        ({"page": "1.5"}, {"page": ["应为整数"]}),
        ({"page": True}, {"page": ["应为整数"]}),
        ({"per_page": 5}, {"per_page": ["不认识的字段"]}),
    ],
)
def test_page_args_refusals(args: dict[str, Any], errors: dict[str, list[str]]) -> None:
    assert _load_errors(PageArgs(), args) == errors
