"""The village most decision tests work in: a secretary, two committee members, nine party members (the secretary
among them), five representatives (seven with the committee), a plain villager, and another village's secretary."""

from __future__ import annotations

import pytest

from backend.core.db import db


@pytest.fixture
def w(make):
    v = make.village()
    secretary = make.member(v, "王建国", roles=("secretary", "party_member"))
    committee = [make.member(v, f"委员{i}", roles=("committee",)) for i in range(2)]
    party = [make.member(v, f"党员{i}", roles=("party_member",)) for i in range(8)]  # 9 with the secretary
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(5)]  # 7 with the committee
    plain = make.member(v, "张大山")
    other = make.village("XZ02", "新竹村")
    stranger = make.member(other, "周海", roles=("secretary",))
    db.session.commit()
    return {"v": v, "sec": secretary, "committee": committee, "party": [secretary, *party], "reps": reps,
            "plain": plain, "other": other, "stranger": stranger}
