"""Validators on every read: a phone that already holds an answer is told "unchanged" in a few bytes (304).

Why: the villagers' phones are on weak networks. The mini-program keeps the last answer of each read
(miniprogram-stub/utils/api.js) and asks again with ``If-None-Match``; when nothing changed the answer is a 304 with
no body, so a disclosure of 240 kB or the home screen costs one short round trip instead of the whole body again.

What gets a validator: every 200 answer to a ``GET`` whose body is JSON. It carries

- ``ETag``: a strong validator, the first 32 hex characters of the SHA-256 of the body, quoted. It depends on the
  bytes only, so the same answer has the same tag in every process and after a restart, and two different answers
  never share one (a tag guessed or copied from another person's phone matches only a body equal to the caller's
  own, which tells the caller nothing they are not about to receive anyway);
- ``Cache-Control: private, no-cache``: a phone or browser may keep it but must ask again before using it, and no
  shared cache (a proxy) may keep it at all — the answers are a person's own;
- ``Vary: Authorization``: the answer depends on who asks.

Not: an answer its view marked ``Cache-Control: no-store`` (it must not be kept anywhere, so it needs no
validator), errors (any status but 200), writes, and downloads (.pdf, .xlsx are not JSON; a download link's answer is
never stored by a cache, see core/downloads.py, which strips validators from them on purpose).

Where: :func:`install_etags` adds an after_request hook that writes the three headers, added before every other
after_request hook so that it runs last (Flask runs them in reverse order): the tag is that of the body as sent.
The 304 itself is made outside Flask by :class:`NotModified`, a WSGI middleware: the view still runs (an answer is
"unchanged" only if it is byte for byte the one the phone holds), and only the body is not sent.

``If-None-Match`` is compared as RFC 9110 §13.1.2 says: the weak comparison (``W/"x"`` matches ``"x"``), a list of
tags matches when any does, ``*`` matches any current answer. A 304 keeps ``ETag``, ``Cache-Control`` and
``Vary`` and drops the body and the headers that describe one (Content-Type, Content-Length).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from werkzeug.http import parse_etags, remove_entity_headers

CACHE_CONTROL = "private, no-cache"
NOT_MODIFIED = "304 NOT MODIFIED"


def etag_for(body: bytes) -> str:
    """The quoted strong validator of a body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str | None) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison; a list; ``*``)."""
    if not if_none_match or not etag:
        return False
    if if_none_match == etag:  # the phone's usual case: the one tag it kept, as it was given
        return True
    tag = etag.removeprefix("W/").strip('"')
    return parse_etags(if_none_match).contains_weak(tag)


def not_modified_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a 304 made from those of the 200 it stands for."""
    kept = list(headers)
    remove_entity_headers(kept)  # Content-Type, Content-Length …: there is no body to describe
    return kept


def _wants_validator(resp: Response) -> bool:
    return (request.method == "GET" and resp.status_code == 200 and resp.mimetype == "application/json"
            and not resp.is_streamed and not resp.direct_passthrough)


def _vary_on_authorization(resp: Response) -> None:
    """``Vary`` names Authorization, once (written directly: Werkzeug's ``resp.vary`` parses and rebuilds the header,
    two thirds of this hook's time)."""
    vary = resp.headers.get("Vary")
    if not vary:
        resp.headers["Vary"] = "Authorization"
    elif "authorization" not in {v.strip().lower() for v in vary.split(",")}:
        resp.headers["Vary"] = f"{vary}, Authorization"


def install_etags(app: Flask) -> None:
    """The validator headers on every JSON read, and the 304 for a matching ``If-None-Match``. Call it before any
    other after_request hook is added (see the module's docstring for why the order matters)."""

    @app.after_request
    def _validator(resp: Response) -> Response:
        if _wants_validator(resp) and "no-store" not in resp.headers.get("Cache-Control", ""):
            resp.headers["ETag"] = etag_for(resp.get_data())
            resp.headers["Cache-Control"] = CACHE_CONTROL
            _vary_on_authorization(resp)
        return resp

    app.wsgi_app = NotModified(app.wsgi_app)  # type: ignore[method-assign]


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class NotModified:
    """A GET with ``If-None-Match`` whose 200 answer carries a matching ``ETag`` → 304 with no body."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if not wanted or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        unchanged = False

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal unchanged
            if status.startswith("200"):
                etag = content_type = None
                for k, v in headers:
                    if k.lower() == "etag":
                        etag = v
                    elif k.lower() == "content-type":
                        content_type = v
                if content_type is not None and content_type.startswith("application/json") and matches(wanted, etag):
                    unchanged = True
                    return start_response(NOT_MODIFIED, not_modified_headers(headers), exc_info)
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, start)
        if not unchanged:
            return answer
        close = getattr(answer, "close", None)
        if close is not None:
            close()  # the 200's body is not sent, but whatever it holds open is released (PEP 3333)
        return []
