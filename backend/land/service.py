"""Land transfer and lease contracts: parcels, parties, contracts with their rent terms, the yearly dues, payments
allocated to households by area, the ledger postings, arrears, and what a household sees.

Rules (shared/DOMAIN.md §6):
- the term never runs past the household's remaining contract term (农村土地承包法 第38条); the use of transferred
  land stays agricultural, and no orchards or fish ponds on permanent basic farmland (2021 管理办法);
- the collective decides on a household's land only with the household's written entrustment (流转委托书);
- rent belongs to the household (第39条): the collective takes a share or a service fee only where the contract
  writes down its basis;
- rent terms: cash per mu per year, or grain per mu per year priced at the year's market or minimum purchase
  price; staged rent (长包短定: rent agreed period by period, ``add_rent_period``); increases every N years;
  pay before use (each contract year's rent due by a day of the year);
- each payment is split exactly (largest remainder) between households and collective, the fee taken out of the
  households' part, and the households' part by area; a payment never exceeds what is outstanding and an
  idempotency key replays it, so nothing is paid or allocated twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.identity import id_hashes
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.permissions import Principal
from backend.decisions.pipeline import refs as decisions
from backend.land.models import (
    Contract,
    ContractParcel,
    GrainPrice,
    Parcel,
    Party,
    RentAllocation,
    RentDue,
    RentPayment,
    RentPeriod,
)
from backend.ledger import service as ledger
from backend.registry import service as registry
from backend.registry.models import Township, Village

MU4 = 10_000  # areas are mu × 10,000
MAX_TERM_YEARS = 70  # a sanity bound: the remaining contract term (2nd round extended 30 years) is the real limit
AGRICULTURAL_USES = ("粮食种植", "蔬菜种植", "经济作物", "果树种植", "茶叶种植", "水产养殖", "畜禽养殖", "设施农业",
                     "苗木花卉", "中药材")
NOT_ON_BASIC_FARMLAND = ("果树种植", "水产养殖", "苗木花卉")  # 永久基本农田不得挖塘养鱼、种植果树苗木
GRAINS = ("稻谷", "小麦", "玉米", "大豆")
ACCOUNT_BY_METHOD = {"bank": "102", "cash": "101"}
PAYABLE_ACCOUNT = "211"  # 应付款: rent collected for households
TRANSFER_INCOME = "501001"  # 发包及上交收入: the collective's share and service fee on transfers
LEASE_INCOME = "501002"  # 租赁收入: the collective's own leases
PARTY_LABELS = {"company": "公司", "cooperative": "合作社", "family_farm": "家庭农场", "person": "个人",
                "other": "其他"}


def mu_text(mu4: int) -> str:
    """12000 → "1.2", 10000 → "1", 12345 → "1.2345"."""
    whole, frac = divmod(mu4, MU4)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".") if frac else str(whole)


def parse_mu(text: str) -> int:
    """ "1.2" → 12000; up to 4 decimals, > 0; refuses anything else with a Chinese message."""
    s = str(text).strip()
    whole, _, frac = s.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (frac and not (frac.isascii() and frac.isdigit())) \
            or len(frac) > 4 or len(whole) > 7:
        raise unprocessable("land.area_invalid", "面积应为以亩计的数字，最多4位小数，如 1.2")
    mu4 = int(whole) * MU4 + int((frac or "0").ljust(4, "0"))
    if mu4 <= 0:
        raise unprocessable("land.area_invalid", "面积应大于零")
    return mu4


def _round(x: Fraction) -> int:
    """Half up to the fen (amounts are never negative)."""
    return int(x + Fraction(1, 2))


# ---------------------------------------------------------------- parties and parcels


@dataclass
class PartyInput:
    kind: str
    name: str
    credit_code: str | None = None
    id_card: str | None = None
    representative: str | None = None
    phone: str | None = None
    address: str | None = None


def create_party(village: Village, data: PartyInput, *, actor: Principal | None) -> Party:
    name = data.name.strip()
    if db.session.execute(select(Party.id).where(Party.village_id == village.id, Party.name == name)).first():
        raise conflict("land.party_exists", f"本村已登记“{name}”")
    id_hash = last4 = None
    if data.id_card:
        card = registry.validate_id_card_or_422(data.id_card)
        id_hash, _, last4 = id_hashes(registry.identity_key(), card)
    code = (data.credit_code or "").strip().upper() or None
    if code is not None and (len(code) != 18 or not code.isalnum() or not code.isascii()):
        raise unprocessable("land.credit_code_invalid", "统一社会信用代码应为18位字母或数字")
    p = Party(village_id=village.id, kind=data.kind, name=name, credit_code=code, id_hash=id_hash, id_last4=last4,
              representative=data.representative, phone=data.phone, address=data.address)
    db.session.add(p)
    db.session.flush()
    audit.record("land.party_create", "land_party", p.id, actor=actor, village_id=village.id, after={"name": name})
    return p


def get_party(party_id: int) -> Party:
    p = db.session.get(Party, party_id)
    if p is None:
        raise not_found("land.party_not_found", "找不到该流入方")
    return p


@dataclass
class ParcelInput:
    code: str
    name: str
    area_mu4: int
    kind: str = "contracted"
    household_id: int | None = None
    location: str | None = None
    land_type: str = "耕地"
    grade: str | None = None
    measured_mu4: int | None = None
    basic_farmland: bool = False
    certificate_no: str | None = None
    contract_until: date | None = None


def create_parcel(village: Village, data: ParcelInput, *, actor: Principal | None) -> Parcel:
    code = data.code.strip()
    if db.session.execute(select(Parcel.id).where(Parcel.village_id == village.id, Parcel.code == code)).first():
        raise conflict("land.parcel_exists", f"本村已有地块代码 {code}")
    if data.kind == "contracted":
        if data.household_id is None or data.household_id not in registry.households_brief(village.id,
                                                                                           [data.household_id]):
            raise unprocessable("land.household_required", "承包地须指明本村的承包户")
    elif data.household_id is not None:
        raise unprocessable("land.household_not_allowed", "集体的土地或资产不属于某一户")
    p = Parcel(village_id=village.id, kind=data.kind, code=code, name=data.name.strip(), location=data.location,
               land_type=data.land_type, grade=data.grade, area_mu4=data.area_mu4, measured_mu4=data.measured_mu4,
               basic_farmland=data.basic_farmland, household_id=data.household_id,
               certificate_no=data.certificate_no, contract_until=data.contract_until)
    db.session.add(p)
    db.session.flush()
    audit.record("land.parcel_create", "land_parcel", p.id, actor=actor, village_id=village.id,
                 after={"code": code, "area_mu4": data.area_mu4, "household_id": data.household_id})
    return p


def get_parcel(parcel_id: int) -> Parcel:
    p = db.session.get(Parcel, parcel_id)
    if p is None:
        raise not_found("land.parcel_not_found", "找不到该地块")
    return p


def parcels_stmt(village_id: int, household_id: int | None = None, kind: str | None = None) -> Any:
    stmt = select(Parcel).where(Parcel.village_id == village_id)
    if household_id is not None:
        stmt = stmt.where(Parcel.household_id == household_id)
    if kind is not None:
        stmt = stmt.where(Parcel.kind == kind)
    return stmt.order_by(Parcel.code)


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
    party = db.session.get(Party, data.party_id)
    if party is None or party.village_id != village.id:
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
    if data.decision_id is not None and decisions.get_ref(village.id, data.decision_id) is None:
        raise unprocessable("land.decision_unknown", "找不到所注明的决议（须是本村的决议）")

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
    audit.record("land.contract_create", "land_contract", c.id, actor=actor, village_id=village.id,
                 after={"number": number, "kind": data.kind, "parcels": len(data.lines), "years": years})
    return c


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


def lines_of(c: Contract) -> list[ContractParcel]:
    return list(db.session.execute(
        select(ContractParcel).where(ContractParcel.contract_id == c.id).order_by(ContractParcel.id)).scalars())


def periods_of(c: Contract) -> list[RentPeriod]:
    return list(db.session.execute(
        select(RentPeriod).where(RentPeriod.contract_id == c.id).order_by(RentPeriod.from_year)).scalars())


def dues_of(c: Contract) -> list[RentDue]:
    return list(db.session.execute(
        select(RentDue).where(RentDue.contract_id == c.id).order_by(RentDue.year_no)).scalars())


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
            d.household_fen, d.fee_fen, d.collective_fen = 0, 0, _round(rent + flat)
        else:
            d.household_fen = _round(rent)
            d.fee_fen = min(_round(Fraction(period.fee_per_mu) * mu * share), d.household_fen)
            d.collective_fen = _round(collective)
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


def due_total(d: RentDue) -> int | None:
    if d.household_fen is None or d.collective_fen is None:
        return None
    return d.household_fen + d.collective_fen


def household_areas(c: Contract, lines: Sequence[ContractParcel] | None = None) -> dict[int, int]:
    """Household → the area of its parcels in the contract (mu × 10,000), in a stable order; ``lines``: the
    contract's lines when the caller has them already."""
    out: dict[int, int] = defaultdict(int)
    for ln in lines_of(c) if lines is None else lines:
        if ln.household_id is not None:
            out[ln.household_id] += ln.area_mu4
    return dict(sorted(out.items()))


def household_shares(c: Contract, net_fen: int, lines: Sequence[ContractParcel] | None = None) -> dict[int, int]:
    """``net_fen`` split over the contract's households by area, largest remainder: the parts sum to it exactly."""
    areas = household_areas(c, lines)
    if not areas or net_fen == 0:
        return {h: 0 for h in areas}
    parts = split_largest_remainder(net_fen, list(areas.values()))
    return dict(zip(areas, parts, strict=True))


# ---------------------------------------------------------------- payments


@dataclass
class PaymentInput:
    due_id: int
    amount_fen: int
    paid_on: date
    method: str = "bank"
    reference: str | None = None


@dataclass
class PaymentResult:
    payment: RentPayment
    replayed: bool


def _request_hash(data: PaymentInput) -> str:
    text = json.dumps([data.due_id, data.amount_fen, data.paid_on.isoformat(), data.method, data.reference or ""])
    return hashlib.sha256(text.encode()).hexdigest()


def _paid_parts(due_id: int) -> tuple[int, int, int]:
    """(households' gross, the collective's own share, the fee) paid so far against a due."""
    hh, coll, fee = db.session.execute(
        select(func.coalesce(func.sum(RentPayment.household_fen), 0),
               func.coalesce(func.sum(RentPayment.collective_fen), 0), func.coalesce(func.sum(RentPayment.fee_fen), 0))
        .where(RentPayment.due_id == due_id)
    ).one()
    return int(hh) + int(fee), int(coll) - int(fee), int(fee)


def record_payment(c: Contract, data: PaymentInput, *, idempotency_key: str | None,
                   actor: Principal | None) -> PaymentResult:
    """Money received against one due: split between households (by area) and the collective, posted, passed on."""
    lock_contract(c)
    req = _request_hash(data)
    if idempotency_key:
        prior = db.session.execute(select(RentPayment).where(
            RentPayment.contract_id == c.id, RentPayment.idempotency_key == idempotency_key)).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的租金登记")
            return PaymentResult(prior, True)
    d = db.session.get(RentDue, data.due_id)
    if d is None or d.contract_id != c.id:
        raise unprocessable("land.due_unknown", "该期租金不属于这份合同")
    db.session.refresh(d)
    total = due_total(d)
    if total is None:
        raise conflict("land.due_unpriced", f"第{d.year_no}年租金尚未确定（{d.priced_note}），不能登记收款")
    if data.method not in ACCOUNT_BY_METHOD:
        raise unprocessable("land.method_invalid", "收款方式应为银行或现金")
    if data.amount_fen <= 0:
        raise unprocessable("land.amount_invalid", "收款金额应大于零")
    outstanding = total - d.paid_fen
    if data.amount_fen > outstanding:
        raise conflict("land.overpaid", f"第{d.year_no}年租金尚欠 {fen_to_yuan(outstanding)} 元，收款不能超过欠款",
                       outstanding=fen_to_yuan(outstanding))
    if data.paid_on > today():
        raise unprocessable("land.paid_on_invalid", "收款日期不能晚于今天")

    hh_paid, coll_paid, fee_paid = _paid_parts(d.id)
    assert d.household_fen is not None and d.collective_fen is not None and d.fee_fen is not None
    hh_left, coll_left, fee_left = d.household_fen - hh_paid, d.collective_fen - coll_paid, d.fee_fen - fee_paid
    if data.amount_fen == outstanding:
        hh_part, coll_part = hh_left, coll_left
    else:
        hh_part, coll_part = split_largest_remainder(data.amount_fen, [hh_left, coll_left])
    if hh_part == hh_left:
        fee_part = fee_left
    elif hh_left:
        fee_part = split_largest_remainder(hh_part, [fee_left, hh_left - fee_left])[0]
    else:
        fee_part = 0
    net = hh_part - fee_part
    p = RentPayment(contract_id=c.id, due_id=d.id, village_id=c.village_id, idempotency_key=idempotency_key,
                    request_hash=req, amount_fen=data.amount_fen, household_fen=net,
                    collective_fen=coll_part + fee_part,
                    paid_on=data.paid_on, method=data.method, reference=(data.reference or "").strip() or None,
                    fee_fen=fee_part, recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(p)
            db.session.flush()
            shares = household_shares(c, net)
            if data.amount_fen == outstanding:
                shares = _settling_shares(c, d, shares)
            if shares:
                areas = household_areas(c)
                db.session.execute(insert(RentAllocation), [
                    {"payment_id": p.id, "due_id": d.id, "village_id": c.village_id, "household_id": h,
                     "area_mu4": areas[h], "amount_fen": amt} for h, amt in shares.items()])
            res = db.session.execute(
                update(RentDue).where(RentDue.id == d.id, RentDue.paid_fen + data.amount_fen <= total)
                .values(paid_fen=RentDue.paid_fen + data.amount_fen).execution_options(synchronize_session=False))
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise IntegrityError("overpaid meanwhile", None, Exception("overpaid"))
            db.session.refresh(d)
            _post(c, d, p)  # in the savepoint: a refused posting (a closed month) leaves no payment behind
            db.session.flush()
    except IntegrityError:
        raise conflict("land.payment_conflict", "这笔租金刚刚已被登记，请刷新后核对") from None
    audit.record("land.rent_payment", "land_rent_payment", p.id, actor=actor, village_id=c.village_id,
                 after={"contract": c.number, "year_no": d.year_no, "amount_fen": data.amount_fen,
                        "households_fen": net, "collective_fen": p.collective_fen})
    return PaymentResult(p, False)


def _settling_shares(c: Contract, d: RentDue, by_area: dict[int, int]) -> dict[int, int]:
    """The payment that settles a due gives each household exactly what it still lacks of its share of the year
    (each earlier partial payment was split on its own, so a household may be a fen off); ``by_area`` — this
    payment's own split — when that is impossible (a household already past its share)."""
    if d.household_fen is None or d.fee_fen is None:
        return by_area
    year = household_shares(c, d.household_fen - d.fee_fen)
    got = dict(db.session.execute(
        select(RentAllocation.household_id, func.sum(RentAllocation.amount_fen))
        .where(RentAllocation.due_id == d.id).group_by(RentAllocation.household_id)).all())
    lacking = {h: year[h] - int(got.get(h, 0)) for h in year}
    if any(v < 0 for v in lacking.values()) or sum(lacking.values()) != sum(by_area.values()):
        return by_area
    return lacking


def _post(c: Contract, d: RentDue, p: RentPayment) -> None:
    """Receipt: Dr 银行存款/库存现金; Cr 应付款 (the households' rent) and Cr the collective's income. Then the
    households' rent is passed on the same day: Dr 应付款, Cr 银行存款."""
    village = registry.get_village(c.village_id)
    party = db.session.get(Party, c.party_id)
    cash = ACCOUNT_BY_METHOD[p.method]
    who = party.name if party else ""
    lines = [ledger.LineInput(cash, debit_fen=p.amount_fen, summary=f"{who}交{c.title}第{d.year_no}年租金")]
    if p.household_fen:
        lines.append(ledger.LineInput(PAYABLE_ACCOUNT, credit_fen=p.household_fen, summary="代收农户土地流转租金"))
    if p.collective_fen:
        income = LEASE_INCOME if c.kind == "lease" else TRANSFER_INCOME
        lines.append(ledger.LineInput(income, credit_fen=p.collective_fen,
                                      summary="集体资产租金" if c.kind == "lease" else "集体分成及流转服务费"))
    summary = f"收{who}租金（合同{c.number}，第{d.year_no}年）"
    v = ledger.create_voucher(village, ledger.VoucherInput(p.paid_on, summary[:200], lines), actor=None, source="land")
    ledger.post_voucher(v, actor=None)
    p.receipt_voucher_id = v.id
    if p.household_fen:
        out = ledger.create_voucher(village, ledger.VoucherInput(
            p.paid_on, f"代发农户土地流转租金（合同{c.number}，第{d.year_no}年）"[:200],
            [ledger.LineInput(PAYABLE_ACCOUNT, debit_fen=p.household_fen, summary="租金发放到户"),
             ledger.LineInput("102", credit_fen=p.household_fen, summary="租金发放到户")]), actor=None, source="land")
        ledger.post_voucher(out, actor=None)
        p.payout_voucher_id = out.id


def payments_of(c: Contract) -> list[RentPayment]:
    return list(db.session.execute(
        select(RentPayment).where(RentPayment.contract_id == c.id).order_by(RentPayment.id)).scalars())


# ---------------------------------------------------------------- arrears


@dataclass
class Arrear:
    contract: Contract
    party: Party
    due: RentDue
    outstanding: int
    days: int
    late_fee: int


def arrears(village_id: int, on: date | None = None) -> list[Arrear]:
    """Every priced due past its date with money still owed, oldest first, with its late fee (万分之N a day of
    that year's rent, as the contract says)."""
    on = on or today()
    rows = db.session.execute(
        select(RentDue, Contract, Party)
        .join(Contract, Contract.id == RentDue.contract_id)
        .join(Party, Party.id == Contract.party_id)
        .where(RentDue.village_id == village_id, RentDue.due_date < on, RentDue.household_fen.is_not(None),
               Contract.status == "active",
               RentDue.paid_fen < RentDue.household_fen + RentDue.collective_fen)
        .order_by(RentDue.due_date, Contract.number)
    ).all()
    out = []
    for d, c, party in rows:
        total = due_total(d) or 0
        days = (on - d.due_date).days
        fee = _round(Fraction(total * c.late_fee_per_10k * days, 10000))
        out.append(Arrear(c, party, d, total - d.paid_fen, days, fee))
    return out


# ---------------------------------------------------------------- what a household sees


def household_contract_lines(household_id: int) -> list[tuple[Contract, Party, ContractParcel, Parcel]]:
    return list(db.session.execute(
        select(Contract, Party, ContractParcel, Parcel)
        .join(ContractParcel, ContractParcel.contract_id == Contract.id)
        .join(Parcel, Parcel.id == ContractParcel.parcel_id)
        .join(Party, Party.id == Contract.party_id)
        .where(ContractParcel.household_id == household_id)
        .order_by(Contract.start_date.desc(), Contract.id, Parcel.code)
    ).all())


def household_due(c: Contract, d: RentDue, household_id: int,
                  lines: Sequence[ContractParcel] | None = None) -> int | None:
    """The household's part of a due: the households' rent less the fee, split by area."""
    if d.household_fen is None or d.fee_fen is None:
        return None
    return household_shares(c, d.household_fen - d.fee_fen, lines).get(household_id, 0)


def household_paid(household_id: int, due_ids: Sequence[int]) -> dict[int, tuple[int, date | None]]:
    """Due → (what reached the household, the last day it was paid)."""
    if not due_ids:
        return {}
    rows = db.session.execute(
        select(RentAllocation.due_id, func.sum(RentAllocation.amount_fen), func.max(RentPayment.paid_on))
        .join(RentPayment, RentPayment.id == RentAllocation.payment_id)
        .where(RentAllocation.household_id == household_id, RentAllocation.due_id.in_(list(due_ids)),
               RentAllocation.amount_fen > 0)  # a 0.00 part reached no one: it dates nothing
        .group_by(RentAllocation.due_id)
    ).all()
    return {due: (int(amt), last) for due, amt, last in rows}


def rent_passed_on(household_id: int, start: date, end: date) -> int:
    """Rent that reached the household by payments made from ``start`` to ``end`` (inclusive; its allocations —
    each payment is passed on the day it is received), in fen: one query, whatever the number of contracts."""
    total = db.session.execute(
        select(func.coalesce(func.sum(RentAllocation.amount_fen), 0))
        .join(RentPayment, RentPayment.id == RentAllocation.payment_id)
        .where(RentAllocation.household_id == household_id, RentPayment.paid_on >= start, RentPayment.paid_on <= end)
    ).scalar_one()
    return int(total)


def this_year_due(c: Contract, on: date) -> RentDue | None:
    """The due falling in ``on``'s calendar year (pay before use: this year's rent)."""
    return next((d for d in dues_of(c) if d.due_date.year == on.year), None)


def _of_contracts(model: Any, contract_ids: Sequence[int], *order: Any) -> dict[int, list[Any]]:
    """Contract id → its rows of ``model`` (dues, lines, periods) in ``order``, for many contracts in one query."""
    out: dict[int, list[Any]] = {cid: [] for cid in contract_ids}
    if out:
        for row in db.session.execute(
            select(model).where(model.contract_id.in_(list(out))).order_by(model.contract_id, *order)
        ).scalars():
            out[row.contract_id].append(row)
    return out


def my_land(household_id: int, village_id: int) -> dict[str, Any]:
    """The household's parcels and contracts with this year's rent: six queries whatever the number of contracts
    (each one's dues, lines and rent periods are read for all the contracts at once)."""
    parcels = db.session.execute(
        select(Parcel).where(Parcel.village_id == village_id, Parcel.household_id == household_id)
        .order_by(Parcel.code)).scalars().all()
    rows = household_contract_lines(household_id)
    ids = list(dict.fromkeys(c.id for c, _, _, _ in rows))
    now = today()
    dues = {cid: next((d for d in ds if d.due_date.year == now.year), None)  # as this_year_due
            for cid, ds in _of_contracts(RentDue, ids, RentDue.year_no).items()}
    lines = _of_contracts(ContractParcel, ids, ContractParcel.id)
    periods = _of_contracts(RentPeriod, ids, RentPeriod.from_year)
    paid_by_due = household_paid(household_id, [d.id for d in dues.values() if d is not None])
    by_contract: dict[int, dict[str, Any]] = {}
    for c, party, ln, p in rows:
        entry = by_contract.get(c.id)
        if entry is None:
            d = dues[c.id]
            mine = household_due(c, d, household_id, lines[c.id]) if d is not None else None
            paid = paid_by_due.get(d.id, (0, None)) if d is not None else (0, None)
            entry = {
                "id": c.id, "number": c.number, "operator": party.name, "operator_kind": party.kind,
                "start_date": c.start_date, "end_date": c.end_date, "use": c.use, "status": c.status,
                "rent": rent_text(c, periods[c.id]), "parcels": [],
                "this_year": None if d is None else {
                    "due": fen_to_yuan(mine) if mine is not None else None,
                    "paid": fen_to_yuan(paid[0]),
                    "due_date": d.due_date,
                    "paid_on": paid[1],
                    "status": _status(mine, paid[0], d.due_date, now, settled=d.paid_fen == due_total(d)),
                    "note": d.priced_note,
                },
            }
            by_contract[c.id] = entry
        entry["parcels"].append({"id": p.id, "code": p.code, "name": p.name, "area_mu": mu_text(ln.area_mu4)})
    return {
        "parcels": [{"id": p.id, "code": p.code, "name": p.name, "area_mu": mu_text(p.area_mu4),
                     "land_type": p.land_type, "location": p.location} for p in parcels],
        "contracts": list(by_contract.values()),
    }


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
    out = []
    seen: set[int] = set()
    now = today()
    for c, party, _, _ in household_contract_lines(household_id):
        if c.id in seen:
            continue
        seen.add(c.id)
        dues = dues_of(c)
        paid = household_paid(household_id, [d.id for d in dues])
        for d in dues:
            if d.due_date.year > now.year and d.id not in paid:  # past years and this year (as /me/land)
                continue
            mine = household_due(c, d, household_id)
            got, last = paid.get(d.id, (0, None))
            out.append({"contract_id": c.id, "contract_number": c.number, "operator": party.name,
                        "year_no": d.year_no, "period_start": d.period_start, "period_end": d.period_end,
                        "due_date": d.due_date, "due": fen_to_yuan(mine) if mine is not None else None,
                        "paid": fen_to_yuan(got), "paid_on": last,
                        "status": _status(mine, got, d.due_date, now, settled=d.paid_fen == due_total(d))})
    out.sort(key=lambda r: (r["due_date"], r["contract_number"]), reverse=True)
    return out


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

