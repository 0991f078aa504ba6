"""A vote's view reads the caller's standing (elector, voted, proxy used; any assisted ballot) in one statement and
the assisted ballots' counts only if there are some; a decision's view reads its votes once (settled, then shown)."""

from __future__ import annotations

from tests.decisions.votes.test_votes import _cast, _open, w  # noqa: F401  (the fixture)
from tests.land.conftest import statements

STANDING = ("FROM vote_electors", "FROM vote_participations", "FROM vote_proxies")


def test_a_vote_reads_the_callers_standing_in_one_statement(app, client, make, w):  # noqa: F811
    vote = _open(w, make, client)
    assert _cast(client, make, w["reps"][0], vote["id"]).status_code == 201
    for who, eligible, voted in ((w["reps"][0], True, True), (w["reps"][1], True, False), (w["plain"], False, False)):
        r, seen = statements(app, f"/api/v1/votes/{vote['id']}", make.headers(who))
        assert r.status_code == 200
        assert (r.json["eligible"], r.json["has_voted"], r.json["my_proxy_used_at"]) == (eligible, voted, None)
        assert len([s for s in seen if any(t in s for t in STANDING)]) == 1, "\n".join(seen)


def test_a_decision_reads_its_votes_once(app, client, make, w):  # noqa: F811
    _open(w, make, client, stage="决议")
    _open(w, make, client, stage="审议")
    r, seen = statements(app, f"/api/v1/decisions/{w['decision'].id}", make.headers(w["plain"]))
    assert r.status_code == 200 and len(r.json["votes"]) == 2
    assert len([s for s in seen if "FROM votes" in s]) == 1, "\n".join(seen)


def test_a_vote_reads_its_assisted_ballots_only_if_it_has_some(app, client, make, w):  # noqa: F811
    vote = _open(w, make, client)
    r, seen = statements(app, f"/api/v1/votes/{vote['id']}", make.headers(w["plain"]))
    assert r.status_code == 200 and r.json["assisted"] == []
    assert not [s for s in seen if "FROM vote_assists" in s], "\n".join(seen)


def test_a_vote_with_an_assisted_ballot_shows_who_entered_it(app, client, make, now):
    from tests.assisted.test_assisted import w as assisted_world

    world = assisted_world.__wrapped__(client, make, now)  # the assisted tests' village and vote
    e = world.enter()
    assert e.status_code == 201, e.json
    assert world.cosign(e.json["id"]).status_code == 200
    r, _ = statements(app, f"/api/v1/votes/{world.vote_id}", make.headers(world.son))
    assert r.status_code == 200
    assert r.json["assisted"] == [{"entered_by": "王建国", "cosigned_by": "赵德明", "count": 1}]
