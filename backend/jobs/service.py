"""Public-benefit jobs (公益岗位) from posting to pay: the rules of each step; every threshold is a setting.

Flow: a posting is open for applications in its window → after the window the applicant list is sealed into the
village's chain (``seal_applicants``) → a seed announced afterwards (``announce_seed``: e.g. the numbers drawn at
the villagers' meeting) orders the applicants deterministically: priority groups (脱贫户, 监测户) first, then by
``sha256(seed + ":" + receipt)`` — where applicants tie for the last places, that is the lottery, and anyone can
re-run it from the sealed list and the seed (``draw_order``) → the selected list is sealed and publicly posted
(公示, ``jobs.publicity_days``) → objections answered → hires confirmed (an agreement of at most
``jobs.max_term_months``) → monthly attendance and pay, posted to the ledger as 514 公益支出.

What the endpoints show of these (a posting's detail, the applicant list, the exports) is in ``views``.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend import ledger, registry
from backend.core import audit, objections
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, unprocessable
from backend.core.identity import mask_name
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.seal import Seal, seal, verify_seal
from backend.core.shared_pages import shared_read
from backend.jobs import pushes
from backend.jobs.models import JobApplication, JobDraw, JobHire, JobObjection, JobPay, JobPosting
from backend.registry import Village

MIN_AGE = registry.settings.declare("jobs.min_age", "公益岗位最低年龄", 16, 16, 30, "岁")
MAX_AGE = registry.settings.declare("jobs.max_age", "公益岗位最高年龄（含）", 65, 50, 75, "岁")
MAX_TERM = registry.settings.declare("jobs.max_term_months", "公益岗位聘用期最长", 12, 1, 36, "个月")
PUBLICITY_DAYS = registry.settings.declare("jobs.publicity_days", "公益岗位拟聘人员公示天数", 5, 1, 30, "天")
ONE_PER_HOUSEHOLD = registry.settings.declare("jobs.one_per_household", "每户限一人（1 是，0 否）", 1, 0, 1)
EXCLUDE_CADRES = registry.settings.declare("jobs.exclude_cadre_families", "村干部及其家庭成员不得申请（1 是，0 否）",
                                           1, 0, 1)
CADRE_ROLES = ("secretary", "committee")  # 书记、副书记、主任、副主任、文书 are in the two committees
EXPENSE_ACCOUNT = "514"  # 公益支出
PAY_ACCOUNTS = {"bank": "102", "cash": "101"}
STATUS_LABELS = {"open": "报名中", "sealed": "报名截止", "drawn": "已抽签", "publicity": "公示中",
                 "confirmed": "已聘用", "cancelled": "已取消"}
APPLICATION_LABELS = {"applied": "已报名", "selected": "拟聘用（公示中）", "waitlisted": "候补", "hired": "已聘用",
                      "withdrawn": "已撤回", "ineligible": "不符合条件"}


# ---------------------------------------------------------------- postings


@dataclass
class PostingInput:
    title: str
    category: str
    positions: int
    monthly_wage_fen: int
    apply_from: datetime
    apply_until: datetime
    term_months: int | None = None
    duties: str | None = None
    place: str | None = None
    funding: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    priority_tuopin: bool = True
    priority_jiance: bool = True
    priority_only: bool = False
    one_per_household: bool | None = None
    exclude_cadre_families: bool | None = None


def create_posting(village: Village, data: PostingInput, *, actor: Principal | None) -> JobPosting:
    floor, ceiling = registry.settings.get(village, MIN_AGE.key), registry.settings.get(village, MAX_AGE.key)
    min_age = data.min_age if data.min_age is not None else floor
    max_age = data.max_age if data.max_age is not None else ceiling
    if min_age < floor or max_age > ceiling or min_age > max_age:
        raise unprocessable("job.ages_invalid", f"年龄条件应在本地规定的 {floor} 到 {ceiling} 岁之间")
    max_term = registry.settings.get(village, MAX_TERM.key)
    term = data.term_months if data.term_months is not None else max_term
    if not 1 <= term <= max_term:
        raise unprocessable("job.term_invalid", f"聘用期最长 {max_term} 个月（可到期后续聘）")
    if data.apply_until <= data.apply_from:
        raise unprocessable("job.window_invalid", "报名截止时间应晚于开始时间")
    if data.apply_until <= utcnow():
        raise unprocessable("job.window_invalid", "报名截止时间应晚于现在")
    if data.positions <= 0 or data.monthly_wage_fen <= 0:
        raise unprocessable("job.invalid", "岗位数和月工资应大于零")
    if data.priority_only and not (data.priority_tuopin or data.priority_jiance):
        raise unprocessable("job.invalid", "仅限优先群体的岗位须至少选择一个优先群体（脱贫户或监测户）")
    p = JobPosting(
        village_id=village.id, title=data.title.strip(), category=data.category, positions=data.positions,
        monthly_wage_fen=data.monthly_wage_fen, term_months=term, duties=data.duties, place=data.place,
        funding=data.funding, apply_from=data.apply_from, apply_until=data.apply_until, min_age=min_age,
        max_age=max_age, priority_tuopin=data.priority_tuopin, priority_jiance=data.priority_jiance,
        priority_only=data.priority_only,
        one_per_household=bool(registry.settings.get(village, ONE_PER_HOUSEHOLD.key)) if data.one_per_household is None
        else data.one_per_household,
        exclude_cadre_families=bool(registry.settings.get(village, EXCLUDE_CADRES.key))
        if data.exclude_cadre_families is None else data.exclude_cadre_families,
        created_by_id=actor.person_id if actor else None)
    db.session.add(p)
    db.session.flush()
    audit.record("job.posting_create", "job_posting", p.id, actor=actor, village_id=village.id,
                 after={"title": p.title, "positions": p.positions, "wage_fen": p.monthly_wage_fen})
    return p


def _lock(p: JobPosting) -> JobPosting:
    db.session.execute(select(JobPosting.id).where(JobPosting.id == p.id).with_for_update())
    db.session.refresh(p)
    return p


def is_open(p: JobPosting, at: datetime | None = None) -> bool:
    at = at or utcnow()
    return p.status == "open" and p.apply_from <= at <= p.apply_until


def open_postings_stmt(village_id: int) -> Any:
    now = utcnow()
    return (select(JobPosting).where(JobPosting.village_id == village_id, JobPosting.status == "open",
                                     JobPosting.apply_from <= now, JobPosting.apply_until >= now)
            .order_by(JobPosting.apply_until, JobPosting.id))


def postings_stmt(village_id: int) -> Any:
    return select(JobPosting).where(JobPosting.village_id == village_id).order_by(JobPosting.id.desc())


def close_applications(p: JobPosting, reason: str, *, actor: Principal | None) -> JobPosting:
    """Stop taking applications now (before the announced end): the reason is kept in the audit log, and the list
    can then be sealed. Only a window that has begun and not yet ended can be closed."""
    _lock(p)
    if p.status != "open":
        raise conflict("job.not_open", "报名已经截止，名单已封存")
    reason = reason.strip()
    if len(reason) < 2:
        raise unprocessable("job.close_reason", "请写明提前截止报名的原因", fields={"reason": ["请写明原因"]})
    now = utcnow()
    if now <= p.apply_from:
        raise conflict("job.not_started", "报名还没开始，不能截止；如不再招聘，请与村务监督委员会商量后另行公告")
    if now >= p.apply_until:
        raise conflict("job.window_closed", "报名时间已经过了，不用再截止，可以直接封存名单")
    before = p.apply_until
    p.apply_until = now
    db.session.flush()
    audit.record("job.close", "job_posting", p.id, actor=actor, village_id=p.village_id,
                 before={"apply_until": before.isoformat()},
                 after={"apply_until": now.isoformat(), "reason": reason, "applications": count_applications(p)})
    return p


# ---------------------------------------------------------------- eligibility and applying


def age_on(born: date, on: date) -> int:
    """Completed years on ``on`` (a birthday today counts)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str | None
    priority: bool
    priority_reason: str | None
    household_id: int | None  # the applicant's household on the village's roster (None: not on it)


def eligibility(p: JobPosting, person_id: int, on: date | None = None, *, subject: str = "您") -> Eligibility:
    """Whether ``person_id`` may apply to ``p`` on ``on``, and why not; and whether they are in a priority group.
    ``subject``: who the reasons speak of (``您`` to the applicant, ``本人`` in the staff's lists)."""
    on = on or today()
    entry = registry.roster_entry(person_id)
    if entry is None or entry.village_id != p.village_id or entry.status != "active":
        return Eligibility(False, f"公益岗位面向本村户籍村民，{subject}不在本村花名册上", False, None, None)
    hid = entry.household_id
    age = age_on(entry.birth_date, on)
    if age < p.min_age or age > p.max_age:
        return Eligibility(False, f"该岗位要求年龄 {p.min_age} 到 {p.max_age} 岁，{subject}现在 {age} 岁", False, None,
                           hid)
    groups = []
    if p.priority_tuopin and entry.is_tuopin:
        groups.append("脱贫户")
    if p.priority_jiance and entry.is_jiance:
        groups.append("监测户")
    if p.priority_only and not groups:
        return Eligibility(False, "该岗位只面向脱贫户、监测户等优先群体", False, None, hid)
    if p.exclude_cadre_families and _cadre_household(p.village_id, hid, on):
        return Eligibility(False, "村干部及其家庭成员不能申请公益岗位", False, None, hid)
    if _holds_post(person_id, on):
        return Eligibility(False, f"{subject}已在公益岗位任职，不能同时担任两个岗位", False, None, hid)
    return Eligibility(True, None, bool(groups), "、".join(groups) or None, hid)


def _cadre_household(village_id: int, household_id: int, on: date) -> bool:
    # today: the roles held right now (one granted this evening counts, one ended this morning no longer does);
    # another day: those held at the end of that day in the village
    at = utcnow() if on == today() else datetime.combine(on, time.max, tzinfo=SHANGHAI)
    holders = registry.people_with_roles(village_id, CADRE_ROLES, at)
    return any(hid == household_id for _, hid in holders)


def _holds_post(person_id: int, on: date) -> bool:
    """A hire still running on ``on`` or signed to start later, unless ended before ``on`` (its last day counts)."""
    return db.session.execute(select(JobHire.id).where(
        JobHire.person_id == person_id, JobHire.end_on >= on,
        or_(JobHire.ended_on.is_(None), JobHire.ended_on >= on))).first() is not None


def refuse_taken(p: JobPosting, person_id: int, household_id: int) -> None:
    """409 if the person (``job.already_applied``) or, one per household, their household has applied. One query
    for both, so that the person's own application, committed between two checks, is never called the household's."""
    cond = JobApplication.person_id == person_id
    if p.one_per_household:
        cond = or_(cond, JobApplication.household_key == household_id)
    taken = set(db.session.execute(select(JobApplication.person_id).where(JobApplication.posting_id == p.id, cond))
                .scalars())
    if person_id in taken:
        raise conflict("job.already_applied", "您已经报名过这个岗位")
    if taken:
        raise conflict("job.household_applied", "该岗位每户限一人，您家已有人报名")


def apply(p: JobPosting, person_id: int, *, note: str | None, actor: Principal,
          assisted: bool = False) -> JobApplication:
    """Apply (or, for staff, apply on behalf of a villager without a phone: ``assisted``)."""
    # a share lock on the posting: sealing (FOR UPDATE) waits for applications in flight, and sees them
    db.session.execute(select(JobPosting.id).where(JobPosting.id == p.id).with_for_update(read=True))
    db.session.refresh(p)
    if not is_open(p):
        raise conflict("job.closed", "该岗位不在报名时间内" if p.status == "open" else "该岗位已停止报名")
    e = eligibility(p, person_id)
    if not e.ok:
        raise AppError(403, "job.not_eligible", e.reason or "不符合报名条件", {"reason": e.reason})
    assert e.household_id is not None
    refuse_taken(p, person_id, e.household_id)
    a = JobApplication(posting_id=p.id, village_id=p.village_id, person_id=person_id, household_id=e.household_id,
                       household_key=e.household_id if p.one_per_household else None, priority=e.priority,
                       priority_reason=e.priority_reason, note=(note or "").strip() or None,
                       assisted_by_id=actor.person_id if assisted else None, receipt=secrets.token_hex(8))
    try:
        with db.session.begin_nested():
            db.session.add(a)
            db.session.flush()
    except IntegrityError:
        refuse_taken(p, person_id, e.household_id)
        raise conflict("job.household_applied", "该岗位每户限一人，您家已有人报名") from None
    audit.record("job.apply", "job_application", a.id, actor=actor, village_id=p.village_id,
                 after={"posting_id": p.id, "person_id": person_id, "assisted": assisted, "priority": e.priority})
    return a


# ---------------------------------------------------------------- the draw


ON_THE_LIST = ("applied", "selected", "waitlisted", "hired")  # an application's statuses that keep it on the list


def _applicants(p: JobPosting) -> list[JobApplication]:
    return list(db.session.execute(select(JobApplication).where(
        JobApplication.posting_id == p.id, JobApplication.status.in_(ON_THE_LIST))
        .order_by(JobApplication.receipt)).scalars())


def _all_of(p: JobPosting) -> Any:
    return select(JobApplication).where(JobApplication.posting_id == p.id).order_by(JobApplication.id)


def applications_all(p: JobPosting) -> list[JobApplication]:
    """Every application of ``p``, withdrawn ones too (the staff's list)."""
    return list(db.session.execute(_all_of(p)).scalars())


def applications_named(p: JobPosting) -> list[tuple[JobApplication, str]]:
    """Every application of ``p`` (as :func:`applications_all`) with its applicant's name, in one statement."""
    name = registry.person_name_select(JobApplication.person_id).scalar_subquery()
    return [(a, n) for a, n in db.session.execute(_all_of(p).add_columns(name))]


def sealed_list(p: JobPosting, apps: Sequence[JobApplication]) -> dict[str, Any]:
    """What is sealed before the seed is known: the posting's places and each applicant's receipt and group."""
    names = registry.person_names([a.person_id for a in apps])
    return {"posting_id": p.id, "title": p.title, "positions": p.positions,
            "applicants": [{"receipt": a.receipt, "priority": a.priority, "name": mask_name(names.get(a.person_id, ""))}
                           for a in apps]}


def seal_applicants(p: JobPosting, *, actor: Principal | None) -> JobDraw:
    _lock(p)
    if p.status != "open":
        raise conflict("job.not_open", "报名名单已封存")
    if utcnow() <= p.apply_until:
        raise conflict("job.window_open", "报名尚未截止，截止后才能封存名单")
    apps = _applicants(p)
    if not apps:
        raise conflict("job.no_applicants", "没有人报名，无法封存名单")
    payload = sealed_list(p, apps)
    s = seal(p.village_id, "job_applicants", p.id, payload)
    d = JobDraw(posting_id=p.id, village_id=p.village_id, list_seal_id=s.id, list_hash=s.hash, sealed_at=utcnow())
    db.session.add(d)
    p.status = "sealed"
    db.session.flush()
    audit.record("job.seal", "job_posting", p.id, actor=actor, village_id=p.village_id,
                 after={"applicants": len(apps), "seal": s.hash})
    return d


def draw_order(applicants: Sequence[dict[str, Any]], seed: str) -> list[str]:
    """Receipts in drawn order: the priority group first, then the rest; within each, by
    ``sha256(seed + ":" + receipt)`` (hex, ascending). Pure: anyone can re-run it from the sealed list and the seed."""
    def key(a: dict[str, Any]) -> tuple[int, str]:
        return (0 if a["priority"] else 1, hashlib.sha256(f"{seed}:{a['receipt']}".encode()).hexdigest())

    return [a["receipt"] for a in sorted(applicants, key=key)]


def get_draw(p: JobPosting) -> JobDraw | None:
    return db.session.execute(select(JobDraw).where(JobDraw.posting_id == p.id)).scalar_one_or_none()


def announce_seed(p: JobPosting, seed_text: str, source: str | None, *, actor: Principal | None) -> JobDraw:
    """Draw from the sealed list and a seed announced now; the top ``positions`` are selected and publicly posted."""
    _lock(p)
    d = get_draw(p)
    if p.status != "sealed" or d is None:
        raise conflict("job.not_sealed", "须先在报名截止后封存报名名单，再公布抽签种子")
    seed_text = seed_text.strip()
    if not seed_text:
        raise unprocessable("job.seed_invalid", "请填写公开产生的抽签种子（如村民大会现场摇出的号码）")
    sealed = db.session.get(Seal, d.list_seal_id)
    assert sealed is not None
    listed = json.loads(sealed.canonical)["applicants"]
    order = draw_order(listed, seed_text)
    d.seed, d.seed_source, d.seed_at, d.result = seed_text, source, utcnow(), json.dumps(order)
    by_receipt = {a.receipt: a for a in _applicants(p)}
    for rank, receipt in enumerate(order, start=1):
        a = by_receipt[receipt]
        a.rank = rank
        a.status = "selected" if rank <= p.positions else "waitlisted"
    village = registry.get_village(p.village_id)
    p.publicity_until = today() + timedelta(days=registry.settings.get(village, PUBLICITY_DAYS.key) - 1)
    names = registry.person_names([a.person_id for a in by_receipt.values()])
    s = seal(p.village_id, "job_selection", p.id, {
        "posting_id": p.id, "list_hash": d.list_hash, "seed": seed_text, "order": order,
        "selected": [{"receipt": r, "name": mask_name(names[by_receipt[r].person_id])} for r in order[:p.positions]],
        "publicity_until": p.publicity_until.isoformat()})
    p.publicity_seal_id = s.id
    p.status = "publicity"
    db.session.flush()
    audit.record("job.draw", "job_posting", p.id, actor=actor, village_id=p.village_id,
                 after={"seed": seed_text, "selected": min(p.positions, len(order))})
    pushes.queue_drawn(p, list(by_receipt.values()))  # each applicant is told, in this transaction
    return d


def recheck_draw(p: JobPosting) -> dict[str, Any]:
    """Re-run the draw from the sealed list and the seed: does the list's text still give its sealed hash, and
    does ``draw_order`` give the recorded order (and the applications' places)? Anyone in the village may ask."""
    d = get_draw(p)
    if d is None or d.seed is None or d.result is None:
        raise conflict("job.not_drawn", "还没有抽签，抽签后才能复核")
    sealed = db.session.get(Seal, d.list_seal_id)
    assert sealed is not None
    problems = []
    hash_ok = verify_seal(sealed) and sealed.hash == d.list_hash
    if not hash_ok:
        problems.append("封存名单的内容与封存哈希对不上")
    listed = json.loads(sealed.canonical)["applicants"]
    recomputed = draw_order(listed, d.seed)
    recorded = json.loads(d.result)
    if recomputed != recorded:
        problems.append("重新计算的顺序与公布的抽签顺序不同")
    ranks = {a.receipt: a.rank for a in _applicants(p)}
    if any(ranks.get(r) not in (None, i) for i, r in enumerate(recorded, start=1)):
        problems.append("报名名单中的排名与抽签结果不同")
    by_receipt = {a["receipt"]: a for a in listed}
    steps = [{"place": i, "receipt": r, "name": by_receipt[r]["name"], "priority": bool(by_receipt[r]["priority"]),
              "hash": hashlib.sha256(f"{d.seed}:{r}".encode()).hexdigest(), "selected": i <= p.positions}
             for i, r in enumerate(recomputed, start=1)]
    return {"list_hash": d.list_hash, "list_hash_ok": hash_ok, "seed": d.seed, "seed_source": d.seed_source,
            "sealed_at": d.sealed_at, "seed_at": d.seed_at, "positions": p.positions, "recorded": recorded,
            "recomputed": recomputed, "steps": steps, "matches": not problems, "problems": problems}


def posting_titles(ids: Sequence[int] | set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(JobPosting.id, JobPosting.title).where(JobPosting.id.in_(list(ids)))).all())


# ---------------------------------------------------------------- 公示, objections, hiring


OBJECTION_DAYS = registry.settings.declare(*objections.ANSWER_DAYS)


def in_publicity(p: JobPosting) -> bool:
    """The selected list is posted today (公示, up to and including ``publicity_until``): one may object."""
    return p.status == "publicity" and p.publicity_until is not None and today() <= p.publicity_until


def raise_objection(p: JobPosting, text: str, *, actor: Principal) -> JobObjection:
    """An objection to the selected list while it is posted (公示, up to and including ``publicity_until``); the
    answer is due ``objections.answer_days`` days after today."""
    if not in_publicity(p):
        until = f"（公示期到 {p.publicity_until.isoformat()}）" if p.publicity_until else ""
        raise conflict("job.not_in_publicity", f"现在不在拟聘名单公示期内{until}，不能提出异议")
    text = objections.text_of(text)
    days = registry.settings.get(registry.get_village(p.village_id), OBJECTION_DAYS.key)
    o = JobObjection(posting_id=p.id, village_id=p.village_id, raised_by_id=actor.person_id,
                     raised_by_name=actor.name, text=text, due_on=objections.due_on(today(), days))
    db.session.add(o)
    db.session.flush()
    audit.record("job.objection", "job_objection", o.id, actor=actor, village_id=p.village_id)
    return o


def answer_objection(o: JobObjection, answer: str, *, actor: Principal | None) -> JobObjection:
    """The answer, once; the villager who raised it is sent a subscribe message (``answer_job``)."""
    o = objections.answer(o, answer, actor=actor, action="job.objection_answer", object_type="job_objection",
                          code="job.objection_answered")
    if o.raised_by_id is not None:
        p = db.session.get(JobPosting, o.posting_id)
        assert p is not None
        pushes.queue_answer(p, o)
    return o


def overdue_objections(village_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Unanswered objections past their due date in these villages, for the township's 待办/预警."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(JobObjection, JobPosting.title).join(JobPosting, JobPosting.id == JobObjection.posting_id)
        .where(JobObjection.village_id.in_(list(village_ids)), JobObjection.answered_at.is_(None),
               JobObjection.due_on < today()).order_by(JobObjection.id)).all()
    return [{"id": o.id, "village_id": o.village_id, "record_id": o.posting_id, "title": title, "due_on": o.due_on}
            for o, title in rows]


def objections_of(p: JobPosting) -> list[JobObjection]:
    return list(db.session.execute(select(JobObjection).where(JobObjection.posting_id == p.id)
                                   .order_by(JobObjection.id)).scalars())


def _add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def term_end(start_on: date, months: int) -> date:
    """The last day of a term of ``months`` from ``start_on``: the day before the same day ``months`` later, or the
    last day of that month when it has no such day (31 March + 1 month → 30 April)."""
    end = _add_months(start_on, months)
    return end if end.day < start_on.day else end - timedelta(days=1)


def confirm_hires(p: JobPosting, start_on: date, *, actor: Principal | None) -> list[JobHire]:
    """After the 公示 with every objection answered: a hire (劳务协议) for each selected applicant — except one
    hired meanwhile by another posting (no two posts at once), whose application is withdrawn (audited); the
    waiting list is not promoted without a 公示 of its own."""
    _lock(p)
    if p.status != "publicity" or p.publicity_until is None:
        raise conflict("job.not_in_publicity", "拟聘名单公示后才能确认聘用")
    if today() <= p.publicity_until:
        raise conflict("job.publicity_open", f"公示期到 {p.publicity_until.isoformat()} 结束，期满后才能确认聘用")
    waiting = sum(1 for o in objections_of(p) if o.answer is None)
    if waiting:
        raise conflict("job.objections_open", f"还有 {waiting} 条异议没有答复")
    if start_on < today():
        raise unprocessable("job.start_invalid", "聘用开始日期不能早于今天")
    # the posting's term, and never beyond the local maximum in force when the agreement is signed
    months = min(p.term_months, registry.settings.get(registry.get_village(p.village_id), MAX_TERM.key))
    end_on = term_end(start_on, months)
    hires, withdrawn = [], []
    for a in _applicants(p):
        if a.status != "selected":
            continue
        if _holds_post(a.person_id, start_on):  # hired meanwhile by another posting: no two posts at once
            a.status = "withdrawn"
            withdrawn.append(a.receipt)
            continue
        h = JobHire(application_id=a.id, posting_id=p.id, village_id=p.village_id, person_id=a.person_id,
                    start_on=start_on, end_on=end_on, monthly_wage_fen=p.monthly_wage_fen,
                    agreement_no=f"GY-{p.id}-{a.rank:02d}")
        db.session.add(h)
        a.status = "hired"
        hires.append(h)
    p.status = "confirmed"
    db.session.flush()
    audit.record("job.hire", "job_posting", p.id, actor=actor, village_id=p.village_id,
                 after={"hires": len(hires), "start_on": start_on.isoformat(), "end_on": end_on.isoformat(),
                        "withdrawn_holding_another_post": withdrawn})
    pushes.queue_hired(p, [a for a in applications_all(p) if a.status == "hired" or a.receipt in withdrawn], start_on)
    return hires


def hires_of(p: JobPosting) -> list[JobHire]:
    return list(db.session.execute(select(JobHire).where(JobHire.posting_id == p.id).order_by(JobHire.id)).scalars())


def end_hire(h: JobHire, on: date, reason: str, *, actor: Principal | None) -> JobHire:
    if h.ended_on is not None:
        raise conflict("job.hire_ended", "该聘用已经终止")
    if not h.start_on <= on <= h.end_on:
        raise unprocessable("job.end_invalid", "终止日期应在聘用期内")
    h.ended_on, h.end_reason = on, reason.strip()
    db.session.flush()
    audit.record("job.hire_end", "job_hire", h.id, actor=actor, village_id=h.village_id,
                 after={"on": on.isoformat(), "reason": h.end_reason})
    return h


# ---------------------------------------------------------------- attendance and pay


_MONTH = re.compile(r"[1-9]\d{3}-(0[1-9]|1[0-2])", re.ASCII)


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; nothing else (``+2026-3`` would be March again under another name, and
    one record per hire and month rests on the month's one spelling)."""
    if not _MONTH.fullmatch(month):
        raise unprocessable("job.month_invalid", "月份格式应为 YYYY-MM")
    first = date(int(month[:4]), int(month[5:]), 1)
    return first, _add_months(first, 1) - timedelta(days=1)


def days_in_term(h: JobHire, month: str) -> int:
    """How many days of ``month`` fall within the hire's term (from its start to its end or early end)."""
    first, last = month_bounds(month)
    start, end = max(first, h.start_on), min(last, h.ended_on or h.end_on)
    return max(0, (end - start).days + 1)


def hires_in_month(village: Village, month: str) -> list[JobHire]:
    """The village's hires whose term overlaps ``month``, by posting and start."""
    first, last = month_bounds(month)
    return list(db.session.execute(select(JobHire).where(
        JobHire.village_id == village.id, JobHire.start_on <= last,
        func.coalesce(JobHire.ended_on, JobHire.end_on) >= first).order_by(JobHire.posting_id, JobHire.id)).scalars())


def pay_records(hire_ids: Sequence[int], month: str) -> dict[int, JobPay]:
    if not hire_ids:
        return {}
    return {r.hire_id: r for r in db.session.execute(select(JobPay).where(
        JobPay.hire_id.in_(list(hire_ids)), JobPay.month == month)).scalars()}


def record_pay(h: JobHire, month: str, days_worked: int, amount_fen: int | None, *, score: int | None,
               note: str | None, actor: Principal | None) -> JobPay:
    first, last = month_bounds(month)
    if last < h.start_on or first > (h.ended_on or h.end_on):
        raise unprocessable("job.month_outside", f"{month} 不在聘用期内")
    if first > today():
        raise unprocessable("job.month_future", "不能登记尚未开始的月份")
    most = days_in_term(h, month)
    if days_worked > most:
        raise unprocessable("job.days_invalid", f"{month} 在聘期内只有 {most} 天，出勤天数不能超过 {most} 天",
                            fields={"days_worked": [f"不能超过 {most} 天"]})
    amount = h.monthly_wage_fen if amount_fen is None else amount_fen
    if amount < 0 or amount > h.monthly_wage_fen:
        raise unprocessable("job.amount_invalid", f"月工资应在 0 到 {fen_to_yuan(h.monthly_wage_fen)} 元之间")
    row = JobPay(hire_id=h.id, village_id=h.village_id, month=month, days_worked=days_worked, score=score,
                 amount_fen=amount, note=note, recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise conflict("job.pay_exists", f"{month} 的考勤和工资已经登记") from None
    audit.record("job.pay_record", "job_pay", row.id, actor=actor, village_id=h.village_id,
                 after={"month": month, "days": days_worked, "amount_fen": amount})
    return row


def pay_month(village: Village, month: str, paid_on: date, method: str, *, actor: Principal | None) -> tuple[int, int]:
    """Mark every unpaid record of ``month`` in the village paid and post one voucher (Dr 514 公益支出); returns
    (records, total fen). Running it again pays nothing twice."""
    month_bounds(month)
    if method not in PAY_ACCOUNTS:
        raise unprocessable("job.method_invalid", "发放方式应为银行或现金")
    if paid_on > today():
        raise unprocessable("job.paid_on_invalid", "发放日期不能晚于今天")
    rows = db.session.execute(select(JobPay).where(JobPay.village_id == village.id, JobPay.month == month,
                                                   JobPay.paid_on.is_(None)).with_for_update()).scalars().all()
    if not rows:
        raise conflict("job.nothing_to_pay", f"{month} 没有未发放的公益岗位工资")
    total = sum(r.amount_fen for r in rows)
    res = db.session.execute(update(JobPay).where(JobPay.id.in_([r.id for r in rows]), JobPay.paid_on.is_(None))
                             .values(paid_on=paid_on, method=method).execution_options(synchronize_session=False))
    if res.rowcount != len(rows):  # type: ignore[attr-defined]
        raise conflict("job.pay_conflict", "工资刚刚已被登记发放，请刷新后核对")
    voucher_id = None
    if total:
        v = ledger.create_voucher(village, ledger.VoucherInput(
            paid_on, f"发放{month}公益岗位工资 {len(rows)} 人",
            [ledger.LineInput(EXPENSE_ACCOUNT, debit_fen=total, summary="公益岗位工资"),
             ledger.LineInput(PAY_ACCOUNTS[method], credit_fen=total, summary="公益岗位工资")]), actor=actor,
            source="jobs")
        ledger.post_voucher(v, actor=actor)
        voucher_id = v.id
        db.session.execute(update(JobPay).where(JobPay.id.in_([r.id for r in rows])).values(voucher_id=voucher_id)
                           .execution_options(synchronize_session=False))
    for r in rows:
        db.session.expire(r)
    audit.record("job.pay", "village", village.id, actor=actor, village_id=village.id,
                 after={"month": month, "records": len(rows), "total_fen": total, "voucher_id": voucher_id})
    return len(rows), total


def pay_of_person(person_id: int) -> list[Any]:
    """The person's monthly pay, the latest month first: rows of (month, days_worked, amount_fen, paid_on,
    posting_id, title) — the columns the villager's pages show, not the whole records."""
    return list(db.session.execute(
        select(JobPay.month, JobPay.days_worked, JobPay.amount_fen, JobPay.paid_on,
               JobPosting.id.label("posting_id"), JobPosting.title)
        .join(JobHire, JobHire.id == JobPay.hire_id).join(JobPosting, JobPosting.id == JobHire.posting_id)
        .where(JobHire.person_id == person_id).order_by(JobPay.month.desc())).all())


def pay_sheet_rows(village: Village, month: str) -> list[tuple[JobPay, JobPosting, str]]:
    """A month's pay records of the village with their postings and the people's names, by posting and name."""
    month_bounds(month)
    name = registry.person_name_select(JobHire.person_id).scalar_subquery()
    return [(pay, post, person_name) for pay, post, person_name in db.session.execute(
        select(JobPay, JobPosting, name)
        .join(JobHire, JobHire.id == JobPay.hire_id).join(JobPosting, JobPosting.id == JobHire.posting_id)
        .where(JobPay.village_id == village.id, JobPay.month == month).order_by(JobPosting.id, name))]


def applications_of(person_id: int) -> list[tuple[JobApplication, JobPosting]]:
    return list(db.session.execute(
        select(JobApplication, JobPosting).join(JobPosting, JobPosting.id == JobApplication.posting_id)
        .where(JobApplication.person_id == person_id)
        .order_by(JobApplication.updated_at.desc(), JobApplication.id.desc())).all())


def count_applications(p: JobPosting) -> int:
    """How many applied (none read while the data is unchanged: the same for every reader)."""
    return _applications_counted(p.id)


@shared_read
def _applications_counted(posting_id: int) -> int:
    return int(db.session.execute(select(func.count()).select_from(JobApplication)
                                  .where(JobApplication.posting_id == posting_id)).scalar_one())
