"""Voting: open a vote with a frozen electorate, cast one secret ballot per elector, record proxies and paper
tallies, tally and seal at close.

Opening and closing are decided by the server's clock on every request. :func:`tally_if_due` tallies a vote past
its closing time once: the stored result never changes after that. A vote is about one stage of a decision, but
this package knows the decision only by the ids on the vote row; the pipeline settles a vote (tallies it here and
records the result on its decision) wherever a vote is read.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, func, literal, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core import audit
from backend.core.clock import SHANGHAI, to_iso, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, forbidden, unprocessable
from backend.core.identity import keyed_hash
from backend.core.permissions import Principal
from backend.core.seal import Seal, seal
from backend.decisions import rules
from backend.decisions.votes import pushes
from backend.decisions.votes.models import CHOICES, Ballot, PaperTally, Vote, VoteElector, VoteParticipation, VoteProxy

settings = registry.settings  # declared at import, read per village (or township)

# Who may vote in each body (the statutes of rules.BODIES). Roles are those held at the record date.
BODY_ROLES: dict[str, tuple[str, ...]] = {
    "party_meeting": ("party_member",),
    "representatives_meeting": ("representative", "committee"),
    "two_committees": ("secretary", "committee"),
    "members_rep_assembly": ("member_representative",),
}
ROSTER_BODIES = {"villagers_meeting": False, "members_assembly": True}  # body → 成员 only
RECEIPT_LENGTH = 12  # hex characters: secrets.token_hex(6), or the start of an HMAC for a retriable ballot

# A village may count a body's majority against everyone who ought to attend rather than those present
# (some local 四议两公开 rules say "全体村民代表…半数以上"). Only ever stricter.
MAJORITY_OF_ALL = {
    body: settings.declare(f"decisions.majority_of_all.{body}",
                           f"{rules.BODIES[body].label}过半数按应到人数计算（0 按到会人数，1 按应到人数）", 0, 0, 1)
    for body in ("representatives_meeting", "villagers_meeting", "two_committees")
}


def rule_in_force(village_id: int, body: str, matter: str | None = None) -> rules.BodyRule:
    """The body's statutory rule, tightened by the village's majority-base setting and the matter's rule."""
    base = None
    spec = MAJORITY_OF_ALL.get(body)
    if spec is not None and settings.get(registry.get_village(village_id), spec.key) == 1:
        base = rules.Base.ALL_ELIGIBLE
    if matter and body in rules.MATTERS[matter].bodies:
        return rules.rule_for_matter(body, matter, majority_base=base)
    return rules.rule_for(body, majority_base=base)


@dataclass(frozen=True)
class Elector:
    unit: int
    household_id: int | None


def electorate(village_id: int, body: str, at: datetime, by_household: bool) -> list[Elector]:
    """The electors of ``body`` in the village at ``at``: role holders, or the adult roster (成员 only for the
    members' assembly); one per household where the body votes by household."""
    if body in BODY_ROLES:
        people = registry.people_with_roles(village_id, BODY_ROLES[body], at)
    elif body in ROSTER_BODIES:
        people = registry.roster_people(
            village_id, collective_only=ROSTER_BODIES[body], adult_on=at.astimezone(SHANGHAI).date()
        )
    else:
        raise unprocessable("vote.body_unknown", f"不认识的表决机构：{body}")
    if not by_household:
        return [Elector(pid, hid) for pid, hid in people]
    households = sorted({hid for _, hid in people if hid is not None})
    return [Elector(hid, hid) for hid in households]


def electorate_hash(vote_key: str, electors: list[Elector]) -> str:
    """SHA-256 over the sorted elector units: anyone holding the list can check it was not changed."""
    text = vote_key + "\n" + "\n".join(str(e.unit) for e in sorted(electors, key=lambda e: e.unit))
    return hashlib.sha256(text.encode()).hexdigest()


class VotedOn(Protocol):
    """The decision a vote is about, as far as voting needs it."""

    id: int
    village_id: int
    variant: str | None  # the stage template of a decision with the pipeline; None if resolved outside the app


def open_vote(
    decision: VotedOn,
    *,
    stage: str,
    body: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    by_household: bool = False,
    actor: Principal | None,
) -> Vote:
    """Freeze the electorate at ``opens_at`` (the record date) and schedule a vote on ``stage`` of ``decision``."""
    if closes_at <= opens_at:
        raise unprocessable("vote.window", "截止时间须晚于开始时间")
    if body not in rules.BODIES:
        raise unprocessable("vote.body_unknown", f"不认识的表决机构：{body}")
    rule = rules.rule_for(body)
    by_household = by_household or rule.by_household
    on_stage = bool(getattr(decision, "variant", None))
    running = open_vote_on(decision.id, stage) if on_stage else None
    if running is not None:
        raise _stage_busy(running)
    electors = electorate(decision.village_id, body, max(opens_at, utcnow()), by_household)
    if not electors:
        raise unprocessable("vote.no_electors", f"{rule.label}没有有表决权的人，无法发起表决")
    households = len({e.household_id for e in electors if e.household_id is not None})
    v = Vote(
        village_id=decision.village_id,
        decision_id=decision.id,
        stage=stage,
        body=body,
        title=title.strip(),
        by_household=by_household,
        on_stage=on_stage,
        opens_at=opens_at,
        closes_at=closes_at,
        record_date=opens_at.astimezone(SHANGHAI).date(),
        electorate_size=len(electors),
        households_size=households,
        electorate_hash="0" * 64,
        rule=json.dumps(
            {
                "body": body,
                "label": rule.label,
                "quorum": [q.describe() for q in rule.quorum],
                "majority": rule.majority.describe(),
                "statute": rule.statute,
            },
            ensure_ascii=False,
        ),
        created_by_id=actor.person_id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(v)
            db.session.flush()
    except IntegrityError:
        # another request opened one on this stage at the same moment (the partial unique index refused ours)
        running = open_vote_on(decision.id, stage)
        raise _stage_busy(running) from None
    v.electorate_hash = electorate_hash(f"vote:{v.id}", electors)
    db.session.add_all([VoteElector(vote_id=v.id, unit=e.unit, household_id=e.household_id) for e in electors])
    db.session.flush()
    audit.record(
        "vote.open",
        "vote",
        v.id,
        actor=actor,
        village_id=v.village_id,
        after={"body": body, "electorate": len(electors), "hash": v.electorate_hash},
    )
    pushes.queue_opened(v)  # told in the transaction that opens it
    return v


def open_vote_on(decision_id: int, stage: str) -> Vote | None:
    """The vote on ``stage`` of the decision not yet tallied (scheduled, open, or closed awaiting its tally) whose
    result will be recorded on that stage."""
    return db.session.execute(
        select(Vote).where(Vote.decision_id == decision_id, Vote.stage == stage, Vote.result.is_(None),
                           Vote.on_stage.is_(True))
    ).scalars().first()


def _stage_busy(running: Vote | None) -> AppError:
    if running is None:
        return conflict("vote.stage_busy", "该阶段已有一场表决正在进行，请等它结束或提前结束后再发起")
    closes = running.closes_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return conflict("vote.stage_busy",
                    f"该阶段已有一场表决正在进行（“{running.title}”，{closes} 截止），"
                    "请等它结束或提前结束后再发起", vote_id=running.id)


def close_early(v: Vote, *, actor: Principal, reason: str | None = None) -> Vote:
    """End an open vote now (its closing time becomes now); the caller then settles it (tally and record on the
    decision). 409 if it has not started or has already ended."""
    locked = db.session.execute(
        select(Vote).where(Vote.id == v.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    st = state(locked)
    if st == "scheduled":
        raise conflict("vote.not_open", "表决尚未开始，不能提前结束")
    if st == "closed" or locked.result is not None:
        raise conflict("vote.closed", "表决已经结束")
    before = locked.closes_at
    locked.closes_at = utcnow()
    db.session.flush()
    audit.record("vote.close", "vote", locked.id, actor=actor, village_id=locked.village_id,
                 before={"closes_at": before}, after={"closes_at": locked.closes_at, "reason": reason})
    return locked


CHANNEL_LABELS = {"app": "手机投票", "proxy": "书面委托代投", "paper": "现场纸质票",
                  "assisted": "村委会代办（监督委员会签）"}


def turnout(v: Vote) -> dict[str, Any]:
    """Who may vote and who has voted (name, household, channel, time) — never what anyone chose. Those who have
    not voted yet are listed too, so that staff can remind them."""
    electors = list(db.session.execute(
        select(VoteElector.unit, VoteElector.household_id).where(VoteElector.vote_id == v.id)).all())
    cast = {row.unit: row for row in db.session.execute(
        select(VoteParticipation.unit, VoteParticipation.channel, VoteParticipation.cast_at)
        .where(VoteParticipation.vote_id == v.id).order_by(VoteParticipation.cast_at, VoteParticipation.id))}
    from backend.decisions.votes import assisted  # it records ballots through this module

    helped = getattr(assisted, "assisted_voters", lambda _vid: {})(v.id)  # unit → the two staff names
    households = registry.households_brief(v.village_id, {h for _, h in electors if h is not None})
    names = {} if v.by_household else registry.person_names([u for u, _ in electors])

    def who(unit: int, household_id: int | None) -> dict[str, Any]:
        h = households.get(household_id) if household_id is not None else None
        name = (h.head_name if h else None) if v.by_household else names.get(unit)
        return {"unit": unit, "name": name or "（未知）", "household_id": household_id,
                "household_number": h.number if h else None}

    voted = [who(u, h) | {"channel": cast[u].channel, "channel_label": CHANNEL_LABELS.get(cast[u].channel,
                                                                                          cast[u].channel),
                          "cast_at": cast[u].cast_at, "assisted_by": helped.get(u)}
             for u, h in electors if u in cast]
    voted.sort(key=lambda x: x["cast_at"])
    waiting = sorted((who(u, h) for u, h in electors if u not in cast),
                     key=lambda x: (x["household_number"] or "", x["name"]))
    return {"vote_id": v.id, "state": state(v), "by_household": v.by_household, "unit": "户" if v.by_household
            else "人", "eligible": v.electorate_size, "cast": len(cast), "voted": voted, "not_voted": waiting}


def result_words(v: Vote, result: dict[str, Any]) -> str:
    """The result in one sentence: 应到 9 人，实到 7 人，达到法定人数（…）；同意 6 票、反对 1 票、弃权 0 票，
    达到到会人员过半数（至少 4 票），通过."""
    rule = rule_in_force(v.village_id, v.body)
    unit = "户" if v.by_household or rule.by_household else "人"
    tally = rules.Tally(eligible=result["eligible"], present=result["cast"], agree=result["agree"],
                        oppose=result["oppose"], abstain=result["abstain"])
    outcome = rules.evaluate(rule, tally)
    head = f"应到 {tally.eligible} {unit}，实到 {tally.present} {unit}"
    if not result["quorum_met"]:
        return f"{head}，未达到法定人数（须{outcome.quorum_needed}），表决无效，未通过"
    counts = f"同意 {tally.agree} 票、反对 {tally.oppose} 票、弃权 {tally.abstain} 票"
    assert outcome.deciding_rule is not None
    majority = outcome.deciding_rule.describe(household=unit == "户")
    passed = bool(result["passed"])
    return (f"{head}，达到法定人数（{outcome.quorum_needed}）；{counts}，{'达到' if passed else '未达到'}{majority}"
            f"（至少 {result['agree_needed']} 票），{'通过' if passed else '未通过'}")


def state(v: Vote, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < v.opens_at:
        return "scheduled"
    if now < v.closes_at:
        return "open"
    return "closed"


def unit_of(v: Vote | Row[Any], p: Principal) -> int | None:
    """The unit the vote counts the caller as: their household where it votes by household, else themselves."""
    return p.household_id if v.by_household else p.person_id


def is_elector(v: Vote, unit: int | None) -> bool:
    if unit is None:
        return False
    return db.session.get(VoteElector, (v.id, unit)) is not None


@dataclass(frozen=True)
class Cast:
    """A ballot's receipt, and whether this request only repeated one already recorded (a retry)."""

    receipt: str
    replayed: bool = False


def derived_receipt(vote_id: int, idempotency_key: str) -> str:
    """The receipt of a ballot cast with an ``Idempotency-Key``: 12 hex characters, like a random one, of
    HMAC-SHA256 under the server key. Neither the key nor anything tying it to the voter is stored: only the
    voter's phone, holding the key, can show that a receipt is theirs."""
    return keyed_hash(registry.identity_key(), "ballot", f"{vote_id}:{idempotency_key}")[:RECEIPT_LENGTH]


def cast_ballot(v: Vote, choice: str, *, actor: Principal, idempotency_key: str | None = None) -> Cast:
    """One secret ballot; returns its receipt. 409 if already cast or closed, 403 if not an elector.

    With an ``idempotency_key`` the receipt is derived from it (:func:`derived_receipt`), so that a retry of the
    same request — the phone lost the answer — gets the same receipt back (``replayed``) instead of a 409."""
    if choice not in CHOICES:
        raise unprocessable("vote.choice", "请选择同意、反对或弃权")
    unit = unit_of(v, actor)
    if idempotency_key is not None and unit is not None and _voted(v, unit):
        # a retry is answered even once the vote has closed: it records nothing
        return _retry(v, unit, derived_receipt(v.id, idempotency_key), choice)
    now = utcnow()
    st = state(v, now)
    if st == "scheduled":
        raise conflict("vote.not_open", "表决尚未开始")
    if st == "closed":
        raise conflict("vote.closed", "投票已结束")
    if not is_elector(v, unit):
        raise forbidden("vote.not_eligible", "您不在本次表决的名单中（名单在表决开始时确定）")
    return _record_ballot(v, unit, choice, channel="app", cast_by=actor.person_id, idempotency_key=idempotency_key)


ALREADY_CAST = "已经投过票了（每人只能投一次，手机、委托、现场纸质票只能选一种）"


def _voted(v: Vote, unit: int | None) -> bool:
    return db.session.execute(
        select(VoteParticipation.id).where(VoteParticipation.vote_id == v.id, VoteParticipation.unit == unit)
    ).first() is not None


def _ballot_choice(v: Vote, receipt: str) -> str | None:
    return db.session.execute(
        select(Ballot.choice).where(Ballot.vote_id == v.id, Ballot.receipt == receipt)
    ).scalar_one_or_none()


def _retry(v: Vote, unit: int | None, receipt: str, choice: str) -> Cast:
    """This unit has voted: the same request again (the ballot of the derived receipt, with the same choice) gets
    its receipt back; anything else is a second vote. Who voted and what was chosen stay unlinked: the answer
    rests on the key the voter holds, not on anything stored with their participation."""
    if _voted(v, unit) and _ballot_choice(v, receipt) == choice:
        return Cast(receipt, replayed=True)
    raise conflict("vote.already_cast", ALREADY_CAST)


def _settle(v: Vote, unit: int | None, receipt: str, choice: str) -> Cast:
    """The derived receipt is taken, or inserting the ballot failed: this unit's own earlier request (a retry, or
    the same request at the same moment — on PostgreSQL we waited for it to commit), a second vote, or another
    elector's ballot with this key's receipt (a client that reuses keys: they are told to try again with a new
    one, never handed a receipt that is not theirs)."""
    if _voted(v, unit):
        return _retry(v, unit, receipt, choice)
    if _ballot_choice(v, receipt) is not None:
        raise conflict("idempotency.mismatch", "这次投票的请求编号与另一张选票重复，请返回后重新投票")
    raise conflict("vote.already_cast", ALREADY_CAST)


def _record_ballot(v: Vote, unit: int | None, choice: str, *, channel: str, cast_by: int,
                   idempotency_key: str | None = None) -> Cast:
    if choice not in CHOICES:
        raise unprocessable("vote.choice", "请选择同意、反对或弃权")
    now = utcnow()
    st = state(v, now)
    if st == "scheduled":
        raise conflict("vote.not_open", "表决尚未开始")
    if st == "closed":
        raise conflict("vote.closed", "投票已结束")
    receipt = derived_receipt(v.id, idempotency_key) if idempotency_key is not None else secrets.token_hex(6)
    if idempotency_key is not None and _ballot_choice(v, receipt) is not None:
        return _settle(v, unit, receipt, choice)
    try:
        with db.session.begin_nested():
            db.session.add(VoteParticipation(vote_id=v.id, unit=unit, channel=channel, cast_by_id=cast_by, cast_at=now))
            db.session.add(Ballot(vote_id=v.id, receipt=receipt, choice=choice))
    except IntegrityError:
        if idempotency_key is None:
            raise conflict("vote.already_cast", ALREADY_CAST) from None
        return _settle(v, unit, receipt, choice)
    return Cast(receipt)


# ---------------------------------------------------------------- proxies (成员大会, same household)


def record_proxy(v: Vote, grantor_id: int, proxy_id: int, document_ref: str, *, actor: Principal | None) -> VoteProxy:
    """Record a written authorisation: for a 成员大会 vote only, to an elector of the same household, one each."""
    if v.body != "members_assembly":
        raise unprocessable("vote.proxy_not_allowed", "只有成员大会可以委托同户成员代为表决")
    if state(v) == "closed":
        raise conflict("vote.closed", "投票已结束")
    if grantor_id == proxy_id:
        raise unprocessable("vote.proxy_self", "不能委托自己")
    grantor = db.session.get(VoteElector, (v.id, grantor_id))
    holder = db.session.get(VoteElector, (v.id, proxy_id))
    if grantor is None or holder is None:
        raise unprocessable("vote.proxy_not_elector", "委托人和受托人都须是本次表决名单上的成员")
    if grantor.household_id is None or grantor.household_id != holder.household_id:
        raise unprocessable("vote.proxy_household", "只能委托同一户中有完全民事行为能力的成员")
    if db.session.execute(
        select(VoteParticipation.id).where(VoteParticipation.vote_id == v.id, VoteParticipation.unit == grantor_id)
    ).first():
        raise conflict("vote.already_cast", "委托人已经投过票了")
    proxy = VoteProxy(
        vote_id=v.id,
        grantor_id=grantor_id,
        proxy_id=proxy_id,
        document_ref=document_ref.strip(),
        recorded_by_id=actor.person_id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(proxy)
    except IntegrityError:
        raise conflict("vote.proxy_exists", "委托人已委托他人，或受托人已接受了一份委托（每人只能代投一票）") from None
    audit.record(
        "vote.proxy",
        "vote",
        v.id,
        actor=actor,
        village_id=v.village_id,
        after={"grantor": grantor_id, "proxy": proxy_id, "document": proxy.document_ref},
    )
    return proxy


def revoke_proxy(proxy: VoteProxy, *, actor: Principal) -> VoteProxy:
    if proxy.used_at is not None:
        raise conflict("vote.proxy_used", "受托人已经代为投票，不能再撤销")
    if proxy.revoked_at is not None:
        raise conflict("vote.proxy_revoked", "这份委托已经撤销")
    proxy.revoked_at = utcnow()
    db.session.flush()
    audit.record("vote.proxy_revoke", "vote", proxy.vote_id, actor=actor, village_id=proxy.village_id,
                 after={"grantor": proxy.grantor_id})
    return proxy


def cast_by_proxy(v: Vote, grantor_id: int, choice: str, *, actor: Principal,
                  idempotency_key: str | None = None) -> Cast:
    """The proxy holder casts the grantor's ballot (the grantor then cannot vote themselves); a retry with the same
    ``Idempotency-Key`` gets the same receipt back, as for one's own ballot."""
    proxy = db.session.execute(
        select(VoteProxy)
        .where(
            VoteProxy.vote_id == v.id,
            VoteProxy.grantor_id == grantor_id,
            VoteProxy.proxy_id == actor.person_id,
            VoteProxy.revoked_at.is_(None),
        )
        .with_for_update()
    ).scalar_one_or_none()
    if proxy is None:
        raise forbidden("vote.no_proxy", "没有找到有效的书面委托")
    if proxy.used_at is not None:
        if idempotency_key is not None:
            try:
                return _retry(v, grantor_id, derived_receipt(v.id, idempotency_key), choice)
            except AppError:
                pass
        raise conflict("vote.already_cast", "这份委托已经用过了")
    cast = _record_ballot(v, grantor_id, choice, channel="proxy", cast_by=actor.person_id,
                          idempotency_key=idempotency_key)
    if not cast.replayed:
        proxy.used_at = utcnow()
        db.session.flush()
    return cast


# ---------------------------------------------------------------- paper ballots from a meeting


def enter_paper_tally(
    v: Vote, voters: list[int], agree: int, oppose: int, abstain: int, signed_by: list[str], *, actor: Principal
) -> PaperTally:
    """The signed count of an in-person meeting's paper ballots, with who voted on paper (one channel each)."""
    if state(v) != "open":
        raise conflict("vote.not_open_for_paper", "只能在表决期间录入现场纸质票")
    if len(set(voters)) != len(voters):
        raise unprocessable("vote.paper_duplicate", "纸质投票人名单有重复")
    if agree + oppose + abstain != len(voters):
        raise unprocessable(
            "vote.paper_mismatch", f"同意、反对、弃权合计 {agree + oppose + abstain} 票，与投票人数 {len(voters)} 不符"
        )
    if not signed_by:
        raise unprocessable("vote.paper_unsigned", "请填写计票人和监票人签名")
    units = set(voters)
    electors = set(
        db.session.execute(
            select(VoteElector.unit).where(VoteElector.vote_id == v.id, VoteElector.unit.in_(units))
        ).scalars()
    )
    if units - electors:
        raise unprocessable(
            "vote.paper_not_electors", "纸质投票人中有不在表决名单上的人", units=sorted(units - electors)
        )
    already = set(
        db.session.execute(
            select(VoteParticipation.unit).where(VoteParticipation.vote_id == v.id, VoteParticipation.unit.in_(units))
        ).scalars()
    )
    if already:
        raise conflict("vote.paper_double", "名单中有人已经在手机上投过票，每人只能投一次", units=sorted(already))
    tally = PaperTally(
        vote_id=v.id,
        agree=agree,
        oppose=oppose,
        abstain=abstain,
        signed_by=json.dumps(signed_by, ensure_ascii=False),
        entered_by_id=actor.person_id,
    )
    choices = ["agree"] * agree + ["oppose"] * oppose + ["abstain"] * abstain
    try:
        with db.session.begin_nested():
            db.session.add(tally)
            now = utcnow()
            db.session.add_all(
                [
                    VoteParticipation(vote_id=v.id, unit=u, channel="paper", cast_by_id=actor.person_id, cast_at=now)
                    for u in voters
                ]
            )
            db.session.add_all(
                [Ballot(vote_id=v.id, receipt="P" + secrets.token_hex(6)[:11], choice=c) for c in choices]
            )
    except IntegrityError:
        raise conflict("vote.paper_conflict", "现场纸质票已经录入过，或有人同时在手机上投票，请刷新后重试") from None
    audit.record(
        "vote.paper",
        "vote",
        v.id,
        actor=actor,
        village_id=v.village_id,
        after={"voters": len(voters), "agree": agree, "oppose": oppose, "abstain": abstain, "signed_by": signed_by},
    )
    return tally


@dataclass(frozen=True)
class Standing:
    """The caller in one vote: an elector, has voted, and when the proxy they granted was used (if it was); and
    whether any ballot of the vote was cast through ``any_channel`` (so that the view reads those only if so)."""

    eligible: bool
    has_voted: bool
    proxy_used_at: datetime | None
    any_on_channel: bool = False


def standing(v: Vote, p: Principal, any_channel: str | None = None) -> Standing:
    """The caller's :class:`Standing` in the vote, in one statement."""
    unit = unit_of(v, p)
    elector: Any = literal(False)
    voted: Any = literal(False)
    if unit is not None:
        elector = select(VoteElector.unit).where(VoteElector.vote_id == v.id, VoteElector.unit == unit).exists()
        voted = select(VoteParticipation.id).where(VoteParticipation.vote_id == v.id,
                                                   VoteParticipation.unit == unit).exists()
    used = select(VoteProxy.used_at).where(VoteProxy.grantor_id == p.person_id, VoteProxy.vote_id == v.id,
                                           VoteProxy.revoked_at.is_(None)).scalar_subquery()
    on_channel: Any = literal(False)
    if any_channel is not None:
        on_channel = select(VoteParticipation.id).where(VoteParticipation.vote_id == v.id,
                                                        VoteParticipation.channel == any_channel).exists()
    row = db.session.execute(select(elector, voted, used, on_channel)).one()
    return Standing(bool(row[0]), bool(row[1]), row[2], bool(row[3]))


def tally_if_due(v: Vote) -> bool:
    """Tally, store and seal the result once the vote has closed (idempotent; True if it tallied now)."""
    if v.result is not None or state(v) != "closed":
        return False
    locked = db.session.execute(select(Vote).where(Vote.id == v.id).with_for_update()).scalar_one()
    if locked.result is not None:
        return False
    counts = dict(
        db.session.execute(
            select(Ballot.choice, func.count()).where(Ballot.vote_id == v.id).group_by(Ballot.choice)
        ).all()
    )
    cast = db.session.execute(
        select(func.count()).select_from(VoteParticipation).where(VoteParticipation.vote_id == v.id)
    ).scalar_one()
    rule = rule_in_force(v.village_id, v.body)
    tally = rules.Tally(
        eligible=v.electorate_size,
        present=cast,
        agree=counts.get("agree", 0),
        oppose=counts.get("oppose", 0),
        abstain=counts.get("abstain", 0),
    )
    outcome = rules.evaluate(rule, tally)
    result = {
        "eligible": v.electorate_size,
        "cast": cast,
        "agree": tally.agree,
        "oppose": tally.oppose,
        "abstain": tally.abstain,
        "quorum_met": outcome.quorum_met,
        "passed": outcome.passed,
        "agree_needed": outcome.agree_needed,
        "reason": outcome.reason,
    }
    s = seal(
        v.village_id,
        "vote_result",
        v.id,
        {
            "vote_id": v.id,
            "decision_id": v.decision_id,
            "body": v.body,
            "title": v.title,
            "closes_at": to_iso(v.closes_at),
            "electorate_hash": v.electorate_hash,
            "result": result,
            "ballots": [
                {"receipt": r, "choice": c}
                for r, c in db.session.execute(
                    select(Ballot.receipt, Ballot.choice).where(Ballot.vote_id == v.id).order_by(Ballot.receipt)
                )
            ],
        },
    )
    locked.result, locked.tallied_at, locked.seal_id = json.dumps(result, ensure_ascii=False), utcnow(), s.id
    db.session.flush()
    audit.record("vote.tally", "vote", v.id, actor=None, village_id=v.village_id, after=result)
    pushes.queue_result(locked)
    return True


def votes_of(decision_id: int) -> list[Vote]:
    """The votes on a decision's stages, oldest first."""
    return list(db.session.execute(select(Vote).where(Vote.decision_id == decision_id).order_by(Vote.id)).scalars())


def latest_vote_on(decision_id: int, stage: str) -> Vote | None:
    """The newest vote opened on ``stage`` of the decision, if any."""
    return db.session.execute(
        select(Vote).where(Vote.decision_id == decision_id, Vote.stage == stage).order_by(Vote.id.desc())
    ).scalars().first()


def due_votes() -> list[Vote]:
    """Votes past their closing time that have not been tallied."""
    return list(db.session.execute(
        select(Vote).where(Vote.closes_at <= utcnow(), Vote.result.is_(None)).order_by(Vote.id)
    ).scalars())


def vote_view(v: Vote, p: Principal) -> dict[str, Any]:
    """What anyone in the village sees: the result (in figures and in words) and the receipts only once the vote is
    closed; how many ballots each pair of staff entered for members without a phone (never whose, never how)."""
    from backend.decisions.votes.assisted import CHANNEL as ASSISTED  # it records ballots through this module
    from backend.decisions.votes.assisted import assisted_counts

    st = state(v)
    me = standing(v, p, ASSISTED)  # an assisted ballot is a participation of that channel (assisted.py)
    out: dict[str, Any] = {
        "id": v.id,
        "decision_id": v.decision_id,
        "title": v.title,
        "stage": v.stage,
        "body": v.body,
        "rule": json.loads(v.rule),
        "opens_at": v.opens_at,
        "closes_at": v.closes_at,
        "state": st,
        "record_date": v.record_date,
        "electorate_size": v.electorate_size,
        "electorate_hash": v.electorate_hash,
        "eligible": me.eligible,
        "has_voted": me.has_voted,
        "result": None,
        "receipts": None,
        "my_proxy_used_at": me.proxy_used_at,
        "by_household": v.by_household,
        "body_label": rules.BODIES[v.body].label if v.body in rules.BODIES else v.body,
        "result_words": None,
        "assisted": assisted_counts(v.id) if me.any_on_channel else [],
    }
    if st == "closed" and v.result is not None:
        out["result"] = json.loads(v.result)
        out["result_words"] = result_words(v, out["result"])
        out["receipts"] = [
            {"receipt": r, "choice": c}
            for r, c in db.session.execute(
                select(Ballot.receipt, Ballot.choice).where(Ballot.vote_id == v.id).order_by(Ballot.receipt)
            )
        ]
        s = db.session.get(Seal, v.seal_id)
        out["seal"] = s.hash if s else None
    return out


def my_open_votes(p: Principal) -> list[dict[str, Any]]:
    """Votes open now in which the caller is an elector (two queries, however many votes there are)."""
    now = utcnow()
    units = [u for u in (p.person_id, p.household_id) if u is not None]
    rows = db.session.execute(
        select(Vote.id, Vote.decision_id, Vote.title, Vote.closes_at, Vote.by_household, VoteElector.unit)
        .join(VoteElector, VoteElector.vote_id == Vote.id)
        .where(
            Vote.opens_at <= now,
            Vote.closes_at > now,
            VoteElector.unit.in_(units),
            Vote.village_id.in_(list(p.village_ids()) or [-1]),
        )
        .order_by(Vote.closes_at, Vote.id)
    ).all()
    mine: dict[int, tuple[Row[Any], int]] = {}
    for v in rows:  # a person id may equal a household id: the unit must be the one this vote counts
        if v.unit == unit_of(v, p):
            mine.setdefault(v.id, (v, v.unit))
    voted: set[tuple[int, int]] = set()
    if mine:
        voted = {(vid, unit) for vid, unit in db.session.execute(
            select(VoteParticipation.vote_id, VoteParticipation.unit)
            .where(VoteParticipation.vote_id.in_(list(mine)), VoteParticipation.unit.in_(units)))}
    return [
        {"id": v.id, "decision_id": v.decision_id, "title": v.title, "closes_at": v.closes_at,
         "has_voted": (v.id, unit) in voted}
        for v, unit in mine.values()
    ]




@dataclass(frozen=True)
class VoteTurnout:
    """An open vote's turnout so far: who may vote (``eligible``) and how many have (``cast``)."""

    id: int
    village_id: int
    decision_id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    eligible: int
    cast: int


def votes_closing(village_ids: list[int], until: datetime) -> list[VoteTurnout]:
    """Votes of these villages open now and closing by ``until``, with their turnout (two queries), soonest first."""
    if not village_ids:
        return []
    now = utcnow()
    cast = (
        select(func.count()).select_from(VoteParticipation).where(VoteParticipation.vote_id == Vote.id)
        .correlate(Vote).scalar_subquery()
    )
    rows = db.session.execute(
        select(Vote, cast)
        .where(Vote.village_id.in_(village_ids), Vote.opens_at <= now, Vote.closes_at > now, Vote.closes_at <= until)
        .order_by(Vote.closes_at, Vote.id)
    ).all()
    return [
        VoteTurnout(v.id, v.village_id, v.decision_id, v.title, v.opens_at, v.closes_at, v.electorate_size, int(n))
        for v, n in rows
    ]
