"""The admin API object: flask-smorest's `Api` speaking RFC 9457, with the OpenAPI 3.1 document built from
the resource modules' marshmallow schemas. `build_spec()` makes the same document without a database, for
`tollgate openapi` and the test that keeps the committed openapi.yaml current."""

from __future__ import annotations

import http
from typing import Any, Final

import yaml
from apispec import BasePlugin
from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.routing import UnicodeConverter

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH
from .problems import API_PATH_PREFIX, PROBLEM_MIMETYPE, ProblemSchema, handle_http_exception
from .spec_rules import NO_NUL_PATTERN, ConditionalPlugin, no_nul_pattern, path_string_schema

API_TITLE: Final = "Tollgate admin API"
API_VERSION: Final = "1.0.0"

_DESCRIPTION = """\
Manage a Tollgate workspace: clients, projects, sub-keys, lanes, routing, prices, tokens; query usage.

Authenticate with an admin token: `Authorization: Bearer tga_...`. Roles: `owner` (everything), `admin`
(everything but admin tokens and deleting the workspace), `viewer` (read only), `client` (only what concerns
its own client, and its keys only within the limits the agency set: allowed models and expiry set by an agency
role can only be narrowed, keys it mints get the client's `key_allowed_models`, budgets and rate limits are
agency-only). Errors are RFC 9457 problem documents (`application/problem+json`). Lists are cursor
paginated: pass `next_cursor` back as `cursor`. Money is integer micro-dollars (`*_micros`) plus an exact
decimal string (`*_usd`). POST accepts an `Idempotency-Key` header.
"""


class _IdempotencyPlugin(BasePlugin):
    """Documents the `Idempotency-Key` header on every POST."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        post = (operations or {}).get("post")
        if post is not None:
            post.setdefault("parameters", []).append("IdempotencyKey")


class _JsonBodyPlugin(BasePlugin):
    """Documents the 415 every operation with a request body answers to a body that is not JSON."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {})["415"] = "UNSUPPORTED_MEDIA_TYPE"


class AdminApi(Api):
    """flask-smorest's Api with problem+json errors instead of its own error payload."""

    def _register_error_handlers(self) -> None:
        """Answer HTTP errors under /api; hand every other path to the handler registered before (the gateway's)."""
        previous = self._app.error_handler_spec[None][None].get(HTTPException)

        def dispatch(error: HTTPException) -> Any:
            if request.path.startswith(API_PATH_PREFIX) or previous is None:
                return handle_http_exception(error)
            return previous(error)

        self._app.register_error_handler(HTTPException, dispatch)

    def _register_responses(self) -> None:
        self.spec.components.schema("Problem", schema=ProblemSchema)
        problem = {"content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": "A problem (RFC 9457): bad input, missing auth, not found, conflict, ...", **problem},
        )
        for status in http.HTTPStatus:  # flask-smorest refers to these by name (e.g. UNPROCESSABLE_ENTITY)
            if status >= 400:
                self.spec.components.response(status.name, {"description": status.phrase, **problem}, lazy=True)
        self.spec.components.parameter(
            "IdempotencyKey",
            "header",
            {
                "name": IDEMPOTENCY_HEADER,
                "required": False,
                "description": "Retry-safe POST: the same key and body replay the first response.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": NO_NUL_PATTERN},
            },
        )
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})


def configure(app: Flask) -> None:
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": _DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )


def make_api(app: Flask) -> AdminApi:
    configure(app)
    api = AdminApi(spec_kwargs={"extra_plugins": [_IdempotencyPlugin(), _JsonBodyPlugin(), ConditionalPlugin()]})
    api.init_app(app)
    api.ma_plugin.converter.add_attribute_function(no_nul_pattern)  # before any blueprint adds its schemas
    api.register_converter(UnicodeConverter, path_string_schema)
    return api


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so descriptions read in the committed file as they read here."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def spec_yaml(api: AdminApi) -> str:
    text: str = yaml.dump(api.spec.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return text
