"""The home screen's summary in plain words: one short sentence for what reached the household this year, and one
for each thing still owed to it, with when — for people who will not add up a table.

Rules (the one place they are stated):

- **Received** is ``money_this_year`` (``service.money_in_year``): dividends paid, land rent passed on to the
  household, the caller's job pay paid — in the calendar year, whatever year the money was for. Rent the collective
  received and has not passed on is not received.
- **Owed**, each a sentence of its own, in this order:
  - land rent the transferee has not paid yet, by the date the contract sets (this year's, and earlier years' still
    unpaid — "已过期" once the date is past): the household's part less what reached it and what waits to be passed on
    (``land.rent_position``); dues of one date are added up;
  - land rent whose amount is not known yet (a grain price not yet announced, 长包短定 not yet agreed), with its date;
  - land rent received by the collective and not yet passed on (待转付): owed, not received;
  - dividends published and not yet paid to the household, per distribution; "公示到 X月X日" while the 公示 runs;
  - the caller's job pay recorded and not yet paid.
  When nothing is owed: "今年应得的都已到账。" if anything reached the household this year, "目前没有待到账的钱。"
  otherwise.
- Money as the phone shows it ("2,560.00 元"), dates as "12月31日" (with the year when it is not this year). Each
  sentence is a clause or two, about 30 characters at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.core.money import fen_to_yuan
from backend.core.printing.figures import format_yuan


@dataclass(frozen=True)
class Owed:
    kind: str  # land_rent | land_rent_unpriced | rent_awaiting | dividend | job_pay
    text: str
    amount_fen: int | None = None
    by: date | None = None  # the date the money is due by (land rent) or the 公示 ends (dividends)
    overdue: bool = False

    def view(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text,
                "amount": fen_to_yuan(self.amount_fen) if self.amount_fen is not None else None,
                "by": self.by, "overdue": self.overdue}


def money_text(fen: int) -> str:
    return f"{format_yuan(fen)} 元"


def day_text(d: date, this_year: int) -> str:
    return f"{d.month}月{d.day}日" if d.year == this_year else f"{d.year}年{d.month}月{d.day}日"


def received_sentence(dividends: int, land_rent: int, job_pay: int) -> str:
    named = (("分红", dividends), ("土地租金", land_rent), ("岗位工资", job_pay))
    parts = [(label, fen) for label, fen in named if fen]
    if not parts:
        return "今年还没有钱到账。"
    if len(parts) == 1:
        label, fen = parts[0]
        return f"今年已到账{label} {money_text(fen)}。"
    total = sum(fen for _, fen in parts)
    return f"今年已到账 {money_text(total)}：" + "、".join(f"{label} {money_text(fen)}" for label, fen in parts) + "。"


def owed_items(on: date, rent: Any, dividend_lines: Sequence[tuple[Any, Any]],
               job_pay: Sequence[Any] = ()) -> list[Owed]:
    """What is still owed to the household on ``on``: ``rent`` a ``land.RentPosition`` (or None), ``dividend_lines``
    the household's (distribution, line) of published distributions, ``job_pay`` the caller's pay rows."""
    out: list[Owed] = []
    year = on.year
    if rent is not None:
        by_date: dict[date, int] = {}
        unpriced: list[Any] = []
        awaiting = 0
        for item in rent.owed:
            awaiting += item.awaiting_fen
            if item.owed_fen is None:
                unpriced.append(item)
            elif item.owed_fen:
                by_date[item.due_date] = by_date.get(item.due_date, 0) + item.owed_fen
        for day, fen in sorted(by_date.items()):
            late = on > day
            text = f"还有 {money_text(fen)}土地租金未到账，合同约定{day_text(day, year)}前付"
            text += "，已过期。" if late else "。"
            out.append(Owed("land_rent", text, fen, day, late))
        for item in sorted(unpriced, key=lambda i: i.due_date):
            why = f"（{item.pending}）" if item.pending else ""
            text = f"土地租金金额待定{why}，合同约定{day_text(item.due_date, year)}前付。"
            out.append(Owed("land_rent_unpriced", text, None, item.due_date, on > item.due_date))
        if awaiting:
            out.append(Owed("rent_awaiting", f"村里已代收土地租金 {money_text(awaiting)}，待转付到您家。", awaiting))
    for d, ln in sorted(dividend_lines, key=lambda x: (x[0].year, x[0].id)):
        if ln.paid_on is not None or not ln.amount_fen:
            continue
        until = d.publicity_until
        if until is not None and on <= until:
            text = f"{d.year}年度分红 {money_text(ln.amount_fen)}公示到{day_text(until, year)}，之后发放。"
            out.append(Owed("dividend", text, ln.amount_fen, until))
        else:
            out.append(Owed("dividend", f"{d.year}年度分红 {money_text(ln.amount_fen)}待发放。", ln.amount_fen))
    unpaid_pay = sum(pay.amount_fen for pay in job_pay if pay.paid_on is None)
    if unpaid_pay:
        out.append(Owed("job_pay", f"岗位工资 {money_text(unpaid_pay)}已记账，待发放。", unpaid_pay))
    return out


def summary(received: tuple[int, int, int], owed: list[Owed]) -> dict[str, Any]:
    """``received``: (dividends, land rent, job pay) in fen that reached the household this year; ``owed``: from
    :func:`owed_items`."""
    first = received_sentence(*received)
    if owed:
        rest = [o.text for o in owed]
    elif any(received):
        rest = ["今年应得的都已到账。"]
    else:
        rest = ["目前没有待到账的钱。"]
    return {
        "received": first,
        "owed": rest,
        "sentences": [first, *rest],
        "owed_total": sum(o.amount_fen or 0 for o in owed),
        "owed_items": [o.view() for o in owed],
    }
