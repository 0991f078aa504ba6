"""Quorum and majority rules of every deciding body, as data, with exact fractions.

Pure arithmetic: no database, no Flask. The meeting and vote code turns attendance and ballots
into a :class:`Tally` and asks :func:`evaluate` whether the meeting was valid and the motion passed.

**Counting rule** (民法典 第1259条): 以上/以下 include the stated number, 过半数/超过
exclude it. So 三分之二以上 is ``count * 3 >= base * 2`` and 过半数 is ``count * 2 > base``. Every
comparison here is integer cross-multiplication on a :class:`~fractions.Fraction`; nothing is a float and
nothing is rounded.

**Bases.** A threshold counts against one of four numbers taken from the tally:

- ``ALL_ELIGIBLE``: everyone who ought to attend (应到), e.g. all party members with a vote, all adult
  villagers, all members with full capacity, all representatives.
- ``PRESENT``: those at the meeting (到会/实到), including remote attendance and proxies where the law allows
  them (成员大会: 农村集体经济组织法 第27条). Abstainers are present.
- ``HOUSEHOLDS``: households (户). Only a quorum path: 户数 that sent a representative against all 户数.
- ``CAST``: ballots cast = agree + oppose + abstain (a blank or abstaining ballot is a cast ballot).

For an agree-threshold the bases are ordered by strictness: the same fraction of ``ALL_ELIGIBLE`` asks for at
least as many votes as of ``PRESENT``, which asks for at least as many as of ``CAST``, because
cast ≤ present ≤ eligible.

**Edge cases, decided here:**

- :meth:`Threshold.met` and :meth:`Threshold.minimum` are plain arithmetic: 2/3 of 0 is met by 0.
  :func:`evaluate` adds one rule on top: *an empty base decides nothing*. A quorum path whose base is 0 is
  not applicable, and every motion needs at least one agree vote. So an electorate of 0 never has a quorum
  and never passes anything; a CAST-based vote with no ballots fails.
- Abstentions (and present non-voters) count toward ``PRESENT`` but never toward agree: under a
  present-based majority an abstention works like a no vote.
- A body voting by household (``by_household=True``, 一户一票): the tally's ``eligible``/``present``/votes are
  households, not people; only the wording (户 instead of 人) changes. The ``HOUSEHOLDS`` quorum path still
  reads ``households_*`` and is redundant for such a body.
- :meth:`Threshold.minimum` of an exclusive threshold over 0 is 1 (more than half of 0 is 1), which exceeds
  the base: unreachable, as it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

__all__ = [
    "BODIES",
    "MATTERS",
    "SPECIAL_MATTERS",
    "Base",
    "BodyRule",
    "Outcome",
    "SpecialMatter",
    "Tally",
    "Threshold",
    "evaluate",
    "rule_for",
    "rule_for_matter",
]


class Base(StrEnum):
    """What a threshold counts against (see the module docstring)."""

    ALL_ELIGIBLE = "all"
    PRESENT = "present"
    HOUSEHOLDS = "households"
    CAST = "cast"


# Bases a quorum may use (a quorum of "those present" would be circular) and bases a vote may use
# (HOUSEHOLDS as a vote base would mix people's votes with a count of households: use by_household instead).
QUORUM_BASES = frozenset({Base.ALL_ELIGIBLE, Base.HOUSEHOLDS})
VOTE_BASES = frozenset({Base.ALL_ELIGIBLE, Base.PRESENT, Base.CAST})
# Strictness of a vote base: same fraction, larger base → more votes needed (cast ≤ present ≤ eligible).
_VOTE_BASE_RANK = {Base.CAST: 0, Base.PRESENT: 1, Base.ALL_ELIGIBLE: 2}

# ------------------------------------------------------------------ Chinese wording

_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals (三, 十五, 二十); larger numbers stay Arabic."""
    if 0 <= n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def _fraction_words(f: Fraction) -> str:
    if f == 1:
        return "全部"
    if f == Fraction(1, 2):
        return "半数"
    return f"{_cn_number(f.denominator)}分之{_cn_number(f.numerator)}"


def _phrase(t: Threshold, noun: str, *, de_before_half: bool) -> str:
    """The threshold applied to ``noun``: 应到人数的三分之二以上, 到会人员过半数, 超过应到人数的三分之二."""
    if t.fraction == 1:
        return f"{noun}的全部"
    words = _fraction_words(t.fraction)
    if t.inclusive:
        return f"{noun}的{words}以上"
    if t.fraction == Fraction(1, 2):
        return f"{noun}{'的' if de_before_half else ''}过半数"
    return f"超过{noun}的{words}"


def _noun(base: Base, *, household: bool) -> str:
    if base is Base.HOUSEHOLDS:
        return "应到户数"
    who = "户数" if household else "人数"
    return {
        Base.ALL_ELIGIBLE: f"应到{who}",
        Base.PRESENT: "到会户数" if household else "到会人员",
        Base.CAST: f"投票{who}",
    }[base]


# ------------------------------------------------------------------ Threshold


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be ≥ 0, got {value}")
    return value


@dataclass(frozen=True)
class Threshold:
    """``fraction`` of ``base``: inclusive (以上, ≥) or exclusive (过半数/超过, >).

    ``fraction`` is a :class:`Fraction` (an ``int`` is accepted and converted; a float is refused) with
    0 < fraction ≤ 1; a fraction of 1 must be inclusive (more than all is impossible).
    """

    fraction: Fraction
    inclusive: bool
    base: Base

    def __post_init__(self) -> None:
        f = self.fraction
        if isinstance(f, bool) or not isinstance(f, (Fraction, int)):
            raise TypeError(f"fraction must be a Fraction, not {type(f).__name__} (never a float)")
        f = Fraction(f)
        if not 0 < f <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {f}")
        if not isinstance(self.inclusive, bool):
            raise TypeError("inclusive must be bool")
        if f == 1 and not self.inclusive:
            raise ValueError("more than all of the base can never be met")
        object.__setattr__(self, "fraction", f)
        object.__setattr__(self, "base", Base(self.base))

    def met(self, count: int, base_size: int) -> bool:
        """Whether ``count`` reaches this share of ``base_size``. Plain arithmetic: ``met(0, 0)`` is True for
        an inclusive threshold (see :func:`evaluate` for the empty-base rule)."""
        _check_count("count", count)
        _check_count("base_size", base_size)
        lhs = count * self.fraction.denominator
        rhs = base_size * self.fraction.numerator
        return lhs >= rhs if self.inclusive else lhs > rhs

    def minimum(self, base_size: int) -> int:
        """The least count that meets the threshold: 2/3 of 9 → 6, 2/3 of 10 → 7, >1/2 of 10 → 6,
        >1/2 of 9 → 5, 2/3 of 0 → 0, >1/2 of 0 → 1 (unreachable)."""
        _check_count("base_size", base_size)
        num, den = self.fraction.numerator, self.fraction.denominator
        if self.inclusive:
            return -(-base_size * num // den)  # ceil(base_size * f)
        return base_size * num // den + 1  # floor(base_size * f) + 1

    def describe(self, *, household: bool = False) -> str:
        """Chinese: 应到人数的三分之二以上, 到会人员过半数, 应到户数的三分之二以上."""
        return _phrase(self, _noun(self.base, household=household), de_before_half=False)

    def at_least_as_strict_as(self, other: Threshold) -> bool:
        """True when every tally that meets ``self`` also meets ``other`` (both as agree-thresholds).

        Holds when ``self`` counts against an equal or larger base (CAST < PRESENT < ALL_ELIGIBLE) and its
        fraction is larger, or equal with ``self`` exclusive or ``other`` inclusive. Otherwise the two are
        not comparable over all tallies and both must be checked.
        """
        if self.base not in VOTE_BASES or other.base not in VOTE_BASES:
            return self == other
        if _VOTE_BASE_RANK[self.base] < _VOTE_BASE_RANK[other.base]:
            return False
        if self.fraction != other.fraction:
            return self.fraction > other.fraction
        return not self.inclusive or other.inclusive


def _t(num: int, den: int, *, inclusive: bool, base: Base) -> Threshold:
    return Threshold(Fraction(num, den), inclusive, base)


TWO_THIRDS_OF_ALL = _t(2, 3, inclusive=True, base=Base.ALL_ELIGIBLE)
MORE_THAN_HALF_OF_ALL = _t(1, 2, inclusive=False, base=Base.ALL_ELIGIBLE)
MORE_THAN_HALF_PRESENT = _t(1, 2, inclusive=False, base=Base.PRESENT)
TWO_THIRDS_OF_HOUSEHOLDS = _t(2, 3, inclusive=True, base=Base.HOUSEHOLDS)
THREE_QUARTERS_OF_ALL = _t(3, 4, inclusive=True, base=Base.ALL_ELIGIBLE)

# ------------------------------------------------------------------ bodies


@dataclass(frozen=True)
class BodyRule:
    """How one body meets and decides.

    ``quorum``: ANY one path suffices (村民会议: more than half of adults OR ≥ 2/3 of households).
    ``majority``: the agree votes needed. ``also_required``: further agree-thresholds that must ALSO be met
    (a special-matter rule not comparable with ``majority``, see :func:`rule_for`); the agree votes needed
    are the largest of their minimums. ``note`` says where the rule is not the statute's own words.
    """

    body: str
    label: str
    quorum: tuple[Threshold, ...]
    majority: Threshold
    by_household: bool = False
    statute: str = ""
    note: str = ""
    also_required: tuple[Threshold, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.quorum:
            raise ValueError(f"{self.body}: a body needs at least one quorum path")
        for q in self.quorum:
            if q.base not in QUORUM_BASES:
                raise ValueError(f"{self.body}: a quorum counts against ALL_ELIGIBLE or HOUSEHOLDS, not {q.base}")
        for m in self.agree_thresholds:
            if m.base not in VOTE_BASES:
                raise ValueError(f"{self.body}: a vote counts against ALL_ELIGIBLE, PRESENT or CAST, not {m.base}")

    @property
    def agree_thresholds(self) -> tuple[Threshold, ...]:
        return (self.majority, *self.also_required)

    def describe(self) -> str:
        """村民代表会议：应到人数的三分之二以上到会；到会人员过半数同意（村民委员会组织法 第26条）."""
        h = self.by_household
        quorum = "或".join(q.describe(household=h) for q in self.quorum)
        votes = "，且".join(m.describe(household=h) for m in self.agree_thresholds)
        text = f"{self.label}：{quorum}到会；{votes}同意"
        if self.by_household:
            text += "（按户表决，一户一票）"
        if self.statute:
            text += f"（{self.statute}）"
        return text


_BODIES: dict[str, BodyRule] = {
    rule.body: rule
    for rule in (
        BodyRule(
            body="party_meeting",
            label="党员大会",
            quorum=(TWO_THIRDS_OF_ALL,),
            majority=MORE_THAN_HALF_OF_ALL,
            statute="四议两公开 审议环节；中国共产党支部工作条例（试行） 第11条",
            note=(
                "四议两公开 (DOMAIN §1.2 stage 3, [S8a, S8b]): 应到会党员三分之二以上到会, 赞成超过应到会党员半数. "
                "The 支部工作条例 asks only 半数以上 present; the stricter 2/3 is used, which meets both. "
                "eligible = 应到会有表决权的党员 (正式党员; 预备党员 have no vote)."
            ),
        ),
        BodyRule(
            body="villagers_meeting",
            label="村民会议",
            quorum=(MORE_THAN_HALF_OF_ALL, TWO_THIRDS_OF_HOUSEHOLDS),
            majority=MORE_THAN_HALF_PRESENT,
            statute="村民委员会组织法 第22条",
            note=(
                "eligible = 本村十八周岁以上村民; households_present = 户 that sent a representative. "
                "Stricter laws prevail: pass their rule as category_rule."
            ),
        ),
        BodyRule(
            body="representatives_meeting",
            label="村民代表会议",
            quorum=(TWO_THIRDS_OF_ALL,),
            majority=MORE_THAN_HALF_PRESENT,
            statute="村民委员会组织法 第26条",
            note=(
                "eligible = 村民委员会成员 + 村民代表. Some local 四议两公开 rules count the majority against ALL "
                "representatives: rule_for(majority_base=Base.ALL_ELIGIBLE)."
            ),
        ),
        BodyRule(
            body="villagers_group_meeting",
            label="村民小组会议",
            quorum=(TWO_THIRDS_OF_ALL, TWO_THIRDS_OF_HOUSEHOLDS),
            majority=MORE_THAN_HALF_PRESENT,
            statute="村民委员会组织法 第28条",
            note="eligible = 本组十八周岁以上村民; households = 本组户数.",
        ),
        BodyRule(
            body="members_assembly",
            label="成员大会",
            quorum=(TWO_THIRDS_OF_ALL,),
            majority=TWO_THIRDS_OF_ALL,
            statute="农村集体经济组织法 第27条",
            note=(
                "eligible = 具有完全民事行为能力的全体成员; present includes online attendance and written proxies "
                "to a capable member of the same household. A stricter law or charter prevails: category_rule."
            ),
        ),
        BodyRule(
            body="members_rep_assembly",
            label="成员代表大会",
            quorum=(TWO_THIRDS_OF_ALL,),
            majority=TWO_THIRDS_OF_ALL,
            statute="农村集体经济组织法 第28条",
            note=(
                "The statute sets no quorum; this rule requires 三分之二以上 of all representatives present, as for "
                "the 成员大会 (第27条) and the 村民代表会议. It changes no outcome: the decision already needs "
                "三分之二以上 of ALL representatives to agree. May not decide 第26条 items 1, 3, 8, 10, 12."
            ),
        ),
        BodyRule(
            body="board",
            label="理事会",
            quorum=(TWO_THIRDS_OF_ALL,),
            majority=MORE_THAN_HALF_OF_ALL,
            statute="农村集体经济组织法 第31条",
            note="eligible = 全体理事. The charter may add rules (category_rule).",
        ),
        BodyRule(
            body="two_committees",
            label="两委会议",
            quorum=(MORE_THAN_HALF_OF_ALL,),
            majority=MORE_THAN_HALF_PRESENT,
            statute="",
            note=(
                "No statute sets this: a local practice of the 四议两公开 商议 stage (DOMAIN §1.2 stage 2, "
                "'majority wins'). Quorum 过半数 of all members of both committees, decision 过半数 of those present."
            ),
        ),
    )
}
BODIES: Mapping[str, BodyRule] = MappingProxyType(_BODIES)


# ------------------------------------------------------------------ special matters


@dataclass(frozen=True)
class SpecialMatter:
    """A decision category with its own agree-threshold (DOMAIN §3.3) and the bodies that may decide it."""

    key: str
    label: str
    threshold: Threshold
    bodies: tuple[str, ...]
    statute: str
    source: str
    note: str = ""


_LAND_BODIES = ("villagers_meeting", "representatives_meeting", "villagers_group_meeting", "members_assembly")
_LAND_NOTE = (
    "本集体经济组织成员的村民会议三分之二以上成员或者三分之二以上村民代表的同意: the base is ALL members of the "
    "meeting (or ALL representatives), not those present."
)

_MATTERS: dict[str, SpecialMatter] = {
    m.key: m
    for m in (
        SpecialMatter(
            key="land_contract_plan",
            label="土地承包方案",
            threshold=TWO_THIRDS_OF_ALL,
            bodies=_LAND_BODIES,
            statute="农村土地承包法 第19条；农村集体经济组织法 第26条第（八）项",
            source="[L4], [L1]",
            note=_LAND_NOTE + " Not delegable to a 成员代表大会 (农村集体经济组织法 第28条).",
        ),
        SpecialMatter(
            key="land_adjustment",
            label="承包期内调整承包地",
            threshold=TWO_THIRDS_OF_ALL,
            bodies=_LAND_BODIES,
            statute="农村土地承包法 第28条",
            source="[L4]",
            note=_LAND_NOTE + " Also needs approval by the township and the county department.",
        ),
        SpecialMatter(
            key="land_outsider",
            label="农村土地发包给本集体经济组织以外的单位或者个人",
            threshold=TWO_THIRDS_OF_ALL,
            bodies=_LAND_BODIES,
            statute="农村土地承包法 第52条",
            source="[L4]",
            note=_LAND_NOTE + " Also needs township approval.",
        ),
        SpecialMatter(
            key="nonmember_income",
            label="非成员享有收益分配等权利",
            threshold=THREE_QUARTERS_OF_ALL,
            bodies=("members_assembly",),
            statute="农村集体经济组织法 第15条",
            source="[L1]",
            note=(
                "成员大会全体成员四分之三以上同意. Where no 集体经济组织 exists, the 村民委员会 acts for it "
                "(第64条): call rule_for('villagers_meeting', category_rule=...) explicitly."
            ),
        ),
    )
}
MATTERS: Mapping[str, SpecialMatter] = MappingProxyType(_MATTERS)
SPECIAL_MATTERS: Mapping[str, Threshold] = MappingProxyType({k: m.threshold for k, m in _MATTERS.items()})


def rule_for(body: str, *, majority_base: Base | str | None = None, category_rule: Threshold | None = None) -> BodyRule:
    """The rule of ``body``, adjusted for a village setting and a special matter. Never looser than the law.

    ``majority_base``: the village's setting for which base the majority counts against (PRESENT or
    ALL_ELIGIBLE; DOMAIN §1.2 note). It only tightens: a body whose law already counts against all who ought
    to attend (党员大会, 成员大会, 理事会) keeps ALL_ELIGIBLE when PRESENT is asked for.

    ``category_rule``: a special-matter or charter rule. The result must meet both it and the body's
    majority. If it is at least as strict as the majority for every tally, it replaces the majority; if the
    majority is at least as strict, nothing changes; otherwise it is kept in ``also_required`` and both are
    checked (e.g. 4/5 of those present against the 成员大会's 2/3 of all).
    """
    try:
        rule = BODIES[body]
    except KeyError:
        raise ValueError(f"unknown body {body!r}; known: {', '.join(BODIES)}") from None
    majority = rule.majority
    if majority_base is not None:
        wanted = Base(majority_base)
        if wanted not in (Base.PRESENT, Base.ALL_ELIGIBLE):
            raise ValueError(f"majority_base must be PRESENT or ALL_ELIGIBLE, not {wanted}")
        if _VOTE_BASE_RANK[wanted] > _VOTE_BASE_RANK[majority.base]:
            majority = replace(majority, base=wanted)
    also = rule.also_required
    if category_rule is not None:
        if not isinstance(category_rule, Threshold):
            raise TypeError("category_rule must be a Threshold")
        if category_rule.base not in VOTE_BASES:
            raise ValueError(f"category_rule counts votes: ALL_ELIGIBLE, PRESENT or CAST, not {category_rule.base}")
        if category_rule.at_least_as_strict_as(majority):
            majority = category_rule
        elif not majority.at_least_as_strict_as(category_rule):
            also = (*also, category_rule)
    return replace(rule, majority=majority, also_required=also)


def rule_for_matter(body: str, matter: str, *, majority_base: Base | str | None = None) -> BodyRule:
    """:func:`rule_for` with the special matter's threshold; refuses a body that may not decide the matter."""
    try:
        m = MATTERS[matter]
    except KeyError:
        raise ValueError(f"unknown special matter {matter!r}; known: {', '.join(MATTERS)}") from None
    if body not in m.bodies:
        raise ValueError(f"{m.label} ({matter}) cannot be decided by {body}; allowed: {', '.join(m.bodies)}")
    return rule_for(body, majority_base=majority_base, category_rule=m.threshold)


# ------------------------------------------------------------------ tally and evaluation


@dataclass(frozen=True)
class Tally:
    """Attendance and votes of one meeting, in people (or households, for a body that votes by household).

    Invariants (``ValueError`` otherwise; ``TypeError`` for a non-int): every count ≥ 0;
    agree + oppose + abstain ≤ present ≤ eligible; households_present ≤ households_eligible; and
    households_present ≤ present (a household counted present is represented by someone counted present).
    ``households_eligible == 0`` means households were not recorded: the household quorum path does not apply.
    """

    eligible: int
    present: int
    households_eligible: int = 0
    households_present: int = 0
    agree: int = 0
    oppose: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        for name in ("eligible", "present", "households_eligible", "households_present", "agree", "oppose", "abstain"):
            _check_count(name, getattr(self, name))
        if self.cast > self.present:
            raise ValueError(f"agree + oppose + abstain ({self.cast}) exceeds present ({self.present})")
        if self.present > self.eligible:
            raise ValueError(f"present ({self.present}) exceeds eligible ({self.eligible})")
        if self.households_present > self.households_eligible:
            raise ValueError(
                f"households_present ({self.households_present}) exceeds households_eligible "
                f"({self.households_eligible})"
            )
        if self.households_present > self.present:
            raise ValueError(f"households_present ({self.households_present}) exceeds present ({self.present})")

    @property
    def cast(self) -> int:
        return self.agree + self.oppose + self.abstain


@dataclass(frozen=True)
class Outcome:
    """``quorum_needed``: the quorum path that was met with its minimum, or every applicable path joined by 或
    when none was. ``agree_needed``: the least agree count that passes (≥ 1). ``reason``: one Chinese sentence.
    ``quorum_path``: the path that was met (None if none); ``deciding_rule``: the agree-threshold that sets
    ``agree_needed``."""

    quorum_met: bool
    passed: bool
    agree_needed: int
    quorum_needed: str
    reason: str
    quorum_path: Threshold | None = None
    deciding_rule: Threshold | None = None


def _quorum_count_and_size(t: Threshold, tally: Tally) -> tuple[int, int]:
    if t.base is Base.HOUSEHOLDS:
        return tally.households_present, tally.households_eligible
    return tally.present, tally.eligible


def _vote_base_size(t: Threshold, tally: Tally) -> int:
    return {Base.ALL_ELIGIBLE: tally.eligible, Base.PRESENT: tally.present, Base.CAST: tally.cast}[t.base]


def _needed(t: Threshold, size: int) -> int:
    """The minimum under the empty-base rule: never fewer than 1."""
    return max(1, t.minimum(size))


def evaluate(rule: BodyRule, tally: Tally) -> Outcome:
    """Whether the meeting had a quorum and the motion passed: quorum met AND agree ≥ every agree-threshold."""
    unit = "户" if rule.by_household else "人"

    # Quorum: any applicable path (base > 0) whose count reaches its minimum.
    paths = []
    for q in rule.quorum:
        count, size = _quorum_count_and_size(q, tally)
        if size > 0:
            q_unit = "户" if q.base is Base.HOUSEHOLDS else unit
            need = _needed(q, size)
            text = _phrase(q, f"应到 {size} {q_unit}", de_before_half=True) + f"（至少 {need} {q_unit}）"
            paths.append((q, count, need, q_unit, text))
    met = next((p for p in paths if p[1] >= p[2]), None)

    # Votes: the strictest of the agree-thresholds decides.
    needs = [(_needed(m, _vote_base_size(m, tally)), m) for m in rule.agree_thresholds]
    agree_needed, deciding = max(needs, key=lambda pair: pair[0])
    deciding_size = _vote_base_size(deciding, tally)
    deciding_noun = {Base.ALL_ELIGIBLE: "应到", Base.PRESENT: "到会", Base.CAST: "投票"}[deciding.base]

    if not paths:
        return Outcome(
            quorum_met=False,
            passed=False,
            agree_needed=agree_needed,
            quorum_needed=f"应到{unit}数为 0",
            reason=f"应到{unit}数为 0，会议无法召开，不能作出决定",
            deciding_rule=deciding,
        )

    attendance = "、".join(dict.fromkeys(f"到会 {p[1]} {p[3]}" for p in paths))
    if met is None:
        quorum_needed = "或".join(p[4] for p in paths)
        missed = "既" + "，也".join(f"未达到{p[4]}" for p in paths) if len(paths) > 1 else f"未达到{paths[0][4]}"
        return Outcome(
            quorum_met=False,
            passed=False,
            agree_needed=agree_needed,
            quorum_needed=quorum_needed,
            reason=f"{attendance}，{missed}，会议无效",
            deciding_rule=deciding,
        )

    passed = tally.agree >= agree_needed
    votes = f"同意 {tally.agree} 票、反对 {tally.oppose} 票、弃权 {tally.abstain} 票"
    majority_text = _phrase(deciding, f"{deciding_noun} {deciding_size} {unit}", de_before_half=True)
    reason = (
        f"{attendance}，达到{met[4]}；{votes}，{'达到' if passed else '未达到'}{majority_text}"
        f"（至少 {agree_needed} 票），决议{'通过' if passed else '未通过'}"
    )
    return Outcome(
        quorum_met=True,
        passed=passed,
        agree_needed=agree_needed,
        quorum_needed=met[4],
        reason=reason,
        quorum_path=met[0],
        deciding_rule=deciding,
    )
