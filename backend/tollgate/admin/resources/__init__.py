"""Resource modules of the admin API. To add one: create `<resource>.py` with `bp = admin_blueprint(...)`,
declare each view's access with `@requires`, and list the blueprint here (see docs/admin-api.md)."""

from __future__ import annotations

from flask_smorest import Blueprint

from . import (
    admin_tokens,
    alerts,
    audit_events,
    billing,
    budgets,
    clients,
    exports,
    lanes,
    price_overrides,
    profitability,
    projects,
    provider_keys,
    reports,
    routing,
    sub_keys,
    usage,
    usage_events,
    workspace,
)

BLUEPRINTS: list[Blueprint] = [
    workspace.bp,
    clients.bp,
    projects.bp,
    sub_keys.bp,
    lanes.bp,
    routing.bp,
    provider_keys.bp,
    price_overrides.bp,
    admin_tokens.bp,
    audit_events.bp,
    usage.bp,
    exports.bp,
    usage_events.bp,
    budgets.bp,
    alerts.bp,
    billing.bp,
    reports.bp,
    profitability.bp,
]
