"""Two API hosts behind one load balancer, sharing PostgreSQL and Redis: what one host does, the other knows at once.

Hosts A and B are two gunicorns (tests/ops/hosts.py) on a fresh database of this test's own, the same Redis (db 11
of the local server; the counters under a key prefix of the run's own, deleted afterwards), ``TRUSTED_PROXIES=1`` (as
behind nginx) and ``RATELIMIT_LOGIN="3 per minute"``. A host keeps in memory only a village's public pages
(backend/core/shared_pages.py), each under the page version the database holds and every request reads with its
token: what one host wrote, the other reads on its very next request, with no waiting.

1. A villager's ``/me`` has been read on both hosts. Logout on A: B refuses the token (401) on the very next
   request; the villager's other token still works on both.
2. The villager's notice list has been read on B; the villager marks a notice read through A, and the secretary
   publishes another through A: B's very next read shows each.
3. The village's share types have been read twice on B (the second from B's memory); the secretary adds one through
   A: B's very next read shows it.
4. The login limit is counted in Redis across both hosts: three logins from one address over A, B, A pass, the
   fourth is 429 on B and on A, with the Chinese message and Retry-After; another address still logs in.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
import requests

from backend import create_app
from backend.core.db import db
from backend.core.ratelimit import MESSAGE as TOO_MANY
from backend.notices import service as notices
from backend.wechat.standin import StandIn
from tests.factories import Factory
from tests.notices.conftest import bind
from tests.ops.conftest import fresh_pg_database
from tests.ops.hosts import Host, hosts

REDIS_URL = "redis://127.0.0.1:6379/11"
LOGIN = "/api/v1/auth/wechat-login"


def _seed(url: str, standin: StandIn) -> dict[str, Any]:
    """临江村 with the villager 张大山 (two tokens), its secretary 王书记 (a token) and one notice; committed."""
    from flask_migrate import upgrade

    setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "REDIS_URL": None,
                        "WECHAT_API_BASE_URL": standin.base_url})
    with setup.app_context():
        upgrade()
        make = Factory()
        village = make.village()
        zhang = make.member(village, "张大山")
        secretary = make.member(village, "王书记", roles=("secretary",))
        bind(secretary.person_id, "openid-secretary")
        first = notices.publish(notices.NoticeInput(title="停水通知", body="周三停水"),
                                actor=make.principal(secretary), village=village)
        db.session.commit()
        seeded = {"village_id": village.id, "person_id": zhang.person_id, "notice_id": first.id,
                  "logout_token": make.token(zhang), "token": make.token(zhang), "secretary": make.token(secretary)}
        db.session.remove()
        db.engine.dispose()
    return seeded


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(host: Host, path: str, token: str) -> requests.Response:
    return requests.get(f"{host.base}/api/v1{path}", headers=_auth(token), timeout=10)


@pytest.fixture(scope="module")
def two_hosts(database_url: str, standin: StandIn) -> Any:
    """One pair of hosts for the module (each test uses tokens and addresses of its own)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL stage")
    standin.reset()
    prefix = f"two-hosts-{uuid.uuid4().hex[:8]}"  # the counters of this run, whoever else uses db 11
    shared = redis.Redis.from_url(REDIS_URL)
    try:
        with fresh_pg_database(database_url, "hosts") as url:
            seeded = _seed(url, standin)
            env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "TRUSTED_PROXIES": "1", "RATELIMIT_ENABLED": "1",
                   "RATELIMIT_LOGIN": "3 per minute", "RATELIMIT_KEY_PREFIX": prefix,
                   "WECHAT_API_BASE_URL": standin.base_url, "LOG_LEVEL": "WARNING", "APP_ENV": "development"}
            with hosts(("A", "B"), env) as started:
                yield started["A"], started["B"], url, seeded, (shared, prefix)
    finally:
        for key in shared.scan_iter(match=f"*{prefix}*"):
            shared.delete(key)
        shared.close()


def test_a_logout_on_one_host_is_refused_by_the_other_at_once(app: Any, two_hosts: Any) -> None:
    a, b, _, seeded, _ = two_hosts
    token = seeded["logout_token"]
    for host in (a, b):
        assert _get(host, "/me", token).json()["name"] == "张大山"
    assert requests.post(f"{a.base}/api/v1/auth/logout", headers=_auth(token), timeout=10).status_code == 204
    answer = _get(b, "/me", token)  # the very next request, on the other host
    assert answer.status_code == 401, f"host B still answers a logged-out token: {answer.status_code} {answer.text}"
    assert answer.json()["error"]["message"]
    assert _get(a, "/me", token).status_code == 401
    # and keeps refusing it; the villager's other token is still good on both
    assert _get(b, "/me", token).status_code == 401
    for host in (a, b):
        assert _get(host, "/me", seeded["token"]).status_code == 200


def test_a_write_through_one_host_is_read_on_the_other(app: Any, two_hosts: Any) -> None:
    a, b, _, seeded, _ = two_hosts
    token, notice_id = seeded["token"], seeded["notice_id"]

    def listed(host: Host) -> dict[int, bool]:
        resp = _get(host, "/me/notices", token)
        assert resp.status_code == 200, resp.text
        return {item["id"]: item["read"] for item in resp.json()["items"]}

    assert listed(b) == {notice_id: False}
    # the villager reads the notice through A
    assert requests.post(f"{a.base}/api/v1/notices/{notice_id}/read", headers=_auth(token),
                         timeout=10).status_code == 204
    assert listed(b) == {notice_id: True}
    # the secretary publishes another through A
    published = requests.post(f"{a.base}/api/v1/villages/{seeded['village_id']}/notices",
                              headers=_auth(seeded["secretary"]), json={"title": "开会通知", "body": "今晚七点开会。"},
                              timeout=10)
    assert published.status_code == 201, published.text
    second = published.json()["id"]
    assert listed(b) == {notice_id: True, second: False}
    assert listed(a) == {notice_id: True, second: False}


def test_a_page_one_host_keeps_is_fresh_after_a_write_through_the_other(app: Any, two_hosts: Any) -> None:
    a, b, _, seeded, _ = two_hosts
    path = f"/villages/{seeded['village_id']}/share-types"

    def names(host: Host) -> list[str]:
        resp = _get(host, path, seeded["token"])
        assert resp.status_code == 200, resp.text
        return [t["name"] for t in resp.json()["items"]]

    kept = names(b)
    assert names(b) == kept  # B keeps it now (tests/core/test_shared_pages.py counts the hits)
    added = requests.post(f"{a.base}/api/v1{path}", headers=_auth(seeded["secretary"]),
                          json={"code": "labor", "name": "劳龄股"}, timeout=10)
    assert added.status_code == 201, added.text
    after = names(b)  # the very next read, on the other host
    assert sorted(after) == sorted([*kept, "劳龄股"])
    assert "劳龄股" in names(a)


def test_the_login_limit_is_counted_across_both_hosts_in_redis(app: Any, two_hosts: Any) -> None:
    a, b, _, _, (shared, prefix) = two_hosts
    suffix = uuid.uuid4().int
    address = f"198.18.{suffix % 250}.{suffix // 250 % 250 + 1}"  # nginx's X-Forwarded-For: the client
    other = f"198.19.{suffix % 250}.{suffix // 250 % 250 + 1}"

    def login(host: Host, n: int, client: str = address) -> requests.Response:
        return requests.post(f"{host.base}{LOGIN}", json={"code": f"demo-hosts-{n}"},
                             headers={"X-Forwarded-For": client}, timeout=10)

    for n, host in enumerate((a, b, a)):
        resp = login(host, n)
        assert resp.status_code == 200, resp.text
        assert resp.json()["bind_ticket"]
    # the counter is one, in Redis, under this deployment's prefix
    assert [k for k in shared.scan_iter(match=f"*{prefix}*{address}*")]
    for host in (b, a):
        refused = login(host, 9)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "request.too_many"
        assert refused.json()["error"]["message"] == TOO_MANY
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 61  # what is left of the minute, rounded up
        assert refused.json()["error"]["details"]["retry_after_seconds"] == wait
    # another address has its own count, on either host
    assert login(b, 10, other).status_code == 200
    assert login(a, 11, other).status_code == 200
