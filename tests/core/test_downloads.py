"""Download links (core/downloads.py): a file arrives by a plain GET, the link names the token without carrying it,
lives DOWNLOAD_LINK_SECONDS, opens only its own path, only while the token is live, and the target's permission
check still runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from backend.auth.models import ApiToken
from backend.core.clock import to_iso
from backend.core.db import db
from tests.factories import Factory
from tests.security.conftest import assert_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def place(make: Factory) -> dict[str, Any]:
    village = make.village()
    secretary = make.member(village, "李书记", roles=("secretary",))
    villager = make.member(village, "张大山")
    other = make.village("BS01", "白石村", township=make.township("BS", "白石镇"))
    stranger = make.member(other, "王外村", roles=("secretary",))
    raw = make.token(secretary)
    return {"village": village, "secretary": secretary, "villager": villager, "other": other, "stranger": stranger,
            "raw": raw, "headers": {"Authorization": f"Bearer {raw}"}}


def _link(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, Any]:
    r = client.post("/api/v1/download-links", json={"path": path}, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_link_opens_the_file_by_a_plain_get_without_the_token(client: FlaskClient, place: dict[str, Any],
                                                                 now: list[Any]) -> None:
    path = f"/api/v1/villages/{place['village'].id}/roster.xlsx"
    link = _link(client, place["headers"], path)
    url = link["url"]
    assert url.startswith("/api/v1/dl/") and url.endswith(f"/villages/{place['village'].id}/roster.xlsx")
    assert place["raw"] not in url  # the token never appears in the URL
    assert link["expires_at"] == to_iso(now[0] + timedelta(seconds=120))

    r = client.get(url)  # no Authorization header at all
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == XLSX
    assert r.data[:2] == b"PK"
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.data == client.get(path, headers=place["headers"]).data  # the same file as with the header


def test_a_link_keeps_its_query_and_opens_only_that_query(client: FlaskClient, make: Factory) -> None:
    township = make.township()
    make.village(township=township)
    staff = make.staff(township)
    headers = make.headers(staff)
    link = _link(client, headers, f"/api/v1/townships/{township.id}/progress.xlsx?year=2026&month=3")
    assert link["url"].endswith("progress.xlsx?year=2026&month=3")
    r = client.get(link["url"])
    assert r.status_code == 200 and r.mimetype == XLSX
    assert "2026-03" in r.headers["Content-Disposition"]
    other_month = link["url"].replace("month=3", "month=4")
    assert_error(client.get(other_month), 401, "download.link_invalid")


def test_a_link_for_another_path_or_a_tampered_one_is_refused(client: FlaskClient, place: dict[str, Any]) -> None:
    vid = place["village"].id
    url = _link(client, place["headers"], f"/api/v1/villages/{vid}/roster.xlsx")["url"]
    signed = url.split("/")[4]
    # the signature of one file does not open another (the job pay sheet is also a download)
    assert_error(client.get(f"/api/v1/dl/{signed}/villages/{vid}/share-register.xlsx"), 401, "download.link_invalid")
    assert_error(client.get(url.replace(f"villages/{vid}/", f"villages/{vid + 1}/")), 401, "download.link_invalid")
    tampered = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert_error(client.get(url.replace(signed, tampered)), 401, "download.link_invalid")
    # not a download at all, through the link
    assert_error(client.get(f"/api/v1/dl/{signed}/villages/{vid}"), 401, "download.link_invalid")
    assert_error(client.get("/api/v1/dl/"), 401, "download.link_invalid")
    # a link answers GET only
    assert_error(client.post(url), 405)


def test_a_link_expires(client: FlaskClient, place: dict[str, Any], now: list[Any]) -> None:
    url = _link(client, place["headers"], f"/api/v1/villages/{place['village'].id}/roster.xlsx")["url"]
    now[0] += timedelta(seconds=119)
    assert client.get(url).status_code == 200
    now[0] += timedelta(seconds=3)
    assert_error(client.get(url), 401, "download.link_expired")


def test_a_link_dies_with_its_token(client: FlaskClient, place: dict[str, Any]) -> None:
    url = _link(client, place["headers"], f"/api/v1/villages/{place['village'].id}/roster.xlsx")["url"]
    assert client.post("/api/v1/auth/logout", headers=place["headers"]).status_code == 204
    assert_error(client.get(url), 401)


def test_a_link_outlives_no_token(client: FlaskClient, place: dict[str, Any], now: list[Any]) -> None:
    """A token that expires 60 s from now: its link (120 s) stops with it."""
    db.session.execute(update(ApiToken).values(expires_at=now[0] + timedelta(seconds=60)))
    db.session.commit()
    url = _link(client, place["headers"], f"/api/v1/villages/{place['village'].id}/roster.xlsx")["url"]
    assert client.get(url).status_code == 200
    now[0] += timedelta(seconds=61)
    assert_error(client.get(url), 401, "auth.token_expired")


def test_the_targets_permission_check_still_runs(client: FlaskClient, place: dict[str, Any], make: Factory) -> None:
    vid = place["village"].id
    # a stranger makes a link for another village's file: the link is made, the file stays 404 through it
    stranger = make.headers(place["stranger"])
    url = _link(client, stranger, f"/api/v1/villages/{vid}/roster.xlsx")["url"]
    assert_error(client.get(url), 404)
    # a villager of the village without the roster permission: 403 as with the header
    villager = make.headers(place["villager"])
    url = _link(client, villager, f"/api/v1/villages/{vid}/roster.xlsx")["url"]
    assert_error(client.get(url), 403)


def test_an_authorization_header_does_not_add_to_a_link(client: FlaskClient, place: dict[str, Any],
                                                        make: Factory) -> None:
    """The link acts only as the token it names: a header sent along is dropped, so it cannot lend more."""
    vid = place["village"].id
    url = _link(client, make.headers(place["villager"]), f"/api/v1/villages/{vid}/roster.xlsx")["url"]
    assert_error(client.get(url, headers=place["headers"]), 403)


@pytest.mark.parametrize("path", [
    "/api/v1/villages/{vid}",  # a JSON read, not a file
    "/api/v1/villages/{vid}/roster.xlsx/extra",
    "/api/v1/villages/{vid}/members/import.xlsx",  # no such GET route
    "/villages/{vid}/roster.xlsx",  # not under /api/v1/
    "https://example.com/api/v1/villages/{vid}/roster.xlsx",
    "/api/v1/dl/x/villages/{vid}/roster.xlsx",
    "/api/v1/villages/{vid}/roster.xlsx#top",
])
def test_only_downloads_get_a_link(client: FlaskClient, place: dict[str, Any], path: str) -> None:
    r = client.post("/api/v1/download-links", json={"path": path.format(vid=place["village"].id)},
                    headers=place["headers"])
    err = assert_error(r, 422, "download.not_a_file")
    assert "下载" in err["message"]


def test_making_a_link_needs_a_login_and_a_path(client: FlaskClient, place: dict[str, Any]) -> None:
    path = f"/api/v1/villages/{place['village'].id}/roster.xlsx"
    assert_error(client.post("/api/v1/download-links", json={"path": path}), 401)
    assert_error(client.post("/api/v1/download-links", json={}, headers=place["headers"]), 422)
    assert_error(client.post("/api/v1/download-links", json={"path": path, "x": 1}, headers=place["headers"]), 422)


def test_a_console_tokens_link_stops_when_its_person_is_no_longer_staff(client: FlaskClient, place: dict[str, Any],
                                                                         make: Factory) -> None:
    from backend.auth import service as auth_service
    from backend.registry.models import RoleAssignment

    raw, _ = auth_service.issue_token(place["secretary"].person_id, None, kind="console")
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    url = _link(client, headers, f"/api/v1/villages/{place['village'].id}/roster.xlsx")["url"]
    assert client.get(url).status_code == 200
    assignment = db.session.execute(select(RoleAssignment).where(
        RoleAssignment.person_id == place["secretary"].person_id)).scalar_one()
    assignment.valid_to = assignment.valid_from
    db.session.commit()
    assert_error(client.get(url), 401, "auth.not_staff_anymore")
    assert_error(client.get(f"/api/v1/villages/{place['village'].id}/roster.xlsx", headers=headers), 401,
                 "auth.not_staff_anymore")
