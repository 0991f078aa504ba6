"""阳光村务 backend: ``create_app(config)`` builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy import text

from backend import config as config_module
from backend.console_site import DOCS_STATIC, install_static_sites
from backend.core.connections import install_connection_rules
from backend.core.downloads import install_download_links
from backend.core.errors import install_content_type_guard, register_error_handlers
from backend.core.etag import install_etags
from backend.core.hardening import install_json_guard, install_request_hardening
from backend.core.ratelimit import init_rate_limits
from backend.core.replica import install_replica
from backend.core.replica import state as replica_state
from backend.core.shared_pages import install_shared_pages
from backend.extensions import api, db, migrate

API_PREFIX = "/api/v1"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides the settings read from the environment."""
    app = Flask(__name__, instance_path=str(config_module.ROOT / "instance"), static_folder=None)
    settings = config_module.from_env()
    if config:
        settings.update(config)
        if ({"SQLALCHEMY_DATABASE_URI", "DB_STATEMENT_TIMEOUT_MS"} & config.keys()
                and "SQLALCHEMY_ENGINE_OPTIONS" not in config):
            settings["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(
                settings["SQLALCHEMY_DATABASE_URI"], settings["DB_STATEMENT_TIMEOUT_MS"])
    if settings.get("DATABASE_REPLICA_URL"):  # spelled like DATABASE_URL (postgres:// → postgresql+psycopg://)
        settings["DATABASE_REPLICA_URL"] = config_module.database_url(settings["DATABASE_REPLICA_URL"])
    config_module.check_production(settings)
    app.config.update(settings)
    app.config.update(
        API_TITLE="阳光村务 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Swagger UI's files from this machine (the swagger-ui-bundle package): the docs render without the internet
        OPENAPI_SWAGGER_UI_URL=DOCS_STATIC + "/",
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},  # no badge fetched from validator.swagger.io
        JSON_AS_ASCII=False,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    # PostgreSQL: a pooled connection is looked at before use, and a GET's reads open no transaction
    with app.app_context():
        install_connection_rules(db.engines[None], look_before_use=bool(app.config.get("DB_POOL_PRE_PING", True)))
        # a village's public pages kept once for all their readers; every write advances the page version
        install_shared_pages(app, db.engines[None])
    # DATABASE_REPLICA_URL: lag-tolerant reads on a replica, its engine as the primary's (core/replica.py)
    install_replica(app, db, lambda url: config_module.engine_options(url, app.config["DB_STATEMENT_TIMEOUT_MS"]))
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    api.init_app(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "POST /auth/wechat-login 返回的 token",
                    }
                }
            }
        },
    )

    _import_models()
    install_etags(app)  # the first after_request hook added, so the last to run: the ETag of the answer as sent
    install_request_hardening(app)  # before the blueprints: the int converter bounds their path ids
    _register_blueprints()
    _register_health(app)
    install_static_sites(app)
    register_error_handlers(app)  # after api.init_app so ours replace flask-smorest's handler
    install_content_type_guard(app)
    init_rate_limits(app)  # after the error handlers: a breach answers in the one shape
    install_json_guard(app)  # after the rate limits: a limited client's body is never read

    from backend.auth.service import install_request_loader

    install_request_loader(app)
    install_download_links(app)  # GET /api/v1/dl/<signed>/… → GET /api/v1/… as the token the link names

    from backend.decisions.pipeline.result import VOUCHER_LOOKUP
    from backend.ledger.service import get_voucher

    app.extensions[VOUCHER_LOOKUP] = get_voucher  # the result stage cites vouchers; decisions never import the ledger

    from backend.decisions.votes import pushes as vote_pushes
    from backend.notices import register_still_wanted

    # the push worker asks before sending a reminder to vote: not to one who has voted meanwhile, nor once it closed
    for kind in (vote_pushes.OPENED, vote_pushes.CLOSING):
        register_still_wanted(app, kind, vote_pushes.still_wanted)

    from backend.assets import register_lease_source
    from backend.contracts import active_asset_leases

    register_lease_source(app, active_asset_leases)  # a contract leasing out an asset makes it 出租 in the register

    from backend.cli import register_cli

    register_cli(app)
    return app


def _import_models() -> None:
    """Every table must be known to the metadata (for Alembic and the schema check)."""
    import backend.assets.models
    import backend.assisted.models
    import backend.auth.models
    import backend.contracts.models
    import backend.core.audit
    import backend.core.seal
    import backend.decisions.pipeline.models
    import backend.decisions.votes.models
    import backend.disclosures.models
    import backend.dividends.models
    import backend.jobs.models
    import backend.land.models
    import backend.ledger.models
    import backend.membership.models
    import backend.notices.models
    import backend.projects.models
    import backend.registry.models
    import backend.township.models  # noqa: F401


def _register_blueprints() -> None:
    from backend.assets.routes import blp as assets_blp
    from backend.assisted.routes import blp as assisted_blp
    from backend.auth.routes import blp as auth_blp
    from backend.contracts.routes import blp as contracts_blp
    from backend.core.downloads import blp as downloads_blp
    from backend.decisions.pipeline.routes import blp as pipeline_blp
    from backend.decisions.pipeline.sheets.routes import blp as decision_sheets_blp
    from backend.decisions.votes.routes import blp as decisions_blp
    from backend.disclosures.routes import blp as disclosure_blp
    from backend.dividends.routes import blp as dividends_blp
    from backend.dividends.shares.routes import blp as share_files_blp
    from backend.dividends.sheets.routes import blp as dividend_sheets_blp
    from backend.home.routes import blp as home_blp
    from backend.jobs.routes import blp as jobs_blp
    from backend.jobs.sheets.routes import blp as job_sheets_blp
    from backend.land.imports.routes import blp as land_files_blp
    from backend.land.routes import blp as land_blp
    from backend.land.sheets.routes import blp as land_sheets_blp
    from backend.ledger.reports.routes import blp as report_blp
    from backend.ledger.routes import blp as ledger_blp
    from backend.membership.routes import blp as membership_blp
    from backend.notices.routes import blp as notices_blp
    from backend.projects.routes import blp as projects_blp
    from backend.registry.routes import blp as registry_blp
    from backend.township.books import blp as books_blp
    from backend.township.routes import blp as township_blp

    for blp in (auth_blp, downloads_blp, registry_blp, ledger_blp, report_blp, disclosure_blp, decisions_blp,
                pipeline_blp, dividends_blp, share_files_blp, land_blp, land_files_blp, jobs_blp,
                notices_blp, township_blp, home_blp, membership_blp, assisted_blp, decision_sheets_blp,
                dividend_sheets_blp, job_sheets_blp, land_sheets_blp, books_blp, assets_blp, contracts_blp,
                projects_blp):
        api.register_blueprint(blp, url_prefix=API_PREFIX)


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            db.session.rollback()
            return jsonify(error={"code": "server.unavailable", "message": "数据库暂时不可用", "details": {}}), 503
        finally:
            db.session.remove()
        replica = replica_state(app)  # None without DATABASE_REPLICA_URL; a replica down never makes the app unready
        return jsonify(status="ready", **({"replica": replica} if replica is not None else {})), 200
