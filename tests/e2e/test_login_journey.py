"""The login journey over real HTTP: client → API (a real server) → wechatpy → WeChat stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from backend.core.db import db

ZHANG_ID = "37142719720415051X"


@pytest.fixture
def api_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_login_bind_me_logout_over_http(api_url, make, standin):
    v = make.village()
    make.member(v, "张大山", household=make.household(v, "LJ-005"), id_no=ZHANG_ID)
    db.session.commit()
    standin.state.clear_requests()
    with requests.Session() as http:
        r = http.post(f"{api_url}/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan"}, timeout=10)
        assert r.status_code == 200 and r.json()["bound"] is False
        ticket = r.json()["bind_ticket"]

        r = http.post(
            f"{api_url}/api/v1/auth/bind",
            json={"bind_ticket": ticket, "village_code": "LJ01", "name": "张大山", "id_card_last6": "15051X"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}

        me = http.get(f"{api_url}/api/v1/me", headers=auth, timeout=10)
        assert me.status_code == 200
        assert me.headers["Content-Type"].startswith("application/json")
        body = me.json()
        assert body["member"]["name"] == "张大山" and body["village"]["code"] == "LJ01"
        assert body["township"]["name"] == "青山镇" and "member" in body["roles"]

        # logging in again goes straight through
        again = http.post(f"{api_url}/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan"}, timeout=10)
        assert again.json()["bound"] is True and again.json()["user"]["member"]["name"] == "张大山"

        assert http.post(f"{api_url}/api/v1/auth/logout", headers=auth, timeout=10).status_code == 204
        gone = http.get(f"{api_url}/api/v1/me", headers=auth, timeout=10)
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "auth.token_invalid"

    # two wx.login exchanges reached WeChat (the access token is cached between calls)
    paths = [entry["path"] for entry in standin.state.requests()]
    assert paths.count("/sns/jscode2session") == 2


def test_wechat_timeout_is_502_within_the_timeout(api_url, app, standin):
    standin.add_fault("/sns/jscode2session", "delay", delay=app.config["WECHAT_TIMEOUT"] + 3, times=1)
    try:
        r = requests.post(
            f"{api_url}/api/v1/auth/wechat-login", json={"code": "demo-slow"}, timeout=app.config["WECHAT_TIMEOUT"] + 2
        )
    finally:
        standin.clear_faults()
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "wechat.unavailable"
    assert r.elapsed.total_seconds() < app.config["WECHAT_TIMEOUT"] + 1
