"""What the WeChat stand-in (backend/wechat/standin.py) answers: its state (sessions, tokens, consents, faults,
logs), WeChat's endpoints with WeChat's shapes and errcodes, and the control API under ``/__standin/``."""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

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

# Special wx.login codes (docs/demo.md).
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


def fault_from(body: dict[str, Any]) -> Fault:
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
            return 201, {"fault": asdict(state.add_fault(fault_from(body)))}
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
