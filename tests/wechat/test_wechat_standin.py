"""The WeChat stand-in over raw HTTP: WeChat's paths, shapes and errcodes, the control API and the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from backend.wechat.standin import DEFAULT_APPID, DEFAULT_SECRET, StandIn

CREDS = {"grant_type": "client_credential", "appid": DEFAULT_APPID, "secret": DEFAULT_SECRET}
ROOT = Path(__file__).resolve().parents[2]


def call(standin: StandIn, method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
    res = requests.request(method, standin.base_url + path.lstrip("/"), json=body, params=params, timeout=5)
    return res.status_code, res.json()


def token(standin: StandIn, **extra: Any) -> str:
    status, body = call(standin, "POST", "/cgi-bin/stable_token", {**CREDS, **extra})
    assert status == 200 and body["expires_in"] > 0
    return str(body["access_token"])


def login(standin: StandIn, code: str, **overrides: str) -> dict[str, Any]:
    params = {
        "appid": DEFAULT_APPID,
        "secret": DEFAULT_SECRET,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    status, body = call(standin, "GET", "/sns/jscode2session", **{**params, **overrides})
    assert status == 200
    return dict(body)


# -- tokens --------------------------------------------------------------------------------------------------


def test_stable_token_is_the_same_while_valid_and_force_refresh_replaces_it(standin: StandIn) -> None:
    first = token(standin)
    assert token(standin) == first
    fresh = token(standin, force_refresh=True)
    assert fresh != first
    assert token(standin) == fresh
    _, answer = call(standin, "POST", "/wxa/msg_sec_check", {"content": "x"}, access_token=first)
    assert answer["errcode"] == 42001


def test_plain_token_endpoint_gives_a_new_token_each_call(standin: StandIn) -> None:
    _, one = call(standin, "GET", "/cgi-bin/token", **CREDS)
    _, two = call(standin, "GET", "/cgi-bin/token", **CREDS)
    assert one["access_token"] != two["access_token"] and one["expires_in"] == 7200
    for tok in (one["access_token"], two["access_token"]):  # the previous one keeps working a while
        assert call(standin, "POST", "/wxa/msg_sec_check", {"content": "x"}, access_token=tok)[1]["errcode"] == 0


@pytest.mark.parametrize(
    ("change", "errcode"),
    [({"secret": "nope"}, 40125), ({"appid": "wx-nope"}, 40013), ({"grant_type": "password"}, 40002)],
)
def test_token_endpoints_check_credentials(standin: StandIn, change: dict[str, str], errcode: int) -> None:
    assert call(standin, "POST", "/cgi-bin/stable_token", {**CREDS, **change})[1]["errcode"] == errcode
    assert call(standin, "GET", "/cgi-bin/token", **{**CREDS, **change})[1]["errcode"] == errcode


def test_wrong_method_answers_like_wechat(standin: StandIn) -> None:
    assert call(standin, "GET", "/cgi-bin/stable_token")[1]["errcode"] == 43002
    assert call(standin, "POST", "/sns/jscode2session", {})[1]["errcode"] == 43001
    assert call(standin, "GET", "/no/such/api")[0] == 404


@pytest.mark.parametrize(("access_token", "errcode"), [(None, 41001), ("made-up", 40001)], ids=["missing", "unknown"])
def test_token_endpoints_refuse_bad_tokens(standin: StandIn, access_token: str | None, errcode: int) -> None:
    params = {} if access_token is None else {"access_token": access_token}
    for path in ("/wxa/business/getuserphonenumber", "/cgi-bin/message/subscribe/send", "/wxa/msg_sec_check"):
        assert call(standin, "POST", path, {}, **params)[1]["errcode"] == errcode


def test_expire_token_control_gives_42001_then_a_new_token(standin: StandIn) -> None:
    old = token(standin)
    assert call(standin, "POST", "/__standin/expire-token") == (200, {"expired": 1})
    _, answer = call(
        standin, "POST", "/wxa/business/getuserphonenumber", {"code": "phone-13800138000"}, access_token=old
    )
    assert answer == {"errcode": 42001, "errmsg": "access_token expired"}
    new = token(standin)
    assert new != old
    _, answer = call(
        standin, "POST", "/wxa/business/getuserphonenumber", {"code": "phone-13800138000"}, access_token=new
    )
    assert answer["phone_info"]["purePhoneNumber"] == "13800138000"
    assert call(standin, "POST", "/__standin/expire-token", {"revoke": True})[1] == {"expired": 1}
    assert call(standin, "POST", "/wxa/msg_sec_check", {}, access_token=new)[1]["errcode"] == 40001


# -- login ---------------------------------------------------------------------------------------------------


def test_login_codes(standin: StandIn) -> None:
    answer = login(standin, "demo-zhangxiaoyan")
    assert answer["openid"] == "o-zhangxiaoyan" and answer["session_key"] and "unionid" not in answer
    assert "errcode" not in answer
    assert login(standin, "demo-zhangxiaoyan")["openid"] == "o-zhangxiaoyan"
    assert login(standin, "invalid") == {"errcode": 40029, "errmsg": "invalid code"}
    assert login(standin, "used") == {"errcode": 40163, "errmsg": "code been used"}
    assert login(standin, "busy") == {"errcode": -1, "errmsg": "system error"}
    assert login(standin, "limit")["errcode"] == 45011
    assert login(standin, "demo-")["errcode"] == 40029
    assert login(standin, "something")["errcode"] == 40029
    assert login(standin, "wx-abc")["openid"] == "o-wx-abc"
    assert login(standin, "wx-abc")["errcode"] == 40163


def test_login_checks_the_app_and_the_request(standin: StandIn) -> None:
    assert login(standin, "demo-a", secret="nope")["errcode"] == 40125
    assert login(standin, "demo-a", appid="wx-nope")["errcode"] == 40013
    assert login(standin, "demo-a", grant_type="client_credential")["errcode"] == 40002
    assert login(standin, "")["errcode"] == 41008


# -- phone, messages, content --------------------------------------------------------------------------------


def test_phone_number_shape(standin: StandIn) -> None:
    tok = token(standin)
    _, answer = call(
        standin, "POST", "/wxa/business/getuserphonenumber", {"code": "phone-13800138000"}, access_token=tok
    )
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    info = answer["phone_info"]
    assert (info["phoneNumber"], info["purePhoneNumber"], info["countryCode"]) == ("13800138000",) * 2 + ("86",)
    assert info["watermark"]["appid"] == DEFAULT_APPID and isinstance(info["watermark"]["timestamp"], int)
    _, refused = call(standin, "POST", "/wxa/business/getuserphonenumber", {"code": "nope"}, access_token=tok)
    assert refused["errcode"] == 40029
    assert call(standin, "POST", "/wxa/business/getuserphonenumber", {}, access_token=tok)[1]["errcode"] == 47001


def test_subscribe_send_needs_a_consent_per_message(standin: StandIn) -> None:
    tok = token(standin)
    message = {
        "touser": "o-heli",
        "template_id": "TPL",
        "data": {"thing1": {"value": "通知"}},
        "page": "pages/index",
    }
    send = "/cgi-bin/message/subscribe/send"
    assert call(standin, "POST", send, message, access_token=tok)[1]["errcode"] == 43101
    granted = call(standin, "POST", "/__standin/consents", {"openid": "o-heli", "template_id": "TPL", "count": 2})
    assert granted == (200, {"openid": "o-heli", "template_id": "TPL", "remaining": 2})
    first = call(standin, "POST", send, message, access_token=tok)[1]
    second = call(standin, "POST", send, message, access_token=tok)[1]
    assert (first["errcode"], second["errcode"]) == (0, 0) and second["msgid"] > first["msgid"]
    assert call(standin, "POST", send, message, access_token=tok)[1]["errmsg"] == "user refuse to accept the msg"
    _, sent = call(standin, "GET", "/__standin/messages")
    assert [m["msgid"] for m in sent["items"]] == [first["msgid"], second["msgid"]]
    assert sent["items"][0]["data"] == {"thing1": {"value": "通知"}}
    assert call(standin, "GET", "/__standin/consents")[1]["items"] == [
        {"openid": "o-heli", "template_id": "TPL", "remaining": 0}
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"touser": None},
        {"template_id": ""},
        {"data": None},
        {"data": {"thing1": "no value wrapper"}},
        {"miniprogram_state": "prod"},
        {"lang": "fr"},
    ],
)
def test_subscribe_send_validates_arguments(standin: StandIn, change: dict[str, Any]) -> None:
    standin.grant_consent("o-heli", "TPL")
    message = {"touser": "o-heli", "template_id": "TPL", "data": {"thing1": {"value": "x"}}}
    body = {key: value for key, value in {**message, **change}.items() if value is not None}
    _, answer = call(standin, "POST", "/cgi-bin/message/subscribe/send", body, access_token=token(standin))
    assert answer["errcode"] == 47003 and answer["errmsg"].startswith("argument invalid!")
    assert standin.messages() == []


def test_msg_sec_check_v2_and_v1(standin: StandIn) -> None:
    tok = token(standin)
    path = "/wxa/msg_sec_check"

    def check(body: dict[str, Any]) -> dict[str, Any]:
        return dict(call(standin, "POST", path, body, access_token=tok)[1])

    v2 = {"version": 2, "openid": "o-heli", "scene": 3}
    ok = check({**v2, "content": "今年分红已发放"})
    assert ok["errcode"] == 0 and ok["result"] == {"suggest": "pass", "label": 100} and ok["trace_id"]
    risky = check({**v2, "content": "法轮"})
    assert risky["result"]["suggest"] == "risky" and risky["detail"][1]["keyword"] == "法轮"
    assert check({**v2, "content": "色情图片"})["result"] == {"suggest": "risky", "label": 20002}
    assert check({**v2, "content": "加微信领红包"})["result"]["suggest"] == "review"
    assert check({"version": 2, "scene": 3, "content": "x"})["errcode"] == 40003
    assert check({**v2, "version": 3, "content": "x"})["errcode"] == 47001
    assert check({**v2, "scene": 7, "content": "x"})["errcode"] == 47001
    assert check({"content": "赌博"}) == {"errcode": 87014, "errmsg": "risky content"}
    assert check({"content": "开会"}) == {"errcode": 0, "errmsg": "ok"}


# -- control API ---------------------------------------------------------------------------------------------


def test_request_log_names_params_but_not_values_and_skips_control_calls(standin: StandIn) -> None:
    login(standin, "demo-a")
    call(standin, "GET", "/__standin/health")
    _, log = call(standin, "GET", "/__standin/requests")
    assert [(e["method"], e["path"], e["params"]) for e in log["items"]] == [
        ("GET", "/sns/jscode2session", ["appid", "grant_type", "js_code", "secret"])
    ]
    assert DEFAULT_SECRET not in str(log)
    assert call(standin, "DELETE", "/__standin/requests")[0] == 200
    assert call(standin, "GET", "/__standin/requests")[1] == {"items": []}


def test_faults_count_down_and_clear(standin: StandIn) -> None:
    fault = {"path": "/sns/jscode2session", "mode": "errcode", "errcode": -1, "times": 2}
    status, created = call(standin, "POST", "/__standin/faults", fault)
    assert status == 201 and created["fault"]["times"] == 2 and created["fault"]["errmsg"] == "system error"
    assert login(standin, "demo-a") == {"errcode": -1, "errmsg": "system error"}
    assert login(standin, "demo-a")["errcode"] == -1
    assert login(standin, "demo-a")["openid"] == "o-a"
    call(standin, "POST", "/__standin/faults", {"mode": "errcode", "errcode": 45009})  # any path, until cleared
    assert login(standin, "demo-a")["errcode"] == 45009
    assert login(standin, "demo-a")["errcode"] == 45009
    assert len(call(standin, "GET", "/__standin/faults")[1]["items"]) == 1
    assert call(standin, "DELETE", "/__standin/faults") == (200, {"cleared": 1})
    assert login(standin, "demo-a")["openid"] == "o-a"


def test_http500_and_drop_faults(standin: StandIn) -> None:
    call(standin, "POST", "/__standin/faults", {"path": "/sns/jscode2session", "mode": "http500", "times": 1})
    res = requests.get(standin.base_url + "sns/jscode2session", timeout=5)
    assert res.status_code == 500
    call(standin, "POST", "/__standin/faults", {"path": "/sns/jscode2session", "mode": "drop", "times": 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(standin.base_url + "sns/jscode2session", timeout=5)


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "explode"},
        {"path": "sns/jscode2session", "mode": "drop"},
        {"mode": "delay", "delay": 120},
        {"mode": "drop", "times": 0},
        {"mode": "errcode", "errcode": "x"},
        {"path": "/x"},
    ],
)
def test_bad_fault_requests_are_refused(standin: StandIn, fault: dict[str, Any]) -> None:
    status, answer = call(standin, "POST", "/__standin/faults", fault)
    assert status == 400 and answer["error"]
    assert standin.state.faults() == []


def test_bad_control_requests(standin: StandIn) -> None:
    assert call(standin, "POST", "/__standin/consents", {"openid": "o-a"})[0] == 400
    assert call(standin, "POST", "/__standin/consents", {"openid": "o-a", "template_id": "T", "count": 0})[0] == 400
    assert call(standin, "POST", "/__standin/consents", ["not", "an", "object"])[0] == 400
    assert call(standin, "GET", "/__standin/nothing-here")[0] == 404
    assert call(standin, "GET", "/__standin/health") == (200, {"status": "ok", "appid": DEFAULT_APPID})


def test_reset_forgets_everything(standin: StandIn) -> None:
    old = token(standin)
    login(standin, "wx-once")
    standin.grant_consent("o-a", "T")
    call(standin, "POST", "/__standin/faults", {"path": "/x", "mode": "drop"})
    assert call(standin, "POST", "/__standin/reset") == (200, {"status": "reset"})
    assert standin.requests() == [] and standin.state.faults() == [] and standin.state.consents() == []
    assert login(standin, "wx-once")["openid"] == "o-wx-once"
    assert call(standin, "POST", "/wxa/msg_sec_check", {}, access_token=old)[1]["errcode"] == 40001


# -- server lifecycle and CLI --------------------------------------------------------------------------------


def test_stop_cuts_delayed_requests_short() -> None:
    server = StandIn().start()
    server.add_fault(None, "delay", delay=30)
    outcome: list[str] = []

    def slow() -> None:
        try:
            requests.get(server.base_url + "sns/jscode2session", timeout=10)
            outcome.append("answered")
        except requests.RequestException:
            outcome.append("failed")

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    server.stop()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert outcome == ["failed"] and not server.running
    server.stop()  # stopping twice is harmless


def test_start_on_the_class_builds_a_standin() -> None:
    server = StandIn.start(port=0, appid="wx-cls", unionid=True)
    try:
        assert isinstance(server, StandIn) and server.running
        assert call(server, "GET", "/__standin/health")[1]["appid"] == "wx-cls"
        assert login(server, "demo-a", appid="wx-cls")["unionid"] == "u-a"
    finally:
        server.stop()
    assert not server.running


def test_standin_context_manager_and_restart() -> None:
    server = StandIn(appid="wx-x", secret="s-x")
    with server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/"
        assert call(server, "GET", "/__standin/health")[1]["appid"] == "wx-x"
        with pytest.raises(RuntimeError):
            server.start()
    with pytest.raises(RuntimeError):
        _ = server.port
    with server.start():
        assert call(server, "GET", "/__standin/health")[0] == 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_writes_port_file_and_stops_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    port_file = tmp_path / "standin.port"
    command = [sys.executable, "-m", "backend.wechat.standin", "--port", "0", "--port-file", str(port_file)]
    command += ["--appid", "wx-cli", "--secret", "cli-secret"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            port = int(port_file.read_text().strip())
            assert line == f"WeChat stand-in listening on http://127.0.0.1:{port}/"
            base = f"http://127.0.0.1:{port}/"
            res = requests.post(
                base + "cgi-bin/stable_token",
                json={"grant_type": "client_credential", "appid": "wx-cli", "secret": "cli-secret"},
                timeout=5,
            )
            assert res.json()["expires_in"] == 7200
            proc.send_signal(sig)
            _, stderr = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0
    assert "POST /cgi-bin/stable_token 200" in stderr
    assert "cli-secret" not in stderr and "Traceback" not in stderr
    assert not port_file.exists()
