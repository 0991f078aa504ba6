from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from backend.core.clock import SHANGHAI
from backend.core.pagination import PageArgs
from backend.core.permissions import ROLE_LABELS
from backend.core.schemas import BaseSchema, IsoDateTime, Text, length, one_of, range_
from backend.registry.history import END_REASONS
from backend.registry.people import RELATIONS, STATUSES
from backend.registry.roles import ASSIGNABLE_ROLES


class PlaceSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class VillageSchema(PlaceSchema):
    township = fields.Nested(PlaceSchema)


class VillageInSchema(BaseSchema):
    code = Text(required=True, validate=length(1, 20),
                metadata={"description": "村编码：2—20 位字母和数字，以字母开头，如 LJ01（乡镇和村的编码都不能重复）"})
    name = Text(required=True, validate=length(1, 30), metadata={"description": "村名，如 临江村"})


class HouseholdInSchema(BaseSchema):
    number = Text(required=True, validate=length(1, 30), metadata={"description": "户号，如 LJ-005"})
    address = Text(validate=length(max=120), allow_none=True)
    is_tuopin = fields.Boolean(load_default=False, metadata={"description": "脱贫户"})
    is_jiance = fields.Boolean(load_default=False, metadata={"description": "监测户"})


class HouseholdPatchSchema(BaseSchema):
    number = Text(validate=length(1, 30))
    address = Text(validate=length(max=120), allow_none=True)
    is_tuopin = fields.Boolean()
    is_jiance = fields.Boolean()


class HouseholdMemberSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String(attribute="person.name")
    relation = fields.String()
    is_head = fields.Boolean()
    status = fields.String()


class HouseholdSchema(BaseSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    number = fields.String()
    address = fields.String(allow_none=True)
    is_tuopin = fields.Boolean()
    is_jiance = fields.Boolean()


class HouseholdDetailSchema(HouseholdSchema):
    members = fields.List(fields.Nested(HouseholdMemberSchema))


class MemberInSchema(BaseSchema):
    name = Text(required=True, validate=length(1, 40))
    id_card = Text(required=True, validate=length(18, 18), metadata={"description": "18 位身份证号（只存哈希）"})
    household_number = Text(required=True, validate=length(1, 30))
    relation = Text(load_default="户主", validate=one_of(RELATIONS))
    is_head = fields.Boolean(load_default=False)
    phone = Text(allow_none=True, validate=length(max=20))
    is_collective_member = fields.Boolean(load_default=True)
    status = Text(load_default="active", validate=one_of(list(STATUSES), STATUSES))


class MemberPatchSchema(BaseSchema):
    name = Text(validate=length(1, 40))
    household_number = Text(validate=length(1, 30))
    relation = Text(validate=one_of(RELATIONS))
    is_head = fields.Boolean()
    phone = Text(allow_none=True, validate=length(max=20))
    is_collective_member = fields.Boolean()
    status = Text(validate=one_of(list(STATUSES), STATUSES))


class MemberSchema(BaseSchema):
    id = fields.Integer()
    person_id = fields.Integer()
    village_id = fields.Integer()
    household_id = fields.Integer()
    household_number = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = fields.Date()
    id_last4 = fields.String(metadata={"description": "身份证后4位（仅用于辨认）"})
    phone = fields.String(allow_none=True, metadata={"description": "本人和村干部可见完整号码，其他人看到打码号码"})
    relation = fields.String()
    is_head = fields.Boolean()
    is_collective_member = fields.Boolean()
    status = fields.String()
    is_tuopin = fields.Boolean()
    is_jiance = fields.Boolean()


class MemberListArgs(PageArgs):
    q = Text(validate=length(max=40))
    status = Text(validate=one_of(list(STATUSES), STATUSES))


class MemberMoveSchema(BaseSchema):
    household_id = fields.Integer(validate=range_(min=1),
                                  metadata={"description": "迁入的户（本村）；或用 household_number"})
    household_number = Text(validate=length(1, 30), metadata={"description": "迁入的户号（本村），如 LJ-012"})
    relation = Text(required=True, validate=one_of(RELATIONS),
                    metadata={"description": "与新户户主的关系；户主表示当该户户主"})
    on = fields.Date(load_default=None, metadata={"description": "迁户日期（不填为今天；不能晚于今天）"})
    new_head_id = fields.Integer(validate=range_(min=1), metadata={"label": "新户主",
        "description": "户主迁走而户内还有人时：原户中改任户主的成员编号"})
    note = Text(validate=length(max=200), allow_none=True)

    @validates_schema
    def _one_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("household_id" in data) == ("household_number" in data):
            raise ValidationError("请选择要迁入的户（户号）", "household_number")


class MemberEndSchema(BaseSchema):
    reason = Text(required=True, validate=one_of(list(END_REASONS), END_REASONS),
                  metadata={"description": "注销原因：moved_out 迁出、deceased 死亡、other 其他原因"})
    on = fields.Date(required=True, metadata={"description": "注销日期（迁出或死亡的日期；不能晚于今天）"})
    note = Text(validate=length(max=200), allow_none=True, metadata={"description": "说明，如迁往何处"})


class HistoryItemSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "joined 登记入册、edited 修改信息、moved 迁户、ended 注销成员"})
    kind_label = fields.String()
    on = fields.Date()
    at = IsoDateTime()
    reason = fields.String(allow_none=True)
    reason_label = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    actor_name = fields.String(metadata={"description": "操作人；命令行、演示数据为“系统”"})


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(SHANGHAI).date() if moment is not None else None


class RoleInSchema(BaseSchema):
    person_id = fields.Integer(required=True)
    role = Text(required=True, validate=one_of(ASSIGNABLE_ROLES, ROLE_LABELS))
    note = Text(validate=length(max=200))
    start_on = fields.Date(load_default=None, metadata={"description": "任职开始日期（不填为今天；不能晚于今天）"})
    end_on = fields.Date(load_default=None, metadata={
        "description": "任职结束日期：只在登记一段已经结束的任职时填写（不能晚于今天）"})


class RoleEndSchema(BaseSchema):
    end_on = fields.Date(load_default=None, metadata={"description": "任职结束日期（不填为今天；不能晚于今天）"})


class RoleAssignmentSchema(BaseSchema):
    id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String(attribute="person.name")
    role = fields.String()
    role_label = fields.Function(lambda ra: ROLE_LABELS.get(ra.role, ra.role))
    village_id = fields.Integer(allow_none=True)
    township_id = fields.Integer(allow_none=True)
    valid_from = IsoDateTime()
    valid_to = IsoDateTime(allow_none=True)
    start_on = fields.Function(lambda ra: _day(ra.valid_from).isoformat(),  # type: ignore[union-attr]
                               metadata={"description": "任职开始日期"})
    end_on = fields.Function(lambda ra: ra.valid_to and _day(ra.valid_to).isoformat(),  # type: ignore[union-attr]
                             allow_none=True, metadata={"description": "任职结束日期（现任为空）"})
    current = fields.Function(lambda ra: ra.valid_to is None)
    note = fields.String(allow_none=True)


class HouseholdListArgs(PageArgs):
    q = Text(validate=length(max=40))


class RoleListArgs(PageArgs):
    current = fields.Boolean(load_default=False)
    role = Text(validate=one_of(ASSIGNABLE_ROLES, ROLE_LABELS), metadata={"description": "只看这一种角色"})


class DayOrTime(fields.Field):
    """A day ``YYYY-MM-DD`` (China's date) or a time with its zone ``2026-11-22T09:00:00+08:00``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | datetime:
        text = str(value).strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("应为日期 YYYY-MM-DD 或带时区的时间，例如 2026-11-22") from exc
        if moment.tzinfo is None:
            raise ValidationError("时间需要带时区，例如 2026-11-22T09:00:00+08:00")
        if not 1970 <= moment.year <= 2999:
            raise ValidationError("时间应在 1970 年到 2999 年之间")
        return moment


class AuditListArgs(PageArgs):
    person_id = fields.Integer(validate=range_(min=1), metadata={"description": "只看此人的操作"})
    action = Text(validate=length(max=64), metadata={"description": "只看这一种操作（见 /audit/actions）"})
    since = DayOrTime(metadata={"description": "从这天（含）或这一时刻起"})
    until = DayOrTime(metadata={"description": "到这天（含）或这一时刻前"})

    @validates_schema
    def _span(self, data: dict[str, Any], **kwargs: Any) -> None:
        s, u = data.get("since"), data.get("until")
        if s is not None and u is not None and type(s) is type(u) and s > u:
            raise ValidationError("开始日期不能晚于结束日期", "until")


class AuditEntrySchema(BaseSchema):
    id = fields.Integer()
    at = IsoDateTime()
    actor_person_id = fields.Integer(allow_none=True)
    actor_name = fields.String(metadata={"description": "操作人姓名；命令行和自动任务为“系统”"})
    actor_roles = fields.String()
    action = fields.String()
    action_label = fields.String(metadata={"description": "操作的中文名称"})
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    before = fields.Raw(allow_none=True, metadata={"description": "改动前（JSON）"})
    after = fields.Raw(allow_none=True, metadata={"description": "改动后（JSON）"})


class SettingSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    value = fields.Integer()
    default = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()
    unit = fields.String()


class SettingInSchema(BaseSchema):
    value = fields.Integer(required=True, strict=True)


class RowErrorSchema(BaseSchema):
    row = fields.Integer()
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportReportSchema(BaseSchema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    households_updated = fields.Integer()
    households_created = fields.Integer()
    rows = fields.Integer()
    dry_run = fields.Boolean()


class AuditActionSchema(BaseSchema):
    action = fields.String()
    label = fields.String()


class AuditActorSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
