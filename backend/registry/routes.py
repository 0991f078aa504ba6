"""Endpoints of the registry: villages, households and members, roster files, roles, the audit log, local rules
(settings). Every route: permission (401/403/404) → service → dump."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from backend.core import audit, errors
from backend.core.clock import SHANGHAI
from backend.core.db import db
from backend.core.identity import mask_phone
from backend.core.pagination import page_schema, paginate
from backend.core.permissions import Principal, require, require_login, requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page
from backend.registry import history, households, people, places, roles, roster, settings
from backend.registry import service as registry_service
from backend.registry.models import Household, Member
from backend.registry.schemas import (
    AuditActionSchema,
    AuditActorSchema,
    AuditEntrySchema,
    AuditListArgs,
    HistoryItemSchema,
    HouseholdDetailSchema,
    HouseholdInSchema,
    HouseholdListArgs,
    HouseholdPatchSchema,
    HouseholdSchema,
    ImportReportSchema,
    MemberEndSchema,
    MemberInSchema,
    MemberListArgs,
    MemberMoveSchema,
    MemberPatchSchema,
    MemberSchema,
    PlaceSchema,
    RoleAssignmentSchema,
    RoleEndSchema,
    RoleInSchema,
    RoleListArgs,
    SettingInSchema,
    SettingSchema,
    VillageInSchema,
    VillageSchema,
)

blp = Blueprint("registry", __name__, description="村、户、人员花名册与角色（村干部、乡镇工作人员）")
SECURITY = [{"bearer": []}]


def _member_view(m: Member, viewer: Principal, *, listing: bool = False) -> dict[str, Any]:
    """A roster entry as the viewer may see it: the ID number only by its last 4; the phone in full to the person
    and, on a single entry (to edit it), to whoever keeps the roster; masked (138****5678) in every list."""
    p = m.person
    full_phone = viewer.person_id == p.id or (not listing and viewer.can("roster.write", village_id=m.village_id))
    return {
        "id": m.id,
        "person_id": p.id,
        "village_id": m.village_id,
        "household_id": m.household_id,
        "household_number": m.household.number,
        "name": p.name,
        "gender": p.gender,
        "birth_date": p.birth_date,
        "id_last4": p.id_last4,
        "phone": p.phone if full_phone else mask_phone(p.phone),
        "relation": m.relation,
        "is_head": m.is_head,
        "is_collective_member": m.is_collective_member,
        "status": m.status,
        "is_tuopin": m.household.is_tuopin,
        "is_jiance": m.household.is_jiance,
    }


# ---------------------------------------------------------------- places


@blp.route("/villages", methods=["GET"])
@requires(None)
@blp.response(200, VillageSchema(many=True))
@blp.doc(security=SECURITY)
def my_villages() -> list[Any]:
    """当前用户能看到的村（村民是本村，乡镇工作人员是本乡镇所有村）。"""
    return places.villages_by_ids(require_login().village_ids())


@blp.route("/villages/<int:village_id>", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.response(200, VillageSchema)
@blp.doc(security=SECURITY)
def get_village(village_id: int) -> Any:
    """一个村的基本信息。"""
    return places.get_village(village_id)


@blp.route("/townships/<int:township_id>/villages", methods=["GET"])
@requires("township.view", township="township_id")
@blp.response(200, PlaceSchema(many=True))
@blp.doc(security=SECURITY)
def township_villages(township_id: int) -> list[Any]:
    """乡镇下的村（乡镇工作人员）。"""
    return places.villages_of_township(township_id)


@blp.route("/townships/<int:township_id>/villages", methods=["POST"])
@requires("township.manage", township="township_id")
@blp.arguments(VillageInSchema)
@blp.response(201, VillageSchema)
@blp.doc(security=SECURITY)
def create_village(args: dict[str, Any], township_id: int) -> Any:
    """新建本乡镇的一个村（乡镇工作人员）。村编码在全部乡镇和村中唯一，已被使用时 409。"""
    v = places.create_village(places.get_township(township_id), args["code"], args["name"], actor=require_login())
    db.session.commit()
    return v


# ---------------------------------------------------------------- households


@blp.route("/villages/<int:village_id>/households", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(HouseholdListArgs, location="query")
@blp.response(200, page_schema(HouseholdSchema))
@blp.doc(security=SECURITY)
def list_households(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的户（花名册）。"""
    stmt = households.households_query(village_id, args.get("q"))
    return paginate(db.session, stmt, args["page"], args["page_size"]).envelope()


@blp.route("/villages/<int:village_id>/households", methods=["POST"])
@requires("roster.write", village="village_id")
@blp.arguments(HouseholdInSchema)
@blp.response(201, HouseholdSchema)
@blp.doc(security=SECURITY)
def create_household(args: dict[str, Any], village_id: int) -> Any:
    """建户。"""
    p = require_login()
    h = households.create_household(places.get_village(village_id), args.pop("number"), actor=p, **args)
    db.session.commit()
    return h


@blp.route("/households/<int:household_id>", methods=["GET"])
@requires("roster.read", obj=(Household, "household_id"), allow=lambda p, h: p.household_id == h.id)
@blp.response(200, HouseholdDetailSchema)
@blp.doc(security=SECURITY)
def get_household(household: Household) -> Any:
    """一户及其成员（本户成员本人也可查看）。"""
    return household


@blp.route("/households/<int:household_id>", methods=["PATCH"])
@requires("roster.write", obj=(Household, "household_id"))
@blp.arguments(HouseholdPatchSchema)
@blp.response(200, HouseholdSchema)
@blp.doc(security=SECURITY)
def patch_household(args: dict[str, Any], household: Household) -> Any:
    """修改户信息（户号、住址、脱贫户/监测户标记）。"""
    households.update_household(household, args, actor=require_login())
    db.session.commit()
    return household


# ---------------------------------------------------------------- members


@blp.route("/villages/<int:village_id>/members", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(MemberListArgs, location="query")
@blp.response(200, page_schema(MemberSchema))
@blp.doc(security=SECURITY)
def list_members(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """花名册：可按姓名或户号搜索。身份证号只给后4位，手机号打码（如 138****5678；本人除外）。"""
    p = require_login()
    page = paginate(
        db.session,
        people.members_query(village_id, args.get("q"), args.get("status")),
        args["page"],
        args["page_size"],
    )
    return page.envelope([_member_view(m, p, listing=True) for m in page.items])


@blp.route("/villages/<int:village_id>/members", methods=["POST"])
@requires("roster.write", village="village_id")
@blp.arguments(MemberInSchema)
@blp.response(201, MemberSchema)
@blp.doc(security=SECURITY)
def create_member(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """登记一名在册人员（户须已建立）。"""
    p = require_login()
    m = people.add_member(places.get_village(village_id), people.MemberInput(**args), actor=p)
    db.session.commit()
    return _member_view(m, p)


@blp.route("/members/<int:member_id>", methods=["GET"])
@requires("roster.read", obj=(Member, "member_id"), allow=lambda p, m: p.member_id == m.id)
@blp.response(200, MemberSchema)
@blp.doc(security=SECURITY)
def get_member(member: Member) -> dict[str, Any]:
    """一名在册人员（本人可查看自己的记录）。"""
    return _member_view(member, require_login())


@blp.route("/members/<int:member_id>", methods=["PATCH"])
@requires("roster.write", obj=(Member, "member_id"))
@blp.arguments(MemberPatchSchema)
@blp.response(200, MemberSchema)
@blp.doc(security=SECURITY)
def patch_member(args: dict[str, Any], member: Member) -> dict[str, Any]:
    """修改在册人员信息。集体经济组织成员资格不在这里改：确认成员走“成员确认”（成员大会表决、公示后登记），
    取消资格走“注销”（POST /members/{id}/end）。"""
    p = require_login()
    if "is_collective_member" in args and args["is_collective_member"] != member.is_collective_member:
        raise errors.unprocessable(
            "member.membership_by_confirmation",
            "集体经济组织成员资格不能直接修改：确认成员请走“成员确认”（成员大会表决、公示后登记），"
            "取消资格请用“注销成员资格”",
            fields={"is_collective_member": ["成员资格须经成员大会确认，不能直接修改"]},
        )
    people.update_member(member, args, actor=p)
    db.session.commit()
    return _member_view(member, p)


@blp.route("/members/<int:member_id>/move", methods=["POST"])
@requires("roster.write", obj=(Member, "member_id"))
@blp.arguments(MemberMoveSchema)
@blp.response(200, MemberSchema)
@blp.doc(security=SECURITY)
def move_member(args: dict[str, Any], member: Member) -> dict[str, Any]:
    """迁户：把一名在册人员迁到本村的另一户（一次完成）。户主迁走而户内还有人时，须同时指定新户主（new_head_id）。"""
    p = require_login()
    if "household_id" in args:
        target = db.session.get(Household, args["household_id"])
        if target is None or target.village_id != member.village_id:
            raise errors.unprocessable("household.not_found", "找不到该户：只能迁到本村的户",
                                       fields={"household_id": "找不到该户"})
    else:
        target = households.household_by_number(member.village_id, args["household_number"])
        if target is None:
            message = f"本村没有户号 {args['household_number']}，请核对或先建户"
            raise errors.unprocessable("household.not_found", message, fields={"household_number": message})
    new_head = None
    if args.get("new_head_id") is not None:
        new_head = db.session.get(Member, args["new_head_id"])
        if new_head is None or new_head.village_id != member.village_id:
            raise errors.unprocessable("member.new_head_invalid", "新户主须是原户内的在册人员",
                                       fields={"new_head_id": "新户主须是原户内的在册人员"})
    people.move_member(member, target, relation=args["relation"], actor=p, on=args.get("on"), new_head=new_head,
                       note=args.get("note"))
    db.session.commit()
    return _member_view(member, p)


@blp.route("/members/<int:member_id>/end", methods=["POST"])
@requires("roster.write", obj=(Member, "member_id"))
@blp.arguments(MemberEndSchema)
@blp.response(200, MemberSchema)
@blp.doc(security=SECURITY)
def end_member(args: dict[str, Any], member: Member) -> dict[str, Any]:
    """注销成员资格（迁出、死亡或其他原因），记下日期和说明；记录保留。此人在本村的职务同日结束。
    已注销的再注销为 409（member.already_ended）。"""
    p = require_login()
    people.end_member(member, reason=args["reason"], actor=p, on=args["on"], note=args.get("note"))
    db.session.commit()
    return _member_view(member, p)


@blp.route("/members/<int:member_id>/history", methods=["GET"])
@requires("roster.read", obj=(Member, "member_id"))
@blp.response(200, HistoryItemSchema(many=True))
@blp.doc(security=SECURITY)
def member_history(member: Member) -> list[Any]:
    """一名在册人员的变动记录：登记入册、修改信息、迁户、注销，按时间先后；每条有日期、改动前后和操作人。"""
    return history.member_history(member.id)


# ---------------------------------------------------------------- roster files


@blp.route("/villages/<int:village_id>/roster.xlsx", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
@blp.doc(security=SECURITY)
@replica_read
def export_roster(village_id: int) -> Response:
    """导出花名册 .xlsx（身份证号只显示后4位；可修改后再导入）。"""
    village = places.get_village(village_id)
    data = roster.export_roster(village)
    return send_file(
        data,
        as_attachment=True,
        download_name=f"{village.code}-roster.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@blp.route("/villages/<int:village_id>/roster/template.xlsx", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
@blp.doc(security=SECURITY)
def roster_template(village_id: int) -> Response:
    """花名册导入模板 .xlsx：与导出的花名册同样的列，附一行填写说明。"""
    village = places.get_village(village_id)
    return send_file(
        roster.template(),
        as_attachment=True,
        download_name=f"{village.code}-roster-template.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@blp.route("/villages/<int:village_id>/roster/import", methods=["POST"])
@requires("roster.write", village="village_id")
@blp.response(200, ImportReportSchema)
@blp.doc(
    security=SECURITY,
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"}},
                }
            }
        }
    },
)
def import_roster(village_id: int) -> Any:
    """导入花名册 .xlsx：有任何一行出错则整份不导入，并列出每行的错误。"""
    p = require_login()
    upload = request.files.get("file")
    if upload is None:
        raise errors.unprocessable("roster.file_missing", "请选择要导入的 .xlsx 文件")
    dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes")
    report = roster.import_roster(places.get_village(village_id), upload.stream, actor=p, dry_run=dry_run)
    return report


# ---------------------------------------------------------------- roles


@blp.route("/villages/<int:village_id>/roles", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(RoleListArgs, location="query")
@blp.response(200, page_schema(RoleAssignmentSchema))
@blp.doc(security=SECURITY)
def village_roles(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的角色指定（含历史）。"""
    stmt = roles.role_history(village_id=village_id, current_only=args["current"], role=args.get("role"))
    return paginate(db.session, stmt, args["page"], args["page_size"]).envelope()


@blp.route("/villages/<int:village_id>/roles", methods=["POST"])
@requires("roles.write", village="village_id")
@blp.arguments(RoleInSchema)
@blp.response(201, RoleAssignmentSchema)
@blp.doc(security=SECURITY)
def grant_village_role(args: dict[str, Any], village_id: int) -> Any:
    """指定村级角色（村民代表、成员代表、村民小组长、党员等），可填任职开始日期；登记一段已结束的任职时同时填结束日期。
    村书记和代理会计只能由乡镇工作人员指定；成员代表须是集体经济组织成员。"""
    p = require_login()
    village = places.get_village(village_id)
    person = people.person_for_role(args["person_id"])
    ra = roles.grant_role(person, args["role"], village=village, actor=p, note=args.get("note"),
                          start_on=args.get("start_on"), end_on=args.get("end_on"))
    db.session.commit()
    return ra


@blp.route("/townships/<int:township_id>/roles", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(RoleListArgs, location="query")
@blp.response(200, page_schema(RoleAssignmentSchema))
@blp.doc(security=SECURITY)
def township_roles(args: dict[str, Any], township_id: int) -> dict[str, Any]:
    """乡镇级角色指定（含历史）。"""
    stmt = roles.role_history(township_id=township_id, current_only=args["current"])
    return paginate(db.session, stmt, args["page"], args["page_size"]).envelope()


@blp.route("/townships/<int:township_id>/roles", methods=["POST"])
@requires("township.manage", township="township_id")
@blp.arguments(RoleInSchema)
@blp.response(201, RoleAssignmentSchema)
@blp.doc(security=SECURITY)
def grant_township_role(args: dict[str, Any], township_id: int) -> Any:
    """指定乡镇级角色（乡镇工作人员）。"""
    p = require_login()
    person = people.person_for_role(args["person_id"])
    ra = roles.grant_role(person, args["role"], township=places.get_township(township_id), actor=p,
                          note=args.get("note"))
    db.session.commit()
    return ra


@blp.route("/role-assignments/<int:assignment_id>", methods=["DELETE"])
@requires(None)
@blp.response(200, RoleAssignmentSchema)
@blp.doc(security=SECURITY)
def end_role(assignment_id: int) -> Any:
    """结束一项角色（记录保留为历史），结束日期为今天；另定日期用 POST /role-assignments/{id}/end。"""
    return _end_role(assignment_id, None)


@blp.route("/role-assignments/<int:assignment_id>/end", methods=["POST"])
@requires(None)
@blp.arguments(RoleEndSchema)
@blp.response(200, RoleAssignmentSchema)
@blp.doc(security=SECURITY)
def end_role_on(args: dict[str, Any], assignment_id: int) -> Any:
    """结束一项角色，记下结束日期（不填为今天；不能晚于今天、不能早于任职开始日期）。"""
    return _end_role(assignment_id, args.get("end_on"))


def _end_role(assignment_id: int, on: date | None) -> Any:
    p = require_login()
    ra = roles.get_assignment(assignment_id)
    if ra.village_id is not None:
        require("roles.write", village_id=ra.village_id)
    else:
        require("township.manage", township_id=ra.township_id)
    roles.end_role(ra, actor=p, on=on)
    db.session.commit()
    return ra


# ---------------------------------------------------------------- audit


SYSTEM_ACTOR = "系统"  # the command line, the demo seed and scheduled jobs act with no person


def _day_start(value: date | datetime, *, next_day: bool = False) -> datetime:
    """A time as is; a day (China's date) as its first moment, or the next day's (an inclusive last day)."""
    if isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if next_day else value
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


@blp.route("/villages/<int:village_id>/audit", methods=["GET"])
@requires("audit.read", village="village_id")
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, page_schema(AuditEntrySchema))
@blp.doc(security=SECURITY)
def village_audit(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的操作记录（书记、监督委员会、乡镇），最新的在前；可按操作人、操作种类和日期筛选（日期含首尾两天）。"""
    since, until = args.get("since"), args.get("until")
    stmt = audit.village_entries(
        village_id,
        person_id=args.get("person_id"),
        action=args.get("action"),
        since=_day_start(since) if since is not None else None,
        until=_day_start(until, next_day=True) if until is not None else None,
    )
    page = paginate(db.session, stmt, args["page"], args["page_size"])
    names = registry_service.person_names([e.actor_person_id for e in page.items if e.actor_person_id])
    return page.envelope([
        {"id": e.id, "at": e.at, "actor_person_id": e.actor_person_id,
         "actor_name": names.get(e.actor_person_id, "") if e.actor_person_id else SYSTEM_ACTOR,
         "actor_roles": e.actor_roles, "action": e.action, "action_label": audit.action_label(e.action),
         "object_type": e.object_type, "object_id": e.object_id, "before": e.before_data(), "after": e.after_data()}
        for e in page.items
    ])


@blp.route("/villages/<int:village_id>/audit/actions", methods=["GET"])
@requires("audit.read", village="village_id")
@blp.response(200, AuditActionSchema(many=True))
@blp.doc(security=SECURITY)
def village_audit_actions(village_id: int) -> list[dict[str, str]]:
    """本村操作记录中出现过的操作种类及其中文名称（供筛选）。"""
    return [{"action": a, "label": audit.action_label(a)} for a in audit.village_actions(village_id)]


@blp.route("/villages/<int:village_id>/audit/actors", methods=["GET"])
@requires("audit.read", village="village_id")
@blp.response(200, AuditActorSchema(many=True))
@blp.doc(security=SECURITY)
def village_audit_actors(village_id: int) -> list[dict[str, Any]]:
    """本村操作记录中出现过的操作人（供筛选），按姓名排序。"""
    names = registry_service.person_names(audit.village_actor_ids(village_id))
    return [{"person_id": pid, "name": name} for pid, name in sorted(names.items(), key=lambda kv: (kv[1], kv[0]))]


# ---------------------------------------------------------------- settings of local rules


@blp.route("/villages/<int:village_id>/settings", methods=["GET"])
@requires("village.view", village="village_id")
@blp.response(200, SettingSchema(many=True))
@blp.doc(security=SECURITY)
def village_settings(village_id: int) -> list[dict[str, Any]]:
    """本村正在执行的本地规则（金额门槛、公示天数等）。"""
    return settings.effective(places.get_village(village_id))


@blp.route("/villages/<int:village_id>/settings/<key>", methods=["PUT"])
@requires("village.view", village="village_id")
@blp.arguments(SettingInSchema)
@blp.response(200, SettingSchema)
@blp.doc(security=SECURITY)
def put_village_setting(args: dict[str, Any], village_id: int, key: str) -> dict[str, Any]:
    """为本村单独设定一项规则（乡镇工作人员）。"""
    village = places.get_village(village_id)
    # village_id too: village staff (a secretary) get 403 here, strangers 404 (see permissions.require)
    p = require("settings.write", village_id=village.id, township_id=village.township_id)
    settings.put(key, args["value"], actor=p, village=village)
    db.session.commit()
    return settings.describe(key, settings.get(village, key))


@blp.route("/townships/<int:township_id>/settings/<key>", methods=["PUT"])
@requires("settings.write", township="township_id")
@blp.arguments(SettingInSchema)
@blp.response(200, SettingSchema)
@blp.doc(security=SECURITY)
def put_township_setting(args: dict[str, Any], township_id: int, key: str) -> dict[str, Any]:
    """为全乡镇设定一项规则（各村未单独设定时执行）。"""
    row = settings.put(key, args["value"], actor=require_login(), township=places.get_township(township_id))
    db.session.commit()
    return settings.describe(key, int(row.value))
