"""Login and identity endpoints (contract: docs/api.md, "Login and identity")."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.blueprints import BlueprintSetupState
from flask_smorest import Blueprint

from backend.auth import console, service
from backend.auth.schemas import (
    BindSchema,
    ConsoleLoginSchema,
    ConsolePollSchema,
    ConsoleRequestSchema,
    ConsoleTicketArgsSchema,
    ConsoleTicketSchema,
    DemoConsoleLoginArgsSchema,
    DemoConsoleLoginSchema,
    LoginResultSchema,
    MeSchema,
    WeChatLoginSchema,
)
from backend.core.db import db
from backend.core.errors import not_found
from backend.core.idempotency import field_scope, idempotent, token_scope
from backend.core.permissions import require_login, requires
from backend.core.ratelimit import bind_limit, limiter, login_limit
from backend.extensions import api
from backend.registry import Member

blp = Blueprint("auth", __name__, description="微信登录、绑定与当前用户；管理端扫码登录")
# the demo's log-in without a phone: registered with the auth blueprint, never in production (not even in the spec)
demo_blp = Blueprint("auth_demo", __name__, description="演示：不用手机登录管理端（生产环境没有这些接口）")
SECURITY = [{"bearer": []}]


@blp.record_once
def _register_the_demo(state: BlueprintSetupState) -> None:
    if state.app.config.get("APP_ENV") != "production":
        api.register_blueprint(demo_blp, url_prefix=state.url_prefix)


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
@idempotent(scope=field_scope("bind_ticket"), unkept=("token",), reissue=service.bind_reissue)  # no token kept
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
@idempotent(scope=token_scope)
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
def logout() -> None:
    """退出登录：token 立即失效。"""
    service.logout(require_login())


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.doc(security=[{"bearer": []}])
def me() -> dict[str, Any]:
    """当前用户：成员信息、所在村和乡镇、角色。"""
    return service.me(require_login())


# ---------------------------------------------------------------- the staff console's log-in by scanning


def _browser(given: str | None) -> str | None:
    return given or request.headers.get("User-Agent")


def _login(r: console.ConsoleLogin) -> dict[str, Any]:
    return {"token": r.token, "expires_at": r.expires_at, "user": service.me(r.principal)}


@blp.route("/auth/console-tickets", methods=["POST"])
@limiter.limit(login_limit)  # per client IP, like wechat-login
@blp.arguments(ConsoleTicketArgsSchema)
@blp.response(201, ConsoleTicketSchema)
def create_console_ticket(args: dict[str, Any]) -> dict[str, Any]:
    """管理端请求扫码登录：返回轮询用的 ticket 和二维码内容 qr（最长 2 分钟有效）。"""
    t = console.create_ticket(_browser(args.get("browser")), request.remote_addr)
    return {"ticket": t.ticket, "qr": console.QR_PREFIX + t.code, "code": t.code, "expires_at": t.expires_at,
            "poll_interval_seconds": console.POLL_INTERVAL_SECONDS}


@blp.route("/auth/console-tickets/<ticket>", methods=["GET"])
@blp.response(200, ConsolePollSchema)
def poll_console_ticket(ticket: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """管理端轮询：确认后的第一次轮询带回 token、expires_at 和 user，之后为 used。"""
    # the answer may carry a token: kept by no cache, and without a validator (core/etag leaves no-store alone)
    return console.poll(ticket), 200, {"Cache-Control": "no-store"}


@blp.route("/auth/console-tickets/<code>/request", methods=["GET"])
@requires(None)
@blp.response(200, ConsoleRequestSchema)
@blp.doc(security=SECURITY)
def console_request(code: str) -> dict[str, Any]:
    """小程序确认页：哪个管理端请求登录（浏览器、地址、时间）。"""
    t = console.request_info(code)
    return {"status": console.ticket_status(t), "browser": t.browser, "address": t.address,
            "created_at": t.created_at, "expires_at": t.expires_at}


@blp.route("/auth/console-tickets/<code>/approve", methods=["POST"])
@requires(None)
@idempotent
@limiter.limit(login_limit)
@blp.response(204)
@blp.doc(security=SECURITY)
def approve_console_ticket(code: str) -> None:
    """村干部、村务监督委员或乡镇工作人员在小程序里确认登录管理端。"""
    console.approve(code, require_login())


@blp.route("/auth/console-tickets/<code>/refuse", methods=["POST"])
@requires(None)
@idempotent
@limiter.limit(login_limit)
@blp.response(204)
@blp.doc(security=SECURITY)
def refuse_console_ticket(code: str) -> None:
    """拒绝这次管理端登录。"""
    console.refuse(code, require_login())


@blp.route("/members/<int:member_id>/unbind-wechat", methods=["POST"])
@requires("roster.write", obj=(Member, "member_id"))
@blp.response(204)
@blp.doc(security=SECURITY)
def unbind_wechat(member: Member) -> None:
    """解除在册人员的微信绑定（手机丢失等）：其登录立即失效，之后可重新绑定。"""
    service.unbind(member.person_id, actor=require_login())
    db.session.commit()


# ---------------------------------------------------------------- the demo (not registered in production)


def _demo_only() -> None:
    if current_app.config.get("APP_ENV") == "production":  # never registered there; and never answers either
        raise not_found()


@demo_blp.route("/auth/demo-console-logins", methods=["GET"])
@demo_blp.response(200, DemoConsoleLoginSchema(many=True))
def demo_console_logins() -> list[dict[str, Any]]:
    """演示账号（绑定在 openid o-<key> 上的管理人员），供管理端登录页的演示按钮使用。"""
    _demo_only()
    return console.demo_people()


@demo_blp.route("/auth/demo-console-login", methods=["POST"])
@limiter.limit(login_limit)
@demo_blp.arguments(DemoConsoleLoginArgsSchema)
@demo_blp.response(200, ConsoleLoginSchema)
def demo_console_login(args: dict[str, Any]) -> dict[str, Any]:
    """以演示管理人员身份登录管理端（经微信替身 demo-<key> 登录，与扫码确认同样检查身份）。"""
    _demo_only()
    return _login(console.demo_login(args["key"], _browser(args.get("browser")), request.remote_addr))
