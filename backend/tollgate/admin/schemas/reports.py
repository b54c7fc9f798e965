"""Monthly usage reports and their share links."""

from __future__ import annotations

import marshmallow as ma

from ...models.report import REPORT_STATUSES
from ..pagination import ListArgs, page_schema, sort_field
from .billing import month_field
from .common import id_field

REPORT_FORMATS = ("html", "pdf", "csv", "json")


class ReportSchema(ma.Schema):
    id = ma.fields.String(required=True)
    client_id = ma.fields.String(required=True)
    month = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(REPORT_STATUSES)})
    error = ma.fields.String(required=True, allow_none=True)
    header = ma.fields.List(
        ma.fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": "The report's header lines, once it is ready."},
    )
    share_expires_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When the current share link expires; null: none."}
    )
    created_at = ma.fields.DateTime(required=True)
    requested_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(required=True, allow_none=True)


class ReportCreateSchema(ma.Schema):
    month = month_field(required=True)
    client_id = id_field(
        load_default=None, allow_none=True, metadata={"description": "One client; omitted: every active client."}
    )


class ReportBatchSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ReportSchema), required=True)


class ReportListArgs(ListArgs):
    sort = sort_field(("created_at", "month"), "-created_at")
    client_id = id_field()
    month = month_field()
    status = ma.fields.String(validate=ma.validate.OneOf(REPORT_STATUSES))


ReportPageSchema = page_schema(ReportSchema, "ReportPage")


class ReportDownloadArgs(ma.Schema):
    format = ma.fields.String(required=True, validate=ma.validate.OneOf(REPORT_FORMATS))


class ShareLinkCreateSchema(ma.Schema):
    expires_in_days = ma.fields.Integer(load_default=30, validate=ma.validate.Range(1, 90))


class ShareLinkSchema(ma.Schema):
    url = ma.fields.String(required=True, metadata={"description": "Opens the report without an account."})
    expires_at = ma.fields.DateTime(required=True)
