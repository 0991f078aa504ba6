"""Settings from environment variables, with defaults that make ``scripts/run`` work on a fresh machine.

Every variable is listed in README.md (Configuration). In production (``APP_ENV=production``) the
app refuses to start with the development secret key or identity key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backend.core.timeouts import postgres_options, sqlite_connection_factory

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEV_IDENTITY_KEY = "dev-insecure-identity-key-change-me"


class ConfigError(RuntimeError):
    pass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


def database_url(raw: str | None) -> str:
    if not raw:
        return f"sqlite:///{ROOT / 'instance' / 'sunshine.db'}"
    if raw.startswith("postgres://"):
        raw = "postgresql+psycopg://" + raw[len("postgres://") :]
    elif raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


def engine_options(url: str, statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """The engine's pool and connection settings. Every statement runs under ``statement_timeout_ms``
    (``DB_STATEMENT_TIMEOUT_MS`` when not given; 0 = no limit): core/timeouts.py."""
    timeout_ms = _int("DB_STATEMENT_TIMEOUT_MS", 30_000) if statement_timeout_ms is None else statement_timeout_ms
    if url.startswith("sqlite"):
        # one file, several threads: the connect hook in extensions.py sets WAL, busy_timeout and FKs
        sqlite_args: dict[str, Any] = {"check_same_thread": False, "timeout": 15}
        if timeout_ms > 0:
            sqlite_args["factory"] = sqlite_connection_factory(timeout_ms)
        return {"connect_args": sqlite_args}
    connect_args: dict[str, Any] = {"connect_timeout": _int("DB_CONNECT_TIMEOUT", 5)}
    if options := postgres_options(timeout_ms):
        connect_args["options"] = options
    return {
        "pool_size": _int("DB_POOL_SIZE", 8),  # ≥ gunicorn threads per worker
        "max_overflow": _int("DB_MAX_OVERFLOW", 4),
        # no SQLAlchemy ping (a round trip per checkout): DB_POOL_PRE_PING's look instead (core/connections.py)
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


def from_env() -> dict[str, Any]:
    env = os.environ.get("APP_ENV", "development")
    url = database_url(os.environ.get("DATABASE_URL"))
    replica = os.environ.get("DATABASE_REPLICA_URL")
    timeout_ms = _int("DB_STATEMENT_TIMEOUT_MS", 30_000)
    return {
        "APP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        "IDENTITY_HASH_KEY": os.environ.get("IDENTITY_HASH_KEY", DEV_IDENTITY_KEY),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url, timeout_ms),
        # lag-tolerant reads go to a streaming replica when set; a replica further behind than
        # REPLICA_MAX_LAG_SECONDS (or down) is passed over for the primary
        "DATABASE_REPLICA_URL": database_url(replica) if replica else None,
        "REPLICA_MAX_LAG_SECONDS": _float("REPLICA_MAX_LAG_SECONDS", 5.0),
        "REPLICA_CHECK_SECONDS": _float("REPLICA_CHECK_SECONDS", 1.0),  # how often a process asks the replica's lag
        "REPLICA_RETRY_SECONDS": _float("REPLICA_RETRY_SECONDS", 5.0),  # how long a failing replica is left alone
        # every statement is stopped past this many milliseconds (0 = no limit): core/timeouts.py
        "DB_STATEMENT_TIMEOUT_MS": timeout_ms,
        # each pooled PostgreSQL connection is looked at (no round trip) before use: one the server closed is
        # replaced, no request fails on it after a restart (core/connections.py)
        "DB_POOL_PRE_PING": _bool("DB_POOL_PRE_PING", True),
        # a village's public pages, kept once for every reader who sees them alike (core/shared_pages.py): at most
        # this many seconds (0 = off), this many megabytes of pages per process; and the reads every reader shares
        # inside personal pages (names, places: @shared_read), at most this many entries per process (a value counts
        # one plus its items)
        "PAGE_CACHE_SECONDS": _float("PAGE_CACHE_SECONDS", 60.0),
        "PAGE_CACHE_MB": _float("PAGE_CACHE_MB", 64.0),
        "PAGE_CACHE_READS": _int("PAGE_CACHE_READS", 100_000),
        "WECHAT_APPID": os.environ.get("WECHAT_APPID", "wx-demo-appid"),
        "WECHAT_SECRET": os.environ.get("WECHAT_SECRET", "demo-secret"),
        "WECHAT_API_BASE_URL": os.environ.get("WECHAT_API_BASE_URL", "https://api.weixin.qq.com/"),
        "WECHAT_TIMEOUT": _float("WECHAT_TIMEOUT", 5.0),
        "WECHAT_TEMPLATE_NOTICE": os.environ.get("WECHAT_TEMPLATE_NOTICE", "notice-published"),
        # the subscribe-message template id of every other moment a villager is told of (backend/notices/messages.py
        # TEMPLATES): unset → the stand-in's id there
        **{f"WECHAT_TEMPLATE_{m}": os.environ.get(f"WECHAT_TEMPLATE_{m}") or None for m in (
            "VOTE_OPENED", "VOTE_CLOSING", "VOTE_RESULT", "DIVIDEND_NOTICE", "DIVIDEND_PAID", "RENT_PAID", "ANSWER",
            "JOB_OUTCOME", "ASSISTED")},
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "TOKEN_TTL_HOURS": _int("TOKEN_TTL_HOURS", 24 * 7),
        "BIND_TICKET_TTL_MINUTES": _int("BIND_TICKET_TTL_MINUTES", 10),
        "BIND_MAX_FAILURES": _int("BIND_MAX_FAILURES", 5),
        "BIND_LOCK_MINUTES": _int("BIND_LOCK_MINUTES", 30),
        # Idempotency-Key of the phone's writes (core/idempotency.py): how long a key and its answer are kept, and
        # how long a duplicate waits for the first request's answer before 409 idempotency.in_progress
        "IDEMPOTENCY_KEEP_HOURS": _int("IDEMPOTENCY_KEEP_HOURS", 48),
        "IDEMPOTENCY_WAIT_SECONDS": _float("IDEMPOTENCY_WAIT_SECONDS", 5.0),
        # the staff console's log-in by scanning (backend/auth/console.py): a QR code lives at most 2 minutes, the
        # console's token at most 12 hours (check_console)
        "CONSOLE_TICKET_SECONDS": _int("CONSOLE_TICKET_SECONDS", 120),
        "CONSOLE_TOKEN_TTL_HOURS": _int("CONSOLE_TOKEN_TTL_HOURS", 8),
        # the largest body, an .xlsx upload; every other body is JSON and capped at MAX_JSON_LENGTH
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024),
        "MAX_JSON_LENGTH": _int("MAX_JSON_LENGTH", 1024 * 1024),
        "XLSX_MAX_UNPACKED_BYTES": _int("XLSX_MAX_UNPACKED_BYTES", 100 * 1024 * 1024),
        # rate limits per client IP on login and binding (Redis when REDIS_URL is set): core/ratelimit.py
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "20 per minute"),
        "RATELIMIT_BIND": os.environ.get("RATELIMIT_BIND", "10 per minute"),
        # the counters' prefix in Redis: deployments sharing one Redis keep apart by it
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX") or "sunshine",
        # reverse proxies in front of gunicorn that append to X-Forwarded-For (nginx: 1); 0 = clients connect directly
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "ROSTER_MAX_ROWS": _int("ROSTER_MAX_ROWS", 20000),
        "VOUCHER_IMPORT_MAX_ROWS": _int("VOUCHER_IMPORT_MAX_ROWS", 20000),
        "SHARE_REGISTER_MAX_ROWS": _int("SHARE_REGISTER_MAX_ROWS", 60000),
        "LAND_IMPORT_MAX_ROWS": _int("LAND_IMPORT_MAX_ROWS", 5000),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # what the QR code on a printed 公示 sheet opens: the record's mini-program page (miniprogram-stub/app.json);
        # the record's query (?id=<id>, ?year=<year>) is appended: core/printing/board.py page_url
        **{key: os.environ.get(key) or page for key, page in (
            ("MINIPROGRAM_DISCLOSURE_URL", "pages/disclosure/disclosure"),
            ("MINIPROGRAM_DIVIDEND_URL", "pages/dividend/dividend"),
            ("MINIPROGRAM_JOB_URL", "pages/job/job"),
            ("MINIPROGRAM_LAND_URL", "pages/land/land"),
            ("MINIPROGRAM_DECISION_URL", "pages/decision/decision"),
        )},
        # how long a download link (POST /download-links) opens its file: core/downloads.py
        "DOWNLOAD_LINK_SECONDS": _int("DOWNLOAD_LINK_SECONDS", 120),
        # the staff console's build, served at /console/: backend/console_site.py
        "CONSOLE_DIST": os.environ.get("CONSOLE_DIST") or str(ROOT / "console" / "dist"),
    }


CONSOLE_TICKET_MAX_SECONDS = 120
CONSOLE_TOKEN_MAX_HOURS = 12


def check_console(config: Any) -> None:
    """The console's log-in settings stay within what the issue promises, in every environment."""
    seconds, hours = config.get("CONSOLE_TICKET_SECONDS", 120), config.get("CONSOLE_TOKEN_TTL_HOURS", 8)
    if not isinstance(seconds, int) or not 10 <= seconds <= CONSOLE_TICKET_MAX_SECONDS:
        raise ConfigError(f"CONSOLE_TICKET_SECONDS must be a whole number from 10 to {CONSOLE_TICKET_MAX_SECONDS}")
    if not isinstance(hours, int) or not 1 <= hours <= CONSOLE_TOKEN_MAX_HOURS:
        raise ConfigError(f"CONSOLE_TOKEN_TTL_HOURS must be a whole number from 1 to {CONSOLE_TOKEN_MAX_HOURS}")


def check_production(config: dict[str, Any]) -> None:
    """Refuse settings that must not run: the console's bounds anywhere, development secrets in production. It runs
    first in create_app, before anything is initialised."""
    check_console(config)
    if config.get("APP_ENV") != "production":
        return
    problems = []
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY) or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if config.get("IDENTITY_HASH_KEY") in (None, "", DEV_IDENTITY_KEY) or len(config["IDENTITY_HASH_KEY"]) < 32:
        problems.append("IDENTITY_HASH_KEY must be set to a random value of at least 32 characters")
    if config.get("WECHAT_APPID") == "wx-demo-appid" or config.get("WECHAT_SECRET") == "demo-secret":
        problems.append("WECHAT_APPID and WECHAT_SECRET must be the mini-program's real credentials")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point to PostgreSQL in production")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
