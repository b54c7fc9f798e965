"""The workspace (the agency and its brand), price overrides and admin tokens."""

from __future__ import annotations

import zoneinfo
from typing import Any

import marshmallow as ma

from ...models.base import utcnow
from ..pagination import ListArgs, page_schema, sort_field
from ..spec_rules import ConditionalSchema, RequiredWhen
from .common import TimestampsMixin, UsdFromMicros, aware_datetime, id_field, name_field
from .timezones import TIME_ZONES

COLOR = ma.validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="A colour like #1f2937.")
ROLES = ("owner", "admin", "viewer", "client")
TOKEN_STATUSES = ("active", "revoked", "expired")


def token_status(token: Any) -> str:
    """`revoked`, else `expired` (an `expires_at` at or before now: accepted on create, see docs/admin-api.md),
    else `active`; the same test auth applies. `token` is the model or the create view's dict."""
    now = utcnow()
    revoked_at = ma.utils.get_value(token, "revoked_at")
    expires_at = ma.utils.get_value(token, "expires_at")
    if revoked_at is not None and revoked_at <= now:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "active"


def _timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ma.ValidationError("Not an IANA time zone (e.g. Europe/Berlin).") from exc


class WorkspaceSchema(TimestampsMixin):
    name = name_field()
    slug = ma.fields.String(dump_only=True, required=True)
    logo_url = ma.fields.URL(
        allow_none=True, schemes={"https", "http"}, validate=ma.validate.Length(max=2000), metadata={"format": "uri"}
    )
    primary_color = ma.fields.String(validate=COLOR)
    accent_color = ma.fields.String(validate=COLOR)
    report_footer = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000))
    timezone = ma.fields.String(
        validate=[ma.validate.OneOf(TIME_ZONES, error="Not an IANA time zone (e.g. Europe/Berlin)."), _timezone],
        metadata={"description": "IANA time zone: its calendar days and months are the usage days and months."},
    )
    currency = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code like USD."),
        metadata={"description": "ISO 4217 code used to display money in reports."},
    )


def _micros(**kw: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        validate=ma.validate.Range(0, 10**12),
        metadata={"description": "Micro-dollars per million tokens (1000000 = $1.00 per 1M tokens)."},
        **kw,
    )


def _unit_micros(description: str, **kw: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        allow_none=True,
        validate=ma.validate.Range(0, 10**12),
        metadata={"description": description + " null: the list price (or this override's token rates)."},
        **kw,
    )


_IMAGE = (
    "Micro-dollars per image generated (40000 = $0.04), whatever its size and quality; wins over the token rates "
    "for this model's images."
)
_AUDIO = (
    "Micro-dollars per minute of input audio (6000 = $0.006), billed by the millisecond; wins over the token "
    "rates for this model's transcriptions."
)


class PriceOverrideSchema(TimestampsMixin):
    model = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    input_mtok_micros = _micros(required=True)
    cached_input_mtok_micros = _micros(allow_none=True)
    output_mtok_micros = _micros(required=True)
    input_mtok_usd = UsdFromMicros("input_mtok_micros", required=True)
    cached_input_mtok_usd = UsdFromMicros("cached_input_mtok_micros", allow_none=True, required=True)
    output_mtok_usd = UsdFromMicros("output_mtok_micros", required=True)
    image_micros = _unit_micros(_IMAGE, load_default=None)
    audio_minute_micros = _unit_micros(_AUDIO, load_default=None)
    image_usd = UsdFromMicros("image_micros", allow_none=True, required=True)
    audio_minute_usd = UsdFromMicros("audio_minute_micros", allow_none=True, required=True)


class PriceOverrideUpdateSchema(ma.Schema):
    input_mtok_micros = _micros()
    cached_input_mtok_micros = _micros(allow_none=True)
    output_mtok_micros = _micros()
    image_micros = _unit_micros(_IMAGE)
    audio_minute_micros = _unit_micros(_AUDIO)


class PriceOverrideListArgs(ListArgs):
    sort = sort_field(("created_at", "model"), "model")
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Model contains."})


class AdminTokenSchema(TimestampsMixin, ConditionalSchema):
    required_when = (
        RequiredWhen(
            "role",
            "client",
            ("client_id",),
            forbidden_otherwise=("client_id",),
            message="Role `client` needs a client_id, and only that role may have one.",
        ),
    )
    name = name_field(required=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    client_id = id_field(allow_none=True, metadata={"description": "Required for role `client`, else null."})
    expires_at = aware_datetime(
        allow_none=True,
        metadata={
            "description": "When the token stops working; null: never. A time already past is accepted: "
            "the token is expired at once."
        },
    )
    prefix = ma.fields.Constant("tga_", dump_only=True, required=True)
    last4 = ma.fields.String(dump_only=True, required=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)
    status = ma.fields.Function(
        token_status, dump_only=True, required=True, metadata={"type": "string", "enum": list(TOKEN_STATUSES)}
    )


class AdminTokenCreatedSchema(AdminTokenSchema):
    secret = ma.fields.String(dump_only=True, required=True, metadata={"description": "Shown only in this response."})


class AdminTokenUpdateSchema(ma.Schema):
    name = name_field()


class AdminTokenListArgs(ListArgs):
    sort = sort_field(("created_at", "name"), "-created_at")
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    include_revoked = ma.fields.Boolean(load_default=False)


PriceOverridePageSchema = page_schema(PriceOverrideSchema, "PriceOverridePage")
AdminTokenPageSchema = page_schema(AdminTokenSchema, "AdminTokenPage")
