"""项目库: each project of the collective through the seven steps (储备、论证、筛选、申报、审批、立项、实施),
its support funds by source, and its income from the books against plan, month by month."""

from backend.projects.findings import findings

__all__ = ["findings"]
