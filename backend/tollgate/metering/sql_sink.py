"""The SQL side of the log writer: batch insert that skips rows already present, and override lookup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, String, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from ..models import PriceOverride, RequestLog
from .prices import OverridePrice
from .pricing_rows import REPLACE

_REPLACED = (
    "model_served",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "usage_estimated",
    "value_micros",
    "value_remainder_picos",
    "cost_micros",
    "cost_remainder_picos",
    "priced",
    "error_code",
)
"""What a background response's completion changes in the row logged when it was created."""


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
        self._replace: Any = None
        if engine.dialect.name == "postgresql":
            dialect_insert: Any = postgresql.insert
        elif engine.dialect.name == "sqlite":
            dialect_insert = sqlite.insert
        else:  # pragma: no cover - other databases are not supported targets
            raise RuntimeError(f"unsupported database {engine.dialect.name}")
        self._insert = dialect_insert(model).on_conflict_do_nothing(index_elements=list(conflict))
        if model is RequestLog:
            upsert = dialect_insert(model)
            self._replace = upsert.on_conflict_do_update(
                index_elements=list(conflict), set_={name: upsert.excluded[name] for name in _REPLACED}
            )

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert `rows`, skipping request ids already stored, except rows marked to replace theirs (a background
        response completed): whichever of its two rows arrives first, the completed one wins."""
        if not rows:
            return
        plain = [row for row in rows if not row.get(REPLACE)]
        replacing = [self._fitted({k: v for k, v in row.items() if k != REPLACE}) for row in rows if row.get(REPLACE)]
        with self._engine.begin() as conn:
            if plain:
                conn.execute(self._insert, [self._fitted(row) for row in plain])
            if replacing and self._replace is not None:
                conn.execute(self._replace, replacing)

    def insert(self, rows: list[dict[str, Any]], returning: Sequence[Any] = ()) -> list[Any]:
        """Insert in one transaction; with `returning` (columns), the rows actually inserted (not skipped)."""
        if not rows:
            return []
        rows = [self._fitted(row) for row in rows]
        with self._engine.begin() as conn:
            if not returning:
                conn.execute(self._insert, rows)
                return []
            return list(conn.execute(self._insert.returning(*returning), rows))

    def _fitted(self, row: dict[str, Any]) -> dict[str, Any]:
        """`row` keyed by column, its values made storable."""
        return dict(self._fit(self._column_keys.get(key, key), value) for key, value in row.items())

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
                    image_micros=row.image_micros,
                    audio_minute_micros=row.audio_minute_micros,
                )
                for row in result
            }


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value
