"""Budgets, rate limits and cap status."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ...budgets.periods import Period
from ...models.budget import BUDGET_SCOPES, RATE_SCOPES
from ..pagination import ListArgs, page_schema, sort_field
from .common import TimestampsMixin, id_field, name_field, usd, usd_field

PERIODS = tuple(p.value for p in Period)
MAX_MICROS = 10**15


def _amount(**kw: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        validate=ma.validate.Range(0, MAX_MICROS),
        metadata={"description": "Budget in micro-dollars of the workspace currency (100000000 = 100.00)."},
        **kw,
    )


class BudgetSchema(TimestampsMixin):
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(BUDGET_SCOPES))
    scope_id = id_field(required=True, metadata={"description": "The sub-key, project or client id."})
    client_id = ma.fields.String(dump_only=True, required=True)
    name = name_field()
    amount_micros = _amount(required=True)
    amount_usd = ma.fields.Function(lambda b: usd(b.amount_micros), dump_only=True, required=True)
    period = ma.fields.String(load_default="monthly", validate=ma.validate.OneOf(PERIODS))
    hard = ma.fields.Boolean(
        load_default=True, metadata={"description": "true: refuse requests that do not fit; false: alert only."}
    )
    updated_at = ma.fields.DateTime(dump_only=True, required=True)


class BudgetUpdateSchema(ma.Schema):
    name = name_field()
    amount_micros = _amount()
    period = ma.fields.String(validate=ma.validate.OneOf(PERIODS))
    hard = ma.fields.Boolean()


class BudgetListArgs(ListArgs):
    sort = sort_field(("created_at", "name", "amount_micros"), "-created_at")
    client_id = id_field()
    scope = ma.fields.String(validate=ma.validate.OneOf(BUDGET_SCOPES))
    scope_id = id_field()


BudgetPageSchema = page_schema(BudgetSchema, "BudgetPage")


class CapBudgetSchema(ma.Schema):
    budget_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
    scope_id = ma.fields.String(required=True)
    period = ma.fields.String(required=True)
    hard = ma.fields.Boolean(required=True)
    limit_micros = ma.fields.Integer(required=True)
    spent_micros = ma.fields.Integer(required=True)
    reserved_micros = ma.fields.Integer(required=True, metadata={"description": "Held by requests in flight."})
    remaining_micros = ma.fields.Integer(required=True)
    percent_used = ma.fields.Float(required=True)
    summary = ma.fields.String(required=True, metadata={"examples": ["38% of monthly budget ($38.00 of $100.00)"]})
    period_start = ma.fields.String(required=True)
    period_end = ma.fields.String(required=True, allow_none=True)
    projected_micros = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Spend at period end at the current burn rate."}
    )
    state = ma.fields.String(required=True, metadata={"enum": ["ok", "warning", "exceeded"]})
    limit_usd = usd_field(required=True)
    spent_usd = usd_field(required=True)
    reserved_usd = usd_field(required=True)
    remaining_usd = usd_field(required=True)
    projected_usd = usd_field(required=True, allow_none=True)


class CapStatusSchema(ma.Schema):
    scope = ma.fields.String(required=True)
    scope_id = ma.fields.String(required=True)
    state = ma.fields.String(required=True, metadata={"enum": ["ok", "warning", "exceeded"]})
    budgets = ma.fields.List(ma.fields.Nested(CapBudgetSchema), required=True)


class RateLimitSchema(TimestampsMixin):
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(RATE_SCOPES))
    scope_id = id_field(required=True)
    client_id = ma.fields.String(dump_only=True, required=True)
    requests_per_min = ma.fields.Integer(allow_none=True, load_default=None, validate=ma.validate.Range(1, 10**7))
    tokens_per_min = ma.fields.Integer(allow_none=True, load_default=None, validate=ma.validate.Range(1, 10**10))


class RateLimitListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    client_id = id_field()


RateLimitPageSchema = page_schema(RateLimitSchema, "RateLimitPage")
