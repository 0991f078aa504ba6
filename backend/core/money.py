"""Money is integer fen. The API shows yuan as a string with two decimals: ``"1234.50"``.

Never float: parsing refuses floats outright, and splitting a pool uses the largest-remainder
method so that the parts add up to the whole exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# ASCII digits only (``\d`` would also take other scripts' digits, "١٢٣"); full-width digits, sign and point, typed
# with a Chinese input method ("１２３．４５"), are folded to ASCII first (NFKC), as for every number of the API.
_YUAN = re.compile(r"^(-)?([0-9]{1,13})(?:\.([0-9]{1,2}))?\Z")


class MoneyError(ValueError):
    """A text that is not an amount of yuan with at most two decimals."""


def fen_to_yuan(fen: int) -> str:
    """12345 → "123.45"; -5 → "-0.05"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("fen must be int")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_to_fen(value: str | int | Decimal) -> int:
    """ "1234.5" → 123450. Accepts str, int (whole yuan) or Decimal with ≤ 2 places; refuses float."""
    if isinstance(value, (bool, float)):
        raise MoneyError("金额必须是精确的数字，不能是浮点数")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("金额格式不正确")
        try:
            q = value.quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise MoneyError("金额格式不正确") from exc
        if q != value:
            raise MoneyError("金额最多保留两位小数")
        return int(q * 100)
    m = _YUAN.match(unicodedata.normalize("NFKC", value).strip()) if isinstance(value, str) else None
    if not m:
        raise MoneyError("金额格式不正确，例如 1234.50")
    sign, whole, frac = m.groups()
    fen = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
    return -fen if sign else fen


def split_largest_remainder(total: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` so that the parts sum to ``total`` exactly.

    Each part gets the floor of its exact share; the fen left over go one each to the parts with
    the largest remainders, ties broken by position (earlier first) so the result is deterministic.
    Weights must be ≥ 0 with a positive sum; ``total`` must be ≥ 0.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("total must be int fen")
    if total < 0:
        raise ValueError("total must be >= 0")
    if not weights:
        raise ValueError("no weights")
    if any(isinstance(w, float | bool) for w in weights):
        raise TypeError("weights must be int, Decimal or Fraction, never float")
    integers = all(type(w) is int for w in weights)  # the usual case (shares, areas in 0.0001 mu)
    ws: list[int] | list[Fraction] = list(weights) if integers else [Fraction(w) for w in weights]  # type: ignore[arg-type]
    if any(w < 0 for w in ws):
        raise ValueError("weights must be >= 0")
    whole = sum(ws)
    if whole <= 0:
        raise ValueError("weights must have a positive sum")
    if integers:  # integers only, exact: the remainders share one denominator, so they compare as they are
        split = [divmod(total * w, whole) for w in ws]
        parts = [q for q, _ in split]
        remainders: list[int] | list[Fraction] = [r for _, r in split]
    else:
        exact = [total * w / whole for w in ws]
        parts = [int(e) for e in exact]  # floor, since all are >= 0
        remainders = [e - p for e, p in zip(exact, parts, strict=True)]
    left = total - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts
