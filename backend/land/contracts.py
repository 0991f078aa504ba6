"""Transfer and lease contracts with their rent terms, and the yearly dues they generate.

Rules:
- the term never runs past the household's remaining contract term (农村土地承包法 第38条); the use of transferred
  land stays agricultural, and no orchards, fish ponds or nurseries on permanent basic farmland (农村土地经营权流转
  管理办法, 2021);
- the collective decides on a household's land only with the household's written entrustment (流转委托书);
- rent belongs to the household (农村土地承包法 第39条): the collective takes a share or a service fee only where the
  contract writes down its basis;
- rent terms: cash per mu per year, or grain per mu per year priced at the year's market or minimum purchase
  price; staged rent (长包短定: rent agreed period by period, :func:`add_rent_period`); increases every N years;
  pay before use (each contract year's rent due by a day of the year).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import func, select

from backend import decisions, registry
from backend.core import audit
from backend.core.db import db
from backend.core.errors import AppError, conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.core.tenancy import find_in_village
from backend.land.models import Contract, ContractParcel, GrainPrice, Parcel, Party, RentDue, RentPeriod
from backend.land.parcels import MU4, get_party, mu_text, party_view
from backend.registry import Township, Village

MAX_TERM_YEARS = 70  # a sanity bound: the remaining contract term (2nd round extended 30 years) is the real limit
AGRICULTURAL_USES = ("粮食种植", "蔬菜种植", "经济作物", "果树种植", "茶叶种植", "水产养殖", "畜禽养殖", "设施农业",
                     "苗木花卉", "中药材")
NOT_ON_BASIC_FARMLAND = ("果树种植", "水产养殖", "苗木花卉")  # 永久基本农田不得挖塘养鱼、种植果树苗木
GRAINS = ("稻谷", "小麦", "玉米", "大豆")


def round_half_up(x: Fraction) -> int:
    """Half up to the fen (amounts are never negative)."""
    return int(x + Fraction(1, 2))


# ---------------------------------------------------------------- contracts


@dataclass
class LineInput:
    parcel_id: int
    area_mu4: int | None = None  # default: the parcel's area on the contract's basis
    entrustment_no: str | None = None
    entrustment_on: date | None = None
    entrustment_scope: str | None = None


@dataclass
class PeriodInput:
    from_year: int
    to_year: int
    per_mu: int  # fen per mu per year (cash) or jin per mu per year (in kind)
    collective_per_mu: int = 0
    fee_per_mu: int = 0
    flat_fen: int = 0  # a lease of an asset: so much a year whatever the area
    agreed_on: date | None = None


@dataclass
class ContractInput:
    number: str
    kind: str
    party_id: int
    title: str
    start_date: date
    end_date: date
    use: str
    signed_on: date
    lines: Sequence[LineInput]
    periods: Sequence[PeriodInput]
    due_month: int = 3
    due_day: int = 1
    rent_kind: str = "cash"
    grain: str | None = None
    price_basis: str | None = None
    increase_bp: int = 0
    increase_every: int = 1
    area_basis: str = "registered"
    entrusted: bool = False
    fee_note: str | None = None
    late_fee_per_10k: int = 0
    deposit_fen: int = 0
    deposit_received_on: date | None = None
    deposit_held_by: str | None = None
    subsidy_to: str | None = None
    filed_on: date | None = None
    decision_id: int | None = None
    note: str | None = None


def contract_years(start: date, end: date) -> int:
    """How many contract years (the last may be shorter) the term [start, end) spans."""
    n = 0
    while _add_years(start, n) < end:
        n += 1
    return n


def _add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def _overlapping(parcel_ids: Sequence[int], start: date, end: date, exclude: int | None = None) -> list[str]:
    rows = db.session.execute(
        select(Parcel.code, Contract.number)
        .join(ContractParcel, ContractParcel.parcel_id == Parcel.id)
        .join(Contract, Contract.id == ContractParcel.contract_id)
        .where(ContractParcel.parcel_id.in_(list(parcel_ids)), Contract.status == "active",
               Contract.start_date < end, Contract.end_date > start, Contract.id != (exclude or 0))
    ).all()
    return [f"{code}（合同 {number}）" for code, number in rows]


def _check_periods(periods: Sequence[PeriodInput], years: int, kind: str, fee_note: str | None,
                   in_kind: bool = False) -> None:
    if not periods:
        raise unprocessable("land.rent_missing", "请填写租金标准")
    ordered = sorted(periods, key=lambda p: p.from_year)
    expect = 1
    for p in ordered:
        if p.from_year != expect or p.to_year < p.from_year:
            raise unprocessable("land.periods_invalid", "租金分段应从第1年起逐段相接，不重叠、不留空")
        expect = p.to_year + 1
        if min(p.per_mu, p.collective_per_mu, p.fee_per_mu, p.flat_fen) < 0:
            raise unprocessable("land.periods_invalid", "租金不能为负")
        if not in_kind and p.fee_per_mu > p.per_mu:  # in kind: capped at the year's rent when priced
            raise unprocessable("land.fee_too_high", "服务费不能超过农户所得租金")
        if (p.collective_per_mu or p.fee_per_mu) and not (fee_note or "").strip():
            raise unprocessable("land.fee_basis_required",
                                "租金归农户所有：集体收取流转服务费或分成，须在合同中写明依据（fee_note）")
        if kind == "transfer" and p.flat_fen:
            raise unprocessable("land.periods_invalid", "土地流转按亩计租，不设固定年租金")
        if kind == "lease" and (p.collective_per_mu or p.fee_per_mu):
            raise unprocessable("land.periods_invalid", "集体自有资产出租的租金全部归集体，不设分成或服务费")
    if expect - 1 > years:
        raise unprocessable("land.periods_invalid", f"租金分段超出了合同期（共 {years} 年）")


def create_contract(village: Village, data: ContractInput, *, actor: Principal | None) -> Contract:
    number = data.number.strip()
    if db.session.execute(select(Contract.id).where(Contract.village_id == village.id,
                                                    Contract.number == number)).first():
        raise conflict("land.contract_exists", f"本村已有合同编号 {number}")
    party = find_in_village(Party, data.party_id, village)
    if party is None:
        raise unprocessable("land.party_unknown", "流入方（承租方）不是本村登记的")
    if data.end_date <= data.start_date:
        raise unprocessable("land.term_invalid", "合同到期日应晚于起始日")
    if data.end_date > _add_years(data.start_date, MAX_TERM_YEARS) or data.start_date.year < 1950:
        raise unprocessable("land.term_invalid", f"合同期限不能超过 {MAX_TERM_YEARS} 年（且不能超过剩余承包期）")
    if not data.lines:
        raise unprocessable("land.parcels_missing", "请选择合同涉及的地块")
    ids = [ln.parcel_id for ln in data.lines]
    if len(set(ids)) != len(ids):
        raise unprocessable("land.parcels_duplicate", "同一地块在合同中出现了多次")
    parcels = {p.id: p for p in db.session.execute(
        select(Parcel).where(Parcel.id.in_(ids), Parcel.village_id == village.id)).scalars()}
    missing = [i for i in ids if i not in parcels]
    if missing:
        raise unprocessable("land.parcel_unknown", "有地块不属于本村", parcel_ids=missing)
    problems: list[str] = []
    for p in parcels.values():
        if not p.active:
            problems.append(f"地块 {p.code} 已停用")
        if data.kind == "transfer" and p.kind != "contracted":
            problems.append(f"地块 {p.code} 不是农户承包地：集体自有的土地、资产请签出租合同")
        if data.kind == "lease" and p.kind == "contracted":
            problems.append(f"地块 {p.code} 是农户承包地：应签流转合同，租金归农户")
        if p.kind == "contracted" and p.contract_until is not None and data.end_date > p.contract_until:
            problems.append(f"地块 {p.code} 的承包期到 {p.contract_until.isoformat()}，流转期限不能超过剩余承包期")
        if p.basic_farmland and data.use in NOT_ON_BASIC_FARMLAND:
            problems.append(f"地块 {p.code} 是永久基本农田，不得用于{data.use}")
    for ln in data.lines:  # part of a parcel may be let, never more than the parcel has
        p = parcels[ln.parcel_id]
        most = max(p.area_mu4, p.measured_mu4 or 0)
        if ln.area_mu4 is not None and ln.area_mu4 > most:
            problems.append(f"地块 {p.code} 的计租面积 {mu_text(ln.area_mu4)} 亩超过了地块面积 {mu_text(most)} 亩")
    if problems:
        raise unprocessable("land.parcels_invalid", "；".join(problems), problems=problems)
    uses_land = any(p.kind != "collective_asset" for p in parcels.values())
    if uses_land and data.use not in AGRICULTURAL_USES:
        raise unprocessable("land.use_not_agricultural", f"流转和出租的土地须保持农业用途，“{data.use}”不属于农业用途",
                            allowed=list(AGRICULTURAL_USES))
    if data.kind == "transfer" and data.entrusted:
        lacking = [parcels[ln.parcel_id].code for ln in data.lines if not (ln.entrustment_no and ln.entrustment_on)]
        if lacking:
            raise unprocessable("land.entrustment_required",
                                "集体受托流转须有每户签字的书面流转委托书（委托事项、权限、期限），缺少："
                                + "、".join(lacking), parcels=lacking)
    half = [parcels[ln.parcel_id].code for ln in data.lines
            if (ln.entrustment_no is None) != (ln.entrustment_on is None)]
    if half:
        raise unprocessable("land.entrustment_incomplete", "流转委托书须同时写明编号和日期：" + "、".join(half),
                            parcels=half)
    overlap = _overlapping(ids, data.start_date, data.end_date)
    if overlap:
        raise conflict("land.parcel_taken", "以下地块在这段时间已有流转或出租合同：" + "、".join(overlap))
    if data.rent_kind == "in_kind" and (data.grain not in GRAINS or data.price_basis not in ("market", "minimum")):
        raise unprocessable("land.in_kind_invalid", "实物计租须写明粮食品种和折价方式（市场价或最低收购价）")
    years = contract_years(data.start_date, data.end_date)
    _check_periods(data.periods, years, data.kind, data.fee_note, in_kind=data.rent_kind == "in_kind")
    ref = _lease_decision(village, data.kind, data.decision_id)

    capped = ref is not None and data.kind == "lease"
    savepoint = db.session.begin_nested() if capped else None  # a lease over its decision's amount leaves nothing
    c = Contract(
        village_id=village.id, number=number, kind=data.kind, party_id=party.id, title=data.title.strip(),
        start_date=data.start_date, end_date=data.end_date, use=data.use, signed_on=data.signed_on,
        entrusted=data.entrusted, rent_kind=data.rent_kind, grain=data.grain if data.rent_kind == "in_kind" else None,
        price_basis=data.price_basis if data.rent_kind == "in_kind" else None, increase_bp=data.increase_bp,
        increase_every=data.increase_every, due_month=data.due_month, due_day=data.due_day,
        area_basis=data.area_basis, fee_note=(data.fee_note or "").strip() or None,
        late_fee_per_10k=data.late_fee_per_10k, deposit_fen=data.deposit_fen,
        deposit_received_on=data.deposit_received_on, deposit_held_by=data.deposit_held_by,
        subsidy_to=data.subsidy_to, filed_on=data.filed_on, decision_id=data.decision_id, note=data.note,
        created_by_id=actor.person_id if actor else None,
    )
    db.session.add(c)
    db.session.flush()
    for ln in data.lines:
        p = parcels[ln.parcel_id]
        basis_area = p.measured_mu4 if data.area_basis == "measured" and p.measured_mu4 else p.area_mu4
        db.session.add(ContractParcel(
            contract_id=c.id, village_id=village.id, parcel_id=p.id, household_id=p.household_id,
            area_mu4=ln.area_mu4 or basis_area, entrustment_no=ln.entrustment_no, entrustment_on=ln.entrustment_on,
            entrustment_scope=ln.entrustment_scope))
    for pi in data.periods:
        db.session.add(_period_row(c, pi))
    db.session.flush()
    _generate_dues(c)
    if savepoint is not None and ref is not None:
        try:
            check_lease_amount(c, ref)
        except AppError:
            savepoint.rollback()
            raise
        savepoint.commit()
    audit.record("land.contract_create", "land_contract", c.id, actor=actor, village_id=village.id,
                 after={"number": number, "kind": data.kind, "parcels": len(data.lines), "years": years})
    return c


def _lease_decision(village: Village, kind: str, decision_id: int | None) -> decisions.DecisionRef | None:
    """The decision a contract cites: one of the village's; a lease of the collective's own land or assets must
    cite one that is resolved (四议两公开, like a large expense)."""
    if decision_id is None:
        if kind == "lease":
            raise unprocessable("land.decision_required",
                                "出租集体的土地或资产须依据已通过的四议两公开决议，请选择决议", field="decision_id")
        return None
    ref = decisions.get_ref(village.id, decision_id)
    if ref is None:
        raise unprocessable("land.decision_unknown", "找不到所注明的决议（须是本村的决议）", field="decision_id")
    if kind == "lease" and not ref.resolved:
        raise unprocessable("land.decision_not_resolved", f"决议“{ref.title}”尚未通过，不能据此出租集体资产",
                            field="decision_id")
    return ref


def lease_total(c: Contract) -> int:
    """A lease's rent over its whole term as far as it is known (every priced contract year), in fen."""
    return sum(due_total(d) or 0 for d in dues_of(c))


def check_lease_amount(c: Contract, ref: decisions.DecisionRef) -> None:
    """A decision's ``amount_fen`` is the money of the matter it approves: for a lease, the rent over the whole
    term. The leases resting on one decision (this one and the other active ones) may not exceed it together; a
    decision without an amount sets no cap. 422 with the decision's title and amount otherwise."""
    if ref.amount_fen is None:
        return
    mine = lease_total(c)
    others = sum(lease_total(o) for o in db.session.execute(select(Contract).where(
        Contract.decision_id == ref.id, Contract.kind == "lease", Contract.status == "active",
        Contract.id != c.id)).scalars())
    if mine + others > ref.amount_fen:
        cap = f"决议“{ref.title}”批准的金额 {fen_to_yuan(ref.amount_fen)} 元"
        if others:
            left = max(ref.amount_fen - others, 0)
            text = (f"本合同租金总额 {fen_to_yuan(mine)} 元，加上该决议下其他出租合同的 {fen_to_yuan(others)} 元，"
                    f"共 {fen_to_yuan(mine + others)} 元，超过{cap}（还可出租 {fen_to_yuan(left)} 元）")
        else:
            text = f"本合同租金总额 {fen_to_yuan(mine)} 元超过{cap}"
        raise unprocessable("land.decision_amount_exceeded", text, field="decision_id",
                            decision_amount=fen_to_yuan(ref.amount_fen), amount=fen_to_yuan(mine),
                            already=fen_to_yuan(others))


def _period_row(c: Contract, p: PeriodInput) -> RentPeriod:
    return RentPeriod(contract_id=c.id, from_year=p.from_year, to_year=p.to_year, per_mu=p.per_mu,
                      collective_per_mu=p.collective_per_mu, fee_per_mu=p.fee_per_mu, flat_fen=p.flat_fen,
                      agreed_on=p.agreed_on or c.signed_on)


def get_contract(contract_id: int) -> Contract:
    c = db.session.get(Contract, contract_id)
    if c is None:
        raise not_found("land.contract_not_found", "找不到该合同")
    return c


def lock_contract(c: Contract) -> Contract:
    db.session.execute(select(Contract.id).where(Contract.id == c.id).with_for_update())
    db.session.refresh(c)
    return c


def of_contracts(model: Any, contract_ids: Sequence[int], *order: Any, where: Sequence[Any] = (),
                 columns: Sequence[Any] = ()) -> dict[int, list[Any]]:
    """Contract id → its rows of ``model`` (dues, lines, periods) in ``order``, for many contracts in one query;
    only those meeting ``where``; with ``columns`` (``contract_id`` among them) rows of those columns, not whole
    records."""
    out: dict[int, list[Any]] = {cid: [] for cid in contract_ids}
    if out:
        stmt = (select(*columns) if columns else select(model)).where(model.contract_id.in_(list(out)), *where)
        result = db.session.execute(stmt.order_by(model.contract_id, *order))
        for row in result if columns else result.scalars():
            out[row.contract_id].append(row)
    return out


def line_areas(contract_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Contract id → its lines' (contract_id, household_id, area_mu4) in line order: what a split by area
    (:func:`household_areas`) needs, for many contracts in one query."""
    return of_contracts(ContractParcel, contract_ids, ContractParcel.id,
                        columns=(ContractParcel.contract_id, ContractParcel.household_id, ContractParcel.area_mu4))


class LineArea(NamedTuple):
    """A contract's line as a split by area reads it."""

    contract_id: int
    household_id: int | None
    area_mu4: int


@shared_read
def shared_line_areas(contract_ids: tuple[int, ...]) -> Mapping[int, tuple[LineArea, ...]]:
    """:func:`line_areas` for a household's own pages, kept for every reader while the data is unchanged (a
    contract's lines are the same whoever reads them)."""
    return MappingProxyType({cid: tuple(LineArea(*r) for r in rows)
                             for cid, rows in line_areas(contract_ids).items()})


@dataclass(frozen=True)
class PeriodRow:
    """A contract's rent period, as the rent's words and notes read it."""

    id: int
    contract_id: int
    from_year: int
    to_year: int
    per_mu: int
    collective_per_mu: int
    fee_per_mu: int
    flat_fen: int


_PERIOD_COLUMNS = [getattr(RentPeriod, f.name) for f in fields(PeriodRow)]


@shared_read
def shared_periods(contract_ids: tuple[int, ...]) -> Mapping[int, tuple[PeriodRow, ...]]:
    """Contract id → its rent periods in order, for many contracts in one query, kept for every reader while the
    data is unchanged."""
    return MappingProxyType({cid: tuple(PeriodRow(*r) for r in rows) for cid, rows in of_contracts(
        RentPeriod, contract_ids, RentPeriod.from_year, columns=_PERIOD_COLUMNS).items()})


def lines_of(c: Contract) -> list[ContractParcel]:
    return of_contracts(ContractParcel, [c.id], ContractParcel.id)[c.id]


def periods_of(c: Contract) -> list[RentPeriod]:
    return of_contracts(RentPeriod, [c.id], RentPeriod.from_year)[c.id]


def dues_of(c: Contract) -> list[RentDue]:
    return of_contracts(RentDue, [c.id], RentDue.year_no)[c.id]


def contracts_stmt(village_id: int, kind: str | None = None) -> Any:
    """The village's contracts, newest first, each with its party's name and its parcels' area (mu × 10,000) as
    columns: rows of (Contract, party, area) for :func:`contract_items`."""
    area = (select(func.coalesce(func.sum(ContractParcel.area_mu4), 0))
            .where(ContractParcel.contract_id == Contract.id).scalar_subquery())
    stmt = (select(Contract, Party.name.label("party"), area.label("area"))
            .join(Party, Party.id == Contract.party_id).where(Contract.village_id == village_id))
    if kind:
        stmt = stmt.where(Contract.kind == kind)
    return stmt.order_by(Contract.start_date.desc(), Contract.id.desc())


# ---------------------------------------------------------------- dues and their amounts


def _generate_dues(c: Contract) -> None:
    years = contract_years(c.start_date, c.end_date)
    for k in range(1, years + 1):
        start = _add_years(c.start_date, k - 1)
        end = min(_add_years(c.start_date, k), c.end_date)
        due = date(start.year, c.due_month, c.due_day)
        if due > start:  # pay before use: by the day in the year, or when the year starts if that is earlier
            due = start
        if k == 1:  # the first year's rent: not before the contract is signed
            due = max(due, c.signed_on)
        db.session.add(RentDue(contract_id=c.id, village_id=c.village_id, year_no=k, period_start=start,
                               period_end=end, due_date=due))
    db.session.flush()
    price_dues(c)


def _price(c: Contract, year: int) -> GrainPrice | None:
    village = registry.get_village(c.village_id)
    return db.session.execute(
        select(GrainPrice).where(GrainPrice.township_id == village.township_id, GrainPrice.year == year,
                                 GrainPrice.grain == c.grain, GrainPrice.basis == c.price_basis)
    ).scalar_one_or_none()


def price_dues(c: Contract) -> int:
    """Work out every due not yet paid from the periods agreed so far and the grain prices announced; returns how
    many got an amount. A due with money on it keeps its amount."""
    periods = periods_of(c)
    area = sum(ln.area_mu4 for ln in lines_of(c))
    priced = 0
    for d in dues_of(c):
        if d.paid_fen:
            continue
        period = next((p for p in periods if p.from_year <= d.year_no <= p.to_year), None)
        if period is None:
            d.household_fen = d.fee_fen = d.collective_fen = None
            d.priced_note = "租金待约定（长包短定：本期租金尚未商定）"
            continue
        full_days = (_add_years(d.period_start, 1) - d.period_start).days
        share = Fraction((d.period_end - d.period_start).days, full_days)  # a short last year pays its part
        steps = (d.year_no - period.from_year) // max(c.increase_every, 1)
        factor = (1 + Fraction(c.increase_bp, 10000)) ** steps
        mu = Fraction(area, MU4)
        note = f"{mu_text(area)}亩"
        if c.rent_kind == "in_kind":
            price = _price(c, d.due_date.year)
            if price is None:
                d.household_fen = d.fee_fen = d.collective_fen = None
                basis = "市场价" if c.price_basis == "market" else "最低收购价"
                d.priced_note = f"待公布{d.due_date.year}年{c.grain}{basis}"
                continue
            rent = Fraction(period.per_mu) * factor * mu * share * price.fen_per_jin
            note += f" × {period.per_mu}斤/亩 × {fen_to_yuan(price.fen_per_jin)}元/斤"
        else:
            rent = Fraction(period.per_mu) * factor * mu * share
            note = f"每年{fen_to_yuan(period.flat_fen)}元" if period.flat_fen and not period.per_mu \
                else note + f" × {fen_to_yuan(period.per_mu)}元/亩"
        if steps and c.increase_bp:
            note += f" × 递增{steps}次"
        flat = Fraction(period.flat_fen) * factor * share
        collective = Fraction(period.collective_per_mu) * mu * share
        if c.kind == "lease":
            d.household_fen, d.fee_fen, d.collective_fen = 0, 0, round_half_up(rent + flat)
        else:
            d.household_fen = round_half_up(rent)
            d.fee_fen = min(round_half_up(Fraction(period.fee_per_mu) * mu * share), d.household_fen)
            d.collective_fen = round_half_up(collective)
        if share != 1:
            note += f" × {share.numerator}/{share.denominator}年"
        d.priced_note = note[:120]
        priced += 1
    db.session.flush()
    return priced


def add_rent_period(c: Contract, data: PeriodInput, *, actor: Principal | None) -> RentPeriod:
    """长包短定: the next period's rent, agreed when the last one runs out."""
    lock_contract(c)
    periods = periods_of(c)
    _check_periods([*(PeriodInput(p.from_year, p.to_year, p.per_mu, p.collective_per_mu, p.fee_per_mu, p.flat_fen)
                      for p in periods), data],
                   contract_years(c.start_date, c.end_date), c.kind, c.fee_note, in_kind=c.rent_kind == "in_kind")
    row = _period_row(c, data)
    db.session.add(row)
    db.session.flush()
    price_dues(c)
    if c.kind == "lease" and c.decision_id is not None:
        ref = decisions.get_ref(c.village_id, c.decision_id)
        if ref is not None:
            check_lease_amount(c, ref)
    audit.record("land.rent_period", "land_contract", c.id, actor=actor, village_id=c.village_id,
                 after={"from_year": data.from_year, "to_year": data.to_year, "per_mu": data.per_mu})
    return row


def set_grain_price(township: Township, year: int, grain: str, basis: str, fen_per_jin: int, source: str | None,
                    *, actor: Principal | None) -> GrainPrice:
    if grain not in GRAINS:
        raise unprocessable("land.grain_invalid", f"粮食品种应为：{'、'.join(GRAINS)}")
    if not 0 < fen_per_jin <= 100_00:  # the table's CHECK (price > 0) and INTEGER column, as a clear refusal
        raise unprocessable("land.price_invalid", "粮食价格应在0.01元到100元/斤之间")
    row = db.session.execute(select(GrainPrice).where(
        GrainPrice.township_id == township.id, GrainPrice.year == year, GrainPrice.grain == grain,
        GrainPrice.basis == basis)).scalar_one_or_none()
    if row is not None:
        raise conflict("land.price_exists", f"{year}年{grain}的价格已公布，不能更改")
    row = GrainPrice(township_id=township.id, year=year, grain=grain, basis=basis, fen_per_jin=fen_per_jin,
                     source=source)
    db.session.add(row)
    db.session.flush()
    villages = [v.id for v in registry.villages_of_township(township.id)]
    for c in db.session.execute(select(Contract).where(
            Contract.village_id.in_(villages), Contract.rent_kind == "in_kind", Contract.grain == grain,
            Contract.price_basis == basis, Contract.status == "active")).scalars():
        price_dues(c)
    audit.record("land.grain_price", "land_grain_price", row.id, actor=actor, township_id=township.id,
                 after={"year": year, "grain": grain, "basis": basis, "fen_per_jin": fen_per_jin})
    return row


def grain_prices(township_id: int) -> list[GrainPrice]:
    return list(db.session.execute(select(GrainPrice).where(GrainPrice.township_id == township_id)
                                   .order_by(GrainPrice.year.desc(), GrainPrice.grain)).scalars())


def due_total(d: RentDue) -> int | None:
    if d.household_fen is None or d.collective_fen is None:
        return None
    return d.household_fen + d.collective_fen


def household_areas(c: Contract, lines: Sequence[Any] | None = None) -> dict[int, int]:
    """Household → the area of its parcels in the contract (mu × 10,000), in a stable order; ``lines``: the
    contract's lines (records, or :func:`line_areas`' rows) when the caller has them already."""
    out: dict[int, int] = defaultdict(int)
    for ln in lines_of(c) if lines is None else lines:
        if ln.household_id is not None:
            out[ln.household_id] += ln.area_mu4
    return dict(sorted(out.items()))


def household_shares(c: Contract, net_fen: int, lines: Sequence[Any] | None = None) -> dict[int, int]:
    """``net_fen`` split over the contract's households by area, largest remainder: the parts sum to it exactly."""
    areas = household_areas(c, lines)
    if not areas or net_fen == 0:
        return {h: 0 for h in areas}
    parts = split_largest_remainder(net_fen, list(areas.values()))
    return dict(zip(areas, parts, strict=True))


# ---------------------------------------------------------------- how a contract reads


def rent_text(c: Contract, periods: Sequence[RentPeriod] | None = None) -> str:
    """The rent in words; ``periods``: the contract's rent periods in order when the caller has them already."""
    ps = periods_of(c) if periods is None else list(periods)
    if not ps:
        return ""
    p = ps[0]
    if c.rent_kind == "in_kind":
        basis = "市场价" if c.price_basis == "market" else "最低收购价"
        text = f"每亩每年{c.grain}{p.per_mu}斤，按当年{basis}折款"
    elif p.flat_fen:
        text = f"每年{fen_to_yuan(p.flat_fen)}元"
    else:
        text = f"每亩每年{fen_to_yuan(p.per_mu)}元"
    if c.increase_bp:
        text += f"，每{c.increase_every}年递增{Decimal(c.increase_bp) / 100}%"
    if len(ps) > 1 or ps[-1].to_year < contract_years(c.start_date, c.end_date):
        text += "（分段约定）"
    return text


def due_view(d: RentDue) -> dict[str, Any]:
    total = due_total(d)
    net = None if d.household_fen is None or d.fee_fen is None else d.household_fen - d.fee_fen
    return {"id": d.id, "year_no": d.year_no, "period_start": d.period_start, "period_end": d.period_end,
            "due_date": d.due_date, "households": fen_to_yuan(net) if net is not None else None,
            "fee": fen_to_yuan(d.fee_fen) if d.fee_fen is not None else None,
            "collective": fen_to_yuan(d.collective_fen) if d.collective_fen is not None else None,
            "total": fen_to_yuan(total) if total is not None else None, "paid": fen_to_yuan(d.paid_fen),
            "outstanding": fen_to_yuan(total - d.paid_fen) if total is not None else None, "note": d.priced_note}


def contract_items(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Contracts in a list: their party, term, area and rent in words; ``rows`` of :func:`contracts_stmt`
    (contract, party's name, area). One query for all their rent periods."""
    periods = of_contracts(RentPeriod, [c.id for c, _, _ in rows], RentPeriod.from_year)
    return [{"id": c.id, "number": c.number, "kind": c.kind, "title": c.title, "party": party,
             "start_date": c.start_date, "end_date": c.end_date, "status": c.status,
             "area_mu": mu_text(int(area)), "rent": rent_text(c, periods[c.id])} for c, party, area in rows]


def contract_view(c: Contract) -> dict[str, Any]:
    """A whole contract: both parties, its parcels, the term, the rent terms, and each year's due and receipts."""
    rows = db.session.execute(
        select(ContractParcel, Parcel.code, Parcel.name).join(Parcel, Parcel.id == ContractParcel.parcel_id)
        .where(ContractParcel.contract_id == c.id).order_by(ContractParcel.id)).all()
    lines = [ln for ln, _, _ in rows]
    periods = periods_of(c)
    rent_unit = (lambda v: str(v)) if c.rent_kind == "in_kind" else fen_to_yuan
    return {
        "id": c.id, "number": c.number, "kind": c.kind, "title": c.title, "party": party_view(get_party(
            c.party_id)), "start_date": c.start_date, "end_date": c.end_date, "use": c.use, "signed_on": c.signed_on,
        "status": c.status, "entrusted": c.entrusted, "rent": rent_text(c, periods), "rent_kind": c.rent_kind,
        "grain": c.grain, "price_basis": c.price_basis, "increase_percent": str(Decimal(c.increase_bp) / 100),
        "increase_every": c.increase_every, "due_month": c.due_month, "due_day": c.due_day,
        "area_basis": c.area_basis, "area_mu": mu_text(sum(ln.area_mu4 for ln in lines)),
        "fee_note": c.fee_note, "late_fee_per_10k": c.late_fee_per_10k, "deposit": fen_to_yuan(c.deposit_fen),
        "deposit_received_on": c.deposit_received_on, "deposit_held_by": c.deposit_held_by,
        "subsidy_to": c.subsidy_to, "filed_on": c.filed_on, "decision_id": c.decision_id,
        "parcels": [{"parcel_id": ln.parcel_id, "code": code, "name": name, "household_id": ln.household_id,
                     "area_mu": mu_text(ln.area_mu4), "entrustment_no": ln.entrustment_no,
                     "entrustment_on": ln.entrustment_on} for ln, code, name in rows],
        "periods": [{"from_year": p.from_year, "to_year": p.to_year, "per_mu": rent_unit(p.per_mu),
                     "collective_per_mu": fen_to_yuan(p.collective_per_mu), "fee_per_mu": fen_to_yuan(p.fee_per_mu),
                     "flat": fen_to_yuan(p.flat_fen), "agreed_on": p.agreed_on} for p in periods],
        "dues": [due_view(d) for d in dues_of(c)],
    }
