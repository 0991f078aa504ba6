"""The ``Idempotency-Key`` header: a retry with the same key and the same request gets the first result, so a write
whose answer was lost on a weak network is never done twice.

Two ways of keeping a key:

- endpoints that move money or cast a ballot keep it with what they created, under a unique constraint of their own
  (ballots, rent payments, payouts: :func:`key_from_request` and the domain's rule);
- every other write the mini-program makes is wrapped in :func:`idempotent`, which keeps the key and the first
  answer in one table, ``idempotent_requests`` (unique per scope and key).

How :func:`idempotent` keeps the key and the write together. The views commit themselves, so the decorator cannot
wrap them in a transaction of its own; instead it *reserves* the key (inserts its row, without an answer, and
flushes) before the view runs. The view's ``db.session.commit()`` then commits the reservation with the write, or
its failure rolls both back: there is never a key without its write, nor a write without its key. When the view
returns a 2xx, the answer (status and body) is written onto the row and committed. When it fails (an exception, or
a 4xx/5xx it returns), the reservation is removed (even one a view committed before failing, as a failed bind does
to count its attempt): a failed request keeps nothing, so the same key may be tried again.

A retry finds the row: the same request (method, path, query and body) gets the first answer again, with
``Idempotent-Replayed: true``; another request under the same key is refused (422 ``idempotency.key_reused``). A
concurrent duplicate waits on the unique index until the first commits (PostgreSQL), then replays its answer once it
is written — or, if the first is still running after ``IDEMPOTENCY_WAIT_SECONDS``, gets 409
``idempotency.in_progress``. Keys are kept ``IDEMPOTENCY_KEEP_HOURS`` (48 by default): an older row is never replayed
and is purged (on the fly, at most every few minutes per process, and by :func:`purge`).

The scope of a key is the person (logged-in writes), or what an endpoint names: a hash of the bind ticket for
``/auth/bind`` (no login yet), a hash of the bearer token for ``/auth/logout`` (whose retry arrives with a token
already revoked). Fields named ``unkept`` (a new token) are never stored: a replay asks ``reissue`` for fresh ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Response, current_app, request
from sqlalchemy import CheckConstraint, Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.errors import AppError, conflict, unprocessable
from backend.core.permissions import require_login

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 80
OPENAPI_PARAMETER: dict[str, Any] = {"in": "header", "name": HEADER, "required": False,
                                     "schema": {"type": "string", "maxLength": MAX_LENGTH}}
# the parameter as the endpoints wrapped in @idempotent describe it
STORED_PARAMETER: dict[str, Any] = {
    **OPENAPI_PARAMETER,
    "description": "可选。网络中断后用同一个键、同一请求重试，得到第一次的结果（响应头 Idempotent-Replayed: true），"
                   "不会重复办理；同一个键用于不同的请求返回 422 idempotency.key_reused；第一次还在处理时返回 409 "
                   "idempotency.in_progress。键默认保留 48 小时（IDEMPOTENCY_KEEP_HOURS）。",
}

KEEP_HOURS = 48  # IDEMPOTENCY_KEEP_HOURS
WAIT_SECONDS = 5.0  # IDEMPOTENCY_WAIT_SECONDS: how long a duplicate waits for the first request's answer
PURGE_EVERY = timedelta(minutes=10)  # the on-the-fly purge, per process
PURGE_BATCH = 1000  # rows it deletes at most each time
MAX_BODY = 200_000  # an answer larger than this is not kept (the key still is: a retry then gets 409)

F = TypeVar("F", bound=Callable[..., Any])
Scope = Callable[[Any], "str | None"]  # the request's JSON body → the scope (None: no key kept for this request)


class IdempotentRequest(db.Model):
    """One key of one scope: the request it was first used for (a hash) and, once done, the answer it got."""

    __tablename__ = "idempotent_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_LENGTH), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None while the first is running
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    __table_args__ = (
        db.UniqueConstraint("scope", "key", name="uq_idempotent_requests_scope_key"),
        CheckConstraint("status_code IS NULL OR (status_code >= 200 AND status_code < 300)", name="status"),
        CheckConstraint("(status_code IS NULL) = (response_body IS NULL)", name="answered"),
    )


def key_from_request() -> str | None:
    """The request's key, trimmed; None when absent; 400 when empty, longer than 80 characters or not printable."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable():  # a NUL could not even be stored
        raise AppError(400, "idempotency.key_invalid", f"{HEADER} 应为 1 到 {MAX_LENGTH} 个字符")
    return key


# ---------------------------------------------------------------- scopes


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def person_scope(_body: Any) -> str:
    """The logged-in person (401 without a login, as the view would answer)."""
    return f"person:{require_login().person_id}"


def token_scope(_body: Any) -> str | None:
    """The bearer token presented, as a hash: a retried logout still finds its key after the token is revoked."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return f"token:{_digest(raw.strip())}" if scheme.lower() == "bearer" and raw.strip() else None


def field_scope(name: str) -> Scope:
    """A secret of the request's body (a bind ticket), as a hash: for writes made before there is a login."""

    def scope(body: Any) -> str | None:
        value = body.get(name) if isinstance(body, dict) else None
        return f"{name}:{_digest(value)}" if isinstance(value, str) and value else None

    return scope


# ---------------------------------------------------------------- the decorator


def idempotent(view: F | None = None, *, scope: Scope = person_scope, unkept: tuple[str, ...] = (),
               reissue: Callable[[Any], dict[str, Any]] | None = None) -> Any:
    """Route decorator: the write honours ``Idempotency-Key`` (see the module's docstring). Put it under
    ``@requires`` (the permission is checked first, and the loaded objects pass through) and above
    ``@blp.arguments`` (a body the schema refuses fails after the reservation, which is then removed).

    ``scope`` names whose keys these are (the person by default); ``unkept`` names answer fields never stored, and
    ``reissue(body)`` gives them afresh to a replay (a new token for the same binding)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = key_from_request()
            if key is None:
                return fn(*args, **kwargs)
            body = request.get_json(silent=True)
            owner = scope(body)
            if owner is None:
                return fn(*args, **kwargs)
            return _run(fn, args, kwargs, owner, key, body, unkept, reissue)

        wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
        manual = wrapper._apidoc.setdefault("manual_doc", {})  # type: ignore[attr-defined]
        params = [p for p in manual.get("parameters", []) if p.get("name") != HEADER]
        manual["parameters"] = [*params, STORED_PARAMETER]
        return wrapper  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate


def _fingerprint(body: Any) -> str:
    """The request as a hash: method, path, query and body (JSON in a canonical form, so key order is no change)."""
    if body is not None:
        content = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    else:
        content = request.get_data(cache=True) or b""
    h = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string, content):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def _cutoff() -> datetime:
    return utcnow() - timedelta(hours=_setting("IDEMPOTENCY_KEEP_HOURS", KEEP_HOURS))


def _find(owner: str, key: str) -> IdempotentRequest | None:
    return db.session.execute(select(IdempotentRequest).where(
        IdempotentRequest.scope == owner, IdempotentRequest.key == key)).scalar_one_or_none()


def _run(fn: Callable[..., Any], args: Any, kwargs: Any, owner: str, key: str, body: Any,
         unkept: tuple[str, ...], reissue: Callable[[Any], dict[str, Any]] | None) -> Any:
    fingerprint = _fingerprint(body)
    found = _find(owner, key)
    if found is not None and found.created_at < _cutoff():  # kept past its time: as if it had never been used
        db.session.delete(found)
        db.session.flush()
        found = None
    if found is None:
        _purge_now_and_then()  # with the reservation: committed with the write (a replay commits nothing)
        row = IdempotentRequest(scope=owner, key=key, method=request.method, path=request.path[:300],
                                request_hash=fingerprint)
        try:  # a plain INSERT, not a savepoint: on SQLite (pysqlite) it opens the request's transaction, so the
            db.session.add(row)  # view's own savepoints nest inside it rather than commit on release
            db.session.flush()
        except IntegrityError:  # a duplicate committed its reservation while we waited on the unique index
            db.session.rollback()
            return _replay(owner, key, fingerprint, body, reissue, _find(owner, key))
        reserved = row.id
    else:
        return _replay(owner, key, fingerprint, body, reissue, found)

    try:
        rv = fn(*args, **kwargs)
    except BaseException:
        _release(reserved)
        raise
    resp = rv if isinstance(rv, Response) else current_app.make_response(rv)
    if not 200 <= resp.status_code < 300:
        _release(reserved)
        return resp
    _keep(reserved, owner, key, fingerprint, resp, unkept)
    return resp


def _release(reserved: int) -> None:
    """Undo a reservation: what the view did not commit is rolled back; a reservation it committed before failing is
    deleted (only while it has no answer: never another request's row)."""
    db.session.rollback()
    try:
        db.session.execute(delete(IdempotentRequest).where(
            IdempotentRequest.id == reserved, IdempotentRequest.status_code.is_(None)))
        db.session.commit()
    except Exception:  # the failure being answered matters more than a leftover row (it expires)
        db.session.rollback()
        log.exception("could not release idempotency key %s", reserved)


def _kept_body(resp: Response, unkept: tuple[str, ...]) -> str:
    if resp.status_code == 204:
        return ""
    text = resp.get_data(as_text=True)
    if unkept and resp.is_json:
        data = json.loads(text)
        if isinstance(data, dict):
            text = json.dumps({k: v for k, v in data.items() if k not in unkept}, ensure_ascii=False)
    return text


def _keep(reserved: int, owner: str, key: str, fingerprint: str, resp: Response, unkept: tuple[str, ...]) -> None:
    """Write the answer onto the reservation and commit it (with whatever the view left uncommitted)."""
    try:
        text = _kept_body(resp, unkept)
        if len(text) > MAX_BODY:
            log.warning("answer of %s not kept for replay (%d characters)", request.path, len(text))
            db.session.commit()
            return
        done = db.session.execute(update(IdempotentRequest).where(IdempotentRequest.id == reserved).values(
            status_code=resp.status_code, response_body=text).execution_options(synchronize_session=False))
        if not done.rowcount:  # type: ignore[attr-defined]  # the view rolled back and wrote again: keep it anew
            db.session.add(IdempotentRequest(scope=owner, key=key, method=request.method, path=request.path[:300],
                                             request_hash=fingerprint, status_code=resp.status_code,
                                             response_body=text))
        db.session.commit()
    except Exception:  # the write is done and answered; a retry then finds no answer kept and waits or gets 409
        db.session.rollback()
        log.exception("could not keep the answer of idempotency key %s", reserved)


def _replay(owner: str, key: str, fingerprint: str, body: Any, reissue: Callable[[Any], dict[str, Any]] | None,
            found: IdempotentRequest | None = None) -> Response:
    """The first answer again; or 422 for another request under the key; or 409 while the first is still running."""
    deadline = time.monotonic() + _setting("IDEMPOTENCY_WAIT_SECONDS", WAIT_SECONDS)
    while True:
        if found is not None and found.request_hash != fingerprint:
            raise unprocessable("idempotency.key_reused",
                                "这个 Idempotency-Key 已经用于另一个不同的请求，请换一个新的键再提交")
        if found is not None and found.status_code is not None:
            break
        if time.monotonic() >= deadline:
            raise conflict("idempotency.in_progress", "这个操作正在办理，请稍后刷新页面查看结果，不要重复提交")
        time.sleep(0.05)
        db.session.rollback()  # a fresh look at what has been committed since
        found = _find(owner, key)
    text = found.response_body or ""
    if reissue is not None:
        data = json.loads(text) if text else {}
        data.update(reissue(body))
        text = json.dumps(data, ensure_ascii=False)
    resp = Response(text or None, status=found.status_code, mimetype="application/json" if text else None)
    resp.headers[REPLAYED_HEADER] = "true"
    return resp


# ---------------------------------------------------------------- purge

_last_purge: list[float] = [-math.inf]  # never yet: a first write purges (monotonic time starts near 0 at boot)


def purge(before: datetime | None = None) -> int:
    """Delete the keys older than ``before`` (default: kept for IDEMPOTENCY_KEEP_HOURS); returns how many. The caller
    commits."""
    res = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < (before or _cutoff()))
                             .execution_options(synchronize_session=False))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def _purge_now_and_then() -> None:
    """Purge in the request's transaction, at most every ten minutes in each process: up to PURGE_BATCH expired rows
    (an indexed range), skipping rows another request's purge holds, so that two writes never wait on each other's
    purge (PostgreSQL; SQLite has one writer at a time anyway)."""
    now = time.monotonic()
    if now - _last_purge[0] < PURGE_EVERY.total_seconds():
        return
    _last_purge[0] = now
    expired = (select(IdempotentRequest.id).where(IdempotentRequest.created_at < _cutoff())
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id.in_(expired.scalar_subquery()))
                       .execution_options(synchronize_session=False))
