"""The admin API's shared machinery: authentication, problem details, pagination, idempotency, scoping."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import TestResponse

from tests.admin_support import PROBLEM, AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate.services import Services

__all__ = ["foreign", "owner"]


def test_missing_and_bad_tokens_get_401_problem(app: Flask, seeded: Seeded) -> None:
    anonymous = AdminClient(app.test_client(), None)
    for token in (None, "tga_nope", "tga_" + "A" * 38):
        response = AdminClient(app.test_client(), token).get("clients")
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        body = response.get_json()
        assert body["status"] == 401 and body["title"] and body["detail"] and body["instance"] == "/api/v1/clients"
        assert "WWW-Authenticate" in response.headers
    assert anonymous.get("/api/v1/nope").status_code == 404


def test_wrong_kind_of_key_says_what_to_use(app: Flask, seeded: Seeded) -> None:
    """A sub-key or a provider key sent to the admin API: 401 saying which token it wants, never echoing the key."""
    cases = (
        (seeded.key, "gateway sub-key (tg_…); the admin API takes an admin token (tga_…)"),
        ("sk-proj-" + "x" * 40, "provider API key (sk-…); the admin API takes an admin token (tga_…)"),
    )
    for token, wanted in cases:
        response = AdminClient(app.test_client(), token).get("clients")
        assert response.status_code == 401 and response.mimetype == PROBLEM
        assert wanted in response.get_json()["detail"]
        assert token not in response.get_data(as_text=True)
        assert token[-4:] not in response.get_data(as_text=True)
        assert "WWW-Authenticate" in response.headers


def test_unknown_route_and_method_are_problems(owner: AdminClient) -> None:
    response = owner.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    response = owner.put("clients")
    assert response.status_code == 405 and response.mimetype == PROBLEM


def test_method_not_allowed_lists_the_allowed_methods(owner: AdminClient) -> None:
    response = owner.post("rate-limits", json={"scope": "client"})
    assert response.status_code == 405 and response.mimetype == PROBLEM
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "PUT"}
    detail = response.get_json()["detail"]
    assert "POST" in detail and "Allowed: GET, PUT." in detail
    assert "Use PUT /api/v1/rate-limits to set" in detail
    response = owner.put("clients", json={})
    assert "Allowed: GET, POST." in response.get_json()["detail"]
    assert "Use POST /api/v1/clients to create" in response.get_json()["detail"]
    response = owner.delete("clients")  # no body to redirect: just the list
    assert response.status_code == 405 and response.get_json()["detail"].endswith("Allowed: GET, POST.")


def test_no_content_has_no_body_and_no_content_type(owner: AdminClient, seeded: Seeded) -> None:
    limit = owner.put("rate-limits", json={"scope": "client", "scope_id": seeded.client_id, "requests_per_min": 5})
    price = owner.post("price-overrides", json={"model": "m", "input_mtok_micros": 1, "output_mtok_micros": 2})
    for path in (
        f"rate-limits/{limit.get_json()['id']}",
        f"price-overrides/{price.get_json()['id']}",
        f"projects/{seeded.project_id}",
        f"clients/{seeded.client_id}",
    ):
        response = owner.delete(path)
        assert response.status_code == 204, path
        assert response.get_data() == b"" and "Content-Type" not in response.headers, path


def test_validation_errors_are_field_level(owner: AdminClient) -> None:
    response = owner.post("clients", json={"name": "", "slug": "Not A Slug", "bogus": 1})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    errors = response.get_json()["errors"]
    assert set(errors) == {"name", "slug", "bogus"}
    assert "Traceback" not in response.get_data(as_text=True)


def test_malformed_json_is_400_problem(owner: AdminClient) -> None:
    response = owner.post("clients", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_lone_surrogate_is_422_problem_not_500(owner: AdminClient, seeded: Seeded) -> None:
    """JSON may escape a lone UTF-16 surrogate; no database (nor UTF-8) can take one."""
    json_type = {"Content-Type": "application/json"}
    response = owner.post("clients", data=b'{"name": "a\\ud800b", "slug": "lone"}', headers=json_type)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.get_json()["errors"] == {"name": ["Contains a lone surrogate (not valid Unicode)."]}
    response = owner.patch(f"clients/{seeded.client_id}", data=b'{"name": "\\udfff"}', headers=json_type)
    assert response.status_code == 422 and "name" in response.get_json()["errors"]
    response = owner.post("clients", data=b'{"name": "ok", "slug": "ok", "\\ud800": 1}', headers=json_type)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    paired = owner.post("clients", data=b'{"name": "\\ud83d\\ude00", "slug": "pair"}', headers=json_type)
    assert paired.status_code == 201 and paired.get_json()["name"] == "\U0001f600"  # a valid pair is one character


def test_body_that_is_not_json_is_415_problem(owner: AdminClient, seeded: Seeded) -> None:
    body = '{"name": "Plain", "slug": "plain"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        for response in (
            owner.post("clients", data=body, headers=headers),
            owner.patch(f"clients/{seeded.client_id}", data=body, headers=headers),
            owner.put("rate-limits", data=body, headers=headers),
        ):
            assert response.status_code == 415, (content_type, response.get_data())
            assert response.mimetype == PROBLEM and "application/json" in response.get_json()["detail"]
    assert owner.post("clients", data=body, headers={"Content-Type": "application/merge-patch+json"}).status_code == 201
    assert owner.get("clients", headers={"Content-Type": "text/plain"}).status_code == 200


def test_duplicate_slug_is_409(owner: AdminClient) -> None:
    response = owner.post("clients", json={"name": "Acme again", "slug": "acme"})
    assert response.status_code == 409 and response.mimetype == PROBLEM


def test_conflicts_name_the_field(owner: AdminClient, seeded: Seeded) -> None:
    """A 409 from a unique constraint says which field is taken, like a field-level 422 (SQLite and PostgreSQL)."""

    def conflict(response: TestResponse, field: str) -> None:
        assert response.status_code == 409 and response.mimetype == PROBLEM
        body = response.get_json()
        assert set(body["errors"]) == {field}
        assert all("already exists" in message for message in body["errors"][field])
        assert field in body["detail"]
        assert "UNIQUE" not in response.get_data(as_text=True) and "_key" not in body["detail"]

    conflict(owner.post("clients", json={"name": "Acme again", "slug": "acme"}), "slug")
    other = owner.post("clients", json={"name": "Other", "slug": "other-one"}).get_json()
    conflict(owner.patch(f"clients/{other['id']}", json={"slug": "acme"}), "slug")
    project = {"client_id": seeded.client_id, "name": "Again", "slug": seeded.project_slug}
    conflict(owner.post("projects", json=project), "slug")
    price = {"model": "acme-llm", "input_mtok_micros": 1, "output_mtok_micros": 2}
    assert owner.post("price-overrides", json=price).status_code == 201
    conflict(owner.post("price-overrides", json=price), "model")
    # the same slug under another client is no conflict
    assert owner.post("projects", json=project | {"client_id": other["id"]}).status_code == 201


def test_cursor_pagination_walks_every_row_once(owner: AdminClient) -> None:
    for i in range(7):
        assert owner.post("clients", json={"name": f"C{i}", "slug": f"c-{i}"}).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 3, "sort": "name"} | ({"cursor": cursor} if cursor else {})
        page = owner.get("clients", query_string=query).get_json()
        seen += [c["name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 9
    malformed = owner.get("clients", query_string={"cursor": "garbage!"})  # not the documented pattern
    assert malformed.status_code == 422 and malformed.mimetype == PROBLEM
    unknown = owner.get("clients", query_string={"cursor": "garbage"})  # the pattern's shape, not a position
    assert unknown.status_code == 404 and unknown.get_json()["errors"] == {"cursor": ["Not a cursor of this list."]}


def test_idempotency_key_replays_and_rejects_reuse(owner: AdminClient) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = owner.post("clients", json={"name": "Once", "slug": "once"}, headers=headers)
    again = owner.post("clients", json={"name": "Once", "slug": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = owner.post("clients", json={"name": "Twice", "slug": "twice"}, headers=headers)
    assert other.status_code == 422 and other.mimetype == PROBLEM
    listing = owner.get("clients", query_string={"q": "Once"}).get_json()["data"]
    assert len(listing) == 1


def test_foreign_ids_are_404_not_403(owner: AdminClient, foreign: Foreign) -> None:
    response = owner.get(f"clients/{foreign.client_id}")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert owner.patch(f"clients/{foreign.client_id}", json={"name": "x"}).status_code == 404
    assert foreign.client_id not in owner.get("clients").get_data(as_text=True)


def test_viewer_cannot_write_and_client_sees_only_itself(app: Flask, svc: Services, seeded: Seeded) -> None:
    viewer = as_role(app, svc, seeded, "viewer")
    assert viewer.get("clients").status_code == 200
    response = viewer.post("clients", json={"name": "V", "slug": "v"})
    assert response.status_code == 403 and response.mimetype == PROBLEM
    client = as_role(app, svc, seeded, "client")
    ids = [c["id"] for c in client.get("clients").get_json()["data"]]
    assert ids == [seeded.client_id]
    assert client.get(f"clients/{seeded.other_client_id}").status_code == 404


def test_changes_are_audited_without_secrets(app: Flask, owner: AdminClient) -> None:
    created = owner.post("clients", json={"name": "Audited", "slug": "audited"}).get_json()
    owner.patch(f"clients/{created['id']}", json={"name": "Audited 2"})
    from sqlalchemy import select

    from tollgate.extensions import db
    from tollgate.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_id == created["id"])).all()
    assert [e.action for e in events] == ["client.create", "client.update"]
    assert events[1].before == {"name": "Audited"} and events[1].after == {"name": "Audited 2"}
    assert events[1].actor.startswith("token:") and events[1].ip


def test_created_resources_answer_a_location_header(owner: AdminClient, seeded: Seeded) -> None:
    created = owner.post("clients", json={"name": "Located", "slug": "located"})
    assert created.status_code == 201
    location = created.headers.get("Location")
    assert location == f"/api/v1/clients/{created.get_json()['id']}"
    assert owner.get(location).get_json() == created.get_json()
    key = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "k"}).get_json()
    rotated = owner.post(f"sub-keys/{key['id']}/rotate", json={"overlap_seconds": 60})
    assert rotated.headers.get("Location") == f"/api/v1/sub-keys/{rotated.get_json()['id']}"
    replay = {"Idempotency-Key": "located-twice"}
    first = owner.post("clients", json={"name": "L2", "slug": "l2"}, headers=replay)
    again = owner.post("clients", json={"name": "L2", "slug": "l2"}, headers=replay)
    assert first.headers["Location"] == again.headers["Location"] == f"/api/v1/clients/{first.get_json()['id']}"


def test_idempotency_keys_expire_and_abandoned_claims_are_taken_over(app: Flask, owner: AdminClient) -> None:
    import datetime as dt

    from sqlalchemy import func, insert, select, update

    from tollgate.admin import idempotency
    from tollgate.extensions import db
    from tollgate.models import IdempotencyKey
    from tollgate.models.base import utcnow

    old = {"Idempotency-Key": "old-key"}
    assert owner.post("clients", json={"name": "Old", "slug": "old"}, headers=old).status_code == 201
    with app.app_context():
        workspace_id = db.session.scalars(select(IdempotencyKey.workspace_id)).one()
        aged = utcnow() - idempotency.RETENTION - dt.timedelta(minutes=1)
        db.session.execute(update(IdempotencyKey).values(created_at=aged))
        abandoned = utcnow() - idempotency.ABANDONED_AFTER - dt.timedelta(seconds=1)
        db.session.execute(
            insert(IdempotencyKey).values(
                workspace_id=workspace_id, key="crashed", request_hash="x", status_code=0, created_at=abandoned
            )
        )
        db.session.commit()
    # past its retention a key is free again: a new request, not a 422 for "a different body"
    assert owner.post("clients", json={"name": "New", "slug": "new"}, headers=old).status_code == 201
    # a claim whose request never finished (the worker died) does not answer 409 for ever
    crashed = owner.post("clients", json={"name": "Retry", "slug": "retry"}, headers={"Idempotency-Key": "crashed"})
    assert crashed.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 2
        oldest = db.session.scalar(select(func.min(IdempotencyKey.created_at)))
    assert oldest is not None and oldest > utcnow() - dt.timedelta(minutes=1)


def test_idempotency_key_of_one_token_is_not_replayed_to_another(app: Flask, svc: Services, seeded: Seeded) -> None:
    owner_client = AdminClient(app.test_client(), seeded.admin_token)
    admin = as_role(app, svc, seeded, "admin")
    body = {"client_id": seeded.client_id, "name": "shared"}
    headers = {"Idempotency-Key": "same-key"}
    first = owner_client.post("sub-keys", json=body, headers=headers)
    assert first.status_code == 201
    other = admin.post("sub-keys", json=body, headers=headers)
    assert other.status_code == 422 and "secret" not in other.get_json()
