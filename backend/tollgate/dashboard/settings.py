"""Settings: branding (reports use it), time zone and currency; admin tokens (owner only; a client token is
that client's invitation to the portal); the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from .pages import actor, api, back, bp, change

BRANDING = ("name", "logo_url", "primary_color", "accent_color", "report_footer", "timezone", "currency")


@bp.route("/settings")
def settings() -> str:
    calls = api()
    owner = actor().role == "owner"
    return render_template(
        "dashboard/settings.html",
        workspace=calls.get("/workspace"),
        tokens=calls.all("/admin-tokens", limit=100) if owner else None,
        clients=calls.all("/clients", limit=100),
        audit=calls.get("/audit-events", limit=30)["data"],
    )


@bp.route("/settings", methods=["POST"])
def save_settings() -> Response:
    body: dict[str, Any] = {}
    for name in BRANDING:
        value = request.form.get(name, "").strip()
        if value or name in ("logo_url", "report_footer"):
            body[name] = value or None
    change(api().call("PATCH", "/workspace", json=body), "Settings saved.")
    return back(url_for("dashboard.settings"))


@bp.route("/tokens", methods=["POST"])
def create_token() -> Any:
    """An admin token, or a client's invitation (role `client`): the secret is shown once, on this answer."""
    form = request.form
    body: dict[str, Any] = {"name": form.get("name", ""), "role": form.get("role", "viewer")}
    if form.get("client_id"):
        body["client_id"] = form["client_id"]
    if form.get("expires_days"):
        days = int(form["expires_days"])
        body["expires_at"] = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()
    answer = api().call("POST", "/admin-tokens", json=body)
    if not change(answer, "Token created. Copy it now: it is not shown again."):
        return back(url_for("dashboard.settings"))
    login = url_for("dashboard.login", _external=True)
    return render_template("dashboard/secret.html", key=answer.body, back=url_for("dashboard.settings"), login=login)


@bp.route("/tokens/<token_id>/revoke", methods=["POST"])
def revoke_token(token_id: str) -> Response:
    change(api().call("DELETE", f"/admin-tokens/{token_id}"), "Token revoked.")
    return back(url_for("dashboard.settings"))
