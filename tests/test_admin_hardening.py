"""Admin API hardening: rotation keeps what is scoped to the key, client tokens stay within the agency's limits."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from tests.admin_support import AdminClient, as_role, owner
from tests.conftest import Seeded
from tollgate.admin.key_policy import uncovered
from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.services import Services

from .test_budget_gateway import chat_body, post, spend, worst_case

__all__ = ["owner"]


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
