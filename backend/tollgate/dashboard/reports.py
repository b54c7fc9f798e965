"""Reports and invoices: make a month's report, preview it exactly as the client will see it (the stored HTML
itself), download it in any format, share a link; and the month's profitability with the metered-versus-flat
arithmetic the API computes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from .logs import passthrough
from .pages import api, back, bp, change


def this_month() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m")


@bp.route("/reports")
def reports() -> str:
    calls = api()
    month = request.args.get("month") or this_month()
    profit = calls.call("GET", "/profitability", query={"month": month})
    return render_template(
        "dashboard/reports.html",
        reports=calls.all("/reports", limit=100, client_id=request.args.get("client_id")),
        invoices=calls.all("/invoices", limit=50),
        clients={c["id"]: c for c in calls.all("/clients", limit=100, status="all")},
        month=month,
        profit=profit.body if profit.ok else None,
        share=None,
    )


@bp.route("/reports", methods=["POST"])
def create_report() -> Response:
    body: dict[str, Any] = {"month": request.form.get("month") or this_month()}
    if request.form.get("client_id"):
        body["client_id"] = request.form["client_id"]
    change(api().call("POST", "/reports", json=body), "Report requested: it is made in the background.")
    return back(url_for("dashboard.reports"))


@bp.route("/reports/<report_id>/preview")
def preview_report(report_id: str) -> Response:
    """The report's own HTML, inline: what the client sees at the share link."""
    response = passthrough(f"/reports/{report_id}/download", {"format": "html"})
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/reports/<report_id>/download")
def download_report(report_id: str) -> Response:
    return passthrough(f"/reports/{report_id}/download", {"format": request.args.get("format", "pdf")})


@bp.route("/reports/<report_id>/share", methods=["POST"])
def share_report(report_id: str) -> Any:
    answer = api().call("POST", f"/reports/{report_id}/share-link", json={"expires_in_days": 30})
    if not change(answer, "Share link made (a new link revokes the previous one)."):
        return back(url_for("dashboard.reports"))
    return render_template("dashboard/shared.html", share=answer.body, report_id=report_id)


@bp.route("/invoices/<invoice_id>/export")
def export_invoice(invoice_id: str) -> Response:
    return passthrough(f"/invoices/{invoice_id}/export", {"format": request.args.get("format", "json")})
