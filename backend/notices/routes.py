"""Announcement endpoints (docs/api.md "Announcements": ``GET /me/notices``, ``GET /notices/{id}``,
``POST /notices/{id}/read``), publishing by township staff and village secretaries, reach, reminders, read-outs at
meetings, and the mini-program's report of subscribe-message consents.
"""

from __future__ import annotations

import json
from typing import Any

from flask_smorest import Blueprint

from backend import registry
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.core.idempotency import idempotent
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import Principal, require, require_login, requires
from backend.notices import messages, outbox, service
from backend.notices.models import AUDIENCE_LABELS, Notice
from backend.notices.schemas import (
    ConsentInSchema,
    ConsentSchema,
    CountSchema,
    NoticeInSchema,
    NoticeItemSchema,
    NoticeSchema,
    OfflineInSchema,
    PushTemplatesSchema,
    ReachSchema,
    RemindInSchema,
    UnreadSchema,
    VillageArgs,
    VillageNoticeSchema,
)

blp = Blueprint("notices", __name__, description="公告：镇村发布、已读回执与触达、订阅消息推送")
SECURITY = [{"bearer": []}]


def _sees(p: Principal, n: Notice) -> bool:
    """Checked before the body is parsed: only those who can see a notice learn anything about it. A township's
    notice has no village for the decorator's own check (which would answer 403 to anyone, telling strangers it
    exists): every view below then decides itself, with 404 for those who cannot see it."""
    return n.village_id is None or service.can_see(n, p)


def _item(n: Notice, read: bool, source_name: str | None = None) -> dict[str, Any]:
    """``source_name``: when the caller has it already (the list reads it with the notices), else it is looked up."""
    return {"id": n.id, "title": n.title, "source": "township" if n.township_id else "village",
            "source_name": service.source_name(n) if source_name is None else source_name, "category": n.category,
            "pinned": n.pinned, "published_at": to_iso(n.published_at), "read": read}


def _detail(n: Notice, p: Principal) -> dict[str, Any]:
    return {**_item(n, bool(service.read_ids(p, [n.id]))), "body": n.body, "audience": n.audience,
            "attachments": json.loads(n.attachments), "expires_at": to_iso(n.expires_at),
            "villages": service.targets_of(n)}


@blp.route("/townships/<int:township_id>/notices", methods=["POST"])
@requires("township.manage", township="township_id")
@blp.arguments(NoticeInSchema)
@blp.response(201, NoticeSchema)
@blp.doc(security=SECURITY)
def publish_township(args: dict[str, Any], township_id: int) -> dict[str, Any]:
    """镇公告：发给全镇或选定的村；对象可为全体村民、成员、村民代表或党员。发布前经微信内容安全检测，并排队推送订阅消息。"""
    p = require_login()
    n = service.publish(service.NoticeInput(**args), actor=p, township=registry.get_township(township_id))
    db.session.commit()
    return _detail(n, p)


@blp.route("/villages/<int:village_id>/notices", methods=["POST"])
@requires("notices.manage", village="village_id")
@blp.arguments(NoticeInSchema)
@blp.response(201, NoticeSchema)
@blp.doc(security=SECURITY)
def publish_village(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """村公告：发给本村。"""
    p = require_login()
    n = service.publish(service.NoticeInput(**args), actor=p, village=registry.get_village(village_id))
    db.session.commit()
    return _detail(n, p)


@blp.route("/me/notices", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(NoticeItemSchema))
@blp.doc(security=SECURITY)
def my_notices(args: dict[str, Any]) -> dict[str, Any]:
    """发给我的公告（镇和村），置顶的在前，最新的在前；标明是否已读。"""
    rows = service.my_notices_listed(require_login())
    start = (args["page"] - 1) * args["page_size"]
    page = rows[start : start + args["page_size"]]
    return {"items": [_item(x.notice, x.read, x.notice.source_name) for x in page], "total": len(rows),
            "page": args["page"], "page_size": args["page_size"]}


@blp.route("/notices/<int:notice_id>", methods=["GET"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(200, NoticeSchema)
@blp.doc(security=SECURITY)
def get_notice(notice: Notice) -> dict[str, Any]:
    """一条公告的全文。"""
    p = require_login()
    return _detail(service.readable(notice, p), p)


@blp.route("/notices/<int:notice_id>/read", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@idempotent
@blp.response(204)
@blp.doc(security=SECURITY)
def read(notice: Notice) -> None:
    """标记已读（重复调用无妨）。"""
    p = require_login()
    service.mark_read(service.readable(notice, p), p.person_id, p.village_id)
    db.session.commit()


@blp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(204)
@blp.doc(security=SECURITY)
def withdraw(notice: Notice) -> None:
    """撤回公告（发布方）：不再显示，未发出的推送取消。"""
    n = service.unless_withdrawn(notice)
    # the publisher withdraws: the township its notice (not a target village's staff), a village its own
    if n.township_id is not None:
        service.shown_to(n, require_login())
        p = require("township.manage", township_id=n.township_id)
    else:
        p = require("notices.manage", village_id=n.village_id)
    service.withdraw(n, actor=p)
    db.session.commit()


@blp.route("/notices/<int:notice_id>/reach", methods=["GET"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(200, ReachSchema)
@blp.doc(security=SECURITY)
def reach(notice: Notice) -> dict[str, Any]:
    """触达：每个村的对象人数、已读（小程序、会议或广播）和比例；推送任务状态。"""
    n = service.unless_withdrawn(notice)
    villages = service.managed_villages(n, require_login())
    return {"villages": [row for row in service.reach(n) if row["village_id"] in villages],
            "pushes": outbox.outbox_counts("notice", n.id)}


@blp.route("/notices/<int:notice_id>/unread", methods=["GET"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.arguments(VillageArgs, location="query")
@blp.response(200, UnreadSchema)
@blp.doc(security=SECURITY)
def unread(args: dict[str, Any], notice: Notice) -> dict[str, Any]:
    """某村还没有读的人（可只提醒他们，或登记会议、广播宣读）。"""
    n = service.unless_withdrawn(notice)
    villages = service.managed_villages(n, require_login(), args["village_id"])
    return {"items": service.unread_named(n, villages)}


@blp.route("/notices/<int:notice_id>/remind", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.arguments(RemindInSchema)
@blp.response(200, CountSchema)
@blp.doc(security=SECURITY)
def remind(args: dict[str, Any], notice: Notice) -> dict[str, Any]:
    """只提醒还没读的人（每人每条公告最多提醒一次）。"""
    n = service.unless_withdrawn(notice)
    p = require_login()
    service.managed_villages(n, p, args["village_id"])
    count = service.remind(n, args["village_id"], actor=p)
    db.session.commit()
    return {"count": count}


@blp.route("/notices/<int:notice_id>/offline-reads", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.arguments(OfflineInSchema)
@blp.response(200, CountSchema)
@blp.doc(security=SECURITY)
def offline_reads(args: dict[str, Any], notice: Notice) -> dict[str, Any]:
    """登记在会议上宣读或广播过的村民（没有手机的也算触达）。"""
    n = service.unless_withdrawn(notice)
    p = require("notices.manage", village_id=args["village_id"])  # the staff of the village named in the body
    village = service.target_village(n, args["village_id"])
    count = service.record_offline_reads(n, village, args["person_ids"], args["channel"], actor=p)
    db.session.commit()
    return {"count": count}


@blp.route("/me/push-consents", methods=["POST"])
@requires(None)
@idempotent
@blp.arguments(ConsentInSchema)
@blp.response(200, ConsentSchema)
@blp.doc(security=SECURITY)
def consent(args: dict[str, Any]) -> dict[str, Any]:
    """小程序在用户同意订阅消息（wx.requestSubscribeMessage）后上报：每次同意只能推送一条。"""
    remaining = outbox.add_consent(require_login().person_id, args["template_id"], args["count"])
    db.session.commit()
    return {"template_id": args["template_id"], "remaining": remaining}


@blp.route("/me/push-templates", methods=["GET"])
@requires(None)
@blp.response(200, PushTemplatesSchema)
@blp.doc(security=SECURITY)
def push_templates() -> dict[str, Any]:
    """小程序在每个时机（投票后、公告页、报名后、分红页、提出异议后）请求订阅哪些消息模板；用户同意的每个模板请上报
    POST /me/push-consents。"""
    require_login()
    return {"moments": messages.moment_templates()}


_STATUS_LABELS = {"live": "显示中", "withdrawn": "已撤回", "expired": "已过期"}


@blp.route("/villages/<int:village_id>/notices", methods=["GET"])
@requires("notices.manage", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(VillageNoticeSchema))
@blp.doc(security=SECURITY)
def village_notices(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的公告（本村发的和镇里发来的，含已撤回、已过期的），最新的在前；每条在本村的触达：应读、已读、未读和比例。"""
    page = paginate(db.session, service.village_notices_stmt(village_id), args["page"], args["page_size"])
    notices = list(page.items)
    live = [n for n in notices if n.withdrawn_at is None]
    reach = service.village_reach(live, village_id)
    publishers = registry.person_names([n.published_by_id for n in notices if n.published_by_id])
    sources = service.source_names(notices)
    now = utcnow()
    items = []
    for n in notices:
        status = ("withdrawn" if n.withdrawn_at is not None else
                  "expired" if n.expires_at is not None and n.expires_at <= now else "live")
        items.append({"id": n.id, "title": n.title, "body": n.body, "category": n.category, "audience": n.audience,
                      "audience_label": AUDIENCE_LABELS[n.audience], "pinned": n.pinned,
                      "source": "township" if n.township_id else "village", "source_name": sources[n.id],
                      "published_at": to_iso(n.published_at),
                      "publisher": publishers.get(n.published_by_id) if n.published_by_id else None,
                      "status": status, "status_label": _STATUS_LABELS[status], "withdrawn_at": to_iso(n.withdrawn_at),
                      "expires_at": to_iso(n.expires_at),
                      "can_withdraw": status == "live" and n.village_id == village_id, "reach": reach.get(n.id)})
    return page.envelope(items)
