"""Request and response shapes of the announcement endpoints (docs/api.md "Announcements")."""

from __future__ import annotations

from marshmallow import fields

from backend.core.schemas import BaseSchema, IsoDateTime, Text, length, one_of, range_
from backend.notices.models import AUDIENCE_LABELS, AUDIENCES, CATEGORIES, READ_CHANNELS


class NoticeInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 80))
    body = Text(required=True, validate=length(1, 20000))
    category = Text(load_default="通知", validate=one_of(CATEGORIES))
    audience = Text(load_default="everyone", validate=one_of(AUDIENCES, AUDIENCE_LABELS))
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


class PushTemplatesSchema(BaseSchema):
    moments = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "每个时机要请求订阅的模板 id（每次最多 3 个）：vote（投票后）、"
                                                   "notices（公告页）、job_apply（报名后）、dividends（分红页）、"
                                                   "objection（提出异议后）"})


class VillageReachSchema(BaseSchema):
    audience = fields.Integer(metadata={"description": "本村应读人数"})
    read = fields.Integer()
    read_in_app = fields.Integer()
    read_offline = fields.Integer()
    unread = fields.Integer()
    share = fields.String(metadata={"description": "已读比例，如 37.5%"})


class VillageNoticeSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    category = fields.String()
    audience = fields.String()
    audience_label = fields.String()
    pinned = fields.Boolean()
    source = fields.String(metadata={"description": "village（本村发的）| township（镇里发来的）"})
    source_name = fields.String()
    published_at = fields.String()
    publisher = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "live | withdrawn | expired"})
    status_label = fields.String()
    withdrawn_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    can_withdraw = fields.Boolean(metadata={"description": "本村发的、还在显示的：本村书记和村委可以撤回"})
    reach = fields.Nested(VillageReachSchema, allow_none=True)
