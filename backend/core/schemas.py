"""marshmallow in Chinese: every message a villager can see from input validation is Chinese.

Importing this module sets Chinese default messages on marshmallow's field classes (once, for the
whole process), and offers ``BaseSchema`` plus validators with Chinese messages. Every schema of
the project derives from ``BaseSchema``.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate

_FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "内容不正确"},
    fields.String: {"invalid": "应为文字", "invalid_utf8": "文字编码不正确"},
    fields.Number: {"invalid": "应为数字", "too_large": "数字太大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Decimal: {"special": "应为有效数字"},
    fields.Float: {"special": "应为有效数字"},
    fields.Boolean: {"invalid": "应为是或否（true/false）"},
    fields.Date: {
        "invalid": "日期格式应为 YYYY-MM-DD", "format": "日期格式不正确", "invalid_awareness": "日期格式不正确",
    },
    fields.DateTime: {"invalid": "时间格式不正确", "invalid_awareness": "时间需要带时区", "format": "时间格式不正确"},
    fields.Time: {"invalid": "时刻格式不正确", "invalid_awareness": "时刻格式不正确", "format": "时刻格式不正确"},
    fields.TimeDelta: {"invalid": "时长格式不正确", "format": "时长格式不正确"},
    fields.List: {"invalid": "应为列表"},
    fields.Tuple: {"invalid": "应为列表"},
    fields.IP: {"invalid_ip": "网络地址格式不正确"},
    fields.IPv4: {"invalid_ip": "网络地址格式不正确"},
    fields.IPv6: {"invalid_ip": "网络地址格式不正确"},
    fields.IPInterface: {"invalid_ip_interface": "网络地址格式不正确"},
    fields.IPv4Interface: {"invalid_ip_interface": "网络地址格式不正确"},
    fields.IPv6Interface: {"invalid_ip_interface": "网络地址格式不正确"},
    fields.Mapping: {"invalid": "应为对象"},
    fields.Nested: {"type": "格式不正确"},
    fields.Email: {"invalid": "邮箱格式不正确"},
    fields.URL: {"invalid": "网址格式不正确"},
    fields.UUID: {"invalid_uuid": "编号格式不正确"},
    fields.Enum: {"unknown": "应为以下之一：{choices}"},
}
for _cls, _msgs in _FIELD_MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_msgs}


class BaseSchema(Schema):
    """Unknown fields are refused (marshmallow 4's default) with a Chinese message."""

    error_messages: ClassVar[dict[str, str]] = {"unknown": "不认识的字段", "type": "请求内容应为 JSON 对象"}


def length(min: int | None = None, max: int | None = None) -> validate.Length:
    if min and max:
        msg = f"长度应在{min}到{max}个字之间"
    elif min:
        msg = "不能为空" if min == 1 else f"至少{min}个字"
    else:
        msg = f"最多{max}个字"
    return validate.Length(min=min, max=max, error=msg)


def range_(min: float | None = None, max: float | None = None) -> validate.Range:
    if min is not None and max is not None:
        msg = f"应在{min}到{max}之间"
    elif min is not None:
        msg = f"不能小于{min}"
    else:
        msg = f"不能大于{max}"
    return validate.Range(min=min, max=max, error=msg)


def one_of(choices: Any, labels: dict[str, str] | None = None) -> validate.OneOf:
    shown = "、".join(labels[c] if labels and c in labels else str(c) for c in choices)
    return validate.OneOf(list(choices), error=f"应为以下之一：{shown}")


# Bidirectional embeddings, overrides and isolates: invisible, and they can make a name display as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    """C0, DEL and C1 control characters (except newline and tab), and bidi controls."""
    if ch in "\n\t":
        return False
    return unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS


class Text(fields.String):
    """A trimmed string: leading/trailing blanks removed, control characters refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        s = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(_is_control(ch) for ch in s):
            raise ValidationError("含有不可见的控制字符")
        return s


class Yuan(fields.String):
    """Money in the API: a string of yuan with at most two decimals ↔ integer fen in code."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        from .money import fen_to_yuan

        return None if value is None else fen_to_yuan(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        from .money import MoneyError, yuan_to_fen

        if not isinstance(value, str):
            raise ValidationError('金额应写成文字形式，例如 "1234.50"')
        try:
            return yuan_to_fen(value)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


class IsoDateTime(fields.DateTime):
    """Datetimes shown as ISO 8601 with +08:00; on input a time zone is required (naive times cannot be stored)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None or result.utcoffset() is None:
            raise ValidationError("时间需要带时区，例如 2026-11-22T09:00:00+08:00")
        return result

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        from .clock import to_iso

        return to_iso(value)
