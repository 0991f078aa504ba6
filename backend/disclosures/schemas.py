"""财务公开 schemas: the shapes villagers read (docs/api.md), and the staff's drafting and review shapes."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates

from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_
from backend.disclosures.models import STATUSES
from backend.disclosures.periods import PERIOD_RE

_PERIOD_HELP = "公开期间：月份 YYYY-MM 或季度 YYYY-Qn，如 2026-03、2026-Q1"
_STATUS_LABELS = {"draft": "草稿", "returned": "已退回", "approved": "已审核", "published": "已公开"}


def _check_period(value: str) -> None:
    if not PERIOD_RE.match(value):
        raise ValidationError("公开期间应为月份 YYYY-MM 或季度 YYYY-Qn，如 2026-03 或 2026-Q1")


# ---------------------------------------------------------------- input


class DisclosureCreateSchema(BaseSchema):
    period = Text(required=True, metadata={"description": _PERIOD_HELP})
    title = Text(validate=length(1, 100), allow_none=True, load_default=None,
                 metadata={"description": "标题，不填则为“某某村2026年第一季度财务收支公开”"})

    @validates("period")
    def _period(self, value: str, **kwargs: Any) -> None:
        _check_period(value)


class DisclosureReturnSchema(BaseSchema):
    reason = Text(required=True, validate=length(1, 300), metadata={"description": "退回理由（会计据此修改）"})


class DisclosureErratumSchema(BaseSchema):
    reason = Text(required=True, validate=length(1, 300), metadata={"description": "更正原因（随公告公开）"})
    title = Text(validate=length(1, 100), allow_none=True, load_default=None,
                 metadata={"description": "标题，不填则为“更正：原标题”"})


class DisclosureQuestionInSchema(BaseSchema):
    line_no = fields.Integer(required=True, strict=True, validate=range_(min=1, max=100_000),
                             metadata={"description": "对第几行提问（明细的 line_no）"})
    text = Text(required=True, validate=length(1, 500))


class DisclosureAnswerInSchema(BaseSchema):
    text = Text(required=True, validate=length(1, 1000))


class DisclosureStaffListArgs(PageArgs):
    status = Text(validate=one_of(STATUSES, _STATUS_LABELS))


class DisclosureStatusArgs(BaseSchema):
    period = Text(validate=length(7, 7), metadata={"description": _PERIOD_HELP + "；不填为上一个已结束的季度"})

    @validates("period")
    def _period(self, value: str, **kwargs: Any) -> None:
        _check_period(value)


# ---------------------------------------------------------------- output: what villagers read (docs/api.md)


class DisclosureSummarySchema(BaseSchema):
    """One published disclosure in the village's list (docs/api.md: exactly these fields)."""

    id = fields.Integer()
    period = fields.String()
    title = fields.String()
    published_at = IsoDateTime()
    income_total = Yuan(attribute="income_total_fen")
    expense_total = Yuan(attribute="expense_total_fen")
    seal = fields.Function(lambda d: d.seal.hash if d.seal else None, metadata={"description": "封签（SHA-256）"})


class DisclosureLineSchema(BaseSchema):
    line_no = fields.Integer(metadata={"description": "行号（提问时引用）"})
    date = fields.String(metadata={"description": "凭证日期 YYYY-MM-DD"})
    voucher_no = fields.String(metadata={"description": "凭证号：月份-编号"})
    summary = fields.String()
    account = fields.String(metadata={"description": "会计科目"})
    category = fields.String(metadata={"description": "公开类别"})
    income = fields.String(metadata={"description": "收入（元），冲销为负数"})
    expense = fields.String(metadata={"description": "支出（元），冲销为负数"})


class DisclosureCategorySchema(BaseSchema):
    category = fields.String()
    income = fields.String()
    expense = fields.String()


class DisclosureDecisionSchema(BaseSchema):
    id = fields.Integer(allow_none=True)
    ref = fields.String(metadata={"description": "凭证上注明的决议编号"})
    title = fields.String(allow_none=True)
    resolved_on = fields.String(allow_none=True)
    amount = fields.String(allow_none=True)


class DisclosureLargeItemSchema(BaseSchema):
    date = fields.String()
    voucher_no = fields.String()
    summary = fields.String()
    amount = fields.String()
    decision = fields.Nested(DisclosureDecisionSchema, allow_none=True,
                             metadata={"description": "所依据的四议两公开决议"})


class DisclosureQuestionSchema(BaseSchema):
    id = fields.Integer()
    disclosure_id = fields.Integer()
    line_no = fields.Integer()
    text = fields.String()
    asked_by = fields.String(allow_none=True, metadata={"description": "提问人（只显示姓）"})
    asked_at = IsoDateTime()
    due_on = fields.Date(metadata={"description": "答复期限"})
    overdue = fields.Boolean()
    answer = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_at = IsoDateTime(allow_none=True)


class DisclosureVillageSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class DisclosureSchema(BaseSchema):
    """One disclosure: the fields of docs/api.md, the seal to recompute, corrections and questions."""

    id = fields.Integer()
    village_id = fields.Integer()
    village = fields.Nested(DisclosureVillageSchema)
    period = fields.String()
    title = fields.String()
    status = fields.String(
        metadata={"description": "draft 草稿 / returned 已退回 / approved 已审核 / published 已公开"}
    )
    drafted_at = IsoDateTime()
    approved_at = IsoDateTime(allow_none=True)
    published_at = IsoDateTime(allow_none=True)
    income_total = fields.String()
    expense_total = fields.String()
    lines = fields.List(fields.Nested(DisclosureLineSchema))
    by_category = fields.List(fields.Nested(DisclosureCategorySchema))
    large_items = fields.List(fields.Nested(DisclosureLargeItemSchema))
    large_expense_threshold = fields.String(metadata={"description": "大额支出的金额标准（元）"})
    prepared_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True, metadata={"description": "审核的村务监督委员"})
    return_reason = fields.String(allow_none=True, metadata={"description": "最近一次退回的理由"})
    corrects_id = fields.Integer(allow_none=True, metadata={"description": "本公告更正的那一份"})
    corrected_by = fields.Integer(allow_none=True, metadata={"description": "更正本公告的那一份"})
    erratum_reason = fields.String(allow_none=True)
    seal = fields.String(allow_none=True)
    prev_seal = fields.String(allow_none=True, metadata={"description": "本村上一个封签（第一个为空字符串）"})
    sealed_content = fields.String(
        allow_none=True,
        metadata={"description": "封存的规范 JSON 原文：seal = sha256(prev_seal + \"\\n\" + sealed_content)"},
    )
    seal_short_code = fields.String(allow_none=True, metadata={
        "description": "封签短码（如 3f2a-91bc）：与村务公开栏纸质公示上印的一致即为同一份"})
    questions = fields.List(fields.Nested(DisclosureQuestionSchema), metadata={
        "description": "能答复的村干部看到全部提问；村民只看到自己提的"})
    question_counts = fields.Dict(metadata={"description": "提问条数 {count, answered, overdue}（公开）"})


class DisclosureStaffSchema(BaseSchema):
    """A disclosure in the staff's list, drafts included."""

    id = fields.Integer()
    period = fields.String()
    title = fields.String()
    status = fields.String()
    corrects_id = fields.Integer(allow_none=True)
    prepared_by = fields.String(attribute="prepared_by_name", allow_none=True)
    approved_by = fields.String(attribute="approved_by_name", allow_none=True)
    return_reason = fields.String(allow_none=True)
    drafted_at = IsoDateTime()
    approved_at = IsoDateTime(allow_none=True)
    published_at = IsoDateTime(allow_none=True)
    income_total = Yuan(attribute="income_total_fen")
    expense_total = Yuan(attribute="expense_total_fen")
    seal = fields.Function(lambda d: d.seal.hash if d.seal else None)


# ---------------------------------------------------------------- output: the township's view


class DisclosureOverdueSchema(BaseSchema):
    id = fields.Integer()
    disclosure_id = fields.Integer()
    line_no = fields.Integer()
    text = fields.String()
    asked_at = IsoDateTime()
    due_on = fields.Date()
    days_overdue = fields.Integer()


class DisclosureBriefSchema(BaseSchema):
    id = fields.Integer()
    period = fields.String()
    title = fields.String()
    published_at = IsoDateTime()


class DisclosureVillageStatusSchema(BaseSchema):
    village_id = fields.Integer()
    village_code = fields.String()
    village_name = fields.String()
    published = fields.Boolean(metadata={"description": "该期间是否已公开（季度也可由三个月的公开合起来）"})
    disclosures = fields.List(fields.Nested(DisclosureBriefSchema))
    open_questions = fields.Integer(metadata={"description": "未答复的提问"})
    overdue_questions = fields.Integer(metadata={"description": "超过答复期限仍未答复的提问"})
    overdue = fields.List(fields.Nested(DisclosureOverdueSchema))


class DisclosureTownshipStatusSchema(BaseSchema):
    township_id = fields.Integer()
    period = fields.String()
    unpublished = fields.Integer(metadata={"description": "该期间尚未公开的村数"})
    villages = fields.List(fields.Nested(DisclosureVillageStatusSchema))


# ---------------------------------------------------------------- output: the reviewers' view (staff only)


class LineVoucherSchema(BaseSchema):
    id = fields.Integer(metadata={"description": "凭证编号（GET /vouchers/{id}）"})
    number = fields.String(metadata={"description": "凭证号：月份-编号"})
    date = fields.String(metadata={"description": "凭证日期 YYYY-MM-DD"})
    summary = fields.String()
    amount = fields.String(metadata={"description": "凭证金额（借方合计，元）"})


class DisclosureReviewLineSchema(DisclosureLineSchema):
    vouchers = fields.List(fields.Nested(LineVoucherSchema), metadata={"description": "本行所依据的凭证"})


class DisclosureReviewSchema(DisclosureSchema):
    lines = fields.List(fields.Nested(DisclosureReviewLineSchema))


# ---------------------------------------------------------------- the console's drafting screen (issue 19)


class DisclosureChoicesArgs(BaseSchema):
    kind = Text(validate=one_of(("month", "quarter"), {"month": "month（按月）", "quarter": "quarter（按季度）"}),
                metadata={"description": "month 按月 / quarter 按季度；不填按本村的设置（disclosures.monthly）"})


class DisclosureChoiceDisclosureSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String()
    status_label = fields.String(metadata={"description": "待审核 / 已退回 / 已审核 / 已公开"})
    title = fields.String()
    return_reason = fields.String(allow_none=True, metadata={"description": "已退回时监督委员会写的理由"})


class DisclosureChoiceSchema(BaseSchema):
    period = fields.String()
    label = fields.String(metadata={"description": "如 2026年第四季度"})
    months = fields.List(fields.String())
    closed = fields.Boolean(metadata={"description": "各月都已结账"})
    open_months = fields.List(fields.String(), metadata={"description": "尚未结账的月份"})
    disclosure = fields.Nested(DisclosureChoiceDisclosureSchema, allow_none=True)
    covered_by = fields.String(allow_none=True, metadata={"description": "已覆盖本期的已公开期间"})
    can_draft = fields.Boolean(metadata={"description": "现在可以编制（或重新编制）"})
    reason = fields.String(allow_none=True, metadata={"description": "不能编制的原因"})


class DisclosureChoicesSchema(BaseSchema):
    cadence = fields.String(metadata={"description": "month 按月 / quarter 按季度"})
    items = fields.List(fields.Nested(DisclosureChoiceSchema))


class DisclosurePreviewArgs(BaseSchema):
    period = Text(required=True, metadata={"description": _PERIOD_HELP})

    @validates("period")
    def _period(self, value: str, **kwargs: Any) -> None:
        _check_period(value)


class DisclosurePreviewSchema(BaseSchema):
    """What the disclosure would say if drafted now (nothing is saved)."""

    period = fields.String()
    label = fields.String()
    title = fields.String(metadata={"description": "缺省标题"})
    income_total = fields.String()
    expense_total = fields.String()
    lines = fields.List(fields.Nested(DisclosureLineSchema))
    by_category = fields.List(fields.Nested(DisclosureCategorySchema))
    large_items = fields.List(fields.Nested(DisclosureLargeItemSchema))
    large_expense_threshold = fields.String()
