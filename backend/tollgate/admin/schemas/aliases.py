"""Model aliases: a workspace's own model names (`fast`) for real models."""

from __future__ import annotations

import marshmallow as ma

from ..pagination import ListArgs, page_schema, sort_field
from .common import TimestampsMixin

_NAME = ma.validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$",
    error="Letters, digits and . _ : / - only, starting with a letter or digit (≤ 200).",
)


class ModelAliasSchema(TimestampsMixin):
    alias = ma.fields.String(
        required=True,
        validate=_NAME,
        metadata={"description": "The name callers send as `model`, e.g. `fast`; one alias per name (409)."},
    )
    model = ma.fields.String(
        required=True,
        validate=_NAME,
        metadata={
            "description": "The real model it stands for (not the alias's own name: 409). The key's allowed models, "
            "routing and pricing see this model; the request log keeps the alias as model_requested."
        },
    )


class ModelAliasUpdateSchema(ma.Schema):
    model = ma.fields.String(
        validate=_NAME, metadata={"description": "The new real model (not the alias's own name: 409)."}
    )


class ModelAliasListArgs(ListArgs):
    sort = sort_field(("created_at", "alias"), "alias")


ModelAliasPageSchema = page_schema(ModelAliasSchema, "ModelAliasPage")
