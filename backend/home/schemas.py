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


class HomeOwedSchema(BaseSchema):
    kind = fields.String(metadata={"description": "land_rent 流入方未付的租金 | land_rent_unpriced 租金金额待定 | "
                                                  "rent_awaiting 村已代收、待转付 | dividend 已公示未发的分红 | "
                                                  "job_pay 已记账未发的岗位工资"})
    text = fields.String(metadata={"description": "这一项的一句话"})
    amount = fields.String(allow_none=True, metadata={"description": "元；金额待定时为空"})
    by = fields.Date(allow_none=True, metadata={"description": "合同约定的付款日（租金）或公示截止日（分红）"})
    overdue = fields.Boolean(metadata={"description": "已过合同约定的付款日"})


class HomeSummarySchema(BaseSchema):
    received = fields.String(metadata={"description": "今年已到账的一句话（分红、已转付到户的租金、岗位工资）"})
    owed = fields.List(fields.String(), metadata={
        "description": "还没到账的，每项一句（有日期的写明日期）；都到了时为一句“今年应得的都已到账。”"})
    sentences = fields.List(fields.String(), metadata={"description": "received 和 owed，按显示的顺序"})
    owed_total = Yuan(metadata={"description": "还没到账的已知金额合计（含待转付）"})
    owed_items = fields.List(fields.Nested(HomeOwedSchema))


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
    summary = fields.Nested(HomeSummarySchema, allow_none=True, metadata={
        "description": "用大白话说：今年到账多少，还有多少没到、什么时候到；没有户的人为空"})
