"""The agency's overview, the clients list with cap bars, and a client's page (projects, keys, budgets,
billing plan, routing, usage, reports, invoices, profitability)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from ..admin.schemas.billing import EXPORT_FORMATS
from ..admin.schemas.budgets import PERIODS
from ..billing.plans import PRESETS, PlanKind, UsageBasis
from ..services import services
from .admin_calls import AdminCalls
from .charts import bars_svg
from .figures import cap_state_rank, periods, projected_month_micros
from .forms import micros_of, plan_body
from .pages import api, back, bp, change

BURN_DAYS = 7


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def caps_of_clients(calls: AdminCalls, clients: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Cap status per client id (what admission sees), for the cap bars."""
    return {c["id"]: calls.get(f"/clients/{c['id']}/cap-status") for c in clients}


@bp.route("/")
def overview() -> str:
    calls = api()
    workspace = calls.get("/workspace")
    span = periods(workspace.get("timezone") or "UTC", dt.datetime.now(dt.UTC))
    today = calls.get("/usage", **{"from": _iso(span.day_start)})["totals"]
    month = calls.get("/usage", **{"from": _iso(span.month_start), "group_by": "client"})
    burn = calls.get("/usage/burn-rate", days=BURN_DAYS)["data"]
    daily_burn = sum(int(row["daily_cost_micros"]) for row in burn)
    month_cost = int(month["totals"]["cost_micros"])
    clients = calls.all("/clients", limit=100)
    names = {c["id"]: c["name"] for c in clients}
    top = sorted(month["data"], key=lambda r: -int(r["cost_micros"]))[:10]
    caps = caps_of_clients(calls, clients)
    at_risk = sorted(
        (c for c in clients if caps[c["id"]]["state"] != "ok"), key=lambda c: cap_state_rank(caps[c["id"]]["state"])
    )
    days = calls.get("/usage", group_by="day", **{"from": _iso(span.now - dt.timedelta(days=30))})["data"]
    by_model = calls.get("/usage", group_by="model", **{"from": _iso(span.month_start)})["data"]
    return render_template(
        "dashboard/overview.html",
        workspace=workspace,
        today=today,
        month=month["totals"],
        daily_burn=daily_burn,
        projection=projected_month_micros(month_cost, daily_burn, span.days_left_in_month),
        top=top,
        names=names,
        at_risk=at_risk,
        caps=caps,
        alerts=calls.get("/alert-events", limit=8)["data"],
        cooling=_lanes_in_cooldown(calls),
        chart_days=bars_svg(
            "Spend per day, last 30 days (USD)",
            [d["day"][5:] for d in days],
            [int(d["cost_micros"]) for d in days],
        ),
        chart_clients=bars_svg(
            "Spend by client this month (USD)",
            [names.get(r["client_id"], r["client_id"]) for r in top],
            [int(r["cost_micros"]) for r in top],
            horizontal=True,
        )
        if top
        else None,
        chart_models=bars_svg(
            "Spend by model this month (USD)",
            [m["model"] or "—" for m in by_model],
            [int(m["cost_micros"]) for m in by_model],
            horizontal=True,
        )
        if by_model
        else None,
    )


def _lanes_in_cooldown(calls: AdminCalls) -> list[dict[str, Any]]:
    """Lanes whose upstream asked for a pause, as this server process has seen it (cooldowns are per process)."""
    cooldowns = services().upstreams.cooldowns
    return [lane for lane in calls.all("/lanes", limit=100) if cooldowns.cooling(lane["id"])]


@bp.route("/clients")
def clients() -> str:
    calls = api()
    status = request.args.get("status", "active")
    rows = calls.all("/clients", limit=100, status=status, q=request.args.get("q"))
    return render_template("dashboard/clients.html", clients=rows, caps=caps_of_clients(calls, rows), status=status)


@bp.route("/clients", methods=["POST"])
def create_client() -> Response:
    form = request.form
    body = {"name": form.get("name", ""), "slug": form.get("slug", "")}
    answer = api().call("POST", "/clients", json=body)
    change(answer, f"Client {body['name']} created.")
    if answer.ok:
        return back(url_for("dashboard.client", client_id=answer.body["id"]))
    return back(url_for("dashboard.clients"))


@bp.route("/clients/<client_id>")
def client(client_id: str) -> str:
    calls = api()
    found = calls.get(f"/clients/{client_id}")
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    plan = calls.call("GET", f"/clients/{client_id}/billing-plan")
    routing = calls.call("GET", f"/routing-policies/{client_id}")
    profit = calls.call("GET", "/profitability", query={"month": month})
    days = calls.get("/usage", client_id=client_id, group_by="day")["data"]
    by_model = calls.get("/usage", client_id=client_id, group_by="model")["data"]
    return render_template(
        "dashboard/client.html",
        client=found,
        projects=calls.all("/projects", client_id=client_id),
        keys=calls.all("/sub-keys", client_id=client_id, status="all"),
        budgets=calls.all("/budgets", client_id=client_id),
        cap=calls.get(f"/clients/{client_id}/cap-status"),
        plan=plan.body if plan.ok else None,
        routing=routing.body if routing.ok else None,
        lanes={lane["id"]: lane for lane in calls.all("/lanes", limit=100)},
        reports=calls.all("/reports", client_id=client_id, limit=24),
        invoices=calls.all("/invoices", client_id=client_id, limit=24),
        provider_keys=calls.all(f"/clients/{client_id}/provider-keys", limit=50),
        byok=calls.get(f"/clients/{client_id}/byok-settings"),
        profit=next((c for c in profit.body["clients"] if c["client_id"] == client_id), None) if profit.ok else None,
        month=month,
        periods=PERIODS,
        invoice_formats=EXPORT_FORMATS,
        chart=bars_svg(
            "Spend per day, last 30 days (USD)", [d["day"][5:] for d in days], [int(d["cost_micros"]) for d in days]
        ),
        chart_models=bars_svg(
            "Spend by model, last 30 days (USD)",
            [m["model"] or "—" for m in by_model],
            [int(m["cost_micros"]) for m in by_model],
            horizontal=True,
        )
        if by_model
        else None,
        plan_kinds=[k.value for k in PlanKind],
        plan_presets=list(PRESETS),
        usage_bases=[b.value for b in UsageBasis],
    )


@bp.route("/clients/<client_id>/projects", methods=["POST"])
def create_project(client_id: str) -> Response:
    body = {"client_id": client_id, "name": request.form.get("name", ""), "slug": request.form.get("slug", "")}
    change(api().call("POST", "/projects", json=body), f"Project {body['name']} created.")
    return back(url_for("dashboard.client", client_id=client_id))


@bp.route("/clients/<client_id>/budgets", methods=["POST"])
def create_budget(client_id: str) -> Response:
    """A budget in dollars as typed (exact: the text is parsed as a decimal, never a float)."""
    form = request.form
    micros = micros_of(form.get("amount_usd", ""))  # unreadable: -1, which the API refuses in its own words
    body = {
        "scope": form.get("scope", "client"),
        "scope_id": form.get("scope_id") or client_id,
        "name": form.get("name") or "Monthly cap",
        "amount_micros": micros,
        "period": form.get("period", "monthly"),
        "hard": form.get("hard") == "on",
    }
    change(api().call("POST", "/budgets", json=body), "Budget set.")
    return back(url_for("dashboard.client", client_id=client_id))


@bp.route("/budgets/<budget_id>/delete", methods=["POST"])
def delete_budget(budget_id: str) -> Response:
    change(api().call("DELETE", f"/budgets/{budget_id}"), "Budget removed.")
    return back(url_for("dashboard.clients"))


@bp.route("/clients/<client_id>/billing-plan", methods=["POST"])
def set_billing_plan(client_id: str) -> Response:
    """Put the client on a plan from a month on (the API checks the kind's required terms)."""
    answer = api().call("PUT", f"/clients/{client_id}/billing-plan", json=plan_body(request.form))
    change(answer, f"Billing plan saved: {answer.body.get('treatment') if answer.ok else ''}.")
    return back(url_for("dashboard.client", client_id=client_id))


@bp.route("/clients/<client_id>/byok-fallback", methods=["POST"])
def set_byok_fallback(client_id: str) -> Response:
    """The agency's rule for when the client's own key cannot serve (the client may not change it)."""
    body = {"fallback": request.form.get("fallback", "")}
    change(api().call("PATCH", f"/clients/{client_id}/byok-settings", json=body), "BYOK fallback saved.")
    return back(url_for("dashboard.client", client_id=client_id))
