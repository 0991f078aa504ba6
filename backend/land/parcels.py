"""Parcels and parties: the village's land (households' contracted land, the collective's land and assets) and
the operators who take it in (流入方, 承租方), with areas in mu to four decimals (stored as mu × 10,000).

A household's contracted parcel names its household of the village; the collective's land and assets belong to no
household. A private operator's ID number is kept only as keyed hashes and its last four characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from backend import registry
from backend.core import audit
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.identity import id_hashes
from backend.core.permissions import Principal
from backend.land.models import Contract, ContractParcel, Parcel, Party
from backend.registry import Village

MU4 = 10_000  # areas are mu × 10,000
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


# ---------------------------------------------------------------- parties


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


def parties_stmt(village_id: int) -> Any:
    return select(Party).where(Party.village_id == village_id).order_by(Party.name)


def party_view(p: Party) -> dict[str, Any]:
    return {"id": p.id, "kind": p.kind, "name": p.name, "credit_code": p.credit_code, "id_last4": p.id_last4,
            "representative": p.representative, "phone": p.phone, "address": p.address}


# ---------------------------------------------------------------- parcels


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


PARCEL_EDITABLE = ("name", "location", "land_type", "grade", "area_mu4", "measured_mu4", "basic_farmland",
                   "household_id", "certificate_no", "contract_until", "active")


def update_parcel(p: Parcel, changes: dict[str, Any], *, actor: Principal | None) -> Parcel:
    """Correct a parcel's register entry. Its code and kind stay; a contracted parcel keeps a household of the
    village, and changes household only while it is in no active contract (the contract's lines name the
    household its rent goes to)."""
    changes = {k: v for k, v in changes.items() if k in PARCEL_EDITABLE}
    if "household_id" in changes and changes["household_id"] != p.household_id:
        hid = changes["household_id"]
        if p.kind != "contracted":
            raise unprocessable("land.household_not_allowed", "集体的土地或资产不属于某一户", field="household_id")
        if hid is None or hid not in registry.households_brief(p.village_id, [hid]):
            raise unprocessable("land.household_required", "承包地须指明本村的承包户", field="household_id")
        busy = db.session.execute(
            select(Contract.number).join(ContractParcel, ContractParcel.contract_id == Contract.id)
            .where(ContractParcel.parcel_id == p.id, Contract.status == "active")).scalars().first()
        if busy:
            raise conflict("land.parcel_in_contract",
                           f"该地块在合同 {busy} 中，不能更换承包户（租金按合同登记的户发放）", field="household_id")
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise unprocessable("land.name_required", "请填写地块名称", field="name")
    before = {k: getattr(p, k) for k in changes}
    for k, v in changes.items():
        setattr(p, k, v)
    db.session.flush()
    audit.record("land.parcel_update", "land_parcel", p.id, actor=actor, village_id=p.village_id,
                 before={k: str(v) if v is not None else None for k, v in before.items()},
                 after={k: str(v) if v is not None else None for k, v in changes.items()})
    return p


LISTED = (Parcel.id, Parcel.village_id, Parcel.kind, Parcel.code, Parcel.name, Parcel.location, Parcel.land_type,
          Parcel.grade, Parcel.area_mu4, Parcel.measured_mu4, Parcel.basic_farmland, Parcel.household_id,
          Parcel.certificate_no, Parcel.contract_until, Parcel.active)  # what parcel_items reads of a parcel


def parcel_items(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Parcels for a list (records, or rows of ``LISTED``), each with its household's number and head (the
    registry's read for the page)."""
    if not rows:
        return []
    brief = registry.households_brief(rows[0].village_id, sorted({p.household_id for p in rows if p.household_id}))
    out = []
    for p in rows:
        h = brief.get(p.household_id) if p.household_id else None
        out.append({"id": p.id, "code": p.code, "name": p.name, "kind": p.kind, "household_id": p.household_id,
                    "household_number": h.number if h else None, "head_name": h.head_name if h else None,
                    "area_mu4": p.area_mu4, "measured_mu4": p.measured_mu4, "location": p.location,
                    "land_type": p.land_type, "grade": p.grade, "basic_farmland": p.basic_farmland,
                    "certificate_no": p.certificate_no, "contract_until": p.contract_until, "active": p.active})
    return out


def parcels_stmt(village_id: int, household_id: int | None = None, kind: str | None = None,
                 q: str | None = None) -> Any:
    """The village's parcels by code: rows of ``LISTED``, for :func:`parcel_items`."""
    stmt = select(*LISTED).where(Parcel.village_id == village_id)
    if q:
        stmt = stmt.where(Parcel.code.contains(q, autoescape=True) | Parcel.name.contains(q, autoescape=True)
                          | Parcel.location.contains(q, autoescape=True))
    if household_id is not None:
        stmt = stmt.where(Parcel.household_id == household_id)
    if kind is not None:
        stmt = stmt.where(Parcel.kind == kind)
    return stmt.order_by(Parcel.code)
