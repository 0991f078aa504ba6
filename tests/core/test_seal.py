"""Seals: SHA-256 over canonical JSON, chained per village; any change to a sealed record is detected."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from backend.core import seal as seal_mod
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.seal import (
    GENESIS,
    Seal,
    canonical_json,
    compute_hash,
    seal,
    verify_chain,
    verify_seal,
)
from tests.factories import Factory

# ------------------------------------------------------------------ canonical JSON


def test_canonical_json_sorts_keys_has_no_spaces_and_keeps_chinese() -> None:
    payload = {"村": "临江村", "b": [1, {"z": None, "a": True}], "amount_fen": 123450}
    assert canonical_json(payload) == '{"amount_fen":123450,"b":[1,{"a":true,"z":null}],"村":"临江村"}'


def test_canonical_json_is_independent_of_key_order() -> None:
    a = {"period": "2026-Q3", "items": [{"name": "保洁工资", "fen": 60000}], "village": "LJ01"}
    b = {"village": "LJ01", "items": [{"fen": 60000, "name": "保洁工资"}], "period": "2026-Q3"}
    assert canonical_json(a) == canonical_json(b)
    assert canonical_json(a) == (
        '{"items":[{"fen":60000,"name":"保洁工资"}],"period":"2026-Q3","village":"LJ01"}'
    )


def test_canonical_json_keeps_list_order() -> None:
    assert canonical_json([3, 1, 2]) != canonical_json([1, 2, 3])
    assert canonical_json([3, 1, 2]) == "[3,1,2]"


def test_canonical_json_writes_decimal_as_a_string_and_tuple_as_a_list() -> None:
    assert canonical_json({"yuan": Decimal("12.30"), "t": (1, "二")}) == '{"t":[1,"二"],"yuan":"12.30"}'


def test_canonical_json_is_utf8_not_escaped() -> None:
    out = canonical_json({"名称": "土桥村\n第一组"})
    assert "\\u" not in out
    assert out == '{"名称":"土桥村\\n第一组"}'


@pytest.mark.parametrize(
    "payload",
    [
        1.5,
        {"amount": 12.3},
        {"a": [{"b": 1.0}]},
        [1, 2, [3, [4.0]]],
        {"x": {"y": {"z": float("nan")}}},
        ({"fen": 100}, {"fen": 0.5}),
    ],
)
def test_canonical_json_refuses_floats_anywhere(payload: Any) -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_json(payload)


def test_canonical_json_names_where_the_float_is() -> None:
    with pytest.raises(TypeError, match=r"\$\.a\[0\]\.b"):
        canonical_json({"a": [{"b": 1.0}]})


@pytest.mark.parametrize(
    "payload",
    [{1: "a"}, {"d": datetime(2026, 1, 1, tzinfo=UTC)}, {"d": date(2026, 1, 1)}, {"s": {1, 2}}, {"b": b"x"}],
)
def test_canonical_json_refuses_what_has_no_single_spelling(payload: Any) -> None:
    with pytest.raises(TypeError):
        canonical_json(payload)


def test_compute_hash_is_the_public_recipe() -> None:
    canonical = '{"a":1}'
    assert compute_hash("", canonical) == hashlib.sha256(b'\n{"a":1}').hexdigest()
    assert compute_hash("ab" * 32, canonical) == hashlib.sha256(("ab" * 32 + '\n{"a":1}').encode()).hexdigest()
    assert compute_hash("", "临江村") == hashlib.sha256("\n临江村".encode()).hexdigest()


# ------------------------------------------------------------------ sealing and verifying


def _seal_three(village_id: int) -> list[Seal]:
    out = [
        seal(village_id, "disclosure", 11, {"period": "2026-Q1", "total_fen": 123450, "村": "临江村"}),
        seal(village_id, "resolution", 12, {"title": "村道维修", "budget_fen": 5000000}),
        seal(village_id, "dividend_list", 13, {"rows": [{"household": "LJ-005", "fen": 25000}]}),
    ]
    db.session.commit()
    return out


def _update(sql: str, **params: Any) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()


def test_seal_chains_seq_and_prev_hash(make: Factory) -> None:
    v = make.village()
    s1, s2, s3 = _seal_three(v.id)
    assert [s1.seq, s2.seq, s3.seq] == [1, 2, 3]
    assert s1.prev_hash == GENESIS == ""
    assert s2.prev_hash == s1.hash
    assert s3.prev_hash == s2.hash
    assert len({s1.hash, s2.hash, s3.hash}) == 3
    assert (s1.kind, s1.object_id, s1.village_id) == ("disclosure", 11, v.id)
    assert s1.canonical == '{"period":"2026-Q1","total_fen":123450,"村":"临江村"}'
    assert s1.sealed_at.tzinfo is not None


def test_hash_can_be_recomputed_by_hand(make: Factory) -> None:
    v = make.village()
    payload = {"period": "2026-Q1", "total_fen": 123450, "村": "临江村"}
    s1 = seal(v.id, "disclosure", 1, payload)
    s2 = seal(v.id, "disclosure", 2, {"period": "2026-Q2", "total_fen": 5})
    db.session.commit()
    by_hand = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert s1.canonical == by_hand
    assert s1.hash == hashlib.sha256(("" + "\n" + by_hand).encode("utf-8")).hexdigest()
    stored = db.session.execute(select(Seal.prev_hash, Seal.canonical, Seal.hash).where(Seal.id == s2.id)).one()
    assert stored.hash == hashlib.sha256((stored.prev_hash + "\n" + stored.canonical).encode("utf-8")).hexdigest()
    assert stored.prev_hash == s1.hash


def test_verify_chain_ok(make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    db.session.expire_all()
    check = verify_chain(v.id)
    assert check.ok is True
    assert check.count == 3
    assert check.broken_seq is None
    assert check.reason is None


def test_verify_empty_chain_is_ok(make: Factory) -> None:
    v = make.village()
    check = verify_chain(v.id)
    assert (check.ok, check.count, check.broken_seq) == (True, 0, None)


def test_one_changed_byte_of_canonical_is_detected(make: Factory) -> None:
    v = make.village()
    _, s2, _ = _seal_three(v.id)
    original = s2.canonical
    tampered = original.replace("5000000", "5000001")
    assert len(tampered.encode()) == len(original.encode())
    assert sum(a != b for a, b in zip(tampered.encode(), original.encode(), strict=True)) == 1
    _update("UPDATE seals SET canonical = :c WHERE village_id = :v AND seq = 2", c=tampered, v=v.id)
    check = verify_chain(v.id)
    assert check.ok is False
    assert check.broken_seq == 2
    assert check.reason == "内容已被改动"


def test_tampering_is_detected_even_with_the_seals_already_loaded(make: Factory) -> None:
    """verify_chain reads what is stored, not what this session remembers."""
    v = make.village()
    _, s2, _ = _seal_three(v.id)
    db.session.execute(
        text("UPDATE seals SET canonical = :c WHERE village_id = :v AND seq = 2"),
        {"c": s2.canonical.replace("村道", "村路"), "v": v.id},
    )
    check = verify_chain(v.id)
    assert (check.ok, check.broken_seq, check.reason) == (False, 2, "内容已被改动")


def test_changed_chinese_text_in_first_link_is_detected(make: Factory) -> None:
    v = make.village()
    s1, _, _ = _seal_three(v.id)
    _update("UPDATE seals SET canonical = :c WHERE id = :id", c=s1.canonical.replace("临江村", "临江屯"), id=s1.id)
    check = verify_chain(v.id)
    assert (check.ok, check.broken_seq, check.reason) == (False, 1, "内容已被改动")


def test_deleting_a_middle_link_is_detected(make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    _update("DELETE FROM seals WHERE village_id = :v AND seq = 2", v=v.id)
    check = verify_chain(v.id)
    assert check.ok is False
    assert check.broken_seq == 3
    assert check.reason == "缺少封签：链条中断"


def test_deleting_the_first_link_is_detected(make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    _update("DELETE FROM seals WHERE village_id = :v AND seq = 1", v=v.id)
    check = verify_chain(v.id)
    assert (check.ok, check.broken_seq, check.reason) == (False, 2, "缺少封签：链条中断")


def test_editing_a_hash_is_detected(make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    _update("UPDATE seals SET hash = :h WHERE village_id = :v AND seq = 3", h="0" * 64, v=v.id)
    check = verify_chain(v.id)
    assert (check.ok, check.broken_seq, check.reason) == (False, 3, "内容已被改动")


def test_rewriting_a_link_with_a_fresh_hash_breaks_the_next_link(make: Factory) -> None:
    v = make.village()
    _, s2, _ = _seal_three(v.id)
    forged = s2.canonical.replace("5000000", "9000000")
    _update(
        "UPDATE seals SET canonical = :c, hash = :h WHERE village_id = :v AND seq = 2",
        c=forged, h=compute_hash(s2.prev_hash, forged), v=v.id,
    )
    check = verify_chain(v.id)
    assert check.ok is False
    assert check.broken_seq == 3
    assert check.reason == "与上一个封签接不上"


def test_editing_prev_hash_is_detected(make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    _update("UPDATE seals SET prev_hash = :p WHERE village_id = :v AND seq = 2", p="1" * 64, v=v.id)
    check = verify_chain(v.id)
    assert (check.ok, check.broken_seq) == (False, 2)
    assert check.reason == "与上一个封签接不上"


def test_verify_seal_with_the_records_current_payload(make: Factory) -> None:
    v = make.village()
    record = {"title": "2026年度收益分配方案", "per_share_fen": 5000, "households": ["LJ-001", "LJ-005"]}
    s = seal(v.id, "resolution", 7, record)
    db.session.commit()
    assert verify_seal(s) is True
    assert verify_seal(s, dict(reversed(list(record.items())))) is True  # same record, other key order
    changed = {**record, "per_share_fen": 5001}
    assert verify_seal(s, changed) is False
    assert verify_seal(s, {**record, "households": ["LJ-005", "LJ-001"]}) is False
    with pytest.raises(TypeError):
        verify_seal(s, {**record, "per_share_fen": 50.0})


def test_verify_seal_detects_a_changed_stored_text(make: Factory) -> None:
    v = make.village()
    s = seal(v.id, "disclosure", 1, {"a": 1})
    db.session.commit()
    _update("UPDATE seals SET canonical = :c WHERE id = :id", c='{"a":2}', id=s.id)
    db.session.expire_all()
    fresh = db.session.get(Seal, s.id)
    assert fresh is not None
    assert verify_seal(fresh) is False
    assert verify_seal(fresh, {"a": 1}) is True  # the published record itself still matches its hash


def test_chains_of_two_villages_are_independent(make: Factory) -> None:
    lj = make.village()
    xz = make.village("XZ02", "新竹村")
    a1 = seal(lj.id, "disclosure", 1, {"v": "LJ01", "n": 1})
    b1 = seal(xz.id, "disclosure", 1, {"v": "XZ02", "n": 1})
    a2 = seal(lj.id, "disclosure", 2, {"v": "LJ01", "n": 2})
    b2 = seal(xz.id, "disclosure", 2, {"v": "XZ02", "n": 2})
    db.session.commit()
    assert (a1.seq, a2.seq, b1.seq, b2.seq) == (1, 2, 1, 2)
    assert a1.prev_hash == b1.prev_hash == GENESIS
    assert a2.prev_hash == a1.hash
    assert b2.prev_hash == b1.hash
    _update("UPDATE seals SET canonical = :c WHERE id = :id", c='{"n":9,"v":"LJ01"}', id=a1.id)
    assert verify_chain(lj.id).ok is False
    check = verify_chain(xz.id)
    assert (check.ok, check.count) == (True, 2)


def test_two_villages_may_seal_the_same_first_text(make: Factory) -> None:
    lj = make.village()
    xz = make.village("XZ02", "新竹村")
    seal(lj.id, "notice", None, {"title": "防汛通知"})
    s = seal(xz.id, "notice", None, {"title": "防汛通知"})
    assert s.seq == 1


def test_database_refuses_a_second_seal_at_the_same_position(make: Factory) -> None:
    v = make.village()
    s1 = seal(v.id, "disclosure", 1, {"a": 1})
    db.session.commit()
    canonical = '{"a":2}'
    db.session.add(Seal(village_id=v.id, seq=1, kind="disclosure", object_id=2, canonical=canonical,
                        prev_hash="f" * 64, hash=compute_hash("f" * 64, canonical), sealed_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Seal)).scalar_one() == 1
    assert verify_chain(v.id).ok is True
    assert s1.seq == 1


def test_database_refuses_a_fork_from_the_same_previous_seal(make: Factory) -> None:
    v = make.village()
    s1 = seal(v.id, "disclosure", 1, {"a": 1})
    db.session.commit()
    canonical = '{"a":3}'
    db.session.add(Seal(village_id=v.id, seq=5, kind="disclosure", object_id=3, canonical=canonical,
                        prev_hash=s1.prev_hash, hash=compute_hash(s1.prev_hash, canonical), sealed_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_seal_under_a_racing_competitor_is_409_and_the_transaction_survives(
    make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A competitor takes position 1 after seal() read the head and before it writes its own link."""
    v = make.village()
    db.session.commit()
    real_canonical = seal_mod.canonical_json
    competitor_text = '{"who":"competitor"}'

    def racing_canonical(payload: Any) -> str:
        db.session.execute(insert(Seal).values(
            village_id=v.id, seq=1, kind="disclosure", object_id=99, canonical=competitor_text,
            prev_hash=GENESIS, hash=compute_hash(GENESIS, competitor_text), sealed_at=utcnow()))
        return real_canonical(payload)

    monkeypatch.setattr(seal_mod, "canonical_json", racing_canonical)
    with pytest.raises(AppError) as err:
        seal(v.id, "disclosure", 1, {"who": "me"})
    assert err.value.status == 409
    assert err.value.code == "seal.conflict"
    assert err.value.message == "另一项公开正在进行，请稍后重试"
    monkeypatch.setattr(seal_mod, "canonical_json", real_canonical)

    # only the failed link was undone: the competitor's row and the caller's transaction are intact
    db.session.commit()
    rows = db.session.execute(select(Seal.seq, Seal.kind, Seal.object_id).where(Seal.village_id == v.id)).all()
    assert [tuple(r) for r in rows] == [(1, "disclosure", 99)]
    retry = seal(v.id, "disclosure", 1, {"who": "me"})
    db.session.commit()
    assert retry.seq == 2
    assert verify_chain(v.id).ok is True


# ------------------------------------------------------------------ CLI


def test_cli_seal_verify_good_chain_exits_0(app: Flask, make: Factory) -> None:
    v = make.village()
    _seal_three(v.id)
    result = app.test_cli_runner().invoke(args=["seal", "verify", "LJ01"])
    assert result.exit_code == 0, result.output
    assert "临江村：3 个封签，全部验证通过" in result.stdout


def test_cli_seal_verify_empty_chain_exits_0(app: Flask, make: Factory) -> None:
    make.village()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seal", "verify", "lj01"])
    assert result.exit_code == 0, result.output
    assert "临江村：0 个封签，全部验证通过" in result.stdout


def test_cli_seal_verify_tampered_chain_exits_1(app: Flask, make: Factory) -> None:
    v = make.village()
    _, s2, _ = _seal_three(v.id)
    _update("UPDATE seals SET canonical = :c WHERE id = :id", c=s2.canonical.replace("5000000", "5000001"),
            id=s2.id)
    result = app.test_cli_runner().invoke(args=["seal", "verify", "LJ01"])
    assert result.exit_code == 1, result.output
    assert "临江村：第 2 个封签验证失败" in result.stderr
    assert "全部验证通过" not in result.output


def test_cli_seal_verify_unknown_village_exits_1(app: Flask, make: Factory) -> None:
    make.village()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seal", "verify", "NOPE"])
    assert result.exit_code == 1
    assert "找不到村编码 NOPE" in result.output
