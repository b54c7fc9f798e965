"""The web dashboard (agency pages at /dashboard) and the client portal (/portal): server-rendered pages on
top of the admin API, which they call in-process (`admin_calls`), so every rule lives once, in the API.

`init_app(app, session_key)` sets up the signed session cookie and registers both blueprints.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from . import session


def init_app(app: Flask, session_key: bytes) -> None:
    from . import agency, alerts, keys, lanes, logs, portal_byok, recon, reports, settings  # noqa: F401  (they add their routes)
    from .pages import bp
    from .portal import bp as portal_bp

    session.configure(app, session_key)
    app.register_blueprint(bp)
    app.register_blueprint(portal_bp)
    app.add_url_rule("/", "root", _to_dashboard)


def _to_dashboard() -> Response:
    return redirect(url_for("dashboard.overview"))
