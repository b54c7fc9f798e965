"""Profitability per client and month, and for the book."""

from __future__ import annotations

import marshmallow as ma

from .billing import month_field


class ProfitArgs(ma.Schema):
    month = month_field(required=True)


class ClientProfitSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    client_name = ma.fields.String(required=True)
    plan_kind = ma.fields.String(required=True, allow_none=True)
    revenue_micros = ma.fields.Integer(required=True, metadata={"description": "What the plan bills the month."})
    metered_cost_micros = ma.fields.Integer(required=True)
    flat_fee_share_micros = ma.fields.Integer(
        required=True, metadata={"description": "Flat lanes' fees shared out by API-equivalent value served."}
    )
    cost_micros = ma.fields.Integer(required=True, metadata={"description": "Cost to serve (BYOK traffic: 0)."})
    margin_micros = ma.fields.Integer(required=True)
    margin_percent = ma.fields.String(required=True, allow_none=True, metadata={"examples": ["23.5"]})
    value_micros = ma.fields.Integer(required=True)
    tokens = ma.fields.Integer(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)


class UnprofitableSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    client_name = ma.fields.String(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)


class BookSchema(ma.Schema):
    clients = ma.fields.Integer(required=True)
    revenue_micros = ma.fields.Integer(required=True)
    cost_micros = ma.fields.Integer(required=True)
    margin_micros = ma.fields.Integer(required=True)
    margin_percent = ma.fields.String(required=True, allow_none=True)
    unprofitable_clients = ma.fields.Integer(required=True)
    flat_fees_micros = ma.fields.Integer(required=True)
    flat_traffic_metered_micros = ma.fields.Integer(
        required=True, metadata={"description": "What the flat lanes' traffic would have cost at metered prices."}
    )
    flat_saving_micros = ma.fields.Integer(required=True)
    next_client_metered_micros = ma.fields.Integer(
        required=True, metadata={"description": "An average client's month at metered prices."}
    )
    summary = ma.fields.String(required=True)


class ProfitabilitySchema(ma.Schema):
    month = ma.fields.String(required=True)
    clients = ma.fields.List(ma.fields.Nested(ClientProfitSchema), required=True)
    unprofitable = ma.fields.List(ma.fields.Nested(UnprofitableSchema), required=True)
    book = ma.fields.Nested(BookSchema, required=True)
