"""A finding: one thing a warning rule (预警) sees wrong now, as each domain reports it to the township's warnings
(:mod:`backend.township.warnings`), which keeps when each was first and last seen and closes it once it is gone.

A domain that has rules exports a function ``findings(village_ids: list[int], on: date) -> list[Finding]`` (its
thresholds are its own settings, read per village); it never imports the township.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Finding:
    kind: str  # the rule, e.g. "cash_over_limit"; the township's KINDS lists each with its Chinese label
    key: str  # what it is about, stable while the cause lasts, unique within the kind: "village-3", "asset-12"
    village_id: int
    message: str  # one Chinese sentence a secretary understands, with the figures
    since: date | datetime  # when the cause began (a date is read as that day in Asia/Shanghai)
    link_type: str  # where the console opens it: "asset", "fund", "contract", "land_contract", "project", …
    link_id: int
