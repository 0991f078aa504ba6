"""Output shape of ``GET /me/home``: the caller as ``/me`` shows them, votes as ``/me/votes``, and its own parts."""

from __future__ import annotations

from marshmallow import fields

from backend.auth import MeMemberSchema
from backend.core.schemas import BaseSchema, IsoDateTime, Yuan
from backend.decisions import MyVoteSchema
from backend.registry import PlaceSchema


class HomeNoticeSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    source = fields.String(metadata={"description": "township | village"})
    source_name = fields.String()
    category = fields.String()
    pinned = fields.Boolean()
    published_at = IsoDateTime()
    read = fields.Boolean()


class HomeDisclosureSchema(BaseSchema):
    id = fields.Integer()
    period = fields.String()
    title = fields.String()
    published_at = IsoDateTime()
    income_total = Yuan()
    expense_total = Yuan()
    seal = fields.String(allow_none=True, metadata={"description": "封签（SHA-256）"})


class HomeMoneySchema(BaseSchema):
    year = fields.Integer(metadata={"description": "今年（北京时间）"})
    dividends = Yuan(metadata={"description": "今年发到我家的分红（不论哪一年度的分配）"})
    land_rent = Yuan(metadata={"description": "今年转到我家的土地流转租金"})
    job_pay = Yuan(metadata={"description": "今年发给我的公益岗位工资"})
    total = Yuan()


class HomeSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    member = fields.Nested(MeMemberSchema, allow_none=True)
    village = fields.Nested(PlaceSchema, allow_none=True)
    township = fields.Nested(PlaceSchema, allow_none=True)
    roles = fields.List(fields.String())
    unread_notices = fields.Integer(metadata={"description": "发给我、我还没读的公告（与“我的公告”同一规则）"})
    latest_notice = fields.Nested(HomeNoticeSchema, allow_none=True,
                                  metadata={"description": "“我的公告”列表的第一条（置顶的在前，最新的在前）"})
    open_votes = fields.List(fields.Nested(MyVoteSchema), metadata={"description": "与“我的表决”相同"})
    latest_disclosure = fields.Nested(HomeDisclosureSchema, allow_none=True,
                                      metadata={"description": "本村最新公开的财务公开"})
    money_this_year = fields.Nested(HomeMoneySchema)
