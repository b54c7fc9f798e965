"""Sub-keys, lanes and routing policies through the admin API."""

from __future__ import annotations

import dataclasses

import openai
import pytest
from flask import Flask

from tests.admin_support import PROBLEM, AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import MOCK_PROVIDER_KEY, Seeded
from tollgate.services import Services
from tollgate.upstream_urls import upstream_url_problem

__all__ = ["foreign", "owner"]


def test_sub_key_secret_is_shown_once_and_works(owner: AdminClient, seeded: Seeded, gateway: str) -> None:
    created = owner.post(
        "sub-keys", json={"client_id": seeded.client_id, "project_id": seeded.project_id, "name": "ci"}
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("tg_") and body["secret"].endswith(body["last4"]) and body["prefix"] == "tg_"
    fetched = owner.get(f"sub-keys/{body['id']}").get_json()
    assert "secret" not in fetched and fetched["status"] == "active"
    assert body["secret"] not in owner.get("sub-keys").get_data(as_text=True)
    sdk = openai.OpenAI(api_key=body["secret"], base_url=gateway, max_retries=0)
    assert sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]).choices


def test_sub_key_validation(owner: AdminClient, seeded: Seeded, foreign: Foreign) -> None:
    past = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "x", "expires_at": "2001-01-01T00:00Z"})
    assert past.status_code == 201 and past.get_json()["status"] == "expired"  # documented: expired at once
    assert owner.patch(f"sub-keys/{past.get_json()['id']}").status_code == 422  # a PATCH needs its body
    wrong_project = owner.post(
        "sub-keys", json={"client_id": seeded.other_client_id, "project_id": seeded.project_id, "name": "x"}
    )
    assert wrong_project.status_code == 404  # no such project for that client, as an unknown id
    assert owner.post("sub-keys", json={"client_id": foreign.client_id, "name": "x"}).status_code == 404
    assert owner.get(f"sub-keys/{foreign.key_id}").status_code == 404


def test_rotate_keeps_old_key_for_the_overlap_then_revoke(owner: AdminClient, seeded: Seeded, gateway: str) -> None:
    rotated = owner.post(f"sub-keys/{seeded.key_id}/rotate", json={"overlap_seconds": 600})
    assert rotated.status_code == 201
    new = rotated.get_json()
    assert new["id"] != seeded.key_id and new["client_id"] == seeded.client_id
    old = owner.get(f"sub-keys/{seeded.key_id}").get_json()
    assert old["status"] == "revoking" and old["revoked_at"]
    for key in (seeded.key, new["secret"]):
        sdk = openai.OpenAI(api_key=key, base_url=gateway, max_retries=0)
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert owner.delete(f"sub-keys/{seeded.key_id}").status_code == 204
    assert owner.get(f"sub-keys/{seeded.key_id}").get_json()["status"] == "revoked"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key=seeded.key, base_url=gateway, max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert owner.post(f"sub-keys/{seeded.key_id}/rotate", json={}).status_code == 409
    revoked = owner.get("sub-keys", query_string={"status": "revoked"}).get_json()["data"]
    assert [k["id"] for k in revoked] == [seeded.key_id]


def test_client_token_manages_only_its_own_keys(app: Flask, svc: Services, seeded: Seeded) -> None:
    portal = as_role(app, svc, seeded, "client")
    assert portal.post("sub-keys", json={"client_id": seeded.client_id, "name": "mine"}).status_code == 201
    assert portal.post("sub-keys", json={"client_id": seeded.other_client_id, "name": "theirs"}).status_code == 404
    listed = portal.get("sub-keys").get_json()["data"]
    assert {k["client_id"] for k in listed} == {seeded.client_id}
    assert portal.get("sub-keys", query_string={"client_id": seeded.other_client_id}).status_code == 404
    assert portal.get("lanes").status_code == 403


def test_lane_credential_is_write_only(owner: AdminClient) -> None:
    created = owner.post(
        "lanes", json={"name": "Azure", "base_url": "https://api.example.com/v1", "api_key": "sk-secret-1234567890"}
    )
    assert created.status_code == 201
    lane = created.get_json()
    assert lane["credential_last4"] == "7890" and lane["credential_fingerprint"]
    assert "api_key" not in lane and "sk-secret" not in created.get_data(as_text=True)
    patched = owner.patch(f"lanes/{lane['id']}", json={"api_key": "sk-other-0000000000abcd", "disabled": True})
    assert patched.get_json()["credential_last4"] == "abcd" and patched.get_json()["disabled_at"]
    audit = owner.get("audit-events", query_string={"target_id": lane["id"]}).get_data(as_text=True)
    assert "sk-secret" not in audit and "sk-other" not in audit


def test_lane_base_url_ssrf_guard(owner: AdminClient, svc: Services) -> None:
    svc.settings = dataclasses.replace(svc.settings, allow_private_upstreams=False)
    for url in ("http://127.0.0.1:9/v1", "http://localhost/v1", "http://169.254.169.254/latest", "ftp://x.org"):
        response = owner.post("lanes", json={"name": "bad", "base_url": url})
        assert response.status_code == 422, url
        assert response.mimetype == PROBLEM and "base_url" in response.get_json()["errors"]
    assert owner.post("lanes", json={"name": "ok", "base_url": "https://8.8.8.8/v1"}).status_code == 201


def test_upstream_url_rules() -> None:
    assert upstream_url_problem("https://api.openai.com/v1", False, lambda h: ["104.18.6.192"]) is None
    assert upstream_url_problem("https://evil.test/v1", False, lambda h: ["10.0.0.5"])
    assert upstream_url_problem("http://[::ffff:127.0.0.1]/", False)
    assert upstream_url_problem("http://user:pw@api.example.com/", True)
    assert upstream_url_problem("http://127.0.0.1:8080/v1", True) is None


def test_routing_policy_replace_and_byok_rule(owner: AdminClient, seeded: Seeded, foreign: Foreign) -> None:
    default = owner.get("routing-policies/default").get_json()
    assert default["lane_ids"] == [seeded.lane_id]
    byok = owner.post(
        "lanes",
        json={
            "name": "Acme's own",
            "base_url": "https://api.example.com/v1",
            "payment": "byok",
            "owner_client_id": seeded.client_id,
            "api_key": MOCK_PROVIDER_KEY,
        },
    ).get_json()
    mine = owner.put(f"routing-policies/{seeded.client_id}", json={"lane_ids": [byok["id"], seeded.lane_id]})
    assert mine.status_code == 200 and mine.get_json()["lane_ids"] == [byok["id"], seeded.lane_id]
    theirs = owner.put(f"routing-policies/{seeded.other_client_id}", json={"lane_ids": [byok["id"]]})
    assert theirs.status_code == 422
    assert owner.put("routing-policies/default", json={"lane_ids": [foreign.lane_id]}).status_code == 404
    assert owner.put(f"routing-policies/{foreign.client_id}", json={"lane_ids": [seeded.lane_id]}).status_code == 404
    scopes = [p["scope"] for p in owner.get("routing-policies").get_json()["data"]]
    assert scopes == ["default", seeded.client_id]
    assert owner.delete(f"routing-policies/{seeded.client_id}").status_code == 204
    assert owner.get(f"routing-policies/{seeded.client_id}").get_json()["lane_ids"] == []


def test_routing_policy_pages_use_opaque_cursors(owner: AdminClient, seeded: Seeded) -> None:
    for client_id in (seeded.client_id, seeded.other_client_id):
        assert owner.put(f"routing-policies/{client_id}", json={"lane_ids": [seeded.lane_id]}).status_code == 200
    scopes, cursor = [], None
    while True:
        page = owner.get("routing-policies", query_string={"limit": 1} | ({"cursor": cursor} if cursor else {}))
        scopes += [p["scope"] for p in page.get_json()["data"]]
        cursor = page.get_json()["next_cursor"]
        if cursor is None:
            break
    assert scopes == ["default", *sorted((seeded.client_id, seeded.other_client_id))]
    for bad, status in (("garbage!", 422), (seeded.client_id, 404), ("default", 404)):
        response = owner.get("routing-policies", query_string={"cursor": bad})
        assert response.status_code == status and response.mimetype == PROBLEM, bad


def test_archived_clients_and_projects_get_no_new_keys_or_projects(owner: AdminClient, seeded: Seeded) -> None:
    """The gateway refuses every key of an archived client: issuing one would hand out a dead 'active' secret."""
    client = owner.post("clients", json={"name": "Leaving", "slug": "leaving"}).get_json()
    project = owner.post("projects", json={"client_id": client["id"], "name": "P", "slug": "p"}).get_json()
    key = owner.post("sub-keys", json={"client_id": client["id"], "name": "k"}).get_json()
    assert owner.delete(f"projects/{project['id']}").status_code == 204
    archived_project = owner.post(
        "sub-keys", json={"client_id": client["id"], "project_id": project["id"], "name": "k"}
    )
    assert archived_project.status_code == 409 and archived_project.mimetype == PROBLEM
    assert owner.delete(f"clients/{client['id']}").status_code == 204
    for path, body in (
        ("sub-keys", {"client_id": client["id"], "name": "k2"}),
        ("projects", {"client_id": client["id"], "name": "P2", "slug": "p2"}),
    ):
        response = owner.post(path, json=body)
        assert response.status_code == 409 and response.mimetype == PROBLEM, path
        assert "archived" in response.get_json()["detail"]
    assert owner.post(f"sub-keys/{key['id']}/rotate", json={"overlap_seconds": 0}).status_code == 409
    assert owner.get("sub-keys", query_string={"client_id": client["id"], "status": "active"}).get_json()["data"] == []
