"""Reconciliation: a lane's report credential, runs comparing Tollgate's cost with the provider's report, and
their per-day, per-model rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from ..pagination import ListArgs, page_schema, sort_field
from ..spec_rules import ConditionalSchema, RequiredWhen
from .billing import month_field
from .common import YEAR_PATTERN, TimestampsMixin, UsdFromMicros

MAX_DAYS = 93
"""The longest range one run covers: a quarter (report APIs page by day; a run is answered synchronously)."""
SOURCES = ("api", "csv")
STATUSES = ("ok", "gap", "failed")


def _day_field(wire_name: str, description: str) -> ma.fields.Date:
    def in_range(value: dt.date) -> None:
        if not 2000 <= value.year <= 8999:
            raise ma.ValidationError("The year must be between 2000 and 8999.")

    return ma.fields.Date(
        data_key=wire_name, validate=in_range, metadata={"description": description, "pattern": YEAR_PATTERN}
    )


class MonthOrRange(RequiredWhen):
    """Exactly one period: `month`, or `from` and `to` together (a `RequiredWhen` in shape, so
    `ConditionalSchema` enforces it and `ConditionalPlugin` writes it into the spec as `oneOf`)."""

    def __init__(self) -> None:
        super().__init__("month", "", ())

    def check(self, data: dict[str, Any]) -> None:
        month, start, end = data.get("month"), data.get("from_day"), data.get("to_day")
        if month is not None and (start is not None or end is not None):
            raise ma.ValidationError("Give `month` or `from` and `to`, not both.", "month")
        if month is None and (start is None or end is None):
            raise ma.ValidationError("Give `month`, or both `from` and `to`.", "from" if start is None else "to")
        if start is not None and end is not None:
            if end < start:
                raise ma.ValidationError("`to` is before `from`.", "to")
            if (end - start).days + 1 > MAX_DAYS:
                raise ma.ValidationError(f"At most {MAX_DAYS} days in one run.", "to")

    def json_schema(self, schema: ma.Schema) -> dict[str, Any]:
        return {
            "oneOf": [
                {"required": ["month"], "not": {"anyOf": [{"required": ["from"]}, {"required": ["to"]}]}},
                {"required": ["from", "to"], "not": {"required": ["month"]}},
            ]
        }


class PeriodMixin(ConditionalSchema):
    required_when = (MonthOrRange(),)
    month = month_field("A calendar month of UTC days (providers bucket their reports by UTC day), YYYY-MM.")
    from_day = _day_field("from", "First UTC day (with `to`; instead of `month`).")
    to_day = _day_field("to", f"Last UTC day, included (on or after `from`, at most {MAX_DAYS} days in all).")


class ReconciliationRequestSchema(PeriodMixin):
    source = ma.fields.String(
        load_default="api",
        validate=ma.validate.OneOf(["api"]),
        metadata={
            "description": "`api`: fetch the provider's cost report with the lane's report credential. To compare "
            "with a CSV export instead, POST the file to `/lanes/{lane_id}/reconciliations/csv`."
        },
    )


class ReconciliationCsvArgs(ma.Schema):
    month = month_field(
        "Compare this month of UTC days (lines of other days are left out); without it, the days the file covers."
    )


class ReportCredentialSchema(ma.Schema):
    api_key = ma.fields.String(
        load_only=True,
        required=True,
        validate=ma.validate.Length(8, 1000),
        metadata={
            "description": "The provider's admin key that reads usage and cost reports (OpenAI admin key, Anthropic "
            "Admin API key), not the lane's inference key. Write-only: only its last 4 and fingerprint are shown."
        },
    )
    base_url = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(1, 2000),
        metadata={
            "description": "The report API's base URL (OpenAI: https://api.openai.com/v1, Anthropic: "
            "https://api.anthropic.com); null: the lane's base URL.",
            "format": "uri",
        },
    )
    scope = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(1, 200),
        metadata={
            "description": "The OpenAI project id or Anthropic workspace id the lane's key belongs to: the report is "
            "narrowed to it. Null: the whole organization's report."
        },
    )
    lane_id = ma.fields.String(dump_only=True, required=True)
    credential_last4 = ma.fields.String(dump_only=True, required=True, attribute="last4")
    credential_fingerprint = ma.fields.String(dump_only=True, required=True, attribute="fingerprint")
    created_at = ma.fields.DateTime(dump_only=True, required=True)


def _percent(**kw: Any) -> ma.fields.String:
    return ma.fields.String(
        dump_only=True,
        allow_none=True,
        required=True,
        metadata={
            "description": "(provider − Tollgate) / provider × 100 as an exact decimal string, 4 places; null when the "
            "provider reports 0 and Tollgate does not."
        },
        **kw,
    )


class _MoneyMixin(ma.Schema):
    tollgate_cost_micros = ma.fields.Integer(
        dump_only=True,
        required=True,
        metadata={"description": "Metered lane: Tollgate's cost; BYOK lane: Tollgate's list-price value."},
    )
    tollgate_cost_usd = UsdFromMicros("tollgate_cost_micros", required=True)
    provider_cost_micros = ma.fields.Integer(dump_only=True, required=True)
    provider_cost_usd = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={"description": "The provider's figure, exact as it reported it (summed as decimals)."},
    )
    difference_micros = ma.fields.Integer(
        dump_only=True,
        required=True,
        metadata={"description": "provider − Tollgate (positive: the provider billed more)."},
    )
    difference_usd = UsdFromMicros("difference_micros", required=True)
    difference_percent = _percent()


class ReconciliationRunSchema(TimestampsMixin, _MoneyMixin):
    lane_id = ma.fields.String(dump_only=True, required=True)
    client_id = ma.fields.String(
        dump_only=True, allow_none=True, required=True, metadata={"description": "The BYOK lane's client; else null."}
    )
    provider = ma.fields.String(dump_only=True, required=True)
    source = ma.fields.String(dump_only=True, required=True, metadata={"enum": list(SOURCES)})
    trigger = ma.fields.String(dump_only=True, required=True, metadata={"enum": ["manual", "schedule"]})
    start_day = ma.fields.Date(dump_only=True, required=True)
    end_day = ma.fields.Date(dump_only=True, required=True)
    status = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={
            "enum": list(STATUSES),
            "description": "`gap`: the range or a day differs by more than 1% and at least $0.01 "
            "(`reconciliation.gap` fired); `failed`: a scheduled run could not read the provider's report.",
        },
    )
    gap_days = ma.fields.List(
        ma.fields.String(metadata={"format": "date"}),
        dump_only=True,
        required=True,
        metadata={"description": "The UTC days whose totals differ by more than the tolerance."},
    )
    error = ma.fields.String(dump_only=True, allow_none=True, required=True)
    details = ma.fields.Dict(dump_only=True, allow_none=True, required=True)
    finished_at = ma.fields.DateTime(dump_only=True, allow_none=True, required=True)


class ReconciliationRowSchema(_MoneyMixin):
    day = ma.fields.Date(dump_only=True, required=True)
    model = ma.fields.String(dump_only=True, required=True)
    requests = ma.fields.Integer(dump_only=True, required=True)
    tollgate_input_tokens = ma.fields.Integer(dump_only=True, required=True)
    tollgate_output_tokens = ma.fields.Integer(dump_only=True, required=True)
    provider_input_tokens = ma.fields.Integer(
        dump_only=True,
        allow_none=True,
        required=True,
        metadata={"description": "From the provider's usage report (input includes cached); null for a CSV import."},
    )
    provider_output_tokens = ma.fields.Integer(dump_only=True, allow_none=True, required=True)


class ReconciliationRunListArgs(ListArgs):
    sort = sort_field(("created_at",), "-created_at")
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))


class ReconciliationRowListArgs(ListArgs):
    sort = sort_field(("id",), "id")
    """Rows are stored in (day, model) order, so `id` order is that order."""


ReconciliationRunPageSchema = page_schema(ReconciliationRunSchema, "ReconciliationRunPage")
ReconciliationRowPageSchema = page_schema(ReconciliationRowSchema, "ReconciliationRowPage")
