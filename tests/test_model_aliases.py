"""Workspace model aliases (`fast` → a real model) and lane settings through the admin API, and aliases through
the gateway: resolved before the key's allowed-models check and routing, logged as requested, listed by
/v1/models, and a change reaching the next request."""

from __future__ import annotations

import openai
from flask import Flask

from tollgate.services import Services

from .admin_support import PROBLEM, AdminClient, as_role, owner  # noqa: F401 - fixture
from .conftest import Mock, Seeded
from .log_rows import wait_rows


def test_alias_crud_conflicts_roles_and_audit(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    created = owner.post("model-aliases", json={"alias": "fast", "model": "gpt-4o-mini"})
    assert created.status_code == 201 and created.get_json()["model"] == "gpt-4o-mini"
    alias_id = created.get_json()["id"]
    duplicate = owner.post("model-aliases", json={"alias": "fast", "model": "gpt-4o"})
    assert duplicate.status_code == 409 and duplicate.content_type == PROBLEM
    bad = owner.post("model-aliases", json={"alias": "fast", "model": "fast"})
    assert bad.status_code == 409 and bad.content_type == PROBLEM and "model" in bad.get_json()["errors"]
    assert owner.patch(f"model-aliases/{alias_id}", json={"model": "gpt-4o"}).get_json()["model"] == "gpt-4o"
    assert [a["alias"] for a in owner.get("model-aliases").get_json()["data"]] == ["fast"]
    viewer = as_role(app, svc, seeded, "viewer")
    assert viewer.get(f"model-aliases/{alias_id}").status_code == 200
    assert viewer.post("model-aliases", json={"alias": "slow", "model": "o3-mini"}).status_code == 403
    assert owner.delete(f"model-aliases/{alias_id}").status_code == 204
    actions = [e["action"] for e in owner.get("audit-events", query_string={"limit": 200}).get_json()["data"]]
    assert {"model_alias.create", "model_alias.update", "model_alias.delete"} <= set(actions)


def test_alias_through_the_gateway(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    gateway: str,
    mock_upstream: Mock,
    owner: AdminClient,  # noqa: F811
) -> None:
    keys = owner.get("sub-keys").get_json()["data"]
    key_id = next(k["id"] for k in keys if k["id"] == seeded.key_id)
    assert owner.patch(f"sub-keys/{key_id}", json={"allowed_models": ["gpt-4o-mini", "gpt-4o"]}).status_code == 200
    alias_id = owner.post("model-aliases", json={"alias": "fast", "model": "gpt-4o-mini"}).get_json()["id"]
    sdk = openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)
    assert (
        sdk.chat.completions.create(model="fast", messages=[{"role": "user", "content": "hi"}]).model == "gpt-4o-mini"
    )
    assert "fast" in {m.id for m in sdk.models.list()}
    owner.patch(f"model-aliases/{alias_id}", json={"model": "gpt-4o"})  # reaches the cached key at once
    sdk.chat.completions.create(model="fast", messages=[{"role": "user", "content": "hi"}])
    assert [r["body"]["model"] for r in mock_upstream.state.requests if r["path"] == "/chat/completions"] == [
        "gpt-4o-mini",
        "gpt-4o",
    ]
    owner.patch(f"model-aliases/{alias_id}", json={"model": "o3-mini"})  # not among the key's allowed models
    try:
        sdk.chat.completions.create(model="fast", messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("an alias must not widen the key's allowed models")
    except openai.PermissionDeniedError:
        pass
    rows = wait_rows(app, svc, 3)
    assert [(r.model_requested, r.model_served) for r in rows[:2]] == [("fast", "gpt-4o-mini"), ("fast", "gpt-4o")]
    assert rows[0].priced and rows[0].value_micros > 0


def test_lane_settings_are_validated(owner: AdminClient, mock_upstream: Mock) -> None:  # noqa: F811
    lane = {"name": "Azure", "provider": "azure", "base_url": "https://agency.openai.azure.com", "api_key": "k" * 32}
    created = owner.post("lanes", json={**lane, "settings": {"deployments": {"gpt-4o": "prod"}}})
    assert created.status_code == 201 and created.get_json()["settings"] == {"deployments": {"gpt-4o": "prod"}}
    wrong = owner.post("lanes", json={**lane, "settings": {"deployment": {"gpt-4o": "prod"}}})
    assert wrong.status_code == 422 and wrong.content_type == PROBLEM
    assert "deployment" in wrong.get_json()["errors"]["settings"]
    other = owner.post("lanes", json={**lane, "provider": "openai", "settings": {"deployments": {"gpt-4o": "p"}}})
    assert other.status_code == 409 and "settings.deployments" in other.get_json()["errors"]
    lane_id = created.get_json()["id"]
    patched = owner.patch(f"lanes/{lane_id}", json={"settings": {"price_provider": "nobody"}})
    assert patched.status_code == 422 and "price_provider" in patched.get_json()["errors"]["settings"]
    ok = owner.patch(f"lanes/{lane_id}", json={"settings": {"api_version": "2025-01-01-preview"}})
    assert ok.status_code == 200 and ok.get_json()["settings"] == {"api_version": "2025-01-01-preview"}
