"""Village-scoped getters: an object named by an id, from a path or a body, is found only in its own village.

Every id that arrives from a client is loaded through :func:`get_in_village`, so an id that belongs to another
village answers exactly like an id that does not exist (404): a stranger learns nothing of what is there.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from backend.core.db import db
from backend.core.errors import AppError, not_found


class _InVillage(Protocol):
    village_id: Any


M = TypeVar("M")


def village_id_of(village: Any) -> int:
    """``village`` as an id: a village object (anything with an ``id``) or the id itself."""
    return int(village if isinstance(village, int) else village.id)


def get_in_village(model: type[M], object_id: Any, village: Any, *, error: AppError | None = None,
                   lock: bool = False) -> M:
    """The ``model`` row ``object_id`` of ``village`` (a village or its id); 404 (or ``error``) when it does not
    exist or belongs to another village. ``lock`` takes a row lock (SELECT … FOR UPDATE) on databases that have one.
    """
    found = find_in_village(model, object_id, village, lock=lock)
    if found is None:
        raise error if error is not None else not_found()
    return found


def find_in_village(model: type[M], object_id: Any, village: Any, *, lock: bool = False) -> M | None:
    """Like :func:`get_in_village`, but None instead of an error (for a caller that words its own refusal)."""
    if object_id is None or isinstance(object_id, bool):
        return None
    try:
        key = int(object_id)
    except (TypeError, ValueError):
        return None
    row = db.session.get(model, key, with_for_update=lock or None)
    if row is None or getattr(row, "village_id", None) != village_id_of(village):
        return None
    return row
