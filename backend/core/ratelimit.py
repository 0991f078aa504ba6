"""Rate limits on the doors a stranger can knock on without a token: WeChat login and binding (Flask-Limiter).

- The limits are settings, ``RATELIMIT_LOGIN`` and ``RATELIMIT_BIND`` (Flask-Limiter's notation: "20 per minute",
  "10/minute;100/hour"), counted per client IP address. Behind nginx the address is the client's only when
  ``TRUSTED_PROXIES`` is set (see :mod:`backend.core.hardening`).
- Counters live in Redis when ``REDIS_URL`` is set, shared by every gunicorn worker (production); otherwise in the
  memory of each process (the embedded mode and the tests), so each worker counts on its own. Should Redis stop
  answering, each worker falls back to its own memory until it is back: the doors stay guarded, the API stays up.
- A breach is 429 ``request.too_many`` "操作太频繁，请稍后再试" in the one error shape, with ``Retry-After`` (seconds)
  and the same figure in ``details.retry_after_seconds``.
- ``RATELIMIT_ENABLED=false`` switches them off for one application (the test fixture does; tests of the limits
  build their own application with low limits).

These limits count requests per address; the per-ticket lock of binding (``auth.too_many_attempts`` after
``BIND_MAX_FAILURES`` failures) is separate and stays (:mod:`backend.auth.service`).
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from backend.core.errors import AppError, error_response

MESSAGE = "操作太频繁，请稍后再试"
SETTINGS = ("RATELIMIT_LOGIN", "RATELIMIT_BIND")


class RateLimitConfigError(RuntimeError):
    pass


def client_address() -> str:
    """The key of a limit: the client's IP address (made the real one behind a proxy by ProxyFix)."""
    return request.remote_addr or "unknown"


# Retry-After is written by our 429 handler, with the same figure as details.retry_after_seconds
limiter = Limiter(key_func=client_address, headers_enabled=False, strategy="fixed-window")


@limiter.request_filter
def _switched_off() -> bool:
    """Per application, whatever another application did to the shared extension object."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


def bind_limit() -> str:
    return str(current_app.config["RATELIMIT_BIND"])


def retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _too_many(err: RateLimitExceeded) -> Response:
    wait = retry_after_seconds()
    resp = error_response(AppError(429, "request.too_many", MESSAGE, {"retry_after_seconds": wait}))
    resp.headers["Retry-After"] = str(wait)
    return resp


def init_rate_limits(app: Flask) -> None:
    """Check the limit settings, choose the storage, and attach the extension (after the error handlers)."""
    cfg: dict[str, Any] = app.config
    for name in SETTINGS:
        try:
            parse_many(str(cfg[name]))
        except (KeyError, ValueError) as exc:
            raise RateLimitConfigError(f"{name} must be a rate limit such as '20 per minute'") from exc
    redis_url = cfg.get("REDIS_URL")
    cfg.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if str(cfg["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        # a Redis that hangs must not hang a login: fail fast and fall back to this process's memory
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "sunshine")
    limiter.init_app(app)
    _check_decorated_routes_only(app)
    app.register_error_handler(RateLimitExceeded, _too_many)


def _check_decorated_routes_only(app: Flask) -> None:
    """Flask-Limiter checks every request in a before_request hook, for default, application-wide and blueprint
    limits; the limited doors (``@limiter.limit``) check themselves in their decorator's wrapper. With no limit but
    the decorated ones, that hook resolves an empty list for every request (170 of a bare request's 1,500 Python
    calls): it is taken off. Should anyone configure another kind of limit, the hook stays."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or limiter._meta_limits or manager._blueprint_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
