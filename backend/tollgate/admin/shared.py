"""/shared/reports/<token>: a report opened by its share link, without an account. The signed token names one
report; a forged, expired or revoked token is a plain 404 that says nothing about which."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..extensions import db
from ..models.base import utcnow
from ..reporting import shared_report
from ..services import services
from .resources.reports import report_file

bp = Blueprint("shared_reports", __name__, url_prefix="/shared")


@bp.route("/reports/<token>", methods=["GET"])
def open_report(token: str) -> Response:
    report = shared_report(db.session, services().share_key, token, utcnow())
    if report is None:
        return Response("This link is not valid: it may have expired or been revoked.\n", 404, mimetype="text/plain")
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf"):
        fmt = "html"
    response = report_file(report, fmt, attachment=False)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
