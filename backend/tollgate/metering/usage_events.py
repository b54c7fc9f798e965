"""Usage events for traffic that did not pass through the gateway (reported with POST /api/v1/usage-events).

They are priced by the same code as gateway traffic (`prices.value_picos` with the workspace's overrides)
and written by a second `LogWriter` instance with its own sink and spool, so the API answers 202 at once and a
database hiccup never loses an event. The unique (workspace_id, event_id) makes a resend a no-op. Events newly
written are charged to the budgets covering them (`budgets/usage_charge.py`, wired in by the app).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..models import UsageEvent
from . import prices
from .log_writer import LogWriter
from .pricing_rows import OverrideLookup, money_columns
from .spool import Spool
from .sql_sink import SqlLogSink
from .usage import TokenUsage


@dataclass(frozen=True, slots=True)
class UsageEventRecord:
    event_id: str
    created_at: dt.datetime
    received_at: dt.datetime
    workspace_id: str
    client_id: str
    project_id: str | None
    provider: str
    model: str
    usage: TokenUsage
    metadata: dict[str, str] | None = None

    @property
    def request_id(self) -> str:
        """The writer's name for a record's id (used in its log lines)."""
        return self.event_id


def to_row(record: UsageEventRecord, overrides: OverrideLookup) -> dict[str, Any]:
    """Price one event: the workspace override for the model wins, else list price; unknown models are unpriced.
    Ingested usage is paid by the agency at the price it reports, so its cost equals its list value."""
    usage = record.usage
    override = overrides(record.workspace_id).get(record.model)
    value = prices.value_picos(usage, record.model, record.provider, override)
    return {
        "event_id": record.event_id,
        "created_at": record.created_at,
        "received_at": record.received_at.isoformat(),
        "workspace_id": record.workspace_id,
        "client_id": record.client_id,
        "project_id": record.project_id,
        "provider": record.provider,
        "model": record.model,
        "input_tokens": usage.input_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        **money_columns(value, "metered"),
        "metadata_": record.metadata,
    }


OnInserted = Callable[[Sequence[Any]], None]
"""Called with the rows a batch actually inserted (columns `INSERTED_COLUMNS`), after the commit."""
INSERTED_COLUMNS = (
    UsageEvent.workspace_id,
    UsageEvent.client_id,
    UsageEvent.project_id,
    UsageEvent.created_at,
    UsageEvent.value_micros,
)


class SqlUsageEventSink(SqlLogSink):
    """`SqlLogSink` (override lookup included) inserting into usage_events, skipping event ids already stored.
    The events a batch really inserted go to `on_inserted` (budgets charge them): a resend is never charged."""

    def __init__(self, engine: Engine, on_inserted: OnInserted | None = None) -> None:
        super().__init__(engine, UsageEvent, ("workspace_id", "event_id"))
        self._on_inserted = on_inserted

    def write(self, rows: list[dict[str, Any]]) -> None:
        # `received_at` travels as ISO text so that spooled rows (JSON) and fresh rows look alike.
        rows = [row | {"received_at": dt.datetime.fromisoformat(row["received_at"])} for row in rows]
        if self._on_inserted is None:
            super().write(rows)
            return
        inserted = self.insert(rows, INSERTED_COLUMNS)
        if inserted:
            self._on_inserted(inserted)


def usage_event_writer(
    engine: Engine,
    spool_dir: Path,
    batch_size: int,
    flush_interval_s: float,
    generation: Callable[[], int] | None = None,
    on_inserted: OnInserted | None = None,
) -> LogWriter:
    return LogWriter(
        SqlUsageEventSink(engine, on_inserted),
        Spool(spool_dir / "usage-events"),
        batch_size=batch_size,
        flush_interval_s=flush_interval_s,
        row_builder=to_row,
        generation=generation,
    )
