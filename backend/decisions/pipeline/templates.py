"""Stage templates as data: the register sheets of 四议两公开 and 五议两公开, the village settings that choose one
(and merge 提议 with 商议 where the secretary is also the committee's director), the decision categories and the
bodies that may resolve them.

A decision copies its stage list from the template in force when it is created; a later change of template or
setting does not alter it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend import registry

settings = registry.settings  # declared at import, read per village (or township)

RESOLUTION_STAGE = "决议"


@dataclass(frozen=True)
class StageTemplate:
    """One stage of a template. ``body`` None on a 决议 stage means: the body chosen when the decision is
    created. ``votes_required``: a pass needs agree/oppose/abstain counts (or a vote)."""

    stage: str
    kind: str  # meeting | publicity | result
    body: str | None = None
    permission: str = "decisions.manage"
    votes_required: bool = False
    note: str = ""


_PROPOSAL = StageTemplate("提议", "meeting", "two_committees",
                          note="村党组织（支部委员会）提议；应到按两委成员计（本系统没有单独的支委名单）")
_CONSULT = StageTemplate("商议", "meeting", "two_committees", note="村“两委”联席会议商议")
_MERGED = StageTemplate("提议商议", "meeting", "two_committees",
                        note="书记、主任“一肩挑”：提议与商议合并，由两委联席会议进行")
_REVIEW = StageTemplate("审议", "meeting", "party_meeting", votes_required=True, note="党员大会审议")
_RESOLVE = StageTemplate(RESOLUTION_STAGE, "meeting", None, votes_required=True,
                         note="村民会议、村民代表会议或成员大会决议")
_PUBLISH = StageTemplate("决议公开", "publicity", note="在村务公开栏等渠道公示决议")
_RESULT = StageTemplate("实施结果公开", "result", note="公开实施结果：资金使用、进度、验收")
_EVALUATE = StageTemplate("评议", "meeting", "representatives_meeting", votes_required=True,
                          note="五议两公开：村民代表会议对实施情况进行民主评议")

TEMPLATES: dict[str, tuple[StageTemplate, ...]] = {
    "四议两公开": (_PROPOSAL, _CONSULT, _REVIEW, _RESOLVE, _PUBLISH, _RESULT),
    "四议两公开·提议商议合并": (_MERGED, _REVIEW, _RESOLVE, _PUBLISH, _RESULT),
    "五议两公开": (_PROPOSAL, _CONSULT, _REVIEW, _RESOLVE, _PUBLISH, _RESULT, _EVALUATE),
    "五议两公开·提议商议合并": (_MERGED, _REVIEW, _RESOLVE, _PUBLISH, _RESULT, _EVALUATE),
}
VARIANTS = ("四议两公开", "五议两公开")  # the setting decisions.variant indexes this tuple
PUBLICITY_STAGES = ("决议公开", "实施结果公开")

VARIANT = settings.declare("decisions.variant", "决策程序：0 四议两公开，1 五议两公开（增加评议环节）", 0, 0, 1)
MERGE = settings.declare("decisions.merge_proposal", "书记主任一肩挑时合并提议与商议环节（0 否，1 是）", 0, 0, 1)
PUBLICITY_DAYS = {
    name: settings.declare(f"decisions.publicity_days.{name}", f"“{name}”公示天数", 5, 1, 60, "天")
    for name in PUBLICITY_STAGES
}

# Decision categories (事项类别) → the special matter (rules.MATTERS) that applies, and the default 决议 body.
CATEGORIES: dict[str, str] = {
    "land_contract": "土地承包、租赁、流转",
    "asset_disposal": "集体资产购置、处置",
    "project": "集体经济项目、公益事业建设",
    "spending": "大额资金使用",
    "dibao": "低保等对象评定",
    "other": "其他",
}
CATEGORY_MATTER: dict[str, str | None] = {"land_contract": "land_contract_plan"}
DEFAULT_BODY: dict[str, str] = {"land_contract": "members_assembly", "asset_disposal": "members_assembly"}
RESOLUTION_BODIES = ("representatives_meeting", "villagers_meeting", "members_assembly")


def template_for(village_id: int) -> str:
    """The template name in force for the village: decisions.variant, with decisions.merge_proposal."""
    village = registry.get_village(village_id)
    name = VARIANTS[settings.get(village, VARIANT.key)]
    if settings.get(village, MERGE.key):
        name += "·提议商议合并"
    return name


def template_of(stage_name: str, variant: str | None) -> StageTemplate | None:
    """The template entry a decision's stage was copied from (None for a stage no template names)."""
    return next((t for t in TEMPLATES.get(variant or "", ()) if t.stage == stage_name), None)


def publicity_days_key(stage_name: str) -> str:
    """The setting that holds how many days the 公示 of ``stage_name`` lasts."""
    spec = PUBLICITY_DAYS.get(stage_name) or PUBLICITY_DAYS["决议公开"]
    return spec.key
