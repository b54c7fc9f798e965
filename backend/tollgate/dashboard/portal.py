"""The client portal: a client signs in with its client-scoped token (the agency's invitation) and sees only
its own world — usage, cap status, its reports. Every read is the admin API's, as that client, so another
client's ids are simply not found (404)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .admin_calls import AdminCalls
from .charts import bars_svg
from .figures import periods
from .logs import passthrough
from .session import check_csrf, current_actor

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")


@bp.before_request
def guard_client() -> Response | None:
    check_csrf(request)
    who = current_actor()
    if who is None:
        return redirect(url_for("dashboard.login", next=request.path))
    if who.client_id is None:
        return redirect(url_for("dashboard.overview"))
    return None


def _calls() -> tuple[AdminCalls, str]:
    who = current_actor()
    assert who is not None and who.client_id is not None
    return AdminCalls(who), who.client_id


@bp.route("/")
def home() -> str:
    calls, client_id = _calls()
    workspace = calls.get("/workspace")
    span = periods(workspace.get("timezone") or "UTC", dt.datetime.now(dt.UTC))
    days = calls.get("/usage", group_by="day")["data"]
    return render_template(
        "dashboard/portal_home.html",
        workspace=workspace,
        client=calls.get(f"/clients/{client_id}"),
        month=calls.get("/usage", **{"from": span.month_start.isoformat()})["totals"],
        cap=calls.get(f"/clients/{client_id}/cap-status"),
        chart=bars_svg(
            "Spend per day, last 30 days (USD)", [d["day"][5:] for d in days], [int(d["cost_micros"]) for d in days]
        ),
    )


@bp.route("/reports")
def reports() -> str:
    calls, client_id = _calls()
    return render_template(
        "dashboard/portal_reports.html",
        client=calls.get(f"/clients/{client_id}"),
        reports=calls.all("/reports", limit=48, status="ready"),
    )


@bp.route("/reports/<report_id>/download")
def download(report_id: str) -> Response:
    fmt = request.args.get("format", "pdf")
    response = passthrough(f"/reports/{report_id}/download", {"format": fmt})
    if fmt == "html":
        response.headers["Content-Disposition"] = "inline"
    return response
