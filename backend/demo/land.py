"""Demo land (docs/demo.md): 临江村's contracted parcels, the collective's land and assets, transferees and lessees,
their contracts, the township's grain prices, and the rent received in the last two years.

The parcels come from the roster (a pure plan, ``land_plan``): every household holds its second-round contract land
(二轮承包, extended by 30 years to 31 December 2057) as 1–4 parcels, about so many mu for every member it had in
1998 — 1.60 mu in the crowded 1组 by the river, 3.3–3.6 mu in the other groups — so LJ-005 (张大山 and 孙红; 张小燕
was born in 1999: 增人不增地) holds exactly docs/demo.md's 1.20 mu 东坡地 and 2.00 mu 河湾地. Parcel codes follow the
确权 scheme: 发包方编码 (county 371427, township 105, village 201, group) + a 5-digit parcel number; certificates
are the household's 承包方编码 + "J".

The contracts (numbers stable, dates relative to the seeding day so that what docs/demo.md fixes is always true):

- LJLZ-001 荣联农业合作社, entrusted transfer (集体受托流转, each household's 流转委托书) of the east block
  (1–5组), 310.00 mu including LJ-005's two parcels, 800.00 元/亩/年 in cash, 10 years from 1 March, each
  year's rent due before 3月1日 and paid on 26 February (this year's too, or on the seeding day if that comes
  first): LJ-005 is due and paid 2560.00 this year. The collective's 流转服务费 (60 元/亩 on top, 310 亩 =
  18600.00 元) is NOT a ``collective_per_mu`` of this contract: ``demo_ledger`` already books it every 18 March
  as "收取荣联农业合作社土地流转服务费", so the contract only writes its basis in ``fee_note`` and the rent
  vouchers carry the households' rent alone (no income booked twice).
- LJLZ-002 惠农粮油有限公司, entrusted transfer in kind: 500 斤稻谷/亩/年 at the year's minimum purchase price
  (``set_grain_price``; 早籼稻 prices chosen for the demo, ``GRAIN_PRICES``), last year's rent paid, this year's
  due about 40 days before the seeding day and unpaid: the secretary's arrears screen shows it with a late fee.
- LJLZ-003 鑫源家庭农场 (run by 刘建华 of LJ-008), 长包短定: 10 years, rent agreed for the first 3 years only
  (700.00 元/亩 to the households and 30.00 元/亩 to the collective on top, seed 003's "X元/亩给村民、Y元/亩给
  村集体", basis in ``fee_note``); the later years show "租金待约定".
- LJLZ-004 孙晓明 (LJ-035, 种粮大户), households' own transfer filed with the collective (not entrusted), 750.00
  元/亩 rising 5% every 3 years.
- The collective's leases (租赁收入): 村委会西侧临街门面 to 惠农 (18,000 元 a year), 村东鱼塘 to 孙晓明 (900 元/亩,
  paid in cash), 蚕房 to 鑫源 (3,600 元), the 镇区商铺 bought with 扶持资金 (seed 004's 物业经济) to 荣联 (12,000 元).
  The two 门面 east of the village office (李记农资店, rent booked monthly by ``demo_ledger``) are left out of the
  land register so that their rent is not booked twice; the 北岗果园 is registered and not let.

The four leases rest on one resolved decision, ``LEASE_DECISION`` (240,000.00 元; the leases' rent over their
terms is 231,000.00, so a new lease on it may add at most 9,000.00). Every household's part of the rent received is
passed on (``_pass_on``): by a bank batch two days after the rent came in, or in cash to the household's head for
rent paid in cash — so every past rent reads as paid to the households, as before.

Every payment is recorded "on" its day (``on_day``) by the accountant with an idempotency key and posts into an open
month; ``backend.demo.registry.seed`` closes the past months afterwards. Idempotent: parcels by code, parties by name,
contracts by number, grain prices by (year, grain, basis), payments skipped once a due is paid. Returns the number
of contracts created.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from backend import decisions as pipeline
from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.demo.days import month_start, on_day
from backend.demo.decisions import _meeting
from backend.demo.registry import principal, roster_plan
from backend.land import contracts, parcels, payments, payouts
from backend.land.models import Contract, GrainPrice, Parcel, Party, RentAllocation, RentPayment, RentPayout
from backend.ledger import service as ledger
from backend.registry.models import Village

VILLAGE = "LJ01"
FABAO = "371427105201"  # 发包方编码 without the group: 夏津县 371427, 青山镇 105, 临江村 201
CONTRACT_UNTIL = date(2057, 12, 31)  # second-round contracts extended by 30 years (1998 → 2027 → 2057)
PER_CAPITA_MU = {1: 1.6, 2: 3.4, 3: 3.6, 4: 3.3, 5: 3.5, 6: 3.4}  # mu per member at the 1998 contracting
LJ005 = (("东坡地", 12_000), ("河湾地", 20_000))  # docs/demo.md: 1.20 and 2.00 mu
RONGLIAN = "荣联农业合作社"
RONGLIAN_MU4 = 3_100_000  # 310.00 mu: × 60 元 = the 18,600.00 元 service fee demo_ledger books every March
RONGLIAN_PER_MU = 800_00  # docs/demo.md: 800 元 per mu per year
SERVICE_FEE_PER_MU = 60_00
SELF_FARMING = frozenset({"LJ-008", "LJ-019", "LJ-027", "LJ-035", "LJ-046", "LJ-058"})  # keep farming their land
TARGETS = (("sx", 120_000), ("xy", 420_000))  # after 荣联's block: 孙晓明 ~12 mu, 鑫源 ~42 mu; 惠农 the rest
FIELDS = {
    1: ("江沿地", "柳树行", "东坡地", "河湾地", "渡口地"),
    2: ("大堤外", "北洼地", "二道沟", "老槐树地"),
    3: ("南岗地", "十八亩", "窑场地", "长条地"),
    4: ("西大片", "砖井地", "斜子地", "三角地"),
    5: ("稻田洼", "闸口地", "南大片", "苇塘地"),
    6: ("新开河地", "下洼地", "沙岗地", "坟前地"),
}
SIDES = ("沟渠", "村道", "机耕路", "河堤", "林带", "排水沟")
# 稻谷 minimum purchase prices, fen per jin (早籼稻, chosen for the demo); other years take the nearest
GRAIN_PRICES = {2021: 122, 2022: 124, 2023: 125, 2024: 127, 2025: 127, 2026: 127}
IN_KIND_JIN = 500


# ---------------------------------------------------------------- the parcels (a pure plan)


@dataclass
class PlanParcel:
    code: str
    name: str
    household: str | None  # household number; None for the collective's land and assets
    area_mu4: int
    kind: str = "contracted"
    land_type: str = "耕地"
    basic: bool = False
    grade: str | None = None
    measured_mu4: int | None = None
    certificate: str | None = None
    location: str | None = None
    block: str | None = None  # rl, hn, xy, sx: the transfer it is in


COLLECTIVE: tuple[PlanParcel, ...] = (
    PlanParcel(f"{FABAO}0000001", "村东鱼塘", None, 156_000, "collective_land", "养殖水面",
               location="村东江堤内侧，东至江堤，西至村道"),
    PlanParcel(f"{FABAO}0000002", "北岗集体果园", None, 224_000, "collective_land", "园地",
               location="北岗坡地，原集体林场改植梨树"),
    PlanParcel(f"{FABAO}0000003", "村委会西侧临街门面（3间）", None, 1_400, "collective_asset", "其他",
               location="临江村村委会西侧，临青山大街，砖混结构约93平方米"),
    PlanParcel(f"{FABAO}0000004", "集体蚕房", None, 3_600, "collective_asset", "设施农用地",
               location="5组桑园旁，扶贫项目建成后划归村集体，约240平方米"),
    PlanParcel(f"{FABAO}0000005", "镇区商铺（扶持资金购置）", None, 1_200, "collective_asset", "其他",
               location="青山镇政府驻地商贸街12号，村集体经济扶持资金购置，约80平方米"),
)


def _group(address: str) -> int:
    return int(address.split("村", 1)[1].split("组", 1)[0])


def _split(total: int, k: int, rng: random.Random) -> list[int]:
    """``total`` mu4 in ``k`` parcels of whole hundredths of a mu, none under 0.30 mu."""
    if k == 1:
        return [total]
    weights = [rng.uniform(0.6, 1.4) for _ in range(k)]
    parts = [max(3_000, round(total * w / sum(weights) / 100) * 100) for w in weights[:-1]]
    return [*parts, max(3_000, total - sum(parts))]


@functools.cache
def land_plan() -> tuple[PlanParcel, ...]:
    """临江村's contracted parcels and their blocks, then the collective's. Deterministic."""
    rng = random.Random(f"{VILLAGE}-land")
    out: list[PlanParcel] = []
    seq: dict[int, int] = {}
    household_seq: dict[int, int] = {}
    for h in (h for h in roster_plan() if h.village == VILLAGE):
        g = _group(h.address)
        household_seq[g] = household_seq.get(g, 0) + 1
        cert = f"{FABAO}{g:02d}{household_seq[g]:04d}J"
        at_1998 = [m for m in h.members if m.born.year <= 1998 and (m.collective or m.status != "active")]
        if h.number == "LJ-005":
            parcels = [(name, mu4, "耕地") for name, mu4 in LJ005]
        else:
            total = round(PER_CAPITA_MU[g] * len(at_1998) * rng.uniform(0.9, 1.1) * 100) * 100
            k = {1: rng.choice((1, 2)), 2: 2, 3: rng.choice((2, 3))}.get(len(at_1998), rng.choice((3, 4)))
            names = rng.sample(FIELDS[g], min(k, len(FIELDS[g])))
            parcels = [(names[i % len(names)], mu4, "耕地") for i, mu4 in enumerate(_split(total, k, rng))]
            if k < 4 and rng.random() < 0.2:
                extra = ("房后桑园", "园地") if rng.random() < 0.6 else ("河滩林地", "林地")
                parcels.append((extra[0], rng.randrange(30, 90) * 100, extra[1]))
        for name, mu4, land_type in parcels:
            seq[g] = seq.get(g, 0) + 1
            farmland = land_type == "耕地"
            measured = round(mu4 * rng.uniform(1.02, 1.12) / 100) * 100 if rng.random() < 0.5 else None
            east, west = rng.sample(SIDES, 2)
            out.append(PlanParcel(
                f"{FABAO}{g:02d}{seq[g]:05d}", name, h.number, mu4, land_type=land_type,
                basic=farmland and (g <= 3 or rng.random() < 0.4), grade=rng.choice(("一等", "二等", "二等", "三等")),
                measured_mu4=measured, certificate=cert, location=f"临江村{g}组{name}，东至{east}，西至{west}"))
    _assign_blocks(out)
    return (*out, *COLLECTIVE)


def _assign_blocks(parcels: list[PlanParcel]) -> None:
    """荣联 takes the east block (1–5组) up to exactly 310.00 mu; then 孙晓明, 鑫源 (5组); 惠农 the rest (5–6组)."""
    candidates = [p for p in parcels if p.land_type == "耕地" and p.household not in SELF_FARMING]
    rl: list[PlanParcel] = []
    total = 0
    for p in candidates:
        if total >= RONGLIAN_MU4:
            break
        rl.append(p)
        total += p.area_mu4
    over = total - RONGLIAN_MU4  # trim the last parcels taken so the block is exactly 310.00 mu
    for p in reversed(rl):
        if over <= 0:
            break
        if p.household == "LJ-005":
            continue
        cut = min(over, p.area_mu4 - 5_000)
        p.area_mu4 -= cut
        if p.measured_mu4 is not None:
            p.measured_mu4 = max(p.measured_mu4 - cut, p.area_mu4)
        over -= cut
    assert over == 0 and sum(p.area_mu4 for p in rl) == RONGLIAN_MU4
    for p in rl:
        p.block = "rl"
    rest = candidates[len(rl):]
    for block, target in TARGETS:
        got = 0
        while rest and got < target:
            p = rest.pop(0)
            p.block, got = block, got + p.area_mu4
    for p in rest:
        p.block = "hn"


# ---------------------------------------------------------------- parties


def _check_char(body: str, alphabet: str, weights: Sequence[int], modulus: int) -> int:
    return (modulus - sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True)) % modulus) % modulus


def credit_code(kind: str, org: str) -> str:
    """A 统一社会信用代码 (GB 32100) with valid check characters: ``kind`` "93" (农民专业合作社), "91" (企业) or
    "92" (个体工商户), region 371427, an organization code of 8 characters + its GB 11714 check."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    c = _check_char(org, digits, (3, 7, 9, 10, 5, 8, 4, 2), 11)
    body = f"{kind}371427{org}{'0' if c == 0 else 'X' if c == 10 else str(c)}"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return body + alphabet[_check_char(body, alphabet, weights, 31)]


def _person_card(number: str) -> tuple[str, str, str | None]:
    """(name, ID number, phone) of the head of a 临江村 household in the roster plan."""
    head = next(h.members[0] for h in roster_plan() if h.village == VILLAGE and h.number == number)
    return head.name, head.id_card, head.phone


def parties() -> dict[str, parcels.PartyInput]:
    farmer, farmer_card, farmer_phone = _person_card("LJ-035")
    owner, _, owner_phone = _person_card("LJ-008")
    return {
        "rl": parcels.PartyInput("cooperative", RONGLIAN, credit_code("93", "MA3C7L2K"), representative="王建军",
                                 phone="13905391688", address="夏津县青山镇临江村1组（村东粮食烘干中心）"),
        "hn": parcels.PartyInput("company", "惠农粮油有限公司", credit_code("91", "MA3D0H6N"), representative="高振华",
                                 phone="05347215566", address="夏津县青山镇工业园纬二路8号"),
        "xy": parcels.PartyInput("family_farm", "鑫源家庭农场", credit_code("92", "MA3E5X1Y"), representative=owner,
                                 phone=owner_phone, address="夏津县青山镇临江村1组"),
        "sx": parcels.PartyInput("person", farmer, id_card=farmer_card, phone=farmer_phone,
                                 address="夏津县青山镇临江村4组（种粮大户）"),
    }


# ---------------------------------------------------------------- contracts (dates relative to the seeding day)


@dataclass
class Spec:
    number: str
    party: str  # key of ``parties``
    kind: str
    title: str
    start: date
    years: int
    use: str
    periods: list[contracts.PeriodInput]
    due: tuple[int, int] | None = None  # (month, day); default: the start's
    parcels: str | tuple[str, ...] = ()  # a block key, or the codes of the collective's parcels
    entrusted: bool = False
    rent_kind: str = "cash"
    increase: tuple[int, int] = (0, 1)  # basis points every N years
    fee_note: str | None = None
    late_fee: int = 0
    deposit_fen: int = 0
    note: str | None = None
    lead_days: int = 3  # paid this many days before it is due
    method: str = "bank"
    unpaid_years: frozenset[int] = field(default_factory=frozenset)  # calendar years of dues left unpaid
    pay_this_year_early: bool = False  # this year's rent paid even if due after today (pay before use)

    @property
    def signed(self) -> date:
        return self.start - timedelta(days=40 if self.kind == "transfer" else 20)

    @property
    def end(self) -> date:
        return self.start.replace(year=self.start.year + self.years)


def specs(on: date) -> list[Spec]:
    y = on.year
    # 荣联: from the first 1 March whose rent (paid 26 February) the demo books, opened 24 months ago, can hold
    rl_year = y - 2 if date(y - 2, 2, 26) >= month_start(on, 24) else y - 1
    # 惠农: this year's rent fell due about 40 days ago and is unpaid
    anchor = max(on - timedelta(days=40), date(y, 1, 2))
    hn_start = date(y - 1, anchor.month, min(anchor.day, 28))
    area = RONGLIAN_MU4 // parcels.MU4
    lead = "流入方另向村集体支付"
    return [
        Spec("LJLZ-001", "rl", "transfer", "东片土地集中流转（小麦玉米规模种植）", date(rl_year, 3, 1), 10, "粮食种植",
             [contracts.PeriodInput(1, 10, RONGLIAN_PER_MU)], due=(3, 1), parcels="rl", entrusted=True,
             fee_note=(f"{lead}流转服务费每亩每年{SERVICE_FEE_PER_MU // 100}元（{area}亩计"
                       f"{area * SERVICE_FEE_PER_MU // 100}元），于每年3月单独缴纳，不从农户租金中扣除；"
                       "依据村民代表会议决议"),
             late_fee=3, deposit_fen=30_000_00, pay_this_year_early=True,
             note="承包农户书面委托村股份经济合作社统一流转；租金逐户打卡发放；耕地地力保护补贴归承包农户"),
        Spec("LJLZ-002", "hn", "transfer", "南片稻田流转（优质稻订单种植）", hn_start, 5, "粮食种植",
             [contracts.PeriodInput(1, 5, IN_KIND_JIN)], parcels="hn", entrusted=True, rent_kind="in_kind",
             late_fee=5, deposit_fen=10_000_00, unpaid_years=frozenset({y}),
             note="每亩每年稻谷500斤，按当年国家稻谷最低收购价折款支付"),
        Spec("LJLZ-003", "xy", "transfer", "5组南大片流转（长包短定）", date(y - 1, 10, 1), 10, "蔬菜种植",
             [contracts.PeriodInput(1, 3, 700_00, collective_per_mu=30_00)], parcels="xy", entrusted=True,
             fee_note=f"{lead}每亩每年30元（集体统一协调、机耕路和灌溉设施维护），不从农户租金中扣除；依据村民代表会议决议",
             late_fee=5, lead_days=4,
             note="长包短定：合同期10年，租金每3年协商一次，首期（第1—3年）每亩700元"),
        Spec("LJLZ-004", "sx", "transfer", "5组连片地流转（农户自行签订、向村备案）", date(y - 1, 9, 1), 6, "粮食种植",
             [contracts.PeriodInput(1, 6, 750_00)], parcels="sx", increase=(500, 3), late_fee=5, lead_days=5,
             note="承包农户与流入方直接签订，报村股份经济合作社备案，租金由村代收代付"),
        Spec("LJZL-001", "hn", "lease", "村委会西侧临街门面出租（粮食收购及农资服务点）", date(y - 1, 1, 1), 5,
             "粮食收购和农资服务",
             [contracts.PeriodInput(1, 5, 0, flat_fen=18_000_00)], parcels=(f"{FABAO}0000003",), lead_days=4,
             deposit_fen=3_000_00),
        Spec("LJZL-002", "sx", "lease", "村东鱼塘发包（水产养殖）", date(y - 1, 4, 1), 5, "水产养殖",
             [contracts.PeriodInput(1, 5, 900_00)], parcels=(f"{FABAO}0000001",), method="cash", lead_days=5),
        Spec("LJZL-003", "xy", "lease", "集体蚕房出租", date(y - 1, 3, 1), 3, "养蚕",
             [contracts.PeriodInput(1, 3, 0, flat_fen=3_600_00)], parcels=(f"{FABAO}0000004",), lead_days=3),
        Spec("LJZL-004", "rl", "lease", "镇区商铺出租（物业经济，农产品直销店）", date(y - 1, 7, 1), 5, "农产品直销",
             [contracts.PeriodInput(1, 5, 0, flat_fen=12_000_00)], parcels=(f"{FABAO}0000005",), lead_days=4),
    ]


def grain_price(year: int) -> int:
    known = min(GRAIN_PRICES, key=lambda y: abs(y - year))
    return GRAIN_PRICES[known]


# ---------------------------------------------------------------- seeding


def _first_open_day(village: Village) -> date:
    """The first day after the last closed month of the village's books (date.min if none is closed)."""
    closed = ledger.closed_periods(village.id)
    if not closed:
        return date.min
    y, m = (int(x) for x in closed[-1].split("-"))
    return date(y + m // 12, m % 12 + 1, 1)


def _seed_parcels(village: Village, plan: Sequence[PlanParcel], on: date) -> dict[str, int]:
    existing = dict(db.session.execute(
        select(Parcel.code, Parcel.id).where(Parcel.village_id == village.id)).all())
    households = {b.number: hid for hid, b in registry.households_brief(village.id).items()}
    with on_day(on):
        for p in plan:
            if p.code in existing:
                continue
            existing[p.code] = parcels.create_parcel(village, parcels.ParcelInput(
                code=p.code, name=p.name, area_mu4=p.area_mu4, kind=p.kind,
                household_id=households[p.household] if p.household else None, location=p.location,
                land_type=p.land_type, grade=p.grade, measured_mu4=p.measured_mu4, basic_farmland=p.basic,
                certificate_no=p.certificate, contract_until=CONTRACT_UNTIL if p.household else None),
                actor=None).id
    return existing


def _seed_parties(village: Village, actor: Principal, on: date) -> dict[str, int]:
    existing = dict(db.session.execute(
        select(Party.name, Party.id).where(Party.village_id == village.id)).all())
    out: dict[str, int] = {}
    for key, data in parties().items():
        if data.name not in existing:
            with on_day(on):
                existing[data.name] = parcels.create_party(village, data, actor=actor).id
        out[key] = existing[data.name]
    return out


def _seed_grain_prices(village: Village, years: Sequence[int]) -> None:
    township = registry.get_township(village.township_id)
    staff = principal("zhengwen")
    for year in years:
        if db.session.execute(select(GrainPrice.id).where(
                GrainPrice.township_id == township.id, GrainPrice.year == year, GrainPrice.grain == "稻谷",
                GrainPrice.basis == "minimum")).first():
            continue
        fen = grain_price(year)
        with on_day(min(date(year, 1, 5), today())):  # 镇农经站 posts the year's price as soon as it is announced
            contracts.set_grain_price(
                township, year, "稻谷", "minimum", fen,
                f"{year}年国家稻谷最低收购价（早籼稻，每50公斤{fen}元），镇农经站转发", actor=staff)


def _lines(spec: Spec, plan: Sequence[PlanParcel], ids: dict[str, int]) -> list[contracts.LineInput]:
    if isinstance(spec.parcels, tuple):
        return [contracts.LineInput(ids[code]) for code in spec.parcels]
    chosen = [p for p in plan if p.block == spec.parcels]
    if not spec.entrusted:
        return [contracts.LineInput(ids[p.code]) for p in chosen]
    numbers: dict[str, int] = {}
    out = []
    for p in chosen:
        assert p.household is not None
        n = numbers.setdefault(p.household, len(numbers) + 1)
        signed = spec.signed - timedelta(days=10 + n % 12)
        out.append(contracts.LineInput(
            ids[p.code], entrustment_no=f"{spec.number}-WT{n:03d}", entrustment_on=signed,
            entrustment_scope=(f"委托村股份经济合作社将本户上列地块经营权出租给流入方，期限{spec.start.isoformat()}"
                               f"至{spec.end.isoformat()}，代收代付租金")))
    return out


def _create(village: Village, spec: Spec, party_id: int, lines: list[contracts.LineInput],
            actor: Principal, decision_id: int | None = None) -> Contract:
    month, day = spec.due or (spec.start.month, spec.start.day)
    with on_day(spec.signed):
        return contracts.create_contract(village, contracts.ContractInput(
            number=spec.number, kind=spec.kind, party_id=party_id, title=spec.title, start_date=spec.start,
            end_date=spec.end, use=spec.use, signed_on=spec.signed, lines=lines, periods=spec.periods,
            due_month=month, due_day=day, rent_kind=spec.rent_kind,
            grain="稻谷" if spec.rent_kind == "in_kind" else None,
            price_basis="minimum" if spec.rent_kind == "in_kind" else None,
            increase_bp=spec.increase[0], increase_every=spec.increase[1], entrusted=spec.entrusted,
            fee_note=spec.fee_note, late_fee_per_10k=spec.late_fee, deposit_fen=spec.deposit_fen,
            deposit_received_on=spec.signed + timedelta(days=5) if spec.deposit_fen else None,
            deposit_held_by="青山镇农村产权交易服务中心风险保障金专户" if spec.deposit_fen else None,
            subsidy_to="承包农户" if spec.kind == "transfer" else None,
            filed_on=spec.signed + timedelta(days=7), note=spec.note, decision_id=decision_id), actor=actor)


def _pay(spec: Spec, c: Contract, on: date, first_open: date, actor: Principal) -> None:
    """Every due the schedule says was paid: in full, ``lead_days`` before it fell due, in an open month."""
    for d in contracts.dues_of(c):
        total = contracts.due_total(d)
        if total is None or d.paid_fen >= total or d.due_date.year in spec.unpaid_years:
            continue
        if d.due_date > on and not (spec.pay_this_year_early and d.due_date.year == on.year):
            continue
        paid_on = max(min(d.due_date - timedelta(days=spec.lead_days), on), spec.signed, first_open)
        ref = None if spec.method == "cash" else f"农商银行转账 {spec.number}-{d.year_no}"
        with on_day(paid_on):
            payments.record_payment(c, payments.PaymentInput(d.id, total - d.paid_fen, paid_on, spec.method, ref),
                                    idempotency_key=f"demo-{spec.number}-{d.year_no}", actor=actor)


LEASE_DECISION = "集体资产出租方案（临街门面、村东鱼塘、蚕房、镇区商铺）"
LEASE_DECISION_FEN = 240_000_00  # the leases' rent over their terms (231,000.00) is within it; 9,000.00 is left


def _lease_decision(village: Village, before: date, secretary: Principal) -> int:
    """The resolved 四议两公开 decision the collective's four leases rest on (a lease of collective assets needs
    one, and its rent over the term stays within the amount the decision states)."""
    found = db.session.execute(select(Decision.id).where(
        Decision.village_id == village.id, Decision.title == LEASE_DECISION)).scalar_one_or_none()
    if found is not None:
        return found
    start = before - timedelta(days=40)
    with on_day(start):
        d = pipeline.create_decision(village.id, pipeline.DecisionInput(
            title=LEASE_DECISION, category="land_contract", origin="村干部提议", amount_fen=LEASE_DECISION_FEN,
            description="集体的临街门面、村东鱼塘、蚕房和镇区商铺公开招租，租期3至5年，各合同租金总额合计不超过24万元，"
                        "租金全部归集体，纳入集体收入管理。",
            decision_body="members_assembly"), actor=secretary)
    for stage, body, days, summary in (("提议", "two_committees", 0, "党支部提议集体资产出租方案"),
                                       ("商议", "two_committees", 4, "两委联席会议商议出租方案"),
                                       ("审议", "party_meeting", 9, "党员大会审议通过出租方案"),
                                       ("决议", "members_assembly", 20, "成员大会表决通过集体资产出租方案")):
        _meeting(d, village, stage, body, start + timedelta(days=days), secretary, absent=2 if days else 0,
                 summary=summary)
    return d.id


def _pass_on(spec: Spec, c: Contract, on: date, actor: Principal) -> None:
    """Each household's part of every payment passed on: by the bank (代发, a batch per payment, two days after
    the rent came in) or, for rent paid in cash, in cash to the household's head the same day."""
    village = registry.get_village(c.village_id)
    for p in db.session.execute(select(RentPayment).where(RentPayment.contract_id == c.id)
                                .order_by(RentPayment.id)).scalars():
        open_ids = list(db.session.execute(
            select(RentAllocation.id).outerjoin(RentPayout, RentPayout.allocation_id == RentAllocation.id)
            .where(RentAllocation.payment_id == p.id, RentAllocation.amount_fen > 0, RentPayout.id.is_(None))
            .order_by(RentAllocation.id)).scalars())
        if not open_ids:
            continue
        day = min(p.paid_on + timedelta(days=2), on) if p.method == "bank" else p.paid_on
        with on_day(day):
            if p.method == "bank":
                b, _ = payouts.create_batch(village, open_ids, idempotency_key=f"demo-batch-{p.id}", actor=actor)
                payouts.mark_batch_paid(b, f"农商银行代发 {spec.number}-{p.id}", day, actor=actor)
                continue
            heads = {h.id: h.head_name for h in registry.households_brief(village.id).values()}
            for aid in open_ids:
                a = db.session.get(RentAllocation, aid)
                assert a is not None
                payouts.pay_cash(village, aid, heads.get(a.household_id) or "户主", day,
                                 idempotency_key=f"demo-cash-{aid}", actor=actor)


def seed_land() -> int:
    """Seed 临江村's land, contracts and rent (see the module docstring); returns the contracts created."""
    village = registry.village_by_code(VILLAGE)
    if village is None:
        return 0
    now = today()
    first_open = max(_first_open_day(village), month_start(now, 24))  # no rent before the books were opened
    plan = land_plan()
    todo = specs(now)
    earliest = min(s.signed for s in todo) - timedelta(days=60)
    ids = _seed_parcels(village, plan, earliest)
    secretary, accountant = principal("wangjianguo"), principal("lixiuying")
    party_ids = _seed_parties(village, secretary, earliest)
    _seed_grain_prices(village, range(now.year - 2, now.year + 1))
    numbers = dict(db.session.execute(
        select(Contract.number, Contract.id).where(Contract.village_id == village.id)).all())
    leases = [s for s in todo if s.kind == "lease"]
    decision_id = _lease_decision(village, min(s.signed for s in leases), secretary) if leases else None
    created = 0
    for spec in todo:
        if spec.number in numbers:
            c = contracts.get_contract(numbers[spec.number])
        else:
            c = _create(village, spec, party_ids[spec.party], _lines(spec, plan, ids), secretary,
                        decision_id if spec.kind == "lease" else None)
            created += 1
        _pay(spec, c, now, first_open, accountant)
        _pass_on(spec, c, now, accountant)
    return created


def arrears_expected(on: date) -> bool:
    """Whether this year's in-kind rent is already overdue on ``on`` (always but on 1 and 2 January)."""
    return max(on - timedelta(days=40), date(on.year, 1, 2)) < on

