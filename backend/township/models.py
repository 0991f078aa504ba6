"""Models of backend.township (placeholder: the warnings' store)."""

from __future__ import annotations
