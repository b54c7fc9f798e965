"""Each rule the server enforces is stated in openapi.yaml (admin/spec_rules.py), and the server keeps to what the
document says: the fast, in-process half of the live schemathesis run (test_admin_schemathesis_live.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from flask import Flask
from jsonschema import Draft202012Validator

from tests.admin_support import PROBLEM, AdminClient, owner
from tests.conftest import Seeded
from tests.test_admin_usage import _log
from tollgate.admin import build_spec_yaml
from tollgate.admin.spec_rules import NO_NUL_PATTERN

__all__ = ["owner"]

SPEC = yaml.safe_load(build_spec_yaml())


def _strings(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every `type: string` schema of the document, with where it is."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "string" or node.get("type") == ["string", "null"]:
            found.append((path, node))
        for key, value in node.items():
            if key not in ("responses", "Problem"):  # what the server answers: the rules are about its input
                found += _strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _strings(value, f"{path}/{i}")
    return found


def test_no_string_in_the_document_admits_nul() -> None:
    """The NUL guard refuses U+0000 anywhere: every string the document describes says so (its own pattern, an
    enum or a format leave no room for NUL either)."""
    strings = _strings(SPEC)
    assert len(strings) > 100
    for path, schema in strings:
        assert {"pattern", "enum", "format", "const"} & schema.keys(), path
        if "pattern" in schema:
            assert not re.search(schema["pattern"].replace("\\u0000", "\x00"), "a\x00b"), path
    assert any(s.get("pattern") == NO_NUL_PATTERN for _, s in strings)


def test_conditional_fields_are_in_the_document() -> None:
    """A spike rule's window and factor, a client token's client_id: `if`/`then`/`else` in the component."""
    schemas = SPEC["components"]["schemas"]
    made = {"id": "x", "created_at": "2026-01-01T00:00:00Z"}
    rule = Draft202012Validator(schemas["AlertRule"])
    assert not rule.is_valid(made | {"kind": "spike", "spike_window": None, "spike_factor_percent": None})
    assert rule.is_valid(made | {"kind": "spike", "spike_window": "day", "spike_factor_percent": 300})
    assert not rule.is_valid(made | {"kind": "threshold"})
    token = Draft202012Validator({**schemas["AdminToken"], "required": ["name", "role"]})
    assert not token.is_valid({"name": "x", "role": "admin", "client_id": "cli_1"})
    assert not token.is_valid({"name": "x", "role": "client", "client_id": None})
    assert token.is_valid({"name": "x", "role": "client", "client_id": "cli_1"})


def test_server_enforces_the_same_conditions(owner: AdminClient, seeded: Seeded) -> None:
    spike = owner.post("alert-rules", json={"kind": "spike", "spike_window": None, "spike_factor_percent": None})
    assert spike.status_code == 422 and "spike_window" in spike.get_json()["errors"]
    token = owner.post("admin-tokens", json={"name": "x", "role": "admin", "client_id": seeded.client_id})
    assert token.status_code == 422 and "client_id" in token.get_json()["errors"]
    made = owner.post("admin-tokens", json={"name": "x", "role": "client", "client_id": seeded.client_id})
    assert made.status_code == 201


def test_json_bodies_are_typed_as_the_document_says(owner: AdminClient, seeded: Seeded) -> None:
    """JSON Schema's `boolean` is not 0 and its `integer` is not 2.5 (marshmallow alone took both); 5.0 is an
    integer."""
    rule = owner.post("alert-rules", json={"kind": "threshold", "threshold_percent": 90}).get_json()
    as_number = owner.patch(f"alert-rules/{rule['id']}", json={"enabled": 0})
    assert as_number.status_code == 422 and as_number.get_json()["errors"] == {"enabled": ["Not a boolean."]}
    fraction = owner.patch(f"alert-rules/{rule['id']}", json={"threshold_percent": 2.5})
    assert fraction.status_code == 422 and fraction.get_json()["errors"] == {"threshold_percent": ["Not an integer."]}
    assert owner.patch(f"alert-rules/{rule['id']}", json={"threshold_percent": "5"}).status_code == 422
    integral = owner.patch(f"alert-rules/{rule['id']}", json={"threshold_percent": 75.0})
    assert integral.status_code == 200 and integral.get_json()["threshold_percent"] == 75
    nested = owner.post("usage-events", json={"events": [{"event_id": "e", "client": "c", "input_tokens": 1.5}]})
    assert nested.status_code == 422 and nested.get_json()["errors"] == {
        "events": {"0": {"input_tokens": ["Not an integer."]}}
    }


def test_a_patch_needs_its_body(owner: AdminClient, seeded: Seeded) -> None:
    """The document says every JSON body is required; a PATCH without one used to change nothing and say 200."""
    assert SPEC["paths"]["/api/v1/clients/{client_id}"]["patch"]["requestBody"]["required"] is True
    empty = owner.patch(f"clients/{seeded.client_id}")
    assert empty.status_code == 422 and empty.mimetype == PROBLEM
    assert empty.get_json()["errors"] == {"json": ["Missing request body."]}
    assert owner.patch(f"clients/{seeded.client_id}", json={}).status_code == 200  # a body, changing nothing
    rotate = SPEC["paths"]["/api/v1/sub-keys/{key_id}/rotate"]["post"]["requestBody"]
    assert rotate["required"] is False  # every field has a default
    assert owner.post(f"sub-keys/{seeded.key_id}/rotate").status_code == 201


def test_date_times_take_the_years_the_pattern_states(owner: AdminClient, seeded: Seeded) -> None:
    """Years 2000–8999 as written (the pattern `^[2-8][0-9]{3}-`), whatever the offset does in UTC."""
    expires = SPEC["components"]["schemas"]["SubKey"]["properties"]["expires_at"]
    assert expires["pattern"] == "^[2-8][0-9]{3}-" and expires["format"] == "date-time"
    for moment, status in (
        ("8999-12-31T23:00:00-05:00", 201),  # 9000 in UTC, 8999 as written
        ("2000-01-01T00:00:00+01:00", 201),  # 1999 in UTC
        ("9000-01-01T00:00:00Z", 422),
        ("1999-12-31T23:59:59Z", 422),
    ):
        made = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "k", "expires_at": moment})
        assert made.status_code == status, (moment, made.get_json())


def test_any_usage_range_is_answered(app: Flask, owner: AdminClient, seeded: Seeded) -> None:
    """No rule across `from` and `to` that the document cannot state: a range of centuries is answered (SQLite's
    `day` grouping works over the span the rows cover), and `from` after `to` is an empty range."""
    centuries = {"group_by": "day", "from": "2000-01-01T00:00:00Z", "to": "8999-01-01T00:00:00Z"}
    assert owner.get("usage", query_string=centuries).get_json()["data"] == []
    _log(app, seeded.workspace_id, seeded.client_id, 1, 7, at=dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC))
    _log(app, seeded.workspace_id, seeded.client_id, 1, 5, at=dt.datetime(2031, 1, 1, 12, tzinfo=dt.UTC))
    wide = owner.get("usage", query_string=centuries | {"client_id": seeded.client_id})
    assert wide.status_code == 200, wide.get_json()
    assert [(r["day"], r["cost_micros"]) for r in wide.get_json()["data"]] == [("2026-07-01", 7), ("2031-01-01", 5)]
    backwards = owner.get("usage", query_string={"from": "2030-01-01T00:00:00Z", "to": "2020-01-01T00:00:00Z"})
    assert backwards.status_code == 200 and backwards.get_json()["totals"]["requests"] == 0
    assert owner.get("request-logs", query_string={"from": "2000-01-01T00:00:00Z"}).status_code == 200


def test_a_past_expiry_makes_an_expired_key(owner: AdminClient, seeded: Seeded) -> None:
    """ "In the future" is no rule a schema can state: a past expiry is accepted and means expired at once."""
    made = owner.post("sub-keys", json={"client_id": seeded.client_id, "name": "k", "expires_at": "2001-01-01T00:00Z"})
    assert made.status_code == 201 and made.get_json()["status"] == "expired"


def test_references_to_nothing_are_404(owner: AdminClient, seeded: Seeded) -> None:
    """An id in a body that names nothing is a 404, as an unknown id in a path: schema-valid, only absent."""
    assert owner.post("budgets", json={"scope": "key", "scope_id": "key_nope", "amount_micros": 5}).status_code == 404
    assert (
        owner.put("rate-limits", json={"scope": "key", "scope_id": "key_nope", "requests_per_min": 5}).status_code
        == 404
    )
    assert owner.put("routing-policies/default", json={"lane_ids": ["lane_nope"]}).status_code == 404


def test_a_billing_plans_terms_are_conditional_on_its_kind_in_the_document() -> None:
    """cost_plus needs a markup, byok and fixed a fee, a retainer its three terms unless a preset fills them; only a
    retainer may name a preset."""
    plan = Draft202012Validator({**SPEC["components"]["schemas"]["BillingPlan"], "required": ["kind"]})
    assert not plan.is_valid({"kind": "cost_plus"})
    assert plan.is_valid({"kind": "cost_plus", "markup_percent": "30"})
    assert not plan.is_valid({"kind": "cost_plus", "markup_percent": "1000.01"})
    assert not plan.is_valid({"kind": "fixed", "monthly_fee_micros": None})
    assert not plan.is_valid({"kind": "byok", "monthly_fee_micros": 5})  # whole cents only
    assert plan.is_valid({"kind": "byok", "monthly_fee_micros": 50_000})
    assert not plan.is_valid({"kind": "retainer"})
    assert plan.is_valid({"kind": "retainer", "preset": "pro"})
    terms = {"monthly_fee_micros": 10_000, "included_tokens": 5, "overage_per_mtok_micros": 10_000}
    assert plan.is_valid({"kind": "retainer", "preset": None} | terms)
    assert not plan.is_valid({"kind": "fixed", "preset": "pro", "monthly_fee_micros": 10_000})


def test_the_server_enforces_the_billing_plan_conditions(owner: AdminClient, seeded: Seeded) -> None:
    url = f"clients/{seeded.client_id}/billing-plan"
    retainer = owner.put(url, json={"kind": "retainer", "monthly_fee_micros": 10_000})
    assert retainer.status_code == 422 and "included_tokens" in retainer.get_json()["errors"]
    preset = owner.put(url, json={"kind": "fixed", "preset": "pro", "monthly_fee_micros": 10_000})
    assert preset.status_code == 422 and "preset" in preset.get_json()["errors"]
    assert owner.put(url, json={"kind": "retainer", "preset": "pro"}).status_code == 200
    as_number = owner.put(url, json={"kind": "cost_plus", "markup_percent": 30})  # the document says string
    assert as_number.status_code == 422 and as_number.get_json()["errors"] == {"markup_percent": ["Not a string."]}
    assert owner.put(url, json={"kind": "cost_plus", "markup_percent": "30"}).status_code == 200


def test_a_body_that_is_not_json_is_415_before_its_fields_are_typed(owner: AdminClient, seeded: Seeded) -> None:
    """The order of the body rules: 415 (not JSON), then NUL/surrogates (422), then the JSON types (422)."""
    text = owner.patch(f"clients/{seeded.client_id}", data="0", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415 and text.mimetype == PROBLEM
    assert SPEC["paths"]["/api/v1/clients/{client_id}"]["patch"]["responses"]["415"]
