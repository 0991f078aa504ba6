"""A local stand-in for WeChat's server API: a real HTTP server with WeChat's paths, shapes and errcodes.

``scripts/run`` starts it in development and the tests start it on port 0; the gateway talks to it through
wechatpy exactly as to api.weixin.qq.com. Login codes (shared/DEMO.md): ``demo-<key>`` → openid ``o-<key>``
(reusable), ``wx-<x>`` → ``o-wx-<x>`` (single use, like real codes), ``invalid`` 40029, ``used`` 40163,
``busy`` -1, ``limit`` 45011. Phone codes: ``phone-<11 digits>``. Tests and demos steer it through the control
API under ``/__standin/`` (consents, faults, token expiry, logs).

Fault modes (``POST /__standin/faults``): ``errcode`` (a WeChat error body), ``http500``, ``drop`` (close without
answering), ``delay`` (answer after ``delay`` seconds), ``hang`` (accept and never answer, until the stand-in stops)
and ``trickle`` (the real answer, one byte every ``delay`` seconds: each read sees progress, so only a deadline on
the whole call ends it).

Run it: ``python -m backend.wechat.standin --port 0 --port-file PATH``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_APPID = "wx-demo-appid"
DEFAULT_SECRET = "demo-secret"
TOKEN_TTL = 7200
CONTROL_PREFIX = "/__standin/"
MAX_BODY = 1 << 20
LOG_LIMIT = 2000

ERRMSGS: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    40226: "high risk user",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    87014: "risky content",
}

# Special wx.login codes from shared/DEMO.md.
SPECIAL_CODES: dict[str, int] = {"invalid": 40029, "used": 40163, "busy": -1, "limit": 45011}
PHONE_CODE = re.compile(r"phone-(\d{11})")

# msg_sec_check words → WeChat label (20001 时政, 20002 色情, 20006 违法犯罪, 20008 欺诈, 10001 广告).
RISKY_WORDS: dict[str, int] = {"法轮": 20001, "色情": 20002, "赌博": 20006, "毒品": 20006, "枪支": 20006}
REVIEW_WORDS: dict[str, int] = {"高利贷": 20008, "代开发票": 20008, "刷单": 20008, "加微信": 10001}

MINIPROGRAM_STATES = frozenset({"developer", "trial", "formal"})
LANGS = frozenset({"zh_CN", "en_US", "zh_HK", "zh_TW"})
FAULT_MODES = frozenset({"errcode", "http500", "delay", "drop", "hang", "trickle"})

Answer = tuple[int, dict[str, Any]]


def wx_error(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    """WeChat's error body."""
    return {"errcode": errcode, "errmsg": errmsg or ERRMSGS.get(errcode, "system error")}


@dataclass
class Fault:
    """An injected failure on ``path`` (None: any WeChat path) for ``times`` requests (None: no limit).
    ``delay``: seconds before answering (``delay``) or between two bytes of the answer (``trickle``)."""

    path: str | None
    mode: str
    errcode: int = -1
    errmsg: str = ""
    delay: float = 2.0
    times: int | None = None


class StandInState:
    """Everything the stand-in remembers; every method is thread-safe."""

    def __init__(
        self,
        appid: str = DEFAULT_APPID,
        secret: str = DEFAULT_SECRET,
        *,
        unionid: bool = False,
        token_ttl: int = TOKEN_TTL,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.unionid = unionid
        self.token_ttl = token_ttl
        self.stopping = threading.Event()  # set on stop: wakes delayed requests
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget tokens, used codes, consents, messages, the request log and faults."""
        with self._lock:
            self._tokens: dict[str, float] = {}  # token → expiry (epoch seconds)
            self._stable: str | None = None
            self._plain: str | None = None
            self._used_codes: set[str] = set()
            self._consents: dict[tuple[str, str], int] = {}
            self._messages: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
            self._requests: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
            self._faults: list[Fault] = []
            self._msgid = 1_000_000

    # -- credentials -----------------------------------------------------------------------------------------

    def check_app(self, appid: Any, secret: Any) -> dict[str, Any] | None:
        """The WeChat error for a wrong appid/secret pair, or None."""
        if not appid:
            return wx_error(41002)
        if appid != self.appid:
            return wx_error(40013)
        if not secret:
            return wx_error(41004)
        if secret != self.secret:
            return wx_error(40125)
        return None

    def stable_token(self, force_refresh: bool = False) -> tuple[str, int]:
        """The current stable token (same one while valid); ``force_refresh`` replaces it."""
        with self._lock:
            now = time.time()
            token = self._stable
            if token is not None and not force_refresh and self._tokens.get(token, 0) > now:
                return token, int(self._tokens[token] - now)
            if token is not None and token in self._tokens:
                self._tokens[token] = min(self._tokens[token], now)
            token = self._new_token(now)
            self._stable = token
            return token, self.token_ttl

    def plain_token(self) -> tuple[str, int]:
        """``cgi-bin/token``: a new token each call; the previous one stays valid five more minutes."""
        with self._lock:
            now = time.time()
            if self._plain is not None and self._plain in self._tokens:
                self._tokens[self._plain] = min(self._tokens[self._plain], now + 300)
            token = self._new_token(now)
            self._plain = token
            return token, self.token_ttl

    def _new_token(self, now: float) -> str:
        token = "standin_" + secrets.token_urlsafe(24)
        self._tokens[token] = now + self.token_ttl
        return token

    def check_token(self, token: str | None) -> dict[str, Any] | None:
        """The WeChat error for a missing, unknown or expired access token, or None."""
        if not token:
            return wx_error(41001)
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return wx_error(40001)
        if expiry <= time.time():
            return wx_error(42001)
        return None

    def expire_tokens(self, revoke: bool = False) -> int:
        """Make every live token expire now (→ 42001), or forget them (``revoke`` → 40001)."""
        with self._lock:
            now = time.time()
            live = [token for token, expiry in self._tokens.items() if expiry > now]
            for token in live:
                if revoke:
                    del self._tokens[token]
                else:
                    self._tokens[token] = now
            return len(live)

    # -- login -----------------------------------------------------------------------------------------------

    def login(self, code: str) -> dict[str, Any]:
        """The jscode2session answer for a login code."""
        if code in SPECIAL_CODES:
            return wx_error(SPECIAL_CODES[code])
        if code.startswith("demo-") and len(code) > len("demo-"):
            key = code[len("demo-") :]
        elif code.startswith("wx-") and len(code) > len("wx-"):
            with self._lock:
                if code in self._used_codes:
                    return wx_error(40163)
                self._used_codes.add(code)
            key = code
        else:
            return wx_error(40029)
        answer: dict[str, Any] = {
            "session_key": base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
            "openid": "o-" + key,
        }
        if self.unionid:
            answer["unionid"] = "u-" + key
        return answer

    # -- subscribe messages ----------------------------------------------------------------------------------

    def grant_consent(self, openid: str, template_id: str, count: int = 1) -> int:
        """Record ``count`` one-time consents (wx.requestSubscribeMessage taps); returns how many remain."""
        with self._lock:
            key = (openid, template_id)
            self._consents[key] = self._consents.get(key, 0) + count
            return self._consents[key]

    def consents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"openid": openid, "template_id": template_id, "remaining": remaining}
                for (openid, template_id), remaining in self._consents.items()
            ]

    def deliver(self, message: dict[str, Any]) -> int | None:
        """Use one consent and record the message; None when there is no consent left (→ 43101)."""
        with self._lock:
            key = (message["touser"], message["template_id"])
            if self._consents.get(key, 0) <= 0:
                return None
            self._consents[key] -= 1
            self._msgid += 1
            self._messages.append({"msgid": self._msgid, **message, "sent_at": time.time()})
            return self._msgid

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    # -- request log and faults ------------------------------------------------------------------------------

    def record(self, method: str, path: str, params: Sequence[str]) -> None:
        """Log a WeChat call: method, path and the names (not values) of its query parameters."""
        with self._lock:
            self._requests.append({"method": method, "path": path, "params": sorted(params), "at": time.time()})

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
            return fault

    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def take_fault(self, path: str) -> Fault | None:
        """The first fault that applies to ``path``, counting this request against its ``times``."""
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path == path:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return Fault(**asdict(fault))
            return None


# -- WeChat endpoints ----------------------------------------------------------------------------------------


def _stable_token(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return wx_error(47001)
    if body.get("grant_type") != "client_credential":
        return wx_error(40002)
    error = state.check_app(body.get("appid"), body.get("secret"))
    if error:
        return error
    token, expires_in = state.stable_token(force_refresh=body.get("force_refresh") is True)
    return {"access_token": token, "expires_in": expires_in}


def _plain_token(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    if query.get("grant_type") != "client_credential":
        return wx_error(40002)
    error = state.check_app(query.get("appid"), query.get("secret"))
    if error:
        return error
    token, expires_in = state.plain_token()
    return {"access_token": token, "expires_in": expires_in}


def _jscode2session(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    error = state.check_app(query.get("appid"), query.get("secret"))
    if error:
        return error
    if query.get("grant_type") != "authorization_code":
        return wx_error(40002)
    code = query.get("js_code")
    if not code:
        return wx_error(41008)
    return state.login(code)


def _phone_number(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not body["code"]:
        return wx_error(47001)
    match = PHONE_CODE.fullmatch(body["code"])
    if not match:
        return wx_error(40029)
    phone = match.group(1)
    return {
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone,
            "purePhoneNumber": phone,
            "countryCode": "86",
            "watermark": {"timestamp": int(time.time()), "appid": state.appid},
        },
    }


def _subscribe_send(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return wx_error(47001)
    touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    if not isinstance(touser, str) or not touser or not isinstance(template_id, str) or not template_id:
        return wx_error(47003)
    if not isinstance(data, dict) or not data:
        return wx_error(47003, "argument invalid! data invalid")
    for key, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("value"), str | int | float):
            return wx_error(47003, f"argument invalid! data.{key}.value invalid")
    page = body.get("page")
    state_name = body.get("miniprogram_state", "formal")
    lang = body.get("lang", "zh_CN")
    if page is not None and not isinstance(page, str):
        return wx_error(47003, "argument invalid! page invalid")
    if state_name not in MINIPROGRAM_STATES:
        return wx_error(47003, "argument invalid! miniprogram_state invalid")
    if lang not in LANGS:
        return wx_error(47003, "argument invalid! lang invalid")
    message = {
        "touser": touser,
        "template_id": template_id,
        "page": page,
        "data": data,
        "miniprogram_state": state_name,
        "lang": lang,
    }
    msgid = state.deliver(message)
    if msgid is None:
        return wx_error(43101)
    return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


def _msg_sec_check(state: StandInState, query: dict[str, str], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        return wx_error(47001)
    content: str = body["content"]
    risky = next(((word, label) for word, label in RISKY_WORDS.items() if word in content), None)
    review = next(((word, label) for word, label in REVIEW_WORDS.items() if word in content), None)
    if "version" not in body:  # v1: errcode 87014 for anything doubtful
        return wx_error(87014) if risky or review else {"errcode": 0, "errmsg": "ok"}
    if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
        return wx_error(47001)
    if not isinstance(body.get("openid"), str) or not body["openid"]:
        return wx_error(40003)
    hit, suggest = (risky, "risky") if risky else (review, "review") if review else (None, "pass")
    label = hit[1] if hit else 100
    detail: list[dict[str, Any]] = [
        {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}
    ]
    if hit:
        detail.append(
            {
                "strategy": "keyword",
                "errcode": 0,
                "suggest": suggest,
                "label": label,
                "level": 20,
                "keyword": hit[0],
            }
        )
    return {
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
        "detail": detail,
        "trace_id": secrets.token_hex(12),
    }


Route = tuple[str, bool, Callable[[StandInState, dict[str, str], Any], dict[str, Any]]]
# path → (method, needs access_token, handler)
ROUTES: dict[str, Route] = {
    "/cgi-bin/stable_token": ("POST", False, _stable_token),
    "/cgi-bin/token": ("GET", False, _plain_token),
    "/sns/jscode2session": ("GET", False, _jscode2session),
    "/wxa/business/getuserphonenumber": ("POST", True, _phone_number),
    "/cgi-bin/message/subscribe/send": ("POST", True, _subscribe_send),
    "/wxa/msg_sec_check": ("POST", True, _msg_sec_check),
}


# -- control API ---------------------------------------------------------------------------------------------


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if name not in body or body[name] is None:
        if default is ...:
            raise ControlError(400, f"{name} is required")
        return default
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ControlError(400, f"{name} has the wrong type")
    return value


def _fault_from(body: dict[str, Any]) -> Fault:
    mode = _field(body, "mode", str)
    if mode not in FAULT_MODES:
        raise ControlError(400, f"mode must be one of {sorted(FAULT_MODES)}")
    path = _field(body, "path", str, None)
    if path is not None and not path.startswith("/"):
        raise ControlError(400, "path must start with /")
    errcode = _field(body, "errcode", int, -1)
    delay = float(_field(body, "delay", (int, float), 2.0))
    if not 0 <= delay <= 60:
        raise ControlError(400, "delay must be between 0 and 60 seconds")
    times = _field(body, "times", int, None)
    if times is not None and times < 1:
        raise ControlError(400, "times must be at least 1")
    errmsg = _field(body, "errmsg", str, ERRMSGS.get(errcode, "system error"))
    return Fault(path=path, mode=mode, errcode=errcode, errmsg=errmsg, delay=delay, times=times)


def control(state: StandInState, method: str, path: str, body: Any) -> Answer:
    """Handle ``/__standin/...``; answers ``(status, json)``."""
    name = path[len(CONTROL_PREFIX) :].strip("/")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    match method, name:
        case "GET", "health":
            return 200, {"status": "ok", "appid": state.appid}
        case "POST", "consents":
            count = _field(body, "count", int, 1)
            if not 1 <= count <= 1000:
                raise ControlError(400, "count must be between 1 and 1000")
            openid, template_id = _field(body, "openid", str), _field(body, "template_id", str)
            remaining = state.grant_consent(openid, template_id, count)
            return 200, {"openid": openid, "template_id": template_id, "remaining": remaining}
        case "GET", "consents":
            return 200, {"items": state.consents()}
        case "GET", "messages":
            return 200, {"items": state.messages()}
        case "GET", "requests":
            return 200, {"items": state.requests()}
        case "DELETE", "requests":
            state.clear_requests()
            return 200, {"cleared": True}
        case "POST", "faults":
            return 201, {"fault": asdict(state.add_fault(_fault_from(body)))}
        case "GET", "faults":
            return 200, {"items": [asdict(fault) for fault in state.faults()]}
        case "DELETE", "faults":
            return 200, {"cleared": state.clear_faults()}
        case "POST", "expire-token":
            return 200, {"expired": state.expire_tokens(revoke=_field(body, "revoke", bool, False))}
        case "POST", "reset":
            state.reset()
            return 200, {"status": "reset"}
    raise ControlError(404, f"no control endpoint {method} {path}")


# -- HTTP server ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: StandInState, verbose: bool) -> None:
        self.state = state
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away: nothing to report
        traceback.print_exc(file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing keeps a thread alive at shutdown
    server_version = "WeChatStandIn/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        body = self._read_json()
        if url.path.startswith(CONTROL_PREFIX):
            try:
                status, payload = control(state, method, url.path, None if body is _EMPTY else body)
            except ControlError as exc:
                status, payload = exc.status, {"error": exc.message}
            self._send(status, payload)
            return
        state.record(method, url.path, list(query))
        fault = state.take_fault(url.path)
        if fault is not None:
            if fault.mode == "drop":
                self.close_connection = True
                return
            if fault.mode == "http500":
                self._send(500, None)
                return
            if fault.mode == "errcode":
                self._send(200, wx_error(fault.errcode, fault.errmsg))
                return
            if fault.mode == "hang":  # the request was read; no answer ever comes (stop() ends it)
                state.stopping.wait(3600)
                self.close_connection = True
                return
            if fault.mode == "trickle":  # answered below, byte by byte
                self._trickle = fault.delay
            elif state.stopping.wait(fault.delay):  # delay: stop() cuts it short
                return
        route = ROUTES.get(url.path)
        if route is None:
            self._send(404, wx_error(-1, "api not found"))
            return
        expected, needs_token, handler = route
        if method != expected:
            self._send(200, wx_error(43001 if expected == "GET" else 43002))
            return
        if needs_token:
            error = state.check_token(query.get("access_token"))
            if error:
                self._send(200, error)
                return
        try:
            payload = handler(state, query, None if body is _EMPTY or body is _BAD_JSON else body)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send(200, wx_error(-1))
            return
        self._send(200, payload)

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return _EMPTY
        raw = self.rfile.read(min(length, MAX_BODY))
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _BAD_JSON

    def _send(self, status: int, payload: dict[str, Any] | None) -> None:
        if payload is None:
            data = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            content_type = "text/html"
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        if self._trickle is not None:
            self._send_trickling(status, content_type, data, self._trickle)
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    _trickle: float | None = None

    def _send_trickling(self, status: int, content_type: str, data: bytes, interval: float) -> None:
        head = (f"{self.protocol_version} {status} {self.responses[status][0]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode("ascii")
        self.close_connection = True
        try:
            for byte in head + data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.state.stopping.wait(interval):
                    return
        except (ConnectionError, TimeoutError):
            return

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.verbose:  # path without the query string: it carries the AppSecret
            sys.stderr.write(f"wechat-standin: {self.command} {urlsplit(self.path).path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write("wechat-standin: " + (format % args) + "\n")


_EMPTY = object()
_BAD_JSON = object()


class _Start:
    """``StandIn.start(host, port, **options)`` builds and starts a stand-in; ``standin.start(host, port)``
    starts that one. Either way the running stand-in is returned."""

    def __get__(self, obj: StandIn | None, owner: type[StandIn]) -> Callable[..., StandIn]:
        if obj is not None:
            return obj._start

        def build_and_start(host: str = "127.0.0.1", port: int = 0, **options: Any) -> StandIn:
            return owner(**options)._start(host, port)

        return build_and_start


class StandIn:
    """The stand-in on a background daemon thread: ``StandIn.start()``, or ``with StandIn(...) as s:``."""

    def __init__(
        self,
        appid: str = DEFAULT_APPID,
        secret: str = DEFAULT_SECRET,
        *,
        unionid: bool = False,
        token_ttl: int = TOKEN_TTL,
        verbose: bool = False,
    ) -> None:
        self.state = StandInState(appid, secret, unionid=unionid, token_ttl=token_ttl)
        self.verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    start = _Start()

    def _start(self, host: str = "127.0.0.1", port: int = 0) -> StandIn:
        """Bind (port 0 picks a free port) and serve in the background."""
        if self._server is not None:
            raise RuntimeError("the WeChat stand-in is already running")
        self.state.stopping.clear()
        server = _Server((host, port), self.state, self.verbose)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="wechat-standin", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed requests and close the socket."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the WeChat stand-in is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port/``, the value for ``WECHAT_API_BASE_URL``."""
        if self._server is None:
            raise RuntimeError("the WeChat stand-in is not running")
        host = str(self._server.server_address[0])
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def __enter__(self) -> StandIn:
        if self._server is None:
            self._start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Shortcuts to the control API for in-process callers.
    def grant_consent(self, openid: str, template_id: str, count: int = 1) -> int:
        return self.state.grant_consent(openid, template_id, count)

    def add_fault(self, path: str | None, mode: str, **options: Any) -> Fault:
        return self.state.add_fault(_fault_from({"path": path, "mode": mode, **options}))

    def clear_faults(self) -> int:
        return self.state.clear_faults()

    def expire_token(self, revoke: bool = False) -> int:
        return self.state.expire_tokens(revoke=revoke)

    def reset(self) -> None:
        self.state.reset()

    def messages(self) -> list[dict[str, Any]]:
        return self.state.messages()

    def requests(self) -> list[dict[str, Any]]:
        return self.state.requests()


# -- command line --------------------------------------------------------------------------------------------


def _write_port_file(path: Path, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{port}\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader never sees half a number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.wechat.standin", description="Local WeChat stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--appid", default=DEFAULT_APPID)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--unionid", action="store_true", help="return unionid u-<key> at login")
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    standin = StandIn(args.appid, args.secret, unionid=args.unionid, verbose=not args.quiet)
    try:
        standin.start(args.host, args.port)
    except OSError as exc:
        print(f"WeChat stand-in could not listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    port = standin.port
    try:
        if args.port_file:
            _write_port_file(args.port_file, port)
        print(f"WeChat stand-in listening on {standin.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        standin.stop()
        if args.port_file:  # remove it only if it is still ours
            with contextlib.suppress(OSError):
                if args.port_file.read_text(encoding="utf-8").strip() == str(port):
                    args.port_file.unlink()
    print("WeChat stand-in stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
