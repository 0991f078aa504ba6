"""Quorum and majority rules: every body at its exact edge, and the arithmetic as properties.

Counting rule (DOMAIN.md): 以上 includes the number (≥), 过半数/超过 excludes it (>). Each table row sits on
the edge, so moving the threshold by one vote in either direction makes it fail.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.decisions.rules import (
    BODIES,
    MATTERS,
    SPECIAL_MATTERS,
    Base,
    BodyRule,
    Tally,
    Threshold,
    evaluate,
    rule_for,
    rule_for_matter,
)

_CJK = re.compile(r"[\u4e00-\u9fff]")

TWO_THIRDS = Fraction(2, 3)
HALF = Fraction(1, 2)
ALL, PRESENT, HOUSEHOLDS, CAST = Base.ALL_ELIGIBLE, Base.PRESENT, Base.HOUSEHOLDS, Base.CAST

# ------------------------------------------------------------------ Threshold at the edge


@pytest.mark.parametrize(
    ("fraction", "inclusive", "n", "least"),
    [
        (TWO_THIRDS, True, 9, 6),  # 三分之二以上 of 9: 6 meets, 5 does not
        (TWO_THIRDS, True, 10, 7),  # of 10: 7 (6.67 rounds up), 6 does not
        (TWO_THIRDS, True, 30, 20),
        (TWO_THIRDS, True, 300, 200),
        (TWO_THIRDS, True, 3, 2),
        (HALF, False, 10, 6),  # 过半数 of 10: 6, not 5
        (HALF, False, 9, 5),  # 过半数 of 9: 5, 4 does not
        (HALF, False, 30, 16),
        (HALF, False, 1, 1),
        (HALF, True, 10, 5),  # 半数以上 of 10: 5 (inclusive)
        (HALF, True, 9, 5),
        (Fraction(3, 4), True, 100, 75),
        (Fraction(3, 4), True, 101, 76),
        (Fraction(4, 5), True, 250, 200),
        (TWO_THIRDS, False, 9, 7),  # 超过三分之二 of 9: 6 is exactly 2/3, so 7
        (Fraction(1), True, 7, 7),  # unanimity
        (TWO_THIRDS, True, 0, 0),  # arithmetic only; evaluate() refuses empty bases
        (HALF, False, 0, 1),  # more than half of nothing: unreachable
    ],
)
@pytest.mark.parametrize("base", list(Base))
def test_threshold_edges(fraction: Fraction, inclusive: bool, n: int, least: int, base: Base) -> None:
    t = Threshold(fraction, inclusive, base)
    assert t.minimum(n) == least
    assert t.met(least, n)
    if least > 0:
        assert not t.met(least - 1, n)


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (Threshold(TWO_THIRDS, True, ALL), "应到人数的三分之二以上"),
        (Threshold(HALF, False, PRESENT), "到会人员过半数"),
        (Threshold(HALF, False, ALL), "应到人数过半数"),
        (Threshold(TWO_THIRDS, True, HOUSEHOLDS), "应到户数的三分之二以上"),
        (Threshold(Fraction(3, 4), True, ALL), "应到人数的四分之三以上"),
        (Threshold(Fraction(4, 5), True, PRESENT), "到会人员的五分之四以上"),
        (Threshold(HALF, True, CAST), "投票人数的半数以上"),
        (Threshold(TWO_THIRDS, False, ALL), "超过应到人数的三分之二"),
        (Threshold(Fraction(11, 15), True, ALL), "应到人数的十五分之十一以上"),
        (Threshold(Fraction(1), True, PRESENT), "到会人员的全部"),
    ],
)
def test_threshold_describe(threshold: Threshold, text: str) -> None:
    assert threshold.describe() == text


def test_describe_by_household() -> None:
    assert Threshold(HALF, False, PRESENT).describe(household=True) == "到会户数过半数"
    assert Threshold(TWO_THIRDS, True, ALL).describe(household=True) == "应到户数的三分之二以上"


@pytest.mark.parametrize(
    ("fraction", "inclusive", "error"),
    [
        (0.5, False, TypeError),  # never a float
        ("1/2", False, TypeError),
        (True, True, TypeError),
        (Fraction(0), True, ValueError),
        (Fraction(-1, 2), True, ValueError),
        (Fraction(3, 2), True, ValueError),
        (Fraction(1), False, ValueError),  # more than all
        (HALF, 1, TypeError),
    ],
)
def test_threshold_refuses(fraction: object, inclusive: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Threshold(fraction, inclusive, ALL)  # type: ignore[arg-type]


def test_threshold_accepts_int_and_base_string() -> None:
    t = Threshold(1, True, "present")  # type: ignore[arg-type]
    assert t.fraction == Fraction(1) and isinstance(t.fraction, Fraction)
    assert t.base is PRESENT


def test_threshold_refuses_negative_counts() -> None:
    t = Threshold(HALF, False, ALL)
    with pytest.raises(ValueError):
        t.met(-1, 5)
    with pytest.raises(ValueError):
        t.met(1, -5)
    with pytest.raises(ValueError):
        t.minimum(-1)
    with pytest.raises(TypeError):
        t.met(1.0, 5)  # type: ignore[arg-type]


# ------------------------------------------------------------------ every body at its edge

LAND_2_3_OF_ALL = SPECIAL_MATTERS["land_contract_plan"]

# (body, rule_for kwargs, tally, quorum_met, passed, agree_needed)
CASES = [
    # 党员大会, 30 members: quorum ≥ 2/3 of all (20), passes with > 1/2 of ALL 30 (16), not of those present.
    ("party_meeting", {}, Tally(30, 19, agree=19), False, False, 16),
    ("party_meeting", {}, Tally(30, 20, agree=15, oppose=5), True, False, 16),
    ("party_meeting", {}, Tally(30, 20, agree=16, oppose=4), True, True, 16),
    ("party_meeting", {"majority_base": PRESENT}, Tally(30, 20, agree=15), True, False, 16),  # never loosened
    # 村民会议: 100 adults, 30 households. Quorum > 1/2 of adults (51) OR ≥ 2/3 of households (20).
    ("villagers_meeting", {}, Tally(100, 40, 30, 20, agree=21, oppose=19), True, True, 21),  # households only
    ("villagers_meeting", {}, Tally(100, 40, 30, 20, agree=20, oppose=20), True, False, 21),
    ("villagers_meeting", {}, Tally(100, 40, 30, 19, agree=40), False, False, 21),  # neither path
    ("villagers_meeting", {}, Tally(100, 51, 30, 0, agree=26), True, True, 26),  # adults only
    ("villagers_meeting", {}, Tally(100, 51, 30, 0, agree=25, abstain=26), True, False, 26),  # abstain ≠ agree
    ("villagers_meeting", {}, Tally(100, 50, agree=50), False, False, 26),  # 50 is not more than half
    ("villagers_meeting", {}, Tally(100, 50, 0, 0, agree=50), False, False, 26),  # households not recorded
    # 村民代表会议, 9 members: quorum ≥ 2/3 (6), passes > 1/2 of those present.
    ("representatives_meeting", {}, Tally(9, 6, agree=4, oppose=2), True, True, 4),
    ("representatives_meeting", {}, Tally(9, 6, agree=3, oppose=3), True, False, 4),
    ("representatives_meeting", {}, Tally(9, 5, agree=5), False, False, 3),
    ("representatives_meeting", {}, Tally(9, 9, agree=5, abstain=4), True, True, 5),
    # ... with the village setting "half of ALL representatives": > 1/2 of 9 = 5.
    ("representatives_meeting", {"majority_base": ALL}, Tally(9, 6, agree=4, oppose=2), True, False, 5),
    ("representatives_meeting", {"majority_base": ALL}, Tally(9, 6, agree=5, oppose=1), True, True, 5),
    ("representatives_meeting", {"majority_base": "all"}, Tally(9, 6, agree=4), True, False, 5),
    # ... deciding a land-contracting plan: ≥ 2/3 of ALL representatives (6 of 9).
    ("representatives_meeting", {"category_rule": LAND_2_3_OF_ALL}, Tally(9, 6, agree=6), True, True, 6),
    ("representatives_meeting", {"category_rule": LAND_2_3_OF_ALL}, Tally(9, 9, agree=5, oppose=4), True, False, 6),
    # 村民小组会议: ≥ 2/3 of 30 adults (20) OR ≥ 2/3 of 18 households (12); > 1/2 present.
    ("villagers_group_meeting", {}, Tally(30, 20, agree=11), True, True, 11),
    ("villagers_group_meeting", {}, Tally(30, 19, 18, 12, agree=10), True, True, 10),
    ("villagers_group_meeting", {}, Tally(30, 19, 18, 11, agree=19), False, False, 10),
    # 成员大会: quorum and decision both ≥ 2/3 of ALL members (300 → 200).
    ("members_assembly", {}, Tally(300, 200, agree=200), True, True, 200),
    ("members_assembly", {}, Tally(300, 200, agree=199, abstain=1), True, False, 200),
    ("members_assembly", {}, Tally(300, 199, agree=199), False, False, 200),
    ("members_assembly", {}, Tally(300, 300, agree=199, oppose=101), True, False, 200),  # not 2/3 of present
    # 成员代表大会, 21 representatives: ≥ 2/3 of ALL (14).
    ("members_rep_assembly", {}, Tally(21, 14, agree=14), True, True, 14),
    ("members_rep_assembly", {}, Tally(21, 21, agree=13, oppose=8), True, False, 14),
    ("members_rep_assembly", {}, Tally(21, 13, agree=13), False, False, 14),
    # 理事会, 5 directors: ≥ 2/3 present (4), > 1/2 of ALL directors (3).
    ("board", {}, Tally(5, 4, agree=3), True, True, 3),
    ("board", {}, Tally(5, 4, agree=2, oppose=2), True, False, 3),
    ("board", {}, Tally(5, 3, agree=3), False, False, 3),
    # 两委会议, 7 members (local practice): > 1/2 present (4), > 1/2 of those present.
    ("two_committees", {}, Tally(7, 4, agree=3, oppose=1), True, True, 3),
    ("two_committees", {}, Tally(7, 4, agree=2, oppose=2), True, False, 3),
    ("two_committees", {}, Tally(7, 3, agree=3), False, False, 2),
]


@pytest.mark.parametrize(("body", "kwargs", "tally", "quorum_met", "passed", "agree_needed"), CASES)
def test_body_edges(body: str, kwargs: dict, tally: Tally, quorum_met: bool, passed: bool, agree_needed: int) -> None:
    outcome = evaluate(rule_for(body, **kwargs), tally)
    assert (outcome.quorum_met, outcome.passed, outcome.agree_needed) == (quorum_met, passed, agree_needed)
    assert _CJK.search(outcome.reason) and _CJK.search(outcome.quorum_needed)
    assert ("未通过" in outcome.reason) == (quorum_met and not passed)
    assert ("会议无效" in outcome.reason) == (not quorum_met)


@pytest.mark.parametrize(
    ("members", "present", "agree", "passed"),
    [(100, 80, 75, True), (100, 80, 74, False), (100, 100, 75, True), (100, 100, 74, False), (101, 101, 75, False)],
)
def test_three_quarters_of_all_members(members: int, present: int, agree: int, passed: bool) -> None:
    """农村集体经济组织法 第15条: 成员大会全体成员四分之三以上."""
    rule = rule_for_matter("members_assembly", "nonmember_income")
    assert rule.majority == Threshold(Fraction(3, 4), True, ALL)
    assert rule.also_required == ()  # 3/4 of all is stricter than 2/3 of all: it replaced the majority
    outcome = evaluate(rule, Tally(members, present, agree=agree, oppose=present - agree))
    assert outcome.quorum_met and outcome.passed is passed


def test_three_quarters_quorum_still_applies() -> None:
    rule = rule_for_matter("members_assembly", "nonmember_income")
    outcome = evaluate(rule, Tally(100, 66, agree=66))
    assert not outcome.quorum_met and not outcome.passed
    assert outcome.agree_needed == 75


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("households", [0, 5])
def test_empty_electorate_decides_nothing(body: str, households: int) -> None:
    outcome = evaluate(BODIES[body], Tally(0, 0, households_eligible=households))
    assert not outcome.quorum_met and not outcome.passed
    assert outcome.agree_needed >= 1
    assert "会议无效" in outcome.reason or "无法召开" in outcome.reason


def test_empty_electorate_text() -> None:
    outcome = evaluate(BODIES["representatives_meeting"], Tally(0, 0))
    assert outcome.reason == "应到人数为 0，会议无法召开，不能作出决定"
    assert outcome.quorum_path is None


# ------------------------------------------------------------------ reasons in Chinese


def test_reason_no_quorum() -> None:
    outcome = evaluate(BODIES["representatives_meeting"], Tally(9, 5, agree=5))
    assert outcome.reason == "到会 5 人，未达到应到 9 人的三分之二以上（至少 6 人），会议无效"
    assert outcome.quorum_needed == "应到 9 人的三分之二以上（至少 6 人）"


def test_reason_passed_and_failed() -> None:
    rule = BODIES["representatives_meeting"]
    ok = evaluate(rule, Tally(9, 6, agree=4, oppose=1, abstain=1))
    assert ok.reason == (
        "到会 6 人，达到应到 9 人的三分之二以上（至少 6 人）；同意 4 票、反对 1 票、弃权 1 票，"
        "达到到会 6 人的过半数（至少 4 票），决议通过"
    )
    no = evaluate(BODIES["party_meeting"], Tally(30, 20, agree=15, oppose=5))
    assert no.reason.endswith("未达到应到 30 人的过半数（至少 16 票），决议未通过")
    assert no.deciding_rule == Threshold(HALF, False, ALL)


def test_reason_villagers_meeting_paths() -> None:
    rule = BODIES["villagers_meeting"]
    neither = evaluate(rule, Tally(100, 40, 30, 19, agree=40))
    assert neither.reason == (
        "到会 40 人、到会 19 户，既未达到应到 100 人的过半数（至少 51 人），"
        "也未达到应到 30 户的三分之二以上（至少 20 户），会议无效"
    )
    assert neither.quorum_needed == "应到 100 人的过半数（至少 51 人）或应到 30 户的三分之二以上（至少 20 户）"
    by_households = evaluate(rule, Tally(100, 40, 30, 20, agree=21))
    assert by_households.quorum_needed == "应到 30 户的三分之二以上（至少 20 户）"
    assert by_households.quorum_path == Threshold(TWO_THIRDS, True, HOUSEHOLDS)
    assert "决议通过" in by_households.reason


def test_reason_by_household() -> None:
    rule = replace(BODIES["representatives_meeting"], by_household=True)
    outcome = evaluate(rule, Tally(9, 5, agree=5))
    assert outcome.reason == "到会 5 户，未达到应到 9 户的三分之二以上（至少 6 户），会议无效"
    assert "一户一票" in rule.describe()


def test_body_describe() -> None:
    assert BODIES["representatives_meeting"].describe() == (
        "村民代表会议：应到人数的三分之二以上到会；到会人员过半数同意（村民委员会组织法 第26条）"
    )
    assert BODIES["villagers_meeting"].describe().startswith("村民会议：应到人数过半数或应到户数的三分之二以上到会")
    for rule in BODIES.values():
        assert _CJK.search(rule.describe()) and _CJK.search(rule.label)


# ------------------------------------------------------------------ rule_for and the bodies table


def test_bodies_table() -> None:
    assert set(BODIES) >= {
        "party_meeting",
        "villagers_meeting",
        "representatives_meeting",
        "members_assembly",
        "members_rep_assembly",
        "two_committees",
    }
    for key, rule in BODIES.items():
        assert rule.body == key
        assert rule.statute or "local practice" in rule.note
    assert BODIES["members_rep_assembly"].note and "no quorum" in BODIES["members_rep_assembly"].note
    assert BODIES["party_meeting"].majority.base is ALL
    assert BODIES["villagers_meeting"].majority.base is PRESENT
    with pytest.raises(TypeError):
        BODIES["x"] = BODIES["board"]  # type: ignore[index]


def test_rule_for_never_loosens() -> None:
    for body in ("party_meeting", "members_assembly", "members_rep_assembly", "board"):
        assert rule_for(body, majority_base=PRESENT).majority.base is ALL
    assert rule_for("representatives_meeting", majority_base=PRESENT) == BODIES["representatives_meeting"]
    assert rule_for("two_committees", majority_base=ALL).majority == Threshold(HALF, False, ALL)


@pytest.mark.parametrize("bad", [HOUSEHOLDS, CAST, "nobody"])
def test_rule_for_refuses_bad_majority_base(bad: object) -> None:
    with pytest.raises(ValueError):
        rule_for("representatives_meeting", majority_base=bad)  # type: ignore[arg-type]


def test_rule_for_unknown_body() -> None:
    with pytest.raises(ValueError):
        rule_for("shareholders")


def test_category_rule_weaker_changes_nothing() -> None:
    charter = Threshold(TWO_THIRDS, True, PRESENT)  # e.g. Shanghai 2017: 2/3 of attendees
    assert rule_for("members_assembly", category_rule=charter) == BODIES["members_assembly"]


def test_category_rule_not_comparable_keeps_both() -> None:
    four_fifths_present = Threshold(Fraction(4, 5), True, PRESENT)
    rule = rule_for("members_assembly", category_rule=four_fifths_present)
    assert rule.majority == BODIES["members_assembly"].majority
    assert rule.also_required == (four_fifths_present,)
    # everyone present: 4/5 of 300 (240) binds
    assert not evaluate(rule, Tally(300, 300, agree=239)).passed
    assert evaluate(rule, Tally(300, 300, agree=240)).passed
    full = evaluate(rule, Tally(300, 300, agree=239))
    assert full.agree_needed == 240 and full.deciding_rule == four_fifths_present
    # 250 present: 2/3 of all (200) and 4/5 of present (200) agree
    assert evaluate(rule, Tally(300, 250, agree=200)).passed
    assert not evaluate(rule, Tally(300, 250, agree=199)).passed
    # 210 present: 4/5 of present is 168, but 2/3 of ALL still needs 200
    low = evaluate(rule, Tally(300, 210, agree=199))
    assert not low.passed and low.agree_needed == 200


def test_category_rule_refuses_household_base() -> None:
    with pytest.raises(ValueError):
        rule_for("villagers_meeting", category_rule=Threshold(TWO_THIRDS, True, HOUSEHOLDS))
    with pytest.raises(TypeError):
        rule_for("villagers_meeting", category_rule=TWO_THIRDS)  # type: ignore[arg-type]


def test_special_matters() -> None:
    assert SPECIAL_MATTERS["nonmember_income"] == Threshold(Fraction(3, 4), True, ALL)
    for key in ("land_contract_plan", "land_adjustment", "land_outsider"):
        assert SPECIAL_MATTERS[key] == Threshold(TWO_THIRDS, True, ALL)
    for key, matter in MATTERS.items():
        assert matter.key == key and len(key) <= 20  # fits decisions.category (String(20))
        assert matter.statute and matter.source and _CJK.search(matter.label)
        assert set(matter.bodies) <= set(BODIES)
        assert SPECIAL_MATTERS[key] is matter.threshold


def test_rule_for_matter_refuses_bodies_that_may_not_decide() -> None:
    with pytest.raises(ValueError):
        rule_for_matter("members_rep_assembly", "land_contract_plan")  # 第28条 reserves it to the 成员大会
    with pytest.raises(ValueError):
        rule_for_matter("representatives_meeting", "nonmember_income")
    with pytest.raises(ValueError):
        rule_for_matter("members_assembly", "no_such_matter")
    land = rule_for_matter("villagers_meeting", "land_contract_plan")
    assert land.majority == Threshold(TWO_THIRDS, True, ALL)
    # 村民会议 of 90 adults, 60 present (quorum), all 60 agree: 2/3 of ALL 90 = 60 → passes; 59 fails
    assert evaluate(land, Tally(90, 60, agree=60)).passed
    assert not evaluate(land, Tally(90, 60, agree=59, oppose=1)).passed


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quorum": ()}, ValueError),
        ({"quorum": (Threshold(HALF, False, PRESENT),)}, ValueError),
        ({"quorum": (Threshold(HALF, False, CAST),)}, ValueError),
        ({"majority": Threshold(HALF, False, HOUSEHOLDS)}, ValueError),
        ({"also_required": (Threshold(HALF, False, HOUSEHOLDS),)}, ValueError),
    ],
)
def test_body_rule_refuses_meaningless_bases(kwargs: dict, error: type[Exception]) -> None:
    base = {
        "body": "x",
        "label": "测试",
        "quorum": (Threshold(HALF, False, ALL),),
        "majority": Threshold(HALF, False, PRESENT),
    }
    with pytest.raises(error):
        BodyRule(**(base | kwargs))


# ------------------------------------------------------------------ Tally invariants


@pytest.mark.parametrize(
    "fields",
    [
        {"eligible": -1, "present": 0},
        {"eligible": 5, "present": -1},
        {"eligible": 5, "present": 6},
        {"eligible": 5, "present": 3, "agree": 2, "oppose": 1, "abstain": 1},
        {"eligible": 5, "present": 3, "agree": -1},
        {"eligible": 5, "present": 3, "households_eligible": 2, "households_present": 3},
        {"eligible": 5, "present": 1, "households_eligible": 4, "households_present": 2},
        {"eligible": 5, "present": 3, "households_eligible": -1},
    ],
)
def test_invalid_tally(fields: dict) -> None:
    with pytest.raises(ValueError):
        Tally(**fields)


def test_tally_refuses_non_int() -> None:
    with pytest.raises(TypeError):
        Tally(5.0, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Tally(5, True)  # type: ignore[arg-type]


# ------------------------------------------------------------------ properties


@st.composite
def thresholds(draw: st.DrawFn, bases: st.SearchStrategy[Base] = st.sampled_from(list(Base))) -> Threshold:
    den = draw(st.integers(1, 20))
    num = draw(st.integers(1, den))
    inclusive = draw(st.booleans()) if num < den else True
    return Threshold(Fraction(num, den), inclusive, draw(bases))


@st.composite
def tallies(draw: st.DrawFn, max_n: int = 400) -> Tally:
    eligible = draw(st.integers(0, max_n))
    present = draw(st.integers(0, eligible))
    agree = draw(st.integers(0, present))
    oppose = draw(st.integers(0, present - agree))
    abstain = draw(st.integers(0, present - agree - oppose))
    households_eligible = draw(st.integers(0, max_n // 3))
    households_present = draw(st.integers(0, min(households_eligible, present)))
    return Tally(eligible, present, households_eligible, households_present, agree, oppose, abstain)


_CAST_RULE = BodyRule(
    body="recall_like",
    label="投票",
    quorum=(Threshold(HALF, False, ALL),),
    majority=Threshold(HALF, False, CAST),
)
RULES = [
    *BODIES.values(),
    *(rule_for(b, majority_base=ALL) for b in BODIES),
    rule_for("members_assembly", category_rule=Threshold(Fraction(4, 5), True, PRESENT)),
    rule_for_matter("members_assembly", "nonmember_income"),
    rule_for_matter("representatives_meeting", "land_adjustment"),
    _CAST_RULE,
    replace(BODIES["villagers_meeting"], by_household=True),
]
rules = st.sampled_from(RULES)


@given(thresholds(), st.integers(0, 10**9), st.data())
def test_met_is_the_fraction_comparison(t: Threshold, n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n))
    share = t.fraction * n
    assert t.met(c, n) == (Fraction(c) >= share if t.inclusive else Fraction(c) > share)


@given(thresholds(), st.integers(0, 10**9))
def test_minimum_is_the_least_count_that_meets(t: Threshold, n: int) -> None:
    m = t.minimum(n)
    assert t.met(m, n)
    assert m == 0 or not t.met(m - 1, n)
    assert m <= n or (n == 0 and not t.inclusive)


@pytest.mark.parametrize(
    ("a", "b", "stricter"),
    [
        (Threshold(HALF, False, PRESENT), Threshold(HALF, True, PRESENT), True),
        (Threshold(HALF, True, PRESENT), Threshold(HALF, False, PRESENT), False),  # 2 of 4 is 半数以上, not 过半数
        (Threshold(HALF, True, ALL), Threshold(HALF, False, PRESENT), False),
        (Threshold(HALF, False, PRESENT), Threshold(HALF, True, ALL), False),
        (Threshold(HALF, False, PRESENT), Threshold(HALF, False, CAST), True),
        (Threshold(HALF, False, CAST), Threshold(HALF, False, PRESENT), False),
        (Threshold(TWO_THIRDS, True, ALL), Threshold(Fraction(4, 5), True, PRESENT), False),
        (Threshold(Fraction(4, 5), True, PRESENT), Threshold(TWO_THIRDS, True, ALL), False),
        (Threshold(Fraction(3, 4), True, ALL), Threshold(TWO_THIRDS, True, ALL), True),
        (Threshold(TWO_THIRDS, True, ALL), Threshold(HALF, False, PRESENT), True),
    ],
)
def test_at_least_as_strict_as(a: Threshold, b: Threshold, stricter: bool) -> None:
    assert a.at_least_as_strict_as(b) is stricter


def test_at_least_as_strict_is_exact_on_small_meetings() -> None:
    """Exhaustively, for every valid meeting of up to 12 and every pair of common thresholds: a is declared at
    least as strict as b exactly when every vote (≥ 1 agree) that meets a also meets b."""
    meetings = [
        (eligible, present, cast, agree)
        for eligible in range(13)
        for present in range(eligible + 1)
        for cast in range(present + 1)
        for agree in range(1, cast + 1)
    ]
    fractions = [HALF, TWO_THIRDS, Fraction(3, 4), Fraction(4, 5), Fraction(1)]
    candidates = [
        Threshold(f, inclusive, base)
        for f in fractions
        for inclusive in (True, False)
        for base in (ALL, PRESENT, CAST)
        if inclusive or f < 1
    ]
    accepts = {
        t: frozenset(m for m in meetings if t.met(m[3], {ALL: m[0], PRESENT: m[1], CAST: m[2]}[t.base]))
        for t in candidates
    }
    for a in candidates:
        for b in candidates:
            assert a.at_least_as_strict_as(b) == (accepts[a] <= accepts[b]), (a, b)


def test_category_rule_equal_fraction_other_base_keeps_both() -> None:
    """半数以上 of ALL and 过半数 of those present: neither implies the other, so both are checked."""
    half_of_all = Threshold(HALF, True, ALL)
    rule = rule_for("two_committees", category_rule=half_of_all)
    assert rule.also_required == (half_of_all,)
    assert not evaluate(rule, Tally(4, 4, agree=2, oppose=2)).passed  # 2 of 4 present is not 过半数
    assert evaluate(rule, Tally(4, 4, agree=3, oppose=1)).passed
    assert not evaluate(rule, Tally(7, 4, agree=3, oppose=1)).passed  # 3 is less than half of all 7


def _reference(rule: BodyRule, tally: Tally) -> tuple[bool, bool]:
    """An independent oracle: Fraction comparisons, empty bases decide nothing, at least one agree vote."""

    def reaches(t: Threshold, count: int, size: int) -> bool:
        share = t.fraction * size
        return size > 0 and count > 0 and (Fraction(count) >= share if t.inclusive else Fraction(count) > share)

    quorum = any(
        reaches(q, tally.households_present, tally.households_eligible)
        if q.base is HOUSEHOLDS
        else reaches(q, tally.present, tally.eligible)
        for q in rule.quorum
    )
    size = {ALL: tally.eligible, PRESENT: tally.present, CAST: tally.cast}
    votes = tally.agree > 0 and all(
        Fraction(tally.agree) >= m.fraction * size[m.base]
        if m.inclusive
        else Fraction(tally.agree) > m.fraction * size[m.base]
        for m in rule.agree_thresholds
    )
    return quorum, quorum and votes


@given(rules, tallies())
def test_evaluate_matches_reference(rule: BodyRule, tally: Tally) -> None:
    outcome = evaluate(rule, tally)
    assert (outcome.quorum_met, outcome.passed) == _reference(rule, tally)
    assert outcome.passed == (outcome.quorum_met and tally.agree >= outcome.agree_needed)
    assert outcome.agree_needed >= 1
    assert _CJK.search(outcome.reason) and _CJK.search(outcome.quorum_needed)
    assert ("决议通过" in outcome.reason) == outcome.passed


@given(rules, tallies())
def test_one_more_agree_never_turns_pass_into_fail(rule: BodyRule, tally: Tally) -> None:
    before = evaluate(rule, tally)
    if tally.cast < tally.present:  # a present non-voter now votes yes
        more = replace(tally, agree=tally.agree + 1)
        after = evaluate(rule, more)
        assert after.quorum_met == before.quorum_met
        assert after.passed or not before.passed
    if tally.oppose or tally.abstain:  # a no or an abstention becomes a yes
        field = "oppose" if tally.oppose else "abstain"
        moved = replace(tally, agree=tally.agree + 1, **{field: getattr(tally, field) - 1})
        assert evaluate(rule, moved).passed or not before.passed


@given(tallies(), st.sampled_from(["eligible", "present", "households", "cast", "negative"]), st.integers(1, 50))
def test_invalid_tallies_raise(tally: Tally, broken: str, k: int) -> None:
    fields = {
        "eligible": tally.eligible,
        "present": tally.present,
        "households_eligible": tally.households_eligible,
        "households_present": tally.households_present,
        "agree": tally.agree,
        "oppose": tally.oppose,
        "abstain": tally.abstain,
    }
    if broken == "eligible":
        fields["eligible"] = tally.present - k  # fewer eligible than present
        if fields["eligible"] < 0:
            fields["eligible"] = -k
    elif broken == "present":
        fields["present"] = tally.cast - k  # more ballots than people present
    elif broken == "households":
        fields["households_present"] = tally.households_eligible + k
    elif broken == "cast":
        fields["abstain"] = tally.abstain + (tally.present - tally.cast) + k
    else:
        fields[sorted(fields)[k % len(fields)]] = -k
    with pytest.raises(ValueError):
        Tally(**fields)
