"""Lanes (provider connections and how they are paid) and routing policies (a client's ordered lanes)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ...budgets.lane_windows import UNITS
from ...gateway.providers import PROVIDERS
from ...gateway.providers.settings import price_provider_ids
from ..pagination import ListArgs, page_schema, sort_field
from ..spec_rules import ConditionalSchema, RequiredWhen
from .common import TimestampsMixin, id_field, name_field
from .sub_keys import models_field

PAYMENTS = ("metered", "flat", "byok")


def _fee(**kw: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        allow_none=True,
        validate=ma.validate.Range(0, 10**15),
        metadata={"description": "flat: the plan's monthly fee in micro-dollars (for profitability); else null."},
        **kw,
    )


def _url(**kw: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(1, 2000),
        metadata={"description": "The provider's API base URL, e.g. https://api.openai.com/v1.", "format": "uri"},
        **kw,
    )


def _api_key(**kw: Any) -> ma.fields.String:
    return ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(1, 1000),
        metadata={"description": "The provider credential. Write-only: only its last 4 and fingerprint are shown."},
        **kw,
    )


def _option(description: str) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, 500), metadata={"description": description})


class LaneSettingsSchema(ma.Schema):
    """Provider options; which provider reads which is `gateway/providers/settings.READ_BY`."""

    price_provider = ma.fields.String(
        validate=ma.validate.OneOf(sorted(price_provider_ids())),
        metadata={
            "description": "Every provider: the genai-prices provider that prices the lane's traffic when its base "
            "URL's host does not say, e.g. groq."
        },
    )
    api_version = _option("azure: the `api-version` query parameter, e.g. 2024-10-21.")
    deployments = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(1, 200)),
        values=ma.fields.String(validate=ma.validate.Length(1, 200)),
        metadata={"description": "azure: model → deployment name."},
    )
    http_referer = _option("openrouter: sent as HTTP-Referer.")
    x_title = _option("openrouter: sent as X-Title.")


def _settings(**kw: Any) -> ma.fields.Nested:
    return ma.fields.Nested(
        LaneSettingsSchema,
        allow_none=True,
        metadata={
            "description": "Provider options. A setting the lane's provider does not read (another provider's) is "
            "refused with 409, naming it: it conflicts with the lane's provider."
        },
        **kw,
    )


class CapacitySchema(ma.Schema):
    limit = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(1, 10**12),
        metadata={"description": "Requests or tokens (input + output) the plan allows per window."},
    )
    unit = ma.fields.String(required=True, validate=ma.validate.OneOf(UNITS))
    window_s = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(1, 31 * 86_400),
        metadata={
            "description": "The window's length in seconds (18000: 5 hours). A window opens with the first request "
            "after the previous one ended."
        },
    )


def _capacity(**kw: Any) -> ma.fields.Nested:
    return ma.fields.Nested(
        CapacitySchema,
        allow_none=True,
        metadata={
            "description": "flat only: the plan's capacity window, shared by every gateway process. While it is full "
            "the lane is skipped and the next lane in the routing policy serves (the log row's `attempts` says "
            "`capacity_full`). Live use: GET /lanes/{id}/capacity. Null: no window is tracked. A lane whose payment "
            "changes away from flat loses it; setting one on a lane that is not flat (without `payment: flat` in the "
            "same change) is a 409."
        },
        **kw,
    )


_FLAT_CAPACITY = RequiredWhen(
    "payment", "flat", (), forbidden_otherwise=("capacity",), message="Only a flat lane has a capacity window."
)


class LaneSchema(TimestampsMixin, ConditionalSchema):
    required_when = (_FLAT_CAPACITY,)
    name = name_field(required=True)
    provider = ma.fields.String(
        load_default="openai",
        validate=ma.validate.OneOf(sorted(PROVIDERS)),
        metadata={"description": "Wire format: openai (and any OpenAI-compatible base URL), anthropic, gemini, "
                  "azure, openrouter, and for images stability or replicate."},
    )  # fmt: skip
    base_url = _url(required=True)
    payment = ma.fields.String(load_default="metered", validate=ma.validate.OneOf(PAYMENTS))
    monthly_fee_micros = _fee(load_default=None)
    capacity = _capacity(load_default=None)
    owner_client_id = id_field(
        allow_none=True, metadata={"description": "Set for a client's own (BYOK) lane; null for the agency's."}
    )
    models = models_field()
    settings = _settings(load_default=None)
    api_key = _api_key(allow_none=True)
    credential_last4 = ma.fields.String(dump_only=True, allow_none=True, required=True)
    credential_fingerprint = ma.fields.String(dump_only=True, allow_none=True, required=True)
    disabled_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)

    @ma.validates_schema
    def _byok_has_owner(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("payment") == "byok" and not data.get("owner_client_id"):
            raise ma.ValidationError("A BYOK lane belongs to a client: set owner_client_id.", "owner_client_id")


class LaneUpdateSchema(ConditionalSchema):
    required_when = (_FLAT_CAPACITY,)
    name = name_field()
    base_url = _url()
    payment = ma.fields.String(validate=ma.validate.OneOf(PAYMENTS))
    monthly_fee_micros = _fee()
    capacity = _capacity()
    models = models_field()
    settings = _settings()
    api_key = _api_key(allow_none=True)
    disabled = ma.fields.Boolean(metadata={"description": "A disabled lane is skipped by routing."})


class CapacityStatusSchema(ma.Schema):
    lane_id = ma.fields.String(required=True)
    limit = ma.fields.Integer(required=True)
    unit = ma.fields.String(required=True, metadata={"enum": list(UNITS)})
    window_s = ma.fields.Integer(required=True)
    used = ma.fields.Integer(required=True, metadata={"description": "Settled in the current window."})
    in_flight = ma.fields.Integer(
        required=True,
        metadata={"description": "Held by requests still running (one each, or their token estimate)."},
    )
    remaining = ma.fields.Integer(
        required=True, metadata={"description": "limit - used - in_flight, at least 0; 0: the lane is skipped."}
    )
    window_started_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null: no window open (the next request opens one)."}
    )
    resets_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When the current window ends; null: none is open."}
    )


class LaneListArgs(ListArgs):
    sort = sort_field(("created_at", "name"), "-created_at")
    owner_client_id = id_field()
    provider = ma.fields.String(validate=ma.validate.Length(1, 32))
    payment = ma.fields.String(validate=ma.validate.OneOf(PAYMENTS))


class RoutingPolicySchema(ma.Schema):
    scope = ma.fields.String(dump_only=True, required=True, metadata={"description": "`default` or the client's id."})
    client_id = ma.fields.String(dump_only=True, allow_none=True, required=True)
    lane_ids = ma.fields.List(
        id_field(),
        required=True,
        validate=ma.validate.Length(1, 20),
        metadata={"description": "Lanes in the order they are tried.", "uniqueItems": True},
    )


class RoutingListArgs(ListArgs):
    pass


LanePageSchema = page_schema(LaneSchema, "LanePage")
RoutingPolicyPageSchema = page_schema(RoutingPolicySchema, "RoutingPolicyPage")
