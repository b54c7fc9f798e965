"""A client's own provider keys (BYOK), the per-provider guides to making one, and the per-client BYOK choices."""

from __future__ import annotations

import marshmallow as ma

from ...byok.guides import GUIDES, PURPOSES
from ...byok.lanes import FALLBACKS, USES
from ...models.provider_key import KEY_STATUSES
from ..pagination import ListArgs, page_schema, sort_field
from .common import TimestampsMixin, id_field
from .sub_keys import models_field


class ProviderKeySchema(TimestampsMixin):
    client_id = ma.fields.String(dump_only=True, required=True)
    provider = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(sorted(GUIDES)),
        metadata={"description": "Whose key: see GET /api/v1/provider-key-guides for how to make one."},
    )
    purposes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(PURPOSES)),
        required=True,
        validate=ma.validate.Length(1, len(PURPOSES)),
        metadata={
            "description": "What the key serves: chat (chat, responses, embeddings, moderations), images, voice. "
            "Each provider offers only some (its guide's `purposes`); another is a 422.",
            "uniqueItems": True,
        },
    )
    api_key = ma.fields.String(
        load_only=True,
        required=True,
        validate=ma.validate.Length(8, 1000),
        metadata={
            "description": "The key, encrypted before it is stored. Write-only: never returned, logged or echoed "
            "in an error; only its last 4 characters and fingerprint are shown."
        },
    )
    label = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(1, 200))
    base_url = ma.fields.String(
        load_only=True,
        load_default=None,
        validate=ma.validate.Length(1, 2000),
        metadata={
            "description": "The provider's API root; default the provider's own (its guide's `default_base_url`). "
            "Internal addresses are refused unless this server allows private upstreams.",
            "format": "uri",
        },
    )
    models = models_field(
        load_only=True,
        metadata={"description": "Models the key serves (ids or `prefix*`); default the guide's `models`."},
    )
    replaces = id_field(
        load_only=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Rotation: an active key of this client that stops serving, in the same commit, once "
            "this one is verified (if this one fails, the old one keeps serving)."
        },
    )
    status = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={
            "enum": list(KEY_STATUSES),
            "description": "pending → verified (serves) | failed (the provider refused it, or could not be "
            "reached: `status_reason` says which); revoked; replaced (by a rotation).",
        },
    )
    status_reason = ma.fields.String(dump_only=True, required=True, allow_none=True)
    credential_last4 = ma.fields.String(dump_only=True, required=True, allow_none=True)
    credential_fingerprint = ma.fields.String(dump_only=True, required=True, allow_none=True)
    lane_id = ma.fields.String(
        dump_only=True, required=True, allow_none=True, metadata={"description": "The BYOK lane that carries it."}
    )
    created_by = ma.fields.String(dump_only=True, required=True)
    verified_at = ma.fields.DateTime(dump_only=True, required=True, allow_none=True)
    ended_at = ma.fields.DateTime(dump_only=True, required=True, allow_none=True)


class ProviderKeyListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    status = ma.fields.String(validate=ma.validate.OneOf(KEY_STATUSES))


class ProviderGuideSchema(ma.Schema):
    provider = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    purposes = ma.fields.List(ma.fields.String(), required=True)
    default_base_url = ma.fields.String(required=True)
    verify_call = ma.fields.String(
        required=True, metadata={"description": "The cheap call that proves a key works (it lists models)."}
    )
    models = ma.fields.List(ma.fields.String(), required=True)
    create_url = ma.fields.String(required=True)
    steps = ma.fields.List(ma.fields.String(), required=True)
    least_access = ma.fields.String(
        required=True, metadata={"description": "The least access the key needs: grant nothing more."}
    )


class ProviderGuideListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ProviderGuideSchema), required=True)


class ByokSettingsUpdateSchema(ma.Schema):
    use = ma.fields.String(
        validate=ma.validate.OneOf(USES),
        metadata={
            "description": "The client's choice (the client's token or the agency may change it): own_account "
            "(its verified keys serve first) or agency_default (the agency's lanes serve)."
        },
    )
    fallback = ma.fields.String(
        validate=ma.validate.OneOf(FALLBACKS),
        metadata={
            "description": "The agency's rule (agency roles only; a client token gets 403) for when the client's "
            "own key cannot serve: agency_default (its lanes for the client) or refuse (403 own_key_unavailable)."
        },
    )


class ByokSettingsSchema(ByokSettingsUpdateSchema):
    client_id = ma.fields.String(dump_only=True, required=True)
    use = ma.fields.String(dump_only=True, required=True, metadata={"enum": list(USES)})
    fallback = ma.fields.String(dump_only=True, required=True, metadata={"enum": list(FALLBACKS)})


ProviderKeyPageSchema = page_schema(ProviderKeySchema, "ProviderKeyPage")
