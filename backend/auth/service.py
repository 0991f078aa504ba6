"""Login through WeChat, binding to the roster, tokens, and the principal of each request."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.auth.models import ApiToken, BindTicket, WeChatAccount
from backend.core import audit
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.core.downloads import link_token_id
from backend.core.errors import AppError, conflict, not_found, unauthorized
from backend.core.identity import IdentityError, normalize_phone
from backend.core.permissions import TOWNSHIP_ROLES, VILLAGE_STAFF, Principal
from backend.core.shared_pages import note_version, page_version_column
from backend.registry import Person
from backend.wechat import gateway_from_config

# the roles that may log in to the staff console, and whose loss stops a console token
STAFF_ROLES = VILLAGE_STAFF | TOWNSHIP_ROLES
NOT_STAFF_ANYMORE = ("auth.not_staff_anymore", "您已不再担任管理职务，请重新扫码登录")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_staff(principal: Principal) -> bool:
    return any(gr.role in STAFF_ROLES for gr in principal.grants)


@dataclass
class LoginResult:
    bound: bool
    token: str | None = None
    expires_at: datetime | None = None
    principal: Principal | None = None
    bind_ticket: str | None = None
    ticket_expires_at: datetime | None = None


def _gateway() -> Any:
    return gateway_from_config(current_app.config)


# ---------------------------------------------------------------- login


def wechat_login(code: str) -> LoginResult:
    """Exchange a wx.login code for our own login state (WeChat's session_key stays here)."""
    session = _gateway().code_to_session(code)
    appid = current_app.config["WECHAT_APPID"]
    account = db.session.execute(
        select(WeChatAccount).where(WeChatAccount.appid == appid, WeChatAccount.openid == session.openid)
    ).scalar_one_or_none()
    now = utcnow()
    if account is None:
        try:
            with db.session.begin_nested():  # a rolled-back savepoint also forgets the pending row
                account = WeChatAccount(appid=appid, openid=session.openid)
                db.session.add(account)
        except IntegrityError:  # the same person logged in twice at once: use the row the other request made
            account = db.session.execute(
                select(WeChatAccount).where(WeChatAccount.appid == appid, WeChatAccount.openid == session.openid)
            ).scalar_one()
    account.session_key = session.session_key
    account.unionid = session.unionid or account.unionid
    account.last_login_at = now
    if account.person_id is not None:
        token, expires = issue_token(account.person_id, account.id)
        db.session.commit()
        return LoginResult(True, token, expires, registry.load_principal(account.person_id))
    raw = secrets.token_urlsafe(32)
    ttl = timedelta(minutes=current_app.config["BIND_TICKET_TTL_MINUTES"])
    db.session.add(
        BindTicket(ticket_hash=_hash(raw), wechat_account_id=account.id, created_at=now, expires_at=now + ttl)
    )
    db.session.commit()
    return LoginResult(False, bind_ticket=raw, ticket_expires_at=now + ttl)


def issue_token(person_id: int, account_id: int | None, kind: str = "app") -> tuple[str, datetime]:
    """A new bearer token (only its hash is kept): the mini-program's (``app``) or the staff console's."""
    raw, token = _new_token(person_id, account_id, kind)
    return raw, token.expires_at


def _new_token(person_id: int, account_id: int | None, kind: str) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["CONSOLE_TOKEN_TTL_HOURS" if kind == "console" else "TOKEN_TTL_HOURS"]
    token = ApiToken(token_hash=_hash(raw), person_id=person_id, wechat_account_id=account_id, created_at=now,
                     expires_at=now + timedelta(hours=hours), kind=kind)
    db.session.add(token)
    return raw, token


# ---------------------------------------------------------------- binding


def _lock_ticket(raw: str) -> BindTicket:
    ticket = db.session.execute(
        select(BindTicket).where(BindTicket.ticket_hash == _hash(raw)).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if ticket is None or ticket.expires_at <= now or ticket.used_at is not None:
        raise unauthorized("auth.ticket_invalid", "登录已过期，请重新进入小程序")
    account = ticket.account
    blocked = account.bind_blocked_until is not None and account.bind_blocked_until > now
    if ticket.locked_at is not None or blocked:
        until = account.bind_blocked_until
        raise AppError(
            429,
            "auth.too_many_attempts",
            "尝试次数过多，请稍后再试或联系村委会",
            {"retry_after_seconds": max(0, int((until - now).total_seconds())) if until else None},
        )
    return ticket


def _fail(ticket: BindTicket, method: str, reason: str) -> AppError:
    """Count a failed attempt (committed even though the request fails) and say what to do."""
    limit = current_app.config["BIND_MAX_FAILURES"]
    ticket.failures += 1
    now = utcnow()
    audit.record(
        "auth.bind_failed",
        "wechat_account",
        ticket.wechat_account_id,
        actor=None,
        after={"method": method, "reason": reason, "failures": ticket.failures},
    )
    if ticket.failures >= limit:
        ticket.locked_at = now
        lock = timedelta(minutes=current_app.config["BIND_LOCK_MINUTES"])
        ticket.account.bind_blocked_until = now + lock
        db.session.commit()
        return AppError(
            429,
            "auth.too_many_attempts",
            "尝试次数过多，请稍后再试或联系村委会",
            {"retry_after_seconds": int(lock.total_seconds())},
        )
    db.session.commit()
    return not_found(
        "auth.member_not_found",
        "没有找到与您信息一致的在册人员，请核对村编码、姓名和身份证后6位",
        attempts_left=limit - ticket.failures,
    )


def bind_by_roster(raw_ticket: str, village_code: str, name: str, id_card_last6: str) -> LoginResult:
    ticket = _lock_ticket(raw_ticket)
    try:
        people = registry.find_people_for_bind(village_code, name, id_card_last6)
    except AppError:
        db.session.rollback()
        raise
    return _complete_bind(ticket, people, "roster")


def bind_by_phone(raw_ticket: str, phone_code: str) -> LoginResult:
    ticket = _lock_ticket(raw_ticket)
    phone = _gateway().get_phone_number(phone_code)
    try:
        phone = normalize_phone(phone)
    except IdentityError:
        raise _fail(ticket, "phone", "not_a_mainland_number") from None
    return _complete_bind(ticket, registry.find_people_by_phone(phone), "phone")


def _complete_bind(ticket: BindTicket, people: list[Person], method: str) -> LoginResult:
    if len(people) != 1:
        raise _fail(ticket, method, "no_match" if not people else "ambiguous")
    person = people[0]
    account = ticket.account
    if account.person_id is not None:
        db.session.rollback()
        raise conflict("auth.already_bound", "该微信已绑定，请重新进入小程序")
    other = db.session.execute(select(WeChatAccount.id).where(WeChatAccount.person_id == person.id)).first()
    if other is not None:
        db.session.rollback()
        raise conflict("auth.already_bound", "此人已绑定其他微信，如需更换请联系村委会")
    now = utcnow()
    account.person_id, account.bound_at = person.id, now
    ticket.used_at = now
    token, expires = issue_token(person.id, account.id)
    try:
        principal = registry.load_principal(person.id)  # flushes the binding: a concurrent bind fails here
        assert principal is not None
        audit.record("auth.bind", "wechat_account", account.id, actor=None, village_id=principal.village_id,
                     township_id=principal.township_id, after={"person_id": person.id, "method": method})
        db.session.commit()
    except IntegrityError:  # a concurrent bind of the same person won the race
        db.session.rollback()
        raise conflict("auth.already_bound", "此人已绑定其他微信，如需更换请联系村委会") from None
    return LoginResult(True, token, expires, principal)


def bind_reissue(body: dict[str, Any]) -> dict[str, Any]:
    """A bind retried with the same Idempotency-Key after its answer was lost (core/idempotency.py): the first
    token is never kept, so a new one for the binding that ticket made — only while the ticket would still be valid
    and the account is still bound as it made it (an unbinding, or a new binding since, refuses as a used ticket)."""
    ticket = db.session.execute(
        select(BindTicket).where(BindTicket.ticket_hash == _hash(str(body.get("bind_ticket", ""))))
    ).scalar_one_or_none()
    account = ticket.account if ticket is not None else None
    if (ticket is None or account is None or ticket.used_at is None or ticket.expires_at <= utcnow()
            or account.person_id is None or account.bound_at != ticket.used_at):
        raise unauthorized("auth.ticket_invalid", "登录已过期，请重新进入小程序")
    token, expires = issue_token(account.person_id, account.id)
    db.session.commit()
    return {"token": token, "expires_at": to_iso(expires)}


def unbind(person_id: int, *, actor: Principal) -> None:
    """Staff release a person's WeChat binding (lost phone): tokens are revoked at once."""
    account = db.session.execute(select(WeChatAccount).where(WeChatAccount.person_id == person_id)).scalar_one_or_none()
    if account is None:
        raise not_found("auth.not_bound", "此人尚未绑定微信")
    account.person_id, account.bound_at = None, None
    now = utcnow()
    for tok in db.session.execute(
        select(ApiToken).where(ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None))
    ).scalars():
        tok.revoked_at = now
    person = registry.load_principal(person_id)
    audit.record("auth.unbind", "wechat_account", account.id, actor=actor,
                 village_id=person.village_id if person else None, township_id=person.township_id if person else None,
                 before={"person_id": person_id})


# ---------------------------------------------------------------- tokens on each request


_tokens = ApiToken.__table__
# the token and its person's principal in one statement, built once: every authenticated request runs it
# …and the page version of the shared pages (core/shared_pages.py), read at the start of the request as they need it
_TOKEN_WITH_PRINCIPAL = registry.principal_stmt(_tokens.c.person_id).add_columns(
    _tokens.c.id, _tokens.c.expires_at, _tokens.c.revoked_at, _tokens.c.kind, page_version_column()
)
_AUTHENTICATE = _TOKEN_WITH_PRINCIPAL.where(_tokens.c.token_hash == bindparam("token_hash"))
# a download link names its token by id (core/downloads.py): the same statement and the same rules
_AUTHENTICATE_BY_ID = _TOKEN_WITH_PRINCIPAL.where(_tokens.c.id == bindparam("token_id"))


def authenticate(raw: str) -> tuple[Principal | None, str | None]:
    """(principal, None) for a live token, else (None, reason). One statement: the token with its principal.

    A console token is good only while its person holds a staff role: the roles come with the same statement, so
    this costs no query."""
    return _live(_run(_AUTHENTICATE, {"token_hash": _hash(raw)}))


def _run(stmt: Any, params: dict[str, Any]) -> Sequence[Any]:
    """The token's statement on the session's connection: a Core statement needs none of the ORM's execution (50 µs
    of every request); it runs first in the request, with nothing in the session to flush."""
    return db.session.connection().execute(stmt, params).all()


def _live(rows: Sequence[Any]) -> tuple[Principal | None, str | None]:
    """The rules of a token, whichever way it was named: live (not revoked, not expired), and a console token only
    while its person holds a staff role."""
    if not rows:
        return None, "invalid"
    token_id, expires_at, revoked_at, kind, version = rows[0][registry.PRINCIPAL_COLUMNS :]
    note_version(version)
    if revoked_at is not None:
        return None, "invalid"
    if expires_at <= utcnow():
        return None, "expired"
    principal = registry.principal_of(rows, token_id)
    if kind == "console" and (principal is None or not is_staff(principal)):
        return None, "not_staff"
    return principal, None


def token_kind(principal: Principal) -> str | None:
    """``app`` or ``console``: which client the request's token was given to (None without a token)."""
    if principal.token_id is None:
        return None
    return db.session.execute(select(ApiToken.kind).where(ApiToken.id == principal.token_id)).scalar_one_or_none()


def logout(principal: Principal) -> None:
    tok = db.session.get(ApiToken, principal.token_id)
    if tok is not None and tok.revoked_at is None:
        tok.revoked_at = utcnow()
        audit.record("auth.logout", "api_token", tok.id, actor=principal, village_id=principal.village_id,
                     township_id=principal.township_id)
    db.session.commit()


def install_request_loader(app: Flask) -> None:
    @app.before_request
    def _load_principal() -> None:
        g.principal = None
        link_token = link_token_id(request.environ)  # a verified download link stands for its token
        if link_token is not None:
            rows = _run(_AUTHENTICATE_BY_ID, {"token_id": link_token})
            g.principal, g.auth_problem = _live(rows)
        else:
            header = request.headers.get("Authorization", "")
            if not header:
                return
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                g.auth_problem = "invalid"
                return
            g.principal, g.auth_problem = authenticate(raw.strip())
        if g.auth_problem == "not_staff":  # whatever the endpoint: the console must go back to its log-in page
            raise unauthorized(*NOT_STAFF_ANYMORE)


# ---------------------------------------------------------------- /me


def me(principal: Principal) -> dict[str, Any]:
    """Who the caller is: the principal of the request (already read) and the names of their places (one
    statement; none for a person with neither a roster entry nor a township)."""
    places = None
    if principal.township_id is not None:
        places = registry.places_of(principal.township_id, principal.village_id)
    member = village = None
    if principal.member_id is not None:
        member = {"id": principal.member_id, "name": principal.name, "household_id": principal.household_id}
        if places is not None and places.village_id is not None:
            village = {"id": places.village_id, "code": places.village_code, "name": places.village_name}
    township = None
    if places is not None:
        township = {"id": places.township_id, "name": places.township_name, "code": places.township_code}
    scopes = []
    for gr in principal.grants:
        scopes.append({"role": gr.role, "village_ids": sorted(gr.village_ids), "township_id": gr.township_id})
    return {
        "person_id": principal.person_id,
        "name": principal.name,
        "member": member,
        "village": village,
        "township": township,
        "roles": principal.roles(),
        "scopes": scopes,
    }


def openids_of(person_ids: Sequence[int]) -> dict[int, str]:
    """person id → the openid of the WeChat account bound to them (people without one are left out)."""
    if not person_ids:
        return {}
    rows = db.session.execute(select(WeChatAccount.person_id, WeChatAccount.openid).where(
        WeChatAccount.person_id.in_(list(person_ids))))
    return {pid: openid for pid, openid in rows if pid is not None}


def bound_counts(village_ids: list[int]) -> dict[int, int]:
    """village id → how many people on its active roster have a bound WeChat account (every id is a key)."""
    # one grouped statement (a person has one roster entry), not the roster's ids sent back as thousands of parameters
    return registry.roster_counts_among(village_ids, select(WeChatAccount.person_id))
