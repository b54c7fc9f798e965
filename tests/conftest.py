"""Shared fixtures: a real database per test, a real mock upstream on 127.0.0.1 speaking OpenAI's wire format,
the app, a seeded workspace, and the gateway served over real HTTP for SDK clients.

The database is SQLite by default. With `TOLLGATE_TEST_DATABASE=postgresql` it is a fresh PostgreSQL database
per test, copied (CREATE DATABASE … TEMPLATE) from one migrated once per session on one real server
(`servers.postgres_server`); `make test` runs the modules marked `pg` that way in a second pass.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tollgate import db_migrate, provisioning
from tollgate.app import create_app
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.services import Services, services

from .servers import postgres_server

MOCK_PROVIDER_KEY = "sk-mock-provider-key-0123456789abcdef"
"""Looks like a provider key on purpose, so the secret-scrubbing tests have something to find."""


class ServedApp:
    """A WSGI app on a real socket, in a background thread."""

    def __init__(self, wsgi_app: object) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, wsgi_app, threaded=True)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mock:
    state: MockState
    served: ServedApp

    @property
    def base_url(self) -> str:
        return self.served.url + "/v1"


@pytest.fixture
def mock_upstream() -> Iterator[Mock]:
    state = MockState(api_key=MOCK_PROVIDER_KEY)
    served = ServedApp(MockUpstream(state))
    yield Mock(state, served)
    served.stop()


TEST_DATABASE = os.environ.get("TOLLGATE_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
"""`sqlite` (default) or `postgresql`: the database behind the `settings` fixture."""
_PG_TEMPLATE = "tollgate_template"


PG_MODULES = frozenset(
    {
        "test_admin_framework",
        "test_admin_hardening",
        "test_admin_keys_lanes",
        "test_admin_schemathesis",
        "test_admin_usage",
        "test_admin_workspace",
        "test_alerts_webhooks",
        "test_billing_admin",
        "test_budget_admin",
        "test_budget_gateway",
        "test_budget_status",
        "test_budget_usage_events",
        "test_byok",
        "test_monthly_close",
        "test_profitability_admin",
        "test_reconciliation_admin",
        "test_reports",
        "test_database_portability",
        "test_gateway_attribution",
        "test_gateway_surface",
        "test_lane_capacity",
        "test_metering_cost",
        "test_metering_agreement",
        "test_metering_log_writer",
        "test_ratelimit_gateway",
        "test_track",
    }
)
"""The modules marked `pg`: what touches SQL beyond plain CRUD (usage queries, the log and usage-event sinks,
pagination, the SQL ledger, alerts, migrations). `make test` runs them a second time on PostgreSQL."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pg: also run on PostgreSQL in the second pass of `make test` (TOLLGATE_TEST_DATABASE=postgresql)"
    )
    config.addinivalue_line("markers", "n8n: runs the n8n community nodes in a real n8n (skipped without its runtime)")
    config.addinivalue_line(
        "markers", "schemathesis_live: `schemathesis run --checks all` against the real server (a few minutes)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in PG_MODULES:
            item.add_marker(pytest.mark.pg)


def pytest_report_header() -> str:
    return f"tollgate test database: {TEST_DATABASE}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[sa.Engine]:
    """One real PostgreSQL for the session, with a database migrated once to serve as every test's template.
    Yields an AUTOCOMMIT engine on the server's `postgres` database (for CREATE/DROP DATABASE)."""
    with postgres_server() as url:
        if url is None:
            pytest.skip("TOLLGATE_TEST_DATABASE=postgresql: PostgreSQL binaries (initdb, pg_ctl) not installed")
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {_PG_TEMPLATE}"))
        db_migrate.upgrade(sa.make_url(url).set(database=_PG_TEMPLATE).render_as_string(hide_password=False))
        yield admin
        admin.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Empty (SQLite in the test's data dir) or the URL of a fresh, migrated PostgreSQL database."""
    if TEST_DATABASE == "sqlite":
        yield ""
        return
    if TEST_DATABASE != "postgresql":
        raise pytest.UsageError(f"TOLLGATE_TEST_DATABASE={TEST_DATABASE!r}: use sqlite or postgresql")
    admin: sa.Engine = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {_PG_TEMPLATE}"))
        # Sessions not in UTC (and not on a whole-hour offset), so nothing can lean on the server's time zone.
        conn.execute(sa.text(f"ALTER DATABASE {name} SET timezone TO 'Asia/Kathmandu'"))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=base64.b64encode(b"k" * 32).decode(),
        log_flush_interval_s=0.05,
        allow_private_upstreams=True,
        upstream_read_timeout_s=5.0,
        upstream_connect_timeout_s=2.0,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    db_migrate.upgrade(settings.sqlalchemy_url)
    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    yield flask_app
    services(flask_app).log_writer.close()
    services(flask_app).usage_writer.close()
    with flask_app.app_context():
        db.engine.dispose()


@pytest.fixture
def svc(app: Flask) -> Services:
    return services(app)


@dataclass
class Seeded:
    workspace_id: str
    client_id: str
    client_slug: str
    other_client_id: str
    project_id: str
    project_slug: str
    lane_id: str
    key_id: str
    key: str
    other_key: str
    admin_token: str


@pytest.fixture
def seeded(app: Flask, svc: Services, mock_upstream: Mock) -> Seeded:
    """A workspace with two clients, a project, a key each and one agency lane to the mock upstream."""
    with app.app_context():
        session = db.session
        ws = provisioning.create_workspace(session, "Test Agency", "test-agency")
        acme = provisioning.create_client(session, ws.id, "Acme Co", "acme")
        globex = provisioning.create_client(session, ws.id, "Globex", "globex")
        project = provisioning.create_project(session, acme, "Support triage", "support-triage")
        key = provisioning.issue_sub_key(session, svc.hasher, acme, "acme key")
        other = provisioning.issue_sub_key(session, svc.hasher, globex, "globex key")
        lane = provisioning.create_lane(
            session, svc.vault, ws.id, "Agency lane", mock_upstream.base_url, MOCK_PROVIDER_KEY
        )
        provisioning.append_route(session, ws.id, lane)
        token = provisioning.issue_admin_token(session, svc.hasher, ws.id, "owner", "owner")
        session.commit()
        return Seeded(
            workspace_id=ws.id,
            client_id=acme.id,
            client_slug=acme.slug,
            other_client_id=globex.id,
            project_id=project.id,
            project_slug=project.slug,
            lane_id=lane.id,
            key_id=key.id,
            key=key.secret,
            other_key=other.secret,
            admin_token=token.secret,
        )


@pytest.fixture
def gateway(app: Flask, seeded: Seeded) -> Iterator[str]:
    """The gateway on a real socket; yields its OpenAI base URL (…/v1)."""
    served = ServedApp(app)
    yield served.url + "/v1"
    served.stop()
