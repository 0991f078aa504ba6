"""WeChat slow or failing at login: 502 ``wechat.unavailable`` within WECHAT_TIMEOUT, nothing written, and the
client's retry logs in once WeChat answers again.

Already covered elsewhere and not repeated here: HTTP 500 and a dropped connection at login answer 502 and write
nothing (tests/auth/test_login.py), an answer that comes after the timeout is 502 within it over real HTTP
(tests/e2e/test_login_journey.py), and the gateway's own mapping of every failure (tests/wechat/). What is new here:
a WeChat that accepts and never answers, one that answers one byte at a time (each read makes progress, so a
per-read timeout never fires; only a deadline on the whole call bounds it), and the retry after each failure."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from backend.auth.models import BindTicket, WeChatAccount
from backend.core.db import db
from backend.wechat.client import WeChatGateway, clear_gateway_cache
from backend.wechat.standin import DEFAULT_APPID, DEFAULT_SECRET, StandIn

LOGIN = "/api/v1/auth/wechat-login"
CODE2SESSION = "/sns/jscode2session"
TIMEOUT = 0.6  # WECHAT_TIMEOUT for these tests: short, the bound is what is tested, not a speed
# room for a busy machine (the Flask request, the database, other processes on two cores) on top of the timeout;
# every fault below would hold the call far longer than TIMEOUT + MARGIN were the timeout not applied
MARGIN = 4.0
FAULT_SECONDS = 20.0


@pytest.fixture
def short_timeout(app: Flask, standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT", TIMEOUT)
    standin.clear_faults()
    try:
        yield TIMEOUT
    finally:
        standin.clear_faults()
        clear_gateway_cache()  # the gateway built for this timeout goes; the next request rebuilds the usual one


def _count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _login(client: Any, code: str = "demo-newcomer") -> tuple[Any, float]:
    started = time.monotonic()
    r = client.post(LOGIN, json={"code": code})
    return r, time.monotonic() - started


@pytest.mark.parametrize(("mode", "options"), [
    ("hang", {}),
    ("trickle", {"delay": 0.1}),  # the whole answer would take ~20 s; every read sees a byte within 0.1 s
    ("delay", {"delay": FAULT_SECONDS}),
    ("http500", {}),
    ("drop", {}),
])
def test_login_while_wechat_fails_is_502_within_the_timeout_and_the_retry_logs_in(
        client, standin, short_timeout, mode, options):
    standin.add_fault(CODE2SESSION, mode, times=1, **options)
    r, elapsed = _login(client)
    assert r.status_code == 502, r.json
    assert r.json["error"]["code"] == "wechat.unavailable"
    assert r.json["error"]["message"] == "微信服务暂时不可用，请稍后再试"
    assert elapsed < TIMEOUT + MARGIN, f"{mode}: {elapsed:.2f}s"
    assert _count(WeChatAccount) == 0 and _count(BindTicket) == 0
    # the mini-program retries: the fault has passed, the same code logs in
    again, elapsed = _login(client)
    assert again.status_code == 200 and again.json["bound"] is False, again.json
    assert elapsed < TIMEOUT + MARGIN
    assert _count(WeChatAccount) == 1


def test_a_trickling_answer_is_cut_at_the_deadline_not_at_the_first_slow_read(standin):
    """The gateway's timeout bounds the whole call: requests' own timeout is per socket read, and an answer that
    arrives a byte every 0.1 s would hold a 0.6 s timeout for as long as it lasts (~20 s here)."""
    standin.add_fault(CODE2SESSION, "trickle", delay=0.1, times=1)
    gw = WeChatGateway(DEFAULT_APPID, DEFAULT_SECRET, standin.base_url, timeout=TIMEOUT)
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as info:
            gw.code_to_session("demo-wangjianguo")
        elapsed = time.monotonic() - started
        assert getattr(info.value, "code", None) == "wechat.unavailable", info.value
        assert TIMEOUT - 0.05 <= elapsed < TIMEOUT + MARGIN, elapsed
        # the same gateway (its pooled session) answers normally afterwards, and a slow but complete answer
        # within the deadline still goes through
        assert gw.code_to_session("demo-wangjianguo").openid == "o-wangjianguo"
        standin.add_fault(CODE2SESSION, "trickle", delay=0, times=1)
        assert gw.code_to_session("demo-zhouhai").openid == "o-zhouhai"
    finally:
        gw.close()
        standin.clear_faults()
