"""RFC 9457 problem details: the one error format of the admin API.

Every error under /api answers `application/problem+json` with `type`, `title`, `status`, `detail`, `instance`
and, for bad input, `errors` (field → messages). Nothing else reaches a client: no stack trace, no SQL.
"""

from __future__ import annotations

import http
import inspect
import logging
from typing import Any, NoReturn

import marshmallow as ma
from flask import Response, current_app, json, request
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..extensions import Base, db

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
API_PATH_PREFIX = "/api/"

_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = ma.fields.String(required=True, metadata={"description": "URI reference naming the problem type."})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person."})
    instance = ma.fields.String(metadata={"description": "The request path the problem occurred on."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        metadata={"description": "Field-level messages: field name → list of messages (nested for nested input)."},
    )


class Problem(HTTPException):
    """Raise anywhere in an admin view to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.detail = detail
        self.errors = errors
        self.extra_headers = headers or {}


def abort(status: int, detail: str, errors: dict[str, Any] | None = None) -> NoReturn:
    raise Problem(status, detail, errors)


def problem_response(
    status: int,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
    slug = _TYPES.get(status)
    body: dict[str, Any] = {
        "type": f"urn:tollgate:problem:{slug}" if slug else "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail or phrase,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    """App-wide handler for HTTP errors: problem+json under /api, Werkzeug's default elsewhere (/v1 has its own)."""
    if not request.path.startswith(API_PATH_PREFIX):
        return error
    status = error.code or 500
    if isinstance(error, Problem):
        return problem_response(status, error.detail, error.errors, error.extra_headers)
    data = getattr(error, "data", None) or {}
    errors = _flatten_webargs(data.get("messages")) if "messages" in data else None
    detail = data.get("message") or _detail_for(status, errors, error)
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        allowed = sorted(error.valid_methods)
        headers["Allow"] = ", ".join(allowed)
        detail = _method_detail(allowed)
    return problem_response(status, detail, errors, headers)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _method_detail(allowed: list[str]) -> str:
    """`POST is not allowed on /api/v1/rate-limits. Allowed: GET, PUT. Use PUT /api/v1/rate-limits to set ...`:
    the methods the path takes (HEAD and OPTIONS left out) and, when a body was sent where exactly one other method
    takes one, that method with its operation summary."""
    methods = [m for m in allowed if m not in {"HEAD", "OPTIONS"}]
    detail = f"{request.method} is not allowed on {request.path}. Allowed: {', '.join(methods)}."
    instead = [m for m in methods if m in BODY_METHODS]
    if request.method in BODY_METHODS and len(instead) == 1:
        detail += f" Use {instead[0]} {request.path}{_purpose(instead[0])}."
    return detail


def _purpose(method: str) -> str:
    """` to <first sentence of the view's summary>`, or "" when there is none."""
    try:
        endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(method=method)
    except HTTPException:
        return ""
    doc = inspect.getdoc(current_app.view_functions.get(endpoint)) or ""
    sentence = doc.split("\n", 1)[0].split(". ", 1)[0].rstrip(".")
    if not sentence:
        return ""
    if len(sentence) > 1 and sentence[1].islower():
        sentence = sentence[0].lower() + sentence[1:]
    return f" to {sentence}"


def _detail_for(status: int, errors: dict[str, Any] | None, error: HTTPException) -> str:
    if errors:
        fields = ", ".join(sorted(errors))
        return f"The request has invalid or missing fields: {fields}."
    if status == 404:
        return "No such resource in this workspace."
    return error.description or http.HTTPStatus(status).phrase


def _flatten_webargs(messages: Any) -> dict[str, Any]:
    """webargs groups messages by location ({"json": {...}, "query": {...}}); clients want field → messages."""
    if not isinstance(messages, dict):
        return {"_request": messages}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update({str(k): v for k, v in fields.items()})
        else:
            flat[f"_{location}"] = fields if isinstance(fields, list) else [str(fields)]
    return flat


_CONFLICT_FIELDS: dict[tuple[str, frozenset[str]], tuple[str, str]] = {
    ("clients", frozenset({"workspace_id", "slug"})): (
        "slug",
        "A client with this slug already exists in this workspace.",
    ),
    ("projects", frozenset({"client_id", "slug"})): (
        "slug",
        "A project with this slug already exists for this client.",
    ),
    ("price_overrides", frozenset({"workspace_id", "model"})): (
        "model",
        "A price override for this model already exists in this workspace; change that one instead.",
    ),
    ("model_aliases", frozenset({"workspace_id", "alias"})): (
        "alias",
        "An alias with this name already exists in this workspace; change that one instead.",
    ),
    ("rate_limits", frozenset({"workspace_id", "scope", "scope_id"})): (
        "scope_id",
        "A rate limit for this scope and scope_id already exists in this workspace.",
    ),
    ("workspaces", frozenset({"slug"})): ("slug", "A workspace with this slug already exists."),
}
"""Unique constraints a request can run into → (the request field to blame, a message naming it)."""

_SQLITE_UNIQUE = "UNIQUE constraint failed: "
_PG_NAME_MAX = 63


def handle_integrity_error(error: IntegrityError) -> Response:
    """A unique or foreign-key constraint said no: a conflict, reported without the SQL, naming the field when the
    constraint is a known one."""
    db.session.rollback()
    found = unique_violation(error)
    log.info("integrity error on %s %s: %s %s", request.method, request.path, type(error.orig).__name__, found)
    conflict = _CONFLICT_FIELDS.get(found) if found else None
    if conflict is None:
        return problem_response(409, "This conflicts with an existing resource (a unique field is already taken).")
    field, message = conflict
    return problem_response(409, message, {field: [message]})


def unique_violation(error: IntegrityError) -> tuple[str, frozenset[str]] | None:
    """(table, columns) of the unique constraint that `error` violated, or None (another kind of integrity error,
    or a driver this does not know). Reads the constraint name PostgreSQL reports, or SQLite's message."""
    orig = error.orig
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        table, constraint = getattr(diag, "table_name", None), getattr(diag, "constraint_name", None)
        return _pg_constraint_columns(table, constraint) if table and constraint else None
    text = str(orig)
    if not text.startswith(_SQLITE_UNIQUE):
        return None
    qualified = [part.strip().partition(".") for part in text[len(_SQLITE_UNIQUE) :].split(",")]
    tables = {table for table, _, _ in qualified}
    if len(tables) != 1 or not all(column for _, _, column in qualified):
        return None
    return tables.pop(), frozenset(column for _, _, column in qualified)


def _pg_constraint_columns(table_name: str, constraint_name: str) -> tuple[str, frozenset[str]] | None:
    """Match PostgreSQL's constraint name against the model's unique constraints: their explicit name, or the name
    PostgreSQL gives an unnamed one (`<table>_<col>_<col>_key`; longer names than ours get truncated differently
    and fall back to the generic message)."""
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        columns = [column.name for column in constraint.columns]
        default = "_".join([table_name, *columns, "key"])[:_PG_NAME_MAX]
        if constraint_name in {constraint.name, default}:
            return table_name, frozenset(columns)
    return None
