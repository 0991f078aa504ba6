"""Public-benefit jobs (公益岗位): postings, applications and eligibility, the sealed list and the seeded draw,
the 公示 with its objections, hires, monthly attendance and pay posted to the books.

Other packages read a villager's pay through ``pay_of_person`` (the villager's home page). The assisted flow
(backend/assisted: an application entered at the village office for a member without a phone and co-signed)
checks a posting with ``is_open``/``eligibility``/``applications_of`` and records it with ``apply(..., assisted=True)``.
"""

from backend.jobs.models import JobApplication, JobPosting
from backend.jobs.service import (
    applications_of,
    apply,
    eligibility,
    is_open,
    open_postings_stmt,
    overdue_objections,
    pay_of_person,
)

__all__ = [
    "JobApplication",
    "JobPosting",
    "applications_of",
    "apply",
    "eligibility",
    "is_open",
    "open_postings_stmt",
    "overdue_objections",
    "pay_of_person",
]
