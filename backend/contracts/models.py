"""Models of backend.contracts (placeholder: filled by the contracts work)."""

from __future__ import annotations
