"""/usage-events: ingest usage that did not pass through the gateway. Validated and attributed here, then
queued to the background writer (priced there, like gateway traffic): the answer is a fast 202."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from ...extensions import db
from ...metering.usage import TokenUsage, from_openai
from ...metering.usage_events import UsageEventRecord
from ...models import Client, Project
from ...models.base import utcnow
from ...services import services
from ...vault.scrub import scrub_mapping
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..problems import abort
from ..schemas.usage_events import UsageEventAcceptedSchema, UsageEventBatchSchema
from ..scope import scoped

bp = admin_blueprint("usage_events", __name__, "Usage events: report usage from outside the gateway.")


@bp.route("/usage-events", methods=["POST"])
@requires("write", client=True)
@bp.arguments(UsageEventBatchSchema)
@bp.response(202, UsageEventAcceptedSchema)
def ingest(data: dict[str, Any]) -> dict[str, Any]:
    """Queue a batch of usage events (1–1000). Idempotent per `event_id`; they show in usage queries as
    `source: ingested` once written (normally within a second)."""
    events: list[dict[str, Any]] = data["events"]
    clients = _clients({e["client"] for e in events})
    projects = _projects({c.id for c in clients.values()})
    records, errors, archived = [], {}, {}
    now = utcnow()
    for index, event in enumerate(events):
        client = clients.get(event["client"])
        project = projects.get((client.id, event["project"])) if client and event.get("project") else None
        if client is None:
            errors[str(index)] = {"client": [f"No client '{event['client']}' in this workspace."]}
        elif event.get("project") and project is None:
            errors[str(index)] = {"project": [f"No project '{event['project']}' for this client."]}
        elif client.archived_at is not None:
            archived[str(index)] = {"client": [f"The client '{event['client']}' is archived."]}
        else:
            records.append(_record(event, client, project, now))
    if errors:
        abort(
            404, "Some events name a client or project not in this workspace; nothing was queued.", {"events": errors}
        )
    if archived:
        abort(409, "Some events name an archived client; nothing was queued.", {"events": archived})
    writer = services().usage_writer
    for record in records:
        writer.submit(record)
    return {"accepted": len(records), "event_ids": [r.event_id for r in records]}


def _clients(refs: set[str]) -> dict[str, Client]:
    rows = db.session.scalars(scoped(Client).where(or_(Client.id.in_(refs), Client.slug.in_(refs)))).all()
    return {ref: c for c in rows for ref in (c.id, c.slug) if ref in refs}


def _projects(client_ids: set[str]) -> dict[tuple[str, str], Project]:
    rows = db.session.scalars(select(Project).where(Project.client_id.in_(client_ids))).all()
    return {(p.client_id, ref): p for p in rows for ref in (p.id, p.slug)}


def _record(event: dict[str, Any], client: Client, project: Project | None, now: Any) -> UsageEventRecord:
    usage = from_openai(event["usage"]) if event.get("usage") is not None else None
    usage = usage or TokenUsage(
        input_tokens=event["input_tokens"],
        cached_input_tokens=min(event["cached_input_tokens"], event["input_tokens"]),
        output_tokens=event["output_tokens"],
        reasoning_tokens=event["reasoning_tokens"],
    )
    return UsageEventRecord(
        event_id=event["event_id"],
        created_at=event["timestamp"],
        received_at=now,
        workspace_id=actor().workspace_id,
        client_id=client.id,
        project_id=project.id if project else None,
        provider=event["provider"],
        model=event["model"],
        usage=usage,
        metadata=scrub_mapping(event.get("metadata")),  # a secret pasted into metadata is not kept
    )
