"""Models of backend.assets (placeholder: filled by the assets work)."""

from __future__ import annotations
