"""Membership confirmation (成员确认) under the 农村集体经济组织法: an application, the committee's review, the
成员大会's or 成员代表大会's confirmation by the rules engine's quorum and majority, 公示, registration or refusal."""

from backend.membership.meetings import overdue_objections

__all__ = ["overdue_objections"]
