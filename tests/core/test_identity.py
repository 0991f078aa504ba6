"""Identity numbers and phone numbers: validated, hashed with a server key, masked for display."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.identity import (
    IdentityError,
    birth_date_from_id,
    gender_from_id,
    id_hashes,
    keyed_hash,
    last6_hash,
    mask_name,
    mask_phone,
    normalize_id_card,
    normalize_last6,
    normalize_phone,
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")

# The demo people of docs/demo.md: (ID number, birth date, gender)
DEMO_IDS = [
    ("371427196803120115", date(1968, 3, 12), "M"),  # 王建国
    ("371427197508240223", date(1975, 8, 24), "F"),  # 李秀英
    ("371427196201050316", date(1962, 1, 5), "M"),  # 赵德明
    ("371427197009180422", date(1970, 9, 18), "F"),  # 陈桂兰
    ("37142719720415051X", date(1972, 4, 15), "M"),  # 张大山
    ("371427199901010829", date(1999, 1, 1), "F"),  # 张小燕
    ("371427198506300629", date(1985, 6, 30), "F"),  # 刘小梅
    ("371427195302110715", date(1953, 2, 11), "M"),  # 孙有福
    ("371427197807220919", date(1978, 7, 22), "M"),  # 周海
    ("371427198103090137", date(1981, 3, 9), "M"),  # 吴强
    ("371427199002020468", date(1990, 2, 2), "F"),  # 何丽
    ("371427198305270240", date(1983, 5, 27), "F"),  # 郑雯
    ("371427197901010352", date(1979, 1, 1), "M"),  # 冯立
]
KEY = b"k" * 32
OTHER_KEY = b"o" * 32

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _with_check(body17: str) -> str:
    """The independent reference: GB 11643-1999 ISO 7064 MOD 11-2."""
    total = sum(int(d) * w for d, w in zip(body17, _W, strict=True))
    return body17 + "10X98765432"[total % 11]


def _chinese_error(exc: pytest.ExceptionInfo[IdentityError]) -> str:
    msg = str(exc.value)
    assert _CJK.search(msg), msg
    assert not _ASCII_WORD.search(msg.replace("X", "")), msg
    return msg


# ------------------------------------------------------------------ ID numbers


@pytest.mark.parametrize(("id_no", "born", "gender"), DEMO_IDS)
def test_demo_ids_are_valid(id_no: str, born: date, gender: str) -> None:
    assert normalize_id_card(id_no) == id_no
    assert birth_date_from_id(id_no) == born
    assert gender_from_id(id_no) == gender


@pytest.mark.parametrize(("id_no", "born", "gender"), DEMO_IDS)
def test_one_changed_digit_fails_the_check_digit(id_no: str, born: date, gender: str) -> None:
    # change the sequence code (positions 14-16): the date stays valid, only the check digit can catch it
    for pos in (14, 15, 16):
        d = int(id_no[pos])
        changed = id_no[:pos] + str((d + 1) % 10) + id_no[pos + 1:]
        with pytest.raises(IdentityError) as err:
            normalize_id_card(changed)
        assert _chinese_error(err) == "身份证号校验位不正确，请核对"


def test_a_changed_check_digit_fails() -> None:
    with pytest.raises(IdentityError, match="校验位"):
        normalize_id_card("371427196803120116")
    with pytest.raises(IdentityError, match="校验位"):
        normalize_id_card("37142719720415051" + "0")
    with pytest.raises(IdentityError, match="校验位"):
        normalize_id_card("37142719680312011X")


def test_swapped_digits_fail() -> None:
    with pytest.raises(IdentityError, match="校验位"):
        normalize_id_card("371427196803121015")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(body: str, pos: int, delta: int) -> None:
    body = "371427" + "19800101" + body[14:]  # a valid birth date, random sequence code
    good = _with_check(body)
    changed = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1:]
    with pytest.raises(IdentityError):
        normalize_id_card(changed)


@pytest.mark.parametrize(
    "bad_date",
    ["19680230", "19680231", "19681301", "19680001", "19680100", "19690229", "18790101"],
)
def test_bad_birth_date_is_refused(bad_date: str) -> None:
    id_no = _with_check("371427" + bad_date + "011")  # right check digit: only the date is wrong
    with pytest.raises(IdentityError) as err:
        normalize_id_card(id_no)
    assert _chinese_error(err) == "身份证号中的出生日期不正确"


def test_leap_day_is_accepted() -> None:
    id_no = _with_check("371427" + "19680229" + "011")
    assert birth_date_from_id(id_no) == date(1968, 2, 29)


def test_lower_case_x_is_accepted_and_normalised() -> None:
    assert normalize_id_card("37142719720415051x") == "37142719720415051X"
    a = id_hashes(KEY, "37142719720415051x")
    b = id_hashes(KEY, "37142719720415051X")
    assert a == b
    assert a[2] == "051X"


def test_blanks_are_ignored() -> None:
    assert normalize_id_card("  371427 19680312 0115 ") == "371427196803120115"


def test_full_width_digits_are_normalised_to_ascii() -> None:
    # typed with a Chinese IME in full-width mode: the same person, so the same hash
    full = "３７１４２７１９７２０４１５０５１Ｘ"
    assert normalize_id_card(full) == "37142719720415051X"
    assert id_hashes(KEY, full) == id_hashes(KEY, "37142719720415051X")


def test_digits_of_other_scripts_are_refused() -> None:
    arabic = "".join(chr(0x0660 + int(c)) for c in "37142719720415051") + "X"
    with pytest.raises(IdentityError):
        normalize_id_card(arabic)


@pytest.mark.parametrize(
    "bad",
    ["37142719680312011", "3714271968031201150", "", "   ", "37142719680312011Y", "X71427196803120115",
     "3714271968031201X5", "37142719680312011-", "371427680312011"],
)
def test_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(IdentityError) as err:
        normalize_id_card(bad)
    assert _chinese_error(err) == "身份证号应为18位，最后一位可以是数字或X"


def test_none_is_refused_not_crashing() -> None:
    with pytest.raises(IdentityError):
        normalize_id_card(None)  # type: ignore[arg-type]


def test_17_characters_refused() -> None:
    with pytest.raises(IdentityError, match="18位"):
        normalize_id_card("37142719680312011")


def test_gender_and_birth_date() -> None:
    assert gender_from_id("371427196803120115") == "M"
    assert gender_from_id("371427197508240223") == "F"
    assert gender_from_id("37142719720415051X") == "M"
    assert birth_date_from_id("37142719720415051x") == date(1972, 4, 15)
    with pytest.raises(IdentityError):
        gender_from_id("371427196803120116")
    with pytest.raises(IdentityError):
        birth_date_from_id("371427196802300116")


# ------------------------------------------------------------------ keyed hashes


def test_keyed_hash_is_hmac_sha256_of_purpose_and_value() -> None:
    expected = hmac.new(KEY, b"id:371427196803120115", hashlib.sha256).hexdigest()
    assert keyed_hash(KEY, "id", "371427196803120115") == expected
    assert re.fullmatch(r"[0-9a-f]{64}", expected)


def test_same_input_same_hash() -> None:
    assert id_hashes(KEY, "371427196803120115") == id_hashes(KEY, "371427196803120115")
    assert last6_hash(KEY, "120115") == last6_hash(KEY, "120115")


def test_different_key_different_hash() -> None:
    full_a, six_a, four_a = id_hashes(KEY, "371427196803120115")
    full_b, six_b, four_b = id_hashes(OTHER_KEY, "371427196803120115")
    assert full_a != full_b
    assert six_a != six_b
    assert four_a == four_b == "0115"
    assert last6_hash(KEY, "120115") != last6_hash(OTHER_KEY, "120115")


def test_full_and_last6_purposes_differ() -> None:
    assert keyed_hash(KEY, "id", "120115") != keyed_hash(KEY, "id6", "120115")
    full, six, four = id_hashes(KEY, "371427196803120115")
    assert full != six
    assert full == keyed_hash(KEY, "id", "371427196803120115")
    assert six == keyed_hash(KEY, "id6", "120115")
    assert four == "0115"


def test_last6_hash_matches_the_id_hashes_last6() -> None:
    _, six, _ = id_hashes(KEY, "37142719720415051X")
    assert last6_hash(KEY, "15051x") == six
    assert last6_hash(KEY, " 15051X ") == six
    assert last6_hash(KEY, "15051X") != id_hashes(KEY, "371427196803120115")[1]


def test_hashes_never_contain_the_number() -> None:
    full, six, four = id_hashes(KEY, "371427196803120115")
    assert four == "0115"
    assert "371427196803120115" not in full + six
    assert "120115" not in six


def test_id_hashes_refuses_an_invalid_number() -> None:
    with pytest.raises(IdentityError):
        id_hashes(KEY, "371427196803120116")


@pytest.mark.parametrize(("raw", "norm"), [("120115", "120115"), ("15051x", "15051X"), (" 15051X ", "15051X"),
                                           ("０５１５１Ｘ", "05151X")])
def test_normalize_last6(raw: str, norm: str) -> None:
    assert normalize_last6(raw) == norm


@pytest.mark.parametrize("bad", ["12011", "1201155", "X20115", "12011Y", "", "abcdef", "12 011", None])
def test_normalize_last6_refusals(bad: str) -> None:
    with pytest.raises(IdentityError) as err:
        normalize_last6(bad)
    assert _chinese_error(err) == "请填写身份证号后6位（最后一位可以是X）"


# ------------------------------------------------------------------ phone numbers


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        (" 13812345678 ", "13812345678"),
        ("19912345678", "19912345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width from a Chinese IME
        ("＋８６ １３８ １２３４ ５６７８", "13812345678"),
    ],
)
def test_normalize_phone(raw: str, norm: str) -> None:
    assert normalize_phone(raw) == norm


@pytest.mark.parametrize(
    "bad",
    ["1381234567", "138123456789", "12812345678", "23812345678", "+85213812345678", "1381234567a", "",
     "(+86)13812345678", "010-12345678", None, "1" + "".join(chr(0x0660 + int(c)) for c in "3812345678")],
)
def test_normalize_phone_refusals(bad: str) -> None:
    with pytest.raises(IdentityError) as err:
        normalize_phone(bad)
    assert _chinese_error(err) == "手机号应为11位数字"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("19900001111", "199****1111"),
        (None, None),
        ("", None),
        ("123", "****"),
        # shorter numbers (a landline) must not be shown in full under a "mask"
        ("1234567", "****"),
        ("62345678", "****5678"),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_mask_phone_always_hides_at_least_four_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked is not None
    assert masked != phone
    shown = sum(c.isdigit() for c in masked)
    assert shown <= len(phone) - min(4, len(phone))


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张", "张"), ("李四", "李*"), ("张大山", "张*山"), ("欧阳娜娜", "欧**娜"), ("", "")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_errors_are_value_errors() -> None:
    assert issubclass(IdentityError, ValueError)
