"""Recording a change made through the admin API in the audit log: who (token), from where (IP), what,
and the before/after state as the API shows it (response schemas never carry secrets)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from .. import provisioning
from ..extensions import db
from ..models import AuditEvent
from .auth import actor


def snapshot(schema: ma.Schema, obj: Any) -> dict[str, Any]:
    """The JSON-safe public view of `obj`, for an audit event's before/after."""
    dumped: dict[str, Any] = schema.dump(obj)
    return dumped


def record(
    action: str,
    target_type: str,
    target_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the current transaction (it commits with the change it describes)."""
    who = actor()
    provisioning.audit(
        db.session,
        who.workspace_id,
        who.label,
        action,
        target_type,
        target_id,
        before=before,
        after=after,
        ip=who.ip,
    )


def commit() -> None:
    """Commit the change; audit events added by `provisioning` (which knows no request) get the caller's IP."""
    ip = actor().ip
    for pending in db.session.new:
        if isinstance(pending, AuditEvent) and pending.ip is None:
            pending.ip = ip
    db.session.commit()


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, so an audit event of an update says what the update did."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
