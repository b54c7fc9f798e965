"""The dashboard's lanes and routing (add and edit a lane, capacity windows, cooldowns, a policy's new order as
dragged), a client's billing plan and routing, its spend by model, the profitability arithmetic, and
reconciliation runs — each change through the admin API, whose messages the pages show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Seeded
from tests.test_dashboard import browser, csrf_of
from tollgate.dashboard.forms import lane_body, lane_form_values, plan_body
from tollgate.services import Services

__all__ = ["browser"]  # the signed-in owner's fixture


def api_get(app: Flask, seeded: Seeded, path: str) -> dict:
    answer = app.test_client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {seeded.admin_token}"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def lane_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {"name": "Flat plan", "provider": "openai", "base_url": "https://api.example.com/v1", "payment": "flat"}
    return {**form, "csrf_token": csrf, **fields}


def test_a_lane_form_is_the_apis_body_and_back() -> None:
    form = {
        "name": "Groq", "base_url": "https://api.groq.com/openai/v1", "payment": "flat", "monthly_fee_usd": "200.50",
        "capacity_limit": "500", "capacity_unit": "requests", "capacity_hours": "5",
        "models": "llama-3*\nmixtral, gemma", "settings": '{"price_provider": "groq"}', "api_key": " sk-abc ",
    }  # fmt: skip
    body = lane_body(form, creating=True)
    assert body["monthly_fee_micros"] == 200_500_000 and body["api_key"] == "sk-abc"
    assert body["capacity"] == {"limit": 500, "unit": "requests", "window_s": 18_000}
    assert body["models"] == ["llama-3*", "mixtral", "gemma"] and body["settings"] == {"price_provider": "groq"}
    shown = lane_form_values({**body, "provider": "openai", "disabled_at": None})
    assert shown["capacity_hours"] == "5" and shown["monthly_fee_usd"] == "200.5" and "api_key" not in shown
    assert lane_body({**shown, "api_key": ""}, creating=False)["capacity"] == body["capacity"]
    edit = lane_body({"name": "x", "payment": "flat", "settings": "{oops"}, creating=False)
    assert edit["capacity"] is None and edit["settings"] == "{oops" and "api_key" not in edit  # key kept
    assert lane_body({"capacity_limit": "lots", "capacity_hours": "?"}, creating=True)["capacity"]["limit"] == "lots"


def test_a_plan_form_sends_only_what_was_typed() -> None:
    assert plan_body({"kind": "cost_plus", "markup_percent": "30", "monthly_fee_usd": "", "label": " "}) == {
        "kind": "cost_plus",
        "markup_percent": "30",
    }
    body = plan_body({"kind": "retainer", "monthly_fee_usd": "500", "included_tokens": "2000000", "overage_usd": "6"})
    assert body == {
        "kind": "retainer",
        "monthly_fee_micros": 500_000_000,
        "included_tokens": 2_000_000,
        "overage_per_mtok_micros": 6_000_000,
    }


def test_adding_a_lane_shows_the_apis_words_and_keeps_the_form(browser: FlaskClient) -> None:
    csrf = csrf_of(browser.get("/dashboard/lanes"))
    refused = browser.post("/dashboard/lanes", data=lane_form(csrf, base_url="ftp://files.example.com", api_key="sk-1"))
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Only http and https URLs are allowed." in text  # the API's message
    assert 'value="ftp://files.example.com"' in text and "sk-1" not in text  # typed back, but never the key
    typo = browser.post("/dashboard/lanes", data=lane_form(csrf, capacity_limit="10", capacity_hours="five"))
    assert "capacity.window_s: Not an integer." in typo.get_data(as_text=True)  # nested field errors, flattened
    metered = lane_form(csrf, payment="metered", capacity_limit="10", capacity_hours="5")
    assert "Only a flat lane has a capacity window." in browser.post("/dashboard/lanes", data=metered).get_data(
        as_text=True
    )


def test_a_flat_lane_with_a_window_shows_its_capacity_and_edits(
    app: Flask, seeded: Seeded, browser: FlaskClient
) -> None:
    csrf = csrf_of(browser.get("/dashboard/lanes"))
    form = lane_form(csrf, monthly_fee_usd="200", capacity_limit="100", capacity_hours="5", api_key="sk-secret-9876")
    made = browser.post("/dashboard/lanes", data=form)
    assert made.status_code == 302 and "/dashboard/lanes/lane_" in made.headers["Location"]
    lane_id = made.headers["Location"].rsplit("/", 1)[1]
    lane = api_get(app, seeded, f"/lanes/{lane_id}")
    assert lane["capacity"] == {"limit": 100, "unit": "requests", "window_s": 18_000}
    assert lane["monthly_fee_micros"] == 200_000_000 and lane["credential_last4"] == "9876"
    listing = browser.get("/dashboard/lanes").get_data(as_text=True)
    assert "0 of 100 requests used (100 left), no window open" in listing and "$200.00/month" in listing
    page = browser.get(f"/dashboard/lanes/{lane_id}").get_data(as_text=True)
    assert 'value="5"' in page and "sk-secret-9876" not in page

    edit = {k: v for k, v in form.items() if k not in ("api_key", "provider")}
    edit.update(name="Flat plan (team)", capacity_limit="", disabled="on")
    browser.post(f"/dashboard/lanes/{lane_id}", data=edit)
    lane = api_get(app, seeded, f"/lanes/{lane_id}")
    assert lane["name"] == "Flat plan (team)" and lane["capacity"] is None and lane["disabled_at"]
    assert lane["credential_last4"] == "9876"  # an empty key field keeps the stored credential
    bad = browser.post(f"/dashboard/lanes/{lane_id}", data={**edit, "settings": "{not json"})
    assert "Invalid input type." in browser.get(bad.headers["Location"]).get_data(as_text=True)


def test_a_lane_in_cooldown_is_marked(app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient) -> None:
    assert "in cooldown" not in browser.get("/dashboard/lanes").get_data(as_text=True)
    svc.upstreams.cooldowns.observe(seeded.lane_id, 429, "120")
    text = browser.get("/dashboard/lanes").get_data(as_text=True)
    assert 'data-testid="cooling"' in text and "in cooldown" in text
    assert "Agency lane" in browser.get("/dashboard/").get_data(as_text=True).split("cooldown", 1)[1]


def _second_lane(app: Flask, svc: Services, seeded: Seeded, name: str = "Backup lane") -> str:
    from tollgate import provisioning
    from tollgate.extensions import db

    with app.app_context():
        lane = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, name, "https://api.example.com/v1", "sk-x"
        )
        provisioning.append_route(db.session, seeded.workspace_id, lane)
        db.session.commit()
        return lane.id


def test_a_dragged_order_is_put_whole(app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient) -> None:
    second = _second_lane(app, svc, seeded)
    page = browser.get("/dashboard/lanes").get_data(as_text=True)
    assert 'data-reorder="reorder-default"' in page and 'id="reorder-default"' in page
    order = {"lane_ids": [second, seeded.lane_id]}
    assert browser.post("/dashboard/routing/default/order", data=order).status_code == 400  # no CSRF token
    browser.post("/dashboard/routing/default/order", data={**order, "csrf_token": csrf_of(browser.get("/dashboard/"))})
    assert api_get(app, seeded, "/routing-policies/default")["lane_ids"] == [second, seeded.lane_id]
    bad = {"lane_ids": [second, second], "csrf_token": csrf_of(browser.get("/dashboard/"))}
    browser.post("/dashboard/routing/default/order", data=bad)
    assert api_get(app, seeded, "/routing-policies/default")["lane_ids"] == [second, seeded.lane_id]
    assert 'class="flash flash-error"' in browser.get("/dashboard/lanes").get_data(as_text=True)


def test_a_client_gets_its_own_routing_and_gives_it_back(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    second = _second_lane(app, svc, seeded)
    url = f"/dashboard/clients/{seeded.client_id}"
    csrf = csrf_of(browser.get(url))
    browser.post(f"/dashboard/routing/{seeded.client_id}/order", data={"lane_ids": [second], "csrf_token": csrf})
    assert api_get(app, seeded, f"/routing-policies/{seeded.client_id}")["lane_ids"] == [second]
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="client-routing"' in page and f'data-reorder="reorder-{seeded.client_id}"' in page
    browser.post(f"/dashboard/routing/{seeded.client_id}/delete", data={"csrf_token": csrf})
    assert "default routing order</a> applies" in browser.get(url).get_data(as_text=True)


def test_the_billing_plan_is_set_from_the_client_page(app: Flask, seeded: Seeded, browser: FlaskClient) -> None:
    url = f"/dashboard/clients/{seeded.client_id}"
    csrf = csrf_of(browser.get(url))
    action = f"{url}/billing-plan"
    browser.post(action, data={"kind": "cost_plus", "csrf_token": csrf})
    assert "markup_percent" in browser.get(url).get_data(as_text=True)  # the API's field error, flashed
    browser.post(action, data={"kind": "cost_plus", "markup_percent": "30", "csrf_token": csrf})
    plan = api_get(app, seeded, f"/clients/{seeded.client_id}/billing-plan")
    assert plan["kind"] == "cost_plus" and plan["markup_percent"] == "30.00"
    assert "cost plus 30%" in browser.get(url).get_data(as_text=True)
    browser.post(action, data={"kind": "retainer", "preset": "growth", "csrf_token": csrf})
    assert api_get(app, seeded, f"/clients/{seeded.client_id}/billing-plan")["monthly_fee_micros"] == 1_200_000_000


def test_spend_by_model_and_the_flat_arithmetic(app: Flask, seeded: Seeded, browser: FlaskClient, gateway: str) -> None:
    answer = requests.post(
        f"{gateway}/chat/completions",
        headers={"Authorization": f"Bearer {seeded.key}"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    _wait_for_usage(app, seeded)
    page = browser.get(f"/dashboard/clients/{seeded.client_id}").get_data(as_text=True)
    chart = page.split('data-testid="chart-models"', 1)[1].split("</section>", 1)[0]
    assert "Spend by model" in chart and "gpt-4o" in chart
    reports = browser.get("/dashboard/reports").get_data(as_text=True)
    assert "Their traffic at metered prices" in reports and "Share of flat fees" in reports


def _wait_for_usage(app: Flask, seeded: Seeded) -> None:
    import time

    deadline = time.monotonic() + 10
    while not api_get(app, seeded, f"/usage?client_id={seeded.client_id}&group_by=model")["data"]:
        assert time.monotonic() < deadline, "the call was never logged"
        time.sleep(0.2)


def test_reconciliation_runs_list_open_and_start(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    from tollgate.extensions import db
    from tollgate.models import Lane
    from tollgate.reconciliation import runs
    from tollgate.reconciliation.compare import ProviderLine

    day = dt.date(2026, 11, 3)
    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        report = runs.ProviderReport([ProviderLine(day, "gpt-4o", Decimal("1.25"))])
        run = runs.reconcile(db.session, lane, day, day, report, "csv")
        db.session.commit()
        run_id = run.id
    page = browser.get(f"/dashboard/lanes/{seeded.lane_id}").get_data(as_text=True)
    assert f"/dashboard/reconciliations/{run_id}" in page
    opened = browser.get(f"/dashboard/reconciliations/{run_id}").get_data(as_text=True)
    assert "2026-11-03" in opened and "gpt-4o" in opened and "$1.25" in opened
    csrf = csrf_of(browser.get(f"/dashboard/lanes/{seeded.lane_id}"))
    started = browser.post(
        f"/dashboard/lanes/{seeded.lane_id}/reconciliations", data={"month": "2026-11", "csrf_token": csrf}
    )
    assert "report credential" in browser.get(started.headers["Location"]).get_data(as_text=True)  # the API's 409


def test_the_report_credential_is_write_only(browser: FlaskClient, seeded: Seeded) -> None:
    url = f"/dashboard/lanes/{seeded.lane_id}"
    csrf = csrf_of(browser.get(url))
    short = browser.post(f"{url}/report-credential", data={"api_key": "sk-adm", "csrf_token": csrf})
    assert "api_key: Length must be between 8 and 1000." in browser.get(short.headers["Location"]).get_data(
        as_text=True
    )
    browser.post(
        f"{url}/report-credential", data={"api_key": "sk-admin-key-4321", "scope": "proj_1", "csrf_token": csrf}
    )
    page = browser.get(url).get_data(as_text=True)
    assert "…4321</code> · scope proj_1" in page and "sk-admin-key-4321" not in page
