"""Announcement endpoints (contract: shared/API.md "Announcements": ``GET /me/notices``, ``GET /notices/{id}``,
``POST /notices/{id}/read``), publishing by township staff and village secretaries, reach, reminders, read-outs at
meetings, and the mini-program's report of subscribe-message consents.
"""

from __future__ import annotations

import json
from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from backend.core.clock import to_iso
from backend.core.db import db
from backend.core.errors import forbidden, not_found
from backend.core.pagination import PageArgs, page_schema
from backend.core.permissions import Principal, require, require_login, requires
from backend.core.response_cache import cached_read
from backend.core.schemas import BaseSchema, IsoDateTime, Text, length, one_of, range_
from backend.notices import service
from backend.notices.models import AUDIENCES, CATEGORIES, READ_CHANNELS, Notice
from backend.registry import service as registry
from backend.registry.models import Person

blp = Blueprint("notices", __name__, description="公告：镇村发布、已读回执与触达、订阅消息推送")
SECURITY = [{"bearer": []}]


class NoticeInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 80))
    body = Text(required=True, validate=length(1, 20000))
    category = Text(load_default="通知", validate=one_of(CATEGORIES))
    audience = Text(load_default="everyone", validate=one_of(AUDIENCES, service.AUDIENCE_LABELS))
    pinned = fields.Boolean(load_default=False)
    expires_at = IsoDateTime(load_default=None, allow_none=True)
    attachments = fields.List(Text(validate=length(1, 300)), load_default=list, validate=length(max=20))
    village_ids = fields.List(fields.Integer(), load_default=None, allow_none=True,
                              metadata={"description": "镇公告：发给哪些村（不填为全镇）"})


class NoticeItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    source = fields.String(metadata={"description": "township | village"})
    source_name = fields.String()
    category = fields.String()
    pinned = fields.Boolean()
    published_at = fields.String()
    read = fields.Boolean()


class NoticeSchema(NoticeItemSchema):
    body = fields.String()
    audience = fields.String()
    attachments = fields.List(fields.String())
    expires_at = fields.String(allow_none=True)
    villages = fields.List(fields.Integer())


class ReachRowSchema(BaseSchema):
    village_id = fields.Integer()
    village = fields.String()
    audience = fields.Integer()
    read = fields.Integer()
    read_in_app = fields.Integer()
    read_offline = fields.Integer()
    share = fields.String()


class ReachSchema(BaseSchema):
    villages = fields.List(fields.Nested(ReachRowSchema))
    pushes = fields.Dict(metadata={"description": "推送任务按状态计数"})


class VillageArgs(BaseSchema):
    village_id = fields.Integer(load_default=None, metadata={"description": "哪个村（不填为全部对象村）"})


class UnreadSchema(BaseSchema):
    items = fields.List(fields.Dict())


class RemindInSchema(BaseSchema):
    village_id = fields.Integer(required=True)


class CountSchema(BaseSchema):
    count = fields.Integer()


class OfflineInSchema(BaseSchema):
    village_id = fields.Integer(required=True)
    person_ids = fields.List(fields.Integer(), required=True, validate=length(1, 5000))
    channel = Text(required=True, validate=one_of(READ_CHANNELS[1:], {"meeting": "会议宣读", "loudspeaker": "广播"}))


class ConsentInSchema(BaseSchema):
    template_id = Text(required=True, validate=length(1, 64))
    count = fields.Integer(load_default=1, validate=range_(1, 10))


class ConsentSchema(BaseSchema):
    template_id = fields.String()
    remaining = fields.Integer()


def _sees(p: Principal, n: Notice) -> bool:
    """Checked before the body is parsed: only those who can see a notice learn anything about it. A township's
    notice has no village for the decorator's own check (which would answer 403 to anyone, telling strangers it
    exists): every view below then decides itself, with 404 for those who cannot see it."""
    return n.village_id is None or service.can_see(n, p)


def _source_name(n: Notice) -> str:
    if n.township_id is not None:
        return registry.get_township(n.township_id).name
    return registry.get_village(n.village_id).name  # type: ignore[arg-type]


def _item(n: Notice, read: bool, source_name: str | None = None) -> dict[str, Any]:
    """``source_name``: when the caller has it already (the list reads it with the notices), else it is looked up."""
    return {"id": n.id, "title": n.title, "source": "township" if n.township_id else "village",
            "source_name": _source_name(n) if source_name is None else source_name, "category": n.category,
            "pinned": n.pinned, "published_at": to_iso(n.published_at), "read": read}


def _detail(n: Notice, p: Principal) -> dict[str, Any]:
    return {**_item(n, bool(service.read_ids(p, [n.id]))), "body": n.body, "audience": n.audience,
            "attachments": json.loads(n.attachments), "expires_at": to_iso(n.expires_at),
            "villages": service.targets_of(n)}


def _visible(notice_id: int) -> Notice:
    p = require_login()
    n = service.get_notice(notice_id)
    if not service.is_live(n) or not service.can_see(n, p):  # expired: gone for readers, like withdrawn
        raise not_found("notice.not_found", "找不到该公告")
    return n


def _manage(n: Notice, village_id: int | None = None) -> tuple[Principal, list[int]]:
    """Who may see reach, who has not read, and remind: the source township's staff (every target village), or a
    target village's secretary and committee (their own villages only). Returns the caller and those villages."""
    p = require_login()
    targets = service.targets_of(n)
    if village_id is not None and village_id not in targets:
        if not service.can_see(n, p):
            raise not_found("notice.not_found", "找不到该公告")
        raise not_found("notice.village_not_targeted", "这条公告没有发给该村")
    scope = [village_id] if village_id is not None else targets
    if n.township_id is not None and p.can("township.view", township_id=n.township_id):
        return p, scope
    mine = [v for v in scope if p.can("notices.manage", village_id=v) or p.can("township.view", village_id=v)]
    if mine:
        return p, mine
    if not service.can_see(n, p):
        raise not_found("notice.not_found", "找不到该公告")
    raise forbidden()


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
@cached_read
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(NoticeItemSchema))
@blp.doc(security=SECURITY)
def my_notices(args: dict[str, Any]) -> dict[str, Any]:
    """发给我的公告（镇和村），置顶的在前，最新的在前；标明是否已读。"""
    p = require_login()
    rows = service.my_notices_listed(p)  # one statement: the notices, read receipts, targets, source names
    start = (args["page"] - 1) * args["page_size"]
    page = rows[start : start + args["page_size"]]
    return {"items": [_item(x.notice, x.read, x.source_name) for x in page], "total": len(rows),
            "page": args["page"], "page_size": args["page_size"]}


@blp.route("/notices/<int:notice_id>", methods=["GET"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(200, NoticeSchema)
@blp.doc(security=SECURITY)
def get_notice(notice: Notice) -> dict[str, Any]:
    """一条公告的全文。"""
    notice_id = notice.id
    return _detail(_visible(notice_id), require_login())


@blp.route("/notices/<int:notice_id>/read", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(204)
@blp.doc(security=SECURITY)
def read(notice: Notice) -> None:
    """标记已读（重复调用无妨）。"""
    notice_id = notice.id
    n = _visible(notice_id)
    p = require_login()
    service.mark_read(n, p.person_id, p.village_id)
    db.session.commit()


@blp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.response(204)
@blp.doc(security=SECURITY)
def withdraw(notice: Notice) -> None:
    """撤回公告（发布方）：不再显示，未发出的推送取消。"""
    notice_id = notice.id
    n = service.get_notice(notice_id)
    if n.township_id is not None:  # only the township withdraws its notice (not a target village's staff)
        if not service.can_see(n, require_login()):
            raise not_found("notice.not_found", "找不到该公告")
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
    notice_id = notice.id
    n = service.get_notice(notice_id)
    _p, villages = _manage(n)
    pushes = service.outbox_counts("notice", n.id)
    return {"villages": [row for row in service.reach(n) if row["village_id"] in villages], "pushes": pushes}


@blp.route("/notices/<int:notice_id>/unread", methods=["GET"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.arguments(VillageArgs, location="query")
@blp.response(200, UnreadSchema)
@blp.doc(security=SECURITY)
def unread(args: dict[str, Any], notice: Notice) -> dict[str, Any]:
    """某村还没有读的人（可只提醒他们，或登记会议、广播宣读）。"""
    notice_id = notice.id
    n = service.get_notice(notice_id)
    _p, villages = _manage(n, args["village_id"])
    people = sorted(pid for v in villages for pid in service.unread(n, v))
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(people))).all())
    return {"items": [{"person_id": pid, "name": names.get(pid, "")} for pid in people]}


@blp.route("/notices/<int:notice_id>/remind", methods=["POST"])
@requires("village.view", obj=(Notice, "notice_id"), allow=_sees)
@blp.arguments(RemindInSchema)
@blp.response(200, CountSchema)
@blp.doc(security=SECURITY)
def remind(args: dict[str, Any], notice: Notice) -> dict[str, Any]:
    """只提醒还没读的人（每人每条公告最多提醒一次）。"""
    notice_id = notice.id
    n = service.get_notice(notice_id)
    p, _villages = _manage(n, args["village_id"])
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
    notice_id = notice.id
    n = service.get_notice(notice_id)
    p = require("notices.manage", village_id=args["village_id"])
    if args["village_id"] not in service.targets_of(n):
        raise not_found("notice.not_found", "找不到该公告")
    count = service.record_offline_reads(n, registry.get_village(args["village_id"]), args["person_ids"],
                                         args["channel"], actor=p)
    db.session.commit()
    return {"count": count}


@blp.route("/me/push-consents", methods=["POST"])
@requires(None)
@blp.arguments(ConsentInSchema)
@blp.response(200, ConsentSchema)
@blp.doc(security=SECURITY)
def consent(args: dict[str, Any]) -> dict[str, Any]:
    """小程序在用户同意订阅消息（wx.requestSubscribeMessage）后上报：每次同意只能推送一条。"""
    p = require_login()
    remaining = service.add_consent(p.person_id, args["template_id"], args["count"])
    db.session.commit()
    return {"template_id": args["template_id"], "remaining": remaining}

