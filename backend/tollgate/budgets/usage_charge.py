"""Ingested usage counts against budgets. Usage reported through POST /api/v1/usage-events did not pass the
gateway, so nothing reserved or settled it: the usage writer hands every event it actually inserted (a resent
event id is skipped by the insert, so it is never charged twice) to `UsageCharger`, which adds its value as spend
to the client and project budgets covering it, in the period its timestamp falls in. Budgets on a sub-key do not
apply (an ingested event names no key). Admission, cap status and threshold alerts all read that spend.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session

from ..models import Budget, Workspace
from .ledger import budget_line
from .loader import budget_spec
from .periods import Window, window
from .specs import BudgetSpec
from .store import BudgetLine, LedgerStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChargedEvent:
    """What charging needs of a stored usage event."""

    workspace_id: str
    client_id: str
    project_id: str | None
    created_at: dt.datetime
    value_micros: int


def charge_lines(
    events: Sequence[ChargedEvent],
    budgets: Mapping[tuple[str, str, str], Sequence[BudgetSpec]],
    timezones: Mapping[str, str],
) -> list[BudgetLine]:
    """One line per (budget, period) the events fall in, with their summed value. `budgets` is keyed by
    (workspace, scope, scope id). Pure."""
    totals: dict[tuple[str, int], int] = defaultdict(int)
    periods: dict[tuple[str, int], tuple[BudgetSpec, Window]] = {}
    for event in events:
        if event.value_micros <= 0:
            continue
        covering = list(budgets.get((event.workspace_id, "client", event.client_id), ()))
        if event.project_id is not None:
            covering += budgets.get((event.workspace_id, "project", event.project_id), ())
        for budget in covering:
            period = window(budget.period, event.created_at, timezones.get(event.workspace_id, "UTC"))
            totals[(budget.id, period.key)] += event.value_micros
            periods[(budget.id, period.key)] = (budget, period)
    return [budget_line(*periods[key], amount) for key, amount in totals.items()]


class UsageCharger:
    def __init__(self, engine: Engine, store: LedgerStore) -> None:
        self._engine = engine
        self._store = store

    def charge_rows(self, rows: Sequence[Any]) -> None:
        """`charge` for rows read back from the usage_events insert (attributes named as the columns)."""
        self.charge(
            [ChargedEvent(r.workspace_id, r.client_id, r.project_id, r.created_at, int(r.value_micros)) for r in rows]
        )

    def charge(self, events: Sequence[ChargedEvent]) -> None:
        """Add the events' value to the budgets covering them. Runs in the usage writer's thread, after the
        events are committed; a failure is logged and those events are missing from budget spend (the events
        themselves are stored and counted by usage reports and spike alerts)."""
        priced = [e for e in events if e.value_micros > 0]
        if not priced:
            return
        try:
            budgets, timezones = self._budgets(priced)
            self._store.add_spend(charge_lines(priced, budgets, timezones))
        except Exception:
            log.exception("could not charge %d ingested usage event(s) to their budgets", len(priced))

    def _budgets(
        self, events: Sequence[ChargedEvent]
    ) -> tuple[dict[tuple[str, str, str], list[BudgetSpec]], dict[str, str]]:
        workspaces = {e.workspace_id for e in events}
        clients = {e.client_id for e in events}
        projects = {e.project_id for e in events if e.project_id is not None}
        scopes = or_(
            and_(Budget.scope == "client", Budget.scope_id.in_(clients)),
            and_(Budget.scope == "project", Budget.scope_id.in_(projects)),
        )
        by_scope: dict[tuple[str, str, str], list[BudgetSpec]] = defaultdict(list)
        with Session(self._engine) as session:
            rows = session.scalars(
                select(Budget).where(Budget.workspace_id.in_(workspaces), Budget.archived_at.is_(None), scopes)
            ).all()
            for row in rows:
                by_scope[(row.workspace_id, row.scope, row.scope_id)].append(budget_spec(row))
            zones = session.execute(select(Workspace.id, Workspace.timezone).where(Workspace.id.in_(workspaces)))
            timezones = {ws_id: tz or "UTC" for ws_id, tz in zones}
        return by_scope, timezones
