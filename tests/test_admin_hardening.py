"""Admin API hardening: rotation keeps what is scoped to the key, client tokens stay within the agency's limits."""

from __future__ import annotations

import datetime as dt

import orjson
from flask import Flask

from tests.admin_support import PROBLEM, AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate.admin.key_policy import uncovered
from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.services import Services

from .test_budget_gateway import chat_body, post, spend, worst_case

__all__ = ["foreign", "owner"]


def _code(response: object) -> str:
    return str(response.get_json()["error"]["code"])  # type: ignore[attr-defined]


def test_rotation_keeps_the_key_budget_and_its_spend(app: Flask, svc: Services, seeded: Seeded) -> None:
    """A client token rotates its capped key: the new key (and the old one, during the overlap) is still refused
    at the cap, because the same budget row, with the spend so far, applies to it."""
    raw = chat_body(max_tokens=1000)
    with app.app_context():
        budget = manage.create_budget(db.session, seeded.workspace_id, "key", seeded.key_id, worst_case(raw))
        budget_id = budget.id
        db.session.commit()
    gateway = app.test_client()
    assert post(gateway, seeded.key, raw).status_code == 200  # fits once; what it spent leaves less than a request
    spent, _ = spend(app, budget_id)
    assert spent > 0

    portal = as_role(app, svc, seeded, "client")
    rotated = portal.post(f"sub-keys/{seeded.key_id}/rotate", json={"overlap_seconds": 600})
    assert rotated.status_code == 201, rotated.get_json()
    new = rotated.get_json()
    for key in (new["secret"], seeded.key):
        refused = post(gateway, key, raw)
        assert refused.status_code == 429 and _code(refused) == "budget_exceeded"
    assert spend(app, budget_id) == (spent, 0)

    listed = portal.get("budgets", query_string={"scope": "key"}).get_json()["data"]
    assert [(b["id"], b["scope_id"]) for b in listed] == [(budget_id, new["id"])]
    for key_id in (new["id"], seeded.key_id):
        status = portal.get(f"sub-keys/{key_id}/cap-status").get_json()
        assert [b["budget_id"] for b in status["budgets"]] == [budget_id]


def test_rotation_keeps_the_key_rate_limit(app: Flask, svc: Services, seeded: Seeded) -> None:
    with app.app_context():
        manage.set_rate_limit(db.session, seeded.workspace_id, "key", seeded.key_id, 1, None)
        db.session.commit()
    gateway = app.test_client()
    assert post(gateway, seeded.key, chat_body()).status_code == 200
    portal = as_role(app, svc, seeded, "client")
    new = portal.post(f"sub-keys/{seeded.key_id}/rotate", json={}).get_json()
    refused = post(gateway, new["secret"], chat_body())
    assert refused.status_code == 429 and _code(refused) == "rate_limit_exceeded"  # the same bucket, still empty
    [limit] = portal.get("rate-limits").get_json()["data"]
    assert limit["scope_id"] == new["id"] and limit["requests_per_min"] == 1


def test_rotation_carries_models_project_and_expiry(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    key = owner.post(
        "sub-keys",
        json={
            "client_id": seeded.client_id,
            "project_id": seeded.project_id,
            "name": "bound",
            "allowed_models": ["gpt-4o-mini"],
            "expires_at": expires.isoformat(),
        },
    ).get_json()
    portal = as_role(app, svc, seeded, "client")
    new = portal.post(f"sub-keys/{key['id']}/rotate", json={}).get_json()
    carried = ("project_id", "allowed_models", "expires_at", "agency_allowed_models", "agency_expires_at")
    assert {f: new[f] for f in carried} == {f: key[f] for f in carried}
    assert new["agency_allowed_models"] == ["gpt-4o-mini"]


def test_client_token_cannot_widen_or_remove_the_agency_models(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    assert owner.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["gpt-4o*"]}).status_code == 200
    portal = as_role(app, svc, seeded, "client")
    for loosened in (None, ["*"], ["gpt-4o*", "o3"], ["gpt-*"]):
        refused = portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": loosened})
        assert refused.status_code == 403, loosened
        assert "allowed_models" in refused.get_json()["errors"] and "agency" in refused.get_json()["detail"]
    narrowed = portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["gpt-4o-mini"]})
    assert narrowed.status_code == 200
    assert narrowed.get_json()["agency_allowed_models"] == ["gpt-4o*"]  # the ceiling stays the agency's
    assert portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["gpt-4o"]}).status_code == 200
    gateway = app.test_client()
    refused = post(gateway, seeded.key, chat_body(model="gpt-4o-mini"))
    assert refused.status_code == 403 and _code(refused) == "model_not_allowed"
    # an agency role may widen or remove it again
    assert (
        owner.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": None}).get_json()["agency_allowed_models"]
        is None
    )
    assert portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": None}).status_code == 200


def test_client_token_cannot_extend_the_agency_expiry(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    now = dt.datetime.now(dt.UTC)
    agency = (now + dt.timedelta(days=1)).isoformat()
    assert owner.patch(f"sub-keys/{seeded.key_id}", json={"expires_at": agency}).status_code == 200
    portal = as_role(app, svc, seeded, "client")
    for later in (None, (now + dt.timedelta(days=2)).isoformat()):
        refused = portal.patch(f"sub-keys/{seeded.key_id}", json={"expires_at": later})
        assert refused.status_code == 403 and "expires_at" in refused.get_json()["errors"]
    sooner = portal.patch(f"sub-keys/{seeded.key_id}", json={"expires_at": (now + dt.timedelta(hours=2)).isoformat()})
    assert sooner.status_code == 200
    assert portal.patch(f"sub-keys/{seeded.key_id}", json={"expires_at": agency}).status_code == 200


def test_keys_a_client_token_mints_inherit_the_client_key_policy(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    portal = as_role(app, svc, seeded, "client")
    assert portal.patch(f"clients/{seeded.client_id}", json={"key_allowed_models": None}).status_code == 403
    policy = owner.patch(f"clients/{seeded.client_id}", json={"key_allowed_models": ["gpt-4o-mini"]})
    assert policy.status_code == 200 and policy.get_json()["key_allowed_models"] == ["gpt-4o-mini"]
    minted = portal.post("sub-keys", json={"client_id": seeded.client_id, "name": "mine"})
    assert minted.status_code == 201
    key = minted.get_json()
    assert key["allowed_models"] == key["agency_allowed_models"] == ["gpt-4o-mini"]
    gateway = app.test_client()
    assert post(gateway, key["secret"], chat_body(model="gpt-4o-mini")).status_code == 200
    assert _code(post(gateway, key["secret"], chat_body(model="gpt-4o"))) == "model_not_allowed"
    wider = portal.post("sub-keys", json={"client_id": seeded.client_id, "name": "wide", "allowed_models": ["gpt-4o"]})
    assert wider.status_code == 403 and "allowed_models" in wider.get_json()["errors"]
    assert portal.patch(f"sub-keys/{key['id']}", json={"allowed_models": None}).status_code == 403
    # keys an agency role issues are not bound by the client's policy
    agency_key = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "agency"}).get_json()
    assert agency_key["allowed_models"] is None and agency_key["agency_allowed_models"] is None


def test_client_token_cannot_touch_budgets_or_rate_limits(app: Flask, svc: Services, seeded: Seeded) -> None:
    with app.app_context():
        budget = manage.create_budget(db.session, seeded.workspace_id, "key", seeded.key_id, 1_000_000)
        limit = manage.set_rate_limit(db.session, seeded.workspace_id, "key", seeded.key_id, 10, None)
        ids = budget.id, limit.id
        db.session.commit()
    portal = as_role(app, svc, seeded, "client")
    assert portal.delete(f"budgets/{ids[0]}").status_code == 403
    assert portal.patch(f"budgets/{ids[0]}", json={"amount_micros": 10**12}).status_code == 403
    assert portal.delete(f"rate-limits/{ids[1]}").status_code == 403
    scope = {"scope": "key", "scope_id": seeded.key_id}
    assert portal.put("rate-limits", json=scope | {"requests_per_min": 10_000}).status_code == 403


def test_model_lists_are_covered_only_by_wider_entries() -> None:
    assert uncovered(["gpt-4o-mini", "gpt-4o-m*", "gpt-4o"], ["gpt-4o*"]) == []
    assert uncovered(["gpt-4o-mini"], ["gpt-4o-mini"]) == []
    assert uncovered(["gpt-4*"], ["gpt-4o*"]) == ["gpt-4*"]
    assert uncovered(["*", "gpt-4o?"], ["gpt-4o"]) == ["*", "gpt-4o?"]
    assert uncovered(["a[bc]"], ["a[*"]) == ["a[bc]"]  # a bracket is no literal prefix
    assert uncovered(["gpt-4o-mini"], ["gpt-4o-m?ni"]) == []


def test_archived_client_can_be_unarchived_and_its_tokens_are_refused_meanwhile(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    portal = as_role(app, svc, seeded, "client")
    event = {"event_id": "e1", "timestamp": "2026-11-01T00:00:00Z", "client": seeded.client_id, "model": "m"}
    assert portal.get("sub-keys").status_code == 200
    assert owner.delete(f"clients/{seeded.client_id}").status_code == 204

    refused = portal.get("sub-keys")
    assert refused.status_code == 403 and "archived" in refused.get_json()["detail"]
    assert portal.post("usage-events", json={"events": [event]}).status_code == 403
    archived = owner.post("usage-events", json={"events": [event]})
    assert archived.status_code == 409 and "archived" in archived.get_json()["detail"]
    assert "0" in archived.get_json()["errors"]["events"]
    late = owner.post("admin-tokens", json={"name": "late", "role": "client", "client_id": seeded.client_id})
    assert late.status_code == 409

    restored = owner.post(f"clients/{seeded.client_id}/unarchive")
    assert restored.status_code == 200 and restored.get_json()["archived_at"] is None
    assert owner.post(f"clients/{seeded.client_id}/unarchive").status_code == 200  # already active: unchanged
    assert owner.get("clients", query_string={"status": "active", "q": "Acme"}).get_json()["data"]
    assert portal.get("sub-keys").status_code == 200
    assert portal.post("usage-events", json={"events": [event]}).status_code == 202
    assert owner.get(f"sub-keys/{seeded.key_id}").get_json()["status"] == "revoked"  # issue new keys
    assert owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "fresh"}).status_code == 201
    assert portal.post(f"clients/{seeded.client_id}/unarchive").status_code == 403


def test_a_past_expiry_makes_an_expired_credential_for_keys_and_tokens_alike(
    app: Flask, owner: AdminClient, seeded: Seeded
) -> None:
    """One rule for both: the document cannot say "in the future", so a past expiry is accepted (201) and the
    credential is expired at once, and never authenticates."""
    past = {"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}
    token = owner.post("admin-tokens", json=past)
    key = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "old", "expires_at": past["expires_at"]})
    assert token.status_code == key.status_code == 201
    assert token.get_json()["status"] == key.get_json()["status"] == "expired"
    assert owner.get(f"admin-tokens/{token.get_json()['id']}").get_json()["status"] == "expired"
    assert owner.get(f"sub-keys/{key.get_json()['id']}").get_json()["status"] == "expired"
    secret = token.get_json()["secret"]
    refused = app.test_client().get("/api/v1/clients", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_another_workspaces_ids_in_a_body_are_404(owner: AdminClient, seeded: Seeded, foreign: Foreign) -> None:
    bodies = [
        ("post", "budgets", {"scope": "key", "scope_id": foreign.key_id, "amount_micros": 5}),
        ("post", "budgets", {"scope": "project", "scope_id": foreign.project_id, "amount_micros": 5}),
        ("put", "rate-limits", {"scope": "client", "scope_id": foreign.client_id, "requests_per_min": 5}),
        ("put", "routing-policies/default", {"lane_ids": [foreign.lane_id]}),
        (
            "post",
            "webhook-subscriptions",
            {"url": "http://127.0.0.1:9/h", "event_types": ["cap.exceeded"], "client_ids": [foreign.client_id]},
        ),
        ("post", "sub-keys", {"client_id": foreign.client_id, "name": "x"}),
        ("post", "projects", {"client_id": foreign.client_id, "name": "x", "slug": "x"}),
        ("post", "admin-tokens", {"name": "x", "role": "client", "client_id": foreign.client_id}),
        (
            "post",
            "usage-events",
            {
                "events": [
                    {"event_id": "f", "timestamp": "2026-11-01T00:00:00Z", "client": foreign.client_id, "model": "m"}
                ]
            },
        ),
    ]
    for method, path, body in bodies:
        response = getattr(owner, method)(path, json=body)
        assert response.status_code == 404, (path, response.get_json())
        assert response.mimetype == PROBLEM and "in this workspace" in response.get_json()["detail"]


def test_secret_shaped_metadata_is_redacted_before_it_is_stored(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    secrets = {
        "openai": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "subkey": seeded.other_key,
        "admin": seeded.admin_token,
        "hook": "whsec_abcdefghijklmnopqrstuvwxyz0123",
        "auth": "Bearer abcdefghijklmnopqrstuvwxyz",
    }
    metadata = {name: f"note {value} end" for name, value in secrets.items()} | {"plain": "n8n workflow 42"}
    now = dt.datetime.now(dt.UTC).isoformat()
    event = {"event_id": "m1", "timestamp": now, "client": seeded.client_id, "model": "m"}
    assert owner.post("usage-events", json={"events": [event | {"metadata": metadata}]}).status_code == 202
    assert svc.usage_writer.flush()
    body = orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "metadata": metadata})
    assert post(app.test_client(), seeded.key, body).status_code == 200
    assert svc.log_writer.flush()

    rows = owner.get("request-logs").get_json()["data"]
    assert {r["source"] for r in rows} == {"gateway", "ingested"}
    for row in rows:
        assert row["metadata"]["plain"] == "n8n workflow 42"
        assert all(row["metadata"][name] == "note [REDACTED] end" for name in secrets), row["metadata"]
        text = orjson.dumps(row).decode()
        assert not [v for v in secrets.values() if v in text or v.split()[-1] in text]


def test_secret_shaped_end_user_and_cut_metadata_are_not_stored(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    """`user` / `safety_identifier` are stored as the log's end user: a key pasted there is redacted too, and a
    metadata value cut at OpenAI's 512 characters is scrubbed before the cut (else a secret straddling it stays)."""
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
    bodies = [
        {"user": f"n8n {secret}"},
        {"safety_identifier": seeded.admin_token},
        {"metadata": {"note": "x" * 500 + secret}},
    ]
    for extra in bodies:
        body = orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]} | extra)
        assert post(app.test_client(), seeded.key, body).status_code == 200
    assert svc.log_writer.flush()

    rows = owner.get("request-logs").get_json()["data"]
    assert sorted(r["end_user"] or "" for r in rows) == ["", "[REDACTED]", "n8n [REDACTED]"]
    for row in rows:
        text = orjson.dumps(row).decode()
        assert "sk-proj" not in text and seeded.admin_token[:8] not in text, row


def test_search_treats_like_wildcards_as_text(owner: AdminClient, seeded: Seeded) -> None:
    assert owner.post("clients", json={"name": "50% off_sale\\x", "slug": "sale"}).status_code == 201
    names = {
        q: [c["name"] for c in owner.get("clients", query_string={"q": q}).get_json()["data"]]
        for q in ("%", "_", "\\", "0%", "f_s", "%%%")
    }
    assert names == {
        "%": ["50% off_sale\\x"],
        "_": ["50% off_sale\\x"],
        "\\": ["50% off_sale\\x"],
        "0%": ["50% off_sale\\x"],
        "f_s": ["50% off_sale\\x"],
        "%%%": [],
    }
    for path in ("sub-keys", "projects", "price-overrides"):
        assert owner.get(path, query_string={"q": "%"}).get_json()["data"] == [], path


def test_a_key_in_its_overlap_cannot_be_rotated_again(app: Flask, svc: Services, seeded: Seeded) -> None:
    """Rotating the old key a second time would mint a second replacement beside the one holding its limits."""
    portal = as_role(app, svc, seeded, "client")
    first = portal.post(f"sub-keys/{seeded.key_id}/rotate", json={"overlap_seconds": 600})
    assert first.status_code == 201
    again = portal.post(f"sub-keys/{seeded.key_id}/rotate", json={"overlap_seconds": 600})
    assert again.status_code == 409 and again.content_type == PROBLEM
    assert "rotate its replacement" in again.get_json()["detail"]
    assert portal.post(f"sub-keys/{first.get_json()['id']}/rotate", json={"overlap_seconds": 0}).status_code == 201


def test_a_client_token_keeps_every_key_within_the_client_policy(
    app: Flask, svc: Services, owner: AdminClient, seeded: Seeded
) -> None:
    """A key that existed before the agency set the client's policy is bound by it too when a client token
    changes it: the token may narrow within the policy, never set models outside it or remove the list."""
    policy = owner.patch(f"clients/{seeded.client_id}", json={"key_allowed_models": ["gpt-4o-mini"]})
    assert policy.status_code == 200
    portal = as_role(app, svc, seeded, "client")
    for wider in (["gpt-4o"], None):
        refused = portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": wider})
        assert refused.status_code == 403 and "allowed_models" in refused.get_json()["errors"]
    narrowed = portal.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["gpt-4o-mini"]})
    assert narrowed.status_code == 200 and narrowed.get_json()["allowed_models"] == ["gpt-4o-mini"]
    assert owner.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": None}).status_code == 200
