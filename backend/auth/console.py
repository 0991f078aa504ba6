"""The staff console's log-in: a QR code the console shows, approved in the mini-program by a staff member.

- The console asks for a ticket (:func:`create_ticket`) and gets two random values: the ``ticket``, its own secret
  that it polls with (kept here only as a SHA-256 hash), and the ``code``, the public id the QR code carries. A
  photograph of the QR code gives the code, never the ticket: whoever holds only the code cannot poll.
- A staff member scans the code in the mini-program, reads which console asks (browser, address, time) and approves
  (:func:`approve`) or refuses (:func:`refuse`) it with their app token. Only a person who holds a staff role now
  may approve; the ticket lives ``CONSOLE_TICKET_SECONDS`` (at most 120).
- The console's next poll (:func:`poll`) turns the approved ticket into ``used`` with one conditional UPDATE, and only
  the request whose UPDATE changed the row makes the console token: two polls at once give one token, once.
- Outside production a newcomer without a phone logs in as a demo staff member (:func:`demo_login`) through the same
  WeChat gateway (the stand-in's ``demo-<key>`` codes), the same staff check and the same kind of token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update

from backend import registry
from backend.auth.models import ConsoleTicket, WeChatAccount
from backend.auth.service import (
    NOT_STAFF_ANYMORE,
    STAFF_ROLES,
    _gateway,
    _hash,
    _new_token,
    is_staff,
    me,
    token_kind,
)
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError, forbidden, not_found, unauthorized
from backend.core.permissions import Principal, role_label

QR_PREFIX = "sunshine-console:"
POLL_INTERVAL_SECONDS = 2
KEEP_OLD_TICKETS = timedelta(days=1)  # expired tickets are deleted after a day (the audit log keeps the approvals)
BROWSER_LENGTH = 120
SECRET_LENGTH = 128  # a longer ticket or code in a path is no ticket of ours

NOT_STAFF = ("auth.not_staff", "只有村干部、村务监督委员和乡镇工作人员可以登录管理端")
TICKET_UNKNOWN = ("auth.ticket_not_found", "二维码无效，请在管理端刷新后重新扫码")
_GONE = {
    "expired": "二维码已过期，请刷新后重新扫码",
    "used": "该二维码已使用，请在管理端刷新后重新扫码",
    "refused": "该登录请求已被拒绝，请在管理端刷新后重新扫码",
    "approved": "该登录请求已确认，无需再次操作",
}


@dataclass(frozen=True)
class NewTicket:
    ticket: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class ConsoleLogin:
    token: str
    expires_at: datetime
    principal: Principal


def _status(t: ConsoleTicket, now: datetime) -> str:
    if t.status in ("waiting", "approved") and t.expires_at <= now:
        return "expired"
    return t.status


def _gone(status: str) -> AppError:
    return AppError(410, "auth.ticket_gone", _GONE[status], {"status": status})


# ---------------------------------------------------------------- the console


def create_ticket(browser: str | None, address: str | None) -> NewTicket:
    now = utcnow()
    db.session.execute(delete(ConsoleTicket).where(ConsoleTicket.expires_at < now - KEEP_OLD_TICKETS))
    raw, code = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    expires = now + timedelta(seconds=current_app.config["CONSOLE_TICKET_SECONDS"])
    browser = (browser or "").strip()[:BROWSER_LENGTH] or None
    db.session.add(ConsoleTicket(ticket_hash=_hash(raw), code=code, browser=browser, address=(address or None),
                                 created_at=now, expires_at=expires, status="waiting"))
    db.session.commit()
    return NewTicket(raw, code, expires)


def poll(raw_ticket: str) -> dict[str, Any]:
    """What the console sees: the ticket's status; the first poll after the approval also gets the token."""
    if len(raw_ticket) > SECRET_LENGTH:
        raise not_found(*TICKET_UNKNOWN)
    t = db.session.execute(
        select(ConsoleTicket).where(ConsoleTicket.ticket_hash == _hash(raw_ticket))
    ).scalar_one_or_none()
    if t is None:
        raise not_found(*TICKET_UNKNOWN)
    now = utcnow()
    status = _status(t, now)
    if status != "approved":
        return {"status": status, "expires_at": t.expires_at}
    # whoever changes the row from approved to used makes the token; a concurrent poll changes nothing
    taken = db.session.execute(
        update(ConsoleTicket)
        .where(ConsoleTicket.id == t.id, ConsoleTicket.status == "approved", ConsoleTicket.expires_at > now)
        .values(status="used", used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        db.session.refresh(t)
        return {"status": _status(t, utcnow()), "expires_at": t.expires_at}
    assert t.approved_by_id is not None
    principal = registry.load_principal(t.approved_by_id)
    if principal is None or not is_staff(principal):  # the role ended between the approval and this poll
        db.session.rollback()
        raise unauthorized(*NOT_STAFF_ANYMORE)
    raw, token = _new_token(principal.person_id, None, "console")
    db.session.flush()
    db.session.execute(update(ConsoleTicket).where(ConsoleTicket.id == t.id).values(token_id=token.id)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return {"status": "approved", "token": raw, "expires_at": token.expires_at,
            "user": me(_with_token(principal, token.id))}


def _with_token(p: Principal, token_id: int) -> Principal:
    return Principal(p.person_id, p.name, token_id, p.member_id, p.household_id, p.village_id, p.township_id,
                     p.grants)


# ---------------------------------------------------------------- the staff member's phone


def _find(code_or_ticket: str) -> ConsoleTicket:
    """By the QR code's public code, or by the console's ticket itself."""
    if len(code_or_ticket) > SECRET_LENGTH:
        raise not_found(*TICKET_UNKNOWN)
    t = db.session.execute(
        select(ConsoleTicket).where(or_(ConsoleTicket.code == code_or_ticket,
                                        ConsoleTicket.ticket_hash == _hash(code_or_ticket)))
    ).scalar_one_or_none()
    if t is None:
        raise not_found(*TICKET_UNKNOWN)
    return t


def request_info(code: str) -> ConsoleTicket:
    """The ticket, for the confirm page (410 once it can no longer be approved or refused)."""
    t = _find(code)
    status = _status(t, utcnow())
    if status in ("expired", "used"):
        raise _gone(status)
    return t


def ticket_status(t: ConsoleTicket) -> str:
    return _status(t, utcnow())


def _app_token_only(principal: Principal) -> None:
    # a console token approving another console would let a session outlive CONSOLE_TOKEN_TTL_HOURS
    if token_kind(principal) != "app":
        raise forbidden("auth.app_only", "请用微信小程序扫码确认登录")


def _decide(code: str, principal: Principal, status: str) -> ConsoleTicket:
    t = _find(code)
    now = utcnow()
    current = _status(t, now)
    if current != "waiting":
        raise _gone(current)
    values: dict[str, Any] = {"status": status, "decided_at": now}
    if status == "approved":
        values["approved_by_id"] = principal.person_id
    changed = db.session.execute(
        update(ConsoleTicket)
        .where(ConsoleTicket.id == t.id, ConsoleTicket.status == "waiting", ConsoleTicket.expires_at > now)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # another phone decided first, or it just expired
        db.session.rollback()
        db.session.refresh(t)
        raise _gone(_status(t, utcnow()))
    return t


def approve(code: str, principal: Principal) -> None:
    """A staff member lets the console in (403 auth.not_staff for anyone else; the ticket keeps waiting)."""
    _app_token_only(principal)
    if not is_staff(principal):
        _find(code)  # an unknown code stays a 404 whoever asks
        raise forbidden(*NOT_STAFF)
    t = _decide(code, principal, "approved")
    audit.record("auth.console_login", "console_ticket", t.id, actor=principal, village_id=principal.village_id,
                 township_id=principal.township_id,
                 after={"method": "scan", "browser": t.browser, "address": t.address})
    db.session.commit()


def refuse(code: str, principal: Principal) -> None:
    """Whoever scanned it says no: the console shows 已拒绝 and asks for a new QR code."""
    t = _decide(code, principal, "refused")
    audit.record("auth.console_refused", "console_ticket", t.id, actor=principal, village_id=principal.village_id,
                 township_id=principal.township_id, after={"browser": t.browser, "address": t.address})
    db.session.commit()


# ---------------------------------------------------------------- the demo (never in production)


def demo_people() -> list[dict[str, Any]]:
    """The demo's staff: people bound to an openid ``o-<key>`` of our appid who hold a staff role now."""
    rows = db.session.execute(
        select(WeChatAccount.openid, WeChatAccount.person_id)
        .where(WeChatAccount.appid == current_app.config["WECHAT_APPID"], WeChatAccount.openid.like("o-%"),
               WeChatAccount.person_id.is_not(None))
        .order_by(WeChatAccount.id)
    ).all()
    out = []
    for openid, person_id in rows:
        p = registry.load_principal(person_id)
        if p is None or not is_staff(p):
            continue
        roles = [r for r in p.roles() if r in STAFF_ROLES]
        out.append({"key": openid[2:], "name": p.name, "roles": roles, "role_labels": [role_label(r) for r in roles]})
    return out


def demo_login(key: str, browser: str | None, address: str | None) -> ConsoleLogin:
    """The real path with the stand-in's code ``demo-<key>``: WeChat's answer → the bound person → staff → token."""
    session = _gateway().code_to_session(f"demo-{key}")
    account = db.session.execute(
        select(WeChatAccount).where(WeChatAccount.appid == current_app.config["WECHAT_APPID"],
                                    WeChatAccount.openid == session.openid)
    ).scalar_one_or_none()
    if account is None or account.person_id is None:
        raise not_found("auth.demo_unknown", "没有这个演示账号，请从列表中选择")
    principal = registry.load_principal(account.person_id)
    if principal is None or not is_staff(principal):
        raise forbidden(*NOT_STAFF)
    raw, token = _new_token(principal.person_id, account.id, "console")
    db.session.flush()
    audit.record("auth.console_login", "api_token", token.id, actor=principal, village_id=principal.village_id,
                 township_id=principal.township_id,
                 after={"method": "demo", "browser": (browser or "").strip()[:BROWSER_LENGTH] or None,
                        "address": address})
    db.session.commit()
    return ConsoleLogin(raw, token.expires_at, _with_token(principal, token.id))
