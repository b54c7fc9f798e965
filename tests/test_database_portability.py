"""What PostgreSQL refuses and SQLite takes: text holding NUL, text longer than its column, comparisons between
a column and a value of another type. On both databases these must end the same way: a 4xx for the caller, a
stored row for the log writer (never a 500, never a batch stuck in the spool). Marked `pg` (see conftest), so
`make test` runs it on both; the migrations must also build exactly the models' schema on both."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import select

from tests.admin_support import AdminClient, owner
from tests.conftest import Seeded
from tollgate.extensions import db
from tollgate.models import RequestLog, UsageEvent
from tollgate.services import Services

__all__ = ["owner"]


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


def test_nul_in_admin_input_is_422(owner: AdminClient) -> None:
    created = owner.post("clients", json={"name": "a\x00b", "slug": "nul"})
    assert created.status_code == 422 and created.get_json()["errors"] == {"name": ["Contains NUL."]}
    assert owner.get("clients", query_string={"q": "a\x00b"}).status_code == 422
    assert owner.get("usage", query_string={"client_id": "a\x00"}).status_code == 422
    assert owner.get("request-logs", query_string={"model": "\x00"}).status_code == 422
    assert owner.get("clients/cli_\x00").status_code == 422
    event = {"event_id": "e1", "timestamp": "2026-01-01T00:00:00Z", "client": "acme", "model": "m"}
    nested = owner.post("usage-events", json={"events": [event | {"metadata": {"flow": "a\x00"}}]})
    assert nested.status_code == 422 and "events.0.metadata.flow" in nested.get_json()["errors"]
    assert owner.post("clients", json={"name": "Fine", "slug": "fine"}).status_code == 201


def test_forged_cursors_are_404(owner: AdminClient) -> None:
    aware = {"dt": "2026-01-01T00:00:00+00:00"}
    forged = [
        ("clients", {"sort": "name", "cursor": _cursor("name", 5, "cli_x")}),
        ("clients", {"cursor": _cursor("-created_at", "not a time", "cli_x")}),
        ("clients", {"cursor": _cursor("-created_at", {"dt": "2026-01-01T00:00:00"}, "cli_x")}),
        ("clients", {"cursor": _cursor("-created_at", aware, 5)}),
        ("audit-events", {"cursor": _cursor("-created_at", aware, "not an int")}),
        ("request-logs", {"cursor": _cursor("log", ["2026-01-01T00:00:00+00:00", "gateway"], "x")}),
        ("request-logs", {"cursor": _cursor("log", "zz", 1)}),
        ("request-logs", {"cursor": _cursor("log", ["2026-01-01T00:00:00", "gateway"], 1)}),
        ("request-logs", {"cursor": _cursor("log", ["2026-01-01T00:00:00+00:00", 7], 1)}),
    ]
    for path, query in forged:
        response = owner.get(path, query_string=query)
        assert response.status_code == 404, (path, query, response.get_json())
    assert owner.get("clients", query_string={"cursor": _cursor("-created_at", aware, "cli_x")}).status_code == 200


def test_gateway_rows_postgresql_would_refuse_are_stored_not_stuck(
    app: Flask, svc: Services, gateway: str, seeded: Seeded
) -> None:
    """A NUL in `user` or metadata, or a 300-character model name, used to fail the whole batch on PostgreSQL
    (and every replay of it from the spool), losing its innocent neighbours too."""
    headers = {"Authorization": f"Bearer {seeded.key}"}
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    bodies = [chat | {"user": "u\x00ser", "metadata": {"flow": "a\x00b"}}, chat | {"model": "x" * 300}, chat]
    for body in bodies:
        assert requests.post(gateway + "/chat/completions", json=body, headers=headers, timeout=10).status_code
    assert svc.log_writer.flush()
    assert not list(svc.settings.spool_dir.glob("*.jsonl"))
    with app.app_context():
        rows = db.session.scalars(select(RequestLog).order_by(RequestLog.id)).all()
    assert len(rows) == 3
    assert rows[0].end_user == "user" and rows[0].metadata_ == {"flow": "ab"}
    assert rows[1].model_requested == "x" * 200


def test_usage_events_are_stored(app: Flask, svc: Services, owner: AdminClient, seeded: Seeded) -> None:
    event = {"event_id": "e" * 100, "timestamp": "2026-01-01T00:00:00Z", "client": "acme", "model": "m"}
    assert owner.post("usage-events", json={"events": [event]}).status_code == 202
    assert svc.usage_writer.flush()
    with app.app_context():
        assert db.session.scalars(select(UsageEvent.event_id)).all() == ["e" * 100]


def test_migrations_build_the_models_schema(app: Flask) -> None:
    """`db_migrate.upgrade` (run by the app fixture) against the models: no table, column, index or constraint
    missing or extra, on SQLite and on PostgreSQL."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
