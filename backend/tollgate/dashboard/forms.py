"""The dashboard's forms as admin API bodies, pure (no Flask, no I/O): what a person typed becomes the API's
fields and nothing more. Text that does not parse is passed on as typed (or as -1 for an amount), so the API
refuses it with its own validation message: the rules live once, in its schemas."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

SECONDS_PER_HOUR = 3600


def micros_of(text: str) -> int:
    """Dollars typed in a form as integer micro-dollars (exact); unreadable text is -1, which the API refuses
    with its own words."""
    try:
        return int(Decimal(text.strip()) * 1_000_000)
    except InvalidOperation:
        return -1


def _whole(text: str) -> int | str:
    """A whole number as typed; anything else as the text itself (the API says 'Not a valid integer.')."""
    try:
        return int(text.strip())
    except ValueError:
        return text


def _hours_as_seconds(text: str) -> int | str:
    try:
        return int(Decimal(text.strip()) * SECONDS_PER_HOUR)
    except InvalidOperation:
        return text


def _models(text: str) -> list[str] | None:
    """One model id or `prefix*` glob per line or comma; none: every model."""
    names = [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]
    return names or None


def _settings(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # the API: "Not a valid mapping type."


def lane_body(form: Mapping[str, str], *, creating: bool) -> dict[str, Any]:
    """A lane form as a POST (creating) or PATCH body. An empty API key keeps the stored one; a flat lane with
    no capacity limit typed has no window; the provider is chosen once, at creation."""
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "base_url": form.get("base_url", ""),
        "payment": form.get("payment", "metered"),
        "models": _models(form.get("models", "")),
        "settings": _settings(form.get("settings", "")),
    }
    if creating:
        body["provider"] = form.get("provider", "openai")
    fee = form.get("monthly_fee_usd", "").strip()
    body["monthly_fee_micros"] = micros_of(fee) if fee else None
    if form.get("api_key", "").strip():
        body["api_key"] = form["api_key"].strip()
    limit = form.get("capacity_limit", "").strip()
    if limit:
        body["capacity"] = {
            "limit": _whole(limit),
            "unit": form.get("capacity_unit", "requests"),
            "window_s": _hours_as_seconds(form.get("capacity_hours", "")),
        }
    elif body["payment"] == "flat" and not creating:
        body["capacity"] = None  # the limit cleared: no window any more
    if not creating:
        body["disabled"] = form.get("disabled") == "on"
    return body


PLAN_TEXT = ("kind", "preset", "usage_basis", "label", "markup_percent", "effective_month")


def plan_body(form: Mapping[str, str]) -> dict[str, Any]:
    """A billing plan form as the PUT body; fields left empty are not sent (a preset fills a retainer's)."""
    body: dict[str, Any] = {name: form[name].strip() for name in PLAN_TEXT if form.get(name, "").strip()}
    for field, name in (("monthly_fee_usd", "monthly_fee_micros"), ("overage_usd", "overage_per_mtok_micros")):
        if form.get(field, "").strip():
            body[name] = micros_of(form[field])
    if form.get("included_tokens", "").strip():
        body["included_tokens"] = _whole(form["included_tokens"])
    return body


def _dollars(micros: int | None) -> str:
    return "" if micros is None else str(Decimal(micros) / 1_000_000)


def lane_form_values(lane: Mapping[str, Any]) -> dict[str, str]:
    """A lane as the API shows it, as its form's fields (the inverse of `lane_body`; the key is never shown)."""
    capacity = lane.get("capacity") or {}
    hours = Decimal(capacity["window_s"]) / SECONDS_PER_HOUR if capacity else None
    return {
        "name": lane.get("name") or "",
        "provider": lane.get("provider") or "openai",
        "base_url": lane.get("base_url") or "",
        "payment": lane.get("payment") or "metered",
        "monthly_fee_usd": _dollars(lane.get("monthly_fee_micros")),
        "capacity_limit": str(capacity.get("limit", "")),
        "capacity_unit": capacity.get("unit", "requests"),
        "capacity_hours": "" if hours is None else f"{hours.normalize():f}",
        "models": "\n".join(lane.get("models") or []),
        "settings": json.dumps(lane["settings"], indent=1) if lane.get("settings") else "",
        "disabled": "on" if lane.get("disabled_at") else "",
    }
