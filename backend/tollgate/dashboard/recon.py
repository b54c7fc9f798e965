"""A lane's reconciliation runs (Tollgate's cost against the provider's own report): start one for a month and
open a run's per-day, per-model rows. The comparison itself is the admin API's."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from .pages import api, back, bp, change


@bp.route("/lanes/<lane_id>/reconciliations", methods=["POST"])
def start_reconciliation(lane_id: str) -> Response:
    """Run now, for a month (the API fetches the provider's report; 409 without a report credential)."""
    answer = api().call("POST", f"/lanes/{lane_id}/reconciliations", json={"month": request.form.get("month", "")})
    if change(answer, f"Reconciliation run: {answer.body.get('status') if answer.ok else ''}."):
        return back(url_for("dashboard.reconciliation", run_id=answer.body["id"]))
    return back(url_for("dashboard.lane", lane_id=lane_id))


@bp.route("/lanes/<lane_id>/report-credential", methods=["POST"])
def set_report_credential(lane_id: str) -> Response:
    """The provider admin key that reads its cost report (write-only, like the lane's own key)."""
    form = request.form
    body = {
        "api_key": form.get("api_key", "").strip(),
        "base_url": form.get("base_url", "").strip() or None,
        "scope": form.get("scope", "").strip() or None,
    }
    answer = api().call("PUT", f"/lanes/{lane_id}/report-credential", json=body)
    change(answer, "Report credential saved.")
    return back(url_for("dashboard.lane", lane_id=lane_id))


@bp.route("/reconciliations/<run_id>")
def reconciliation(run_id: str) -> str:
    calls = api()
    run = calls.get(f"/reconciliations/{run_id}")
    return render_template(
        "dashboard/reconciliation.html",
        run=run,
        lane=calls.get(f"/lanes/{run['lane_id']}"),
        rows=calls.all(f"/reconciliations/{run_id}/rows", limit=500),
    )
