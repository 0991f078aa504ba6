"""Validation errors name every bad field in Chinese, in the schema's order ("标题：不能为空；金额：…"), rows of a list
as "第3行 金额", and keep ``details.fields`` keyed by the fields' own names (the console maps them to its inputs)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import ValidationError, fields

from backend.core.errors import field_label, validation_message
from backend.core.field_labels import GENERIC_LABEL
from backend.core.schemas import BaseSchema, Text, Yuan, length
from tests.factories import Factory
from tests.security.conftest import assert_error


class _Line(BaseSchema):
    amount = Yuan(required=True)
    summary = Text(validate=length(1, 10))


class _Form(BaseSchema):
    title = Text(required=True, validate=length(1, 5))
    amount = Yuan(required=True)
    lines = fields.List(fields.Nested(_Line))
    counts = fields.List(fields.Integer(), metadata={"label": "份数"})
    contact = fields.Nested(_Line, metadata={"label": "联系人"})
    what = fields.String(metadata={"description": "某种东西，供测试"})
    mystery = fields.String()


def _message(data: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        _Form().load(data)
    return validation_message(caught.value.messages, _Form()), caught.value.messages


def test_every_bad_field_in_the_schemas_order() -> None:
    msg, _ = _message({"mystery": 1, "what": 2, "amount": "x", "title": ""})
    assert msg == ("标题：长度应在1到5个字之间；金额：金额格式不正确，例如 1234.50；某种东西：应为文字；"
                   f"{GENERIC_LABEL}：应为文字")


def test_rows_of_a_list_and_nested_objects() -> None:
    msg, messages = _message({"title": "好", "amount": "1", "counts": [1, "a"], "contact": {},
                              "lines": [{"amount": "1"}, {"amount": "1"}, {"amount": "-", "summary": ""}]})
    assert msg == ("第3行 金额：金额格式不正确，例如 1234.50；第3行 摘要：长度应在1到10个字之间；份数第2项：应为整数；"
                   "联系人 金额：必填")
    assert set(messages) == {"lines", "counts", "contact"}


def test_the_label_comes_from_metadata_then_the_dictionary_then_the_description() -> None:
    assert field_label(fields.String(metadata={"label": "村名", "description": "别的"}), "name") == "村名"
    assert field_label(fields.String(metadata={"description": "说明文字"}), "title") == "标题"
    described = fields.String(metadata={"description": "流入方的联系电话（手机或固话）"})
    assert field_label(described, "zz") == "流入方的联系电话"
    assert field_label(fields.String(metadata={"description": "wx.login() 得到的 code"}), "zz") == GENERIC_LABEL
    assert field_label(None, "zz") == GENERIC_LABEL


def test_an_unknown_field_is_named_as_sent(client: FlaskClient) -> None:
    err = assert_error(client.post("/api/v1/auth/wechat-login", json={"code": "demo-x", "openid": "o"}), 422)
    assert err["message"] == "不认识的字段：openid"
    assert err["details"]["fields"] == {"openid": ["不认识的字段"]}


def test_a_real_endpoint_reports_every_field_in_chinese(client: FlaskClient, make: Factory) -> None:
    village = make.village()
    accountant = make.member(village, "会计", roles=("accountant",))
    body = {"summary": "", "voucher_date": "2026-13-01",
            "lines": [{"account_code": "101", "debit": "1.00"}, {"account_code": "1", "credit": "1.001"}]}
    r = client.post(f"/api/v1/villages/{village.id}/vouchers", json=body, headers=make.headers(accountant))
    err = assert_error(r, 422, "validation.failed")
    assert err["message"] == ("凭证日期：日期格式应为 YYYY-MM-DD；摘要：长度应在1到200个字之间；"
                              "第2行 科目代码：长度应在3到12个字之间；第2行 贷方金额：金额格式不正确，例如 1234.50")
    assert set(err["details"]["fields"]) == {"voucher_date", "summary", "lines"}
    assert err["details"]["fields"]["lines"] == {"1": {"account_code": ["长度应在3到12个字之间"],
                                                       "credit": ["金额格式不正确，例如 1234.50"]}}
    assert "(" not in err["message"] and "（" not in err["message"]


def test_query_arguments_are_named_too(client: FlaskClient, make: Factory) -> None:
    village = make.village()
    secretary = make.member(village, "书记", roles=("secretary",))
    r = client.get(f"/api/v1/villages/{village.id}/members?page=0&page_size=abc", headers=make.headers(secretary))
    err = assert_error(r, 422, "validation.failed")
    assert err["message"].startswith("页码：") and "每页条数：应为整数" in err["message"]
