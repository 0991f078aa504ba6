"""Rate limits on login and binding: 429 in the one shape with Retry-After, per client IP, Redis in production.

The fixture application runs with ``RATELIMIT_ENABLED=False`` (every test logs in from 127.0.0.1); these tests build
their own application with low limits (``app_with``) and put the shared extension back afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.core.ratelimit import RateLimitConfigError, limiter
from tests.factories import Factory
from tests.security.conftest import app_with, assert_error

LOGIN = "/api/v1/auth/wechat-login"
BIND = "/api/v1/auth/bind"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _ip(addr: str) -> dict[str, str]:
    return {"REMOTE_ADDR": addr}


def _login(c: FlaskClient, addr: str = "203.0.113.7", **kw: object):  # type: ignore[no-untyped-def]
    # an empty body is refused by the schema (422) after the limit has counted the request: no WeChat call needed
    return c.post(LOGIN, json={}, environ_base=_ip(addr), **kw)


def _assert_429(resp, limit_window: int = 60) -> int:  # type: ignore[no-untyped-def]
    err = assert_error(resp, 429, "request.too_many")
    assert err["message"] == "操作太频繁，请稍后再试"
    retry = int(resp.headers["Retry-After"])
    assert 1 <= retry <= limit_window + 2
    assert err["details"] == {"retry_after_seconds": retry}
    return retry


@pytest.fixture
def limited(app: Flask) -> Iterator[Flask]:
    with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute", RATELIMIT_BIND="2 per minute") as a:
        yield a


def test_login_is_limited_per_ip_with_429_in_the_shape(limited: Flask) -> None:
    c = limited.test_client()
    answers = [_login(c).status_code for _ in range(3)]
    assert answers == [422, 422, 422]
    _assert_429(_login(c))
    _assert_429(_login(c))  # still refused


def test_another_ip_is_not_limited(limited: Flask) -> None:
    c = limited.test_client()
    for _ in range(3):
        _login(c, "198.51.100.1")
    _assert_429(_login(c, "198.51.100.1"))
    assert _login(c, "198.51.100.2").status_code == 422
    assert _login(c, "2001:db8::2").status_code == 422


def test_bind_is_limited_separately_from_login(limited: Flask) -> None:
    c = limited.test_client()
    for _ in range(2):
        assert c.post(BIND, json={}, environ_base=_ip("192.0.2.5")).status_code == 422
    _assert_429(c.post(BIND, json={"bind_ticket": "x"}, environ_base=_ip("192.0.2.5")))
    # login from the same address has its own counter
    assert _login(c, "192.0.2.5").status_code == 422


def test_a_limited_client_is_refused_before_its_body_is_read(limited: Flask) -> None:
    c = limited.test_client()
    for _ in range(3):
        _login(c, "192.0.2.9")
    resp = c.post(LOGIN, data="{not json", content_type="application/json", environ_base=_ip("192.0.2.9"))
    _assert_429(resp)


def test_a_forged_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy(limited: Flask) -> None:
    assert limited.config["TRUSTED_PROXIES"] == 0
    c = limited.test_client()
    for n in range(3):
        _login(c, "192.0.2.10", headers={"X-Forwarded-For": f"10.9.9.{n}"})
    _assert_429(_login(c, "192.0.2.10", headers={"X-Forwarded-For": "10.9.9.99"}))


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_key(app: Flask) -> None:
    with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute", TRUSTED_PROXIES=1) as a:
        c = a.test_client()
        nginx = "127.0.0.1"
        for _ in range(2):
            assert _login(c, nginx, headers={"X-Forwarded-For": "198.51.100.20"}).status_code == 422
        _assert_429(_login(c, nginx, headers={"X-Forwarded-For": "198.51.100.20"}))
        # another villager behind the same nginx is not held up; a client's own forged entry comes first and
        # is ignored: nginx appends the address it saw, and only that last entry is trusted
        assert _login(c, nginx, headers={"X-Forwarded-For": "198.51.100.21"}).status_code == 422
        forged = _login(c, nginx, headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.20"})
        _assert_429(forged)


def test_the_fixture_app_and_a_switched_off_app_are_not_limited(app: Flask, client: FlaskClient) -> None:
    with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="1 per minute") as a:
        c = a.test_client()
        _login(c, "192.0.2.30")
        _assert_429(_login(c, "192.0.2.30"))
        # while the shared extension is switched on by that app, the fixture app (limits off) still answers
        assert [client.post(LOGIN, json={}).status_code for _ in range(5)] == [422] * 5
    with app_with(app, RATELIMIT_ENABLED=False, RATELIMIT_LOGIN="1 per minute") as off:
        c = off.test_client()
        assert [_login(c, "192.0.2.31").status_code for _ in range(5)] == [422] * 5


def test_the_per_ticket_lock_still_applies_under_a_generous_ip_limit(app: Flask, make: Factory) -> None:
    v = make.village()
    make.member(v, "张三")
    from backend.core.db import db

    db.session.commit()
    failures = app.config["BIND_MAX_FAILURES"]
    with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_BIND="100 per minute") as a:
        c = a.test_client()
        ticket = c.post(LOGIN, json={"code": "demo-ratelimit-lock"}).get_json()["bind_ticket"]
        wrong = {"bind_ticket": ticket, "village_code": v.code, "name": "张三", "id_card_last6": "000000"}
        codes = [c.post(BIND, json=wrong).status_code for _ in range(failures - 1)]
        assert codes == [404] * (failures - 1)
        err = assert_error(c.post(BIND, json=wrong), 429, "auth.too_many_attempts")
        assert err["message"] != "操作太频繁，请稍后再试"  # the ticket's lock, not the address's limit
        assert_error(c.post(BIND, json=wrong), 429, "auth.too_many_attempts")


@pytest.mark.parametrize("bad", ["lots", "", "20 per fortnight"])
def test_a_limit_setting_that_is_not_a_limit_refuses_to_start(app: Flask, bad: str) -> None:
    with pytest.raises(RateLimitConfigError, match="RATELIMIT_LOGIN"), app_with(app, RATELIMIT_LOGIN=bad):
        pass


def test_defaults_are_twenty_logins_and_ten_binds_a_minute(app: Flask) -> None:
    from backend import config

    settings = config.from_env()
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["RATELIMIT_LOGIN"] == "20 per minute"
    assert settings["RATELIMIT_BIND"] == "10 per minute"
    assert settings["TRUSTED_PROXIES"] == 0


# ---------------------------------------------------------------- Redis (production's storage)


def _redis():  # type: ignore[no-untyped-def]
    import redis

    r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        r.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}): the Redis storage is untested")
    return r


def test_with_redis_the_counters_live_in_redis(app: Flask) -> None:
    r = _redis()
    prefix = f"sunshine-test-{uuid.uuid4().hex[:12]}"
    try:
        with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute", REDIS_URL=REDIS_URL,
                      RATELIMIT_KEY_PREFIX=prefix) as a:
            assert a.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
            c = a.test_client()
            for _ in range(3):
                assert _login(c, "198.51.100.77").status_code == 422
            _assert_429(_login(c, "198.51.100.77"))
            keys = [k.decode() for k in r.scan_iter(f"*{prefix}*")]
            assert len(keys) == 1 and "198.51.100.77" in keys[0], keys
            assert int(r.get(keys[0]) or 0) >= 3
            assert 0 < r.ttl(keys[0]) <= 61
            # another worker process reads the same counter: wipe this process's view, the limit still holds
            assert _login(c, "198.51.100.78").status_code == 422
        with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute", REDIS_URL=REDIS_URL,
                      RATELIMIT_KEY_PREFIX=prefix) as second_worker:
            _assert_429(_login(second_worker.test_client(), "198.51.100.77"))
    finally:
        for k in r.scan_iter(f"*{prefix}*"):
            r.delete(k)


def test_with_redis_down_each_worker_falls_back_to_its_memory(app: Flask) -> None:
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute", REDIS_URL=dead) as a:
        c = a.test_client()
        started = time.monotonic()
        answers = [_login(c, "198.51.100.90").status_code for _ in range(2)]
        assert answers == [422, 422]  # the API stays up
        _assert_429(_login(c, "198.51.100.90"))  # and the door stays guarded
        assert time.monotonic() - started < 10
    assert limiter is not None


def test_requests_no_limit_covers_pay_nothing_for_the_limiter(limited: Flask) -> None:
    """Only the decorated doors are limited: Flask-Limiter's hook before every request is taken off (it resolved an
    empty list of limits for each), and the doors still count and refuse (the tests above)."""
    hooks = limited.before_request_funcs.get(None, [])
    assert limiter._check_request_limit not in hooks
    assert limiter.limit_manager.default_limits == [] and limiter.limit_manager.application_limits == []
    c = limited.test_client()
    for _ in range(5):
        assert c.get("/healthz", environ_base=_ip("192.0.2.77")).status_code == 200
    for _ in range(3):
        _login(c, "192.0.2.77")
    _assert_429(_login(c, "192.0.2.77"))
