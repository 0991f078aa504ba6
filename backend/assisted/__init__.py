"""Assisted actions: at the village office, staff enter a vote or a job application for a member who has no phone;
a second staff person co-signs in their own session; nothing is recorded until then."""

__all__: list[str] = []
