"""The worlds of the domains whose records villagers object to from the phone: a village's dividend books
(tests/dividends), a job posting's village (tests/jobs), the decision pipeline's village (tests/decisions)."""

from __future__ import annotations

from tests.decisions.conftest import w  # noqa: F401  (fixtures)
from tests.dividends.conftest import books  # noqa: F401
from tests.jobs.conftest import jobs  # noqa: F401
