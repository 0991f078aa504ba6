"""The only place that talks to WeChat: a thin gateway over wechatpy 1.8.18.

Every failure becomes an :class:`AppError` with a Chinese message (login, phone, content check) or, for
subscribe messages, a :class:`SendResult` the caller's outbox can record. Network errors, HTTP errors and
access-token failures become ``502 wechat.unavailable``. The timeout bounds each HTTP call as a whole, not only
each socket read (requests' own timeout), so an answer that trickles in cannot hold a worker thread past it.
The AppSecret is never logged (it travels in the query string of ``jscode2session``, so request exceptions are
logged by class name only).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from backend.core.errors import AppError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.weixin.qq.com/"

# errcodes that mean "this wx.login code is bad" (as opposed to "WeChat is failing").
LOGIN_CODE_ERRORS = frozenset({40029, 40163})
# errcodes that mean "this getPhoneNumber code is bad".
PHONE_CODE_ERRORS = frozenset({40029, 40163})
# errcodes that make wechatpy refetch the access token and retry once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
MINIPROGRAM_STATES = frozenset({"developer", "trial", "formal"})
TEXT_SUGGESTIONS = frozenset({"pass", "review", "risky"})
MAX_CODE_LENGTH = 256

_CODE_INVALID = "登录凭证无效或已使用，请重新进入小程序"
_PHONE_CODE_INVALID = "手机号授权已失效，请重新授权"
_UNAVAILABLE = "微信服务暂时不可用，请稍后再试"


# -- a deadline on the whole HTTP call --------------------------------------------------------------------------

_calls = threading.local()  # the deadline of the HTTP call this thread is making


class _Deadline:
    """The connections one HTTP call used; when its time is up their sockets are shut, which ends any read."""

    def __init__(self) -> None:
        self.expired = False
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def watch(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.append(conn)
            if self.expired:
                _shut(conn)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for conn in self._conns:
                _shut(conn)


def _shut(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Mixed into urllib3's connections: each request registers with the calling thread's deadline."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        deadline = getattr(_calls, "deadline", None)
        if deadline is not None and deadline.expired:
            _shut(self)  # type: ignore[arg-type]

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_calls, "deadline", None)
        if deadline is not None:
            deadline.watch(self)  # type: ignore[arg-type]
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with a deadline on the whole call (connect, send, headers and body): past ``total``
    seconds the call fails with :class:`requests.Timeout` however the answer is coming in."""

    def __init__(self, total: float, **kwargs: Any) -> None:
        self.total = total
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager

    def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> Any:
        deadline = _Deadline()
        _calls.deadline = deadline
        timer = threading.Timer(self.total, deadline.expire)
        timer.daemon = True
        timer.start()
        try:
            response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                                    proxies=proxies)
            if not stream:
                _ = response.content  # the body too, under the same deadline
        except requests.RequestException as exc:
            if deadline.expired:
                raise requests.Timeout(f"no whole answer within {self.total}s", request=request) from exc
            raise
        finally:
            timer.cancel()
            _calls.deadline = None
        if deadline.expired:  # cut while the body was being read: what arrived is not the answer
            response.close()
            raise requests.Timeout(f"no whole answer within {self.total}s", request=request)
        return response


class AccessTokenError(WeChatClientException):
    """Fetching the access token failed (bad AppSecret, HTTP error, malformed answer)."""


class MiniProgramClient(WeChatClient):
    """wechatpy's client pointed at ``base_url``, fetching the access token from ``cgi-bin/stable_token``."""

    def __init__(
        self,
        appid: str,
        secret: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 5.0,
        session: SessionStorage | None = None,
        auto_retry: bool = True,
    ) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=auto_retry)
        self.base_url = base_url.rstrip("/") + "/"
        self.API_BASE_URL = self.base_url + "cgi-bin/"  # used by client.get/post
        self.wxa.API_BASE_URL = self.base_url  # used by client.wxa.*
        self._retry_state = threading.local()
        if timeout:
            adapter = DeadlineAdapter(timeout)
            self._http.mount("http://", adapter)
            self._http.mount("https://", adapter)

    def fetch_access_token(self) -> dict[str, Any]:
        """POST ``cgi-bin/stable_token``: the same token while valid, so several workers do not fight."""
        log.info("fetching WeChat access token (stable_token)")
        res = self._http.post(
            self.base_url + "cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        if not res.ok:
            raise AccessTokenError(None, f"HTTP {res.status_code}", client=self, request=res.request, response=res)
        try:
            result = res.json()
        except ValueError:
            raise AccessTokenError(None, "non-JSON answer", client=self, request=res.request, response=res) from None
        if not isinstance(result, dict) or result.get("errcode") or not result.get("access_token"):
            errcode = result.get("errcode") if isinstance(result, dict) else None
            errmsg = result.get("errmsg") if isinstance(result, dict) else None
            raise AccessTokenError(errcode, errmsg, client=self, request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def _handle_result(
        self,
        res: Any,
        method: str | None = None,
        url: str | None = None,
        result_processor: Callable[[Any], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Allow wechatpy's token refetch-and-retry once per call (it would otherwise recurse forever)."""
        if getattr(self._retry_state, "active", False):
            result = res if isinstance(res, dict) else self._decode_result(res)
            if isinstance(result, dict) and _errcode(result) in TOKEN_ERRORS:
                raise WeChatClientException(
                    _errcode(result),
                    result.get("errmsg"),
                    client=self,
                    request=getattr(res, "request", None),
                    response=res,
                )
            return super()._handle_result(res, method, url, result_processor, **kwargs)
        self._retry_state.active = True
        try:
            return super()._handle_result(res, method, url, result_processor, **kwargs)
        finally:
            self._retry_state.active = False

    def jscode2session(self, js_code: str) -> Any:
        """``GET sns/jscode2session``. It needs no access token, so none is fetched or sent."""
        return self.wxa._get(
            "sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self.secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
                "access_token": None,  # present-but-None: wechatpy adds no token, requests drops the key
            },
        )

    def get_phone_number(self, code: str) -> Any:
        """``POST wxa/business/getuserphonenumber`` (missing from wechatpy 1.8.18)."""
        return self.wxa._post("wxa/business/getuserphonenumber", data={"code": code})

    def msg_sec_check(self, content: str, openid: str, scene: int) -> Any:
        """``POST wxa/msg_sec_check`` in the v2 shape (wechatpy 1.8.18 only speaks v1)."""
        return self.wxa._post(
            "wxa/msg_sec_check", data={"version": 2, "openid": openid, "scene": scene, "content": content}
        )


def _errcode(result: Mapping[str, Any]) -> int:
    try:
        return int(result.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


@dataclass(frozen=True)
class WxSession:
    """What code2Session gives. ``session_key`` must never leave the server."""

    openid: str
    session_key: str = field(repr=False)
    unionid: str | None


@dataclass(frozen=True)
class SendResult:
    """Outcome of one subscribe message. ``errcode`` 43101: the user has no remaining consent."""

    ok: bool
    errcode: int
    errmsg: str
    msgid: int | None = None


@dataclass(frozen=True)
class TextCheck:
    """Verdict of msg_sec_check v2: ``suggest`` is ``pass``, ``review`` or ``risky``."""

    suggest: str
    label: int | None
    trace_id: str | None


class WeChatGateway:
    """The project's calls to WeChat, each mapped to a result or an :class:`AppError`."""

    def __init__(
        self,
        appid: str,
        secret: str,
        base_url: str,
        timeout: float = 5.0,
        token_storage: SessionStorage | None = None,
    ) -> None:
        if not appid or not secret:
            raise ValueError("WeChat appid and secret are required")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"WeChat base URL must be http(s): {base_url!r}")
        if timeout <= 0:
            raise ValueError("WeChat timeout must be positive")
        self.appid = appid
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.client = MiniProgramClient(appid, secret, self.base_url, timeout=timeout, session=token_storage)

    def __repr__(self) -> str:
        return f"WeChatGateway(appid={self.appid!r}, base_url={self.base_url!r}, timeout={self.timeout})"

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self.client._http.close()

    # -- calls -----------------------------------------------------------------------------------------------

    def code_to_session(self, code: str) -> WxSession:
        """Exchange a ``wx.login`` code for the openid (400 auth.code_invalid, 502 wechat.unavailable)."""
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
            raise AppError(400, "auth.code_invalid", _CODE_INVALID)
        try:
            result = self._call("code_to_session", lambda: self.client.jscode2session(code))
        except WeChatClientException as exc:
            if exc.errcode in LOGIN_CODE_ERRORS:
                log.info("wechat code_to_session rejected the code: errcode=%s", exc.errcode)
                raise AppError(400, "auth.code_invalid", _CODE_INVALID, {"errcode": exc.errcode}) from None
            raise self._unavailable("code_to_session", exc.errcode, exc.errmsg) from None
        openid, session_key = result.get("openid"), result.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) or not session_key:
            raise self._unavailable("code_to_session", None, "answer without openid/session_key")
        unionid = result.get("unionid")
        return WxSession(openid=openid, session_key=session_key, unionid=unionid if unionid else None)

    def get_phone_number(self, code: str) -> str:
        """The phone number (no country code) behind a getPhoneNumber ``code``."""
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
            raise AppError(400, "auth.phone_code_invalid", _PHONE_CODE_INVALID)
        try:
            result = self._call("get_phone_number", lambda: self.client.get_phone_number(code))
        except WeChatClientException as exc:
            if exc.errcode in PHONE_CODE_ERRORS:
                log.info("wechat get_phone_number rejected the code: errcode=%s", exc.errcode)
                raise AppError(400, "auth.phone_code_invalid", _PHONE_CODE_INVALID, {"errcode": exc.errcode}) from None
            raise self._unavailable("get_phone_number", exc.errcode, exc.errmsg) from None
        info = result.get("phone_info")
        phone = info.get("purePhoneNumber") if isinstance(info, dict) else None
        if not isinstance(phone, str) or not phone:
            raise self._unavailable("get_phone_number", None, "answer without phone_info.purePhoneNumber")
        return phone

    def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        page: str | None = None,
        state: str | None = None,
    ) -> SendResult:
        """Send one subscribe message. WeChat refusals (43101 etc.) are results; network failures raise 502.

        ``data`` values may be plain strings; they are wrapped as ``{"value": ...}``. ``state`` is
        ``miniprogram_state`` (developer | trial | formal).
        """
        if state is not None and state not in MINIPROGRAM_STATES:
            raise ValueError(f"miniprogram_state must be one of {sorted(MINIPROGRAM_STATES)}: {state!r}")
        body = {key: value if isinstance(value, Mapping) else {"value": value} for key, value in data.items()}

        def send() -> Any:
            if state is None:
                return self.client.wxa.send_subscribe_message(openid, template_id, body, page=page)
            payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": body}
            if page is not None:
                payload["page"] = page
            payload["miniprogram_state"] = state
            payload["lang"] = "zh_CN"
            return self.client.post("message/subscribe/send", data=payload)

        try:
            result = self._call("send_subscribe_message", send)
        except WeChatClientException as exc:
            errcode = exc.errcode if isinstance(exc.errcode, int) else -1
            log.info("wechat subscribe message not sent: errcode=%s errmsg=%s", errcode, exc.errmsg)
            return SendResult(ok=False, errcode=errcode, errmsg=str(exc.errmsg or ""))
        msgid = result.get("msgid")
        return SendResult(
            ok=True,
            errcode=0,
            errmsg=str(result.get("errmsg") or "ok"),
            msgid=msgid if isinstance(msgid, int) else None,
        )

    def check_text(self, content: str, openid: str, scene: int = 3) -> TextCheck:
        """msg_sec_check v2; ``scene`` 1 资料, 2 评论, 3 论坛, 4 社交日志. Empty text passes uncalled."""
        if scene not in (1, 2, 3, 4):
            raise ValueError(f"msg_sec_check scene must be 1..4: {scene!r}")
        if not content.strip():
            return TextCheck(suggest="pass", label=None, trace_id=None)
        try:
            result = self._call("check_text", lambda: self.client.msg_sec_check(content, openid, scene))
        except WeChatClientException as exc:
            raise self._unavailable("check_text", exc.errcode, exc.errmsg) from None
        verdict = result.get("result")
        suggest = verdict.get("suggest") if isinstance(verdict, dict) else None
        if suggest not in TEXT_SUGGESTIONS:
            raise self._unavailable("check_text", None, "answer without result.suggest")
        label = verdict.get("label") if isinstance(verdict, dict) else None
        trace_id = result.get("trace_id")
        return TextCheck(
            suggest=str(suggest),
            label=label if isinstance(label, int) else None,
            trace_id=trace_id if isinstance(trace_id, str) else None,
        )

    # -- plumbing --------------------------------------------------------------------------------------------

    def _call(self, op: str, call: Callable[[], Any]) -> dict[str, Any]:
        """Run one wechatpy call. WeChat errcodes propagate as WeChatClientException; all else becomes 502."""
        try:
            result = call()
        except AccessTokenError as exc:
            raise self._unavailable(op, exc.errcode, exc.errmsg, stage="access_token") from None
        except WeChatClientException as exc:
            if exc.errcode is None:  # non-2xx HTTP answer
                status = exc.response.status_code if exc.response is not None else None
                raise self._unavailable(op, None, f"HTTP {status}") from None
            raise
        except requests.RequestException as exc:  # connection refused, timeout, dropped connection
            raise self._unavailable(op, None, type(exc).__name__) from None
        if not isinstance(result, dict):
            raise self._unavailable(op, None, "non-JSON answer")
        return result

    def _unavailable(self, op: str, errcode: int | None, errmsg: Any, stage: str | None = None) -> AppError:
        log.warning(
            "wechat %s failed%s: errcode=%s errmsg=%s",
            op,
            f" ({stage})" if stage else "",
            errcode,
            errmsg,
        )
        return AppError(502, "wechat.unavailable", _UNAVAILABLE, {"errcode": errcode})


# -- one gateway per configuration ---------------------------------------------------------------------------

_gateways: dict[tuple[str, str, str, float, str | None], WeChatGateway] = {}
_gateways_lock = threading.Lock()


def gateway_from_config(config: Mapping[str, Any]) -> WeChatGateway:
    """The gateway for WECHAT_APPID, WECHAT_SECRET, WECHAT_API_BASE_URL, WECHAT_TIMEOUT and REDIS_URL.

    Built once per distinct configuration and reused (thread-safe), so requests share one HTTP session.
    """
    appid = config.get("WECHAT_APPID")
    secret = config.get("WECHAT_SECRET")
    if not appid or not secret:
        raise RuntimeError("WECHAT_APPID and WECHAT_SECRET must be configured")
    base_url = str(config.get("WECHAT_API_BASE_URL") or DEFAULT_BASE_URL)
    timeout = float(config.get("WECHAT_TIMEOUT") or 5)
    redis_url = config.get("REDIS_URL") or None
    key = (str(appid), str(secret), base_url.rstrip("/") + "/", timeout, redis_url)
    gateway = _gateways.get(key)
    if gateway is not None:
        return gateway
    with _gateways_lock:
        gateway = _gateways.get(key)
        if gateway is None:
            storage = _redis_storage(redis_url, timeout) if redis_url else None
            gateway = WeChatGateway(key[0], key[1], key[2], timeout=timeout, token_storage=storage)
            _gateways[key] = gateway
        return gateway


def clear_gateway_cache() -> None:
    """Close and forget the cached gateways (tests, or after a configuration change)."""
    with _gateways_lock:
        for gateway in _gateways.values():
            gateway.close()
        _gateways.clear()


class SharedTokenStorage(SessionStorage):
    """Access tokens in a shared store (Redis), with a per-process copy used while that store is failing."""

    def __init__(self, shared: SessionStorage, errors: tuple[type[Exception], ...] = (Exception,)) -> None:
        self.shared = shared
        self.local = MemoryStorage()
        self._errors = errors

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.shared.get(key, default)
        except self._errors as exc:
            log.warning("token storage unavailable, using this process's copy: %s", type(exc).__name__)
            return self.local.get(key, default)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self.local.set(key, value, ttl)
        try:
            self.shared.set(key, value, ttl)
        except self._errors as exc:
            log.warning("token storage unavailable, token kept in this process: %s", type(exc).__name__)

    def delete(self, key: str) -> None:
        self.local.delete(key)
        try:
            self.shared.delete(key)
        except self._errors as exc:
            log.warning("token storage unavailable, token not deleted there: %s", type(exc).__name__)


def _redis_storage(url: str, timeout: float) -> SessionStorage:
    """Access tokens in Redis, shared by every gunicorn worker; a Redis outage degrades to per-process tokens."""
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return SharedTokenStorage(RedisStorage(client), errors=(redis.RedisError,))
