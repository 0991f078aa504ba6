"""Money: integer fen in code, a string of yuan with two decimals in the API, never float."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.money import MoneyError, fen_to_yuan, split_largest_remainder, yuan_to_fen

_CJK = re.compile(r"[\u4e00-\u9fff]")

# ------------------------------------------------------------------ fen_to_yuan


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (5, "0.05"),
        (-5, "-0.05"),
        (10, "0.10"),
        (100, "1.00"),
        (123450, "1234.50"),
        (-123450, "-1234.50"),
        (12345, "123.45"),
        (-100, "-1.00"),
        (99, "0.99"),
        (-99, "-0.99"),
        (10_000_000_000_00, "10000000000.00"),
    ],
)
def test_fen_to_yuan_examples(fen: int, shown: str) -> None:
    assert fen_to_yuan(fen) == shown


@pytest.mark.parametrize("bad", [1.5, 1.0, True, False, Decimal("100"), "100", None])
def test_fen_to_yuan_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError):
        fen_to_yuan(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------ yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0.05", 5),
        ("-0.05", -5),
        ("1234.5", 123450),
        ("1234.50", 123450),
        ("1234", 123400),
        ("0", 0),
        ("-0", 0),
        ("0.1", 10),
        ("0.01", 1),
        ("  12.30  ", 1230),  # surrounding blanks are trimmed
        ("9999999999999.99", 999999999999999),  # 13 digits of yuan is the most
        ("007.5", 750),
        ("１２３．４５", 12345),  # full-width digits and point, as a Chinese input method types them
        ("－０．５", -50),
    ],
)
def test_yuan_to_fen_from_text(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(("yuan", "fen"), [(0, 0), (1, 100), (1234, 123400), (-7, -700)])
def test_yuan_to_fen_from_whole_yuan_int(yuan: int, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (Decimal("1234.5"), 123450),
        (Decimal("1234.50"), 123450),
        (Decimal("0.05"), 5),
        (Decimal("-0.05"), -5),
        (Decimal("12"), 1200),
        (Decimal("1E+2"), 10000),
        (Decimal("-0.00"), 0),
    ],
)
def test_yuan_to_fen_from_decimal_with_at_most_two_places(value: Decimal, fen: int) -> None:
    result = yuan_to_fen(value)
    assert result == fen
    assert type(result) is int


@pytest.mark.parametrize(
    "bad",
    [
        "1.234",
        "abc",
        "",
        "   ",
        " 1,000",
        "1,000.00",
        "1.",
        ".5",
        "+1.00",
        "1e3",
        "¥12.00",
        "12.00元",
        "--1",
        "1 000",
        "12.3.4",
        "0x10",
        "NaN",
        "Infinity",
        "10000000000000.00",  # 14 digits of yuan: beyond any village's books
        "١٢٣",  # Arabic-Indic digits
    ],
)
def test_yuan_to_fen_refuses_bad_text_with_a_chinese_reason(bad: str) -> None:
    with pytest.raises(MoneyError) as err:
        yuan_to_fen(bad)
    assert _CJK.search(str(err.value)), str(err.value)


@pytest.mark.parametrize("bad", [1.5, 0.1, 12.0, float("nan"), float("inf"), True, False])
def test_yuan_to_fen_refuses_float_and_bool(bad: object) -> None:
    with pytest.raises(MoneyError) as err:
        yuan_to_fen(bad)  # type: ignore[arg-type]
    assert str(err.value) == "金额必须是精确的数字，不能是浮点数"


@pytest.mark.parametrize(
    "bad",
    [Decimal("0.001"), Decimal("1.005"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
     Decimal("-Infinity"), Decimal("1E+40")],
)
def test_yuan_to_fen_refuses_bad_decimal(bad: Decimal) -> None:
    with pytest.raises(MoneyError) as err:
        yuan_to_fen(bad)
    assert _CJK.search(str(err.value))


def test_yuan_to_fen_decimal_with_three_places_says_two_decimals() -> None:
    with pytest.raises(MoneyError, match="两位小数"):
        yuan_to_fen(Decimal("0.001"))


def test_yuan_to_fen_nan_is_a_format_error_not_a_decimals_error() -> None:
    with pytest.raises(MoneyError, match="金额格式不正确"):
        yuan_to_fen(Decimal("NaN"))


@pytest.mark.parametrize("bad", [None, [], {"yuan": "1"}, b"1.00", Fraction(1, 3)])
def test_yuan_to_fen_refuses_other_types(bad: object) -> None:
    with pytest.raises(MoneyError):
        yuan_to_fen(bad)  # type: ignore[arg-type]


def test_money_error_is_a_value_error() -> None:
    assert issubclass(MoneyError, ValueError)


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_round_trip_any_fen_through_yuan_text(fen: int) -> None:
    text = fen_to_yuan(fen)
    assert re.fullmatch(r"-?\d+\.\d{2}", text)
    assert yuan_to_fen(text) == fen


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_round_trip_any_fen_through_decimal(fen: int) -> None:
    assert yuan_to_fen(Decimal(fen_to_yuan(fen))) == fen


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_yuan_int_is_hundred_fen(yuan: int) -> None:
    assert yuan_to_fen(yuan) == yuan * 100
    assert fen_to_yuan(yuan_to_fen(yuan)) == f"{yuan}.00"


# ------------------------------------------------------------------ split_largest_remainder


def test_split_ten_thousand_fen_three_ways() -> None:
    assert split_largest_remainder(10000, [1, 1, 1]) == [3334, 3333, 3333]


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (101, [1, 1, 1], [34, 34, 33]),
        (2, [1, 1, 1], [1, 1, 0]),
        (0, [3, 2], [0, 0]),
        (7, [0, 1], [0, 7]),
        (10, [1], [10]),
        (100, [1, 3], [25, 75]),
        (10, [1, 2, 3, 4], [1, 2, 3, 4]),
        # exact shares 1.5, 2.5, 3 -> floors 1, 2, 3 = 6; the one fen left goes to the earlier tie
        (7, [3, 5, 6], [2, 2, 3]),
        # remainders .3 and .7: the larger remainder wins even though it comes later
        (3, [1, 9], [0, 3]),
        (11, [1, 9, 0], [1, 10, 0]),
        # 250.00 元 of dividends for 3 成员股 + 2 劳龄股 at equal weight
        (25000, [3, 2], [15000, 10000]),
        # Decimal and Fraction weights (land areas in mu)
        (256000, [Decimal("1.20"), Decimal("2.00")], [96000, 160000]),
        (100, [Fraction(1, 3), Fraction(2, 3)], [33, 67]),
    ],
)
def test_split_examples(total: int, weights: list, parts: list[int]) -> None:
    assert split_largest_remainder(total, weights) == parts


def test_split_ties_go_to_earlier_positions() -> None:
    # 5 fen over 4 equal weights: exact share 1.25 each, one fen left, it goes to the first
    assert split_largest_remainder(5, [1, 1, 1, 1]) == [2, 1, 1, 1]
    assert split_largest_remainder(7, [1, 1, 1, 1]) == [2, 2, 2, 1]
    # a zero weight in front does not take the leftover
    assert split_largest_remainder(5, [0, 1, 1, 1, 1]) == [0, 2, 1, 1, 1]


def test_split_leftover_by_remainder_not_by_weight() -> None:
    # shares 0.6, 0.6, 8.8 → floors 0, 0, 8 (sum 8); 2 left: remainders .6, .6, .8 → third, then first
    assert split_largest_remainder(10, [6, 6, 88]) == [1, 0, 9]


@pytest.mark.parametrize(
    ("total", "weights"),
    [(-1, [1, 1]), (100, [1, -1]), (100, [Decimal("-0.01"), 5]), (100, []), (100, [0, 0, 0]), (0, [0])],
)
def test_split_refusals(total: int, weights: list) -> None:
    with pytest.raises(ValueError):
        split_largest_remainder(total, weights)


@pytest.mark.parametrize("bad_total", [10.0, 10.5, True, Decimal("10"), "10"])
def test_split_refuses_a_total_that_is_not_int_fen(bad_total: object) -> None:
    with pytest.raises(TypeError):
        split_largest_remainder(bad_total, [1, 1])  # type: ignore[arg-type]


def test_split_refuses_float_weights() -> None:
    with pytest.raises(TypeError):
        split_largest_remainder(100, [0.5, 0.5])  # type: ignore[list-item]


def test_split_does_not_change_its_input() -> None:
    weights = [3, 1, 2]
    split_largest_remainder(100, weights)
    assert weights == [3, 1, 2]


_weight = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=1000, max_denominator=50),
)
_weights = st.lists(_weight, min_size=1, max_size=40).filter(lambda ws: sum(Fraction(w) for w in ws) > 0)
_total = st.integers(min_value=0, max_value=10**13)


@given(_total, _weights)
def test_split_parts_sum_exactly_to_total(total: int, weights: list) -> None:
    parts = split_largest_remainder(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(type(p) is int and p >= 0 for p in parts)


@given(_total, _weights)
def test_split_each_part_is_floor_or_ceil_of_its_exact_share(total: int, weights: list) -> None:
    parts = split_largest_remainder(total, weights)
    s = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        exact = Fraction(total) * Fraction(w) / s
        floor = exact.numerator // exact.denominator
        assert part in (floor, floor + 1)
        if exact.denominator == 1:
            assert part == floor  # an exact share is never rounded


@given(_total, _weights)
def test_split_zero_weight_gets_zero(total: int, weights: list) -> None:
    parts = split_largest_remainder(total, weights)
    for part, w in zip(parts, weights, strict=True):
        if Fraction(w) == 0:
            assert part == 0


@given(_total, _weights)
def test_split_is_deterministic(total: int, weights: list) -> None:
    assert split_largest_remainder(total, list(weights)) == split_largest_remainder(total, tuple(weights))


@given(_total, st.integers(min_value=1, max_value=1000), st.integers(min_value=1, max_value=200))
def test_split_equal_weights_differ_by_at_most_one_and_extras_come_first(total: int, w: int, n: int) -> None:
    parts = split_largest_remainder(total, [w] * n)
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)  # the extra fen go to the earliest positions
    assert parts.count(total // n + 1) == total % n


@given(_total, _weights)
def test_split_leftover_goes_to_the_largest_remainders(total: int, weights: list) -> None:
    parts = split_largest_remainder(total, weights)
    s = sum(Fraction(w) for w in weights)
    exact = [Fraction(total) * Fraction(w) / s for w in weights]
    rem = [e - (e.numerator // e.denominator) for e in exact]
    up = [i for i, (p, e) in enumerate(zip(parts, exact, strict=True)) if p > e]
    down = [i for i, (p, e) in enumerate(zip(parts, exact, strict=True)) if p < e]
    for i in up:
        for j in down:
            # nobody rounded down has a larger remainder than someone rounded up (ties: earlier first)
            assert rem[j] < rem[i] or (rem[j] == rem[i] and i < j)


@given(_total, _weights, st.integers(min_value=2, max_value=1000))
def test_split_scaling_all_weights_changes_nothing(total: int, weights: list, k: int) -> None:
    scaled = [Fraction(w) * k for w in weights]
    assert split_largest_remainder(total, scaled) == split_largest_remainder(total, weights)


@given(st.integers(min_value=0, max_value=10**12),
       st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(lambda ws: sum(ws) > 0))
def test_split_with_integer_weights_is_the_exact_split(total: int, weights: list[int]) -> None:
    """Integer weights take a path of integers only (divmod over the sum); it gives what the exact fractions give,
    remainders, ties and all."""
    fast = split_largest_remainder(total, weights)
    exact = split_largest_remainder(total, [Fraction(w) for w in weights])
    assert fast == exact
    assert sum(fast) == total
