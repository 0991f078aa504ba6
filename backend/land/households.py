"""What a household sees of its land (docs/api.md ``GET /me/land``): its parcels, the contracts its land is in with
this year's rent, the rent history, and the rent that reached it in a span of days.

A household's part of a due is the households' rent less the fee, split over the contract's households by area
(largest remainder); what reached it is the sum of its recorded payouts (``payouts``): rent the collective received
for it and has not yet passed on is 待转付 (``awaiting``), not paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, case, func, or_, select

from backend.core.clock import today
from backend.core.db import db
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.shared_pages import shared_read
from backend.land.contracts import (
    due_total,
    dues_of,
    household_areas,
    household_shares,
    rent_text,
    shared_line_areas,
    shared_periods,
)
from backend.land.models import (
    Contract,
    ContractParcel,
    GrainPrice,
    Parcel,
    Party,
    RentAllocation,
    RentDue,
    RentPayout,
)
from backend.land.parcels import mu_text
from backend.land.rent_note import explain as explain_rent


def household_contract_lines(household_id: int) -> list[Any]:
    """The household's lines in contracts, the newest contract first: rows of (Contract, party_name, party_kind,
    area_mu4, parcel_id, code, name) — the contract whole, of the rest only what the household's pages show."""
    return list(db.session.execute(
        select(Contract, Party.name.label("party_name"), Party.kind.label("party_kind"), ContractParcel.area_mu4,
               Parcel.id.label("parcel_id"), Parcel.code, Parcel.name)
        .join(ContractParcel, ContractParcel.contract_id == Contract.id)
        .join(Parcel, Parcel.id == ContractParcel.parcel_id)
        .join(Party, Party.id == Contract.party_id)
        .where(ContractParcel.household_id == household_id)
        .order_by(Contract.start_date.desc(), Contract.id, Parcel.code)
    ).all())


def household_due(c: Contract, d: RentDue, household_id: int, lines: Sequence[Any] | None = None,
                  parts: dict[int, int] | None = None) -> int | None:
    """The household's part of a due: the households' rent less the fee, split by area; ``parts``: the contract's
    parts already split, by amount (filled in here), so that dues of the same amount are split once."""
    if d.household_fen is None or d.fee_fen is None:
        return None
    net = d.household_fen - d.fee_fen
    if parts is None:
        return household_shares(c, net, lines).get(household_id, 0)
    if net not in parts:
        parts[net] = household_shares(c, net, lines).get(household_id, 0)
    return parts[net]


def _received_by(household_id: Any) -> Any:
    """Due → what reached the household (its recorded payouts, ``paid``), the last day one was paid (``last``) and
    what the collective received for it and has not yet passed on (``waiting``, 待转付): a subquery by due."""
    passed = RentPayout.paid_on.is_not(None)
    return (select(RentAllocation.due_id.label("due_id"),
                   func.coalesce(func.sum(case((passed, RentAllocation.amount_fen), else_=0)), 0).label("paid"),
                   func.max(RentPayout.paid_on).label("last"),
                   func.coalesce(func.sum(case((passed, 0), else_=RentAllocation.amount_fen)), 0).label("waiting"))
            .outerjoin(RentPayout, RentPayout.allocation_id == RentAllocation.id)
            .where(RentAllocation.household_id == household_id,
                   RentAllocation.amount_fen > 0)  # a 0.00 part reached no one and awaits nothing
            .group_by(RentAllocation.due_id).subquery())


@dataclass(frozen=True)
class DueRent:
    """A due of a contract with the household's land, and what of the household's part reached it."""

    due: RentDue
    paid: int  # its recorded payouts
    last: date | None  # the last day one was paid
    waiting: int  # received by the collective, not yet passed on (待转付)


def household_dues(household_id: int, contract_ids: Sequence[int], *where: Any) -> dict[int, list[DueRent]]:
    """Contract id → its dues (those meeting ``where``) in year order, each with what reached the household: one
    query for all the contracts."""
    out: dict[int, list[DueRent]] = {cid: [] for cid in contract_ids}
    if out:
        got = _received_by(household_id)
        for d, paid, last, waiting in db.session.execute(
            select(RentDue, got.c.paid, got.c.last, got.c.waiting).outerjoin(got, got.c.due_id == RentDue.id)
            .where(RentDue.contract_id.in_(list(out)), *where).order_by(RentDue.contract_id, RentDue.year_no)
        ).all():
            out[d.contract_id].append(DueRent(d, int(paid or 0), last, int(waiting or 0)))
    return out


def rent_passed_on(household_id: int, start: date, end: date) -> int:
    """Rent that reached the household from ``start`` to ``end`` (inclusive): its payouts by the day each was
    recorded as paid (a bank batch's date, a cash payout's date), in fen — rent received by the collective and not
    yet passed on is not the household's yet. One query, whatever the number of contracts."""
    total = db.session.execute(
        select(func.coalesce(func.sum(RentPayout.amount_fen), 0))
        .where(RentPayout.household_id == household_id, RentPayout.paid_on >= start, RentPayout.paid_on <= end)
    ).scalar_one()
    return int(total)


@dataclass(frozen=True)
class RentOwed:
    """One due of the household's that has not all reached it yet."""

    contract_number: str
    year_no: int
    due_date: date  # when the contract says the transferee pays it
    owed_fen: int | None  # not yet received by the collective (None: the year's rent is not known yet)
    awaiting_fen: int  # received by the collective, not yet passed on to the household (待转付)
    pending: str | None = None  # why the amount is not known (the due's note)


@dataclass(frozen=True)
class RentPosition:
    """The household's land rent as the home screen tells it: what reached it in ``year`` and what has not yet."""

    year: int
    received_fen: int
    owed: list[RentOwed]


@cache
def _rent_position_stmt() -> Any:
    """:func:`rent_position`'s statement, built once: the household and the year's first and last days are bound
    parameters (``household_id``, ``start``, ``end``)."""
    household_id, start, end = bindparam("household_id"), bindparam("start"), bindparam("end")
    contracts_of_h = select(ContractParcel.contract_id).where(ContractParcel.household_id == household_id)
    areas = (select(ContractParcel.contract_id.label("contract_id"), ContractParcel.household_id.label("household_id"),
                    func.sum(ContractParcel.area_mu4).label("area"))
             .where(ContractParcel.contract_id.in_(contracts_of_h), ContractParcel.household_id.is_not(None))
             .group_by(ContractParcel.contract_id, ContractParcel.household_id).subquery())
    alloc = _received_by(household_id)
    received = (select(func.coalesce(func.sum(RentPayout.amount_fen), 0))
                .where(RentPayout.household_id == household_id, RentPayout.paid_on >= start, RentPayout.paid_on <= end)
                .scalar_subquery())
    return (select(RentDue.id, Contract.number, RentDue.year_no, RentDue.due_date, RentDue.household_fen,
                   RentDue.fee_fen, RentDue.collective_fen, RentDue.paid_fen, RentDue.priced_note,
                   areas.c.household_id, areas.c.area, alloc.c.paid, alloc.c.waiting, received.label("received"))
            .join(Contract, Contract.id == RentDue.contract_id)
            .join(areas, areas.c.contract_id == RentDue.contract_id)
            .outerjoin(alloc, alloc.c.due_id == RentDue.id)
            .where(or_(RentDue.due_date <= end, alloc.c.due_id.is_not(None)))
            .order_by(RentDue.due_date, RentDue.id, areas.c.household_id))


def _share_of(due_rows: Sequence[Any], net_fen: int, household_id: int) -> int:
    """The household's part of ``net_fen`` split by area over the contract's households (``household_shares``'
    largest remainder), from the rows of one due (one per household, with its area)."""
    areas_of = {int(r.household_id): int(r.area) for r in due_rows}
    order = sorted(areas_of)
    parts = split_largest_remainder(net_fen, [areas_of[h] for h in order]) if net_fen else [0] * len(order)
    return dict(zip(order, parts, strict=True)).get(household_id, 0)


def rent_position(household_id: int, year: int) -> RentPosition:
    """What reached the household in ``year`` (as :func:`rent_passed_on`), and every due of its contracts up to that
    year (and any later one already paid towards) whose part has not all reached it: owed by the transferee —
    its part less what was passed on and what waits to be (none once the transferee paid the whole year: a fen of
    per-payment rounding is no debt, as ``/me/land``'s status) — and received but 待转付.

    One statement whatever the number of contracts and years: the dues with every household's area in the contract
    (the split is ``household_shares``' largest remainder) and the household's allocations. What reached it in the
    year rides along as a scalar subquery: a payout is of an allocation, and an allocation goes only to a household
    with land in the contract (contract lines are never removed), so a household without rows has received none.
    The split is made only for a due still owed by the transferee."""
    end = date(year, 12, 31)
    rows = db.session.execute(_rent_position_stmt(),
                              {"household_id": household_id, "start": date(year, 1, 1), "end": end}).all()
    by_due: dict[int, list[Any]] = {}
    for row in rows:
        by_due.setdefault(row.id, []).append(row)
    owed: list[RentOwed] = []
    for due_rows in by_due.values():
        d = due_rows[0]
        paid, waiting = int(d.paid or 0), int(d.waiting or 0)
        if d.household_fen is None or d.fee_fen is None or d.collective_fen is None:
            if d.due_date <= end:
                owed.append(RentOwed(d.number, d.year_no, d.due_date, None, waiting, d.priced_note))
            continue
        settled = d.paid_fen == d.household_fen + d.collective_fen
        outstanding = 0 if settled or d.due_date > end else max(
            _share_of(due_rows, d.household_fen - d.fee_fen, household_id) - paid - waiting, 0)
        if outstanding or waiting:
            owed.append(RentOwed(d.number, d.year_no, d.due_date, outstanding, waiting))
    return RentPosition(year, int(rows[0].received) if rows else 0, owed)


def this_year_due(c: Contract, on: date) -> RentDue | None:
    """The due falling in ``on``'s calendar year (pay before use: this year's rent)."""
    return next((d for d in dues_of(c) if d.due_date.year == on.year), None)


def my_land(household_id: int, village_id: int, township_id: int | None = None) -> dict[str, Any]:
    """The household's parcels and contracts with this year's rent: six queries whatever the number of contracts
    (each one's dues, lines and rent periods are read for all the contracts at once), and one more for the year's
    grain prices when one of them is rented in kind. This year's ``note`` explains the household's own figure from
    its own area (``rent_note``), not the contract's."""
    parcels = db.session.execute(
        select(Parcel.id, Parcel.code, Parcel.name, Parcel.area_mu4, Parcel.land_type, Parcel.location)
        .where(Parcel.village_id == village_id, Parcel.household_id == household_id).order_by(Parcel.code)).all()
    rows = household_contract_lines(household_id)
    ids = list(dict.fromkeys(r.Contract.id for r in rows))
    now = today()
    in_year = (RentDue.due_date >= date(now.year, 1, 1), RentDue.due_date <= date(now.year, 12, 31))
    this_year = {cid: ds[0] if ds else None  # as this_year_due
                 for cid, ds in household_dues(household_id, ids, *in_year).items()}
    dues = {cid: r.due if r else None for cid, r in this_year.items()}
    lines = shared_line_areas(tuple(ids))  # the contracts' own data, the same for every reader: kept
    periods = shared_periods(tuple(ids))
    paid_by_due = {r.due.id: (r.paid, r.last) for r in this_year.values() if r and r.paid}
    waiting = {r.due.id: r.waiting for r in this_year.values() if r and r.waiting}
    prices = _grain_prices(township_id, [(r.Contract, dues[r.Contract.id]) for r in rows
                                         if r.Contract.rent_kind == "in_kind"])
    by_contract: dict[int, dict[str, Any]] = {}
    for c, party_name, party_kind, area_mu4, parcel_id, code, name in rows:
        entry = by_contract.get(c.id)
        if entry is None:
            d = dues[c.id]
            mine = household_due(c, d, household_id, lines[c.id]) if d is not None else None
            paid = paid_by_due.get(d.id, (0, None)) if d is not None else (0, None)
            note = None if d is None else explain_rent(
                c, d, periods[c.id], household_areas(c, lines[c.id]), household_id, mine,
                prices.get((d.due_date.year, c.grain, c.price_basis)),
                [x.area_mu4 for x in lines[c.id] if x.household_id == household_id])
            entry = {
                "id": c.id, "number": c.number, "operator": party_name, "operator_kind": party_kind,
                "start_date": c.start_date, "end_date": c.end_date, "use": c.use, "status": c.status,
                "rent": rent_text(c, periods[c.id]), "parcels": [],
                "this_year": None if d is None else {
                    "due": fen_to_yuan(mine) if mine is not None else None,
                    "paid": fen_to_yuan(paid[0]),
                    "due_date": d.due_date,
                    "paid_on": paid[1],
                    "awaiting": fen_to_yuan(waiting.get(d.id, 0)),
                    "status": _status(mine, paid[0], d.due_date, now,
                                      settled=d.paid_fen == due_total(d) and not waiting.get(d.id)),
                    "note": note.text if note else None,
                    "contract_note": d.priced_note,
                    **(note.fields() if note else {}),
                },
            }
            by_contract[c.id] = entry
        entry["parcels"].append({"id": parcel_id, "code": code, "name": name, "area_mu": mu_text(area_mu4)})
    return {
        "parcels": [{"id": p.id, "code": p.code, "name": p.name, "area_mu": mu_text(p.area_mu4),
                     "land_type": p.land_type, "location": p.location} for p in parcels],
        "contracts": list(by_contract.values()),
    }


def _grain_prices(township_id: int | None, dues: Sequence[tuple[Contract, RentDue | None]]
                  ) -> Mapping[tuple[int, str | None, str | None], int]:
    """(year, grain, basis) → fen per jin announced by the township, for the in-kind dues given: one query, none
    without any (none either while the data is unchanged: a shared read)."""
    years = {d.due_date.year for _, d in dues if d is not None}
    if township_id is None or not years:
        return {}
    return _grain_prices_of(township_id, tuple(sorted(years)))


@shared_read
def _grain_prices_of(township_id: int, years: tuple[int, ...]) -> Mapping[tuple[int, str | None, str | None], int]:
    """The township's announced prices of those years (the same for every reader)."""
    return MappingProxyType({(y, g, b): fen for y, g, b, fen in db.session.execute(
        select(GrainPrice.year, GrainPrice.grain, GrainPrice.basis, GrainPrice.fen_per_jin)
        .where(GrainPrice.township_id == township_id, GrainPrice.year.in_(years))).all()})


def _status(due: int | None, paid: int, due_date: date, on: date, settled: bool = False) -> str:
    if due is None:
        return "unpriced"
    if paid >= due or settled:  # the whole year is in: a fen of per-payment rounding elsewhere is no debt
        return "paid"
    if on > due_date:
        return "overdue"
    return "partly_paid" if paid else "due"


def rent_history(household_id: int) -> list[dict[str, Any]]:
    """Every due of every contract with the household's land: what it was owed and what reached it."""
    now = today()
    contracts: dict[int, tuple[Contract, str]] = {}  # in the order of the household's lines
    for r in household_contract_lines(household_id):
        contracts.setdefault(r.Contract.id, (r.Contract, r.party_name))
    dues = household_dues(household_id, list(contracts))
    lines = shared_line_areas(tuple(contracts))
    out = []
    for cid, (c, operator) in contracts.items():
        parts: dict[int, int] = {}
        for r in dues[cid]:
            d, got, last = r.due, r.paid, r.last if r.paid else None
            # past years and this year (as /me/land)
            if d.due_date.year > now.year and not got and not r.waiting:
                continue
            mine = household_due(c, d, household_id, lines[cid], parts)
            out.append({"contract_id": c.id, "contract_number": c.number, "operator": operator,
                        "year_no": d.year_no, "period_start": d.period_start, "period_end": d.period_end,
                        "due_date": d.due_date, "due": fen_to_yuan(mine) if mine is not None else None,
                        "paid": fen_to_yuan(got), "paid_on": last, "awaiting": fen_to_yuan(r.waiting),
                        "status": _status(mine, got, d.due_date, now,
                                          settled=d.paid_fen == due_total(d) and not r.waiting)})
    out.sort(key=lambda r: (r["due_date"], r["contract_number"]), reverse=True)
    return out


def rent_history_page(household_id: int | None, page: int, page_size: int) -> dict[str, Any]:
    rows = rent_history(household_id) if household_id else []
    start = (page - 1) * page_size
    return {"items": rows[start : start + page_size], "total": len(rows), "page": page, "page_size": page_size}
