"""Tables a migration makes that no model maps, so that autogenerate and the models-agree test leave them alone.

- ``page_version`` (SQLite only; 0030): the page version of backend/core/shared_pages.py, one row read and advanced
  with plain SQL. PostgreSQL keeps it in a sequence, which autogenerate does not compare.
"""

from __future__ import annotations

from typing import Any

UNMODELLED_TABLES = frozenset({"page_version"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "table" and name in UNMODELLED_TABLES)
