"""Resource modules of the admin API. To add one: create `<resource>.py` with `bp = admin_blueprint(...)`,
declare each view's access with `@requires`, and list the blueprint here (see docs/admin-api.md)."""

from __future__ import annotations

from flask_smorest import Blueprint

from . import clients, projects

BLUEPRINTS: list[Blueprint] = [
    clients.bp,
    projects.bp,
]
