"""Figures as printed on a village notice: money as yuan with thousands separators (``1,234.50``) by integer
arithmetic, totals in Chinese capital figures (大写, :func:`amount_in_words`), a seal's short code, a period's name
and dates in Chinese. Pure functions: no database, no Flask. Money is integer fen throughout.

Shared by every 公示 sheet (core.printing.board) and the disclosure's own printing (backend.disclosures.printing).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from backend.core.clock import SHANGHAI

# ------------------------------------------------------------------ money


def require_fen(fen: object) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("金额必须是整数分（int），不能是浮点数")
    return fen


def format_yuan(fen: int) -> str:
    """123450 → ``"1,234.50"``; -5 → ``"-0.05"``. Integer arithmetic only."""
    require_fen(fen)
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def yuan_decimal(fen: int) -> Decimal:
    """123450 → ``Decimal("1234.50")``, exactly (what the workbook stores)."""
    return Decimal(require_fen(fen)).scaleb(-2)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
# the largest amount written: 9999 万亿 yuan (a 亿亿 is not a unit anyone writes)
_MAX_WORDS_FEN = 10**16 * 100 - 1


def _below_10000(n: int) -> str:
    """1 ≤ n ≤ 9999 → 壹仟零伍; zeros inside collapse to one 零, trailing zeros are dropped; 10 is 壹拾."""
    out: list[str] = []
    zero = False
    for i, d in enumerate(f"{n:04d}"):
        if d == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[int(d)] + _SMALL_UNITS[i])
    return "".join(out)


def _integer_words(n: int) -> str:
    """n ≥ 1 whole yuan in capital figures, with 万 and 亿 (亿 groups recurse: 壹万亿)."""
    if n >= 10**8:
        high, low, unit, full = *divmod(n, 10**8), "亿", 10**7
    elif n >= 10**4:
        high, low, unit, full = *divmod(n, 10**4), "万", 10**3
    else:
        return _below_10000(n)
    words = _integer_words(high) + unit
    if low:
        # a zero between the unit and what follows (壹万零伍, 壹亿零壹万) is written once
        words += ("零" if low < full else "") + _integer_words(low)
    return words


def signed_in_words(fen: int) -> str:
    """A total that reversals made negative (more refunded than received) is written 负…: 负壹佰元整."""
    return "负" + amount_in_words(-fen) if fen < 0 else amount_in_words(fen)


def amount_in_words(fen: int) -> str:
    """Integer fen → 人民币大写 as on a 票据: 1234567 → 壹万贰仟叁佰肆拾伍元陆角柒分.

    Rules (《正确填写票据和结算凭证的基本规定》); where they allow two forms, the first one below is written:

    - whole yuan ends in 元整: 100500 → 壹仟零伍元整; 0 → 零元整;
    - zeros inside the number are one 零: 600714 → 陆仟零柒元壹角肆分; 10000000001 → 壹亿零壹元整;
    - 角 is 0 but 分 is not: 零 after 元: 1640902 → 壹万陆仟肆佰零玖元零贰分;
    - the 元 digit is 0 and 角 is not: 零 after 元: 10000010 → 壹拾万元零壹角 (the rules also allow 壹拾万元壹角);
    - no 整 after 角 or 分: 140950 → 壹仟肆佰零玖元伍角;
    - under one yuan, no 元: 5 → 伍分, 50 → 伍角;
    - 10 to 19 are 壹拾…, never a bare 拾.

    Negative amounts are refused (a notice writes a loss as 支出, not as a negative in words), and so is anything
    but ``int`` (floats, bools, Decimals) and amounts of 1 亿亿 yuan or more.
    """
    require_fen(fen)
    if fen < 0:
        raise ValueError("大写金额不能是负数")
    if fen > _MAX_WORDS_FEN:
        raise ValueError("金额太大，无法写成大写")
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    if yuan == 0:
        if rest == 0:
            return "零元整"
        return (_DIGITS[jiao] + "角" if jiao else "") + (_DIGITS[cents] + "分" if cents else "")
    words = _integer_words(yuan) + "元"
    if rest == 0:
        return words + "整"
    if jiao == 0:
        return words + "零" + _DIGITS[cents] + "分"
    if yuan % 10 == 0:
        words += "零"
    return words + _DIGITS[jiao] + "角" + (_DIGITS[cents] + "分" if cents else "")


# ------------------------------------------------------------------ seal, period, dates

_HASH = re.compile(r"^[0-9a-f]{64}\Z")


def short_code(seal_hash: str) -> str:
    """The first 8 hex digits of a SHA-256 seal in two groups of 4: ``"3f2a91bc…"`` → ``"3f2a-91bc"``.

    Printed large on the paper and shown in the mini-program, so a villager can compare the two at a glance.
    It is a convenience for matching, not a proof: the full hash is printed too, and anyone can recompute it
    from the published JSON (``core.seal``). Upper-case input is accepted; anything but 64 hex digits is refused.
    """
    h = seal_hash.strip().lower() if isinstance(seal_hash, str) else ""
    if not _HASH.match(h):
        raise ValueError("封签必须是 64 位十六进制的 SHA-256")
    return f"{h[:4]}-{h[4:8]}"


_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))\Z")
_QUARTERS = "一二三四"


def period_label(period: str) -> str:
    """``"2026-Q3"`` → 2026年第三季度; ``"2026-09"`` → 2026年9月. Anything else is refused."""
    m = _PERIOD.match(period)
    if not m:
        raise ValueError("期间必须是 YYYY-MM 或 YYYY-Qn")
    year, month, quarter = m.groups()
    if month:
        return f"{year}年{int(month)}月"
    return f"{year}年第{_QUARTERS[int(quarter) - 1]}季度"


def published_date(published_at: datetime | None) -> date | None:
    if published_at is None:
        return None
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return published_at.astimezone(SHANGHAI).date()


def cn_date(d: date | None, *, year: int | None = None) -> str:
    """2026-10-08 → 2026年10月8日; with ``year`` equal to its year, just 10月8日."""
    if d is None:
        return "未发布"
    return f"{d.month}月{d.day}日" if d.year == year else f"{d.year}年{d.month}月{d.day}日"
