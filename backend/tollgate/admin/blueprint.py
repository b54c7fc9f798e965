"""The admin blueprint factory: every resource module makes its blueprint here, so all of them share the
URL prefix, authentication and access rules, the JSON-only body rule, the text guard, idempotency, and the
conflict handler."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from . import idempotency
from .auth import authorize
from .problems import BODY_METHODS, Problem, abort, handle_integrity_error
from .spec_rules import json_type_errors

API_PREFIX: Final = "/api/v1"


class StrictQueryParser(FlaskParser):
    """webargs ignores unknown query parameters by default; here a typo (`?client=` for `?client_id=`) is a 422
    naming the parameter, not a silently unfiltered answer."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}


class AdminBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictQueryParser()

    def arguments(self, schema: Any, *, location: str = "json", required: bool = True, **kwargs: Any) -> Any:
        """flask-smorest documents a JSON body as `required` (its default) but webargs reads a missing body as
        `{}`, so a PATCH without one changed nothing and answered 200; and marshmallow reads `0` as false and
        `2.5` as the integer 2, where the document says boolean and integer. Both rules are enforced here, before
        the body is parsed."""
        decorator = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return decorator
        typed = schema() if isinstance(schema, type) else schema

        def checked(view: Callable[..., Any]) -> Callable[..., Any]:
            parsed = decorator(view)

            @functools.wraps(parsed)
            def check_then_parse(*args: Any, **view_kwargs: Any) -> Any:
                if required and not request.get_data(cache=True):
                    abort(422, "This request needs a JSON body.", {"json": ["Missing request body."]})
                errors = json_type_errors(typed, request.get_json(silent=True))
                if errors:
                    abort(422, "The request has fields of the wrong type: " + ", ".join(errors) + ".", errors)
                return parsed(*args, **view_kwargs)

            return check_then_parse

        return checked


def admin_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint mounted under /api/v1; routes are declared with their full path below it."""
    bp = AdminBlueprint(name, import_name, url_prefix=API_PREFIX, description=description)
    bp.before_request(authorize)
    bp.before_request(require_json_body)
    bp.before_request(reject_unstorable_text)
    bp.before_request(idempotency.claim)
    bp.after_request(idempotency.store)
    bp.after_request(locate_created)  # after_request hooks run last-registered first: before the store
    bp.after_request(empty_no_content)
    bp.register_error_handler(IntegrityError, handle_integrity_error)
    return bp


def empty_no_content(response: Response) -> Response:
    """A 204 has no content: no body, and no `Content-Type` (flask-smorest labels its empty 204 as JSON)."""
    if response.status_code == 204:
        response.set_data(b"")
        response.headers.remove("Content-Type")
        response.headers.remove("Content-Length")
    return response


def locate_created(response: Response) -> Response:
    """A 201 names what it created: `Location: /api/v1/<collection>/<id>` (also after `POST .../rotate`), when
    that URL can be read with GET."""
    if response.status_code != 201 or "Location" in response.headers or not response.is_json:
        return response
    body = response.get_json(silent=True)
    object_id = body.get("id") if isinstance(body, dict) else None
    collection = request.path[len(API_PREFIX) :].strip("/").split("/")[0]
    if not isinstance(object_id, str) or not collection:
        return response
    location = f"{API_PREFIX}/{collection}/{object_id}"
    try:
        current_app.url_map.bind("localhost").match(location, method="GET")
    except HTTPException:
        return response
    response.headers["Location"] = location
    return response


UPLOAD_ATTR: Final = "_tollgate_upload_types"


def accepts_upload(*mimetypes: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view that takes a file body (`text/csv`, `multipart/form-data`) instead of JSON; it reads and
    checks the body itself. Any other type still gets the 415 below."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, UPLOAD_ATTR, frozenset(mimetypes))
        return view

    return mark


def require_json_body(*_: Any) -> None:
    """415 for a POST/PUT/PATCH body that is not JSON (`text/plain`, curl's default form encoding, no type at
    all): without this the body was silently ignored and the caller told that every field was missing."""
    if request.method not in BODY_METHODS or request.is_json:
        return
    uploads = getattr(current_app.view_functions.get(request.endpoint or ""), UPLOAD_ATTR, None)
    if uploads is not None:
        if request.mimetype not in uploads:
            raise Problem(
                415, f"Send the file as {' or '.join(sorted(uploads))} (got {request.mimetype or 'no Content-Type'!r})."
            )
        return
    if request.content_length or "Transfer-Encoding" in request.headers:
        raise Problem(
            415,
            f"Send the request body as JSON with 'Content-Type: application/json' "
            f"(got {request.mimetype or 'no Content-Type'!r}).",
        )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL, and UTF-16 surrogate code points: a JSON string may escape a lone one (`"\\ud800"`), which no UTF-8
encoder (SQLite's, psycopg's, the response's) can encode."""


def reject_unstorable_text(*_: Any) -> None:
    """422 for a NUL character or a lone surrogate anywhere in the path, query or JSON body. PostgreSQL cannot
    store or even compare text holding NUL (the driver raises), SQLite can; neither can encode a lone surrogate.
    Refusing them here keeps both databases alike and a stray `%00` or `\\ud800` from becoming a 500."""
    found = _unstorable_path(request.view_args or {}, "") or _unstorable_path(request.args.to_dict(flat=False), "")
    found = found or _unstorable_path(request.get_json(silent=True), "")
    if found is not None:
        path, reason = found
        abort(
            422,
            "Text must not contain NUL (U+0000) characters or lone surrogates (U+D800–U+DFFF).",
            {path or "_request": [reason]},
        )


def _unstorable(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "Contains NUL." if found.group() == "\x00" else "Contains a lone surrogate (not valid Unicode)."


def _unstorable_path(value: Any, path: str) -> tuple[str, str] | None:
    """(dotted path, reason) of the first string (or key) holding NUL or a surrogate, else None."""
    if isinstance(value, str):
        reason = _unstorable(value)
        return (path, reason) if reason else None
    items: list[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        reason = _unstorable(key) if isinstance(key, str) else None
        if reason:
            return name.encode("utf-8", "backslashreplace").decode(), reason
        found = _unstorable_path(item, name)
        if found is not None:
            return found
    return None
