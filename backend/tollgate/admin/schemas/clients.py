"""Clients (the agency's customers) and their projects."""

from __future__ import annotations

import marshmallow as ma

from ..pagination import ListArgs, page_schema, sort_field
from .common import TimestampsMixin, id_field, name_field, slug_field
from .sub_keys import models_field

_KEY_POLICY = (
    "Key policy (agency roles only): the models a key minted by this client's own (client-role) token may use "
    "at most; such a key gets this list when it asks for none, and the client can never widen it. "
    "null: no limit. Keys issued by agency roles are not affected."
)

STATUSES = ("active", "archived", "all")


class ClientSchema(TimestampsMixin):
    name = name_field(required=True)
    slug = slug_field(required=True)
    external_ref = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=200), metadata={"description": "Your CRM's id."}
    )
    archived_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)
    key_allowed_models = models_field(metadata={"description": _KEY_POLICY})


class ClientUpdateSchema(ma.Schema):
    name = name_field()
    slug = slug_field()
    external_ref = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    key_allowed_models = models_field(metadata={"description": _KEY_POLICY})


class ClientListArgs(ListArgs):
    sort = sort_field(("created_at", "name", "slug"), "-created_at")
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Name contains."})
    status = ma.fields.String(load_default="active", validate=ma.validate.OneOf(STATUSES))


class ProjectSchema(TimestampsMixin):
    client_id = id_field(required=True)
    name = name_field(required=True)
    slug = slug_field(required=True)
    archived_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)


class ProjectUpdateSchema(ma.Schema):
    name = name_field()
    slug = slug_field()


class ProjectListArgs(ListArgs):
    sort = sort_field(("created_at", "name", "slug"), "-created_at")
    client_id = id_field()
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Name contains."})
    status = ma.fields.String(load_default="active", validate=ma.validate.OneOf(STATUSES))


ClientPageSchema = page_schema(ClientSchema, "ClientPage")
ProjectPageSchema = page_schema(ProjectSchema, "ProjectPage")
