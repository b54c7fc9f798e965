"""RFC 9457 problem details: the one error format of the admin API.

Every error under /api answers `application/problem+json` with `type`, `title`, `status`, `detail`, `instance`
and, for bad input, `errors` (field → messages). Nothing else reaches a client: no stack trace, no SQL.
"""

from __future__ import annotations

import http
import logging
from typing import Any, NoReturn

import marshmallow as ma
from flask import Response, json, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ..extensions import db

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
    if status == 405 and error.get_headers():
        headers.update({k: v for k, v in error.get_headers() if k.lower() == "allow"})
    return problem_response(status, detail, errors, headers)


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


def handle_integrity_error(error: IntegrityError) -> Response:
    """A unique or foreign-key constraint said no: a conflict, reported without the SQL."""
    db.session.rollback()
    log.info("integrity error on %s %s: %s", request.method, request.path, type(error.orig).__name__)
    return problem_response(409, "This conflicts with an existing resource (a unique field is already taken).")
