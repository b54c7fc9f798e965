"""Cap status: pure projection and state, and the gateway's GET /v1/tollgate/cap-status for the calling key."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from tollgate.budgets.periods import Period, window
from tollgate.budgets.specs import BudgetSpec, format_usd
from tollgate.budgets.status import cap_status, project, state_of
from tollgate.budgets.store import Usage
from tollgate.services import Services

from .conftest import Seeded
from .test_budget_gateway import add_budget, chat_body, logs, post

MONTHLY = BudgetSpec("bud_1", "client", "cli_1", "Monthly", 100_000_000, Period.MONTHLY, True)


def test_projection_carries_the_burn_rate_to_period_end() -> None:
    now = dt.datetime(2026, 11, 11, tzinfo=dt.UTC)  # a third of November gone
    period = window(Period.MONTHLY, now, "UTC")
    assert project(10_000_000, period, now) == 30_000_000
    assert project(5, window(Period.LIFETIME, now), now) is None


def test_states() -> None:
    assert state_of(100, 100, None) == "exceeded"
    assert state_of(100, 80, None) == "warning"
    assert state_of(100, 10, 150) == "warning"  # on course to overshoot
    assert state_of(100, 10, 50) == "ok"


def test_status_reads_like_a_person_would_say_it() -> None:
    now = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    status = cap_status(MONTHLY, Usage(38_000_000, 1_000_000), now, "Europe/Berlin")
    data = status.to_json()
    assert data["summary"] == "38% of monthly budget ($38.00 of $100.00)"
    assert (data["remaining_micros"], data["reserved_micros"]) == (61_000_000, 1_000_000)
    assert data["period_start"] == "2026-10-31T23:00:00+00:00"
    assert data["period_end"] == "2026-11-30T23:00:00+00:00"
    assert data["state"] == "ok"  # 38% at mid-month projects to about 76%
    assert cap_status(MONTHLY, Usage(60_000_000, 0), now, "Europe/Berlin").state == "warning"  # heading past 100%


def test_small_amounts_are_not_shown_as_zero() -> None:
    """A cent-sized budget with a few micro-dollars spent must not read "0.3% ($0.0000 of $0.01)"."""
    small = BudgetSpec("bud_2", "client", "cli_1", "Small", 10_000, Period.MONTHLY, True)
    status = cap_status(small, Usage(30, 0), dt.datetime(2026, 11, 16, tzinfo=dt.UTC), "UTC")
    assert status.summary == "0.3% of monthly budget ($0.00003 of $0.01)"
    assert [format_usd(m) for m in (0, 1, 30, 4_200, 9_999, 10_000, 12_500_000)] == [
        "$0.00",
        "$0.000001",
        "$0.00003",
        "$0.0042",
        "$0.009999",
        "$0.01",
        "$12.50",
    ]


def test_gateway_cap_status_for_the_calling_key(app: Flask, svc: Services, seeded: Seeded) -> None:
    client_budget = add_budget(app, seeded, 1_000_000, name="Acme monthly")
    add_budget(app, seeded, 500_000, scope="key", period="daily", name="Key daily")
    client = app.test_client()
    assert post(client, seeded.key, chat_body()).status_code == 200
    [row] = logs(app, svc)
    resp = client.get("/v1/tollgate/cap-status", headers={"Authorization": f"Bearer {seeded.key}"})
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["object"] == "tollgate.cap_status" and data["key_id"] == seeded.key_id
    by_name = {b["name"]: b for b in data["budgets"]}
    assert set(by_name) == {"Acme monthly", "Key daily"}
    monthly = by_name["Acme monthly"]
    assert monthly["budget_id"] == client_budget
    assert monthly["spent_micros"] == row.value_micros and monthly["reserved_micros"] == 0
    assert monthly["limit_micros"] == 1_000_000 and monthly["period"] == "monthly"
    assert (monthly["limit_usd"], monthly["reserved_usd"]) == ("1.000000", "0.000000")  # exact strings, never floats
    assert monthly["spent_usd"] == f"{row.value_micros / 1_000_000:.6f}"
    assert monthly["remaining_usd"] == f"{(1_000_000 - row.value_micros) / 1_000_000:.6f}"
    assert data["state"] in ("ok", "warning")
    other = client.get("/v1/tollgate/cap-status", headers={"Authorization": f"Bearer {seeded.other_key}"})
    assert other.get_json()["budgets"] == []  # another client's key sees none of these


def test_gateway_cap_status_needs_a_key(app: Flask, seeded: Seeded) -> None:
    resp = app.test_client().get("/v1/tollgate/cap-status")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "missing_api_key"


def test_gateway_cap_status_refuses_a_project_the_key_cannot_name(app: Flask, seeded: Seeded) -> None:
    """A mistyped X-Project-ID must not answer a status that silently leaves the project's budget out; the
    gateway itself refuses that header with 403, so the status check does too."""
    add_budget(app, seeded, 1_000_000, scope="project", name="Project cap")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {seeded.key}"}
    named = client.get("/v1/tollgate/cap-status", headers=auth | {"X-Project-ID": seeded.project_id})
    assert [b["name"] for b in named.get_json()["budgets"]] == ["Project cap"]
    typo = client.get("/v1/tollgate/cap-status", headers=auth | {"X-Project-ID": "suport-triage"})
    assert typo.status_code == 403
    assert typo.get_json()["error"]["code"] == "attribution_not_allowed"
    other = client.get(
        "/v1/tollgate/cap-status",
        headers={"Authorization": f"Bearer {seeded.other_key}"}
        | {
            "X-Project-ID": seeded.project_id  # another client's project
        },
    )
    assert other.status_code == 403
