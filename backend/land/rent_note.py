"""How a household's rent of one contract year was made, in words it can check with a calculator (``GET /me/land``'s
``this_year.note`` and the fields beside it).

A due is priced for the whole contract (``contracts.price_dues``: the households' rent over the contract's area,
less the collective's service fee) and the net is split over the contract's households by area, largest remainder
(``contracts.household_shares``). A villager does not think in the contract's 310 mu: the note starts from *its*
area and walks the same rule — its area × the price per mu (the grain price × the jin per mu for rent in kind, the
agreed increases, the part of a short contract year), less its area × the service fee — with every intermediate
figure rounded to the fen as shown, so each step can be redone by hand. Splitting the whole contract's rent leaves
at most a few fen of rounding against that; where the household's figure differs by them, the note says so and adds
them, so its last figure is always the one shown as due. Where the household's figure cannot be reached from its own
area (a fee capped at the year's rent, a due priced on terms since changed), the note says in words how it was
shared instead of showing arithmetic that does not add up.

Money is integer fen and exact fractions; areas are ``area_mu4`` (ten-thousandths of a mu) as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from backend.core.money import fen_to_yuan
from backend.core.printing.figures import format_yuan
from backend.land.contracts import round_half_up
from backend.land.models import Contract, RentDue, RentPeriod
from backend.land.parcels import MU4, mu_text

BASIS_WORDS = {"market": "市场价", "minimum": "最低收购价"}


@dataclass(frozen=True)
class MyRentNote:
    """The household's figure of one due, step by step (fen; ``None`` where a step does not apply)."""

    how: str  # area_price | shared | unpriced
    text: str
    my_area_mu4: int
    contract_area_mu4: int
    price_per_mu_fen: int | None = None  # this year's price per mu per year, to the fen, as used in the note
    base_per_mu: int | None = None  # the agreed per mu before increases: fen (cash) or jin (in kind)
    grain_price_fen: int | None = None  # per jin (in kind)
    year_fraction: Fraction | None = None  # a short contract year: days in it / days in a full year
    gross_fen: int | None = None  # my area × the price (× the year's part)
    fee_per_mu_fen: int | None = None
    fee_fen: int | None = None  # the collective's service fee withheld from my rent
    rounding_fen: int = 0  # what splitting the whole contract's rent adds to (or takes from) my own arithmetic

    def fields(self) -> dict[str, Any]:
        """The structured fields of ``this_year`` (yuan strings, areas as ``mu_text``)."""
        def yuan(fen: int | None) -> str | None:
            return fen_to_yuan(fen) if fen is not None else None

        return {
            "note_kind": self.how,
            "my_area_mu": mu_text(self.my_area_mu4),
            "contract_area_mu": mu_text(self.contract_area_mu4),
            "price_per_mu": yuan(self.price_per_mu_fen),
            "grain_price": yuan(self.grain_price_fen),
            "year_fraction": (f"{self.year_fraction.numerator}/{self.year_fraction.denominator}"
                              if self.year_fraction is not None else None),
            "gross": yuan(self.gross_fen),
            "fee_per_mu": yuan(self.fee_per_mu_fen),
            "fee": yuan(self.fee_fen),
            "rounding": fen_to_yuan(self.rounding_fen) if self.how == "area_price" else None,
        }


def _yuan(fen: int) -> str:
    return f"{format_yuan(fen)} 元"


def _next_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def explain(c: Contract, d: RentDue, periods: Sequence[RentPeriod], areas: dict[int, int], household_id: int,
            mine: int | None, grain_price_fen: int | None = None, my_lines: Sequence[int] = ()) -> MyRentNote:
    """The note of ``household_id``'s figure ``mine`` (fen) of due ``d``. ``areas``: household → its area in the
    contract (every household's, ``contracts.household_areas``); ``grain_price_fen``: the year's price per jin that
    priced an in-kind due (``None`` for cash); ``my_lines``: the areas of the household's parcels in the contract,
    added up in the note when there are several."""
    my_area = areas.get(household_id, 0)
    total_area = sum(areas.values())
    if mine is None or d.household_fen is None or d.fee_fen is None:
        pending = d.priced_note or "今年租金尚未确定"
        return MyRentNote("unpriced", f"您家在本合同中有 {mu_text(my_area)} 亩；{pending}。", my_area, total_area)
    shared = _shared(d, my_area, total_area, mine)
    period = next((p for p in periods if p.from_year <= d.year_no <= p.to_year), None)
    in_kind = c.rent_kind == "in_kind"
    if period is None or c.kind != "transfer" or my_area <= 0 or (in_kind and grain_price_fen is None):
        return shared

    mu = Fraction(my_area, MU4)
    steps = (d.year_no - period.from_year) // max(c.increase_every, 1) if c.increase_bp else 0
    factor = (1 + Fraction(c.increase_bp, 10000)) ** steps
    price = round_half_up(Fraction(period.per_mu) * factor * (grain_price_fen if in_kind else 1))
    full_days = (_next_year(d.period_start) - d.period_start).days
    days = (d.period_end - d.period_start).days
    share = Fraction(days, full_days)
    gross = round_half_up(mu * price * share)
    fee = min(round_half_up(mu * period.fee_per_mu * share), gross) if period.fee_per_mu else 0
    rounding = mine - (gross - fee)
    # the whole contract's rounding reaches a household as a few fen at most (three roundings, one of the split,
    # and half a fen per mu of a price rounded to the fen); more means the due rests on something else
    if abs(rounding) > 3 + my_area // MU4:
        return shared

    a = mu_text(my_area)
    every = "每年" if c.increase_every == 1 else f"每{c.increase_every}年"
    increase = f"按合同{every}递增{Decimal(c.increase_bp) / 100}%，已递增{steps}次"
    several = " + ".join(mu_text(x) for x in my_lines) + " = " if len(my_lines) > 1 and sum(my_lines) == my_area \
        else ""
    parts = [f"您家在本合同中有 {several}{a} 亩"]
    if in_kind:
        basis = BASIS_WORDS.get(c.price_basis or "", "")
        text = f"每亩每年{c.grain} {period.per_mu} 斤"
        if steps:
            text += f"，{increase}"
        text += f"，按{d.due_date.year}年{basis}每斤 {format_yuan(grain_price_fen or 0)} 元折 {_yuan(price)}"
        parts.append(text)
    elif steps:
        parts.append(f"每亩每年 {_yuan(period.per_mu)}，{increase}，今年每亩 {_yuan(price)}")
    else:
        parts.append(f"每亩每年 {_yuan(price)}")
    frac = ""
    if share != 1:
        frac = f" × {days}/{full_days}"
        parts.append(f"本合同年只有 {days} 天，按 {days}/{full_days} 年计")
    parts.append(f"{a} × {format_yuan(price)}{frac} = {_yuan(gross)}")
    text = "，".join(parts)
    net = gross - fee
    if fee:
        text += (f"；按合同扣村集体服务费每亩 {_yuan(period.fee_per_mu)}，{a} × {format_yuan(period.fee_per_mu)}"
                 f"{frac} = {_yuan(fee)}，{format_yuan(gross)} − {format_yuan(fee)} = {_yuan(net)}")
    if rounding:
        sign = "+" if rounding > 0 else "−"
        text += (f"；全合同租金按面积分到各户时凑整到分，{'多' if rounding > 0 else '少'} {_yuan(abs(rounding))}，"
                 f"{format_yuan(net)} {sign} {format_yuan(abs(rounding))} = {_yuan(mine)}")
    return MyRentNote("area_price", text + "。", my_area, total_area, price_per_mu_fen=price,
                      base_per_mu=period.per_mu, grain_price_fen=grain_price_fen if in_kind else None,
                      year_fraction=share if share != 1 else None, gross_fen=gross,
                      fee_per_mu_fen=period.fee_per_mu or None, fee_fen=fee or None, rounding_fen=rounding)


def _shared(d: RentDue, my_area: int, total_area: int, mine: int) -> MyRentNote:
    """The figure in words when it is not the household's own area × a price: the households' rent of the whole
    contract, less the fee, shared by area."""
    net = (d.household_fen or 0) - (d.fee_fen or 0)
    fee = f"已扣村集体服务费 {_yuan(d.fee_fen)}，" if d.fee_fen else ""
    text = (f"本合同今年各户租金共 {_yuan(net)}（{fee}全合同 {mu_text(total_area)} 亩），按各户面积分配："
            f"您家 {mu_text(my_area)} 亩，分得 {_yuan(mine)}。")
    return MyRentNote("shared", text, my_area, total_area)
