"""Schemas of the share register's endpoints: share types, dated changes, the register on a date, certificates,
payee accounts, and the register's .xlsx files."""

from __future__ import annotations

from marshmallow import fields

from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, Text, length, one_of, range_
from backend.dividends.models import EVENT_KINDS, HOLDERS
from backend.dividends.shares.service import EVENT_LABELS, HOLDER_LABELS

# ---------------------------------------------------------------- share types and the register


class ShareTypeInSchema(BaseSchema):
    code = Text(required=True, validate=length(1, 20), metadata={"description": "代码，如 member、labor"})
    name = Text(required=True, validate=length(1, 20), metadata={"description": "名称，如 成员股、劳龄股"})
    unit = Text(load_default="股", validate=length(1, 10))
    holder = Text(load_default="member", validate=one_of(HOLDERS, HOLDER_LABELS))
    per_person = fields.Integer(load_default=0, validate=range_(0, 1000),
                                metadata={"description": "动态管理时新成员（出生、婚入）配给的股数"})
    sort = fields.Integer(load_default=0, validate=range_(0, 1000))


class ShareTypePatchSchema(BaseSchema):
    name = Text(validate=length(1, 20))
    unit = Text(validate=length(1, 10))
    per_person = fields.Integer(validate=range_(0, 1000))
    sort = fields.Integer(validate=range_(0, 1000))
    active = fields.Boolean()


class ShareTypeSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    unit = fields.String()
    holder = fields.String()
    per_person = fields.Integer()
    active = fields.Boolean()
    sort = fields.Integer()


class ShareTypeListSchema(BaseSchema):
    items = fields.List(fields.Nested(ShareTypeSchema))
    static_shares = fields.Boolean(metadata={"description": "true：静态管理（生不增、死不减）"})


class ChangeInSchema(BaseSchema):
    share_type_id = fields.Integer(required=True)
    delta = fields.Integer(required=True, validate=range_(-1_000_000, 1_000_000),
                           metadata={"description": "变动股数：增加为正，减少为负"})
    household_id = fields.Integer(load_default=None, allow_none=True)
    member_id = fields.Integer(load_default=None, allow_none=True)


class EventInSchema(BaseSchema):
    kind = Text(required=True, validate=one_of(EVENT_KINDS, EVENT_LABELS))
    effective_on = fields.Date(required=True, metadata={"description": "变动日期"})
    member_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "出生、死亡、婚入、婚出涉及的成员"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200))
    changes = fields.List(fields.Nested(ChangeInSchema), load_default=list, validate=length(max=500))


class ChangeSchema(BaseSchema):
    share_type_id = fields.Integer()
    share_type_name = fields.String()
    household_id = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True)
    member_id = fields.Integer(allow_none=True)
    member_name = fields.String(allow_none=True)
    delta = fields.Integer()


class EventSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    effective_on = fields.Date()
    member_id = fields.Integer(allow_none=True)
    member_name = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(ChangeSchema))


class EventListArgs(PageArgs):
    household_id = fields.Integer(load_default=None, allow_none=True,
                                  metadata={"description": "只看这一户的变动（持股变动或户内成员的事项）"})


class HouseholdPickArgs(BaseSchema):
    q = Text(load_default=None, allow_none=True, validate=length(max=30), metadata={"description": "户号或姓名"})


class PickMemberSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()
    is_collective_member = fields.Boolean()


class PickHouseholdSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    head_name = fields.String(allow_none=True)
    members = fields.List(fields.Nested(PickMemberSchema))


class PickHouseholdListSchema(BaseSchema):
    items = fields.List(fields.Nested(PickHouseholdSchema))


class RegisterArgs(PageArgs):
    on = fields.Date(load_default=None, metadata={"description": "哪一天的登记簿（默认今天）"})


class TypeSharesSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    shares = fields.Integer()


class RegisterMemberSchema(BaseSchema):
    member_id = fields.Integer()
    name = fields.String()
    shares_by_type = fields.List(fields.Nested(TypeSharesSchema))


class RegisterRowSchema(BaseSchema):
    household_id = fields.Integer(allow_none=True)
    household_number = fields.String()
    head_name = fields.String(allow_none=True)
    certificate = fields.String(allow_none=True)
    shares = fields.Integer()
    shares_by_type = fields.List(fields.Nested(TypeSharesSchema))
    members = fields.List(fields.Nested(RegisterMemberSchema))


class RegisterPageSchema(BaseSchema):
    on = fields.Date()
    register_hash = fields.String()
    total_shares = fields.Integer()
    items = fields.List(fields.Nested(RegisterRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class CertificateInSchema(BaseSchema):
    number = Text(required=True, validate=length(1, 30), metadata={"description": "股权证号"})
    issued_on = fields.Date(required=True)


class CertificateSchema(BaseSchema):
    household_id = fields.Integer()
    number = fields.String()
    issued_on = fields.Date()


class PayeeInSchema(BaseSchema):
    account_name = Text(required=True, validate=length(1, 40), metadata={"description": "户名"})
    bank_name = Text(required=True, validate=length(1, 60), metadata={"description": "开户行"})
    account_no = Text(required=True, validate=length(8, 40), metadata={"description": "银行账号"})


class PayeeSchema(BaseSchema):
    household_id = fields.Integer()
    account_name = fields.String()
    bank_name = fields.String()
    account_no = fields.String(metadata={"description": "只显示后4位"})


# ---------------------------------------------------------------- .xlsx files


class ShareRegisterFileArgs(BaseSchema):
    on = fields.Date(load_default=None, metadata={"description": "哪一天的登记簿（默认今天）"})


class ShareImportReportSchema(BaseSchema):
    """What an import did (or, on a dry run, would do)."""

    effective_on = fields.Date(metadata={"description": "文件所载登记簿的生效日期"})
    rows = fields.Integer(metadata={"description": "文件中的持股行数"})
    households = fields.Integer(metadata={"description": "文件中的户数（不含集体）"})
    households_changed = fields.Integer(metadata={"description": "持股有变动的户数（集体计为一户）"})
    holdings_added = fields.Integer(metadata={"description": "新增的持股（户、成员、股份类型）"})
    holdings_changed = fields.Integer(metadata={"description": "股数变更的持股"})
    holdings_removed = fields.Integer(metadata={"description": "取消的持股（变为0）"})
    holdings_unchanged = fields.Integer(metadata={"description": "未变的持股"})
    shares_before = fields.Integer(metadata={"description": "导入前该日的股份合计"})
    shares_after = fields.Integer(metadata={"description": "导入后该日的股份合计"})
    certificates_issued = fields.Integer(metadata={"description": "新发股权证的户数"})
    certificates_changed = fields.Integer(metadata={"description": "更正股权证号的户数"})
    kind = fields.String(allow_none=True,
                         metadata={"description": "登记的变动类型：initial 初始登记、adjust 调整；无变动为空"})
    event_id = fields.Integer(allow_none=True, metadata={"description": "登记的股权变动（试导入或无变动时为空）"})
    changed = fields.Boolean(metadata={"description": "是否有变动（持股或股权证）"})
    dry_run = fields.Boolean()
    message = fields.String(metadata={"description": "结果说明"})
