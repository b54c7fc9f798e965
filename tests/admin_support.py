"""Helpers for the admin API tests: a bearer-authenticated test client, tokens of every role, and a second
workspace whose ids must never be visible from the first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Seeded
from tollgate import provisioning
from tollgate.extensions import db
from tollgate.services import Services

PROBLEM = "application/problem+json"


class AdminClient:
    """`app.test_client()` with a bearer token and JSON bodies."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, path: str, **kw: Any) -> TestResponse:
        headers = dict(kw.pop("headers", {}) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PATCH", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)


@dataclass
class Foreign:
    """Ids of another workspace."""

    workspace_id: str
    client_id: str
    project_id: str
    key_id: str
    lane_id: str
    token_id: str
    token: str


def make_token(app: Flask, svc: Services, workspace_id: str, role: str, client_id: str | None = None) -> str:
    with app.app_context():
        issued = provisioning.issue_admin_token(db.session, svc.hasher, workspace_id, role, role, client_id=client_id)
        db.session.commit()
        return issued.secret


def make_foreign(app: Flask, svc: Services) -> Foreign:
    with app.app_context():
        session = db.session
        ws = provisioning.create_workspace(session, "Other Agency", "other-agency")
        client = provisioning.create_client(session, ws.id, "Initech", "initech")
        project = provisioning.create_project(session, client, "Reports", "reports")
        key = provisioning.issue_sub_key(session, svc.hasher, client, "initech key")
        lane = provisioning.create_lane(session, svc.vault, ws.id, "Other lane", "https://api.example.com/v1", "sk-x")
        token = provisioning.issue_admin_token(session, svc.hasher, ws.id, "other owner", "owner")
        session.commit()
        return Foreign(ws.id, client.id, project.id, key.id, lane.id, token.id, token.secret)


@pytest.fixture
def owner(app: Flask, seeded: Seeded) -> AdminClient:
    return AdminClient(app.test_client(), seeded.admin_token)


@pytest.fixture
def foreign(app: Flask, svc: Services, seeded: Seeded) -> Foreign:
    return make_foreign(app, svc)


def as_role(app: Flask, svc: Services, seeded: Seeded, role: str) -> AdminClient:
    client_id = seeded.client_id if role == "client" else None
    return AdminClient(app.test_client(), make_token(app, svc, seeded.workspace_id, role, client_id))
