"""``GET /me/home``: the mini-program's home screen in one round trip (elderly villagers on weak networks)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.core.permissions import require_login, requires
from backend.home import service
from backend.home.schemas import HomeSchema

blp = Blueprint("home", __name__, description="首页：一次请求取回首页所需的全部内容")


@blp.route("/me/home", methods=["GET"])
@requires(None)
@blp.response(200, HomeSchema)
@blp.doc(security=[{"bearer": []}])
def home() -> dict[str, Any]:
    """首页：我是谁、未读公告和最新一条、正在进行的表决、本村最新的财务公开、今年我家已到手的钱（分红、流转租金、公益岗位工资）。"""
    return service.home(require_login())
