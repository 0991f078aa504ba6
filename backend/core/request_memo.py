"""A store that lives as long as the current request: what a request has read once and may read again.

Services never read the request; they may keep what they read for the rest of it. :func:`kept` gives the request's
dict for ``name`` (made on first use, in the WSGI environ, so it dies with the request and is never shared with
another one — not even in tests, where requests share an app context and so ``flask.g``), or None outside a request
(the push worker, the command line): there each caller reads afresh.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

_PREFIX = "sunshine.memo."


def kept(name: str) -> dict[Any, Any] | None:
    """This request's store called ``name``, or None outside a request."""
    if not has_request_context():
        return None
    store: dict[Any, Any] = request.environ.setdefault(_PREFIX + name, {})
    return store


def forget(name: str) -> None:
    """Drop this request's store called ``name`` (after a write that changes what it kept)."""
    if has_request_context():
        request.environ.pop(_PREFIX + name, None)
