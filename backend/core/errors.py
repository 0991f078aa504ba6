"""The one error shape: ``{"error": {"code", "message", "details"}}`` with a Chinese message.

Services raise :class:`AppError` (or one of the shortcuts below); the handlers registered by
:func:`register_error_handlers` turn every exception, ours or Werkzeug's or an unexpected one,
into that shape. No stack trace or SQL ever reaches a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify
from marshmallow import fields as ma_fields
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from backend.core.field_labels import FIELD_LABELS, GENERIC_LABEL
from backend.core.timeouts import is_statement_timeout

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a client may see. ``message`` is short Chinese that tells the person what to do."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


# The shortcuts take ``code`` and ``message`` positionally only, so that a detail may be named ``code`` too
# (``unprocessable("ledger.account_unknown", "科目不存在", code="1019")``).
def bad_request(code: str, message: str, /, **details: Any) -> AppError:
    return AppError(400, code, message, details)


def unauthorized(code: str = "auth.unauthenticated", message: str = "请先登录", /, **details: Any) -> AppError:
    return AppError(401, code, message, details)


def forbidden(code: str = "auth.forbidden", message: str = "您没有权限进行此操作", /, **details: Any) -> AppError:
    return AppError(403, code, message, details)


def not_found(code: str = "not_found", message: str = "找不到该记录", /, **details: Any) -> AppError:
    return AppError(404, code, message, details)


def conflict(code: str, message: str, /, **details: Any) -> AppError:
    return AppError(409, code, message, details)


def unprocessable(code: str, message: str, /, **details: Any) -> AppError:
    return AppError(422, code, message, details)


# Chinese text for the HTTP errors Werkzeug raises on its own (routing, method, size, content type).
_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("request.bad", "请求格式有误，请检查后重试"),
    401: ("auth.unauthenticated", "请先登录"),
    403: ("auth.forbidden", "您没有权限进行此操作"),
    404: ("not_found", "找不到您要的内容"),
    405: ("request.method_not_allowed", "不支持该操作方式"),
    409: ("conflict", "操作冲突，请刷新后重试"),
    413: ("request.too_large", "提交的内容太大"),
    415: ("request.unsupported_type", "提交的内容格式不受支持"),
    422: ("validation.failed", "提交的内容有误，请检查后重试"),
    429: ("request.too_many", "操作太频繁，请稍后再试"),
    500: ("server.error", "系统出了点问题，请稍后再试"),
    502: ("upstream.unavailable", "外部服务暂时不可用，请稍后再试"),
    503: ("server.unavailable", "系统暂时不可用，请稍后再试"),
}

# a statement stopped by DB_STATEMENT_TIMEOUT_MS (core/timeouts.py): the request asked for too much at once
QUERY_TIMEOUT_MESSAGE = "查询时间过长，已停止。请缩小范围（如选择较短的时间段）后重试"
QUERY_TIMEOUT_RETRY_AFTER = "10"


def error_response(err: AppError) -> Response:
    resp = jsonify(err.to_dict())
    resp.status_code = err.status
    return resp


def _validation_details(messages: Any) -> dict[str, Any]:
    """webargs puts field errors under the location (``json``, ``query``, ``files``); keep them by field."""
    if isinstance(messages, dict):
        merged: dict[str, Any] = {}
        for location, fields in messages.items():
            if isinstance(fields, dict):
                merged.update(fields)
            else:
                merged[location] = fields
        return {"fields": merged}
    return {"fields": {"_schema": messages}}


_CLAUSE = re.compile(r"[，,。；;：:（(、]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
UNKNOWN_FIELD = "不认识的字段"


def field_label(field: Any, name: str) -> str:
    """The Chinese name of a field: its metadata "label", the central dictionary, the first clause of its
    description, or "某一项" (never the field's English name)."""
    metadata = getattr(field, "metadata", None) or {}
    if label := metadata.get("label"):
        return str(label)
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    clause = _CLAUSE.split(str(metadata.get("description") or ""), maxsplit=1)[0].strip()
    if clause and len(clause) <= 12 and _CJK.search(clause):
        return clause
    return GENERIC_LABEL


def _fields_by_key(schema: Any) -> dict[str, Any]:
    """The schema's fields by the key the client sends (``data_key`` where set), in the schema's order."""
    declared = getattr(schema, "fields", None)
    if not isinstance(declared, dict):
        return {}
    return {(f.data_key or name): f for name, f in declared.items()}


def _texts(msgs: Any) -> list[str]:
    if isinstance(msgs, str):
        return [msgs]
    if isinstance(msgs, list):
        return [m for m in msgs if isinstance(m, str)]
    return []


def _nested_schema(field: Any) -> Any:
    try:
        return field.schema if isinstance(field, ma_fields.Nested) else None
    except Exception:  # a nested schema that cannot be built here names no fields: labels fall back
        return None


def _describe(messages: Any, schema: Any, prefix: str = "") -> list[str]:
    """Every bad field as "标签：消息", in the schema's field order; rows of a list as "第3行 金额"."""
    if not isinstance(messages, dict):
        return [prefix.strip() + "：" + m if prefix.strip() else m for m in _texts(messages)]
    known = _fields_by_key(schema)
    order = {key: i for i, key in enumerate(known)}
    keys = sorted(messages, key=lambda k: (k != "_schema", order.get(k, len(order)), str(k)))
    out: list[str] = []
    for key in keys:
        msgs = messages[key]
        if key == "_schema":
            out += [prefix.strip() + "：" + m if prefix.strip() else m for m in _texts(msgs)]
            continue
        field = known.get(key)
        if field is None and _texts(msgs) == [UNKNOWN_FIELD]:
            out.append(f"{prefix}{UNKNOWN_FIELD}：{key}")
            continue
        out += _describe_field(msgs, field, str(key), prefix)
    return out


def _describe_field(msgs: Any, field: Any, key: str, prefix: str) -> list[str]:
    label = prefix + field_label(field, key)
    if not isinstance(msgs, dict):
        texts = _texts(msgs)
        return [f"{label}：{'，'.join(texts)}"] if texts else []
    inner = field.inner if isinstance(field, ma_fields.List) else field
    many = isinstance(field, ma_fields.List) or bool(getattr(field, "many", False))
    nested = _nested_schema(inner)
    if many and all(isinstance(k, int) for k in msgs):
        out: list[str] = []
        for index in sorted(msgs):
            row = f"第{index + 1}行 " if nested is not None else f"{label}第{index + 1}项"
            if nested is not None:
                out += _describe(msgs[index], nested, prefix + row)
            else:
                out += [f"{row}：{'，'.join(_texts(msgs[index]))}"] if _texts(msgs[index]) else []
        return out
    return _describe(msgs, nested, label + " ")


def validation_message(fields: dict[str, Any], schema: Any = None) -> str | None:
    """"标题：不能为空；金额：必须大于 0": every bad field, named in Chinese, in the schema's order."""
    parts = _describe(fields, schema)
    return "；".join(dict.fromkeys(parts)) if parts else None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(err: AppError) -> Response:
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        status = err.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("request.error", "请求无法处理"))
        details: dict[str, Any] = {}
        data = getattr(err, "data", None)  # webargs/flask-smorest validation errors carry messages here
        if status == 422 and data and "messages" in data:
            details = _validation_details(data["messages"])
            message = validation_message(details["fields"], data.get("schema")) or message
        resp = error_response(AppError(status, code, message, details))
        if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
            resp.headers["Allow"] = ", ".join(err.valid_methods)
        return resp

    @app.errorhandler(OperationalError)
    def _db_down(err: OperationalError) -> Response:
        if is_statement_timeout(err.orig):
            # the database stopped the statement; the session's teardown rolls the transaction back and the
            # connection goes back to the pool: the thread serves the next request
            log.warning("statement stopped by the time limit: %s", str(err.statement or "")[:200])
            resp = error_response(AppError(503, "server.query_timeout", QUERY_TIMEOUT_MESSAGE))
            resp.headers["Retry-After"] = QUERY_TIMEOUT_RETRY_AFTER
            return resp
        log.error("database unavailable: %s", err.__class__.__name__)
        return error_response(AppError(503, "server.unavailable", "系统暂时不可用，请稍后再试"))

    @app.errorhandler(DataError)
    def _db_refused_value(err: DataError) -> Response:
        # a value the database cannot hold (too long for its column, out of its range, a NUL character) that no
        # schema caught: the request was wrong, not the server; the log names the driver's reason for a fix
        log.warning("value refused by the database: %s", str(err.orig).splitlines()[0] if err.orig else err)
        return error_response(AppError(422, "validation.out_of_range", "提交的内容超出允许的范围，请检查后重试"))

    @app.errorhandler(DBAPIError)
    def _db_error(err: DBAPIError) -> Response:
        if err.connection_invalidated:
            return error_response(AppError(503, "server.unavailable", "系统暂时不可用，请稍后再试"))
        log.exception("database error")
        return error_response(AppError(500, "server.error", "系统出了点问题，请稍后再试"))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(AppError(500, "server.error", "系统出了点问题，请稍后再试"))


ACCEPTED_BODY_TYPES = frozenset({"application/json", "multipart/form-data"})


def install_content_type_guard(app: Flask) -> None:
    """A write with a body must be JSON (or multipart for file uploads): anything else is 415."""
    from flask import request

    @app.before_request
    def _content_type() -> None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
        if has_body and request.mimetype not in ACCEPTED_BODY_TYPES:
            raise AppError(415, "request.unsupported_type", "请以 JSON 格式提交（Content-Type: application/json）")
