"""Fixtures for the public-benefit job tests: a village with its books and a secretary, on a fixed clock, and
small helpers that walk a posting over HTTP from application to pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.seal import Seal
from backend.jobs.models import JobApplication, JobDraw, JobHire, JobObjection, JobPay, JobPosting
from backend.ledger import service as ledger
from backend.ledger.models import Voucher
from backend.registry.models import Household, Member, Township, Village
from tests.factories import Factory, id_card

# Monday 2 March 2026, 09:00 in 临江村 (01:00 UTC): every date in these tests counts from here
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DAY0 = date(2026, 3, 2)


def count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return int(db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def snapshot() -> tuple[int, ...]:
    """Rows of every jobs table, seals, vouchers and audit entries: a refusal leaves all of them as they were.
    (The test client shares the test's session: a refused request's leftovers are rolled back here as the
    app's teardown would.)"""
    db.session.rollback()
    return tuple(count(m) for m in (JobPosting, JobApplication, JobDraw, JobObjection, JobHire, JobPay, Seal,
                                    Voucher, AuditEntry))


def refused(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.json
    if code is not None:
        assert r.json["error"]["code"] == code, r.json
    db.session.rollback()
    return r.json["error"]


@dataclass
class Jobs:
    client: FlaskClient
    make: Factory
    now: list[datetime]
    township: Township
    village: Village
    secretary: Member

    # ------------------------------------------------------------ time and people

    def at(self, when: datetime) -> None:
        self.now[0] = when

    def later(self, **delta: float) -> None:
        self.now[0] = self.now[0] + timedelta(**delta)

    def h(self, who: Any) -> dict[str, str]:
        return self.make.headers(who)

    def sec(self) -> dict[str, str]:
        return self.make.headers(self.secretary)

    def villager(self, name: str = "刘小梅", *, born: date = date(1975, 6, 1), household: Household | None = None,
                 village: Village | None = None, roles: tuple[str, ...] = (), female: bool = False,
                 **household_flags: bool) -> Member:
        v = village or self.village
        h = household or self.make.household(v, **household_flags)
        m = self.make.member(v, name, household=h, id_no=id_card(born=born, female=female), roles=roles)
        db.session.commit()
        return m

    # ------------------------------------------------------------ a posting over HTTP

    def posting_body(self, **over: Any) -> dict[str, Any]:
        start = self.now[0]
        body: dict[str, Any] = {
            "title": "村道保洁员", "category": "保洁", "positions": 2, "monthly_wage": "600.00",
            "apply_from": (start - timedelta(hours=1)).isoformat(),
            "apply_until": (start + timedelta(days=7)).isoformat()}
        body.update(over)
        return body

    def post(self, **over: Any) -> Any:
        return self.client.post(f"/api/v1/villages/{self.village.id}/job-postings", headers=self.sec(),
                                json=self.posting_body(**over))

    def posting(self, **over: Any) -> int:
        r = self.post(**over)
        assert r.status_code == 201, r.json
        return int(r.json["id"])

    def apply(self, pid: int, who: Any, **body: Any) -> Any:
        return self.client.post(f"/api/v1/job-postings/{pid}/applications", headers=self.h(who), json=body)

    def applied(self, pid: int, *people: Any) -> list[dict[str, Any]]:
        out = []
        for m in people:
            r = self.apply(pid, m)
            assert r.status_code == 201, r.json
            out.append(r.json)
        return out

    def detail(self, pid: int, who: Any = None) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/job-postings/{pid}", headers=self.h(who) if who else self.sec())
        assert r.status_code == 200, r.json
        return r.json

    def close_window(self, pid: int) -> None:
        self.at(db.session.get(JobPosting, pid).apply_until + timedelta(seconds=1))

    def seal(self, pid: int) -> Any:
        return self.client.post(f"/api/v1/job-postings/{pid}/seal", headers=self.sec())

    def draw(self, pid: int, seed: str = "05-17-23-31-42") -> Any:
        return self.client.post(f"/api/v1/job-postings/{pid}/draw", headers=self.sec(), json={"seed": seed})

    def drawn(self, pid: int, seed: str = "05-17-23-31-42") -> dict[str, Any]:
        """Close the window, seal the list and draw with ``seed``; the posting as staff see it."""
        self.close_window(pid)
        r = self.seal(pid)
        assert r.status_code == 200, r.json
        r = self.draw(pid, seed)
        assert r.status_code == 200, r.json
        return r.json

    def confirm(self, pid: int, start_on: date | None = None) -> Any:
        return self.client.post(f"/api/v1/job-postings/{pid}/hires", headers=self.sec(),
                                json={"start_on": (start_on or today()).isoformat()})

    def hired(self, pid: int, start_on: date | None = None, seed: str = "05-17-23-31-42") -> list[dict[str, Any]]:
        """Draw, let the 公示 pass, confirm: the hires."""
        d = self.drawn(pid, seed)
        self.at(datetime.combine(date.fromisoformat(d["publicity_until"]) + timedelta(days=1),
                                 datetime.min.time(), tzinfo=UTC) + timedelta(hours=2))
        r = self.confirm(pid, start_on)
        assert r.status_code == 201, r.json
        return r.json["items"]


@pytest.fixture
def jobs(client: FlaskClient, make: Factory, now: list[datetime]) -> Jobs:
    now[0] = T0
    qs = make.township("QS", "青山镇")
    village = make.village("LJ01", "临江村", township=qs)
    ledger.ensure_chart(village)
    secretary = make.member(village, "王建国", id_no=id_card(born=date(1970, 5, 5)), roles=("secretary",))
    db.session.commit()
    return Jobs(client, make, now, qs, village, secretary)
