"""Billing plans and invoice drafts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma

from ...billing.plans import PRESETS, PlanKind, UsageBasis
from ..pagination import ListArgs, page_schema, sort_field
from ..spec_rules import ConditionalSchema, RequiredWhen
from .common import id_field, name_field, usd_field

MONTH_PATTERN = r"^[2-8]\d{3}-(0[1-9]|1[0-2])$"
MAX_MICROS = 10**15
CENT_MICROS = 10_000


def month_field(
    description: str = "Calendar month in the workspace's time zone, YYYY-MM.", **kw: Any
) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(MONTH_PATTERN, error="A month like 2026-05."),
        metadata={"description": description, "examples": ["2026-05"]},
        **kw,
    )


def _whole_cents(value: int) -> None:
    if value % CENT_MICROS:
        raise ma.ValidationError("Whole cents only: a multiple of 10000 micro-dollars.")


def _dollars_micros(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=[ma.validate.Range(0, MAX_MICROS), _whole_cents],
        metadata={"description": description, "multipleOf": CENT_MICROS},
    )


def _percent(value: Decimal) -> None:
    """(Not `Range`: apispec would write its Decimal bounds into the document as strings.)"""
    if not 0 <= value <= 1000:
        raise ma.ValidationError("Between 0 and 1000.")


class PlanTermsSchema(ConditionalSchema):
    required_when = (
        RequiredWhen("kind", "cost_plus", ("markup_percent",)),
        RequiredWhen("kind", "byok", ("monthly_fee_micros",)),
        RequiredWhen("kind", "fixed", ("monthly_fee_micros",)),
        RequiredWhen(
            "kind",
            "retainer",
            ("monthly_fee_micros", "included_tokens", "overage_per_mtok_micros"),
            message="A retainer needs a preset, or monthly_fee_micros, included_tokens and overage_per_mtok_micros.",
            unless="preset",
        ),
        RequiredWhen("kind", "retainer", (), forbidden_otherwise=("preset",), message="A preset is a retainer."),
    )
    id = ma.fields.String(dump_only=True, required=True)
    client_id = ma.fields.String(dump_only=True, required=True)
    effective_month = month_field("The first month the plan applies to (default: the current month).")
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in PlanKind]))
    preset = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=ma.validate.OneOf(list(PRESETS)),
        metadata={
            "description": "retainer: starter ($500, 2M tokens), growth ($1,200, 5M), pro ($2,500, 12M); "
            "overage $60 per 1M tokens. Fields given explicitly override the preset's."
        },
    )
    usage_basis = ma.fields.String(
        load_default=UsageBasis.COST.value,
        validate=ma.validate.OneOf([b.value for b in UsageBasis]),
        metadata={"description": "pass_through and cost_plus bill usage at its cost (default) or its list value."},
    )
    label = name_field(allow_none=True, load_default=None, metadata={"description": "The plan's name on invoices."})
    markup_percent = ma.fields.Decimal(
        as_string=True,
        places=2,
        allow_none=True,
        load_default=None,
        validate=_percent,
        metadata={
            "description": 'cost_plus: markup on the usage subtotal, 0 to 1000, e.g. "30".',
            "type": "string",
            "pattern": r"^(1000(\.0{1,2})?|\d{1,3}(\.\d{1,2})?)$",
        },
    )
    monthly_fee_micros = _dollars_micros("retainer and fixed: the monthly retainer; byok: the monthly service fee.")
    included_tokens = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Range(0, 10**15),
        metadata={"description": "retainer: input + output tokens included each month."},
    )
    overage_per_mtok_micros = _dollars_micros("retainer: price of each 1M tokens over the included ones (pro rata).")
    monthly_fee_usd = usd_field(dump_only=True, allow_none=True, required=True)
    overage_per_mtok_usd = usd_field(dump_only=True, allow_none=True, required=True)
    treatment = ma.fields.String(
        dump_only=True, required=True, metadata={"examples": ["cost plus 30%", "included in retainer"]}
    )


class BillingPlanSchema(PlanTermsSchema):
    created_at = ma.fields.DateTime(dump_only=True, required=True)
    updated_at = ma.fields.DateTime(dump_only=True, required=True)


class PlanMonthArgs(ma.Schema):
    month = month_field("The plan in effect in this month (default: the current month).")


class BillingPlanListArgs(ListArgs):
    sort = sort_field(("effective_month",), "-effective_month")


BillingPlanPageSchema = page_schema(BillingPlanSchema, "BillingPlanPage")


class InvoiceLineSchema(ma.Schema):
    item = ma.fields.String(required=True, metadata={"description": "Product/service name."})
    description = ma.fields.String(required=True)
    quantity = ma.fields.String(required=True)
    unit_amount = ma.fields.String(required=True, metadata={"examples": ["12.34"]})
    amount = ma.fields.String(required=True, metadata={"examples": ["12.34"]})


class InvoiceSchema(ma.Schema):
    id = ma.fields.String(required=True, allow_none=True, metadata={"description": "null for a preview."})
    number = ma.fields.String(required=True, allow_none=True, metadata={"examples": ["202605-001"]})
    status = ma.fields.String(required=True, metadata={"enum": ["draft", "preview"]})
    client_id = ma.fields.String(required=True)
    client_name = ma.fields.String(required=True)
    month = ma.fields.String(required=True)
    currency = ma.fields.String(required=True)
    invoice_date = ma.fields.Date(required=True)
    due_date = ma.fields.Date(required=True)
    plan = ma.fields.Nested(PlanTermsSchema, required=True, metadata={"description": "The plan as applied."})
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineSchema), required=True)
    usage_subtotal_usd = ma.fields.String(required=True, metadata={"examples": ["25.31"]})
    total_usd = ma.fields.String(required=True, metadata={"examples": ["32.90"]})
    total_micros = ma.fields.Integer(required=True)
    tokens = ma.fields.Integer(required=True)
    overage_tokens = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True, allow_none=True)
    updated_at = ma.fields.DateTime(required=True, allow_none=True)


class InvoiceCreateSchema(ma.Schema):
    client_id = id_field(required=True)
    month = month_field(required=True)


class InvoiceListArgs(ListArgs):
    sort = sort_field(("created_at", "month", "number"), "-created_at")
    client_id = id_field()
    month = month_field()


InvoicePageSchema = page_schema(InvoiceSchema, "InvoicePage")

EXPORT_FORMATS = ("quickbooks", "xero", "json")


class InvoiceExportArgs(ma.Schema):
    format = ma.fields.String(required=True, validate=ma.validate.OneOf(EXPORT_FORMATS))
    account_code = ma.fields.String(
        load_default="200",
        validate=ma.validate.Length(1, 10),
        metadata={"description": "xero: the sales account code (Xero's default chart: 200)."},
    )
    tax_type = ma.fields.String(
        load_default="Tax Exempt",
        validate=ma.validate.Length(1, 100),
        metadata={"description": "xero: the tax rate's name as it appears in the organisation's Xero."},
    )
