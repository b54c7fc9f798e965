"""Usage events: usage from traffic that did not pass through the gateway, reported in batches."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ...metering.usage import from_openai
from .common import aware_datetime

MAX_BATCH = 1000
_TOKENS = ma.validate.Range(0, 10**9)


def _tokens() -> ma.fields.Integer:
    return ma.fields.Integer(load_default=0, validate=_TOKENS)


class UsageEventSchema(ma.Schema):
    event_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 100),
        metadata={"description": "Your unique id of the event; resending it is harmless."},
    )
    timestamp = aware_datetime(required=True, metadata={"description": "When the usage happened."})
    client = ma.fields.String(
        required=True, validate=ma.validate.Length(1, 80), metadata={"description": "Client id or slug."}
    )
    project = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(1, 80), metadata={"description": "Project id or slug."}
    )
    provider = ma.fields.String(load_default="openai", validate=ma.validate.Length(1, 32))
    model = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    input_tokens = _tokens()
    cached_input_tokens = _tokens()
    output_tokens = _tokens()
    reasoning_tokens = _tokens()
    usage = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "The provider's raw `usage` object (OpenAI shape); wins over the token counts."},
    )
    metadata = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(1, 64)),
        values=ma.fields.String(validate=ma.validate.Length(max=500)),
        allow_none=True,
        validate=ma.validate.Length(max=16),
    )

    @ma.validates_schema
    def _usage_readable(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("usage") is not None and from_openai(data["usage"]) is None:
            raise ma.ValidationError("Not a usage object: expected prompt_tokens or input_tokens.", "usage")


class UsageEventBatchSchema(ma.Schema):
    events = ma.fields.List(
        ma.fields.Nested(UsageEventSchema), required=True, validate=ma.validate.Length(1, MAX_BATCH)
    )


class UsageEventAcceptedSchema(ma.Schema):
    accepted = ma.fields.Integer(required=True, metadata={"description": "Events queued for writing."})
    event_ids = ma.fields.List(ma.fields.String(), required=True)
