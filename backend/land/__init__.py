"""Parcels, land-transfer contracts, rent schedules and payments (issue 6)."""
