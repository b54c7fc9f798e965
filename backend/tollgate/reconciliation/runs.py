"""A reconciliation run: Tollgate's side from the request log, the provider's from its report API or a CSV
export, compared (`compare`), stored with one row per UTC day and model, and a `reconciliation.gap` event when
the difference is over the tolerance (delivered to webhooks like every alert event).

A flat lane is not reconciled: its provider bills a plan, not tokens, so there is no per-token cost to compare
(`NotApplicable`). Metered and BYOK lanes are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..alerts.evaluate import enqueue
from ..extensions import DbSession
from ..ids import new_id
from ..models import AlertEvent, Lane, ReconciliationRow, ReconciliationRun, ReportCredential
from ..models.base import utcnow
from ..vault import CredentialVault, VaultError
from ..vault.crypto import fingerprint, lane_owner
from ..vault.scrub import redact
from ..vault.tokens import last4
from .compare import Compared, Comparison, ProviderLine, Tokens, compare, decimal_text
from .provider_api import Getter, ReportError, ReportQuery, UsageLine, fetch_costs, fetch_usage
from .tollgate_side import lane_costs

RECONCILED_PAYMENTS = ("metered", "byok")
GAP_EVENT = "reconciliation.gap"


class NotApplicable(Exception):
    """This lane has nothing to reconcile (a flat plan), or no report credential to fetch with."""


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """ "2026-11" → (2026-11-01, 2026-11-30): a month of UTC days, as providers bucket their reports."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def check_applicable(lane: Lane) -> None:
    if lane.payment not in RECONCILED_PAYMENTS:
        raise NotApplicable(
            f"Reconciliation does not apply to a {lane.payment} lane: its provider bills a plan, not tokens, so "
            "there is no per-token cost to compare. Only metered and BYOK lanes are reconciled."
        )


def credential_owner(lane: Lane) -> str:
    """Associated data of a report credential: bound to its lane, and never interchangeable with the lane's
    inference credential (a ciphertext copied between the two columns does not decrypt)."""
    return "report:" + lane_owner(lane.workspace_id, lane.id, lane.owner_client_id)


def set_credential(
    session: DbSession, vault: CredentialVault, lane: Lane, admin_key: str, base_url: str | None, scope: str | None
) -> ReportCredential:
    found = session.get(ReportCredential, lane.id) or ReportCredential(lane_id=lane.id, workspace_id=lane.workspace_id)
    found.ciphertext = vault.encrypt(admin_key, credential_owner(lane))
    found.fingerprint, found.last4 = fingerprint(admin_key), last4(admin_key)
    found.base_url, found.scope = base_url, scope
    found.created_at = utcnow()
    session.add(found)
    session.flush()
    return found


@dataclass(frozen=True, slots=True)
class ProviderReport:
    costs: list[ProviderLine]
    usage: list[UsageLine] | None = None
    """The usage report's token counts; None for a CSV import (an export has costs only)."""


def fetch_provider_report(
    session: DbSession, vault: CredentialVault, lane: Lane, start: dt.date, end: dt.date, get: Getter
) -> ProviderReport:
    """The provider's cost and usage reports of the lane's organization (or its `scope`) over [start, end].
    Raises NotApplicable without a credential, provider_api.ReportError when a report cannot be read."""
    credential = session.get(ReportCredential, lane.id)
    if credential is None:
        raise NotApplicable(
            "This lane has no report credential: set one with PUT /api/v1/lanes/{id}/report-credential, or import "
            "the provider's CSV export instead."
        )
    try:
        admin_key = vault.decrypt(credential.ciphertext, credential_owner(lane))
    except VaultError as exc:  # the master key changed, or the row was tampered with
        raise NotApplicable("The lane's report credential cannot be decrypted: set it again.") from exc
    query = ReportQuery(credential.base_url or lane.base_url, admin_key, start, end, credential.scope)
    try:
        return ProviderReport(fetch_costs(lane.provider, query, get), fetch_usage(lane.provider, query, get))
    except ReportError as exc:  # the provider's message may echo the admin key: it is stored and shown
        raise ReportError(redact(str(exc), admin_key)) from None


def reconcile(
    session: DbSession,
    lane: Lane,
    start: dt.date,
    end: dt.date,
    report: ProviderReport,
    source: str,
    trigger: str = "manual",
) -> ReconciliationRun:
    """Compare, store the run and its rows, fire `reconciliation.gap` when over the tolerance. Flushes; the
    caller commits."""
    check_applicable(lane)
    ours = lane_costs(session, lane, start, end)
    usage = (
        None
        if report.usage is None
        else [(u.day, u.model, Tokens(u.input_tokens, u.output_tokens)) for u in report.usage]
    )
    result = compare(ours.lines, report.costs, usage)
    gap_days = result.gap_days()
    run = ReconciliationRun(
        id=new_id("rcn"),
        workspace_id=lane.workspace_id,
        lane_id=lane.id,
        client_id=lane.owner_client_id,
        provider=lane.provider,
        source=source,
        trigger=trigger,
        start_day=start,
        end_day=end,
        status="gap" if result.has_gap() else "ok",
        gap_days=[day.isoformat() for day in gap_days],
        details={"unpriced_requests": ours.unpriced_requests, "provider_lines": len(report.costs)},
        finished_at=utcnow(),
        **_money(result.total.tollgate_usd, result.total.provider_usd, result.total.difference_percent),
    )
    run.created_at = utcnow()
    session.add(run)
    session.flush()
    session.add_all(
        ReconciliationRow(
            run_id=run.id,
            workspace_id=run.workspace_id,
            client_id=run.client_id,
            day=row.day,
            model=row.model,
            requests=row.requests,
            tollgate_input_tokens=row.tokens.input_tokens,
            tollgate_output_tokens=row.tokens.output_tokens,
            provider_input_tokens=None if row.provider_tokens is None else row.provider_tokens.input_tokens,
            provider_output_tokens=None if row.provider_tokens is None else row.provider_tokens.output_tokens,
            **_money(row.money.tollgate_usd, row.money.provider_usd, row.money.difference_percent),
        )
        for row in result.rows
    )
    session.flush()
    if run.status == "gap":
        _fire_gap(session, lane, run, result)
    return run


def record_failure(
    session: DbSession, lane: Lane, start: dt.date, end: dt.date, source: str, trigger: str, error: str
) -> ReconciliationRun:
    """A run whose provider side could not be read (a scheduled run keeps the reason where people look)."""
    run = ReconciliationRun(
        id=new_id("rcn"),
        workspace_id=lane.workspace_id,
        lane_id=lane.id,
        client_id=lane.owner_client_id,
        provider=lane.provider,
        source=source,
        trigger=trigger,
        start_day=start,
        end_day=end,
        status="failed",
        gap_days=[],
        error=error[:1000],
        finished_at=utcnow(),
        **_money(Decimal(0), Decimal(0), None),
    )
    run.created_at = utcnow()
    session.add(run)
    session.flush()
    return run


def _money(tollgate_usd: Decimal, provider_usd: Decimal, percent: Decimal | None) -> dict[str, object]:
    money = Compared(tollgate_usd, provider_usd)
    return {
        "tollgate_cost_micros": money.tollgate_micros,
        "provider_cost_micros": money.provider_micros,
        "provider_cost_usd": decimal_text(provider_usd),
        "difference_micros": money.difference_micros,
        "difference_percent": None if percent is None else decimal_text(percent),
    }


def _fire_gap(session: DbSession, lane: Lane, run: ReconciliationRun, result: Comparison) -> None:
    days = [
        {
            "day": day.isoformat(),
            "tollgate_cost_usd": decimal_text(money.tollgate_usd),
            "provider_cost_usd": decimal_text(money.provider_usd),
            "difference_usd": decimal_text(money.difference_usd),
            "difference_percent": None if money.difference_percent is None else decimal_text(money.difference_percent),
        }
        for day, money in sorted(result.days.items())
        if day.isoformat() in run.gap_days
    ]
    total = result.total
    event = AlertEvent(
        id=new_id("evt"),
        workspace_id=lane.workspace_id,
        type=GAP_EVENT,
        client_id=lane.owner_client_id,
        dedupe_key=f"{GAP_EVENT}:{run.id}",
        payload={
            "run_id": run.id,
            "lane_id": lane.id,
            "lane_name": lane.name,
            "provider": lane.provider,
            "start_day": run.start_day.isoformat(),
            "end_day": run.end_day.isoformat(),
            "tollgate_cost_usd": decimal_text(total.tollgate_usd),
            "provider_cost_usd": decimal_text(total.provider_usd),
            "difference_usd": decimal_text(total.difference_usd),
            "difference_percent": None if total.difference_percent is None else decimal_text(total.difference_percent),
            "gap_days": days,
        },
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()
    enqueue(session, event)
