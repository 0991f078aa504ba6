"""Download links: a printable (a disclosure's PDF, the monthly report's .xlsx) arrives by a plain click, and no
token ever appears in a URL.

``POST /download-links {"path": "/api/v1/…/export.pdf?…"}`` (any logged-in person) answers
``{"url": "/api/v1/dl/<signed>/…/export.pdf?…", "expires_at"}``. ``<signed>`` is the id of the caller's token,
signed with ``SECRET_KEY`` (itsdangerous, a salt of its own that includes the exact path and query) and stamped with
the time: it names the token, it is not the token. :class:`DownloadLinks` (a WSGI middleware) turns
``GET /api/v1/dl/<signed>/<rest>`` back into ``GET /api/v1/<rest>`` carrying the token id in the environ
(:data:`TOKEN_ID_KEY`); the request loader then loads that token as if it had come in the Authorization header —
so it must still be live (not revoked by a logout, not expired, a console token's person still staff) — and the
target's own permission check runs as usual (a stranger still gets 404). The link lives ``DOWNLOAD_LINK_SECONDS``
(120 by default), answers only GET, only the path it was made for, and its answer is never stored by a cache.

The middleware answers a refused link itself, in the one error shape: it sits outside Flask, before routing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from flask import current_app
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from marshmallow import fields
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from backend.core import clock
from backend.core.errors import AppError, unauthorized, unprocessable
from backend.core.permissions import require_login, requires
from backend.core.schemas import BaseSchema, IsoDateTime, Text, length

API_PREFIX = "/api/v1/"
LINK_PREFIX = API_PREFIX + "dl/"
SALT = "sunshine-download-link"
# the environ key the request loader reads: the id of the token a verified link names
TOKEN_ID_KEY = "sunshine.download_token_id"
DOWNLOAD_SUFFIXES = (".pdf", ".xlsx")
DEFAULT_SECONDS = 120

blp = Blueprint("downloads", __name__, description="下载链接：点击即可下载文件，链接里不带登录凭证")


class _ClockSigner(TimestampSigner):
    """Stamps and ages links by ``core.clock`` (tests move it), not by the wall clock."""

    def get_timestamp(self) -> int:
        return int(clock.utcnow().timestamp())


def _serializer(secret_key: str, target: str) -> URLSafeTimedSerializer:
    # the target (path and query) is part of the salt: a link signed for one file does not open another
    return URLSafeTimedSerializer(secret_key, salt=f"{SALT}:{target}", signer=_ClockSigner)


def canonical_target(path: str, query: str) -> str:
    """``villages/3/roster.xlsx?year=2026``: the path below /api/v1/ and the query, percent-encoded one way."""
    rest = quote(unquote(path), safe="/")
    pairs = parse_qsl(query, keep_blank_values=True)
    return rest + ("?" + urlencode(pairs) if pairs else "")


def link_token_id(environ: dict[str, Any]) -> int | None:
    """The id of the token a verified download link names (None for every other request): the request loader
    authenticates the request by it, as it would a token in the Authorization header."""
    value = environ.get(TOKEN_ID_KEY)
    return value if isinstance(value, int) else None


def link_seconds(config: dict[str, Any]) -> int:
    return int(config.get("DOWNLOAD_LINK_SECONDS") or DEFAULT_SECONDS)


def _is_download(url_map: Map, path: str) -> bool:
    """A GET route of the API whose path ends in .pdf or .xlsx."""
    if not path.startswith(API_PREFIX) or path.startswith(LINK_PREFIX):
        return False
    try:
        rule, _ = url_map.bind("localhost").match(path, method="GET", return_rule=True)
    except HTTPException:
        return False
    return rule.rule.endswith(DOWNLOAD_SUFFIXES)


class LinkInSchema(BaseSchema):
    path = Text(required=True, validate=length(1, 2000),
                metadata={"label": "下载地址", "description": "要下载的文件的地址，以 /api/v1/ 开头，例如 "
                          "/api/v1/townships/1/progress.pdf?year=2026"})


class LinkSchema(BaseSchema):
    url = fields.String(metadata={"description": "下载链接：直接打开即可下载，不需要登录凭证"})
    expires_at = IsoDateTime(metadata={"description": "链接失效的时间"})


@blp.route("/download-links", methods=["POST"])
@requires(None)
@blp.arguments(LinkInSchema)
@blp.response(201, LinkSchema)
def create_link(args: dict[str, Any]) -> dict[str, Any]:
    """为一个文件下载生成短时有效的链接（.pdf、.xlsx），链接里不带登录凭证。"""
    principal = require_login()
    parts = urlsplit(args["path"])
    if parts.scheme or parts.netloc or parts.fragment or not _is_download(current_app.url_map, unquote(parts.path)):
        raise unprocessable("download.not_a_file", "只能为文件下载（.pdf 或 .xlsx）生成下载链接",
                            fields={"path": ["只能为文件下载（.pdf 或 .xlsx）生成下载链接"]})
    target = canonical_target(parts.path.removeprefix(API_PREFIX), parts.query)
    signed = _serializer(current_app.config["SECRET_KEY"], target).dumps(principal.token_id)
    expires = clock.utcnow() + timedelta(seconds=link_seconds(current_app.config))
    return {"url": LINK_PREFIX + signed + "/" + target, "expires_at": expires}


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DownloadLinks:
    """``GET /api/v1/dl/<signed>/<rest>`` → ``GET /api/v1/<rest>`` with the signed token id in the environ."""

    def __init__(self, wsgi_app: WSGIApp, *, secret_key: str, seconds: int, url_map: Map) -> None:
        self.wsgi_app = wsgi_app
        self.secret_key = secret_key
        self.seconds = seconds
        self.url_map = url_map

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(LINK_PREFIX):
            environ.pop(TOKEN_ID_KEY, None)  # only this middleware sets it
            return self.wsgi_app(environ, start_response)
        try:
            token_id, rest = self._verify(environ, path[len(LINK_PREFIX):])
        except AppError as err:
            return _error(err, start_response)
        environ["PATH_INFO"] = API_PREFIX + rest
        environ[TOKEN_ID_KEY] = token_id
        environ.pop("HTTP_AUTHORIZATION", None)  # the link carries its own authority, and only that

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() not in ("cache-control", "expires", "etag")]
            kept.append(("Cache-Control", "private, no-store"))
            kept.append(("Referrer-Policy", "no-referrer"))
            if status.startswith("2") and not any(k.lower() == "content-disposition" for k, _ in kept):
                kept.append(("Content-Disposition", "attachment"))
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, start)

    def _verify(self, environ: dict[str, Any], after: str) -> tuple[int, str]:
        signed, _, rest = after.partition("/")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            raise AppError(405, "request.method_not_allowed", "下载链接只能用于下载文件")
        # PATH_INFO is the URL's bytes decoded as latin-1 (PEP 3333)
        rest_text = rest.encode("latin-1", "replace").decode("utf-8", "replace")
        if not signed or not _is_download(self.url_map, API_PREFIX + rest_text):
            raise _invalid()
        target = canonical_target(rest_text, environ.get("QUERY_STRING", ""))
        try:
            token_id = _serializer(self.secret_key, target).loads(signed, max_age=self.seconds)
        except SignatureExpired:
            raise unauthorized("download.link_expired", "下载链接已过期，请回到页面重新点击下载") from None
        except BadSignature:
            raise _invalid() from None
        if not isinstance(token_id, int) or isinstance(token_id, bool):
            raise _invalid()
        return token_id, rest


def _invalid() -> AppError:
    return unauthorized("download.link_invalid", "下载链接无效，请回到页面重新点击下载")


def _error(err: AppError, start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps(err.to_dict(), ensure_ascii=False).encode("utf-8")
    status = {401: "401 UNAUTHORIZED", 405: "405 METHOD NOT ALLOWED"}.get(err.status, f"{err.status} ERROR")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               ("Cache-Control", "private, no-store"), ("Referrer-Policy", "no-referrer")]
    if err.status == 405:
        headers.append(("Allow", "GET, HEAD"))
    start_response(status, headers)
    return [body]


def install_download_links(app: Any) -> None:
    """Wrap the app's WSGI callable: after the proxy fix (if any), so the link sees the client's request."""
    app.wsgi_app = DownloadLinks(app.wsgi_app, secret_key=app.config["SECRET_KEY"],
                                 seconds=link_seconds(app.config), url_map=app.url_map)
