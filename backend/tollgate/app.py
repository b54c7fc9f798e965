"""The Flask application factory: settings → extensions → services → blueprints. No work at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config_changes
from .alerts.worker import AlertService
from .bodies import BoundedRequest
from .budgets.lane_windows import LaneWindows
from .budgets.ledger import Ledger
from .budgets.sql_store import SqlLedgerStore
from .budgets.store import LedgerStore
from .budgets.usage_charge import UsageCharger
from .config import Settings, load_settings
from .extensions import db
from .gateway.catalog import ModelCatalog
from .gateway.errors import GatewayError
from .gateway.invalidation import CacheGeneration, InvalidationBus, LocalBus, RedisBus
from .gateway.key_resolver import KeyResolver
from .gateway.objects import ObjectTracker
from .gateway.upstream import UpstreamPools
from .metering.log_writer import LogWriter
from .metering.spool import Spool
from .metering.sql_sink import SqlLogSink
from .metering.usage_events import usage_event_writer
from .services import EXTENSION_KEY, Services
from .storage import private_dir, private_sqlite_files
from .vault import CredentialVault, TokenHasher
from .vault import scrub as scrub_logs
from .vault.crypto import load_or_create_master_keys

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or load_settings(**overrides)
    private_dir(settings.data_dir)
    private_dir(settings.spool_dir)
    private_sqlite_files(settings.sqlalchemy_url)
    app = Flask(__name__)
    app.request_class = BoundedRequest  # a chunked body over the limit is a 413, not a body cut at the limit
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    db.init_app(app)
    config_changes.install()
    with app.app_context():
        _configure_sqlite(db.engine)
        app.extensions[EXTENSION_KEY] = _build_services(settings, db.engine)

    from .gateway.views import bp as gateway_bp

    app.register_blueprint(gateway_bp)
    from .budgets.views import bp as caps_bp

    app.register_blueprint(caps_bp)
    app.before_request(_start_background_jobs)
    from .admin import init_app as init_admin

    init_admin(app)
    from .dashboard import init_app as init_dashboard

    init_dashboard(app, app.extensions[EXTENSION_KEY].session_key)
    app.register_error_handler(Exception, _unexpected_error)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    if settings.mock_upstream:
        from .mock_upstream import mount

        mount(app)
    scrub_logs.install()
    return app


def _build_services(settings: Settings, engine: Engine) -> Services:
    master = load_or_create_master_keys(settings.secret_key, settings.data_dir / "master.key")
    hasher = TokenHasher(master.derive("token-hmac"))
    vault = CredentialVault(master)
    pools = UpstreamPools(
        settings.upstream_connect_timeout_s,
        settings.upstream_read_timeout_s,
        settings.upstream_pool_size,
        allow_private=settings.allow_private_upstreams,
    )
    ledger = _build_ledger(settings, engine)
    generation = CacheGeneration.in_data_dir(settings.data_dir)
    writer = LogWriter(
        SqlLogSink(engine),
        Spool(settings.spool_dir),
        batch_size=settings.log_batch_size,
        flush_interval_s=settings.log_flush_interval_s,
        generation=generation.read,
    )
    objects = ObjectTracker(engine, ledger, writer, pools, vault)
    return Services(
        settings=settings,
        hasher=hasher,
        vault=vault,
        keys=KeyResolver(hasher, vault, settings.key_cache_ttl_s, _invalidation_bus(settings), generation),
        upstreams=pools,
        log_writer=writer,
        catalog=ModelCatalog(pools),
        ledger=ledger,
        lane_windows=LaneWindows(ledger.store),
        alerts=AlertService(
            engine,
            ledger,
            vault,
            settings.alert_interval_s,
            allow_private=settings.allow_private_upstreams,
            sweeps=(objects.sweep,),
        ),
        usage_writer=usage_event_writer(
            engine,
            settings.spool_dir,
            settings.log_batch_size,
            settings.log_flush_interval_s,
            generation.read,
            on_inserted=UsageCharger(engine, ledger.store).charge_rows,  # ingested usage counts against budgets
        ),
        objects=objects,
        share_key=master.derive("report-share"),
        session_key=master.derive("dashboard-session"),
    )


def _start_background_jobs() -> None:
    """Alert evaluation, webhook delivery and the reservation sweep start with the first request a server process
    handles (so CLI commands and tests start none), unless rq workers run them (REDIS_URL: `tollgate worker`);
    afterwards this is one pid comparison per request."""
    from flask import current_app

    if not current_app.testing:
        svc = current_app.extensions[EXTENSION_KEY]
        if not svc.settings.jobs_through_rq:
            svc.alerts.start()
        svc.keys.listen()


def _invalidation_bus(settings: Settings) -> InvalidationBus:
    """With Redis, a revoke reaches every gateway process at once; without, each cache expires within its TTL."""
    return RedisBus.from_url(settings.redis_url) if settings.redis_url else LocalBus()


def _build_ledger(settings: Settings, engine: Engine) -> Ledger:
    """Redis when configured (budgets shared across hosts), else the SQL database the workers share."""
    if settings.redis_url:
        from .budgets.redis_store import RedisLedgerStore

        store: LedgerStore = RedisLedgerStore.from_url(settings.redis_url)
    else:
        store = SqlLedgerStore(engine)
    return Ledger(store, hold_ttl_s=settings.hold_ttl_s, background_ttl_s=settings.background_ttl_s)


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.sqlalchemy_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}


def _configure_sqlite(engine: Engine) -> None:
    """WAL lets the gateway's workers read while the log writer writes; foreign keys are off by default."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _unexpected_error(exc: Exception) -> Any:
    """Anything unforeseen: logged here with its traceback, answered without one."""
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return exc
    log.exception("unhandled error on %s %s", request.method, request.path)
    if request.path.startswith("/v1"):
        return GatewayError(500, "The gateway hit an internal error; it has been logged.", "internal_error").response()
    return Response(
        '{"type":"about:blank","title":"Internal Server Error","status":500}',
        status=500,
        mimetype="application/problem+json",
    )
