"""A decision's two 公开 as 公示 sheets for the village board (A4 PDF), 四议两公开's 决议公开 and 实施结果公开:

- the resolution: the matter, its amount, the record of each meeting (提议, 商议, 审议, 决议: date, body, present of
  eligible, agree/oppose/abstain, outcome), the 公示 period of the 决议公开 stage and the resolution's seal;
- the result: money spent against the amount resolved, the acceptance (验收: date, by whom, opinion), the
  supervisors' opinion, the 公示 period of the 实施结果公开 stage. The result is not sealed on its own: the sheet
  says so and names the resolution's seal it rests on.

Each has the sign-off block and a QR code to the mini-program's decision page.
"""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from sqlalchemy import select

from backend import registry
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.permissions import requires
from backend.core.printing.board import BoardSheet, Column, board_pdf, page_url, send_sheet
from backend.core.printing.figures import amount_in_words, cn_date, format_yuan, short_code
from backend.core.seal import Seal
from backend.decisions.pipeline import stages as stage_list
from backend.decisions.pipeline.models import Decision, DecisionStage
from backend.decisions.pipeline.templates import CATEGORIES, PUBLICITY_STAGES, RESOLUTION_STAGE
from backend.decisions.rules import BODIES

blp = Blueprint("decisions_pipeline_sheets", __name__, description="公示打印")
SECURITY = [{"bearer": []}]
RESOLUTION_PUBLICITY, RESULT_PUBLICITY = PUBLICITY_STAGES
_OUTCOME = {"pending": "未进行", "open": "进行中", "passed": "通过", "failed": "未通过"}


def _stage(stages: list[DecisionStage], name: str) -> DecisionStage | None:
    return next((s for s in stages if s.stage == name), None)


def _public(d: Decision, stages: list[DecisionStage], name: str, what: str) -> DecisionStage:
    s = _stage(stages, name)
    if s is None:
        raise conflict("decision.sheet_no_stage", f"该事项的程序没有“{name}”环节，不能打印{what}")
    if s.status not in ("open", "passed") or s.end_on is None:
        raise conflict("decision.sheet_not_public", f"“{name}”还没有开始公示，不能打印{what}")
    return s


def _resolution_seal(d: Decision) -> Seal | None:
    return db.session.execute(
        select(Seal).where(Seal.village_id == d.village_id, Seal.kind == "decision_resolution",
                           Seal.object_id == d.id).order_by(Seal.seq.desc()).limit(1)
    ).scalar_one_or_none()


def _body(s: DecisionStage) -> str:
    rule = BODIES.get(s.body or "")
    return rule.label if rule else (s.body or "—")


def _facts(d: Decision) -> list[tuple[str, str]]:
    facts = [("事项类别", CATEGORIES.get(d.category, d.category))]
    if d.amount_fen is not None:
        facts.append(("金额", f"{format_yuan(d.amount_fen)} 元（大写：人民币{amount_in_words(d.amount_fen)}）"))
    if d.origin:
        facts.append(("动议事由", d.origin))
    if d.description:
        facts.append(("主要内容", d.description))
    return facts


def _names(d: Decision) -> tuple[str, str]:
    village = registry.get_village(d.village_id)
    return village.name, registry.get_township(village.township_id).name


def resolution_sheet(d: Decision) -> BoardSheet:
    stages = stage_list.stages(d)
    pub = _public(d, stages, RESOLUTION_PUBLICITY, "决议公示")
    rows = []
    for n, s in enumerate((s for s in stages if s.kind == "meeting" and s.seq < pub.seq), start=1):
        attend = f"{s.present}/{s.eligible}" if s.present is not None and s.eligible is not None else "—"
        votes = (f"{s.agree or 0}/{s.oppose or 0}/{s.abstain or 0}"
                 if s.agree is not None or s.oppose is not None else "—")
        rows.append((str(n), s.stage, cn_date(s.held_on) if s.held_on else "—", _body(s), attend, votes,
                     _OUTCOME.get(s.status, s.status)))
    seal = _resolution_seal(d)
    village, township = _names(d)
    resolved = _stage(stages, RESOLUTION_STAGE)
    notes = []
    if resolved is not None and resolved.summary:
        notes.append(f"决议内容：{resolved.summary}")
    if pub.supervisor_opinion:
        notes.append(f"村务监督委员会意见：{pub.supervisor_opinion}")
    return BoardSheet(
        village_name=village, township_name=township, title="决议公开",
        period=cn_date(d.resolved_on) if d.resolved_on else "", subtitle=d.title,
        columns=(Column("序号", "C"), Column("环节", "C"), Column("日期", "C"), Column("会议", "C", fill=True),
                 Column("实到/应到", "C"), Column("同意/反对/弃权", "C"), Column("结果", "C")),
        rows=rows, facts=_facts(d), notes=notes, url=page_url("decision", id=d.id),
        seal_hash=seal.hash if seal else None, seal_label="决议封签码",
        no_seal_note="本决议在系统外形成，没有封签，请以扫码看到的内容为准",
        publicity_from=pub.start_on, publicity_until=pub.end_on, empty="无会议记录", printed_on=pub.start_on,
    )


def result_sheet(d: Decision) -> BoardSheet:
    stages = stage_list.stages(d)
    res = _public(d, stages, RESULT_PUBLICITY, "实施结果公示")
    rows = []
    if d.amount_fen is not None:
        rows.append(("决议金额", f"{format_yuan(d.amount_fen)} 元"))
    if res.spent_fen is not None:
        rows.append(("实际支出", f"{format_yuan(res.spent_fen)} 元（大写：人民币{amount_in_words(res.spent_fen)}）"))
        if d.amount_fen is not None:
            left = d.amount_fen - res.spent_fen
            rows.append(("结余" if left >= 0 else "超支", f"{format_yuan(abs(left))} 元"))
    rows.append(("验收日期", cn_date(res.accepted_on) if res.accepted_on else "未验收"))
    rows.append(("验收人", res.accepted_by or "—"))
    rows.append(("验收意见", res.acceptance_opinion or "—"))
    if res.summary:
        rows.append(("实施情况", res.summary))
    if res.supervisor_opinion:
        rows.append(("村务监督委员会意见", res.supervisor_opinion))
    seal = _resolution_seal(d)
    village, township = _names(d)
    note = ("实施结果不单独封签" + (f"；所依据决议的封签码 {short_code(seal.hash)}" if seal else "")
            + "，请以扫码看到的内容为准")
    return BoardSheet(
        village_name=village, township_name=township, title="实施结果公开",
        period=cn_date(d.resolved_on) if d.resolved_on else "", subtitle=d.title,
        columns=(Column("项目", "C", width=44), Column("内容", "L", fill=True)),
        rows=rows, facts=_facts(d)[:1], url=page_url("decision", id=d.id),
        seal_hash=None, no_seal_note=note,
        publicity_from=res.start_on, publicity_until=res.end_on, printed_on=res.start_on,
    )


@blp.route("/decisions/<int:decision_id>/resolution.pdf", methods=["GET"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
def resolution_pdf(decision: Decision) -> Response:
    """打印决议公开（A4 PDF）：各环节会议记录和表决结果，附公示期、签字盖章处、决议封签码和小程序二维码。"""
    village = registry.get_village(decision.village_id)
    return send_sheet(board_pdf(resolution_sheet(decision)), f"{village.code}-decision-{decision.id}-resolution.pdf")


@blp.route("/decisions/<int:decision_id>/result.pdf", methods=["GET"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURITY)
def result_pdf(decision: Decision) -> Response:
    """打印实施结果公开（A4 PDF）：资金使用、验收和监督意见，附公示期、签字盖章处和小程序二维码。"""
    village = registry.get_village(decision.village_id)
    return send_sheet(board_pdf(result_sheet(decision)), f"{village.code}-decision-{decision.id}-result.pdf")
