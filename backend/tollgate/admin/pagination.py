"""Cursor pagination for every list: keyset over (sort column, id), so pages stay stable while rows are added.

A list's query arguments extend `ListArgs` and name their sortable fields; `paginate` applies sort, cursor and
limit, and returns one page plus the opaque cursor of the next one.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any, NoReturn

import marshmallow as ma
import orjson
from sqlalchemy import Select, and_, or_

from ..extensions import db
from .problems import abort

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
"""What every cursor this API issues looks like (unpadded base64url); the spec states it, so a cursor of any
other shape is a 422 like any other malformed argument."""
CURSOR_MAX_LENGTH = 500


def unknown_cursor() -> NoReturn:
    """A well-formed cursor that is not a position in this list (forged, garbled, or from another sort order):
    404, like a well-formed id of no object. A 400 would claim the request breaks a rule the spec cannot state,
    since no pattern can tell the cursors this API issued from other base64url text."""
    abort(404, "No such page: the cursor is not one this list issued.", {"cursor": ["Not a cursor of this list."]})


class ListArgs(ma.Schema):
    """Query arguments every list accepts."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Page size, 1–{MAX_LIMIT}."},
    )
    cursor = ma.fields.String(
        validate=[
            ma.validate.Length(1, CURSOR_MAX_LENGTH),
            ma.validate.Regexp(CURSOR_PATTERN, error="Not a cursor: pass a `next_cursor` back unchanged."),
        ],
        metadata={
            "description": "Opaque cursor from a previous page's `next_cursor`. A well-formed cursor this list did "
            "not issue is a 404.",
            "pattern": CURSOR_PATTERN,
        },
    )


def contains(column: Any, text: str) -> Any:
    """`column` contains `text` (case-insensitive) as typed: `%`, `_` and `\\` match themselves, not every row."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def sort_field(choices: Sequence[str], default: str) -> ma.fields.String:
    """A `sort` argument: a field name, `-` in front for descending."""
    options = [*choices, *(f"-{c}" for c in choices)]
    return ma.fields.String(
        load_default=default,
        validate=ma.validate.OneOf(options),
        metadata={"description": "Sort field; prefix with '-' for descending."},
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope of one page of `item`: `{data: [...], next_cursor}`."""
    return ma.Schema.from_dict(
        {
            "data": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                required=True, allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
            ),
        },
        name=name,
    )


def paginate(query: Select[Any], model: Any, args: dict[str, Any]) -> dict[str, Any]:
    """One page of `query` (a `select(model)`), sorted by `args['sort']`, after `args['cursor']`."""
    sort = str(args.get("sort") or "-created_at")
    descending = sort.startswith("-")
    column = getattr(model, sort.lstrip("-"))
    query = query.order_by(column.desc() if descending else column.asc(), model.id.desc() if descending else model.id)
    if args.get("cursor"):
        value, last_id = _decode(args["cursor"], sort)
        _check_type(value, column)
        _check_type(last_id, model.id)
        after = (
            or_(column < value, and_(column == value, model.id < last_id))
            if descending
            else or_(column > value, and_(column == value, model.id > last_id))
        )
        query = query.where(after)
    limit = int(args.get("limit") or DEFAULT_LIMIT)
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(sort, getattr(last, sort.lstrip("-")), last.id)
    return {"data": rows, "next_cursor": next_cursor}


def _encode(sort: str, value: Any, last_id: Any) -> str:
    if isinstance(value, dt.datetime):
        value = {"dt": value.isoformat()}
    raw = orjson.dumps([sort, value, last_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, last_id = orjson.loads(raw)
        if isinstance(value, dict):
            value = dt.datetime.fromisoformat(value["dt"])
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        unknown_cursor()
    if cursor_sort != sort:
        unknown_cursor()
    return value, last_id


def _check_type(value: Any, column: Any) -> None:
    """A cursor's value must have its column's type: PostgreSQL refuses to compare text with a number (SQLite
    does not mind), and a naive datetime cannot be bound to a UTC column, so a forged cursor is a 404, not a 500."""
    kind = getattr(column.type, "impl", column.type).python_type  # through TypeDecorators such as UTCDateTime
    if value is None:
        return
    if type(value) is not kind or (isinstance(value, dt.datetime) and value.tzinfo is None):
        unknown_cursor()


def offset_page(query: Select[Any], args: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of an aggregate query (no stable row id to key on): the cursor is an opaque offset."""
    offset = _decode_offset(args.get("cursor"))
    limit = int(args.get("limit") or DEFAULT_LIMIT)
    rows = list(db.session.execute(query.offset(offset).limit(limit + 1)).mappings())
    more = len(rows) > limit
    return rows[:limit], _encode("offset", offset + limit, 0) if more else None


def _decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value, _ = _decode(cursor, "offset")
    if not isinstance(value, int) or value < 0:
        unknown_cursor()
    return value


def encode_cursor(kind: str, value: Any, last_id: Any) -> str:
    return _encode(kind, value, last_id)


def decode_cursor(cursor: str, kind: str) -> tuple[Any, Any]:
    return _decode(cursor, kind)
