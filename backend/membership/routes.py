"""Membership confirmation endpoints (docs/village-work.md "Membership confirmation").

Staff holding ``roster.write`` (secretary, township staff) enter applications, review them, record the 成员大会's
meeting, post its 公示, answer objections and register; ``roster.read`` reads. A villager applies for themself and
reads their own application (``GET /me/membership-application``); anyone in the village sees a meeting's 公示 and may
object while it is posted.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend import registry
from backend.core import objections
from backend.core.clock import today
from backend.core.db import db
from backend.core.idempotency import idempotent
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import Principal, require, require_login, requires
from backend.membership import meetings, service, views
from backend.membership.models import GROUND_LABELS, MembershipApplication, MembershipMeeting, MembershipObjection
from backend.membership.schemas import (
    MembershipApplicationInSchema,
    MembershipApplicationListArgs,
    MembershipApplicationSchema,
    MembershipElectorateArgs,
    MembershipElectorateSchema,
    MembershipMeetingInSchema,
    MembershipMeetingItemSchema,
    MembershipMeetingSchema,
    MembershipMyApplicationSchema,
    MembershipPreviewSchema,
    MembershipPublicityInSchema,
    MembershipReviewInSchema,
)

blp = Blueprint("membership", __name__, description="成员确认：申请、两委审查、成员大会确认、公示、登记")
SECURITY = [{"bearer": []}]


def _own(p: Principal, a: MembershipApplication) -> bool:
    return a.person_id == p.person_id


def _meeting_input(args: dict[str, Any]) -> meetings.MeetingInput:
    return meetings.MeetingInput(
        body=args["body"], held_on=args["held_on"], attendees=args["attendees"],
        applications=[meetings.VoteCounts(c["application_id"], c["agree"], c["oppose"], c["abstain"])
                      for c in args["applications"]],
        place=args["place"], minutes=args["minutes"], attachments=args["attachments"])


# ---------------------------------------------------------------- applications


@blp.route("/villages/<int:village_id>/membership-applications", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(MembershipApplicationListArgs, location="query")
@blp.response(200, page_schema(MembershipApplicationSchema))
@blp.doc(security=SECURITY)
def list_applications(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的成员资格申请，可按状态筛选，最新的在前。"""
    page = paginate(db.session, service.applications_stmt(village_id, args["status"]), args["page"],
                    args["page_size"])
    return page.envelope(views.application_views(page.items))


@blp.route("/villages/<int:village_id>/membership-applications", methods=["POST"])
@requires("village.view", village="village_id")
@idempotent
@blp.arguments(MembershipApplicationInSchema)
@blp.response(201, MembershipApplicationSchema)
@blp.doc(security=SECURITY)
def apply(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """提交成员资格申请：本村花名册上还不是成员的村民本人申请；工作人员可代花名册上的人申请（填 person_id）。"""
    who = require_login()
    person_id = who.person_id
    if args["person_id"] is not None and args["person_id"] != who.person_id:
        require("roster.write", village_id=village_id)
        person_id = args["person_id"]
    a = service.apply(registry.get_village(village_id), service.ApplicationInput(
        person_id=person_id, grounds=args["grounds"], note=args["note"], attachments=args["attachments"],
        submitted_on=args["submitted_on"]), actor=who)
    db.session.commit()
    return views.application_detail(a)


@blp.route("/membership-applications/<int:application_id>", methods=["GET"])
@requires("roster.read", obj=(MembershipApplication, "application_id"), allow=_own)
@blp.response(200, MembershipApplicationSchema)
@blp.doc(security=SECURITY)
def get_application(application: MembershipApplication) -> dict[str, Any]:
    """一份申请及其进程（提交、审查、成员大会表决、公示、登记）。申请人本人也可查看。"""
    return views.application_detail(application)


@blp.route("/membership-applications/<int:application_id>/review", methods=["POST"])
@requires("roster.write", obj=(MembershipApplication, "application_id"))
@blp.arguments(MembershipReviewInSchema)
@blp.response(200, MembershipApplicationSchema)
@blp.doc(security=SECURITY)
def review(args: dict[str, Any], application: MembershipApplication) -> dict[str, Any]:
    """两委审查：提交成员大会，或不予通过（写明原因，申请人可见，申请就此办结）。"""
    a = service.review(application, args["decision"], args["reason"], actor=require_login(),
                       reviewed_on=args["reviewed_on"])
    db.session.commit()
    return views.application_detail(a)


@blp.route("/me/membership-application", methods=["GET"])
@requires(None)
@blp.response(200, MembershipMyApplicationSchema)
@blp.doc(security=SECURITY)
def my_application() -> dict[str, Any]:
    """我的成员资格申请（最近一份）及进程；是否已是成员。"""
    who = require_login()
    a = service.latest_of(who.person_id)
    return {"application": views.application_detail(a) if a else None, "is_member": registry.is_member(who.person_id),
            "grounds": GROUND_LABELS}


# ---------------------------------------------------------------- the body's roster


@blp.route("/villages/<int:village_id>/membership-electorate", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(MembershipElectorateArgs, location="query")
@blp.response(200, MembershipElectorateSchema)
@blp.doc(security=SECURITY)
def electorate(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """会议的应到名单（姓名、户号）：成员大会为本村年满十八周岁的全体成员；成员代表大会为成员代表。"""
    on = args["on"] or today()
    people = meetings.electorate(village_id, args["body"], on)
    return {"body": args["body"], "body_label": meetings.BODY_LABELS[args["body"]], "on": on.isoformat(),
            "eligible": len(people),
            "people": [{"person_id": e.person_id, "name": e.name, "household_number": e.household_number}
                       for e in people]}


# ---------------------------------------------------------------- meetings


@blp.route("/villages/<int:village_id>/membership-meetings/preview", methods=["POST"])
@requires("roster.write", village="village_id")
@blp.arguments(MembershipMeetingInSchema)
@blp.response(200, MembershipPreviewSchema)
@blp.doc(security=SECURITY)
def preview(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """保存前预览（不写入）：应到、实到、是否出席有效、确认一人需要多少同意票，以及每份申请的结果。"""
    checked = meetings.preview(registry.get_village(village_id), _meeting_input(args))
    att = checked.attendance
    names = registry.person_names([r.application.person_id for r in checked.results])
    return {"body": att.body, "eligible": att.eligible, "present": att.present, "quorum_met": att.quorum_met,
            "quorum_needed": att.quorum_needed, "agree_needed": att.agree_needed, "sentence": att.sentence,
            "results": [{"application_id": r.application.id, "name": names.get(r.application.person_id, ""),
                         "passed": r.passed, "sentence": r.sentence} for r in checked.results]}


@blp.route("/villages/<int:village_id>/membership-meetings", methods=["POST"])
@requires("roster.write", village="village_id")
@blp.arguments(MembershipMeetingInSchema)
@blp.response(201, MembershipMeetingSchema)
@blp.doc(security=SECURITY)
def record_meeting(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """登记成员大会：会议日期、实到人员、每份申请的同意/反对/弃权票。未达到法定人数的拒绝登记（422 membership.quorum）；
    同意未达到全体成员三分之二以上的申请记为未通过。"""
    m = meetings.record(registry.get_village(village_id), _meeting_input(args), actor=require_login())
    db.session.commit()
    return views.meeting_detail(m, staff=True)


@blp.route("/villages/<int:village_id>/membership-meetings", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MembershipMeetingItemSchema))
@blp.doc(security=SECURITY)
def list_meetings(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村确认成员的会议，最近的在前。"""
    page = paginate(db.session, meetings.meetings_stmt(village_id), args["page"], args["page_size"])
    return page.envelope([views.meeting_item(m) for m in page.items])


@blp.route("/membership-meetings/<int:meeting_id>", methods=["GET"])
@requires("village.view", obj=(MembershipMeeting, "meeting_id"))
@blp.response(200, MembershipMeetingSchema)
@blp.doc(security=SECURITY)
def get_meeting(meeting: MembershipMeeting) -> dict[str, Any]:
    """一次会议：到会情况、每份申请的表决结果、公示和异议。村民看到异议的条数和自己提出的异议。"""
    who = require_login()
    return views.meeting_detail(meeting, staff=who.can("roster.read", village_id=meeting.village_id),
                                person_id=who.person_id)


@blp.route("/membership-meetings/<int:meeting_id>/publicity", methods=["POST"])
@requires("roster.write", obj=(MembershipMeeting, "meeting_id"))
@blp.arguments(MembershipPublicityInSchema)
@blp.response(200, MembershipMeetingSchema)
@blp.doc(security=SECURITY)
def publicity(args: dict[str, Any], meeting: MembershipMeeting) -> dict[str, Any]:
    """公示成员大会确认的名单，公示天数按本村设置（默认 7 天）。"""
    m = meetings.open_publicity(meeting, args["starts_on"], actor=require_login())
    db.session.commit()
    return views.meeting_detail(m, staff=True)


objections.add_routes(blp, objections.ObjectionRoutes(
    subject=MembershipMeeting, raise_url="/membership-meetings/<int:meeting_id>/objections",
    raise_view=("object_to_members", "公示期内对确认的成员名单提出异议。"), raise_objection=meetings.raise_objection,
    objection=MembershipObjection, answer_url="/membership-objections/<int:membership_objection_id>/answer",
    answer_view=("answer_member_objection", "答复对成员名单的异议。"), answer_objection=meetings.answer_objection,
    manage="roster.write"))


@blp.route("/membership-meetings/<int:meeting_id>/register", methods=["POST"])
@requires("roster.write", obj=(MembershipMeeting, "meeting_id"))
@blp.response(200, MembershipMeetingSchema)
@blp.doc(security=SECURITY)
def register(meeting: MembershipMeeting) -> dict[str, Any]:
    """公示期满且异议都已答复后，登记为集体经济组织成员（花名册上的成员资格随之变更）。"""
    meetings.register(meeting, actor=require_login())
    db.session.commit()
    return views.meeting_detail(meeting, staff=True)
