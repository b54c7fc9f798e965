"""Attribution: a key can refine who a request is for only within its own client; `user` and `metadata`
reach the log row."""

from __future__ import annotations

from typing import Any

import openai
import pytest
import requests
from flask import Flask

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.models import Client, Project, RequestLog
from tollgate.services import Services

from .conftest import Mock, Seeded
from .log_rows import wait_rows

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def _post(gateway: str, key: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        gateway + "/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
        timeout=10,
    )


def _rows(app: Flask, svc: Services, count: int = 1) -> list[RequestLog]:
    return wait_rows(app, svc, count)


def test_other_clients_id_is_refused(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    resp = _post(gateway, seeded.key, CHAT, {"X-Client-ID": seeded.other_client_id})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "attribution_not_allowed"
    assert resp.json()["error"]["param"] == "X-Client-ID"
    refused = _post(gateway, seeded.key, CHAT | {"metadata": {"tollgate_client": "globex"}})
    assert refused.status_code == 403
    assert mock_upstream.state.requests == []
    # Naming the key's own client, by id or slug, is fine.
    assert _post(gateway, seeded.key, CHAT, {"X-Client-ID": seeded.client_id}).status_code == 200
    assert _post(gateway, seeded.key, CHAT, {"X-Client-ID": seeded.client_slug}).status_code == 200


def test_sdk_sees_attribution_refusal_as_403(gateway: str, seeded: Seeded) -> None:
    client = openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(**CHAT, extra_headers={"X-Project-ID": "no-such-project"})
    assert caught.value.code == "attribution_not_allowed"


@pytest.mark.parametrize("by", ["slug", "id"])
def test_project_header_sets_project(app: Flask, svc: Services, gateway: str, seeded: Seeded, by: str) -> None:
    ref = seeded.project_slug if by == "slug" else seeded.project_id
    assert _post(gateway, seeded.key, CHAT, {"X-Project-ID": ref}).status_code == 200
    [row] = _rows(app, svc)
    assert row.project_id == seeded.project_id and row.client_id == seeded.client_id


def test_unknown_or_foreign_project_is_refused(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    with app.app_context():
        globex = db.session.get(Client, seeded.other_client_id)
        assert globex is not None
        foreign = provisioning.create_project(db.session, globex, "Globex drafts", "drafts")
        foreign_id = foreign.id
        db.session.commit()
    svc.keys.invalidate()
    for ref in ("no-such-project", foreign_id, "drafts"):
        resp = _post(gateway, seeded.key, CHAT, {"X-Project-ID": ref})
        assert resp.status_code == 403, ref
        assert resp.json()["error"]["code"] == "attribution_not_allowed"
    rows = _rows(app, svc, 3)
    assert [(r.status_code, r.error_code, r.project_id) for r in rows] == [(403, "attribution_not_allowed", None)] * 3


def test_user_and_metadata_reach_the_row(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    metadata = {"workflow": "triage", "ticket": "T-42"}
    assert _post(gateway, seeded.key, CHAT | {"user": "end-user-7", "metadata": metadata}).status_code == 200
    assert _post(gateway, seeded.key, CHAT | {"safety_identifier": "hashed-user"}).status_code == 200
    first, second = _rows(app, svc, 2)
    assert first.end_user == "end-user-7" and first.metadata_ == metadata and first.project_id is None
    assert second.end_user == "hashed-user" and second.metadata_ is None


def test_metadata_tollgate_project_works_like_the_header(
    app: Flask, svc: Services, gateway: str, seeded: Seeded
) -> None:
    body = CHAT | {"metadata": {"tollgate_project": seeded.project_slug, "step": "classify"}}
    assert _post(gateway, seeded.key, body).status_code == 200
    bad = _post(gateway, seeded.key, CHAT | {"metadata": {"tollgate_project": "nope"}})
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "attribution_not_allowed"
    row = _rows(app, svc, 2)[0]
    assert row.project_id == seeded.project_id
    assert row.metadata_ == {"tollgate_project": seeded.project_slug, "step": "classify"}


def test_project_bound_key_cannot_name_another_project(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    with app.app_context():
        acme = db.session.get(Client, seeded.client_id)
        project = db.session.get(Project, seeded.project_id)
        assert acme is not None and project is not None
        other = provisioning.create_project(db.session, acme, "Lead enrichment", "leads")
        bound = provisioning.issue_sub_key(db.session, svc.hasher, acme, "triage only", project=project)
        other_slug = other.slug
        db.session.commit()
    assert _post(gateway, bound.secret, CHAT).status_code == 200
    assert _post(gateway, bound.secret, CHAT, {"X-Project-ID": seeded.project_slug}).status_code == 200
    assert _post(gateway, bound.secret, CHAT, {"X-Project-ID": other_slug}).status_code == 403
    rows = _rows(app, svc, 3)
    assert [r.project_id for r in rows] == [seeded.project_id, seeded.project_id, seeded.project_id]


def test_a_long_or_secret_shaped_model_name_is_logged_cut_and_redacted(
    app: Flask, svc: Services, gateway: str, seeded: Seeded
) -> None:
    """The model names are the caller's (or the upstream's) text, stored in the log like `user`: a key pasted into
    one is redacted, and a name longer than the column is cut (PostgreSQL refuses the row otherwise)."""
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
    for model in (secret, "m" * 300, "gpt-4o-mini"):
        assert _post(gateway, seeded.key, CHAT | {"model": model}).status_code == 200  # this mock serves any name
    rows = _rows(app, svc, 3)
    assert [row.model_requested for row in rows] == ["[REDACTED]", "m" * 200, "gpt-4o-mini"]
    assert [row.model_served for row in rows] == ["[REDACTED]", "m" * 200, "gpt-4o-mini"]  # the mock echoes it
