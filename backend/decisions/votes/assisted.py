"""Assisted ballots: a ballot entered at the village office for a member without a phone, co-signed by a second
staff person (backend/assisted drives the flow; this module records the ballot and counts assisted ballots).

Filled in by issue 18's assisted part; ``assisted_counts`` is read by the vote's view.
"""

from __future__ import annotations

from typing import Any


def assisted_counts(vote_id: int) -> list[dict[str, Any]]:
    """Per pair of staff (entered by, co-signed by): how many ballots they assisted in this vote. Public."""
    return []
