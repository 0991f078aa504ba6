"""Identity numbers and phone numbers: validated, hashed with a server key, masked for display.

A full ID-card number is never stored. We keep an HMAC of the whole number (to find duplicates and
to match a person), an HMAC of its last six characters (what a villager types to bind), and the
last four characters for display.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

# ASCII only (``\d`` would take any script's digits); full-width input is folded to ASCII first by NFKC.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]\Z")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}\Z")
_LAST6_RE = re.compile(r"^[0-9]{5}[0-9X]\Z")


def _fold(raw: str | None) -> str:
    """Full-width digits, letters, "＋" and blanks (typed with a Chinese IME) → their ASCII forms."""
    return unicodedata.normalize("NFKC", raw or "")


class IdentityError(ValueError):
    """The text is not a valid number; ``str(err)`` is a Chinese reason."""


def normalize_id_card(raw: str) -> str:
    """Validate an 18-character resident ID (GB 11643-1999): format, birth date and check digit."""
    s = re.sub(r"\s", "", _fold(raw)).upper()
    if not _ID_RE.match(s):
        raise IdentityError("身份证号应为18位，最后一位可以是数字或X")
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError as exc:
        raise IdentityError("身份证号中的出生日期不正确") from exc
    if born.year < 1880:
        raise IdentityError("身份证号中的出生日期不正确")
    total = sum(int(d) * w for d, w in zip(s[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != s[17]:
        raise IdentityError("身份证号校验位不正确，请核对")
    return s


def birth_date_from_id(id_card: str) -> date:
    s = normalize_id_card(id_card)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def gender_from_id(id_card: str) -> str:
    """'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(normalize_id_card(id_card)[16]) % 2 == 1 else "F"


def normalize_last6(raw: str) -> str:
    s = _fold(raw).strip().upper()
    if not _LAST6_RE.match(s):
        raise IdentityError("请填写身份证号后6位（最后一位可以是X）")
    return s


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the server key; ``purpose`` keeps different uses apart."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def id_hashes(key: bytes, id_card: str) -> tuple[str, str, str]:
    """(hash of the whole number, hash of its last 6, its last 4) for a valid ID number."""
    s = normalize_id_card(id_card)
    return keyed_hash(key, "id", s), keyed_hash(key, "id6", s[-6:]), s[-4:]


def last6_hash(key: bytes, last6: str) -> str:
    return keyed_hash(key, "id6", normalize_last6(last6))


def normalize_phone(raw: str) -> str:
    s = re.sub(r"[\s-]", "", _fold(raw))
    if s.startswith("+86"):
        s = s[3:]
    if not _PHONE_RE.match(s):
        raise IdentityError("手机号应为11位数字")
    return s


# a mainland landline: area code (010, 0531 …), the number (7 or 8 digits), an extension; or a 400/800 number
# (three-digit area codes are 010 and 02x, all others four digits: so the split needs no dash)
_LANDLINE_RE = re.compile(r"^(010|02[0-9]|0[3-9][0-9]{2})-?([2-9][0-9]{6,7})(?:-([0-9]{1,6}))?\Z")
_SERVICE_RE = re.compile(r"^([48]00)-?([0-9]{3})-?([0-9]{4})\Z")


def normalize_contact_phone(raw: str) -> str:
    """A contact number of a person or a company: a mainland mobile (13812345678) or a landline with its area code
    (0531-87654321, an extension after a dash), or a 400/800 number; full-width digits folded, blanks and brackets
    around the area code dropped. Stored as typed once: mobiles as 11 digits, the others with dashes."""
    s = re.sub(r"\s", "", _fold(raw))
    s = re.sub(r"^\((0[0-9]{2,3})\)-?", r"\1-", s)  # (010)62345678
    if s.startswith("+86"):
        s = s[3:].lstrip("-")
    if _PHONE_RE.match(mobile := s.replace("-", "")):
        return mobile
    if m := _LANDLINE_RE.match(s):
        area, number, ext = m.groups()
        return f"{area}-{number}" + (f"-{ext}" if ext else "")
    if m := _SERVICE_RE.match(s):
        return "-".join(m.groups())
    raise IdentityError("电话应为11位手机号，或带区号的固定电话（如 0531-87654321）")


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; a shorter number shows at most its last 4 and always hides 4 or more."""
    if not phone:
        return None
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    if len(phone) >= 8:
        return "****" + phone[-4:]
    return "****"


def mask_name(name: str) -> str:
    """张大山 → 张*山, 李四 → 李*: for public lists where the rules ask for masking."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
