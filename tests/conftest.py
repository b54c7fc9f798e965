"""Shared fixtures: a real SQLite database per test, a real mock upstream on 127.0.0.1 speaking OpenAI's
wire format, the app, a seeded workspace, and the gateway served over real HTTP for SDK clients."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tollgate import db_migrate, provisioning
from tollgate.app import create_app
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.services import Services, services

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
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
