"""The scheduled reconciliation: every metered or BYOK lane with a report credential is compared with its
provider's report for each finished UTC day, and for each finished month, once.

Provider reports lag (OpenAI's and Anthropic's cost reports fill in over hours), so a day is reconciled only
`REPORT_LAG` after it ended, and a month `REPORT_LAG` after its last day. A run that cannot read the report is
stored as `failed` (where the agency looks) and retried an hour later; a day or month that has an `ok` or
`gap` scheduled run is done.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from ..extensions import DbSession
from ..models import Lane, ReconciliationRun, ReportCredential
from ..vault import CredentialVault
from . import runs
from .provider_api import SUPPORTED, Getter, ReportError

log = logging.getLogger(__name__)
REPORT_LAG = dt.timedelta(hours=12)
RETRY_AFTER = dt.timedelta(hours=1)
"""A period whose scheduled run failed is tried again after this long, not on every pass."""
LOOKBACK_DAYS = 7
"""Days before yesterday still retried when their scheduled run failed or never happened (a worker down)."""


def due_periods(now: dt.datetime) -> list[tuple[dt.date, dt.date]]:
    """Every (start, end) a scheduled pass should have: the last `LOOKBACK_DAYS` finished days, and the
    previous month once its report has settled."""
    settled = (now - REPORT_LAG).date()  # days strictly before this one are settled
    periods = [(day, day) for day in (settled - dt.timedelta(days=n) for n in range(LOOKBACK_DAYS, 0, -1))]
    last_of_previous_month = settled.replace(day=1) - dt.timedelta(days=1)
    periods.append((last_of_previous_month.replace(day=1), last_of_previous_month))
    return periods


def run_due(session: DbSession, vault: CredentialVault, get: Getter, now: dt.datetime) -> int:
    """Reconcile every due (lane, period) not done yet; returns how many runs were stored. Commits each."""
    lanes = session.scalars(
        select(Lane)
        .join(ReportCredential, ReportCredential.lane_id == Lane.id)
        .where(Lane.payment.in_(runs.RECONCILED_PAYMENTS), Lane.provider.in_(SUPPORTED), Lane.disabled_at.is_(None))
    ).all()
    stored = 0
    for lane in lanes:
        for start, end in due_periods(now):
            if lane.created_at.date() > end or _done(session, lane.id, start, end, now):
                continue
            try:
                report = runs.fetch_provider_report(session, vault, lane, start, end, get)
                runs.reconcile(session, lane, start, end, report, "api", trigger="schedule")
            except (ReportError, runs.NotApplicable) as exc:
                log.warning("reconciliation of lane %s %s..%s failed: %s", lane.id, start, end, exc)
                runs.record_failure(session, lane, start, end, "api", "schedule", str(exc))
            session.commit()
            stored += 1
    return stored


def _done(session: DbSession, lane_id: str, start: dt.date, end: dt.date, now: dt.datetime) -> bool:
    """Reconciled already, or failed less than RETRY_AFTER ago."""
    found = session.scalar(
        select(ReconciliationRun.id).where(
            ReconciliationRun.lane_id == lane_id,
            ReconciliationRun.trigger == "schedule",
            ReconciliationRun.start_day == start,
            ReconciliationRun.end_day == end,
            (ReconciliationRun.status != "failed") | (ReconciliationRun.created_at > now - RETRY_AFTER),
        )
    )
    return found is not None
