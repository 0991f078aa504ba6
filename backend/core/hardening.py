"""Hostile input at the door: body sizes, path ids, NUL characters in the path, the client's address behind a proxy.

:func:`install_request_hardening` runs in ``create_app`` *before* the blueprints are registered (the ``int``
converter must be in place when the routes are added).

- ``MAX_CONTENT_LENGTH`` (Flask's own setting) is the largest body of all: the .xlsx uploads (roster, vouchers,
  share register, parcels, contracts) need it. Every other body is JSON, capped lower at ``MAX_JSON_LENGTH``.
  Either way the client gets 413 ``request.too_large`` in the one error shape.
- ``<int:…>`` path ids are ASCII digits within BIGINT: ``/villages/99999999999999999999`` is 404, not a driver error
  (SQLite cannot bind an integer beyond 64 bits), and the spec documents the bound.
- A NUL character in the path is 404 before any view sees it (PostgreSQL cannot store NUL in text).
- ``TRUSTED_PROXIES`` = N (the number of reverse proxies in front of the app, each appending to X-Forwarded-For)
  wraps the app in Werkzeug's ProxyFix, so that ``request.remote_addr`` — the key of the rate limits — is the
  client's address and not nginx's. Leave it at 0 when clients reach gunicorn directly: the header would then be
  the client's own word.
- No cookie session: callers carry a bearer token, and no view uses ``flask.session``. Flask's signed-cookie session
  would build its serializer and look for the cookie on every request (a tenth of a bare request's time); the null
  session costs nothing, and a write to it fails loudly instead of setting a cookie.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from backend.core.errors import AppError
from backend.core.schemas import INT64_MAX

MULTIPART = "multipart/form-data"


def up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 0 … ``limit`` (leading zeros allowed up to its width)."""
    digits = str(limit)
    width = len(digits)
    alternatives = [f"[0-9]{{1,{width - 1}}}"] if width > 1 else []
    for i, d in enumerate(digits):
        if d != "0":
            rest = width - i - 1
            alternatives.append(digits[:i] + (f"[0-{int(d) - 1}]" if d != "1" else "0")
                                + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


class BigIntConverter(IntegerConverter):
    """``<int:id>``: ASCII digits only (``\\d`` would take "١٢" too), at most the largest BIGINT — in the pattern
    itself, so that a larger number matches no route (404) rather than failing conversion on one of several
    routes of the same path (which Werkzeug answers 405)."""

    regex = up_to(INT64_MAX)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = INT64_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def too_large(limit: int) -> AppError:
    return AppError(413, "request.too_large", "提交的内容太大", {"max_bytes": limit})


class NoCookieSession(SessionInterface):
    """Every request gets Flask's null session; nothing is read from or written to a cookie."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


def install_request_hardening(app: Flask) -> None:
    app.url_map.converters["int"] = BigIntConverter
    app.session_interface = NoCookieSession()

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @app.before_request
    def _hostile_input() -> Any:
        if "\x00" in request.path:
            raise AppError(404, "not_found", "找不到您要的内容")
        if request.mimetype == MULTIPART:
            return None  # an upload: MAX_CONTENT_LENGTH applies
        cap = app.config.get("MAX_JSON_LENGTH")
        if cap:
            # also holds for a chunked body without Content-Length: Werkzeug stops reading at the cap
            request.max_content_length = min(cap, request.max_content_length or cap)
            if request.content_length is not None and request.content_length > cap:
                raise too_large(cap)
        return None


def install_json_guard(app: Flask) -> None:
    """Every JSON body parsed once and refused when broken or too deep: installed after the rate limits, so a
    limited client is refused before its body is read."""

    @app.before_request
    def _json_body() -> None:
        if request.mimetype != MULTIPART and request.is_json:
            _refuse_unparsable_json(app.config.get("MAX_JSON_LENGTH"))


# JSON that the parsers would not turn into a 400 themselves: nesting deeper than Python's recursion limit
# (RecursionError) and integers beyond 4300 digits (ValueError outside JSONDecodeError). And JSON the parser takes
# but the schemas cannot walk: 500 levels of brackets fit in 1 KiB and parse, then the recursion of marshmallow and
# of the checks for unstorable characters overflows. So every JSON body is parsed once here first and refused past
# MAX_JSON_DEPTH levels (the deepest body of the API, a voucher's lines, has 3).
MAX_JSON_DEPTH = 32


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Nesting beyond ``limit`` (the body itself is level 1); iterative, so no depth can overflow it."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _refuse_unparsable_json(cap: int | None) -> None:
    data = request.get_data(cache=True)  # within the cap set above; cached for the view's own parsing
    if not data:
        return
    if cap and request.content_length is None and len(data) >= cap:
        # a chunked body: Werkzeug's capped stream ends quietly at the cap, so a body that reaches it is cut
        raise too_large(cap)
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError:
        return  # plain broken JSON: the view's parser answers 400 itself, after a route's rate limit has counted
    except (ValueError, RecursionError) as exc:  # what the view's parser would not survive
        raise AppError(400, "request.bad", "请求格式有误，请检查后重试") from exc
    if isinstance(parsed, dict | list) and _too_deep(parsed):
        raise AppError(400, "request.too_deep", "请求内容的层级太多，请检查后重试", {"max_depth": MAX_JSON_DEPTH})
