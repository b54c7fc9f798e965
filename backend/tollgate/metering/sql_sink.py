"""The SQL side of the log writer: batch insert that skips rows already present, and override lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from ..models import PriceOverride, RequestLog
from .prices import OverridePrice


class SqlLogSink:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Rows are keyed by ORM attribute (`metadata_`); a Core insert matches column keys (`metadata`) and
        # silently drops a key it does not know, so the few that differ are translated.
        self._column_keys = {
            a.key: a.columns[0].key for a in inspect(RequestLog).column_attrs if a.key != a.columns[0].key
        }
        self._insert: Any
        if engine.dialect.name == "postgresql":
            self._insert = postgresql.insert(RequestLog).on_conflict_do_nothing(index_elements=["request_id"])
        elif engine.dialect.name == "sqlite":
            self._insert = sqlite.insert(RequestLog).on_conflict_do_nothing(index_elements=["request_id"])
        else:  # pragma: no cover - other databases are not supported targets
            raise RuntimeError(f"unsupported database {engine.dialect.name}")

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        keys = self._column_keys
        rows = [{keys.get(key, key): value for key, value in row.items()} for row in rows]
        with self._engine.begin() as conn:
            conn.execute(self._insert, rows)

    def overrides(self, workspace_id: str) -> Mapping[str, OverridePrice]:
        with self._engine.connect() as conn:
            result = conn.execute(select(PriceOverride).where(PriceOverride.workspace_id == workspace_id))
            return {
                row.model: OverridePrice(
                    input_mtok_micros=row.input_mtok_micros,
                    output_mtok_micros=row.output_mtok_micros,
                    cached_input_mtok_micros=row.cached_input_mtok_micros,
                )
                for row in result
            }
