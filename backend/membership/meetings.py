"""The 成员大会's confirmation of referred applications, its 公示, objections, and the registration that follows.

**Who confirms.** 农村集体经济组织法 第12条: the 成员大会 confirms members. 第28条 lets a 成员代表大会 exercise the
成员大会's powers *except* items 1, 3, 8, 10 and 12 of 第26条 — item 3 is 确认农村集体经济组织成员. So a meeting of
the 成员代表大会 is refused here (``membership.body_reserved``); its electorate can still be listed.

**Quorum and majority** come from the rules engine (``decisions.rule_for``/``evaluate``): 第27条, 三分之二以上 of the
members with full capacity attend (应到 is the electorate on the meeting day, computed, never typed; 实到 the
attendees picked by name from it); an application passes with 三分之二以上 of ALL members agreeing, not of those
present. A meeting without its quorum cannot decide anything, so it is refused with the sentence that says why and
nothing is written: the applications wait, referred, for a meeting that meets (the database refuses a recorded
meeting below its quorum too).

**公示, then registration.** The confirmed list is posted for ``membership.publicity_days`` (a village setting,
default 7: no national minimum exists, DOMAIN.md §1.4 and its summary item 5); anyone in the village may object
while it is posted; the secretary answers. Registration is refused until the posting has ended with every objection
answered; then each confirmed person's roster entry becomes a 成员 (``registry.register_member``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from backend import decisions, notices, registry
from backend.core import audit, objections
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.permissions import Principal
from backend.membership.models import BODIES, MembershipApplication, MembershipMeeting, MembershipObjection
from backend.membership.service import lock as lock_application
from backend.registry import Village

PUBLICITY_DAYS = registry.settings.declare("membership.publicity_days", "成员确认名单公示天数", 7, 1, 30, "天")
CONFIRMING_BODY = "members_assembly"
BODY_LABELS = {"members_assembly": "成员大会", "members_rep_assembly": "成员代表大会"}
ELECTORS = {"members_assembly": "成员", "members_rep_assembly": "成员代表"}


# ---------------------------------------------------------------- the body's electorate


@dataclass(frozen=True)
class Elector:
    person_id: int
    name: str
    household_id: int | None
    household_number: str | None


def _moment(on: date) -> datetime:
    """The electorate of a meeting day: roles held by its end; today, those held now."""
    if on >= today():
        return utcnow()
    return datetime.combine(on, time(23, 59, 59), SHANGHAI).astimezone(UTC)


def electorate(village_id: int, body: str, on: date) -> list[Elector]:
    """Who ought to attend ``body`` in the village on ``on`` (应到), by household number and name."""
    if body not in BODIES:
        raise unprocessable("membership.body", "会议应为成员大会或成员代表大会")
    people = decisions.electorate(village_id, body, _moment(on), False)
    names = registry.person_names([e.unit for e in people])
    households = registry.households_brief(village_id, {e.household_id for e in people if e.household_id})
    out = [Elector(e.unit, names.get(e.unit, ""), e.household_id,
                   households[e.household_id].number if e.household_id in households else None) for e in people]
    return sorted(out, key=lambda e: (e.household_number or "", e.name, e.person_id))


# ---------------------------------------------------------------- the sentence shown before saving


def _fraction(f: Fraction) -> str:
    words = {Fraction(2, 3): "三分之二", Fraction(3, 4): "四分之三", Fraction(1, 2): "半数", Fraction(4, 5): "五分之四"}
    return words.get(f, f"{f.denominator}分之{f.numerator}")


@dataclass(frozen=True)
class Attendance:
    body: str
    eligible: int
    present: int
    quorum_met: bool
    quorum_needed: int
    agree_needed: int
    sentence: str


def attendance(body: str, eligible: int, present: int) -> Attendance:
    """应到, 实到, whether the quorum is met and how many agree votes pass, in one sentence:
    应到 30 人，实到 21 人，达到三分之二以上，出席有效；同意需达到全体成员的三分之二以上，即至少 20 票."""
    rule = decisions.rule_for(body)
    outcome = decisions.evaluate(rule, decisions.Tally(eligible=eligible, present=present))
    q, m = rule.quorum[0], rule.majority
    quorum_needed = max(1, q.minimum(eligible))
    head = f"应到 {eligible} 人，实到 {present} 人，"
    if outcome.quorum_met:
        head += f"达到{_fraction(q.fraction)}以上，出席有效"
    else:
        head += f"未达到{_fraction(q.fraction)}（至少 {quorum_needed} 人），会议无效，不能确认成员"
    majority = f"同意需达到全体{ELECTORS[body]}的{_fraction(m.fraction)}以上，即至少 {outcome.agree_needed} 票"
    return Attendance(body, eligible, present, outcome.quorum_met, quorum_needed, outcome.agree_needed,
                      f"{head}；{majority}")


# ---------------------------------------------------------------- the meeting


@dataclass
class VoteCounts:
    application_id: int
    agree: int
    oppose: int
    abstain: int


@dataclass
class MeetingInput:
    body: str
    held_on: date
    attendees: list[int]
    applications: list[VoteCounts] = field(default_factory=list)
    place: str | None = None
    minutes: str | None = None
    attachments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ApplicationResult:
    application: MembershipApplication
    counts: VoteCounts
    passed: bool
    sentence: str


@dataclass(frozen=True)
class Checked:
    attendance: Attendance
    attendees: list[int]
    results: list[ApplicationResult]


def _check(village: Village, data: MeetingInput, *, lock: bool) -> Checked:
    """Everything a meeting's record must satisfy, for the preview and the save alike (writes nothing)."""
    if data.body not in BODIES:
        raise unprocessable("membership.body", "会议应为成员大会或成员代表大会", fields={"body": ["请选择成员大会"]})
    if data.body != CONFIRMING_BODY:
        raise unprocessable("membership.body_reserved",
                            "确认成员只能由成员大会表决，成员代表大会不能确认成员（农村集体经济组织法 第二十八条）",
                            fields={"body": ["确认成员只能由成员大会表决"]})
    if data.held_on > today():
        raise unprocessable("membership.held_on", "会议日期不能晚于今天", fields={"held_on": ["会议日期不能晚于今天"]})
    electors = {e.person_id for e in electorate(village.id, data.body, data.held_on)}
    if not electors:
        raise unprocessable("membership.no_electors", f"本村{BODY_LABELS[data.body]}没有应到人员，无法开会")
    attendees = list(dict.fromkeys(data.attendees))
    outside = [pid for pid in attendees if pid not in electors]
    if outside:
        names = registry.person_names(outside)
        shown = "、".join(names.get(pid, str(pid)) for pid in outside[:5]) + ("等" if len(outside) > 5 else "")
        raise unprocessable("membership.attendee_not_eligible",
                            f"实到人员中有 {len(outside)} 人不在{BODY_LABELS[data.body]}应到名单中：{shown}",
                            person_ids=outside, fields={"attendees": ["只能从应到名单中选择实到人员"]})
    att = attendance(data.body, len(electors), len(attendees))
    ids = [c.application_id for c in data.applications]
    if len(set(ids)) != len(ids):
        raise unprocessable("membership.duplicate_application", "同一份申请只能表决一次",
                            fields={"applications": ["同一份申请只能表决一次"]})
    results = []
    for counts in data.applications:
        a = db.session.get(MembershipApplication, counts.application_id)
        if a is None or a.village_id != village.id:
            raise not_found("membership.application_not_found", "找不到这份成员资格申请")
        if lock:
            lock_application(a)
        name = registry.person_names([a.person_id]).get(a.person_id, "")
        if a.status != "referred":
            raise conflict("membership.not_referred",
                           f"{name}的申请还没有通过两委审查，不能提交成员大会" if a.status == "submitted"
                           else f"{name}的申请已经办结，不能再表决", application_id=a.id)
        reviewed_on = a.reviewed_on
        if reviewed_on and data.held_on < reviewed_on:
            raise unprocessable("membership.held_on", f"会议日期不能早于两委审查日期（{reviewed_on.isoformat()}）",
                                fields={"held_on": [f"不能早于两委审查日期 {reviewed_on.isoformat()}"]})
        try:
            tally = decisions.Tally(eligible=att.eligible, present=att.present, agree=counts.agree,
                                    oppose=counts.oppose, abstain=counts.abstain)
        except (TypeError, ValueError):
            cast = counts.agree + counts.oppose + counts.abstain
            raise unprocessable("membership.counts",
                                f"{name}：同意、反对、弃权合计 {cast} 票，不能多于实到 {att.present} 人",
                                application_id=a.id) from None
        outcome = decisions.evaluate(decisions.rule_for(data.body), tally)
        votes = f"同意 {counts.agree} 票、反对 {counts.oppose} 票、弃权 {counts.abstain} 票"
        share = f"全体{ELECTORS[data.body]}的{_fraction(decisions.rule_for(data.body).majority.fraction)}以上"
        if outcome.passed:
            sentence = f"{votes}，达到{share}（至少 {outcome.agree_needed} 票），确认为成员"
        else:
            sentence = f"{votes}，未达到{share}（至少 {outcome.agree_needed} 票），未通过"
            if a.grounds == "birth":  # 第12条: 对因成员生育而增加的人员，应当确认 — the township may order it corrected
                sentence += "（注意：成员生育的子女依法应当确认为成员，农村集体经济组织法 第十二条）"
        results.append(ApplicationResult(a, counts, outcome.passed, sentence))
    return Checked(att, attendees, results)


def preview(village: Village, data: MeetingInput) -> Checked:
    """What saving ``data`` would record, and the quorum and majority in words; writes nothing."""
    return _check(village, data, lock=False)


def record(village: Village, data: MeetingInput, *, actor: Principal) -> MembershipMeeting:
    """Record the meeting and its result on each application. Refused below the quorum (nothing written)."""
    if not data.applications:
        raise unprocessable("membership.no_applications", "请至少选择一份待成员大会确认的申请",
                            fields={"applications": ["请至少选择一份申请"]})
    checked = _check(village, data, lock=True)
    att = checked.attendance
    if not att.quorum_met:
        raise unprocessable("membership.quorum", att.sentence, eligible=att.eligible, present=att.present,
                            quorum_needed=att.quorum_needed)
    confirmed = [r for r in checked.results if r.passed]
    m = MembershipMeeting(
        village_id=village.id, body=data.body, held_on=data.held_on, place=(data.place or "").strip() or None,
        eligible=att.eligible, present=att.present, attendees=json.dumps(sorted(checked.attendees)),
        attendance=att.sentence, minutes=(data.minutes or "").strip() or None,
        attachments=json.dumps([s.strip() for s in data.attachments if s and s.strip()], ensure_ascii=False),
        status="recorded" if confirmed else "closed", recorded_by_id=actor.person_id, recorded_at=utcnow())
    db.session.add(m)
    db.session.flush()
    for r in checked.results:
        a = r.application
        a.meeting_id = m.id
        a.agree, a.oppose, a.abstain = r.counts.agree, r.counts.oppose, r.counts.abstain
        if r.passed:
            a.status = "confirmed"
        else:
            a.status, a.reason = "not_passed", f"成员大会表决未通过：{r.sentence}"
    db.session.flush()
    audit.record("membership.meeting", "membership_meeting", m.id, actor=actor, village_id=village.id,
                 after={"body": m.body, "held_on": m.held_on, "eligible": m.eligible, "present": m.present,
                        "confirmed": [r.application.id for r in confirmed],
                        "not_passed": [r.application.id for r in checked.results if not r.passed]})
    return m


def lock(m: MembershipMeeting) -> MembershipMeeting:
    db.session.execute(select(MembershipMeeting.id).where(MembershipMeeting.id == m.id).with_for_update())
    db.session.refresh(m)
    return m


def applications_of(m: MembershipMeeting) -> list[MembershipApplication]:
    return list(db.session.execute(select(MembershipApplication).where(MembershipApplication.meeting_id == m.id)
                                   .order_by(MembershipApplication.id)).scalars())


def meetings_stmt(village_id: int) -> Any:
    return select(MembershipMeeting).where(MembershipMeeting.village_id == village_id).order_by(
        MembershipMeeting.held_on.desc(), MembershipMeeting.id.desc())


# ---------------------------------------------------------------- 公示 and objections


def open_publicity(m: MembershipMeeting, starts_on: date | None, *, actor: Principal) -> MembershipMeeting:
    """Post the meeting's confirmed list for the village's 公示 period, from ``starts_on`` (today by default)."""
    lock(m)
    if m.status == "closed":
        raise conflict("membership.nothing_confirmed", "这次会议没有确认任何人，无需公示")
    if m.status != "recorded":
        raise conflict("membership.publicity_started", "确认名单已经公示过了")
    starts_on = starts_on or today()
    if starts_on < m.held_on or starts_on > today():
        raise unprocessable("membership.publicity_start", "公示开始日期应在会议日期和今天之间",
                            fields={"starts_on": ["应在会议日期和今天之间"]})
    days = registry.settings.get(registry.get_village(m.village_id), PUBLICITY_DAYS.key)
    m.publicity_from, m.publicity_until = starts_on, starts_on + timedelta(days=days - 1)
    m.status = "publicity"
    db.session.flush()
    audit.record("membership.publicity", "membership_meeting", m.id, actor=actor, village_id=m.village_id,
                 after={"from": m.publicity_from, "until": m.publicity_until, "days": days})
    return m


def in_publicity(m: MembershipMeeting, on: date | None = None) -> bool:
    on = on or today()
    return (m.status == "publicity" and m.publicity_from is not None and m.publicity_until is not None
            and m.publicity_from <= on <= m.publicity_until)


OBJECTION_DAYS = registry.settings.declare(*objections.ANSWER_DAYS)
ANSWER_PUSH = "answer_membership"  # an objection to the confirmed list was answered (object: the objection)


def raise_objection(m: MembershipMeeting, text: str, *, actor: Principal) -> MembershipObjection:
    """An objection while the confirmed list is posted; the answer is due ``objections.answer_days`` days later."""
    if not in_publicity(m):
        raise conflict("membership.not_in_publicity", "现在不在公示期内，不能提出异议")
    text = objections.text_of(text)
    days = registry.settings.get(registry.get_village(m.village_id), OBJECTION_DAYS.key)
    o = MembershipObjection(meeting_id=m.id, village_id=m.village_id, raised_by_id=actor.person_id,
                            raised_by_name=actor.name, text=text, due_on=objections.due_on(today(), days))
    db.session.add(o)
    db.session.flush()
    audit.record("membership.objection", "membership_objection", o.id, actor=actor, village_id=m.village_id)
    return o


def answer_objection(o: MembershipObjection, answer: str, *, actor: Principal | None) -> MembershipObjection:
    """The answer, once; the villager who raised it is sent a subscribe message (``answer_membership``)."""
    o = objections.answer(o, answer, actor=actor, action="membership.objection_answer",
                          object_type="membership_objection", code="membership.objection_answered")
    if o.raised_by_id is not None:
        assert o.answered_at is not None
        notices.queue_push(ANSWER_PUSH, o.id, [o.raised_by_id], template=notices.template_for("answer"),
                           data={"thing1": notices.thing("对成员名单公示的异议"),
                                 "thing2": notices.thing(o.answer or ""), "time3": notices.time_text(o.answered_at)},
                           page="pages/home/home")
    return o


def overdue_objections(village_ids: list[int]) -> list[dict[str, Any]]:
    """Unanswered objections past their due date in these villages, for the township's 待办/预警."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(MembershipObjection, MembershipMeeting.held_on)
        .join(MembershipMeeting, MembershipMeeting.id == MembershipObjection.meeting_id)
        .where(MembershipObjection.village_id.in_(list(village_ids)), MembershipObjection.answered_at.is_(None),
               MembershipObjection.due_on < today()).order_by(MembershipObjection.id)).all()
    return [{"id": o.id, "village_id": o.village_id, "record_id": o.meeting_id,
             "title": f"{held_on.isoformat()}成员大会确认的成员名单", "due_on": o.due_on} for o, held_on in rows]


def objections_of(m: MembershipMeeting) -> list[MembershipObjection]:
    return list(db.session.execute(select(MembershipObjection).where(MembershipObjection.meeting_id == m.id)
                                   .order_by(MembershipObjection.id)).scalars())


# ---------------------------------------------------------------- registration


def register(m: MembershipMeeting, *, actor: Principal) -> list[MembershipApplication]:
    """After the 公示 has ended with every objection answered: each confirmed person becomes a 成员 on the roster."""
    lock(m)
    if m.status == "closed":
        raise conflict("membership.nothing_confirmed", "这次会议没有确认任何人，没有可登记的成员")
    if m.status == "registered":
        raise conflict("membership.already_registered", "这次会议确认的成员已经登记过了")
    if m.status == "recorded" or m.publicity_until is None:
        raise conflict("membership.not_published", "请先公示确认名单，公示期满后才能登记")
    if today() <= m.publicity_until:
        raise conflict("membership.publicity_open",
                       f"公示期到 {m.publicity_until.isoformat()} 结束，期满后才能登记为成员")
    waiting = sum(1 for o in objections_of(m) if o.answer is None)
    if waiting:
        raise conflict("membership.objections_open", f"还有 {waiting} 条异议没有答复，答复后才能登记")
    now, on = utcnow(), today()
    done = []
    for a in applications_of(m):
        if a.status != "confirmed":
            continue
        lock_application(a)
        registry.register_member(a.person_id, m.village_id, actor=actor, on=on, meeting_id=m.id)
        a.status, a.registered_at = "registered", now
        done.append(a)
    m.status, m.registered_at, m.registered_by_id = "registered", now, actor.person_id
    db.session.flush()
    audit.record("membership.register", "membership_meeting", m.id, actor=actor, village_id=m.village_id,
                 after={"registered": [a.person_id for a in done]})
    return done
