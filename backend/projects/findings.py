"""The projects domain's warning rules (预警), reported to the township as :class:`backend.core.findings.Finding`.

``project_behind_plan``: an implemented project whose income from the books, summed from its first plan month to the
last complete month, is below the plan for those months × (100 − ``projects.behind_plan_pct``)/100 (default 20 %).
Exactly at the threshold is not behind. ``since`` is the month end the current run of months behind began.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backend.core.db import db
from backend.core.findings import Finding
from backend.core.money import fen_to_yuan
from backend.projects.models import Project
from backend.projects.service import month_text, progress_of


def findings(village_ids: list[int], on: date) -> list[Finding]:
    """Every finding of this domain's rules in these villages on day ``on``."""
    if not village_ids:
        return []
    projects = list(db.session.execute(
        select(Project).where(Project.village_id.in_(village_ids), Project.status == "implemented",
                              Project.income_account_id.is_not(None)).order_by(Project.id)).scalars())
    progress = progress_of(projects, on)
    out = []
    for p in projects:
        pr = progress[p.id]
        if not pr.behind or pr.behind_since is None:
            continue
        month = month_text(pr.checked_month or "")
        share = pr.cum_actual_fen * 100 // pr.cum_planned_fen if pr.cum_planned_fen else 0
        out.append(Finding(
            kind="project_behind_plan", key=f"project-{p.id}", village_id=p.village_id,
            message=(f"项目“{p.title}”截至{month}累计收入{fen_to_yuan(pr.cum_actual_fen)}元，"
                     f"仅为计划{fen_to_yuan(pr.cum_planned_fen)}元的{share}%，"
                     f"落后计划超过{pr.pct}%"),
            since=pr.behind_since, link_type="project", link_id=p.id))
    return out
