"""Audit events: every change made to a workspace, with who, when, from where, and before/after."""

from __future__ import annotations

import marshmallow as ma

from ..pagination import ListArgs, page_schema, sort_field
from .common import aware_datetime


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(required=True, metadata={"description": "`token:<id>`, `cli` or `system`."})
    action = ma.fields.String(required=True, metadata={"examples": ["sub_key.create"]})
    target_type = ma.fields.String(required=True)
    target_id = ma.fields.String(allow_none=True, required=True)
    ip = ma.fields.String(allow_none=True, required=True)
    before = ma.fields.Dict(allow_none=True, required=True)
    after = ma.fields.Dict(allow_none=True, required=True)


class AuditListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    action = ma.fields.String(validate=ma.validate.Length(1, 64))
    target_type = ma.fields.String(validate=ma.validate.Length(1, 32))
    target_id = ma.fields.String(validate=ma.validate.Length(1, 32))
    actor = ma.fields.String(validate=ma.validate.Length(1, 64))
    since = aware_datetime(metadata={"description": "Only events at or after this time."})
    until = aware_datetime(metadata={"description": "Only events before this time."})


AuditEventPageSchema = page_schema(AuditEventSchema, "AuditEventPage")
