"""/lanes/{id}/report-credential and /lanes/{id}/reconciliations: compare a lane's metered cost with the
provider's own report (fetched with the report credential, or a CSV export), per UTC day and model.

Agency roles run and read reconciliations; a client token reads those of its own (BYOK) lanes only, and sees
no other lane's (404, like every object outside its scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from sqlalchemy import select

from ...extensions import db
from ...models import Lane, ReconciliationRow, ReconciliationRun, ReportCredential
from ...reconciliation import csv_import, runs
from ...reconciliation.provider_api import SUPPORTED, ReportError, requests_getter
from ...services import services
from ...upstream_urls import upstream_url_problem
from ..auth import actor, requires
from ..blueprint import accepts_upload, admin_blueprint
from ..changes import commit, record
from ..pagination import paginate
from ..problems import abort
from ..schemas.reconciliations import (
    MAX_DAYS,
    ReconciliationCsvArgs,
    ReconciliationRequestSchema,
    ReconciliationRowListArgs,
    ReconciliationRowPageSchema,
    ReconciliationRunListArgs,
    ReconciliationRunPageSchema,
    ReconciliationRunSchema,
    ReportCredentialSchema,
)
from ..scope import get_or_404, scoped
from ..spec_rules import NO_NUL_PATTERN

bp = admin_blueprint(
    "reconciliations",
    __name__,
    "Reconciliation: a lane's cost per UTC day and model against the provider's own usage/cost report.",
)
_CSV_BODY = {
    "required": True,
    "description": "The provider's cost export: OpenAI's (`start_time_iso`/`start_time`, `line_item`, "
    "`amount_value`, `amount_currency`) or Anthropic's (`usage_date_utc`, `model`, `cost_usd`); see README.",
    "content": {
        "text/csv": {"schema": {"type": "string", "pattern": NO_NUL_PATTERN}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


def _lane_or_404(lane_id: str) -> Lane:
    """The caller's lane: any lane of the workspace for an agency role; for a client token, only its own."""
    who = actor()
    query = select(Lane).where(Lane.workspace_id == who.workspace_id, Lane.id == lane_id)
    if who.client_id is not None:
        query = query.where(Lane.owner_client_id == who.client_id)
    lane = db.session.scalars(query).first()
    if lane is None:
        abort(404, f"No lane with id '{lane_id}' in this workspace.")
    return lane


def _applicable(lane: Lane, over_api: bool = False) -> None:
    try:
        runs.check_applicable(lane)
    except runs.NotApplicable as exc:
        abort(409, str(exc), {"lane_id": ["Not a metered or BYOK lane."]})
    if over_api and lane.provider not in SUPPORTED:
        abort(
            409,
            f"Tollgate reads the report APIs of {', '.join(SUPPORTED)}, not {lane.provider}: import the provider's "
            "CSV export instead (POST /api/v1/lanes/{id}/reconciliations/csv).",
        )


@bp.route("/lanes/<lane_id>/report-credential", methods=["GET"])
@requires("read")
@bp.response(200, ReportCredentialSchema)
def get_report_credential(lane_id: str) -> ReportCredential:
    """The lane's report credential (last 4 and fingerprint only); 404 when none is set."""
    lane = _lane_or_404(lane_id)
    found = db.session.get(ReportCredential, lane.id)
    if found is None:
        abort(404, f"The lane '{lane_id}' has no report credential.")
    return found


@bp.route("/lanes/<lane_id>/report-credential", methods=["PUT"])
@requires("write")
@bp.arguments(ReportCredentialSchema)
@bp.response(200, ReportCredentialSchema)
def put_report_credential(data: dict[str, Any], lane_id: str) -> ReportCredential:
    """Set (or replace) the provider admin key that reads the lane's usage and cost reports. It is separate
    from the lane's inference key, encrypted at rest, and never shown again. 409 for a flat lane."""
    lane = _lane_or_404(lane_id)
    _applicable(lane, over_api=True)
    if data.get("base_url"):
        problem = upstream_url_problem(data["base_url"], services().settings.allow_private_upstreams)
        if problem:
            abort(422, "The report credential has invalid fields: base_url.", {"base_url": [problem]})
    found = runs.set_credential(
        db.session, services().vault, lane, data["api_key"], data.get("base_url"), data.get("scope")
    )
    record("lane.report_credential.set", "lane", lane.id, after={"fingerprint": found.fingerprint})
    commit()
    return found


@bp.route("/lanes/<lane_id>/report-credential", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_report_credential(lane_id: str) -> None:
    """Forget the lane's report credential (scheduled runs stop; CSV imports still work)."""
    lane = _lane_or_404(lane_id)
    found = db.session.get(ReportCredential, lane.id)
    if found is None:
        abort(404, f"The lane '{lane_id}' has no report credential.")
    record("lane.report_credential.delete", "lane", lane.id, before={"fingerprint": found.fingerprint})
    db.session.delete(found)
    commit()


def _period(data: dict[str, Any]) -> tuple[dt.date, dt.date]:
    if data.get("month"):
        return runs.month_days(data["month"])
    return data["from_day"], data["to_day"]


@bp.route("/lanes/<lane_id>/reconciliations", methods=["POST"])
@requires("write")
@bp.arguments(ReconciliationRequestSchema)
@bp.response(201, ReconciliationRunSchema)
def create_run(data: dict[str, Any], lane_id: str) -> Any:
    """Fetch the provider's cost report with the lane's report credential and compare it with Tollgate's cost,
    per UTC day and model. 409 for a flat lane or without a report credential; 502 when the provider's report
    cannot be read. A gap over the tolerance fires `reconciliation.gap`."""
    lane = _lane_or_404(lane_id)
    _applicable(lane, over_api=True)
    start, end = _period(data)
    get = requests_getter(services().settings.allow_private_upstreams)
    try:
        report = runs.fetch_provider_report(db.session, services().vault, lane, start, end, get)
    except runs.NotApplicable as exc:
        abort(409, str(exc))
    except ReportError as exc:
        abort(502, str(exc))
    run = runs.reconcile(db.session, lane, start, end, report, "api")
    commit()
    return run, 201, {"Location": f"/api/v1/reconciliations/{run.id}"}


@bp.route("/lanes/<lane_id>/reconciliations/csv", methods=["POST"])
@requires("write")
@accepts_upload("text/csv", "multipart/form-data")
@bp.arguments(ReconciliationCsvArgs, location="query")
@bp.doc(requestBody=_CSV_BODY)
@bp.response(201, ReconciliationRunSchema)
def create_csv_run(args: dict[str, Any], lane_id: str) -> Any:
    """Compare the lane's cost with the provider's cost export, sent as a `text/csv` body or a multipart `file`.
    The run covers `month`, or without it the days the file covers (at most 93). 422 for a file that is not a
    cost export this API reads, naming the missing columns or the bad lines."""
    lane = _lane_or_404(lane_id)
    _applicable(lane)
    try:
        lines = csv_import.parse_costs(_upload())
    except csv_import.CsvRejected as exc:
        abort(422, str(exc), exc.errors)
    if args.get("month"):
        start, end = runs.month_days(args["month"])
        lines = [line for line in lines if start <= line.day <= end]
    elif not lines:
        abort(
            422,
            "The CSV file has no cost lines; give `month` to compare a month it has nothing for.",
            {"file": ["No lines."]},
        )
    else:
        start, end = min(line.day for line in lines), max(line.day for line in lines)
        if (end - start).days + 1 > MAX_DAYS:
            message = (
                f"The CSV file covers {(end - start).days + 1} days; give `month` to pick one (at most {MAX_DAYS})."
            )
            abort(422, message, {"month": ["Required for a file over more than one quarter."]})
    run = runs.reconcile(db.session, lane, start, end, runs.ProviderReport(lines), "csv")
    commit()
    return run, 201, {"Location": f"/api/v1/reconciliations/{run.id}"}


def _upload() -> bytes:
    if request.mimetype not in ("text/csv", "multipart/form-data"):  # a JSON body passes the blueprint's check
        abort(415, f"Send the file as text/csv or multipart/form-data (got {request.mimetype or 'no Content-Type'!r}).")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, "The multipart body has no `file` part.", {"file": ["Missing."]})
        return upload.read(csv_import.MAX_BYTES + 1)
    return request.get_data(cache=True)


@bp.route("/lanes/<lane_id>/reconciliations", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ReconciliationRunListArgs, location="query")
@bp.response(200, ReconciliationRunPageSchema)
def list_runs(args: dict[str, Any], lane_id: str) -> dict[str, Any]:
    """The lane's reconciliation runs, newest first."""
    lane = _lane_or_404(lane_id)
    query = scoped(ReconciliationRun).where(ReconciliationRun.lane_id == lane.id)
    if args.get("status"):
        query = query.where(ReconciliationRun.status == args["status"])
    return paginate(query, ReconciliationRun, args)


@bp.route("/reconciliations/<run_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ReconciliationRunSchema)
def get_run(run_id: str) -> ReconciliationRun:
    """One run with its totals and gap days."""
    return get_or_404(ReconciliationRun, run_id)


@bp.route("/reconciliations/<run_id>/rows", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ReconciliationRowListArgs, location="query")
@bp.response(200, ReconciliationRowPageSchema)
def list_rows(args: dict[str, Any], run_id: str) -> dict[str, Any]:
    """A run's rows, one per UTC day and model, in day then model order."""
    run = get_or_404(ReconciliationRun, run_id)
    query = scoped(ReconciliationRow).where(ReconciliationRow.run_id == run.id)
    return paginate(query, ReconciliationRow, args)
