"""What the job endpoints show: a posting as a list item and in full (with the applicants, the draw and the 公示's
objections as the caller may see them), hires, a villager's own applications and pay, and the two exports (the
selected list, a month's pay sheet). Names come from the registry; staff see them in full, everyone else masked.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from backend import registry
from backend.core import objections
from backend.core.clock import to_iso, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.identity import mask_name
from backend.core.money import fen_to_yuan
from backend.core.pagination import Page, paginate
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.core.xlsx import money, print_setup, text_only
from backend.jobs import service
from backend.jobs.models import JobApplication, JobHire, JobPay, JobPosting
from backend.registry import Village

DRAW_ALGORITHM = "按封存名单：优先群体在前，其余在后；各组内按 sha256(种子 + \":\" + 回执号) 的十六进制升序"


def is_staff(who: Principal | None, village_id: int) -> bool:
    return who is not None and who.can("jobs.read", village_id=village_id)


ITEM_COLUMNS = (JobPosting.id, JobPosting.title, JobPosting.category, JobPosting.positions,
                JobPosting.monthly_wage_fen, JobPosting.apply_until, JobPosting.apply_from, JobPosting.status)


def posting_items(stmt: Any, page: int, page_size: int) -> dict[str, Any]:
    """One page of the postings ``stmt`` selects, as list items: only ``ITEM_COLUMNS`` are read."""
    got = paginate(db.session, stmt.with_only_columns(*ITEM_COLUMNS), page, page_size, scalars=False)
    return got.envelope([posting_item(p) for p in got.items])


class PostingRow(NamedTuple):
    """A posting as a list shows it (``ITEM_COLUMNS``)."""

    id: int
    title: str
    category: str
    positions: int
    monthly_wage_fen: int
    apply_until: datetime
    apply_from: datetime
    status: str


def open_posting_items(village_id: int, page: int, page_size: int) -> dict[str, Any]:
    """One page of the village's postings taking applications now (``service.open_postings_stmt``'s rule: open, and
    now within the window), in the order of their end: the village's open postings are kept for every reader
    (:func:`_open_rows`), and the window is applied to them at each request."""
    now = utcnow()
    rows = [r for r in _open_rows(village_id) if r.apply_from <= now <= r.apply_until]
    start = (page - 1) * page_size
    return Page(rows[start : start + page_size], len(rows), page, page_size).envelope(
        [posting_item(p) for p in rows[start : start + page_size]])


@shared_read
def _open_rows(village_id: int) -> tuple[PostingRow, ...]:
    """The village's open postings that have not ended when read (those not begun yet among them): time only takes
    a posting off this list or lets it in by its window, which each request applies; anything else is a write."""
    rows = db.session.execute(
        select(*ITEM_COLUMNS).where(JobPosting.village_id == village_id, JobPosting.status == "open",
                                    JobPosting.apply_until >= utcnow())
        .order_by(JobPosting.apply_until, JobPosting.id))
    return tuple(PostingRow(*r) for r in rows)


def posting_item(p: Any) -> dict[str, Any]:
    """A posting (a record, or a row of ``ITEM_COLUMNS``) in a list."""
    return {"id": p.id, "title": p.title, "category": p.category, "positions": p.positions,
            "monthly_wage": fen_to_yuan(p.monthly_wage_fen), "apply_until": to_iso(p.apply_until),
            "apply_from": to_iso(p.apply_from), "status": p.status, "status_label": service.STATUS_LABELS[p.status]}


def posting_detail(p: JobPosting, who: Principal | None) -> dict[str, Any]:
    """The posting in full for ``who``: whether they may apply (while it is open); the applicants once it is
    closed (names masked but for staff, who see them all along); the sealed list and the draw; the 公示."""
    staff = is_staff(who, p.village_id)
    d = service.get_draw(p) if p.status != "open" else None  # the list is sealed, and the draw made, on leaving open
    shown = staff or p.status != "open"
    apps = service.applications_named(p) if shown else None  # one read for the count and the applicants
    elig = None
    if who is not None and p.status == "open":
        e = service.eligibility(p, who.person_id)
        elig = {"ok": e.ok, "reason": e.reason, "priority": e.priority}
    groups = [g for g, on in (("脱贫户", p.priority_tuopin), ("监测户", p.priority_jiance)) if on]
    return {
        **posting_item(p), "term_months": p.term_months, "duties": p.duties, "place": p.place,
        "funding": p.funding, "min_age": p.min_age, "max_age": p.max_age, "priority_groups": groups,
        "priority_only": p.priority_only, "one_per_household": p.one_per_household,
        "exclude_cadre_families": p.exclude_cadre_families,
        "applications": len(apps) if apps is not None else service.count_applications(p),
        "applicants": [] if apps is None else applicant_rows(p, staff=staff, named=apps),
        "draw": None if d is None else {
            "list_hash": d.list_hash, "sealed_at": to_iso(d.sealed_at), "seed": d.seed, "seed_source": d.seed_source,
            "seed_at": to_iso(d.seed_at), "order": [] if d.result is None else json.loads(d.result),
            "algorithm": DRAW_ALGORITHM},
        "publicity_until": p.publicity_until,
        "in_publicity": service.in_publicity(p),
        "eligibility": elig,
        # a villager sees the counts and their own objections; staff see all, with names (none before the 公示)
        **objections.public(service.objections_of(p) if p.status not in ("open", "sealed") else [], staff=staff,
                            person_id=who.person_id if who else None),
    }


def applicant_rows(p: JobPosting, *, staff: bool,
                   named: list[tuple[JobApplication, str]] | None = None) -> list[dict[str, Any]]:
    """The applicants on the list, by rank then receipt; ``named``: every application with its applicant's name
    (``service.applications_named``), when the caller has read them already."""
    named = service.applications_named(p) if named is None else named
    names = {a.person_id: name for a, name in named}
    apps = [a for a, _ in named if a.status in service.ON_THE_LIST]
    born = registry.birth_dates([a.person_id for a in apps]) if staff else {}
    numbers = ({hid: h.number for hid, h in registry.households_brief(p.village_id,
                                                                      {a.household_id for a in apps}).items()}
               if staff else {})
    out = []
    for a in sorted(apps, key=lambda x: (x.rank or 10**6, x.receipt)):
        name = names[a.person_id]
        out.append({"receipt": a.receipt, "name": name if staff else mask_name(name), "priority": a.priority,
                    "priority_reason": a.priority_reason, "status": a.status, "rank": a.rank,
                    "household_number": numbers.get(a.household_id) if staff else None,
                    "age": service.age_on(born[a.person_id], today()) if staff else None,
                    "assisted": a.assisted_by_id is not None})
    return out


def application_view(a: JobApplication) -> dict[str, Any]:
    return {"id": a.id, "posting_id": a.posting_id, "receipt": a.receipt, "status": a.status,
            "priority": a.priority, "priority_reason": a.priority_reason, "assisted": a.assisted_by_id is not None}


def hire_views(hires: list[JobHire]) -> list[dict[str, Any]]:
    names = registry.person_names([h.person_id for h in hires])
    return [{"id": h.id, "person_id": h.person_id, "name": names.get(h.person_id, ""), "start_on": h.start_on,
             "end_on": h.end_on, "monthly_wage": fen_to_yuan(h.monthly_wage_fen), "agreement_no": h.agreement_no,
             "ended_on": h.ended_on, "end_reason": h.end_reason} for h in hires]


def pay_view(row: JobPay) -> dict[str, Any]:
    return {"id": row.id, "month": row.month, "days_worked": row.days_worked, "score": row.score,
            "amount": fen_to_yuan(row.amount_fen), "paid_on": row.paid_on}


def my_application_views(person_id: int) -> list[dict[str, Any]]:
    """A villager's applications, the latest change first."""
    return [{"id": a.id, "posting": {"id": p.id, "title": p.title}, "receipt": a.receipt, "status": a.status,
             "status_label": service.APPLICATION_LABELS[a.status], "updated_at": to_iso(a.updated_at)}
            for a, p in service.applications_of(person_id)]


def my_pay_views(person_id: int) -> list[dict[str, Any]]:
    """A villager's monthly pay, the latest month first."""
    return [{"posting": {"id": pay.posting_id, "title": pay.title}, "month": pay.month,
             "days_worked": pay.days_worked, "amount": fen_to_yuan(pay.amount_fen), "paid_on": pay.paid_on}
            for pay in service.pay_of_person(person_id)]


def selected_xlsx(p: JobPosting) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "拟聘用名单"
    ws.append([f"{p.title}（{p.category}）拟聘用人员名单"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["序号", "姓名", "户号", "年龄", "优先群体", "抽签序号", "状态"])
    rows = [r for r in applicant_rows(p, staff=True) if r["status"] in ("selected", "hired")]
    for i, r in enumerate(rows, start=1):
        ws.append([i, r["name"], r["household_number"], r["age"], r["priority_reason"] or "", r["rank"],
                   service.APPLICATION_LABELS[r["status"]]])
    d = service.get_draw(p)
    if d is not None:
        ws.append([])
        ws.append(["报名名单封存哈希", d.list_hash])
        ws.append(["抽签种子", d.seed or ""])
    print_setup(ws, title_rows="2:2", widths=(6, 10, 12, 6, 12, 9, 16))
    buf = io.BytesIO()
    text_only(wb).save(buf)
    return buf.getvalue()


def pay_sheet_xlsx(village: Village, month: str) -> bytes:
    """A month's attendance and pay: 应发 as numbers of yuan (``#,##0.00``, a sum in Excel adds them), the heading
    repeated on every printed page, a column for each person's signature."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = service.pay_sheet_rows(village, month)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month}工资表"
    ws.append([f"{village.name}公益岗位{month}考勤及工资表"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["序号", "姓名", "岗位", "出勤天数", "考核分", "应发（元）", "发放日期", "签字"])
    total = 0
    for i, (pay, post, person_name) in enumerate(rows, start=1):
        ws.append([i, person_name, post.title, pay.days_worked, pay.score, None, pay.paid_on, ""])
        money(ws.cell(row=ws.max_row, column=6), pay.amount_fen)
        if pay.paid_on:
            ws.cell(row=ws.max_row, column=7).number_format = "yyyy-mm-dd"
        total += pay.amount_fen
    ws.append(["合计", "", "", "", "", None, "", ""])
    money(ws.cell(row=ws.max_row, column=6), total).font = Font(bold=True)
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    print_setup(ws, title_rows="2:2", widths=(6, 10, 16, 9, 8, 13, 12, 14),
                footer_left=f"{village.name} {month} 公益岗位工资表")
    buf = io.BytesIO()
    text_only(wb).save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- the staff's console


def _why(p: JobPosting, a: JobApplication, age: int | None) -> str:
    """Why an application stood: the rules it met when it was made, in the order the secretary checks them."""
    parts = ["本村在册村民"]
    if age is not None:
        parts.append(f"{age} 岁（要求 {p.min_age}–{p.max_age} 岁）")
    if p.exclude_cadre_families:
        parts.append("不是村干部家庭")
    if p.one_per_household:
        parts.append("本户只有本人报名")
    if a.priority_reason:
        parts.append(f"{a.priority_reason}，优先")
    elif p.priority_only:
        parts.append("属于优先群体")
    return "；".join(parts)


def applicant_checks(p: JobPosting) -> list[dict[str, Any]]:
    """Every application of ``p`` for the staff: name in full, ID masked to its last 4, household, age, priority,
    why it met the rules, and — while the list is still open — whether it still meets them today (someone may
    have turned too old or joined a cadre's household since)."""
    named = service.applications_named(p)
    apps, names = [a for a, _ in named], {a.person_id: name for a, name in named}
    born = registry.birth_dates([a.person_id for a in apps])
    households = registry.households_brief(p.village_id, {a.household_id for a in apps})
    members = registry.members_brief(p.village_id)
    last4_by_member = registry.members_id_last4(p.village_id)
    last4 = {m.person_id: last4_by_member.get(mid) for mid, m in members.items()}
    out = []
    for a in sorted(apps, key=lambda x: (x.rank or 10**6, x.created_at, x.id)):
        age = service.age_on(born[a.person_id], today()) if a.person_id in born else None
        still: dict[str, Any] | None = None
        if a.status == "applied" and p.status in ("open", "sealed"):
            e = service.eligibility(p, a.person_id, subject="本人")
            still = {"ok": e.ok, "reason": e.reason}
        h = households.get(a.household_id)
        out.append({"id": a.id, "receipt": a.receipt, "name": names.get(a.person_id, ""),
                    "id_last4": f"****{last4[a.person_id]}" if last4.get(a.person_id) else None,
                    "household_number": h.number if h else None, "age": age, "priority": a.priority,
                    "priority_reason": a.priority_reason, "status": a.status,
                    "status_label": service.APPLICATION_LABELS[a.status], "rank": a.rank,
                    "eligible": a.status not in ("ineligible", "withdrawn") and (still is None or still["ok"]),
                    "why": _why(p, a, age), "now": still, "assisted": a.assisted_by_id is not None,
                    "note": a.note, "applied_at": to_iso(a.created_at)})
    return out


def person_check(p: JobPosting, person_id: int) -> dict[str, Any]:
    """Whether a villager of ``p``'s village may apply, and why not (the secretary checks before applying for
    someone at the office). Someone not on the village's roster is named nowhere."""
    e = service.eligibility(p, person_id, subject="本人")
    name = registry.person_names([person_id]).get(person_id, "") if e.household_id is not None else ""
    taken = None
    if e.ok:
        try:
            service.refuse_taken(p, person_id, e.household_id or 0)
        except AppError as exc:
            taken = "本人已经报名了" if exc.code == "job.already_applied" else "该岗位每户限一人，本户已有人报名"
    return {"person_id": person_id, "name": name, "ok": e.ok and taken is None, "reason": e.reason or taken,
            "priority": e.priority, "priority_reason": e.priority_reason}


def draw_check(p: JobPosting) -> dict[str, Any]:
    """The draw re-run from what was published: the sealed applicant list (its hash checked against its text) and
    the announced seed, by the published algorithm; the order it gives beside the order recorded."""
    c = service.recheck_draw(p)
    return {**c, "sealed_at": to_iso(c["sealed_at"]), "seed_at": to_iso(c["seed_at"]), "algorithm": DRAW_ALGORITHM,
            "verdict": "一致：按封存名单和公布的种子重新计算，结果与公布的抽签顺序完全相同" if c["matches"] else
            "不一致：" + "；".join(c["problems"])}


def month_pay(village: Village, month: str) -> dict[str, Any]:
    """A month's attendance and pay for every hire of the village whose term overlaps it: recorded or not yet."""
    hires = service.hires_in_month(village, month)
    records = service.pay_records([h.id for h in hires], month)
    names = registry.person_names([h.person_id for h in hires])
    titles = service.posting_titles({h.posting_id for h in hires})
    items, total, unpaid = [], 0, 0
    for h in hires:
        r = records.get(h.id)
        if r is not None:
            total += r.amount_fen
            unpaid += r.amount_fen if r.paid_on is None else 0
        items.append({"hire_id": h.id, "name": names.get(h.person_id, ""), "posting_id": h.posting_id,
                      "posting": titles.get(h.posting_id, ""), "monthly_wage": fen_to_yuan(h.monthly_wage_fen),
                      "days_in_term": service.days_in_term(h, month), "recorded": r is not None,
                      "days_worked": r.days_worked if r else None, "score": r.score if r else None,
                      "amount": fen_to_yuan(r.amount_fen) if r else None, "note": r.note if r else None,
                      "paid_on": r.paid_on if r else None,
                      "method": (r.method and {"bank": "银行", "cash": "现金"}[r.method]) if r else None})
    return {"month": month, "items": items, "total": fen_to_yuan(total), "unpaid": fen_to_yuan(unpaid),
            "unrecorded": sum(1 for i in items if not i["recorded"])}
