"""Field shapes shared by several resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from ...metering.prices import usd_string

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


def name_field(**kw: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, 200), **kw)


def slug_field(**kw: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(SLUG_PATTERN, error="Use lower-case letters, digits and inner hyphens."),
        metadata={"description": "URL-safe identifier, unique within its parent.", "pattern": SLUG_PATTERN},
        **kw,
    )


def id_field(**kw: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, 32), **kw)


YEAR_PATTERN = r"^[2-8][0-9]{3}-"
"""The years 2000–8999 as written, the one date range JSON Schema can state (it has no minimum for a date-time)."""


def _year_in_range(value: dt.datetime) -> None:
    if not 2000 <= value.year <= 8999:
        raise ma.ValidationError("The year must be between 2000 and 8999.")


def aware_datetime(**kw: Any) -> ma.fields.AwareDateTime:
    """ISO 8601 with an offset; naive input is read as UTC. Years 2000–8999 as written (checked before any
    conversion to UTC, so the spec's pattern and the server agree at the edges): arithmetic never overflows."""
    metadata = {"pattern": YEAR_PATTERN, **kw.pop("metadata", {})}
    return ma.fields.AwareDateTime(default_timezone=dt.UTC, validate=_year_in_range, metadata=metadata, **kw)


def usd(micros: int) -> str:
    """Integer micro-dollars as an exact decimal string: 1234567 → "1.234567"."""
    return usd_string(micros)


def usd_field(**kw: Any) -> ma.fields.String:
    return ma.fields.String(
        metadata={"description": "US dollars as an exact decimal string (never a float).", "examples": ["1.250000"]},
        **kw,
    )


class UsdFromMicros(ma.fields.String):
    """Read-only `*_usd` twin of an integer `*_micros` attribute: `UsdFromMicros("input_mtok_micros")`."""

    def __init__(self, micros_attribute: str, **kw: Any) -> None:
        metadata = {"description": "US dollars as an exact decimal string (never a float).", "examples": ["1.250000"]}
        super().__init__(attribute=micros_attribute, dump_only=True, metadata=metadata, **kw)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else usd(int(value))


class TimestampsMixin(ma.Schema):
    id = ma.fields.String(dump_only=True, required=True)
    created_at = ma.fields.DateTime(dump_only=True, required=True)
