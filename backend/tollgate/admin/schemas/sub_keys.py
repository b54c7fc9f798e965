"""Sub-keys: the `tg_...` bearer keys a client's workflows use on /v1. The secret is returned once."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ..pagination import ListArgs, page_schema, sort_field
from .common import TimestampsMixin, aware_datetime, id_field, name_field

KEY_STATUSES = ("active", "revoked", "expired", "all")
MAX_OVERLAP_S = 30 * 24 * 3600


def models_field(**kw: Any) -> ma.fields.List:
    kw.setdefault("metadata", {"description": "Model ids or `prefix*` globs; null: every model."})
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, 200)),
        validate=ma.validate.Length(max=100),
        allow_none=True,
        **kw,
    )


EXPIRY = "When the key stops working; null: never. A time already past is accepted: the key is expired at once."


class SubKeySchema(TimestampsMixin):
    client_id = id_field(required=True)
    project_id = id_field(allow_none=True)
    name = name_field(required=True)
    allowed_models = models_field()
    expires_at = aware_datetime(allow_none=True, metadata={"description": EXPIRY})
    prefix = ma.fields.Constant("tg_", dump_only=True, required=True)
    last4 = ma.fields.String(dump_only=True, required=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)
    status = ma.fields.String(
        dump_only=True, required=True, metadata={"enum": ["active", "revoking", "revoked", "expired"]}
    )
    agency_allowed_models = ma.fields.List(
        ma.fields.String(),
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The widest allowed_models the agency allows this key (set by an agency role's "
            "allowed_models, or the client's key_allowed_models for a key a client token minted). A client "
            "token may narrow allowed_models within it, never widen or remove it. null: no agency limit."
        },
    )
    agency_expires_at = ma.fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The expiry an agency role set: a client token may bring expires_at forward, never "
            "past it or to null. null: no agency limit."
        },
    )


class SubKeyCreatedSchema(SubKeySchema):
    secret = ma.fields.String(
        dump_only=True, required=True, metadata={"description": "The key itself. Shown only in this response."}
    )


class SubKeyUpdateSchema(ma.Schema):
    name = name_field()
    allowed_models = models_field()
    expires_at = aware_datetime(allow_none=True, metadata={"description": EXPIRY})


class RotateSchema(ma.Schema):
    overlap_seconds = ma.fields.Integer(
        load_default=3600,
        validate=ma.validate.Range(0, MAX_OVERLAP_S),
        metadata={"description": "How long the old key keeps working (its revoked_at = now + overlap)."},
    )


class SubKeyListArgs(ListArgs):
    sort = sort_field(("created_at", "name"), "-created_at")
    client_id = id_field()
    project_id = id_field()
    status = ma.fields.String(load_default="all", validate=ma.validate.OneOf(KEY_STATUSES))
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Name contains."})


SubKeyPageSchema = page_schema(SubKeySchema, "SubKeyPage")
