"""Usage queries: totals and time series grouped by any dimension, burn rate, the request log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from webargs.fields import DelimitedList

from ...models.base import utcnow
from ..pagination import ListArgs, page_schema
from ..usage_sql import GROUPS, SOURCES
from .common import aware_datetime, id_field, usd_field

DEFAULT_RANGE = dt.timedelta(days=30)


class TimeRangeArgs(ma.Schema):
    start = aware_datetime(
        data_key="from", metadata={"description": "Start (inclusive); default: 30 days before `to`."}
    )
    end = aware_datetime(data_key="to", metadata={"description": "End (exclusive); default: now."})

    @ma.post_load
    def _defaults(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.setdefault("end", utcnow())
        data.setdefault("start", data["end"] - DEFAULT_RANGE)
        return data  # `from` at or after `to` is an empty range: no rows (a rule across two fields, no schema says)


class UsageFilterArgs(TimeRangeArgs):
    client_id = id_field()
    project_id = id_field()
    key_id = id_field()
    model = ma.fields.String(validate=ma.validate.Length(1, 200))
    provider = ma.fields.String(validate=ma.validate.Length(1, 32))
    lane_id = id_field()
    source = ma.fields.String(validate=ma.validate.OneOf(SOURCES))


class RepeatableDelimitedList(DelimitedList):
    """`a,b`, `x=a&x=b` or both: repeated query parameters (what `requests`, n8n and Make send for a list)
    are joined, instead of all but one being dropped."""

    is_multiple = True

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            value = self.delimiter.join(v for v in value if v)
        return super()._deserialize(value, attr, data, **kwargs)


class UsageQueryArgs(UsageFilterArgs, ListArgs):
    group_by = RepeatableDelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(list(GROUPS))),
        load_default=list,
        validate=ma.validate.Length(max=4),
        metadata={
            "description": "Dimensions, comma-separated (`client,day`) or repeated (`group_by=client&group_by=day`)."
            " Empty: one total."
        },
    )


class UsageMeasuresSchema(ma.Schema):
    requests = ma.fields.Integer(required=True)
    input_tokens = ma.fields.Integer(required=True)
    cached_input_tokens = ma.fields.Integer(required=True)
    output_tokens = ma.fields.Integer(required=True)
    reasoning_tokens = ma.fields.Integer(required=True)
    total_tokens = ma.fields.Integer(required=True)
    images = ma.fields.Integer(required=True, metadata={"description": "Images generated (images endpoints)."})
    audio_ms = ma.fields.Integer(
        required=True, metadata={"description": "Audio transcribed, milliseconds (transcription endpoints)."}
    )
    cost_micros = ma.fields.Integer(required=True, metadata={"description": "Actual cost, micro-dollars."})
    cost_usd = usd_field(required=True)
    value_micros = ma.fields.Integer(required=True, metadata={"description": "Value at list price, micro-dollars."})
    value_usd = usd_field(required=True)
    unpriced_requests = ma.fields.Integer(
        required=True,
        metadata={"description": "Requests of a model with no known price: counted above, but $0 in the money sums."},
    )
    unpriced_tokens = ma.fields.Integer(
        required=True, metadata={"description": "Input + output tokens of the unpriced requests."}
    )


class UsageRowSchema(UsageMeasuresSchema):
    client_id = ma.fields.String(allow_none=True)
    project_id = ma.fields.String(allow_none=True)
    key_id = ma.fields.String(allow_none=True)
    model = ma.fields.String(allow_none=True)
    provider = ma.fields.String(allow_none=True)
    lane_id = ma.fields.String(allow_none=True)
    day = ma.fields.String(
        allow_none=True, metadata={"description": "Calendar day in the workspace's time zone, YYYY-MM-DD."}
    )
    source = ma.fields.String(allow_none=True, metadata={"enum": list(SOURCES)})


class UsageReportSchema(ma.Schema):
    start = ma.fields.DateTime(data_key="from", required=True)
    end = ma.fields.DateTime(data_key="to", required=True)
    group_by = ma.fields.List(ma.fields.String(), required=True)
    data = ma.fields.List(ma.fields.Nested(UsageRowSchema), required=True)
    totals = ma.fields.Nested(UsageMeasuresSchema, required=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)


class BurnRateArgs(ListArgs):
    days = ma.fields.Integer(load_default=30, validate=ma.validate.Range(1, 366))
    client_id = id_field()


class BurnRateSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    client_name = ma.fields.String(required=True, allow_none=True)
    days = ma.fields.Integer(required=True)
    requests = ma.fields.Integer(required=True)
    cost_micros = ma.fields.Integer(required=True)
    cost_usd = usd_field(required=True)
    daily_cost_micros = ma.fields.Integer(required=True, metadata={"description": "Average cost per day."})
    daily_cost_usd = usd_field(required=True)


class RequestLogArgs(UsageFilterArgs, ListArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(("ok", "error")))


class AttemptSchema(ma.Schema):
    lane_id = ma.fields.String(required=True)
    reason = ma.fields.String(
        required=True,
        metadata={
            "description": "capacity_full, capacity_unavailable, cooldown, cannot_serve, timeout, unreachable, "
            "upstream_429, upstream_5xx, auth_failed, redirect, upstream_408, upstream_409.",
            "examples": ["capacity_full"],
        },
    )
    status = ma.fields.Integer(metadata={"description": "The upstream's HTTP status, when it answered."})


class RequestLogSchema(ma.Schema):
    source = ma.fields.String(required=True, metadata={"enum": list(SOURCES)})
    id = ma.fields.String(required=True, attribute="ref", metadata={"description": "Request id or event id."})
    created_at = ma.fields.DateTime(required=True)
    client_id = ma.fields.String(required=True)
    project_id = ma.fields.String(required=True, allow_none=True)
    key_id = ma.fields.String(required=True, allow_none=True)
    model = ma.fields.String(required=True, allow_none=True)
    provider = ma.fields.String(required=True, allow_none=True)
    lane_id = ma.fields.String(required=True, allow_none=True)
    endpoint = ma.fields.String(required=True, allow_none=True)
    status_code = ma.fields.Integer(required=True, allow_none=True)
    latency_ms = ma.fields.Integer(required=True, allow_none=True)
    input_tokens = ma.fields.Integer(required=True)
    cached_input_tokens = ma.fields.Integer(required=True)
    output_tokens = ma.fields.Integer(required=True)
    reasoning_tokens = ma.fields.Integer(required=True)
    images = ma.fields.Integer(required=True, metadata={"description": "Images generated (images endpoints)."})
    audio_ms = ma.fields.Integer(
        required=True, metadata={"description": "Audio transcribed, milliseconds (transcription endpoints)."}
    )
    cost_micros = ma.fields.Integer(required=True)
    cost_usd = usd_field(required=True)
    value_micros = ma.fields.Integer(required=True)
    value_usd = usd_field(required=True)
    priced = ma.fields.Boolean(required=True)
    usage_estimated = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The tokens (and so the value) are the gateway's estimate: the upstream answered but its"
            " usage never arrived (the caller left mid-stream, the stream broke, the provider sent none). The budget"
            " was charged the same estimate."
        },
    )
    model_requested = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "As the caller named it; `model` is what served."}
    )
    error_code = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why it failed, e.g. budget_exceeded, rate_limit_exceeded, upstream_rate_limited."},
    )
    ttfb_ms = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "Time to first byte."})
    end_user = ma.fields.String(required=True, allow_none=True, metadata={"description": "The request's `user`."})
    metadata = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True, allow_none=True)
    attempts = ma.fields.List(
        ma.fields.Nested(AttemptSchema),
        required=True,
        allow_none=True,
        metadata={
            "description": "Lanes passed over before `lane_id` served (all lanes tried, when none did), in order, "
            "each with why. Null: the first lane tried served (and always for ingested events)."
        },
    )


class MonthArgs(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[2-8]\d{3}-(0[1-9]|1[0-2])$", error="A month like 2026-11."),
        metadata={"description": "Calendar month in the workspace's time zone, YYYY-MM."},
    )


class CsvLogArgs(UsageFilterArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(("ok", "error")))


BurnRatePageSchema = page_schema(BurnRateSchema, "BurnRatePage")
RequestLogPageSchema = page_schema(RequestLogSchema, "RequestLogPage")
