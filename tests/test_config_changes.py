"""Every admin write to what a cached `KeyContext` holds bumps the shared cache generation at its commit (one
mechanism: `config_changes.py`, not a call per endpoint); other writes and rolled-back ones do not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.gateway.invalidation import CacheGeneration
from tollgate.models import Project
from tollgate.services import Services

from .admin_support import AdminClient
from .conftest import Seeded

Step = tuple[str, str, Callable[[dict[str, Any]], Any]]


@pytest.fixture
def admin(app: Flask, seeded: Seeded) -> AdminClient:
    return AdminClient(app.test_client(), seeded.admin_token)


def _generation(svc: Services) -> int:
    assert svc.keys.generation is not None
    return svc.keys.generation.read()


def test_every_admin_write_the_key_cache_reads_bumps_the_generation(
    admin: AdminClient, svc: Services, seeded: Seeded
) -> None:
    made: dict[str, Any] = {}
    steps: list[Step] = [
        ("PATCH", "workspace", lambda _: {"timezone": "Europe/Paris"}),
        ("POST", "clients", lambda _: {"name": "Initech", "slug": "initech"}),
        ("PATCH", f"clients/{seeded.client_id}", lambda _: {"name": "Acme Corp"}),
        ("POST", "projects", lambda _: {"client_id": seeded.client_id, "name": "Night", "slug": "night"}),
        ("PATCH", f"projects/{seeded.project_id}", lambda _: {"slug": "triage"}),
        ("DELETE", f"projects/{seeded.project_id}", lambda _: None),
        ("POST", "sub-keys", lambda _: {"client_id": seeded.client_id, "name": "n8n"}),
        ("PATCH", f"sub-keys/{seeded.key_id}", lambda _: {"allowed_models": ["gpt-4o-mini"]}),
        ("POST", f"sub-keys/{seeded.key_id}/rotate", lambda _: {}),
        ("POST", "lanes", lambda _: {"name": "Backup", "base_url": "https://api.example.com/v1", "api_key": "sk-b"}),
        ("PATCH", f"lanes/{seeded.lane_id}", lambda _: {"models": ["gpt-4o*"]}),
        ("PUT", f"routing-policies/{seeded.client_id}", lambda m: {"lane_ids": [m["lanes"]["id"], seeded.lane_id]}),
        ("DELETE", f"routing-policies/{seeded.client_id}", lambda _: None),
        ("POST", "budgets", lambda _: {"scope": "client", "scope_id": seeded.client_id, "amount_micros": 10}),
        ("PATCH", "budgets/{budgets}", lambda _: {"amount_micros": 20}),
        ("DELETE", "budgets/{budgets}", lambda _: None),
        ("PUT", "rate-limits", lambda _: {"scope": "client", "scope_id": seeded.client_id, "requests_per_min": 5}),
        ("DELETE", "rate-limits/{rate-limits}", lambda _: None),
        ("POST", "price-overrides", lambda _: {"model": "m-1", "input_mtok_micros": 1, "output_mtok_micros": 2}),
        ("PATCH", "price-overrides/{price-overrides}", lambda _: {"output_mtok_micros": 3}),
        ("DELETE", "price-overrides/{price-overrides}", lambda _: None),
        ("DELETE", f"lanes/{seeded.lane_id}", lambda _: None),
        ("DELETE", f"sub-keys/{seeded.key_id}", lambda _: None),
        ("DELETE", f"clients/{seeded.other_client_id}", lambda _: None),
    ]
    for method, path, body in steps:
        url = path.format(**{k: v["id"] for k, v in made.items()})
        before = _generation(svc)
        resp = admin.request(method, url, json=body(made))
        assert resp.status_code < 300, (method, url, resp.get_data(as_text=True))
        assert _generation(svc) != before, (method, url)
        if method in ("POST", "PUT") and resp.is_json and "id" in resp.get_json():
            made[path.split("/")[0]] = resp.get_json()


def test_other_writes_and_refused_ones_leave_the_generation(admin: AdminClient, svc: Services, seeded: Seeded) -> None:
    before = _generation(svc)
    assert admin.post("admin-tokens", json={"name": "ci", "role": "viewer"}).status_code == 201
    assert admin.post("alert-rules", json={"kind": "burn_rate_spike"}).status_code < 500
    refused = admin.post("projects", json={"client_id": seeded.client_id, "name": "Dup", "slug": "support-triage"})
    assert refused.status_code == 409
    assert _generation(svc) == before


def test_a_rollback_invalidates_nothing_and_a_cli_style_commit_does(app: Flask, svc: Services, seeded: Seeded) -> None:
    with app.app_context():
        before = _generation(svc)
        db.session.add(
            Project(
                id="prj_rolledback", workspace_id=seeded.workspace_id, client_id=seeded.client_id, name="x", slug="x"
            )
        )
        db.session.flush()
        db.session.rollback()
        provisioning.audit(db.session, seeded.workspace_id, "test", "note", "workspace", seeded.workspace_id)
        db.session.commit()  # an audit event: not something the key cache holds
        assert _generation(svc) == before
        client = provisioning.create_client(db.session, seeded.workspace_id, "Hooli", "hooli")
        provisioning.create_project(db.session, client, "Search", "search")
        db.session.commit()
        assert _generation(svc) != before


def test_the_generation_file_is_shared_by_every_process_of_the_data_dir(svc: Services) -> None:
    """Two mappings of the file behave as two processes would (the CLI and a worker)."""
    other = CacheGeneration.in_data_dir(svc.settings.data_dir)
    assert svc.keys.generation is not None
    seen = svc.keys.generation.read()
    other.bump()
    assert svc.keys.generation.read() != seen
    assert (svc.settings.data_dir / "cache-generation").stat().st_mode & 0o777 == 0o600
