"""Sub-keys: list, issue (the secret shown once, on the answer page itself, never stored in the session),
rotate with an overlap, revoke."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from .pages import api, back, bp, change

OVERLAPS = ((0, "at once"), (3600, "1 hour"), (86400, "1 day"), (604800, "7 days"))


@bp.route("/keys")
def keys() -> str:
    calls = api()
    client_id = request.args.get("client_id") or None
    return render_template(
        "dashboard/keys.html",
        keys=calls.all("/sub-keys", client_id=client_id, status=request.args.get("status", "active")),
        clients=calls.all("/clients", limit=100),
        client_id=client_id,
        overlaps=OVERLAPS,
    )


@bp.route("/keys", methods=["POST"])
def create_key() -> Any:
    form = request.form
    body: dict[str, Any] = {"client_id": form.get("client_id", ""), "name": form.get("name", "")}
    if form.get("project_id"):
        body["project_id"] = form["project_id"]
    answer = api().call("POST", "/sub-keys", json=body)
    if not change(answer, "Key created. Copy it now: it is not shown again."):
        return back(url_for("dashboard.keys"))
    return render_template("dashboard/secret.html", key=answer.body, back=form.get("next") or url_for("dashboard.keys"))


@bp.route("/keys/<key_id>/rotate", methods=["POST"])
def rotate_key(key_id: str) -> Any:
    overlap = request.form.get("overlap_seconds", "3600")
    answer = api().call("POST", f"/sub-keys/{key_id}/rotate", json={"overlap_seconds": int(overlap or 0)})
    if not change(answer, "Key rotated: the old key keeps working until the overlap ends. Copy the new one now."):
        return back(url_for("dashboard.keys"))
    return render_template("dashboard/secret.html", key=answer.body, back=url_for("dashboard.keys"))


@bp.route("/keys/<key_id>/revoke", methods=["POST"])
def revoke_key(key_id: str) -> Response:
    change(api().call("DELETE", f"/sub-keys/{key_id}"), "Key revoked.")
    return back(url_for("dashboard.keys"))
