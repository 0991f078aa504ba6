"""marshmallow in Chinese: every message a villager can see from input validation is Chinese.

Importing this module sets Chinese default messages on marshmallow's field classes (once, for the
whole process), and offers ``BaseSchema`` plus validators with Chinese messages. Every schema of
the project derives from ``BaseSchema``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, pre_load, validate

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

# Every id is a BIGINT, so no integer of the API lies outside the signed 64-bit range: refusing a larger one here
# keeps it from the database (SQLite's driver cannot even bind it; PostgreSQL says "out of range"). And a number
# with a fraction is not an integer: marshmallow's non-strict Integer would truncate 2.7 to 2 without a word.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_integer_validated = fields.Integer._validated

# Numbers typed as text, one rule for every number field (integers, decimals and money, see money.yuan_to_fen):
# full-width digits, sign and point (typed with a Chinese input method: "１２", "－３．５") are accepted and folded to
# ASCII by NFKC; any other script's digits ("١٢", which Python's int() would take) are refused.
_NUMBER_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def number_text(value: str) -> str | None:
    """ "１２" → "12"; None for a text that is not a plain number in ASCII after folding."""
    folded = unicodedata.normalize("NFKC", value).strip()
    return folded if _NUMBER_TEXT.match(folded) else None


def _folding(parse: Any) -> Any:
    """A number field's own parsing, given the text folded by :func:`number_text` first."""

    def _format(self: fields.Number, value: Any) -> Any:
        if isinstance(value, str):
            folded = number_text(value)
            if folded is None:
                raise self.make_error("invalid", input=value)
            value = folded
        return parse(self, value)

    return _format


fields.Number._format_num = _folding(fields.Number._format_num)  # type: ignore[method-assign]
fields.Decimal._format_num = _folding(fields.Decimal._format_num)  # type: ignore[method-assign]


def _integer_in_range(self: fields.Integer, value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise self.make_error("invalid", input=value)
    number = _integer_validated(self, value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise self.make_error("too_large", input=value)
    return number


fields.Integer._validated = _integer_in_range  # type: ignore[method-assign]

CONTROL_MESSAGE = "含有不可见的控制字符"
ENCODING_MESSAGE = "文字编码不正确"
# NUL: PostgreSQL cannot store it in text. A lone surrogate (JSON "\ud800" without its pair) is no character at all:
# it cannot be encoded as UTF-8, neither for the database nor for the answer.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> str | None:
    """The message for the first character no field may hold, anywhere in ``value`` (keys included)."""
    if isinstance(value, str):
        m = _UNSTORABLE.search(value)
        return None if m is None else CONTROL_MESSAGE if m.group() == "\x00" else ENCODING_MESSAGE
    if isinstance(value, dict):
        return next((msg for k, v in value.items() for msg in (_unstorable(k), _unstorable(v)) if msg), None)
    if isinstance(value, list):
        return next((msg for v in value if (msg := _unstorable(v))), None)
    return None


class BaseSchema(Schema):
    """Unknown fields are refused (marshmallow 4's default) with a Chinese message.

    A NUL character or a lone surrogate is refused in any field, whatever its type, before any field sees it: the
    database could not store it (a 500) and no villager types one. :class:`Text` refuses the other control characters.
    """

    error_messages: ClassVar[dict[str, str]] = {"unknown": "不认识的字段", "type": "请求内容应为 JSON 对象"}

    @pre_load(pass_collection=True)
    def _refuse_unstorable(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            bad = {}
            for k, v in data.items():
                msg = _unstorable(k) or _unstorable(v)
                if msg:
                    bad[_UNSTORABLE.sub("", str(k)) or "_schema"] = [msg]
            if bad:
                raise ValidationError(bad)
        elif msg := _unstorable(data):
            raise ValidationError(msg)
        return data


class _Length(validate.Length):
    """``validate.Length`` whose message says what to write, in the value's own unit: ``位`` for a fixed-length
    code (an ID number's last 6, a credit code), ``个字`` for text, ``项`` for a list."""

    def __init__(self, min: int | None, max: int | None, unit: str | None) -> None:
        super().__init__(min=min, max=max)
        self.unit = unit

    def _format_error(self, value: Any, message: str) -> str:
        return length_message(self.min, self.max, _unit_of(value, self.min, self.max, self.unit))


def _unit_of(value: Any, min: int | None, max: int | None, unit: str | None) -> str:
    if not isinstance(value, str):
        return "项"
    if unit is not None:
        return unit
    return "位" if min is not None and min == max else "个字"


def length_message(min: int | None, max: int | None, unit: str = "个字") -> str:
    """The Chinese message of a length rule: what to write, in plain words (``应为6位``, not "between 6 and 6")."""
    if min and max and min == max:
        return f"应为{min}{unit}"
    if min and max:
        return f"应有{min}到{max}项" if unit == "项" else f"长度应在{min}到{max}{unit}之间"
    if min:
        return "不能为空" if min == 1 else f"至少{min}{unit}"
    return f"最多{max}{unit}"


def length(min: int | None = None, max: int | None = None, *, unit: str | None = None) -> validate.Length:
    """A length rule with a Chinese message. ``unit``: ``位`` (codes, digits), ``个字`` (text); by default a
    fixed length (``min == max``) counts 位 and any other 个字; a list always counts 项."""
    return _Length(min=min, max=max, unit=unit)


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
            raise ValidationError(CONTROL_MESSAGE)
        return s


class Yuan(fields.String):
    """Money in the API: a string of yuan with at most two decimals ↔ integer fen in code."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        from backend.core.money import fen_to_yuan

        return None if value is None else fen_to_yuan(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        from backend.core.money import MoneyError, yuan_to_fen

        if not isinstance(value, str):
            raise ValidationError('金额应写成文字形式，例如 "1234.50"')
        try:
            return yuan_to_fen(value)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


# Times a request may carry. Before 1901 Asia/Shanghai is local mean time (+08:05:43, not a valid ISO offset), and
# near year 9999 the shift to +08:00 overflows: neither belongs in a village's records.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class IsoDateTime(fields.DateTime):
    """Datetimes shown as ISO 8601 with +08:00; on input a time zone is required (naive times cannot be stored)
    and the year lies between 1970 and 2999."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None or result.utcoffset() is None:
            raise ValidationError("时间需要带时区，例如 2026-11-22T09:00:00+08:00")
        try:
            in_range = EARLIEST <= result < LATEST
        except OverflowError:  # an offset that pushes year 1 or 9999 out of what datetime can hold
            in_range = False
        if not in_range:
            raise ValidationError("时间应在 1970 年到 2999 年之间")
        return result

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        from backend.core.clock import to_iso

        return to_iso(value)


class ContactPhone(Text):
    """A contact number: a mainland mobile or a landline with its area code (core.identity.normalize_contact_phone)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:  # type: ignore[override]
        from backend.core.identity import IdentityError, normalize_contact_phone

        text = super()._deserialize(value, attr, data, **kwargs)
        if not text:
            return None  # left blank: no number
        try:
            return normalize_contact_phone(text)
        except IdentityError as exc:
            raise ValidationError(str(exc)) from exc
