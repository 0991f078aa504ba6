"""One place decides who may do what, in which village.

The authenticated person of a request is a :class:`Principal` (loaded afresh on every request by
``backend.auth``, so a role change takes effect on the next request). A route states its permission
once with :func:`requires` (before its input is parsed); the check answers 404 for a village the
caller has no part in (so strangers cannot even learn what exists) and 403 for one where they have
a part but not the needed role.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import g, has_request_context

from backend.core.db import db
from backend.core.errors import AppError, forbidden, not_found, unauthorized

ROLES: tuple[str, ...] = (
    "villager",  # derived: an active entry on the village roster
    "member",  # derived: a collective-economic-organization member (成员) on the roster
    "representative",
    "party_member",
    "member_representative",  # 成员代表: the electorate of the 成员代表大会 (农村集体经济组织法 第28条)
    "group_leader",  # 村民小组长
    "secretary",
    "committee",
    "accountant",
    "supervisor",
    "township_staff",
    "township_accountant",
)
ROLE_LABELS: dict[str, str] = {
    "villager": "村民",
    "member": "集体经济组织成员",
    "representative": "村民代表",
    "party_member": "党员",
    "member_representative": "成员代表",
    "group_leader": "村民小组长",
    "secretary": "村党组织书记",
    "committee": "村委委员",
    "accountant": "会计",
    "supervisor": "村务监督委员",
    "township_staff": "镇（乡）工作人员",
    "township_accountant": "镇（乡）代理会计",
}
TOWNSHIP_ROLES = frozenset({"township_staff", "township_accountant"})
VILLAGE_STAFF = frozenset({"secretary", "committee", "accountant", "supervisor"})

# permission → roles that grant it (within the village, or township-wide for township roles).
PERMISSIONS: dict[str, frozenset[str]] = {
    # anyone who belongs to the village (or oversees it) sees its public pages
    "village.view": frozenset(ROLES),
    "roster.read": frozenset({"secretary", "committee", "accountant", "supervisor", "township_staff"}),
    "roster.write": frozenset({"secretary", "township_staff"}),
    "roles.write": frozenset({"secretary", "township_staff"}),
    "audit.read": frozenset({"secretary", "supervisor", "township_staff"}),
    # the books: kept by the village's accountant or secretary, or by the township's agency accountant
    # for the villages assigned to them (a village-scoped township_accountant assignment)
    "ledger.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "ledger.write": frozenset({"secretary", "accountant", "township_accountant"}),
    "disclosure.approve": frozenset({"supervisor"}),  # 村务监督委员会
    "disclosure.answer": frozenset({"secretary", "committee", "accountant", "township_accountant"}),
    "settings.write": frozenset({"township_staff"}),
    "decisions.manage": frozenset({"secretary"}),
    # the share register and distributions: read by the village's staff and the township, kept by the
    # secretary and the accountant (or the township's agency accountant for its villages)
    "dividends.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "dividends.manage": frozenset({"secretary", "accountant", "township_accountant"}),
    # parcels, transfer and lease contracts, rent received: the same people as the books
    "land.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "land.manage": frozenset({"secretary", "accountant", "township_accountant"}),
    # public-benefit jobs: run by the two committees; supervisors and the township follow them
    "jobs.read": frozenset({"secretary", "committee", "accountant", "supervisor", "township_staff"}),
    "jobs.manage": frozenset({"secretary", "committee"}),
    # a village's own announcements (a township's come from township.manage)
    "notices.manage": frozenset({"secretary", "committee"}),
    # the 三资 register and the contracts register: kept like the books; the village's staff and the township read
    # them (villagers see the public fields under village.view)
    "assets.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "assets.manage": frozenset({"secretary", "accountant", "township_accountant"}),
    # the project library: the secretary carries a project through its steps; the township's review board
    # (项目评审委员会, township staff) signs 审批 for its villages
    "projects.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "projects.manage": frozenset({"secretary", "committee"}),
    "projects.approve": frozenset({"township_staff"}),
    # warnings (预警) of a village: its staff and the township
    "warnings.read": frozenset(
        {"secretary", "committee", "accountant", "supervisor", "township_staff", "township_accountant"}
    ),
    "township.view": frozenset({"township_staff", "township_accountant"}),
    "township.manage": frozenset({"township_staff"}),
}


@dataclass(frozen=True)
class Grant:
    """One current role assignment: ``role`` over ``village_ids`` (a township role covers all its villages)."""

    role: str
    village_ids: frozenset[int]
    township_id: int | None = None  # set for township-scoped assignments


@dataclass(frozen=True)
class Principal:
    person_id: int
    name: str
    token_id: int | None = None
    member_id: int | None = None
    household_id: int | None = None
    village_id: int | None = None  # the home village of a member
    township_id: int | None = None
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def roles_in(self, village_id: int) -> set[str]:
        return {gr.role for gr in self.grants if village_id in gr.village_ids}

    def roles(self) -> list[str]:
        seen: list[str] = []
        for gr in self.grants:
            if gr.role not in seen:
                seen.append(gr.role)
        return seen

    def village_ids(self) -> frozenset[int]:
        out: set[int] = set()
        for gr in self.grants:
            out |= gr.village_ids
        return frozenset(out)

    def has_role(self, role: str, village_id: int | None = None) -> bool:
        return any(gr.role == role and (village_id is None or village_id in gr.village_ids) for gr in self.grants)

    def can(self, permission: str, village_id: int | None = None, township_id: int | None = None) -> bool:
        allowed = PERMISSIONS[permission]
        for gr in self.grants:
            if gr.role not in allowed:
                continue
            if village_id is not None and village_id in gr.village_ids:
                return True
            if township_id is not None and gr.township_id == township_id:
                return True
        return False

    def townships_for(self, permission: str) -> set[int]:
        allowed = PERMISSIONS[permission]
        return {gr.township_id for gr in self.grants if gr.role in allowed and gr.township_id is not None}

    def villages_for(self, permission: str) -> set[int]:
        allowed = PERMISSIONS[permission]
        out: set[int] = set()
        for gr in self.grants:
            if gr.role in allowed:
                out |= gr.village_ids
        return out


def current_principal() -> Principal | None:
    return g.get("principal") if has_request_context() else None


def require_login() -> Principal:
    p = current_principal()
    if p is None:
        problem = g.get("auth_problem") if has_request_context() else None
        if problem == "expired":
            raise unauthorized("auth.token_expired", "登录已过期，请重新登录")
        if problem:
            raise unauthorized("auth.token_invalid", "登录状态已失效，请重新登录")
        raise unauthorized()
    return p


def require(permission: str, *, village_id: int | None = None, township_id: int | None = None) -> Principal:
    """The caller, if they hold ``permission`` in the village (or township); else 401/403/404.

    A caller with no part at all in the village gets 404 (not_found), so that a stranger cannot
    tell an existing village's records from missing ones.
    """
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    p = require_login()
    if p.can(permission, village_id=village_id, township_id=township_id):
        return p
    if village_id is not None and not p.roles_in(village_id):
        raise not_found()
    if (
        township_id is not None
        and village_id is None
        and township_id not in {gr.township_id for gr in p.grants if gr.township_id is not None}
    ):
        raise not_found()
    raise forbidden()


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def check_roles(roles: Iterable[str]) -> None:
    for r in roles:
        if r not in ROLES:
            raise AppError(422, "validation.failed", f"未知的角色：{r}", {"role": r})


__all__ = [
    "PERMISSIONS",
    "ROLES",
    "TOWNSHIP_ROLES",
    "VILLAGE_STAFF",
    "Grant",
    "Principal",
    "current_principal",
    "require",
    "require_login",
    "requires",
]


F = TypeVar("F", bound=Callable[..., Any])


def requires(
    permission: str | None,
    *,
    village: str | None = None,
    township: str | None = None,
    obj: tuple[type[Any], str] | tuple[type[Any], str, str] | None = None,
    allow: Callable[[Principal, Any], bool] | None = None,
) -> Callable[[F], F]:
    """Route decorator: the route's permission, stated once, checked before any input is parsed.

    Put it right under ``@blp.route`` so that a stranger gets 401/403/404 whatever they send.
    ``village``/``township`` name the URL argument holding the scope's id; ``obj=(Model, "thing_id")``
    loads that object (404 if missing), checks the permission in its village and hands the loaded object to
    the view as ``thing`` in place of ``thing_id`` (or under the name a third element gives: the view uses it,
    no second load); ``allow`` lets a
    caller through on other grounds (a member reading their own record). ``permission=None`` only
    asks for a login.
    """
    if obj is not None and not obj[1].endswith("_id"):
        raise ValueError(f"requires(obj=...): the URL argument {obj[1]!r} must end in _id")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            p = require_login()
            if obj is not None:
                model, arg = obj[0], obj[1]
                target = db.session.get(model, kwargs.pop(arg))
                if target is None:
                    raise not_found()
                kwargs[obj[2] if len(obj) == 3 else arg.removesuffix("_id")] = target
                if allow is not None and allow(p, target):
                    return view(*args, **kwargs)
                if permission is not None:
                    require(permission, village_id=target.village_id)
            elif permission is not None:
                require(
                    permission,
                    village_id=kwargs.get(village) if village else None,
                    township_id=kwargs.get(township) if township else None,
                )
            return view(*args, **kwargs)

        wrapper._requires = permission  # type: ignore[attr-defined]  # read by the isolation test
        return wrapper  # type: ignore[return-value]

    return decorate
