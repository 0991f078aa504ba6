"""Seals: a SHA-256 over the canonical JSON of a published record, chained per village.

``hash = sha256(prev_hash + "\\n" + canonical_json)``, where ``prev_hash`` is the previous seal of the
same village ("" for the first). Anyone holding the published JSON can recompute it; changing a
single byte of any sealed record, or removing one, breaks the chain from there on. Seals are
append-only: the database refuses two seals with the same position in a village's chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.errors import conflict

GENESIS = ""


def _check(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"float at {path}: seal money as int fen or a string")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"non-string key at {path}")
            _check(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
    elif not (value is None or isinstance(value, str | int | bool | Decimal)):
        raise TypeError(f"{type(value).__name__} at {path}: convert to str first")


def canonical_json(payload: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept as is; floats are refused (money is fen or a string)."""
    _check(payload)
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def compute_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical).encode("utf-8")).hexdigest()


class Seal(db.Model):
    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # disclosure, resolution, dividend_list …
    object_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    canonical: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "seq", name="uq_seals_village_seq"),
        UniqueConstraint("village_id", "prev_hash", name="uq_seals_village_prev"),
        UniqueConstraint("village_id", "hash", name="uq_seals_village_hash"),
    )


def seal(village_id: int, kind: str, object_id: int | None, payload: Any) -> Seal:
    """Seal ``payload`` as the next link of the village's chain (in the caller's transaction).

    Two publications racing for the same position: the database's unique constraint lets one
    through and the other gets 409 ``seal.conflict`` (its transaction must be retried whole).
    """
    head = db.session.execute(
        select(Seal.seq, Seal.hash).where(Seal.village_id == village_id).order_by(Seal.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    canonical = canonical_json(payload)
    s = Seal(
        village_id=village_id,
        seq=seq,
        kind=kind,
        object_id=object_id,
        canonical=canonical,
        prev_hash=prev,
        hash=compute_hash(prev, canonical),
        sealed_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(s)
            db.session.flush()
    except IntegrityError as exc:
        raise conflict("seal.conflict", "另一项公开正在进行，请稍后重试") from exc
    return s


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int
    broken_seq: int | None = None
    reason: str | None = None


def verify_seal(s: Seal, payload: Any | None = None) -> bool:
    """Does the stored hash match its text (and, if given, the record as it is now)?"""
    canonical = canonical_json(payload) if payload is not None else s.canonical
    return compute_hash(s.prev_hash, canonical) == s.hash


def verify_chain(village_id: int) -> ChainCheck:
    prev = GENESIS
    count = 0
    # populate_existing: check what is stored, not what this session's identity map remembers
    rows = db.session.execute(
        select(Seal).where(Seal.village_id == village_id).order_by(Seal.seq).execution_options(populate_existing=True)
    ).scalars()
    for expected_seq, s in enumerate(rows, start=1):
        count += 1
        if s.seq != expected_seq:
            return ChainCheck(False, count, s.seq, "缺少封签：链条中断")
        if s.prev_hash != prev:
            return ChainCheck(False, count, s.seq, "与上一个封签接不上")
        if compute_hash(s.prev_hash, s.canonical) != s.hash:
            return ChainCheck(False, count, s.seq, "内容已被改动")
        prev = s.hash
    return ChainCheck(True, count)
