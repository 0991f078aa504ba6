"""财务公开 endpoints: villagers read published disclosures and ask about a line; the accountant drafts and
publishes; the supervision committee approves or returns; the township sees who has published."""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import Response, current_app, jsonify, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.idempotency import idempotent
from backend.core.pagination import PageArgs, page_schema
from backend.core.permissions import require_login, requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page
from backend.disclosures import choices, drafting, questions, review, service
from backend.disclosures.models import Disclosure, DisclosureQuestion
from backend.disclosures.periods import period_label
from backend.disclosures.printing.document import published_date
from backend.disclosures.printing.pdf import disclosure_pdf
from backend.disclosures.printing.sheet import disclosure_xlsx
from backend.disclosures.schemas import (
    DisclosureAnswerInSchema,
    DisclosureChoicesArgs,
    DisclosureChoicesSchema,
    DisclosureCreateSchema,
    DisclosureErratumSchema,
    DisclosurePreviewArgs,
    DisclosurePreviewSchema,
    DisclosureQuestionInSchema,
    DisclosureQuestionSchema,
    DisclosureReturnSchema,
    DisclosureReviewSchema,
    DisclosureSchema,
    DisclosureStaffListArgs,
    DisclosureStaffSchema,
    DisclosureStatusArgs,
    DisclosureSummarySchema,
    DisclosureTownshipStatusSchema,
)

blp = Blueprint(
    "ledger_disclosures",
    __name__,
    description="财务公开：会计编制、村务监督委员会审核、公开并封签；村民查看和提问；乡镇查看公开情况",
)
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MINIPROGRAM_URL = "pages/disclosure/disclosure"  # miniprogram-stub/app.json


# A published disclosure never changes (a trigger refuses any UPDATE of it), and its seal's hash names its sealed
# content: the sealed fields, dumped and encoded as JSON, are kept per worker, by that hash, for the next reader
# (bounded, least recently used first out). Only the open fields (state, the erratum that corrects it, questions) are
# read, dumped and encoded anew.
SEALED_CACHE_SIZE = 128
_SEALED_SCHEMA = DisclosureSchema(only=service.SEALED_FIELDS)
_OPEN_SCHEMA = DisclosureSchema(exclude=service.SEALED_FIELDS)
_sealed: OrderedDict[str, dict[str, str]] = OrderedDict()
_sealed_lock = threading.Lock()
_COMPACT = (",", ":")


def _sealed_json(seal_id: int, seal_hash: str, prev_hash: str) -> dict[str, str]:
    """The sealed part's fields, each as the JSON text the app answers with: dumped and encoded once per seal (the
    lines of a large month are most of the answer, and they never change)."""
    with _sealed_lock:
        hit = _sealed.get(seal_hash)
        if hit is not None:
            _sealed.move_to_end(seal_hash)
            return hit
    dumped: dict[str, Any] = _SEALED_SCHEMA.dump(service.sealed_fields(seal_id, seal_hash, prev_hash))
    encoded = {k: current_app.json.dumps(v, separators=_COMPACT) for k, v in dumped.items()}
    with _sealed_lock:
        _sealed[seal_hash] = encoded
        while len(_sealed) > SEALED_CACHE_SIZE:
            _sealed.popitem(last=False)
    return encoded


def _json_answer(encoded: dict[str, str], rest: dict[str, Any]) -> Response:
    """What ``jsonify({**decoded, **rest})`` answers (keys sorted, compact, a newline), from fields already encoded."""
    provider: Any = current_app.json
    if provider.compact is False or (provider.compact is None and current_app.debug):  # indented: as jsonify does
        return jsonify({**{k: json.loads(v) for k, v in encoded.items()}, **rest})
    dumps = provider.dumps
    parts = {**encoded, **{k: dumps(v, separators=_COMPACT) for k, v in rest.items()}}
    body = "{" + ",".join(f"{dumps(k)}:{parts[k]}" for k in sorted(parts)) + "}\n"
    return current_app.response_class(body, mimetype=provider.mimetype)


# ---------------------------------------------------------------- what the village sees (docs/api.md)


@blp.route("/villages/<int:village_id>/disclosures", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(DisclosureSummarySchema))
@blp.doc(security=SECURITY)
def list_published(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村已公开的财务公开，最新的在前（每份都有封签）。"""
    return service.published_page(village_id, args["page"], args["page_size"]).envelope()


@blp.route("/disclosures/<int:disclosure_id>", methods=["GET"])
@requires("village.view", obj=(Disclosure, "disclosure_id"))
@blp.response(200, DisclosureSchema)
@blp.doc(security=SECURITY)
def get_disclosure(disclosure: Disclosure) -> dict[str, Any] | Response:
    """一份财务公开：逐笔收支明细、分类合计、大额支出及其决议、审核人、封签、更正和村民提问。"""
    me = require_login()
    d = service.readable(disclosure, me)
    if d.status != "published" or d.seal_id is None:
        return service.detail(d, me)
    # the same body as DisclosureSchema().dump(service.detail(d)), its sealed part dumped once per seal
    seal_hash, prev_hash, corrected = service.seal_head(d)
    return _json_answer(_sealed_json(d.seal_id, seal_hash, prev_hash),
                        _OPEN_SCHEMA.dump(service.open_fields(d, corrected, me)))


def _export(disclosure: Disclosure, render: Any, mimetype: str, ext: str) -> Response:
    d = service.readable(disclosure, require_login())
    base = current_app.config.get("MINIPROGRAM_DISCLOSURE_URL") or DEFAULT_MINIPROGRAM_URL
    doc = service.export_doc(d, service.detail_url(base, d.id))
    published = published_date(d.published_at)
    if published is not None:  # the 公示 lasts as long as villagers' questions are answered
        days = registry.settings.get(registry.get_village(d.village_id), questions.QUESTION_DAYS.key)
        doc = replace(doc, publicity_until=published + timedelta(days=days - 1))
    try:
        data = render(doc)
    except ValueError as exc:  # the document refuses figures it cannot print (e.g. a negative total)
        raise conflict("disclosure.export_failed", f"无法导出：{exc}") from exc
    village = registry.get_village(d.village_id)
    return send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"{village.code}-{d.period}-disclosure-{d.id}.{ext}",
    )


@blp.route("/disclosures/<int:disclosure_id>/export.xlsx", methods=["GET"])
@requires("village.view", obj=(Disclosure, "disclosure_id"))
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def export_xlsx(disclosure: Disclosure) -> Response:
    """导出已公开的财务公开 .xlsx（带封签码）。"""
    return _export(disclosure, disclosure_xlsx, XLSX, "xlsx")


@blp.route("/disclosures/<int:disclosure_id>/export.pdf", methods=["GET"])
@requires("village.view", obj=(Disclosure, "disclosure_id"))
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
@replica_read
def export_pdf(disclosure: Disclosure) -> Response:
    """导出已公开的财务公开 PDF，供张贴：每页有封签码，末页有扫码核对的二维码。"""
    return _export(disclosure, disclosure_pdf, "application/pdf", "pdf")


# ---------------------------------------------------------------- drafting, review, publication (staff)


@blp.route("/villages/<int:village_id>/disclosures", methods=["POST"])
@requires("ledger.write", village="village_id")
@blp.arguments(DisclosureCreateSchema)
@blp.response(201, DisclosureSchema)
@blp.alt_response(200, schema=DisclosureSchema, description="该期间已有草稿：按账簿重新生成")
@blp.doc(security=SECURITY)
def create_disclosure(args: dict[str, Any], village_id: int) -> Any:
    """编制财务公开（会计）：取该月或该季度已结账的账簿内容冻结为草稿；未审核前再次提交即重新生成。"""
    d, created = drafting.draft_disclosure(
        registry.get_village(village_id), args["period"], args.get("title"), actor=require_login()
    )
    db.session.commit()
    return service.detail(d), 201 if created else 200


@blp.route("/villages/<int:village_id>/disclosures/drafts", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(DisclosureStaffListArgs, location="query")
@blp.response(200, page_schema(DisclosureStaffSchema))
@blp.doc(security=SECURITY)
def list_all(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村全部财务公开（含草稿、已退回、已审核），供会计和监督委员会使用。"""
    return service.all_page(village_id, args.get("status"), args["page"], args["page_size"]).envelope()


@blp.route("/villages/<int:village_id>/disclosures/periods", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(DisclosureChoicesArgs, location="query")
@blp.response(200, DisclosureChoicesSchema)
@blp.doc(security=SECURITY)
def list_periods(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """可编制财务公开的期间（会计）：最近已结束的月份或季度（按本村设置），各期是否已结账、已有的财务公开及其状态、
    现在能否编制和不能的原因。"""
    kind, items = choices.choices(registry.get_village(village_id), args.get("kind"))
    return choices.view(kind, items)


@blp.route("/villages/<int:village_id>/disclosures/preview", methods=["GET"])
@requires("ledger.write", village="village_id")
@blp.arguments(DisclosurePreviewArgs, location="query")
@blp.response(200, DisclosurePreviewSchema)
@blp.doc(security=SECURITY)
def preview(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """预览财务公开（会计）：按已结账的账簿生成将要公开的内容，不保存；期间未结账时说明哪几个月尚未结账。"""
    village = registry.get_village(village_id)
    period = args["period"]
    snap = drafting.snapshot(village, period)
    return {"period": period, "label": period_label(period), "title": drafting.default_title(village, period),
            **snap.content}


@blp.route("/disclosures/<int:disclosure_id>/review", methods=["GET"])
@requires("ledger.read", obj=(Disclosure, "disclosure_id"))
@blp.response(200, DisclosureReviewSchema)
@blp.doc(security=SECURITY)
def review_view(disclosure: Disclosure) -> dict[str, Any]:
    """审核用的财务公开（会计、监督委员会、乡镇）：与 GET /disclosures/{id} 相同，每一行另附所依据的凭证。"""
    return review.with_vouchers(disclosure, service.detail(disclosure))


@blp.route("/disclosures/<int:disclosure_id>/approve", methods=["POST"])
@requires("disclosure.approve", obj=(Disclosure, "disclosure_id"))
@blp.response(200, DisclosureSchema)
@blp.doc(security=SECURITY)
def approve(disclosure: Disclosure) -> dict[str, Any]:
    """审核通过（村务监督委员会）：编制人本人不能审核。"""
    review.approve(disclosure, actor=require_login())
    db.session.commit()
    return service.detail(disclosure)


@blp.route("/disclosures/<int:disclosure_id>/return", methods=["POST"])
@requires("disclosure.approve", obj=(Disclosure, "disclosure_id"))
@blp.arguments(DisclosureReturnSchema)
@blp.response(200, DisclosureSchema)
@blp.doc(security=SECURITY)
def return_disclosure(args: dict[str, Any], disclosure: Disclosure) -> dict[str, Any]:
    """退回（村务监督委员会）：写明理由，会计修改后重新编制。"""
    review.return_disclosure(disclosure, args["reason"], actor=require_login())
    db.session.commit()
    return service.detail(disclosure)


@blp.route("/disclosures/<int:disclosure_id>/publish", methods=["POST"])
@requires("ledger.write", obj=(Disclosure, "disclosure_id"))
@blp.response(200, DisclosureSchema)
@blp.doc(security=SECURITY)
def publish(disclosure: Disclosure) -> dict[str, Any]:
    """公开：审核通过的财务公开封签后向全村公开，此后不能修改。"""
    review.publish(disclosure, actor=require_login())
    db.session.commit()
    return service.detail(disclosure)


@blp.route("/disclosures/<int:disclosure_id>/erratum", methods=["POST"])
@requires("ledger.write", obj=(Disclosure, "disclosure_id"))
@blp.arguments(DisclosureErratumSchema)
@blp.response(201, DisclosureSchema)
@blp.alt_response(200, schema=DisclosureSchema, description="已有更正草稿：按账簿重新生成")
@blp.doc(security=SECURITY)
def erratum(args: dict[str, Any], disclosure: Disclosure) -> Any:
    """发布更正（会计）：新编一份指向原公告的财务公开，同样须经审核才能公开，原公告仍然可见。"""
    d, created = drafting.draft_erratum(disclosure, args["reason"], args.get("title"), actor=require_login())
    db.session.commit()
    return service.detail(d), 201 if created else 200


# ---------------------------------------------------------------- questions


@blp.route("/disclosures/<int:disclosure_id>/questions", methods=["POST"])
@requires("village.view", obj=(Disclosure, "disclosure_id"))
@idempotent
@blp.arguments(DisclosureQuestionInSchema)
@blp.response(201, DisclosureQuestionSchema)
@blp.doc(security=SECURITY)
def ask(args: dict[str, Any], disclosure: Disclosure) -> dict[str, Any]:
    """对已公开的某一行提问（本村村民），村里须在规定天数内答复。"""
    p = require_login()
    q = questions.ask(service.readable(disclosure, p), args["line_no"], args["text"], actor=p)
    db.session.commit()
    return questions.question_view(q)


@blp.route("/questions/<int:question_id>/answer", methods=["POST"])
@requires("disclosure.answer", obj=(DisclosureQuestion, "question_id"))
@blp.arguments(DisclosureAnswerInSchema)
@blp.response(200, DisclosureQuestionSchema)
@blp.doc(security=SECURITY)
def answer(args: dict[str, Any], question: DisclosureQuestion) -> dict[str, Any]:
    """答复村民的提问（书记、村委、会计）；答复后不能修改。"""
    questions.answer(question, args["text"], actor=require_login())
    db.session.commit()
    return questions.question_view(question)


# ---------------------------------------------------------------- the township


@blp.route("/townships/<int:township_id>/disclosure-status", methods=["GET"])
@requires("township.view", township="township_id")
@blp.arguments(DisclosureStatusArgs, location="query")
@blp.response(200, DisclosureTownshipStatusSchema)
@blp.doc(security=SECURITY)
def township_status(args: dict[str, Any], township_id: int) -> dict[str, Any]:
    """各村某一期间（默认上一个季度）是否已财务公开，以及未答复、超期未答复的村民提问。"""
    registry.get_township(township_id)
    return service.township_status(township_id, args.get("period"))
