"""WeChatGateway against the real stand-in over HTTP: every outcome maps to a result or a Chinese AppError."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from backend.core.errors import AppError
from backend.wechat import (
    SendResult,
    SharedTokenStorage,
    TextCheck,
    WeChatGateway,
    WxSession,
    gateway_from_config,
)
from backend.wechat.standin import DEFAULT_APPID, DEFAULT_SECRET, StandIn

PHONE = "/wxa/business/getuserphonenumber"
LOGIN = "/sns/jscode2session"
SEND = "/cgi-bin/message/subscribe/send"
CHECK = "/wxa/msg_sec_check"
STABLE = "/cgi-bin/stable_token"


def assert_chinese(message: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", message), message
    assert not re.search(r"[A-Za-z]", message), f"English leaks into {message!r}"


def raises_app_error(call: Callable[[], Any], status: int, code: str) -> AppError:
    with pytest.raises(AppError) as info:
        call()
    err = info.value
    assert (err.status, err.code) == (status, code)
    assert_chinese(err.message)
    return err


def calls(standin: StandIn, path: str) -> list[dict[str, Any]]:
    return [entry for entry in standin.requests() if entry["path"] == path]


# -- login ---------------------------------------------------------------------------------------------------


def test_demo_code_gives_openid_and_may_be_reused(gateway: WeChatGateway) -> None:
    first = gateway.code_to_session("demo-wangjianguo")
    again = gateway.code_to_session("demo-wangjianguo")
    assert isinstance(first, WxSession)
    assert (first.openid, first.unionid) == ("o-wangjianguo", None)
    assert first.session_key and again.openid == "o-wangjianguo"
    assert first.session_key not in repr(first)


def test_login_neither_fetches_nor_sends_an_access_token(standin: StandIn, gateway: WeChatGateway) -> None:
    gateway.code_to_session("demo-zhangdashan")
    log = standin.requests()
    assert [entry["path"] for entry in log] == [LOGIN]
    assert log[0]["params"] == ["appid", "grant_type", "js_code", "secret"]


def test_unionid_when_the_standin_gives_one() -> None:
    with StandIn(unionid=True) as server:
        gw = WeChatGateway(DEFAULT_APPID, DEFAULT_SECRET, server.base_url, timeout=2.0)
        try:
            session = gw.code_to_session("demo-heli")
        finally:
            gw.close()
    assert (session.openid, session.unionid) == ("o-heli", "u-heli")


@pytest.mark.parametrize(
    ("code", "status", "error_code", "errcode"),
    [
        ("invalid", 400, "auth.code_invalid", 40029),
        ("used", 400, "auth.code_invalid", 40163),
        ("not-a-known-code", 400, "auth.code_invalid", 40029),
        ("busy", 502, "wechat.unavailable", -1),
        ("limit", 502, "wechat.unavailable", 45011),
    ],
)
def test_special_login_codes(gateway: WeChatGateway, code: str, status: int, error_code: str, errcode: int) -> None:
    err = raises_app_error(lambda: gateway.code_to_session(code), status, error_code)
    assert err.details == {"errcode": errcode}


def test_wx_codes_are_single_use(gateway: WeChatGateway) -> None:
    assert gateway.code_to_session("wx-0a1b2c").openid == "o-wx-0a1b2c"
    err = raises_app_error(lambda: gateway.code_to_session("wx-0a1b2c"), 400, "auth.code_invalid")
    assert err.details == {"errcode": 40163}
    assert gateway.code_to_session("wx-other").openid == "o-wx-other"


@pytest.mark.parametrize("code", ["", "   ", "x" * 300])
def test_blank_or_huge_code_is_refused_without_asking_wechat(
    standin: StandIn, gateway: WeChatGateway, code: str
) -> None:
    raises_app_error(lambda: gateway.code_to_session(code), 400, "auth.code_invalid")
    assert standin.requests() == []


def test_high_risk_user_is_unavailable(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.add_fault(LOGIN, "errcode", errcode=40226, times=1)
    err = raises_app_error(lambda: gateway.code_to_session("demo-wuqiang"), 502, "wechat.unavailable")
    assert err.details == {"errcode": 40226}
    assert gateway.code_to_session("demo-wuqiang").openid == "o-wuqiang"  # times=1: the fault is used up


@pytest.mark.parametrize(
    ("appid", "secret", "errcode"), [("wx-demo-appid", "wrong", 40125), ("wx-other", DEFAULT_SECRET, 40013)]
)
def test_wrong_credentials_fail_login_with_502_and_no_secret_in_the_log(
    standin: StandIn, caplog: pytest.LogCaptureFixture, appid: str, secret: str, errcode: int
) -> None:
    caplog.set_level(logging.DEBUG, logger="backend.wechat")
    caplog.set_level(logging.DEBUG, logger="wechatpy")
    gw = WeChatGateway(appid, secret, standin.base_url, timeout=2.0)
    try:
        err = raises_app_error(lambda: gw.code_to_session("demo-wangjianguo"), 502, "wechat.unavailable")
    finally:
        gw.close()
    assert err.details == {"errcode": errcode}
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("backend.wechat", "wechatpy"))]
    assert any(str(errcode) in line for line in ours)
    assert not any(secret in line for line in ours)


# -- network and HTTP failures -------------------------------------------------------------------------------


def test_stopped_standin_is_unavailable() -> None:
    server = StandIn().start()
    gw = WeChatGateway(DEFAULT_APPID, DEFAULT_SECRET, server.base_url, timeout=30.0)
    server.stop()
    try:
        started = time.monotonic()
        err = raises_app_error(lambda: gw.code_to_session("demo-wangjianguo"), 502, "wechat.unavailable")
        assert time.monotonic() - started < 10.0  # a refused connection fails at once, not at the 30 s timeout
        assert err.details == {"errcode": None}
        raises_app_error(lambda: gw.get_phone_number("phone-13800138000"), 502, "wechat.unavailable")
        with pytest.raises(AppError) as info:
            gw.send_subscribe_message("o-x", "T", {"thing1": "x"})
        assert info.value.status == 502
    finally:
        gw.close()


def test_slow_wechat_times_out_within_the_gateway_timeout(standin: StandIn) -> None:
    """The call ends at the 0.5 s timeout, not when the 20 s answer comes: the upper bound leaves a busy machine
    seconds of room and still fails if the timeout were not applied; the lower one shows it waited for it."""
    standin.add_fault(LOGIN, "delay", delay=20.0, times=1)
    gw = WeChatGateway(DEFAULT_APPID, DEFAULT_SECRET, standin.base_url, timeout=0.5)
    try:
        started = time.monotonic()
        raises_app_error(lambda: gw.code_to_session("demo-wangjianguo"), 502, "wechat.unavailable")
        elapsed = time.monotonic() - started
    finally:
        gw.close()
        standin.clear_faults()
    assert 0.4 <= elapsed < 0.5 + 4.0, elapsed


def test_short_delay_within_the_timeout_still_succeeds(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.add_fault(LOGIN, "delay", delay=0.2, times=1)
    assert gateway.code_to_session("demo-zhouhai").openid == "o-zhouhai"


@pytest.mark.parametrize("mode", ["http500", "drop"])
def test_http500_and_dropped_connections_are_unavailable(standin: StandIn, gateway: WeChatGateway, mode: str) -> None:
    standin.add_fault(LOGIN, mode)
    err = raises_app_error(lambda: gateway.code_to_session("demo-wangjianguo"), 502, "wechat.unavailable")
    assert err.details == {"errcode": None}


# -- access token --------------------------------------------------------------------------------------------


def test_access_token_comes_from_stable_token_once(standin: StandIn, gateway: WeChatGateway) -> None:
    gateway.get_phone_number("phone-13800138000")
    gateway.get_phone_number("phone-13900139000")
    gateway.check_text("今天村里开会", "o-wangjianguo")
    paths = [entry["path"] for entry in standin.requests()]
    assert paths.count(STABLE) == 1
    assert "/cgi-bin/token" not in paths
    assert paths[0] == STABLE
    assert all("access_token" in entry["params"] for entry in standin.requests() if entry["path"] != STABLE)


@pytest.mark.parametrize("revoke", [False, True], ids=["expired-42001", "revoked-40001"])
def test_invalid_token_is_refetched_once_and_the_call_succeeds(
    standin: StandIn, gateway: WeChatGateway, revoke: bool
) -> None:
    assert gateway.get_phone_number("phone-13800138000") == "13800138000"
    assert standin.expire_token(revoke=revoke) == 1
    assert gateway.get_phone_number("phone-13800138001") == "13800138001"
    assert len(calls(standin, STABLE)) == 2
    assert len(calls(standin, PHONE)) == 3  # ok, refused token, retried with the new one


def test_token_error_that_persists_gives_502_not_endless_retries(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.add_fault(PHONE, "errcode", errcode=40001)
    err = raises_app_error(lambda: gateway.get_phone_number("phone-13800138000"), 502, "wechat.unavailable")
    assert err.details == {"errcode": 40001}
    assert len(calls(standin, PHONE)) == 2
    assert len(calls(standin, STABLE)) == 2
    standin.clear_faults()
    assert gateway.get_phone_number("phone-13800138000") == "13800138000"


@pytest.mark.parametrize(("mode", "errcode"), [("http500", None), ("errcode", -1)])
def test_token_fetch_failure_is_unavailable(
    standin: StandIn, gateway: WeChatGateway, mode: str, errcode: int | None
) -> None:
    standin.add_fault(STABLE, mode, errcode=-1)
    err = raises_app_error(lambda: gateway.check_text("你好", "o-heli"), 502, "wechat.unavailable")
    assert err.details == {"errcode": errcode}
    assert calls(standin, CHECK) == []


def test_wrong_secret_fails_token_calls_with_502(standin: StandIn) -> None:
    gw = WeChatGateway(DEFAULT_APPID, "wrong", standin.base_url, timeout=2.0)
    try:
        err = raises_app_error(lambda: gw.get_phone_number("phone-13800138000"), 502, "wechat.unavailable")
    finally:
        gw.close()
    assert err.details == {"errcode": 40125}


# -- phone number --------------------------------------------------------------------------------------------


def test_phone_code_gives_the_number(gateway: WeChatGateway) -> None:
    assert gateway.get_phone_number("phone-13912345678") == "13912345678"


@pytest.mark.parametrize("code", ["phone-123", "refused", "phone-1391234567x", ""])
def test_bad_phone_code_asks_to_authorise_again(gateway: WeChatGateway, code: str) -> None:
    raises_app_error(lambda: gateway.get_phone_number(code), 400, "auth.phone_code_invalid")


def test_used_phone_code_asks_to_authorise_again(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.add_fault(PHONE, "errcode", errcode=40163, times=1)
    err = raises_app_error(lambda: gateway.get_phone_number("phone-13912345678"), 400, "auth.phone_code_invalid")
    assert err.details == {"errcode": 40163}


@pytest.mark.parametrize(("mode", "errcode"), [("errcode", -1), ("errcode", 45011), ("http500", None)])
def test_phone_lookup_failures_are_unavailable(
    standin: StandIn, gateway: WeChatGateway, mode: str, errcode: int | None
) -> None:
    standin.add_fault(PHONE, mode, errcode=errcode if errcode is not None else -1)
    err = raises_app_error(lambda: gateway.get_phone_number("phone-13912345678"), 502, "wechat.unavailable")
    assert err.details == {"errcode": errcode}


# -- subscribe messages --------------------------------------------------------------------------------------


def test_subscribe_message_uses_up_a_one_time_consent(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.grant_consent("o-chenguilan", "TPL-VOTE")
    data = {"thing1": "修路决议表决", "time2": {"value": "2025-01-08 18:00"}}
    sent = gateway.send_subscribe_message("o-chenguilan", "TPL-VOTE", data, page="pages/votes/index")
    assert sent.ok and sent.errcode == 0 and isinstance(sent.msgid, int)
    refused = gateway.send_subscribe_message("o-chenguilan", "TPL-VOTE", data)
    assert refused == SendResult(ok=False, errcode=43101, errmsg="user refuse to accept the msg")
    [message] = standin.messages()
    assert message["msgid"] == sent.msgid
    assert message["touser"] == "o-chenguilan" and message["page"] == "pages/votes/index"
    assert message["data"] == {"thing1": {"value": "修路决议表决"}, "time2": {"value": "2025-01-08 18:00"}}
    assert message["miniprogram_state"] == "formal"


def test_subscribe_message_without_consent_is_43101_not_an_error(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.grant_consent("o-chenguilan", "OTHER-TEMPLATE")
    result = gateway.send_subscribe_message("o-chenguilan", "TPL-VOTE", {"thing1": "x"})
    assert (result.ok, result.errcode) == (False, 43101)
    assert standin.messages() == []


def test_subscribe_message_with_miniprogram_state(standin: StandIn, gateway: WeChatGateway) -> None:
    standin.grant_consent("o-heli", "TPL")
    assert gateway.send_subscribe_message("o-heli", "TPL", {"thing1": "x"}, state="trial").ok
    [message] = standin.messages()
    assert (message["miniprogram_state"], message["lang"], message["page"]) == ("trial", "zh_CN", None)
    with pytest.raises(ValueError):
        gateway.send_subscribe_message("o-heli", "TPL", {"thing1": "x"}, state="production")


def test_other_subscribe_errcodes_are_results(standin: StandIn, gateway: WeChatGateway) -> None:
    result = gateway.send_subscribe_message("", "TPL", {"thing1": "x"})
    assert (result.ok, result.errcode) == (False, 47003)
    standin.add_fault(SEND, "errcode", errcode=-1, times=1)
    assert gateway.send_subscribe_message("o-heli", "TPL", {"thing1": "x"}).errcode == -1


@pytest.mark.parametrize("mode", ["drop", "http500"])
def test_subscribe_network_failure_raises_so_the_outbox_retries(
    standin: StandIn, gateway: WeChatGateway, mode: str
) -> None:
    standin.grant_consent("o-heli", "TPL")
    standin.add_fault(SEND, mode, times=1)
    raises_app_error(
        lambda: gateway.send_subscribe_message("o-heli", "TPL", {"thing1": "x"}), 502, "wechat.unavailable"
    )
    assert gateway.send_subscribe_message("o-heli", "TPL", {"thing1": "x"}).ok  # consent was not used up


# -- content security ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "suggest", "label"),
    [
        ("明天上午九点在村委会开会", "pass", 100),
        ("有人在村口赌博", "risky", 20006),
        ("低息高利贷请联系", "review", 20008),
    ],
)
def test_check_text_verdicts(gateway: WeChatGateway, content: str, suggest: str, label: int) -> None:
    verdict = gateway.check_text(content, "o-wangjianguo", scene=2)
    assert isinstance(verdict, TextCheck)
    assert (verdict.suggest, verdict.label) == (suggest, label)
    assert verdict.trace_id


def test_check_text_sends_the_v2_shape(standin: StandIn, gateway: WeChatGateway) -> None:
    # the stand-in answers 40003 to a v2 call without openid, so an openid-less call must fail
    raises_app_error(lambda: gateway.check_text("你好", ""), 502, "wechat.unavailable")
    assert gateway.check_text("你好", "o-heli").suggest == "pass"
    with pytest.raises(ValueError):
        gateway.check_text("你好", "o-heli", scene=9)


def test_check_text_empty_passes_without_a_call(standin: StandIn, gateway: WeChatGateway) -> None:
    assert gateway.check_text("  ", "o-heli").suggest == "pass"
    assert standin.requests() == []


@pytest.mark.parametrize("mode", ["http500", "drop"])
def test_check_text_network_failure_is_unavailable(standin: StandIn, gateway: WeChatGateway, mode: str) -> None:
    standin.add_fault(CHECK, mode)
    raises_app_error(lambda: gateway.check_text("你好", "o-heli"), 502, "wechat.unavailable")


# -- configuration and sharing -------------------------------------------------------------------------------


def test_gateway_from_config_is_cached_per_configuration(standin: StandIn, gateway_cache: None) -> None:
    config = {
        "WECHAT_APPID": DEFAULT_APPID,
        "WECHAT_SECRET": DEFAULT_SECRET,
        "WECHAT_API_BASE_URL": standin.base_url,
    }
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: gateway_from_config(config), range(16)))
    assert all(gw is built[0] for gw in built)
    assert built[0].timeout == 5.0
    assert isinstance(built[0].client.session, MemoryStorage)
    assert built[0].code_to_session("demo-lixiuying").openid == "o-lixiuying"
    other = gateway_from_config({**config, "WECHAT_TIMEOUT": "0.5"})
    assert other is not built[0] and other.timeout == 0.5


def test_gateway_from_config_defaults_and_redis(gateway_cache: None) -> None:
    config = {"WECHAT_APPID": "wx-a", "WECHAT_SECRET": "very-secret", "REDIS_URL": "redis://127.0.0.1:6399/0"}
    gw = gateway_from_config(config)
    assert gw.base_url == "https://api.weixin.qq.com/"
    assert gw.client.wxa.API_BASE_URL == "https://api.weixin.qq.com/"
    assert gw.client.API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    storage = gw.client.session
    assert isinstance(storage, SharedTokenStorage) and isinstance(storage.shared, RedisStorage)
    assert "very-secret" not in repr(gw)
    storage.shared.redis.close()
    with pytest.raises(RuntimeError):
        gateway_from_config({"WECHAT_APPID": "wx-a"})


class DictRedis:
    """Just enough of redis.Redis for wechatpy's RedisStorage: a store two gateways can share."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, ex: int | None = None) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_workers_sharing_token_storage_fetch_one_token(standin: StandIn) -> None:
    shared = DictRedis()
    workers = [
        WeChatGateway(
            DEFAULT_APPID,
            DEFAULT_SECRET,
            standin.base_url,
            timeout=2.0,
            token_storage=SharedTokenStorage(RedisStorage(shared)),
        )
        for _ in range(2)
    ]
    try:
        assert [gw.get_phone_number("phone-13800138000") for gw in workers] == ["13800138000"] * 2
    finally:
        for gw in workers:
            gw.close()
    assert len(calls(standin, STABLE)) == 1
    assert list(shared.data) == [f"wechatpy:{DEFAULT_APPID}_access_token"]


def test_redis_outage_degrades_to_per_process_tokens(
    standin: StandIn, gateway_cache: None, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "WECHAT_APPID": DEFAULT_APPID,
        "WECHAT_SECRET": DEFAULT_SECRET,
        "WECHAT_API_BASE_URL": standin.base_url,
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    gw = gateway_from_config(config)
    try:
        assert gw.get_phone_number("phone-13800138000") == "13800138000"
        assert gw.get_phone_number("phone-13800138001") == "13800138001"
    finally:
        gw.client.session.shared.redis.close()
    assert len(calls(standin, STABLE)) == 1
    assert "token storage unavailable" in caplog.text


def test_concurrent_calls_share_one_gateway(standin: StandIn, gateway: WeChatGateway) -> None:
    barrier = threading.Barrier(8)

    def login(i: int) -> str:
        barrier.wait()
        if i % 2:
            return gateway.get_phone_number(f"phone-1380000000{i}")
        return gateway.code_to_session(f"demo-user{i}").openid

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(login, range(8)))
    assert results == [f"o-user{i}" if i % 2 == 0 else f"1380000000{i}" for i in range(8)]
