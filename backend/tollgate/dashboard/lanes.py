"""Lanes and the default routing order (move a lane up or down: the whole order is PUT back, the API checks
it), price overrides (dollars per million tokens as typed, parsed exactly)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from ..services import services
from .pages import api, back, bp, change


def micros_of(text: str) -> int:
    """Dollars typed in a form as integer micro-dollars (exact); unreadable text is -1, which the API refuses
    with its own words."""
    try:
        return int(Decimal(text.strip()) * 1_000_000)
    except InvalidOperation:
        return -1


@bp.route("/lanes")
def lanes() -> str:
    calls = api()
    rows = calls.all("/lanes", limit=100)
    default = calls.call("GET", "/routing-policies/default")
    cooldowns = services().upstreams.cooldowns
    return render_template(
        "dashboard/lanes.html",
        lanes=rows,
        by_id={lane["id"]: lane for lane in rows},
        default=default.body if default.ok else None,
        cooling={lane["id"] for lane in rows if cooldowns.cooling(lane["id"])},
        overrides=calls.all("/price-overrides", limit=100),
    )


@bp.route("/routing/<scope>", methods=["POST"])
def move_in_policy(scope: str) -> Response:
    """Move one lane up or down a routing policy (`default` or a client id)."""
    calls = api()
    current = calls.call("GET", f"/routing-policies/{scope}")
    order = list(current.body["lane_ids"]) if current.ok else []
    lane_id, step = request.form.get("lane_id", ""), -1 if request.form.get("direction") == "up" else 1
    if lane_id in order and 0 <= order.index(lane_id) + step < len(order):
        i = order.index(lane_id)
        order[i], order[i + step] = order[i + step], order[i]
    change(calls.call("PUT", f"/routing-policies/{scope}", json={"lane_ids": order}), "Routing order saved.")
    return back(url_for("dashboard.lanes"))


@bp.route("/price-overrides", methods=["POST"])
def create_override() -> Response:
    form = request.form
    body = {
        "model": form.get("model", ""),
        "input_mtok_micros": micros_of(form.get("input_usd", "")),
        "output_mtok_micros": micros_of(form.get("output_usd", "")),
    }
    change(api().call("POST", "/price-overrides", json=body), f"Price for {body['model']} saved.")
    return back(url_for("dashboard.lanes"))


@bp.route("/price-overrides/<override_id>/delete", methods=["POST"])
def delete_override(override_id: str) -> Response:
    change(api().call("DELETE", f"/price-overrides/{override_id}"), "Price override removed.")
    return back(url_for("dashboard.lanes"))
