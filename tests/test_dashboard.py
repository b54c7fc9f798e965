"""The web dashboard and client portal, through Flask's test client: sign-in, CSRF, roles, client scoping,
the login rate limit, cookie flags — and that every change goes through the admin API (its audit trail)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.admin_support import make_token
from tests.conftest import Seeded
from tollgate.services import Services

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: TestResponse) -> str:
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, "page has no CSRF field"
    return found.group(1)


def sign_in(client: FlaskClient, token: str) -> TestResponse:
    form = client.get("/dashboard/login")
    return client.post("/dashboard/login", data={"token": token, "csrf_token": csrf_of(form)})


@pytest.fixture
def browser(app: Flask, seeded: Seeded) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, seeded.admin_token).status_code == 302
    return client


def test_signed_out_pages_send_to_sign_in(app: Flask, seeded: Seeded) -> None:
    client = app.test_client()
    for path in ("/dashboard/", "/dashboard/clients", f"/dashboard/clients/{seeded.client_id}", "/portal/"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/dashboard/login" in answer.headers["Location"], path


def test_owner_signs_in_and_sees_the_overview(browser: FlaskClient) -> None:
    page = browser.get("/dashboard/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Spend today" in text and "Acme Co" not in text or "Top clients" in text
    assert "<script" not in text.split("</head>")[1]  # charts are inline SVG without script
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_wrong_token_is_refused_with_the_apis_words(app: Flask, seeded: Seeded) -> None:
    answer = sign_in(app.test_client(), "tga_" + "x" * 43)
    assert answer.status_code == 401
    assert "The admin token is" in answer.get_data(as_text=True)  # the API's own words


def test_post_without_the_csrf_token_is_refused(browser: FlaskClient) -> None:
    answer = browser.post("/dashboard/clients", data={"name": "Evil", "slug": "evil"})
    assert answer.status_code == 400
    assert "Evil" not in browser.get("/dashboard/clients").get_data(as_text=True)


def test_creating_a_client_goes_through_the_admin_api(browser: FlaskClient, seeded: Seeded) -> None:
    token = csrf_of(browser.get("/dashboard/clients"))
    answer = browser.post("/dashboard/clients", data={"name": "Initrode", "slug": "initrode", "csrf_token": token})
    assert answer.status_code == 302 and "/dashboard/clients/cli_" in answer.headers["Location"]
    bad = browser.post("/dashboard/clients", data={"name": "Bad", "slug": "Not A Slug", "csrf_token": token})
    assert bad.status_code == 302
    assert "lower-case letters" in browser.get("/dashboard/clients").get_data(as_text=True)  # the API's message
    audit = browser.get("/dashboard/settings").get_data(as_text=True)
    assert "client.create" in audit and "token:" in audit


def test_a_viewer_reads_but_cannot_change(app: Flask, svc: Services, seeded: Seeded) -> None:
    client = app.test_client()
    sign_in(client, make_token(app, svc, seeded.workspace_id, "viewer"))
    page = client.get("/dashboard/clients")
    assert page.status_code == 200 and "New client" not in page.get_data(as_text=True)
    client.post("/dashboard/clients", data={"name": "Sneaky", "slug": "sneaky", "csrf_token": csrf_of(page)})
    text = client.get("/dashboard/clients").get_data(as_text=True)
    assert "may not do this" in text and "Sneaky" not in text


def test_a_client_token_lands_in_its_portal_and_sees_nothing_else(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    page = browser.get(f"/dashboard/clients/{seeded.other_client_id}")
    assert page.status_code == 200  # the agency sees Globex
    client = app.test_client()
    answer = sign_in(client, make_token(app, svc, seeded.workspace_id, "client", seeded.client_id))
    assert answer.headers["Location"].endswith("/portal/")
    home = client.get("/portal/")
    assert home.status_code == 200 and "Acme Co" in home.get_data(as_text=True)
    assert "Globex" not in home.get_data(as_text=True)
    assert client.get(f"/dashboard/clients/{seeded.other_client_id}").headers["Location"].endswith("/portal/")
    assert client.get("/portal/reports/rep_doesnotexist/download?format=pdf").status_code == 404


def test_another_clients_report_is_not_found_in_the_portal(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    token = csrf_of(browser.get("/dashboard/reports"))
    browser.post(
        "/dashboard/reports", data={"client_id": seeded.other_client_id, "month": "2026-11", "csrf_token": token}
    )
    text = browser.get("/dashboard/reports").get_data(as_text=True)
    report_id = re.search(r"/dashboard/reports/(rep_[A-Za-z0-9]+)/", text) or re.search(r"(rep_[A-Za-z0-9]+)", text)
    client = app.test_client()
    sign_in(client, make_token(app, svc, seeded.workspace_id, "client", seeded.client_id))
    if report_id:
        assert client.get(f"/portal/reports/{report_id.group(1)}/download?format=html").status_code == 404
    assert "Globex" not in client.get("/portal/reports").get_data(as_text=True)


def test_the_session_does_not_open_the_admin_api(browser: FlaskClient) -> None:
    assert browser.get("/api/v1/clients").status_code == 401


def test_revoking_the_token_ends_the_session(app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient) -> None:
    other = app.test_client()
    sign_in(other, make_token(app, svc, seeded.workspace_id, "admin"))
    assert other.get("/dashboard/").status_code == 200
    settings = browser.get("/dashboard/settings").get_data(as_text=True)
    revoke = [m for m in re.findall(r"/dashboard/tokens/([^/]+)/revoke", settings)]
    for token_id in revoke:
        browser.post(
            f"/dashboard/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(browser.get("/dashboard/settings"))}
        )
    assert other.get("/dashboard/").status_code == 302


def test_sign_in_is_rate_limited(app: Flask, seeded: Seeded) -> None:
    client = app.test_client()
    statuses = [sign_in(client, "tga_" + "y" * 43).status_code for _ in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429


def test_the_session_cookie_flags(app: Flask, seeded: Seeded) -> None:
    local = sign_in(app.test_client(), seeded.admin_token).headers["Set-Cookie"]
    assert "HttpOnly" in local and "SameSite=Lax" in local and "Secure" not in local  # http on 127.0.0.1 (make run)
    # anywhere else the cookie is Secure, behind a TLS proxy or not (so a browser never sends it over plain HTTP)
    form = app.test_client().get("/dashboard/login", base_url="http://dash.example.com")
    assert "Secure" in form.headers["Set-Cookie"] and "HttpOnly" in form.headers["Set-Cookie"]


def test_the_default_routing_order_moves_a_lane_down(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    from tollgate import provisioning
    from tollgate.extensions import db

    with app.app_context():
        second = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, "Backup lane", "https://api.example.com/v1", "sk-x"
        )
        provisioning.append_route(db.session, seeded.workspace_id, second)
        db.session.commit()
        second_id = second.id
    page = browser.get("/dashboard/lanes")
    assert "Backup lane" in page.get_data(as_text=True)
    form = {"lane_id": seeded.lane_id, "direction": "down", "csrf_token": csrf_of(page)}
    assert browser.post("/dashboard/routing/default", data=form).status_code == 302
    owner = app.test_client().get(
        "/api/v1/routing-policies/default", headers={"Authorization": f"Bearer {seeded.admin_token}"}
    )
    assert owner.get_json()["lane_ids"] == [second_id, seeded.lane_id]


def test_alert_rules_and_webhooks(browser: FlaskClient) -> None:
    page = browser.get("/dashboard/alerts")
    token = csrf_of(page)
    browser.post("/dashboard/alert-rules", data={"kind": "threshold", "threshold_percent": "80", "csrf_token": token})
    assert "threshold at 80%" in browser.get("/dashboard/alerts").get_data(as_text=True)
    created = browser.post(
        "/dashboard/webhooks",
        data={"url": "https://hooks.example.com/tollgate", "event_types": ["cap.exceeded"], "csrf_token": token},
    )
    text = created.get_data(as_text=True)
    assert created.status_code == 200 and "only time it is shown" in text, text[-600:]
    assert "https://hooks.example.com/tollgate" in browser.get("/dashboard/alerts").get_data(as_text=True)


def test_chart_labels_are_escaped_and_carry_no_script() -> None:
    from tollgate.dashboard.charts import bars_svg

    svg = bars_svg("Spend", ["<script>alert(1)</script>", "a&b"], [1_000_000, 2], horizontal=True)
    assert "<script" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg


def test_periods_and_projection_follow_the_workspace_calendar() -> None:
    import datetime as dt

    from tollgate.dashboard.figures import periods, projected_month_micros

    now = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)  # already April 1st in Berlin (UTC+2 after DST)
    span = periods("Europe/Berlin", now)
    assert span.month_start == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)
    assert span.day_start == span.month_start and span.days_left_in_month == 29
    assert projected_month_micros(2_500_000, 357_142, 29) == 2_500_000 + 357_142 * 29


def test_amounts_under_a_cent_do_not_read_as_zero() -> None:
    from tollgate.dashboard.pages import usd

    assert usd(12) == "$0.000012" and usd("2.500000") == "$2.50" and usd(0) == "$0.00" and usd(None) == "—"


def test_the_agency_sets_the_byok_fallback_and_a_client_cannot(
    app: Flask, svc: Services, seeded: Seeded, browser: FlaskClient
) -> None:
    page = browser.get(f"/dashboard/clients/{seeded.client_id}")
    form = {"fallback": "refuse", "csrf_token": csrf_of(page)}
    browser.post(f"/dashboard/clients/{seeded.client_id}/byok-fallback", data=form)
    assert 'value="refuse" selected' in browser.get(f"/dashboard/clients/{seeded.client_id}").get_data(as_text=True)
    client = app.test_client()
    sign_in(client, make_token(app, svc, seeded.workspace_id, "client", seeded.client_id))
    form["csrf_token"] = csrf_of(client.get("/portal/"))
    answer = client.post(f"/dashboard/clients/{seeded.client_id}/byok-fallback", data=form)
    assert answer.headers["Location"].endswith("/portal/")  # agency pages are not the client's, POST or GET
