"""/reports: monthly usage reports per client, made in the background, downloaded in four formats from one
source, and shared with the client by a signed link that expires and can be revoked."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for

from ... import reporting
from ...extensions import db
from ...invoicing import Month
from ...models import Client, Report, Workspace
from ...models.base import utcnow
from ...reports.render import csv_text, json_bytes
from ...services import services
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import commit, record
from ..pagination import paginate
from ..problems import abort
from ..schemas.reports import (
    ReportBatchSchema,
    ReportCreateSchema,
    ReportDownloadArgs,
    ReportListArgs,
    ReportPageSchema,
    ReportSchema,
    ShareLinkCreateSchema,
    ShareLinkSchema,
)
from ..scope import client_or_404, forced_client_id, get_or_404, scoped

bp = admin_blueprint("reports", __name__, "Monthly usage reports: make, list, download, share.")
_FILE_DOC = {
    "200": {
        "description": "The report as HTML, PDF, CSV or JSON",
        "content": {
            **{mimetype: {"schema": {"type": "string"}} for mimetype in ("text/html", "application/pdf", "text/csv")},
            "application/json": {"schema": {"type": "object", "description": "The report's figures."}},
        },
    }
}


def report_json(report: Report) -> dict[str, Any]:
    live_share = report.share_nonce is not None and report.share_expires_at is not None
    return {
        "id": report.id,
        "client_id": report.client_id,
        "month": report.month,
        "status": report.status,
        "error": report.error,
        "header": None if report.figures is None else report.figures.get("header"),
        "share_expires_at": report.share_expires_at if live_share else None,
        "created_at": report.created_at,
        "requested_at": report.requested_at,
        "finished_at": report.finished_at,
    }


@bp.route("/reports", methods=["POST"])
@requires("write")
@bp.arguments(ReportCreateSchema)
@bp.response(202, ReportBatchSchema)
def create_reports(data: dict[str, Any]) -> dict[str, Any]:
    """Make the month's report of one client, or of every active client; each runs in the background (poll it,
    or subscribe to `report.ready`). Made again, a report keeps its id and share link and takes current figures."""
    workspace = db.session.get(Workspace, actor().workspace_id)
    assert workspace is not None
    if data.get("client_id"):
        clients = [client_or_404(data["client_id"])]
    else:
        clients = list(db.session.scalars(scoped(Client).where(Client.archived_at.is_(None)).order_by(Client.name)))
    month = Month.parse(data["month"])
    reports = [reporting.request_report(db.session, workspace, client, month) for client in clients]
    for report in reports:
        record("report.request", "report", report.id, after={"client_id": report.client_id, "month": report.month})
    commit()
    reporting.dispatch(current_app._get_current_object(), [r.id for r in reports if r.status == "queued"])  # type: ignore[attr-defined]
    return {"data": [report_json(report) for report in reports]}


@bp.route("/reports", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ReportListArgs, location="query")
@bp.response(200, ReportPageSchema)
def list_reports(args: dict[str, Any]) -> dict[str, Any]:
    """List reports."""
    query = scoped(Report)
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(Report.client_id == client_id)
    for name in ("month", "status"):
        if args.get(name):
            query = query.where(getattr(Report, name) == args[name])
    page = paginate(query, Report, args)
    return {"data": [report_json(report) for report in page["data"]], "next_cursor": page["next_cursor"]}


@bp.route("/reports/<report_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ReportSchema)
def get_report(report_id: str) -> dict[str, Any]:
    """One report and its job's status."""
    return report_json(get_or_404(Report, report_id))


@bp.route("/reports/<report_id>/download", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ReportDownloadArgs, location="query")
@bp.doc(responses=_FILE_DOC)
def download_report(args: dict[str, Any], report_id: str) -> Response:
    """The report as HTML, PDF, CSV or JSON (409 until it is ready)."""
    report = get_or_404(Report, report_id)
    if report.status != "ready":
        abort(409, f"The report is {report.status}, not ready.")
    return report_file(report, args["format"], attachment=True)


def report_file(report: Report, fmt: str, attachment: bool) -> Response:
    assert report.figures is not None and report.html is not None and report.pdf is not None
    client = db.session.get(Client, report.client_id)
    slug = client.slug if client is not None else report.client_id
    renderings: dict[str, tuple[bytes | str, str]] = {
        "html": (report.html, "text/html"),
        "pdf": (report.pdf, "application/pdf"),
        "csv": (csv_text(report.figures), "text/csv"),
        "json": (json_bytes(report.figures), "application/json"),
    }
    body, mimetype = renderings[fmt]
    response = Response(body, mimetype=mimetype)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{slug}-{report.month}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/reports/<report_id>/share-link", methods=["POST"])
@requires("write")
@bp.arguments(ShareLinkCreateSchema, required=False)  # every field has a default: a bare POST shares
@bp.response(201, ShareLinkSchema)
def create_share_link(data: dict[str, Any], report_id: str) -> dict[str, Any]:
    """A link that opens the report without an account until it expires (at most 90 days). A new link revokes
    the previous one."""
    report = get_or_404(Report, report_id)
    expires_at = reporting.new_share(report, data["expires_in_days"], utcnow())
    record("report.share", "report", report.id, after={"expires_at": expires_at.isoformat()})
    commit()
    token = reporting.share_token(services().share_key, report, expires_at)
    return {"url": url_for("shared_reports.open_report", token=token, _external=True), "expires_at": expires_at}


@bp.route("/reports/<report_id>/share-link", methods=["DELETE"])
@requires("write")
@bp.response(204)
def revoke_share_link(report_id: str) -> None:
    """Revoke the report's share link: opening it answers 404 from now on."""
    report = get_or_404(Report, report_id)
    report.share_nonce, report.share_expires_at = None, None
    record("report.unshare", "report", report.id)
    commit()
