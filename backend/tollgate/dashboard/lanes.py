"""Lanes and routing: the lanes with their state (cooling down, a flat lane's capacity window), adding and
editing a lane (the API validates: its messages are shown), the routing order of a policy (moved one step by a
button, or put in a new order by dragging, which sends the whole order), and price overrides (dollars per million
tokens as typed, parsed exactly)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from ..admin.schemas.lanes import PAYMENTS
from ..budgets.lane_windows import UNITS
from ..gateway.providers import PROVIDERS
from ..services import services
from .admin_calls import AdminCalls
from .forms import lane_body, lane_form_values, micros_of
from .pages import api, back, bp, change


def capacities(calls: AdminCalls, lanes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Where each flat lane's capacity window stands (GET /lanes/{id}/capacity), by lane id; a lane whose
    window cannot be read is left out (the page says so rather than failing)."""
    found = {}
    for lane in lanes:
        if lane.get("capacity"):
            answer = calls.call("GET", f"/lanes/{lane['id']}/capacity")
            if answer.ok:
                found[lane["id"]] = answer.body
    return found


def _form_context() -> dict[str, Any]:
    return {"providers": sorted(PROVIDERS), "payments": PAYMENTS, "units": UNITS}


def _lanes_page(form: Mapping[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    calls = api()
    rows = calls.all("/lanes", limit=100)
    default = calls.call("GET", "/routing-policies/default")
    cooldowns = services().upstreams.cooldowns
    page = render_template(
        "dashboard/lanes.html",
        lanes=rows,
        by_id={lane["id"]: lane for lane in rows},
        default=default.body if default.ok else None,
        cooling={lane["id"] for lane in rows if cooldowns.cooling(lane["id"])},
        capacity=capacities(calls, rows),
        overrides=calls.all("/price-overrides", limit=100),
        form=form or {},
        **_form_context(),
    )
    return page, status


@bp.route("/lanes")
def lanes() -> tuple[str, int]:
    return _lanes_page()


@bp.route("/lanes", methods=["POST"])
def create_lane() -> Any:
    """Add a lane; refused, the form comes back as typed (but for the key) with the API's words."""
    answer = api().call("POST", "/lanes", json=lane_body(request.form, creating=True))
    if change(answer, f"Lane {request.form.get('name', '')} added."):
        return back(url_for("dashboard.lane", lane_id=answer.body["id"]))
    typed = {k: v for k, v in request.form.items() if k not in ("api_key", "csrf_token")}
    return _lanes_page(typed, answer.status)


@bp.route("/lanes/<lane_id>")
def lane(lane_id: str) -> str:
    calls = api()
    found = calls.get(f"/lanes/{lane_id}")
    runs = calls.call("GET", f"/lanes/{lane_id}/reconciliations", query={"limit": 20})
    report_key = calls.call("GET", f"/lanes/{lane_id}/report-credential")
    return render_template(
        "dashboard/lane.html",
        lane=found,
        values=lane_form_values(found),
        capacity=capacities(calls, [found]).get(lane_id),
        cooling=services().upstreams.cooldowns.cooling(lane_id),
        runs=runs.body["data"] if runs.ok else [],
        report_key=report_key.body if report_key.ok else None,
        **_form_context(),
    )


@bp.route("/lanes/<lane_id>", methods=["POST"])
def update_lane(lane_id: str) -> Response:
    change(api().call("PATCH", f"/lanes/{lane_id}", json=lane_body(request.form, creating=False)), "Lane saved.")
    return back(url_for("dashboard.lane", lane_id=lane_id))


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


@bp.route("/routing/<scope>/order", methods=["POST"])
def reorder_policy(scope: str) -> Response:
    """A policy's whole new order, as dragged (`lane_ids` in order); the API checks the lanes are usable."""
    order = request.form.getlist("lane_ids")
    change(api().call("PUT", f"/routing-policies/{scope}", json={"lane_ids": order}), "Routing order saved.")
    return back(url_for("dashboard.lanes"))


@bp.route("/routing/<scope>/delete", methods=["POST"])
def reset_policy(scope: str) -> Response:
    """A client's own policy removed: the default order serves it again."""
    change(api().call("DELETE", f"/routing-policies/{scope}"), "The default routing order applies again.")
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
