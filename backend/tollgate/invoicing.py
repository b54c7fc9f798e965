"""The database side of billing: which plan applies to a month, a client's usage per project, invoices stored
and their `invoice.ready` events. The arithmetic itself is `tollgate.billing` (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import provisioning
from .admin.usage_sql import UsageFilter, grouped
from .alerts.evaluate import enqueue
from .billing.exports import InvoiceHeader
from .billing.invoice import InvoiceLine, ProjectUsage, draft_invoice
from .billing.money import MICROS_PER_USD
from .billing.plans import PlanKind, PlanTerms, UsageBasis
from .budgets.periods import Period, Window, window, zone
from .extensions import DbSession
from .ids import new_id
from .models import AlertEvent, BillingPlan, Client, Invoice, Project, Workspace
from .models.base import utcnow

PAYMENT_TERMS: Final = "Net 30"
DUE_DAYS: Final = 30
_NUMBER_ATTEMPTS: Final = 5
PLAN_FIELDS: Final = (
    "kind",
    "usage_basis",
    "preset",
    "label",
    "markup_bp",
    "monthly_fee_micros",
    "included_tokens",
    "overage_mtok_micros",
)


class NoPlan(LookupError):
    """The client has no billing plan in effect for the month."""


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month of a workspace's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        year, month = (int(part) for part in text.split("-"))
        return cls(year, month)

    @classmethod
    def containing(cls, moment: dt.datetime, tz_name: str) -> Month:
        local = moment.astimezone(zone(tz_name))
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """ "May 2026"."""
        return dt.date(self.year, self.month, 1).strftime("%B %Y")

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def window(self, tz_name: str) -> Window:
        """[local midnight of the 1st, local midnight of the next 1st) as UTC instants."""
        return window(Period.MONTHLY, dt.datetime(self.year, self.month, 15, 12, tzinfo=zone(tz_name)), tz_name)


def plan_in_effect(session: DbSession, client_id: str, month: Month) -> BillingPlan | None:
    """The client's plan row with the latest `effective_month` not after `month`."""
    return session.scalars(
        select(BillingPlan)
        .where(BillingPlan.client_id == client_id, BillingPlan.effective_month <= str(month))
        .order_by(BillingPlan.effective_month.desc())
        .limit(1)
    ).first()


def terms_of(plan: BillingPlan) -> PlanTerms:
    return terms_from(plan_snapshot(plan))


def terms_from(values: dict[str, Any]) -> PlanTerms:
    """Plan terms from a plan row's fields (a row, its snapshot in an invoice, or fields about to be stored)."""

    def dollars(micros: int | None) -> Decimal | None:
        return None if micros is None else (Decimal(micros) / MICROS_PER_USD).quantize(Decimal("0.01"))

    markup_bp = values.get("markup_bp")
    return PlanTerms(
        PlanKind(values["kind"]),
        usage_basis=UsageBasis(values.get("usage_basis") or UsageBasis.COST.value),
        markup_percent=None if markup_bp is None else (Decimal(markup_bp) / 100).quantize(Decimal("0.01")),
        monthly_fee=dollars(values.get("monthly_fee_micros")),
        included_tokens=values.get("included_tokens"),
        overage_per_mtok=dollars(values.get("overage_mtok_micros")),
        label=values.get("label"),
    )


def set_plan(session: DbSession, client: Client, month: Month, fields: dict[str, Any], actor: str) -> BillingPlan:
    """Put the client on a plan from `month` on (replacing a plan set for that same month; earlier and later
    rows stay: they are the history). Audited."""
    plan = session.scalars(
        select(BillingPlan).where(BillingPlan.client_id == client.id, BillingPlan.effective_month == str(month))
    ).first()
    before = None if plan is None else plan_snapshot(plan)
    if plan is None:
        plan = BillingPlan(
            id=new_id("bpl"), workspace_id=client.workspace_id, client_id=client.id, effective_month=str(month)
        )
        session.add(plan)
    for name in PLAN_FIELDS:
        setattr(plan, name, fields.get(name))
    plan.usage_basis = fields.get("usage_basis") or UsageBasis.COST.value
    plan.updated_at = utcnow()
    session.flush()
    provisioning.audit(
        session, client.workspace_id, actor, "billing_plan.set", "billing_plan", plan.id, before, plan_snapshot(plan)
    )
    return plan


def plan_snapshot(plan: BillingPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in ("client_id", "effective_month", *PLAN_FIELDS)}


def project_usage(session: DbSession, workspace: Workspace, client_id: str, month: Month) -> list[ProjectUsage]:
    """The client's usage in the month per project: gateway requests and ingested usage events alike."""
    span = month.window(workspace.timezone)
    assert span.end is not None
    where = UsageFilter(workspace.id, span.start, span.end, {"client_id": client_id}, workspace.timezone)
    rows = session.execute(grouped(where, ["project"], session.get_bind().dialect.name)).mappings().all()
    names = dict(session.execute(select(Project.id, Project.name).where(Project.workspace_id == workspace.id)).all())
    return [
        ProjectUsage(
            names.get(row["project_id"], row["project_id"]) if row["project_id"] else None,
            cost_micros=int(row["cost_micros"]),
            value_micros=int(row["value_micros"]),
            tokens=int(row["input_tokens"]) + int(row["output_tokens"]),
            requests=int(row["requests"]),
        )
        for row in rows
    ]


def invoice_values(session: DbSession, workspace: Workspace, client: Client, month: Month) -> dict[str, Any]:
    """The fields of the client's invoice for the month as its plan and usage make it now (nothing stored)."""
    plan = plan_in_effect(session, client.id, month)
    if plan is None:
        raise NoPlan(f"The client '{client.id}' has no billing plan for {month}.")
    draft = draft_invoice(terms_of(plan), project_usage(session, workspace, client.id, month), month.label)
    invoice_date = month.next.first_day
    return {
        "status": "draft",
        "plan_id": plan.id,
        "plan": {"id": plan.id, **plan_snapshot(plan)},
        "currency": workspace.currency,
        "invoice_date": invoice_date,
        "due_date": invoice_date + dt.timedelta(days=DUE_DAYS),
        "lines": [line.to_json() for line in draft.lines],
        "usage_subtotal_micros": _micros(draft.usage_subtotal),
        "total_micros": _micros(draft.total),
        "tokens": draft.tokens,
        "overage_tokens": draft.overage_tokens,
    }


def make_invoice(session: DbSession, workspace: Workspace, client: Client, month: Month, actor: str) -> Invoice:
    """Make (or make again, keeping its number) the client's invoice draft for the month from its plan and usage,
    and fire `invoice.ready`. Commits. Safe when several processes make the same invoice at once."""
    values = invoice_values(session, workspace, client, month)
    invoice = _upsert(session, workspace.id, client.id, month, values)
    now = utcnow()
    event = AlertEvent(
        id=new_id("evt"),
        workspace_id=workspace.id,
        type="invoice.ready",
        client_id=client.id,
        dedupe_key=f"invoice.ready:{invoice.id}:{now.timestamp():.6f}",
        payload=invoice_event(invoice),
        created_at=now,
    )
    session.add(event)
    session.flush()
    enqueue(session, event)
    summary = invoice_event(invoice)
    provisioning.audit(session, workspace.id, actor, "invoice.make", "invoice", invoice.id, None, summary)
    session.commit()
    return invoice


def _upsert(session: DbSession, workspace_id: str, client_id: str, month: Month, values: dict[str, Any]) -> Invoice:
    for _ in range(_NUMBER_ATTEMPTS):
        found = session.scalars(
            select(Invoice).where(
                Invoice.workspace_id == workspace_id, Invoice.client_id == client_id, Invoice.month == str(month)
            )
        ).first()
        if found is not None:
            for name, value in values.items():
                setattr(found, name, value)
            found.updated_at = utcnow()
            session.flush()
            return found
        taken = session.scalar(
            select(func.count()).where(Invoice.workspace_id == workspace_id, Invoice.month == str(month))
        )
        invoice = Invoice(
            id=new_id("inv"),
            workspace_id=workspace_id,
            client_id=client_id,
            month=str(month),
            number=f"{month.year:04d}{month.month:02d}-{int(taken or 0) + 1:03d}",
            **values,
        )
        try:
            with session.begin_nested():
                session.add(invoice)
            return invoice
        except IntegrityError:  # another process numbered or made one first: look again
            continue
    raise RuntimeError("could not number the invoice after several attempts")


def _micros(amount: Decimal) -> int:
    return int(amount * MICROS_PER_USD)


def invoice_event(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "client_id": invoice.client_id,
        "month": invoice.month,
        "currency": invoice.currency,
        "total_micros": invoice.total_micros,
        "plan_kind": invoice.plan.get("kind"),
    }


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return [
        InvoiceLine(line["item"], line["description"], Decimal(line["amount"]), Decimal(line["quantity"]))
        for line in invoice.lines
    ]


def invoice_header(invoice: Invoice, customer: str) -> InvoiceHeader:
    month = Month.parse(invoice.month)
    return InvoiceHeader(
        number=invoice.number,
        customer=customer,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        service_date=month.next.first_day - dt.timedelta(days=1),
        terms=PAYMENT_TERMS,
        memo=f"AI usage, {month.label}",
        currency=invoice.currency,
    )
