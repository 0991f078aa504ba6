"""Assisted-action endpoints (docs/village-work.md "Members who have no phone"): staff enter a vote or a job
application for a member without a phone who is at the village office; a 村务监督委员 co-signs (or refuses) it
in their own session; nothing is recorded before. No endpoint ever returns a ballot's choice."""

from __future__ import annotations

from typing import Any

import click
from flask_smorest import Blueprint
from marshmallow import fields

from backend.assisted import service
from backend.assisted.models import KINDS, STATUSES, AssistedEntry
from backend.core.db import db
from backend.core.permissions import require, require_login, requires
from backend.core.schemas import BaseSchema, IsoDateTime, Text, length, one_of

blp = Blueprint("assisted", __name__, description="代办（无手机成员）")
SECURITY = [{"bearer": []}]


class EntryInSchema(BaseSchema):
    kind = Text(required=True, validate=one_of(KINDS, {"vote": "表决投票", "job_application": "公益岗位报名"}))
    person_id = fields.Integer(required=True, metadata={"description": "要代办的成员（本村花名册上的人）"})
    vote_id = fields.Integer(load_default=None, allow_none=True)
    posting_id = fields.Integer(load_default=None, allow_none=True)
    choice = Text(load_default=None, allow_none=True,
                  metadata={"description": "同意/反对/弃权（或 agree/oppose/abstain）；会签前保存，任何接口都不返回"})
    note = Text(load_default=None, allow_none=True, validate=length(max=500))
    member_confirmed = fields.Boolean(required=True, metadata={"description": "本人当面确认"})
    id_last4 = Text(required=True, validate=length(4, 4, unit="位"),
                    metadata={"description": "成员身份证号码最后4位，与花名册核对"})


class CosignInSchema(BaseSchema):
    present_confirmed = fields.Boolean(required=True, metadata={"description": "会签人确认成员本人当时在场"})


class RefuseInSchema(BaseSchema):
    reason = Text(required=True, validate=length(1, 200))


class StatusArgs(BaseSchema):
    status = Text(load_default=None, allow_none=True, validate=one_of(STATUSES))


class OptionsArgs(BaseSchema):
    person_id = fields.Integer(required=True)


class TargetSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    closes_at = IsoDateTime(allow_none=True)


class EntrySchema(BaseSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    member_name = fields.String()
    household_number = fields.String()
    target = fields.Nested(TargetSchema)
    note = fields.String(allow_none=True)
    entered_by = fields.String()
    entered_at = IsoDateTime()
    expires_at = IsoDateTime()
    expires_in_seconds = fields.Integer()
    member_confirmed = fields.Boolean()
    cosigned_by = fields.String(allow_none=True)
    cosigned_at = IsoDateTime(allow_none=True)
    refused_by = fields.String(allow_none=True)
    refused_at = IsoDateTime(allow_none=True)
    refusal_reason = fields.String(allow_none=True)


class OptionVoteSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    closes_at = IsoDateTime()
    body = fields.String()


class OptionPostingSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    closes_at = IsoDateTime()
    eligible = fields.Boolean()
    reason = fields.String(allow_none=True)


class OptionsSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    household_number = fields.String()
    votes = fields.List(fields.Nested(OptionVoteSchema))
    postings = fields.List(fields.Nested(OptionPostingSchema))
    expiry_minutes = fields.Integer()


def _sweep(village_id: int) -> None:
    """Expired entries are closed (their held choice erased) before anything reads or signs one."""
    if service.expire_due(village_id):
        db.session.commit()


def _view(e: AssistedEntry) -> dict[str, Any]:
    return service.views([e])[0]


@blp.route("/villages/<int:village_id>/assisted-options", methods=["GET"])
@requires("jobs.manage", village="village_id")
@blp.arguments(OptionsArgs, location="query")
@blp.response(200, OptionsSchema)
@blp.doc(security=SECURITY)
def options(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """为某位成员代办时可选的事项：他有表决权且还没投票的进行中表决，正在报名的公益岗位（能否报名及原因）。"""
    return service.options_for(village_id, args["person_id"])


@blp.route("/villages/<int:village_id>/assisted-entries", methods=["POST"])
@requires("jobs.manage", village="village_id")
@blp.arguments(EntryInSchema)
@blp.response(201, EntrySchema)
@blp.doc(security=SECURITY)
def enter(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """录入代办（成员本人在场）：表决投票须有 decisions.manage（村党组织书记），公益岗位报名须有 jobs.manage。
    录入后等待村务监督委员会成员会签，会签前什么都不记录；
    超过时限（设置 assisted.expiry_minutes，默认30分钟）自动作废。"""
    who = require_login()
    if args["kind"] == "vote":
        require("decisions.manage", village_id=village_id)
    _sweep(village_id)
    e = service.enter(village_id, service.EntryInput(
        kind=args["kind"], person_id=args["person_id"], member_confirmed=args["member_confirmed"],
        id_last4=args["id_last4"], vote_id=args["vote_id"], posting_id=args["posting_id"], choice=args["choice"],
        note=args["note"]), actor=who)
    db.session.commit()
    return _view(e)


@blp.route("/villages/<int:village_id>/assisted-entries", methods=["GET"])
@requires("roster.read", village="village_id")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, EntrySchema(many=True))
@blp.doc(security=SECURITY)
def entries(args: dict[str, Any], village_id: int) -> list[dict[str, Any]]:
    """本村的代办（status=pending 为待会签，先到期的在前）；不含所投的选择。"""
    _sweep(village_id)
    return service.views(service.entries_of(village_id, args["status"]))


@blp.route("/assisted-entries/<int:entry_id>", methods=["GET"])
@requires("roster.read", obj=(AssistedEntry, "entry_id"))
@blp.response(200, EntrySchema)
@blp.doc(security=SECURITY)
def get_entry(entry: AssistedEntry) -> dict[str, Any]:
    """一项代办（不含所投的选择）。"""
    _sweep(entry.village_id)
    db.session.refresh(entry)
    return _view(entry)


@blp.route("/assisted-entries/<int:entry_id>/cosign", methods=["POST"])
@requires("roster.read", obj=(AssistedEntry, "entry_id"))
@blp.arguments(CosignInSchema)
@blp.response(200, EntrySchema)
@blp.doc(security=SECURITY)
def cosign(args: dict[str, Any], entry: AssistedEntry) -> dict[str, Any]:
    """会签：本村村务监督委员会成员（不是录入人）确认成员本人在场；此时才记录选票（或报名），标为代办并写明两人。"""
    who = require_login()
    _sweep(entry.village_id)
    e = service.cosign(entry, present_confirmed=args["present_confirmed"], actor=who)
    db.session.commit()
    return _view(e)


@blp.route("/assisted-entries/<int:entry_id>/refuse", methods=["POST"])
@requires("roster.read", obj=(AssistedEntry, "entry_id"))
@blp.arguments(RefuseInSchema)
@blp.response(200, EntrySchema)
@blp.doc(security=SECURITY)
def refuse(args: dict[str, Any], entry: AssistedEntry) -> dict[str, Any]:
    """拒绝会签（村务监督委员会成员），或录入人撤回：什么都不记录，保存的选择随即删除。"""
    who = require_login()
    _sweep(entry.village_id)
    e = service.refuse(entry, args["reason"], actor=who)
    db.session.commit()
    return _view(e)


@blp.cli.command("expire")
def expire_command() -> None:
    """过期未会签的代办作废（其保存的选择随即删除）。"""
    n = service.expire_due()
    db.session.commit()
    click.echo(f"已作废 {n} 项过期未会签的代办")
