"""The admin REST API at /api/v1: one module per resource, marshmallow schemas in `schemas/`.

`init_app(app)` builds the API object and registers every resource blueprint; `build_spec()` does the same on
a bare Flask app to produce the OpenAPI document without a database.
"""

from __future__ import annotations

from flask import Flask

from .api import AdminApi, make_api, spec_yaml

EXTENSION_KEY = "tollgate_admin_api"


def init_app(app: Flask) -> AdminApi:
    from . import docs, shared
    from .resources import BLUEPRINTS

    api = make_api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    app.register_blueprint(shared.bp)
    app.extensions[EXTENSION_KEY] = api
    return api


def build_spec_yaml() -> str:
    """The OpenAPI 3.1 document of the admin API as YAML, exactly as committed in openapi.yaml."""
    return spec_yaml(init_app(Flask(__name__)))
