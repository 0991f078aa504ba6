"""SQL statements of the job reads do not grow with the data (no N+1): a posting's detail, for the staff and for a
villager, open and in its 公示, with few and with more applicants; the list with one and with more postings."""

from __future__ import annotations

from datetime import date

from backend.core.db import db
from tests.jobs.conftest import Jobs
from tests.land.conftest import statements

API = "/api/v1"


def people(jobs: Jobs, start: int, n: int) -> list:
    return [jobs.villager(f"村民{i}", born=date(1970 + i, 1, 1)) for i in range(start, start + n)]


def detail_counts(app, jobs: Jobs, pid: int, villager) -> dict[str, int]:
    db.session.commit()
    out = {}
    for who, headers in (("staff", jobs.sec()), ("villager", jobs.h(villager))):
        r, seen = statements(app, f"{API}/job-postings/{pid}", headers)
        assert r.status_code == 200, r.json
        out[who] = len(seen)
    return out


def test_a_postings_detail_reads_a_fixed_number_of_statements(app, jobs):
    few, more = jobs.posting(), jobs.posting(title="护林员")
    reader = jobs.villager("读者", born=date(1980, 1, 1))
    jobs.applied(few, *people(jobs, 0, 2))
    jobs.applied(more, *people(jobs, 2, 6))
    open_few, open_more = detail_counts(app, jobs, few, reader), detail_counts(app, jobs, more, reader)
    assert open_few == open_more, (open_few, open_more)
    assert open_few["staff"] <= 8 and open_few["villager"] <= 6, open_few
    jobs.drawn(few)
    jobs.drawn(more)
    drawn_few, drawn_more = detail_counts(app, jobs, few, reader), detail_counts(app, jobs, more, reader)
    assert drawn_few == drawn_more, (drawn_few, drawn_more)
    assert drawn_few["staff"] <= 8 and drawn_few["villager"] <= 5, drawn_few


def test_the_posting_list_reads_a_fixed_number_of_statements(app, jobs):
    jobs.posting()
    path = f"{API}/villages/{jobs.village.id}/job-postings"
    r, one = statements(app, path, jobs.sec())
    for i in range(3):
        jobs.posting(title=f"岗位{i}")
    r, four = statements(app, path, jobs.sec())
    assert r.status_code == 200 and len(r.json["items"]) == 4
    assert len(four) == len(one) <= 3, "\n".join(four)
