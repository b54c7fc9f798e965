"""The portal's "use your own AI account" flow (BYOK) as one page in four steps: how to make a least-access key
at the provider (the API's guides), paste it, see it verified (the API makes the provider call at once), go
live; then rotate (a new key that `replaces` the old), revoke, or switch back to the agency's default.

All of it is the admin API's `/clients/{id}/provider-keys` and `/byok-settings`, called as the client: the key
typed here goes to the API once and is never put back into a page, a flash message or the session."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from werkzeug.wrappers import Response

from .pages import back, change
from .portal import _calls, bp


@bp.route("/connect")
def byok() -> str:
    calls, client_id = _calls()
    return render_template(
        "dashboard/portal_byok.html",
        client=calls.get(f"/clients/{client_id}"),
        guides=calls.get("/provider-key-guides")["data"],
        keys=calls.all(f"/clients/{client_id}/provider-keys", limit=50),
        settings=calls.get(f"/clients/{client_id}/byok-settings"),
        provider=request.args.get("provider", "openai"),
        replaces=request.args.get("replaces", ""),
    )


@bp.route("/connect/keys", methods=["POST"])
def add_provider_key() -> Response:
    calls, client_id = _calls()
    form = request.form
    body: dict[str, Any] = {
        "provider": form.get("provider", ""),
        "purposes": form.getlist("purposes") or ["chat"],
        "api_key": form.get("api_key", ""),
    }
    for name in ("label", "base_url", "replaces"):
        if form.get(name):
            body[name] = form[name]
    answer = calls.call("POST", f"/clients/{client_id}/provider-keys", json=body)
    if answer.ok and answer.body.get("status") == "failed":
        flash(f"The key did not verify: {answer.body.get('status_reason')}", "error")
    else:
        change(answer, "Your key is verified and live: your traffic now runs on your own account.")
    return back(url_for("portal.byok"))


@bp.route("/connect/keys/<key_id>/verify", methods=["POST"])
def verify_provider_key(key_id: str) -> Response:
    calls, client_id = _calls()
    answer = calls.call("POST", f"/clients/{client_id}/provider-keys/{key_id}/verify")
    if answer.ok and answer.body.get("status") != "verified":
        flash(f"Still not verified: {answer.body.get('status_reason')}", "error")
    else:
        change(answer, "Verified again.")
    return back(url_for("portal.byok"))


@bp.route("/connect/keys/<key_id>/revoke", methods=["POST"])
def revoke_provider_key(key_id: str) -> Response:
    calls, client_id = _calls()
    change(calls.call("DELETE", f"/clients/{client_id}/provider-keys/{key_id}"), "Key revoked and erased.")
    return back(url_for("portal.byok"))


@bp.route("/connect/use", methods=["POST"])
def choose_account() -> Response:
    calls, client_id = _calls()
    use = request.form.get("use", "")
    words = "Your own account serves first." if use == "own_account" else "The agency's default serves you now."
    change(calls.call("PATCH", f"/clients/{client_id}/byok-settings", json={"use": use}), words)
    return back(url_for("portal.byok"))
