"""/clients/{id}/billing-plan(s) and /invoices: billing plans per client and month, invoice drafts made from
them and the client's usage, and their exports for QuickBooks Online and Xero."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import orjson
from flask import Response

from ... import invoicing
from ...billing.exports import quickbooks_rows, xero_rows
from ...billing.money import MICROS_PER_USD
from ...billing.plans import PRESETS, treatment
from ...extensions import db
from ...models import BillingPlan, Client, Invoice, Workspace
from ...models.base import utcnow
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import commit
from ..pagination import paginate
from ..problems import abort
from ..schemas.billing import (
    BillingPlanListArgs,
    BillingPlanPageSchema,
    BillingPlanSchema,
    InvoiceCreateSchema,
    InvoiceExportArgs,
    InvoiceListArgs,
    InvoicePageSchema,
    InvoiceSchema,
    PlanMonthArgs,
)
from ..schemas.common import usd
from ..scope import client_or_404, forced_client_id, get_or_404, scoped
from .exports import safe_cell

bp = admin_blueprint("billing", __name__, "Billing plans per client and month, invoice drafts and their exports.")
_EXPORT_DOC = {
    "200": {
        "description": "The invoice as QuickBooks Online or Xero import it (CSV), or as JSON",
        "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}},
    }
}


def _workspace() -> Workspace:
    found = db.session.get(Workspace, actor().workspace_id)
    assert found is not None
    return found


def _month(text: str | None) -> invoicing.Month:
    if text:
        return invoicing.Month.parse(text)
    return invoicing.Month.containing(utcnow(), _workspace().timezone)


def plan_json(values: dict[str, Any]) -> dict[str, Any]:
    """A plan row's fields (or an invoice's snapshot of them) as the API shows them."""
    fee, overage = values.get("monthly_fee_micros"), values.get("overage_mtok_micros")
    markup_bp = values.get("markup_bp")
    return {
        **values,
        "markup_percent": None if markup_bp is None else Decimal(markup_bp) / 100,
        "overage_per_mtok_micros": overage,
        "monthly_fee_usd": None if fee is None else usd(fee),
        "overage_per_mtok_usd": None if overage is None else usd(overage),
        "treatment": treatment(invoicing.terms_from(values)),
    }


def _plan_row_json(plan: BillingPlan) -> dict[str, Any]:
    return plan_json(
        {"id": plan.id, "created_at": plan.created_at, "updated_at": plan.updated_at, **invoicing.plan_snapshot(plan)}
    )


@bp.route("/clients/<client_id>/billing-plan", methods=["GET"])
@requires("read", client=True)
@bp.arguments(PlanMonthArgs, location="query")
@bp.response(200, BillingPlanSchema)
def get_billing_plan(args: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The client's billing plan in effect in a month (default: this month)."""
    client = client_or_404(client_id)
    month = _month(args.get("month"))
    plan = invoicing.plan_in_effect(db.session, client.id, month)
    if plan is None:
        abort(404, f"The client '{client.id}' has no billing plan for {month}.")
    return _plan_row_json(plan)


@bp.route("/clients/<client_id>/billing-plan", methods=["PUT"])
@requires("write")
@bp.arguments(BillingPlanSchema)
@bp.response(200, BillingPlanSchema)
def put_billing_plan(data: dict[str, Any], client_id: str) -> dict[str, Any]:
    """Put the client on a plan from `effective_month` on (default: this month). Earlier months keep their plans;
    a plan already set for that same month is replaced."""
    client = client_or_404(client_id)
    fields = _plan_fields(data)
    problems = invoicing.terms_from(fields).problems()
    if problems:
        abort(422, "The plan is incomplete.", {name: [text] for name, text in problems.items()})
    month = _month(data.get("effective_month"))
    plan = invoicing.set_plan(db.session, client, month, fields, actor().label)
    commit()
    return _plan_row_json(plan)


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The API's fields as the plan row's; a preset fills the retainer's terms not given explicitly."""
    markup = data.get("markup_percent")
    fields = {
        "kind": data["kind"],
        "usage_basis": data.get("usage_basis"),
        "preset": data.get("preset"),
        "label": data.get("label"),
        "markup_bp": None if markup is None else int(markup * 100),
        "monthly_fee_micros": data.get("monthly_fee_micros"),
        "included_tokens": data.get("included_tokens"),
        "overage_mtok_micros": data.get("overage_per_mtok_micros"),
    }
    preset_name = fields["preset"]
    if preset_name is not None:
        if fields["kind"] != "retainer":
            abort(422, "A preset is a retainer.", {"preset": ["Only for kind 'retainer'."]})
        preset = PRESETS[preset_name]
        defaults = {
            "monthly_fee_micros": int(preset.monthly_fee * MICROS_PER_USD),
            "included_tokens": preset.included_tokens,
            "overage_mtok_micros": int(preset.overage_per_mtok * MICROS_PER_USD),
            "label": f"{preset.label} retainer",
        }
        fields.update({name: value for name, value in defaults.items() if fields[name] is None})
    return fields


@bp.route("/clients/<client_id>/billing-plans", methods=["GET"])
@requires("read", client=True)
@bp.arguments(BillingPlanListArgs, location="query")
@bp.response(200, BillingPlanPageSchema)
def list_billing_plans(args: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The client's plan history: one row per month a plan took effect."""
    client = client_or_404(client_id)
    page = paginate(scoped(BillingPlan).where(BillingPlan.client_id == client.id), BillingPlan, args)
    return {"data": [_plan_row_json(plan) for plan in page["data"]], "next_cursor": page["next_cursor"]}


def invoice_json(values: dict[str, Any], client: Client) -> dict[str, Any]:
    return {
        **values,
        "client_id": client.id,
        "client_name": client.name,
        "plan": plan_json(values["plan"]),
        "usage_subtotal_usd": f"{Decimal(values['usage_subtotal_micros']) / MICROS_PER_USD:.2f}",
        "total_usd": f"{Decimal(values['total_micros']) / MICROS_PER_USD:.2f}",
    }


def _stored_json(invoice: Invoice) -> dict[str, Any]:
    client = db.session.get(Client, invoice.client_id)
    assert client is not None
    names = ("id", "number", "status", "month", "currency", "invoice_date", "due_date", "plan", "lines")
    more = ("usage_subtotal_micros", "total_micros", "tokens", "overage_tokens", "created_at", "updated_at")
    return invoice_json({name: getattr(invoice, name) for name in (*names, *more)}, client)


@bp.route("/invoices", methods=["POST"])
@requires("write")
@bp.arguments(InvoiceCreateSchema)
@bp.response(201, InvoiceSchema)
def create_invoice(data: dict[str, Any]) -> dict[str, Any]:
    """Make the client's invoice draft for a month from its plan and usage (again, if one was made: it keeps its
    number and takes the current figures). Fires `invoice.ready`."""
    client = client_or_404(data["client_id"])
    try:
        invoice = invoicing.make_invoice(
            db.session, _workspace(), client, invoicing.Month.parse(data["month"]), actor().label
        )
    except invoicing.NoPlan as exc:
        abort(409, str(exc), {"client_id": ["Set a billing plan first."]})
    return _stored_json(invoice)


@bp.route("/invoices", methods=["GET"])
@requires("read", client=True)
@bp.arguments(InvoiceListArgs, location="query")
@bp.response(200, InvoicePageSchema)
def list_invoices(args: dict[str, Any]) -> dict[str, Any]:
    """List invoice drafts."""
    query = scoped(Invoice)
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if args.get("month"):
        query = query.where(Invoice.month == args["month"])
    page = paginate(query, Invoice, args)
    return {"data": [_stored_json(invoice) for invoice in page["data"]], "next_cursor": page["next_cursor"]}


@bp.route("/invoices/<invoice_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, InvoiceSchema)
def get_invoice(invoice_id: str) -> dict[str, Any]:
    """Get one invoice draft."""
    return _stored_json(get_or_404(Invoice, invoice_id))


@bp.route("/clients/<client_id>/invoices/<month>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, InvoiceSchema)
def client_month_invoice(client_id: str, month: str) -> dict[str, Any]:
    """The client's invoice draft for a month: the one made, or else a preview from its plan and usage so far
    (`status: preview`, no id or number; nothing is stored)."""
    client = client_or_404(client_id)
    parsed = _parse_month(month)
    made = db.session.scalars(
        scoped(Invoice).where(Invoice.client_id == client.id, Invoice.month == str(parsed))
    ).first()
    if made is not None:
        return _stored_json(made)
    try:
        values = invoicing.invoice_values(db.session, _workspace(), client, parsed)
    except invoicing.NoPlan as exc:
        abort(404, str(exc))
    preview = {**values, "id": None, "number": None, "status": "preview", "month": str(parsed)}
    return invoice_json({**preview, "created_at": None, "updated_at": None}, client)


def _parse_month(text: str) -> invoicing.Month:
    try:
        parsed = invoicing.Month.parse(text)
        if not (2000 <= parsed.year <= 8999 and 1 <= parsed.month <= 12):
            raise ValueError(text)
    except ValueError:
        abort(404, f"No month '{text}': use YYYY-MM.")
    return parsed


@bp.route("/invoices/<invoice_id>/export", methods=["GET"])
@requires("read", client=True)
@bp.arguments(InvoiceExportArgs, location="query")
@bp.doc(responses=_EXPORT_DOC)
def export_invoice(args: dict[str, Any], invoice_id: str) -> Response:
    """The invoice as QuickBooks Online's or Xero's invoice import CSV (their own column names: no mapping
    needed), or as JSON."""
    invoice = get_or_404(Invoice, invoice_id)
    if args["format"] == "json":
        body = orjson.dumps(InvoiceSchema().dump(_stored_json(invoice)))
        return _download(body, "application/json", f"invoice-{invoice.number}.json")
    client = db.session.get(Client, invoice.client_id)
    assert client is not None
    header = invoicing.invoice_header(invoice, client.name)
    lines = invoicing.invoice_lines(invoice)
    if args["format"] == "quickbooks":
        rows = quickbooks_rows(header, lines)
    else:
        rows = xero_rows(header, lines, args["account_code"], args["tax_type"])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[safe_cell(value) for value in row] for row in rows])
    return _download(buffer.getvalue().encode(), "text/csv", f"invoice-{invoice.number}-{args['format']}.csv")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
