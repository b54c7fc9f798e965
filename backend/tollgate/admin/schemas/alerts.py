"""Alert rules, alert events, webhook subscriptions and their deliveries."""

from __future__ import annotations

import marshmallow as ma

from ...models.alert import EVENT_TYPES, RULE_KINDS
from ..pagination import ListArgs, page_schema, sort_field
from ..spec_rules import ConditionalSchema, RequiredWhen
from .common import TimestampsMixin, id_field


class AlertRuleSchema(TimestampsMixin, ConditionalSchema):
    required_when = (
        RequiredWhen("kind", "threshold", ("threshold_percent",), message="A threshold rule needs threshold_percent."),
        RequiredWhen(
            "kind",
            "spike",
            ("spike_window", "spike_factor_percent"),
            message="A spike rule needs spike_window and spike_factor_percent.",
        ),
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(RULE_KINDS))
    budget_id = id_field(allow_none=True, load_default=None, metadata={"description": "null: applies to every budget."})
    threshold_percent = ma.fields.Integer(allow_none=True, load_default=None, validate=ma.validate.Range(1, 1000))
    spike_window = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.OneOf(("day", "hour")))
    spike_factor_percent = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Range(101, 100_000),
        metadata={"description": "300 = fire above 3× the trailing 7-day average."},
    )
    enabled = ma.fields.Boolean(load_default=True)


class AlertRuleUpdateSchema(ma.Schema):
    threshold_percent = ma.fields.Integer(validate=ma.validate.Range(1, 1000))
    spike_factor_percent = ma.fields.Integer(validate=ma.validate.Range(101, 100_000))
    spike_window = ma.fields.String(validate=ma.validate.OneOf(("day", "hour")))
    enabled = ma.fields.Boolean()


class AlertRuleListArgs(ListArgs):
    sort = sort_field(("created_at",), "created_at")


AlertRulePageSchema = page_schema(AlertRuleSchema, "AlertRulePage")


class AlertEventSchema(ma.Schema):
    id = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"enum": list(EVENT_TYPES)})
    client_id = ma.fields.String(allow_none=True, required=True)
    budget_id = ma.fields.String(allow_none=True, required=True)
    rule_id = ma.fields.String(allow_none=True, required=True)
    payload = ma.fields.Dict(required=True)
    created_at = ma.fields.DateTime(required=True)


class AlertEventListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    type = ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES))
    client_id = id_field()
    budget_id = id_field()


AlertEventPageSchema = page_schema(AlertEventSchema, "AlertEventPage")


class WebhookSubscriptionSchema(TimestampsMixin):
    url = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000), metadata={"format": "uri"})
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)), required=True, validate=ma.validate.Length(min=1)
    )
    client_ids = ma.fields.List(
        id_field(), allow_none=True, load_default=None, metadata={"description": "null: events of every client."}
    )
    description = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=200))
    disabled_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class WebhookSubscriptionCreatedSchema(WebhookSubscriptionSchema):
    secret = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={
            "description": "Signing secret (whsec_…), shown once. It keys the `Tollgate-Signature` header "
            "(HMAC-SHA256 of `<t>.<raw body>`) and the body's `signature.v1` (HMAC-SHA256 of "
            "`<t>.<id>.<type>.<client_id or empty>.<created_at>`, for receivers that only see parsed JSON, "
            "such as Make). See docs/webhooks.md to verify."
        },
    )


class WebhookSubscriptionListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")


WebhookSubscriptionPageSchema = page_schema(WebhookSubscriptionSchema, "WebhookSubscriptionPage")


class WebhookDeliverySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    subscription_id = ma.fields.String(required=True)
    event_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = ma.fields.DateTime(allow_none=True, required=True)
    last_status_code = ma.fields.Integer(allow_none=True, required=True)
    last_error = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    delivered_at = ma.fields.DateTime(allow_none=True, required=True)


class WebhookDeliveryListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    subscription_id = id_field()
    event_id = id_field()
    status = ma.fields.String(validate=ma.validate.OneOf(("pending", "delivered", "failed")))


WebhookDeliveryPageSchema = page_schema(WebhookDeliverySchema, "WebhookDeliveryPage")
