"""Project library endpoints (项目库): a village's projects and each one's seven steps, funds and income plan; the
township's overview of every village's projects.

Villagers of the village read the list and a project (``village.view``); the secretary and the committee keep them
(``projects.manage``); the township's 项目评审委员会 signs 审批 (``projects.approve``); the township reads every
village's projects (``township.view``).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint
from sqlalchemy import select

from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import require_login, requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page
from backend.decisions import decisions_of
from backend.ledger import accounts
from backend.projects import service
from backend.projects.models import Project
from backend.projects.schemas import (
    ChoicesSchema,
    FundInSchema,
    PlanInSchema,
    ProjectInSchema,
    ProjectItemSchema,
    ProjectSchema,
    ProjectUpdateSchema,
    StepInSchema,
    TerminateInSchema,
    TownshipProjectArgs,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
blp = Blueprint("projects", __name__, description="项目库：七步工作法、扶持资金、收入对照计划")
SECURITY = [{"bearer": []}]


def _detail(p: Project) -> dict[str, Any]:
    me = require_login()
    out = service.detail(p, today(), staff=me.can("projects.read", village_id=p.village_id))
    out["can_manage"] = me.can("projects.manage", village_id=p.village_id)
    out["can_approve"] = me.can("projects.approve", village_id=p.village_id)
    return out


@blp.route("/villages/<int:village_id>/projects", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ProjectItemSchema))
@blp.doc(security=SECURITY)
def list_projects(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村项目库：每个项目的环节、扶持资金、累计收入。"""
    page = paginate(db.session, service.list_stmt(village_id), args["page"], args["page_size"])
    return page.envelope(service.list_items(page.items, today()))


@blp.route("/villages/<int:village_id>/projects", methods=["POST"])
@requires("projects.manage", village="village_id")
@blp.arguments(ProjectInSchema)
@blp.response(201, ProjectSchema)
@blp.doc(security=SECURITY)
def create_project(args: dict[str, Any], village_id: int) -> Any:
    """新建项目（进入项目库，尚未储备）。"""
    data = service.ProjectInput(title=args["title"], category=args["category"], description=args["description"],
                                planned_investment_fen=args["planned_investment"],
                                income_account_id=args["income_account_id"])
    p = service.create_project(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return _detail(p)


@blp.route("/villages/<int:village_id>/projects/choices", methods=["GET"])
@requires("projects.read", village="village_id")
@blp.response(200, ChoicesSchema)
@blp.doc(security=SECURITY)
def project_choices(village_id: int) -> dict[str, Any]:
    """办理环节时可选的决议（本村已通过的）和收入科目（按名称选择）。"""
    decisions = [d for d in decisions_of([village_id]) if d.status in ("resolved", "done")]
    return {
        "decisions": [{"id": d.id, "title": d.title,
                       "resolved_on": d.resolved_on.isoformat() if d.resolved_on else None} for d in decisions],
        "accounts": [{"id": a.id, "code": a.code, "name": a.name} for a in accounts(village_id)
                     if a.klass == "income"],
    }


@blp.route("/projects/<int:project_id>", methods=["GET"])
@requires("village.view", obj=(Project, "project_id"))
@shared_page
@blp.response(200, ProjectSchema)
@blp.doc(security=SECURITY)
def get_project(project: Project) -> Any:
    """一个项目：七个环节（谁、何时、附件、依据的决议）、资金来源、每月计划与实际收入。"""
    return _detail(project)


@blp.route("/projects/<int:project_id>", methods=["PATCH"])
@requires("projects.manage", obj=(Project, "project_id"))
@blp.arguments(ProjectUpdateSchema)
@blp.response(200, ProjectSchema)
@blp.doc(security=SECURITY)
def update_project(args: dict[str, Any], project: Project) -> Any:
    """修改项目：名称、类别、简介、计划总投资、收入科目。"""
    changes = {("planned_investment_fen" if k == "planned_investment" else k): v for k, v in args.items()}
    service.update_project(project, changes, actor=require_login())
    db.session.commit()
    return _detail(project)


@blp.route("/projects/<int:project_id>/steps", methods=["POST"])
@requires("projects.read", obj=(Project, "project_id"))
@blp.arguments(StepInSchema)
@blp.response(201, ProjectSchema)
@blp.doc(security=SECURITY)
def add_step(args: dict[str, Any], project: Project) -> Any:
    """办理下一个环节（只能是下一个）。审批由镇项目评审委员会（projects.approve）签署，其余环节由村里
    （projects.manage）办理；立项须依据已通过的决议；申报须写明申请的扶持资金；实施须有收入科目和月度计划。"""
    funds = [service.FundInput(f["source"], f["amount"], f["received_on"], f["note"]) for f in args["funds"]]
    data = service.StepInput(step=args["step"], done_on=args["done_on"], documents=args["documents"],
                             decision_id=args["decision_id"], note=args["note"], funds=funds)
    service.add_step(project, data, actor=require_login())
    db.session.commit()
    return _detail(project)


@blp.route("/projects/<int:project_id>/funds", methods=["POST"])
@requires("projects.manage", obj=(Project, "project_id"))
@blp.arguments(FundInSchema)
@blp.response(201, ProjectSchema)
@blp.doc(security=SECURITY)
def add_fund(args: dict[str, Any], project: Project) -> Any:
    """登记一笔项目资金（来源、金额、日期）。"""
    service.add_fund(project, service.FundInput(args["source"], args["amount"], args["received_on"], args["note"]),
                     actor=require_login())
    db.session.commit()
    return _detail(project)


@blp.route("/projects/<int:project_id>/plans", methods=["PUT"])
@requires("projects.manage", obj=(Project, "project_id"))
@blp.arguments(PlanInSchema)
@blp.response(200, ProjectSchema)
@blp.doc(security=SECURITY)
def set_plans(args: dict[str, Any], project: Project) -> Any:
    """填写一年12个月的计划收入（已有的月份被改写）。"""
    service.set_plans(project, args["year"], args["months"], actor=require_login())
    db.session.commit()
    return _detail(project)


@blp.route("/projects/<int:project_id>/terminate", methods=["POST"])
@requires("projects.manage", obj=(Project, "project_id"))
@blp.arguments(TerminateInSchema)
@blp.response(200, ProjectSchema)
@blp.doc(security=SECURITY)
def terminate_project(args: dict[str, Any], project: Project) -> Any:
    """终止项目（写明原因）；终止后不再推进、不再修改。"""
    service.terminate_project(project, args["terminated_on"], args["reason"], actor=require_login())
    db.session.commit()
    return _detail(project)


@blp.route("/townships/<int:township_id>/projects", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(TownshipProjectArgs, location="query")
@blp.response(200, page_schema(ProjectItemSchema))
@blp.doc(security=SECURITY)
def township_projects(args: dict[str, Any], township_id: int) -> dict[str, Any]:
    """全镇各村的项目：环节、扶持资金、累计收入与计划、是否落后于计划；可只看待审批的。"""
    villages = {v.id: v.name for v in registry.villages_of_township(township_id)}
    stmt = select(Project).where(Project.village_id.in_(list(villages))).order_by(Project.village_id, Project.id)
    if args["awaiting"]:
        stmt = stmt.where(Project.status == "active", Project.step == service.APPROVE_STEP - 1)
    page = paginate(db.session, stmt, args["page"], args["page_size"])
    return page.envelope(_township_items(page.items, villages))


def _township_items(projects: list[Project], villages: dict[int, str]) -> list[dict[str, Any]]:
    items = service.list_items(projects, today())
    for it in items:
        it["village_name"] = villages.get(it["village_id"])
    return items


@blp.route("/townships/<int:township_id>/projects.xlsx", methods=["GET"])
@requires("township.view", township="township_id")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def township_projects_xlsx(township_id: int) -> Response:
    """全镇项目总览导出为 Excel（每村每个项目一行：环节、扶持资金、累计收入与计划、是否落后）。"""
    township = registry.get_township(township_id)
    villages = {v.id: v.name for v in registry.villages_of_township(township_id)}
    projects = list(db.session.execute(select(Project).where(Project.village_id.in_(list(villages)))
                                       .order_by(Project.village_id, Project.id)).scalars())
    data = service.township_xlsx(_township_items(projects, villages), township.name, today())
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{township.code}-projects.xlsx",
                     mimetype=XLSX)
