"""实施结果: the money a decision spent, its acceptance (验收), and the posted vouchers of the village that paid for
it, recorded on the result stage before that stage's 公示 opens.

The vouchers belong to the ledger, which itself rests on decisions (a large expense needs a resolved one); so the
pipeline does not read the books. The caller hands in a lookup (:data:`VoucherLookup`): the app wires the
ledger's ``get_voucher`` under :data:`VOUCHER_LOOKUP` in ``app.extensions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, unprocessable
from backend.core.permissions import Principal
from backend.decisions.pipeline import stages
from backend.decisions.pipeline.models import Decision, DecisionStage, DecisionVoucher

VOUCHER_LOOKUP = "decisions.voucher_lookup"  # the app.extensions key of the ledger's voucher getter


class VoucherFacts(Protocol):
    """What the result stage needs to know of a voucher."""

    village_id: int
    status: str


# voucher id → the voucher (None, or an AppError such as a 404, when there is none)
VoucherLookup = Callable[[int], VoucherFacts | None]


@dataclass
class ResultInput:
    spent_fen: int
    accepted_on: date | None = None
    accepted_by: str | None = None
    acceptance_opinion: str | None = None
    voucher_ids: list[int] | None = None
    summary: str | None = None


def _check_vouchers(decision: Decision, ids: list[int], vouchers: VoucherLookup | None) -> None:
    """Each voucher must be one of the decision's village, and posted."""
    if ids and vouchers is None:
        raise ValueError("record_result: voucher ids need a voucher lookup")
    for vid in ids:
        assert vouchers is not None
        try:
            v = vouchers(vid)
        except AppError:
            v = None
        if v is None or v.village_id != decision.village_id:
            raise unprocessable("decision.voucher_unknown", f"找不到凭证 {vid}（须是本村的凭证）", voucher_id=vid)
        if v.status != "posted":
            raise unprocessable("decision.voucher_not_posted", f"凭证 {vid} 尚未记账，不能作为支付依据",
                                voucher_id=vid)


def record_result(decision: Decision, data: ResultInput, *, actor: Principal | None,
                  vouchers: VoucherLookup | None = None) -> DecisionStage:
    """实施结果: money spent, acceptance (验收), and the posted vouchers of the village that paid for it
    (``vouchers`` looks each up; needed only when ``data`` names some)."""
    decision = stages.lock(decision)
    stages.check_open(decision)
    result_stage = next((s for s in stages.stages(decision) if s.kind == "result"), None)
    if result_stage is None:
        raise unprocessable("decision.stage_unknown", "该事项没有实施结果公开环节")
    stage = stages.expect(decision, result_stage.stage, ("result",), actor)
    if stage.status == "open":
        raise conflict("decision.publicity_open", "实施结果已在公示中，不能再修改")
    if data.accepted_on is not None and data.accepted_on > today():
        raise unprocessable("decision.accepted_on", "验收日期不能晚于今天")
    ids = list(dict.fromkeys(data.voucher_ids or []))
    _check_vouchers(decision, ids, vouchers)
    stage.spent_fen, stage.accepted_on = data.spent_fen, data.accepted_on
    stage.accepted_by, stage.acceptance_opinion = data.accepted_by, data.acceptance_opinion
    stage.summary = data.summary
    db.session.execute(DecisionVoucher.__table__.delete().where(DecisionVoucher.stage_id == stage.id))
    db.session.add_all([DecisionVoucher(stage_id=stage.id, voucher_id=vid) for vid in ids])
    stage.recorded_by_id, stage.recorded_at = (actor.person_id if actor else None), utcnow()
    stages.touch(decision)
    db.session.flush()
    audit.record("decision.result", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"spent_fen": data.spent_fen, "vouchers": ids, "accepted_on": data.accepted_on})
    return stage
