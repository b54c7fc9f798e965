"""Workspace settings, price overrides, admin tokens and the audit log through the admin API."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import update

from tests.admin_support import PROBLEM, AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate.extensions import db
from tollgate.models import AdminToken
from tollgate.models.base import utcnow
from tollgate.services import Services

__all__ = ["foreign", "owner"]


def test_workspace_branding(owner: AdminClient) -> None:
    changed = owner.patch(
        "workspace",
        json={"name": "Brand Co", "primary_color": "#112233", "timezone": "Europe/Berlin", "currency": "EUR"},
    )
    assert changed.status_code == 200
    assert changed.get_json()["timezone"] == "Europe/Berlin" and changed.get_json()["currency"] == "EUR"
    bad = owner.patch("workspace", json={"primary_color": "red", "timezone": "Mars/Olympus", "currency": "euro"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"primary_color", "timezone", "currency"}


def test_price_override_crud_and_conflict(owner: AdminClient, foreign: Foreign) -> None:
    body = {"model": "acme-llm", "input_mtok_micros": 1_000_000, "output_mtok_micros": 2_000_000}
    created = owner.post("price-overrides", json=body)
    assert created.status_code == 201
    # money is `*_micros` plus an exact `*_usd` string everywhere, prices per million tokens too
    shown = created.get_json()
    assert (shown["input_mtok_usd"], shown["output_mtok_usd"], shown["cached_input_mtok_usd"]) == (
        "1.000000",
        "2.000000",
        None,
    )
    assert owner.post("price-overrides", json=body).status_code == 409
    override_id = created.get_json()["id"]
    assert (
        owner.patch(f"price-overrides/{override_id}", json={"output_mtok_micros": 3}).get_json()["output_mtok_micros"]
        == 3
    )
    assert owner.post("price-overrides", json=body | {"input_mtok_micros": -1}).status_code == 422
    assert owner.delete(f"price-overrides/{override_id}").status_code == 204
    assert owner.get(f"price-overrides/{override_id}").status_code == 404


def test_admin_tokens_are_owner_only_and_revocable(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient
) -> None:
    admin = as_role(app, svc, seeded, "admin")
    assert admin.get("admin-tokens").status_code == 403
    assert admin.post("admin-tokens", json={"name": "x", "role": "owner"}).status_code == 403
    bad = owner.post("admin-tokens", json={"name": "portal", "role": "client"})
    assert bad.status_code == 422 and "client_id" in bad.get_json()["errors"]
    created = owner.post("admin-tokens", json={"name": "viewer", "role": "viewer"}).get_json()
    assert created["secret"].startswith("tga_")
    viewer = AdminClient(app.test_client(), created["secret"])
    assert viewer.get("clients").status_code == 200
    assert owner.delete(f"admin-tokens/{created['id']}").status_code == 204
    assert viewer.get("clients").status_code == 401
    listed = owner.get("admin-tokens").get_data(as_text=True)
    assert created["secret"] not in listed and created["id"] not in listed


def test_audit_log_is_filterable_and_paginated(owner: AdminClient, foreign: Foreign) -> None:
    for i in range(3):
        owner.post("clients", json={"name": f"A{i}", "slug": f"a-{i}"})
    page = owner.get("audit-events", query_string={"action": "client.create", "limit": 2}).get_json()
    assert len(page["data"]) == 2 and page["next_cursor"]
    event = page["data"][0]
    assert event["actor"].startswith("token:") and event["ip"] and event["after"]["slug"]
    rest = owner.get("audit-events", query_string={"action": "client.create", "cursor": page["next_cursor"]})
    assert len(rest.get_json()["data"]) >= 1
    everything = owner.get("audit-events", query_string={"limit": 200}).get_data(as_text=True)
    assert foreign.client_id not in everything


def test_delete_workspace_is_owner_only(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    assert as_role(app, svc, seeded, "admin").delete("workspace").status_code == 403
    assert owner.delete("workspace").status_code == 204
    assert owner.get("workspace").status_code == 401


def test_every_audit_event_of_an_api_change_names_the_callers_ip(owner: AdminClient, seeded: Seeded) -> None:
    client = owner.post("clients", json={"name": "Audited", "slug": "audited"}).get_json()
    owner.post("projects", json={"client_id": client["id"], "name": "P", "slug": "p"})
    key = owner.post("sub-keys", json={"client_id": client["id"], "name": "k"}).get_json()
    owner.post(f"sub-keys/{key['id']}/rotate", json={"overlap_seconds": 0})
    owner.post("price-overrides", json={"model": "m", "input_mtok_micros": 1, "output_mtok_micros": 2})
    token = owner.post("admin-tokens", json={"name": "ci", "role": "viewer"}).get_json()
    owner.delete(f"admin-tokens/{token['id']}")
    events = owner.get("audit-events", query_string={"limit": 200}).get_json()["data"]
    by_api = [e for e in events if e["actor"].startswith("token:")]
    assert {e["action"] for e in by_api} >= {"admin_token.create", "sub_key.create", "sub_key.rotate", "client.create"}
    assert [e for e in by_api if e["ip"] != "127.0.0.1"] == []


def test_the_last_owner_token_cannot_be_revoked(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    """Revoking the workspace's last active owner token would lock everyone out of token management: 409."""
    own_id = next(t["id"] for t in owner.get("admin-tokens", query_string={"role": "owner"}).get_json()["data"])
    refused = owner.delete(f"admin-tokens/{own_id}")
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert "at least one owner token must remain; issue another owner token first" in refused.get_json()["detail"]
    assert owner.get("admin-tokens").status_code == 200  # still works
    # an expired owner token does not count
    stale = owner.post("admin-tokens", json={"name": "stale", "role": "owner"}).get_json()
    with app.app_context():
        db.session.execute(
            update(AdminToken).where(AdminToken.id == stale["id"]).values(expires_at=utcnow() - dt.timedelta(days=1))
        )
        db.session.commit()
    assert owner.delete(f"admin-tokens/{own_id}").status_code == 409
    # with another live owner, either may go, but not both
    other = owner.post("admin-tokens", json={"name": "second owner", "role": "owner"}).get_json()
    assert owner.delete(f"admin-tokens/{own_id}").status_code == 204
    second = AdminClient(app.test_client(), other["secret"])
    assert second.delete(f"admin-tokens/{other['id']}").status_code == 409
    # the role cannot be changed away from owner through PATCH either
    assert second.patch(f"admin-tokens/{other['id']}", json={"role": "admin"}).status_code in (409, 422)
    assert second.get(f"admin-tokens/{other['id']}").get_json()["role"] == "owner"
