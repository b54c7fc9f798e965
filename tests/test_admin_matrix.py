"""Every admin endpoint × every role × own and foreign tenant: who may call what, and another workspace's
ids are always 404. Endpoints are read from the app's url_map, so a new endpoint without an entry in the
tables below fails here until someone decides who may call it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask

from tests.admin_support import PROBLEM, AdminClient, make_foreign, make_token
from tests.budget_support import budget_sample_ids
from tests.conftest import Seeded
from tollgate import admin, invoicing, provisioning, reporting
from tollgate.extensions import db
from tollgate.models import Client, PriceOverride, Workspace
from tollgate.services import Services

ROLES = ("client", "viewer", "admin", "owner")
_SKIP = {"/api/v1/openapi.yaml", "/api/v1/openapi.json"}


def _endpoints() -> list[tuple[str, str]]:
    bare = Flask(__name__)
    admin.init_app(bare)
    found = set()
    for rule in bare.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule not in _SKIP:
            found |= {(method, rule.rule) for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    return sorted(found)


ENDPOINTS = _endpoints()

OWNER_ONLY = {(m, r) for m, r in ENDPOINTS if r.startswith("/api/v1/admin-tokens")} | {("DELETE", "/api/v1/workspace")}
CLIENT_ALLOWED = {
    ("GET", "/api/v1/workspace"),
    ("GET", "/api/v1/clients"),
    ("GET", "/api/v1/clients/<client_id>"),
    ("GET", "/api/v1/projects"),
    ("POST", "/api/v1/projects"),
    ("GET", "/api/v1/projects/<project_id>"),
    ("PATCH", "/api/v1/projects/<project_id>"),
    ("DELETE", "/api/v1/projects/<project_id>"),
    ("GET", "/api/v1/sub-keys"),
    ("POST", "/api/v1/sub-keys"),
    ("GET", "/api/v1/sub-keys/<key_id>"),
    ("PATCH", "/api/v1/sub-keys/<key_id>"),
    ("DELETE", "/api/v1/sub-keys/<key_id>"),
    ("POST", "/api/v1/sub-keys/<key_id>/rotate"),
    ("GET", "/api/v1/usage"),
    ("GET", "/api/v1/usage/burn-rate"),
    ("GET", "/api/v1/request-logs"),
    ("GET", "/api/v1/exports/monthly.csv"),
    ("GET", "/api/v1/exports/request-logs.csv"),
    ("POST", "/api/v1/usage-events"),
    ("GET", "/api/v1/budgets"),
    ("GET", "/api/v1/budgets/<budget_id>"),
    ("GET", "/api/v1/clients/<client_id>/cap-status"),
    ("GET", "/api/v1/projects/<project_id>/cap-status"),
    ("GET", "/api/v1/sub-keys/<key_id>/cap-status"),
    ("GET", "/api/v1/rate-limits"),
    ("GET", "/api/v1/alert-events"),
    ("GET", "/api/v1/clients/<client_id>/billing-plan"),
    ("GET", "/api/v1/clients/<client_id>/billing-plans"),
    ("GET", "/api/v1/clients/<client_id>/invoices/<month>"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/<invoice_id>"),
    ("GET", "/api/v1/invoices/<invoice_id>/export"),
    ("GET", "/api/v1/reports"),
    ("GET", "/api/v1/reports/<report_id>"),
    ("GET", "/api/v1/reports/<report_id>/download"),
}
BYOK = {
    ("GET", "/api/v1/provider-key-guides"),
    *((m, "/api/v1/clients/<client_id>/provider-keys") for m in ("GET", "POST")),
    *((m, "/api/v1/clients/<client_id>/provider-keys/<provider_key_id>") for m in ("GET", "DELETE")),
    ("POST", "/api/v1/clients/<client_id>/provider-keys/<provider_key_id>/verify"),
    *((m, "/api/v1/clients/<client_id>/byok-settings") for m in ("GET", "PATCH")),
}
CLIENT_ALLOWED |= BYOK  # a client manages its own provider keys (the agency may too)
KNOWN = BYOK | {
    ("GET", "/api/v1/workspace"),
    ("PATCH", "/api/v1/workspace"),
    ("DELETE", "/api/v1/workspace"),
    *((m, "/api/v1/clients") for m in ("GET", "POST")),
    *((m, "/api/v1/clients/<client_id>") for m in ("GET", "PATCH", "DELETE")),
    ("POST", "/api/v1/clients/<client_id>/unarchive"),
    *((m, "/api/v1/projects") for m in ("GET", "POST")),
    *((m, "/api/v1/projects/<project_id>") for m in ("GET", "PATCH", "DELETE")),
    *((m, "/api/v1/sub-keys") for m in ("GET", "POST")),
    *((m, "/api/v1/sub-keys/<key_id>") for m in ("GET", "PATCH", "DELETE")),
    ("POST", "/api/v1/sub-keys/<key_id>/rotate"),
    *((m, "/api/v1/lanes") for m in ("GET", "POST")),
    *((m, "/api/v1/lanes/<lane_id>") for m in ("GET", "PATCH", "DELETE")),
    ("GET", "/api/v1/routing-policies"),
    *((m, "/api/v1/routing-policies/<scope>") for m in ("GET", "PUT", "DELETE")),
    *((m, "/api/v1/price-overrides") for m in ("GET", "POST")),
    *((m, "/api/v1/price-overrides/<override_id>") for m in ("GET", "PATCH", "DELETE")),
    *((m, "/api/v1/admin-tokens") for m in ("GET", "POST")),
    *((m, "/api/v1/admin-tokens/<token_id>") for m in ("GET", "PATCH", "DELETE")),
    ("GET", "/api/v1/audit-events"),
    ("GET", "/api/v1/usage"),
    ("GET", "/api/v1/usage/burn-rate"),
    ("GET", "/api/v1/request-logs"),
    ("GET", "/api/v1/exports/monthly.csv"),
    ("GET", "/api/v1/exports/request-logs.csv"),
    ("POST", "/api/v1/usage-events"),
    *((m, "/api/v1/budgets") for m in ("GET", "POST")),
    *((m, "/api/v1/budgets/<budget_id>") for m in ("GET", "PATCH", "DELETE")),
    ("GET", "/api/v1/clients/<client_id>/cap-status"),
    ("GET", "/api/v1/projects/<project_id>/cap-status"),
    ("GET", "/api/v1/sub-keys/<key_id>/cap-status"),
    *((m, "/api/v1/rate-limits") for m in ("GET", "PUT")),
    ("DELETE", "/api/v1/rate-limits/<rate_limit_id>"),
    *((m, "/api/v1/alert-rules") for m in ("GET", "POST")),
    *((m, "/api/v1/alert-rules/<rule_id>") for m in ("PATCH", "DELETE")),
    ("GET", "/api/v1/alert-events"),
    *((m, "/api/v1/webhook-subscriptions") for m in ("GET", "POST")),
    *((m, "/api/v1/webhook-subscriptions/<subscription_id>") for m in ("GET", "DELETE")),
    ("GET", "/api/v1/webhook-deliveries"),
    ("POST", "/api/v1/webhook-deliveries/<delivery_id>/resend"),
    *((m, "/api/v1/clients/<client_id>/billing-plan") for m in ("GET", "PUT")),
    ("GET", "/api/v1/clients/<client_id>/billing-plans"),
    ("GET", "/api/v1/clients/<client_id>/invoices/<month>"),
    *((m, "/api/v1/invoices") for m in ("GET", "POST")),
    ("GET", "/api/v1/invoices/<invoice_id>"),
    ("GET", "/api/v1/invoices/<invoice_id>/export"),
    *((m, "/api/v1/reports") for m in ("GET", "POST")),
    ("GET", "/api/v1/reports/<report_id>"),
    ("GET", "/api/v1/reports/<report_id>/download"),
    *((m, "/api/v1/reports/<report_id>/share-link") for m in ("POST", "DELETE")),
    ("GET", "/api/v1/profitability"),
}


def allowed(role: str, method: str, rule: str) -> bool:
    if role == "client":
        return (method, rule) in CLIENT_ALLOWED
    if (method, rule) in OWNER_ONLY:
        return role == "owner"
    return role in ("admin", "owner") or method == "GET"


@dataclass
class Ids:
    client_id: str
    project_id: str
    key_id: str
    lane_id: str
    override_id: str
    token_id: str
    budget_id: str = ""
    rate_limit_id: str = ""
    rule_id: str = ""
    subscription_id: str = ""
    delivery_id: str = ""
    invoice_id: str = ""
    report_id: str = ""
    provider_key_id: str = "pk_none"
    month: str = "2026-01"

    @property
    def scope(self) -> str:
        return self.client_id


def _override(app: Flask, workspace_id: str) -> str:
    with app.app_context():
        row = PriceOverride(
            id=f"prc_{workspace_id[-8:]}",
            workspace_id=workspace_id,
            model="m",
            input_mtok_micros=1,
            output_mtok_micros=1,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _spare_token(app: Flask, svc: Services, workspace_id: str) -> str:
    with app.app_context():
        issued = provisioning.issue_admin_token(db.session, svc.hasher, workspace_id, "spare", "viewer")
        db.session.commit()
        return issued.id


def _path(rule: str, ids: Ids) -> str:
    return re.sub(r"<(\w+)>", lambda m: str(getattr(ids, m.group(1))), rule)


def _body(rule: str, ids: Ids) -> dict[str, object]:
    """A valid body where the schema requires fields, so a foreign id is reached (and answered 404)."""
    if rule == "/api/v1/clients/<client_id>/billing-plan":
        return {"kind": "pass_through"}
    if rule == "/api/v1/clients/<client_id>/provider-keys":  # verified against nothing: the base URL is unused
        return {
            "provider": "openai",
            "purposes": ["chat"],
            "api_key": "sk-matrix-0000",
            "base_url": "http://127.0.0.1:9",
        }
    return {"lane_ids": [ids.lane_id]} if rule == "/api/v1/routing-policies/<scope>" else {}


def _query(rule: str) -> dict[str, str]:
    if rule.endswith(("/export", "/download")):
        return {"format": "json"}
    return {"month": "2026-01"} if rule.endswith(("monthly.csv", "/profitability")) else {}


def _invoice(app: Flask, workspace_id: str, client_id: str) -> str:
    """A plan and a January 2026 invoice draft of the client."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        workspace = db.session.get(Workspace, workspace_id)
        assert client is not None and workspace is not None
        month = invoicing.Month(2026, 1)
        invoicing.set_plan(db.session, client, month, {"kind": "pass_through"}, "test")
        return invoicing.make_invoice(db.session, workspace, client, month, "test").id


def _report(app: Flask, workspace_id: str, client_id: str) -> str:
    """A queued January 2026 report of the client (not made: no job runs here)."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        workspace = db.session.get(Workspace, workspace_id)
        assert client is not None and workspace is not None
        report = reporting.request_report(db.session, workspace, client, invoicing.Month(2026, 1))
        db.session.commit()
        return report.id


def test_every_endpoint_is_in_the_tables() -> None:
    assert set(ENDPOINTS) == KNOWN, "new or removed admin endpoints: update KNOWN/CLIENT_ALLOWED/OWNER_ONLY"


@pytest.mark.parametrize(("method", "rule"), ENDPOINTS, ids=[f"{m} {r}" for m, r in ENDPOINTS])
def test_role_and_tenant_matrix(app: Flask, svc: Services, seeded: Seeded, method: str, rule: str) -> None:
    foreign = make_foreign(app, svc)
    own = Ids(seeded.client_id, seeded.project_id, seeded.key_id, seeded.lane_id, "", "")
    own.override_id, own.token_id = _override(app, seeded.workspace_id), _spare_token(app, svc, seeded.workspace_id)
    theirs = Ids(foreign.client_id, foreign.project_id, foreign.key_id, foreign.lane_id, "", foreign.token_id)
    theirs.override_id = _override(app, foreign.workspace_id)
    for ids, workspace_id in ((own, seeded.workspace_id), (theirs, foreign.workspace_id)):
        for name, value in budget_sample_ids(app, svc, workspace_id, ids.client_id).items():
            setattr(ids, name, value)
        ids.invoice_id = _invoice(app, workspace_id, ids.client_id)
        ids.report_id = _report(app, workspace_id, ids.client_id)
    tokens = {
        role: make_token(app, svc, seeded.workspace_id, role, seeded.client_id if role == "client" else None)
        for role in ROLES
    }
    tokens["owner"] = seeded.admin_token
    anonymous = AdminClient(app.test_client(), None).request(method, _path(rule, own), json={})
    assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM
    for role in ROLES:  # least privileged first: nothing a refused call could have changed is seen later
        caller = AdminClient(app.test_client(), tokens[role])
        may = allowed(role, method, rule)
        if "<" in rule:
            response = caller.request(method, _path(rule, theirs), json=_body(rule, own), query_string=_query(rule))
            assert response.status_code == (404 if may else 403), (role, response.get_json())
            assert response.mimetype == PROBLEM
        response = caller.request(method, _path(rule, own), json=_body(rule, own), query_string=_query(rule))
        if may:
            assert response.status_code not in (401, 403), (role, response.get_json())
            assert response.status_code < 500
            assert foreign.client_id not in response.get_data(as_text=True)
        else:
            assert response.status_code == 403 and response.mimetype == PROBLEM, role
