"""Login and identity endpoints (contract: docs/api.md, "Login and identity")."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.auth import service
from backend.auth.schemas import BindSchema, LoginResultSchema, MeSchema, WeChatLoginSchema
from backend.core.permissions import require_login
from backend.core.ratelimit import bind_limit, limiter, login_limit
from backend.core.response_cache import cached_read

blp = Blueprint("auth", __name__, description="微信登录、绑定与当前用户")


def _result(r: service.LoginResult) -> dict[str, Any]:
    if r.bound:
        assert r.principal is not None
        return {"bound": True, "token": r.token, "expires_at": r.expires_at, "user": service.me(r.principal)}
    return {"bound": False, "bind_ticket": r.bind_ticket, "bind_ticket_expires_at": r.ticket_expires_at}


@blp.route("/auth/wechat-login", methods=["POST"])
@limiter.limit(login_limit)  # per client IP, before the body is read: RATELIMIT_LOGIN
@blp.arguments(WeChatLoginSchema)
@blp.response(200, LoginResultSchema)
def wechat_login(args: dict[str, Any]) -> dict[str, Any]:
    """用 wx.login 的 code 登录：已绑定返回 token，未绑定返回 bind_ticket（10 分钟内有效）。"""
    return _result(service.wechat_login(args["code"]))


@blp.route("/auth/bind", methods=["POST"])
@limiter.limit(bind_limit)  # per client IP: RATELIMIT_BIND; the per-ticket lock stays in the service
@blp.arguments(BindSchema)
@blp.response(200, LoginResultSchema)
def bind(args: dict[str, Any]) -> dict[str, Any]:
    """把微信绑定到花名册上的一个人：村编码+姓名+身份证后6位，或手机号授权 code。连续 5 次失败锁定。"""
    if args.get("phone_code"):
        return _result(service.bind_by_phone(args["bind_ticket"], args["phone_code"]))
    return _result(
        service.bind_by_roster(args["bind_ticket"], args["village_code"], args["name"], args["id_card_last6"])
    )


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
def logout() -> None:
    """退出登录：token 立即失效。"""
    service.logout(require_login())


@blp.route("/me", methods=["GET"])
@cached_read
@blp.response(200, MeSchema)
@blp.doc(security=[{"bearer": []}])
def me() -> dict[str, Any]:
    """当前用户：成员信息、所在村和乡镇、角色。"""
    return service.me(require_login())
