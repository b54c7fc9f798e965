"""The SQL side of the log writer: batch insert that skips rows already present, and override lookup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, String, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from ..models import PriceOverride, RequestLog
from .prices import OverridePrice


class SqlLogSink:
    """Inserts rows of `model`, skipping those whose `conflict` columns match a stored row."""

    def __init__(self, engine: Engine, model: Any = RequestLog, conflict: Sequence[str] = ("request_id",)) -> None:
        self._engine = engine
        mapper = inspect(model)
        # Rows are keyed by ORM attribute (`metadata_`); a Core insert matches column keys (`metadata`) and
        # silently drops a key it does not know, so the few that differ are translated.
        self._column_keys = {a.key: a.columns[0].key for a in mapper.column_attrs if a.key != a.columns[0].key}
        # What SQLite takes but PostgreSQL refuses, failing the whole batch (and, replayed from the spool, every
        # retry of it): text longer than its column, or holding NUL. Such values come from callers (a `user`
        # field, a model name, metadata), so they are cut to fit and NUL is dropped instead.
        self._lengths = {
            c.key: c.type.length for c in mapper.columns if isinstance(c.type, String) and c.type.length is not None
        }
        self._insert: Any
        if engine.dialect.name == "postgresql":
            self._insert = postgresql.insert(model).on_conflict_do_nothing(index_elements=list(conflict))
        elif engine.dialect.name == "sqlite":
            self._insert = sqlite.insert(model).on_conflict_do_nothing(index_elements=list(conflict))
        else:  # pragma: no cover - other databases are not supported targets
            raise RuntimeError(f"unsupported database {engine.dialect.name}")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.insert(rows)

    def insert(self, rows: list[dict[str, Any]], returning: Sequence[Any] = ()) -> list[Any]:
        """Insert in one transaction; with `returning` (columns), the rows actually inserted (not skipped)."""
        if not rows:
            return []
        rows = [dict(self._fit(self._column_keys.get(key, key), value) for key, value in row.items()) for row in rows]
        with self._engine.begin() as conn:
            if not returning:
                conn.execute(self._insert, rows)
                return []
            return list(conn.execute(self._insert.returning(*returning), rows))

    def _fit(self, column: str, value: Any) -> tuple[str, Any]:
        """(column key, value made storable)."""
        if isinstance(value, str):
            value = value.replace("\x00", "")
            length = self._lengths.get(column)
            return column, value[:length] if length is not None else value
        if isinstance(value, dict):
            return column, {_no_nul(k): _no_nul(v) for k, v in value.items()}
        return column, value

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


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value
