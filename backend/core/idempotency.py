"""The ``Idempotency-Key`` header of endpoints that move money: a retry with the same key and the same request
gets the first result (each domain stores the key with what it created, under a unique constraint)."""

from __future__ import annotations

from typing import Any

from flask import request

from backend.core.errors import AppError

HEADER = "Idempotency-Key"
MAX_LENGTH = 80
OPENAPI_PARAMETER: dict[str, Any] = {"in": "header", "name": HEADER, "required": False,
                                     "schema": {"type": "string", "maxLength": MAX_LENGTH}}


def key_from_request() -> str | None:
    """The request's key, trimmed; None when absent; 400 when empty, longer than 80 characters or not printable."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable():  # a NUL could not even be stored
        raise AppError(400, "idempotency.key_invalid", f"{HEADER} 应为 1 到 {MAX_LENGTH} 个字符")
    return key
