"""Stored objects (responses, conversations) the gateway has seen created: which lane made them, whose they are,
and, for a background response, how to settle it once its usage is known.

- **Follow-ups** (retrieve, cancel, delete, input items, conversation calls) go to the lane that created the
  object; a client other than the creator gets 404, as if the object did not exist.
- **Background responses**: the create answers `queued`/`in_progress` without usage, so its budget hold is kept
  (serialised into the row, `Ledger.defer`) and its log row written without usage. The first retrieve or cancel
  that sees a final status claims the row (a conditional update: exactly one claimant, across processes), then
  settles the hold with the reported usage and replaces the log row. `sweep` asks the lane about responses nobody
  polls; one the lane no longer knows, or still running after the background TTL, is settled at its full
  reservation (the provider may have billed it and we cannot know less).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from ..budgets.ledger import Ledger
from ..metering.log_writer import LogWriter
from ..metering.record import RequestRecord
from ..metering.usage import from_openai
from ..models import Lane, UpstreamObject
from ..models.base import utcnow
from ..vault import CredentialVault
from .context import KeyContext
from .endpoints import CONVERSATION, RESPONSE
from .key_resolver import lane_target
from .providers import get_provider
from .upstream import UpstreamPools, UpstreamTimeout, UpstreamUnreachable

log = logging.getLogger(__name__)

RUNNING = frozenset({"queued", "in_progress"})
"""Statuses of a background response whose usage is not known yet (every other status is final)."""
_KINDS = {"responses": RESPONSE, "conversations.create": CONVERSATION}
_SWEEP_AFTER = dt.timedelta(seconds=60)
_RETENTION = dt.timedelta(days=30)
"""OpenAI keeps stored responses 30 days; an older row can only answer 404s."""
_COLUMNS = ("id", "kind", "workspace_id", "client_id", "key_id", "lane_id", "request_id", "created_at", "pending")
_INSERT = f"INSERT INTO upstream_objects ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"


class ObjectTracker:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        log_writer: LogWriter,
        pools: UpstreamPools,
        vault: CredentialVault,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._log_writer = log_writer
        self._pools = pools
        self._vault = vault
        self.clock = clock
        sqlite = engine.dialect.name == "sqlite"
        # Every stored response's create pays for this insert: it runs on a pooled DB-API connection directly
        # (as the SQL ledger store does), without the SQL layer's per-statement work.
        self._insert = _INSERT if sqlite else re.sub(r":(\w+)", r"%(\1)s", _INSERT)
        created_at = UpstreamObject.__table__.c.created_at.type
        self._bind_time: Callable[[Any], Any] = created_at.bind_processor(engine.dialect) or (lambda value: value)

    # -- the request path ----------------------------------------------------------------------------------
    def lane_of(self, kind: str, object_id: str, ctx: KeyContext) -> str | None:
        """The lane that created `object_id`, if this key's client created it; None otherwise (answer 404)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(UpstreamObject.lane_id, UpstreamObject.workspace_id, UpstreamObject.client_id).where(
                    UpstreamObject.id == object_id, UpstreamObject.kind == kind
                )
            ).first()
        if row is None or row.workspace_id != ctx.workspace_id or row.client_id != ctx.client_id:
            return None
        return str(row.lane_id)

    def owner_of(self, kind: str, object_id: str) -> tuple[str, str, str] | None:
        """(workspace, client, lane) of a remembered object; None when unknown."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(UpstreamObject.workspace_id, UpstreamObject.client_id, UpstreamObject.lane_id).where(
                    UpstreamObject.id == object_id, UpstreamObject.kind == kind
                )
            ).first()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def observe(self, record: RequestRecord, body: dict[str, Any]) -> None:
        """Read what a successful answer means for stored objects: a create names the object it made (and
        whether it still runs in the background); a retrieve or cancel may show a background response done."""
        status = body.get("status")
        object_id = body.get("id")
        if not isinstance(object_id, str):
            return
        if record.endpoint in _KINDS:
            if body.get("store") is not False:
                record.created = object_id
                record.pending = record.endpoint == "responses" and status in RUNNING
        elif record.endpoint in ("responses.retrieve", "responses.cancel") and isinstance(status, str):
            if status not in RUNNING:
                self.complete(object_id, body)

    def remember(self, record: RequestRecord) -> None:
        """Store the object `record` created with its lane and owner; a background response keeps its budget
        hold here until it completes. Called from the proxy's one exit, before the ledger settles."""
        if record.created is None or record.lane_id is None:
            return
        pending = None
        deferred = None
        if record.pending:
            deferred = self._ledger.defer(record.request_id)
            pending = orjson.dumps({"record": record.to_json(), "hold": deferred}).decode()
        row = {
            "id": record.created,
            "kind": _KINDS.get(record.endpoint, RESPONSE),
            "workspace_id": record.workspace_id,
            "client_id": record.client_id,
            "key_id": record.key_id,
            "lane_id": record.lane_id,
            "request_id": record.request_id,
            "created_at": self._bind_time(record.created_at),
            "pending": pending,
        }
        try:
            conn = self._engine.raw_connection()
            try:
                conn.cursor().execute(self._insert, row)
                conn.commit()
            finally:
                conn.close()  # back to the pool (a failed transaction is rolled back on return)
        except Exception:
            log.exception("could not remember %s created by request %s", record.created, record.request_id)
            if record.pending:  # nobody can settle it later: its usage is lost, the reservation is spent
                record.pending = False
                self._ledger.settle_deferred(deferred, record)

    # -- completing background responses -------------------------------------------------------------------
    def complete(self, object_id: str, body: dict[str, Any] | None) -> bool:
        """Settle a pending background response with the final `body` (None: its usage is lost). Exactly one
        caller wins, whatever the number of concurrent polls and sweeps; returns whether it was this one."""
        pending = self._pending(object_id)
        if pending is None:
            return False
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(UpstreamObject)
                .where(UpstreamObject.id == object_id, UpstreamObject.pending.is_not(None))
                .values(pending=None)
            ).rowcount
        if claimed != 1:
            return False
        data = orjson.loads(pending)
        record = RequestRecord.from_json(data["record"])
        record.pending, record.created, record.completes = False, None, True
        if body is None:
            record.error_code = "usage_lost"
        else:
            served = body.get("model")
            record.model_served = served if isinstance(served, str) else record.model_served
            record.usage = from_openai(body.get("usage"), body.get("service_tier"))
            status = body.get("status")
            record.error_code = None if status == "completed" else f"response_{status}"[:64]
        self._ledger.settle_deferred(data["hold"], record)
        self._log_writer.submit(record)
        return True

    def _pending(self, object_id: str) -> str | None:
        """Written once, then only cleared: safe to read before claiming (the claim re-checks it)."""
        with self._engine.connect() as conn:
            value = conn.execute(select(UpstreamObject.pending).where(UpstreamObject.id == object_id)).scalar()
        return None if value is None else str(value)

    def sweep(self) -> int:
        """Ask the lanes about background responses nobody polled lately; settle those that finished. Also
        forgets objects past the provider's retention. Returns how many responses were settled."""
        now = self.clock()
        with Session(self._engine) as session:
            session.execute(
                delete(UpstreamObject).where(
                    UpstreamObject.pending.is_(None), UpstreamObject.created_at < now - _RETENTION
                )
            )
            due = session.execute(
                select(UpstreamObject.id, UpstreamObject.lane_id, UpstreamObject.created_at)
                .where(
                    UpstreamObject.pending.is_not(None),
                    UpstreamObject.created_at <= now - _SWEEP_AFTER,
                    (UpstreamObject.checked_at.is_(None)) | (UpstreamObject.checked_at <= now - _SWEEP_AFTER),
                )
                .order_by(UpstreamObject.created_at)
                .limit(100)
            ).all()
            if due:
                session.execute(
                    update(UpstreamObject).where(UpstreamObject.id.in_([r.id for r in due])).values(checked_at=now)
                )
            lanes = {
                lane.id: lane for lane in session.scalars(select(Lane).where(Lane.id.in_({r.lane_id for r in due})))
            }
            session.commit()
            targets = {lane_id: lane_target(self._vault, lane) for lane_id, lane in lanes.items()}
        settled = 0
        give_up = now - dt.timedelta(seconds=self._ledger.background_ttl_s)
        for row in due:
            if row.created_at <= give_up:
                settled += self.complete(row.id, None)
                continue
            target = targets.get(row.lane_id)
            found = self._retrieve(target, row.id) if target is not None else False
            if found is None:  # the lane no longer knows it (deleted): its usage is lost
                settled += self.complete(row.id, None)
            elif isinstance(found, dict) and found.get("status") not in RUNNING:
                settled += self.complete(row.id, found)
        return settled

    def _retrieve(self, lane: Any, response_id: str) -> dict[str, Any] | None | bool:
        """The lane's current view of a response: the body, None when it answers 404, False when unknown."""
        provider = get_provider(lane.provider)
        op = provider.operation("responses.retrieve") if provider else None
        if provider is None or op is None:
            return False
        url = provider.url(lane, op.path.format(quote(response_id, safe="")))
        try:
            upstream = self._pools.send(lane, op.method, url, None, provider.headers(lane), False)
            data = upstream.read_all()
        except (UpstreamTimeout, UpstreamUnreachable):
            return False
        if upstream.status == 404:
            return None
        if upstream.status != 200:
            return False
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            return False
        return body if isinstance(body, dict) else False
