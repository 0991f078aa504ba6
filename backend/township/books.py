"""The villages whose books a person keeps (代理记账): for the township's agency accountant, the villages of their
village-scoped 代理会计 appointments; for a village's accountant or secretary, their own village. Each with its open
month, its drafts waiting to be posted and whether its last quarter's 财务公开 is overdue.

Read-only. It lives with the township because it reads two domains the ledger may not join: the books
(:func:`backend.ledger.books_status`) and the disclosures (:func:`backend.disclosures.township_status`, with the
overdue rule of the township's warnings: not published ``township.disclosure_due_days`` days after the quarter)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields

from backend import disclosures, ledger, registry
from backend.core.clock import today
from backend.core.errors import forbidden
from backend.core.permissions import Principal, require_login, requires, role_label
from backend.core.schemas import BaseSchema
from backend.township.warnings import DISCLOSURE_DUE_DAYS, quarter_end

blp = Blueprint("books", __name__, description="代理记账：我记账的村（开账月份、未记账草稿、财务公开是否逾期）")
SECURITY = [{"bearer": []}]

# the village roles that keep a village's books, and the township's agency accountant for the villages assigned
KEEPER_ROLES = ("accountant", "secretary")
AGENCY = "township_accountant"


def kept_village_roles(p: Principal) -> dict[int, list[str]]:
    """village id → the roles through which ``p`` keeps its books (a township-wide assignment keeps none)."""
    out: dict[int, list[str]] = {}
    for gr in p.grants:
        if gr.role in KEEPER_ROLES or (gr.role == AGENCY and gr.township_id is None):
            for vid in gr.village_ids:
                if gr.role not in out.setdefault(vid, []):
                    out[vid].append(gr.role)
    return out


def _month_label(period: str) -> str:
    return f"{int(period[:4])}年{int(period[5:])}月"


def kept_villages(p: Principal, on: date) -> list[dict[str, Any]]:
    roles = kept_village_roles(p)
    if not roles:
        raise forbidden("ledger.keeps_no_books", "您没有代管或记账的村")
    villages = sorted((registry.get_village(vid) for vid in roles), key=lambda v: v.code)
    books = ledger.books_status([v.id for v in villages], on)
    period = disclosures.previous_quarter(on)
    published: dict[int, bool] = {}
    due: dict[int, date] = {}
    for tid in {v.township_id for v in villages}:
        status = disclosures.township_status(tid, period)
        for row in status["villages"]:
            published[row["village_id"]] = row["published"]
        days = registry.settings.get_for_township(tid, DISCLOSURE_DUE_DAYS.key)
        due[tid] = quarter_end(period) + timedelta(days=days)
    out = []
    for v in villages:
        b = books[v.id]
        is_published = published.get(v.id, False)
        out.append({
            "village_id": v.id,
            "code": v.code,
            "name": v.name,
            "roles": [role_label(r) for r in roles[v.id]],
            "open_month": b["open_month"],
            "open_month_label": _month_label(b["open_month"]),
            "last_closed": b["last_closed"],
            "drafts": b["drafts"],
            "disclosure_period": period,
            "disclosure_label": period.replace("-Q", "年第") + "季度",
            "disclosure_published": is_published,
            "disclosure_due_on": due[v.township_id],
            "disclosure_overdue": not is_published and on > due[v.township_id],
        })
    return out


class KeptVillageSchema(BaseSchema):
    village_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "凭什么职务记这个村的账（会计、代理会计…）"})
    open_month = fields.String(metadata={"description": "开账月份：最早一个未结账的月份 YYYY-MM"})
    open_month_label = fields.String()
    last_closed = fields.String(allow_none=True, metadata={"description": "最近结账的月份"})
    drafts = fields.Integer(metadata={"description": "未记账的草稿凭证张数"})
    disclosure_period = fields.String(metadata={"description": "应公开的季度（上一个已结束的季度）YYYY-Qn"})
    disclosure_label = fields.String()
    disclosure_published = fields.Boolean()
    disclosure_due_on = fields.Date(metadata={"description": "公开期限（季度结束后若干天，乡镇设置）"})
    disclosure_overdue = fields.Boolean(metadata={"description": "过了期限仍未公开"})


@blp.route("/me/kept-villages", methods=["GET"])
@requires(None)
@blp.response(200, KeptVillageSchema(many=True))
@blp.doc(security=SECURITY)
def my_kept_villages() -> list[dict[str, Any]]:
    """我记账的村：代理会计所代管的各村（村会计、书记为本村），各村的开账月份、未记账草稿、上季度财务公开是否逾期。"""
    return kept_villages(require_login(), today())
