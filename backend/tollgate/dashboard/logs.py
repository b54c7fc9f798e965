"""The request-log explorer: filters, keyset pages (the API's cursor), each request's detail, CSV export.
The log holds no message content, so neither can this page."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response

from .admin_calls import AdminError
from .pages import api, bp

FILTERS = ("client_id", "project_id", "key_id", "model", "lane_id", "status")


def log_query() -> dict[str, str]:
    """The page's filters as admin API query arguments; dates are whole UTC days (`to` inclusive)."""
    query = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    if request.args.get("from"):
        query["from"] = request.args["from"] + "T00:00:00+00:00"
    if request.args.get("to"):
        query["to"] = request.args["to"] + "T23:59:59.999999+00:00"
    return query


@bp.route("/logs")
def logs() -> str:
    calls = api()
    query = log_query()
    page = calls.get("/request-logs", limit=50, cursor=request.args.get("cursor"), **query)
    return render_template(
        "dashboard/logs.html",
        rows=page["data"],
        next_cursor=page["next_cursor"],
        filters=request.args,
        query_args={k: v for k, v in request.args.items() if k != "cursor"},
        query=query,
        clients=calls.all("/clients", limit=100, status="all"),
        lanes=calls.all("/lanes", limit=100) if _agency() else [],
    )


def _agency() -> bool:
    from .pages import actor

    return actor().client_id is None


@bp.route("/logs.csv")
def logs_csv() -> Response:
    return passthrough("/exports/request-logs.csv", log_query())


def passthrough(path: str, query: dict[str, Any]) -> Response:
    """A download from the admin API, handed on as it came (type and file name), or the API's refusal."""
    answer = api().call("GET", path, query=query)
    if not answer.ok:
        raise AdminError(answer)
    headers = {k: v for k, v in answer.headers.items() if k in ("Content-Type", "Content-Disposition")}
    return Response(answer.data, status=answer.status, headers=headers)
