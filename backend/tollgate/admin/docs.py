"""The OpenAPI document as YAML and the Swagger UI's assets, served from the installed `swagger-ui-py`
package's files (no CDN): /api/v1/openapi.yaml, /api/docs (page by flask-smorest), /api/docs/assets/*."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

from flask import Blueprint, Response, abort, current_app, send_from_directory

bp = Blueprint("admin_docs", __name__)

_ASSETS: Final = frozenset({"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"})


@bp.get("/api/v1/openapi.yaml")
def openapi_yaml() -> Response:
    from .api import spec_yaml

    api = current_app.extensions["tollgate_admin_api"]
    return Response(spec_yaml(api), mimetype="application/yaml")


@bp.get("/api/docs/assets/<name>")
def swagger_asset(name: str) -> Response:
    if name not in _ASSETS:
        abort(404)
    return send_from_directory(_swagger_ui_dir(), name, max_age=86400)


def _swagger_ui_dir() -> Path:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        abort(404)
    return Path(next(iter(spec.submodule_search_locations))) / "static"
