"""Notices need bound WeChat accounts (content check, pushes) and a clean stand-in."""

from __future__ import annotations

from backend.auth.models import WeChatAccount
from backend.core.clock import utcnow
from backend.core.db import db


def bind(person_id: int, openid: str) -> None:
    db.session.add(WeChatAccount(appid="wx-demo-appid", openid=openid, person_id=person_id, bound_at=utcnow()))
    db.session.flush()



