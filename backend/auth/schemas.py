from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from backend.core.schemas import BaseSchema, IsoDateTime, Text, length
from backend.registry import PlaceSchema


class WeChatLoginSchema(BaseSchema):
    code = Text(required=True, validate=length(1, 128), metadata={"description": "wx.login() 得到的 code"})


class BindSchema(BaseSchema):
    bind_ticket = Text(required=True, validate=length(1, 128))
    village_code = Text(validate=length(1, 20), metadata={"description": "村编码（乡镇工作人员填乡镇编码）"})
    name = Text(validate=length(1, 40))
    id_card_last6 = Text(validate=length(6, 6))
    phone_code = Text(validate=length(1, 256), metadata={"description": "getPhoneNumber 得到的 code"})

    @validates_schema
    def _one_way(self, data: dict[str, Any], **kwargs: Any) -> None:
        roster = [k for k in ("village_code", "name", "id_card_last6") if data.get(k)]
        if data.get("phone_code"):
            if roster:
                raise ValidationError("请选择一种方式：手机号，或村编码+姓名+身份证后6位")
            return
        missing = [k for k in ("village_code", "name", "id_card_last6") if not data.get(k)]
        if missing:
            labels = {"village_code": "村编码", "name": "姓名", "id_card_last6": "身份证后6位"}
            raise ValidationError("请填写" + "、".join(labels[k] for k in missing))


class MeMemberSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    household_id = fields.Integer()


class ScopeSchema(BaseSchema):
    role = fields.String()
    village_ids = fields.List(fields.Integer())
    township_id = fields.Integer(allow_none=True)


class MeSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    member = fields.Nested(MeMemberSchema, allow_none=True)
    village = fields.Nested(PlaceSchema, allow_none=True)
    township = fields.Nested(PlaceSchema, allow_none=True)
    roles = fields.List(fields.String())
    scopes = fields.List(fields.Nested(ScopeSchema))


class LoginResultSchema(BaseSchema):
    bound = fields.Boolean(required=True)
    token = fields.String()
    expires_at = IsoDateTime()
    user = fields.Nested(MeSchema)
    bind_ticket = fields.String()
    bind_ticket_expires_at = IsoDateTime()


# ---------------------------------------------------------------- the staff console's log-in


class ConsoleTicketArgsSchema(BaseSchema):
    browser = Text(validate=length(0, 1000), load_default=None, allow_none=True,
                   metadata={"description": "浏览器的简短说明（缺省取 User-Agent），保留前 120 个字符"})


class ConsoleTicketSchema(BaseSchema):
    ticket = fields.String(metadata={"description": "管理端轮询用的密钥，不要显示"})
    qr = fields.String(metadata={"description": "二维码内容：sunshine-console:<code>"})
    code = fields.String(metadata={"description": "二维码里的公开编号（凭它不能轮询）"})
    expires_at = IsoDateTime()
    poll_interval_seconds = fields.Integer()


class ConsolePollSchema(BaseSchema):
    status = fields.String(metadata={"description": "waiting|approved|refused|expired|used"})
    expires_at = IsoDateTime(metadata={"description": "二维码的到期时间；发放 token 时为 token 的到期时间"})
    token = fields.String()
    user = fields.Nested(MeSchema)


class ConsoleRequestSchema(BaseSchema):
    status = fields.String()
    browser = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    created_at = IsoDateTime()
    expires_at = IsoDateTime()


class ConsoleLoginSchema(BaseSchema):
    token = fields.String()
    expires_at = IsoDateTime()
    user = fields.Nested(MeSchema)


class DemoConsoleLoginSchema(BaseSchema):
    key = fields.String(metadata={"description": "演示账号：绑定在 openid o-<key> 上"})
    name = fields.String()
    roles = fields.List(fields.String())
    role_labels = fields.List(fields.String())


class DemoConsoleLoginArgsSchema(BaseSchema):
    key = Text(required=True, validate=length(1, 40))
    browser = Text(validate=length(0, 1000), load_default=None, allow_none=True)
