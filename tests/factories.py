"""Small ``gen``-style factories for tests (CTFd's idea): real rows through the real services."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from backend import registry
from backend.auth import service as auth_service
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_seq = itertools.count(1)


def id_card(born: date = date(1980, 1, 1), female: bool = False, region: str = "371427", n: int | None = None) -> str:
    """A valid 18-character ID number (checksum right), unique per call unless ``n`` is given."""
    k = n if n is not None else next(_seq)
    order = (k * 2) % 1000 if female else (k * 2 + 1) % 1000
    if n is None and k >= 500:  # stay unique across many calls by moving the county code, never the birth date
        region = region[:4] + f"{(int(region[4:]) + k // 500) % 100:02d}"
    body = f"{region}{born:%Y%m%d}{order:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


class Factory:
    def township(self, code: str = "QS", name: str = "青山镇") -> Township:
        return registry.ensure_township(code, name)

    def village(self, code: str = "LJ01", name: str = "临江村", township: Township | None = None) -> Village:
        return registry.ensure_village(township or self.township(), code, name)

    def household(self, village: Village, number: str | None = None, **kw: Any) -> Household:
        number = number or f"{village.code[:2]}-F{next(_seq):03d}"  # F: never one a test names itself
        return registry.create_household(village, number, actor=None, **kw)

    def member(
        self,
        village: Village,
        name: str = "张三",
        *,
        household: Household | None = None,
        id_no: str | None = None,
        phone: str | None = None,
        head: bool | None = None,
        roles: tuple[str, ...] = (),
        collective: bool = True,
    ) -> Member:
        h = household or self.household(village)
        is_head = head if head is not None else not any(m.is_head for m in h.members)
        m = registry.add_member(
            village,
            registry.MemberInput(
                name=name,
                id_card=id_no or id_card(),
                household_number=h.number,
                is_head=is_head,
                relation="户主" if is_head else "子女",
                phone=phone,
                is_collective_member=collective,
            ),
            actor=None,
        )
        for role in roles:
            self.role(m.person, role, village=village)
        db.session.flush()
        return m

    def staff(
        self, township: Township, name: str = "郑雯", *, id_no: str | None = None, role: str = "township_staff"
    ) -> Person:
        p = registry.add_staff_person(name, id_no or id_card(), township, actor=None)
        self.role(p, role, township=township)
        return p

    def role(
        self, person: Person, role: str, *, village: Village | None = None, township: Township | None = None
    ) -> RoleAssignment:
        return registry.grant_role(person, role, village=village, township=township, actor=None)

    def token(self, person: Person | Member) -> str:
        pid = person.person_id if isinstance(person, Member) else person.id
        raw, _ = auth_service.issue_token(pid, None)
        db.session.commit()
        return raw

    def headers(self, person: Person | Member) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person)}"}

    def principal(self, person: Person | Member) -> Principal:
        pid = person.person_id if isinstance(person, Member) else person.id
        p = registry.load_principal(pid)
        assert p is not None
        return p


def resolved_decision(
    village_id: int, title: str, category: str, amount_fen: int | None, resolved_on: date
) -> Decision:
    """A decision resolved outside the app (no stages): the row the ledger, dividends and land cite."""
    d = Decision(village_id=village_id, title=title, category=category, amount_fen=amount_fen, status="resolved",
                 resolved_on=resolved_on, updated_at=utcnow())
    db.session.add(d)
    db.session.flush()
    return d


def parallel(app: Any, calls: list[Any]) -> list[Any]:
    """Run each ``call(test_client)`` in its own thread with its own app context, all released at once by a
    barrier (for races on PostgreSQL); returns their results in order."""
    import threading

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, fn: Any) -> None:
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            try:
                results[i] = fn(c)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results
