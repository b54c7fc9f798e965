"""The dashboard in a real browser: Playwright driving Debian's Chromium against the app on a real socket.

One browser for the session, a fresh app per test. Screenshots go to var/test-artifacts/dashboard/ (kept after
the run, gitignored). Accessibility is checked with axe-core, injected from tests/browser/node_modules (installed
by `make test`), so nothing is fetched from the network.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from tests.conftest import MOCK_PROVIDER_KEY, Mock, Seeded, ServedApp

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)

CHROMIUM = os.environ.get("TOLLGATE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "dashboard"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def site(app: Flask, seeded: Seeded) -> Iterator[str]:
    served = ServedApp(app)
    yield served.url
    served.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page (labels, contrast, names, landmarks...)."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: run `make test` (or npm ci in tests/browser)")
    page.evaluate(AXE.read_text())  # evaluated through DevTools: the page's CSP (own scripts only) stays on
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×) e.g. {v['nodes'][0]['html'][:120]}" for v in result["violations"]
    ]


def sign_in(page: Any, site: str, token: str) -> None:
    page.goto(f"{site}/dashboard/login")
    page.get_by_label("Admin token").fill(token)
    page.get_by_label("Admin token").press("Enter")  # the form works from the keyboard alone


def chat(site: str, key: str) -> None:
    answer = requests.post(
        f"{site}/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def wait_for(page: Any, url: str, pattern: str, seconds: float = 10.0) -> None:
    """Reload `url` until its text matches `pattern` (log rows and reports arrive in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(url)
        if re.search(pattern, page.content()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never showed {pattern!r}")
        time.sleep(0.3)


def test_agency_flow(chromium: Any, site: str, seeded: Seeded, mock_upstream: Mock) -> None:
    mock_upstream.state.usage = {"prompt_tokens": 100_000, "completion_tokens": 100_000}  # $1.25 a call on gpt-4o
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, site, seeded.admin_token)
    page.wait_for_url(f"{site}/dashboard/")
    assert page.get_by_test_id("spend-today").inner_text() == "$0.00"
    assert axe_violations(page) == []
    shot(page, "01-overview-empty")

    page.get_by_role("link", name="Clients").click()
    page.get_by_label("Name").fill("Umbrella Corp")
    page.get_by_label("Slug").fill("umbrella")
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url(re.compile(r".*/dashboard/clients/cli_\w+"))
    client_url = page.url
    page.get_by_label("Amount (USD)").fill("5")
    page.get_by_role("button", name="Set budget").click()
    assert "Budget set." in page.content()
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "0"

    page.get_by_label("Key name").fill("n8n flow")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("secret").input_value()
    assert secret.startswith("tg_") and "only time it is shown" in page.content()
    page.get_by_role("button", name="Copy").click()
    page.get_by_text(re.compile("Copied|Ctrl\\+C")).wait_for()
    shot(page, "02-key-secret-once")
    assert axe_violations(page) == []

    chat(site, secret)
    chat(site, secret)
    page.goto(client_url)
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "50"  # $2.50 of $5.00
    assert re.search(r"50% of \w+ budget", page.content())  # the API's own summary
    shot(page, "03-client-cap-moved")
    assert axe_violations(page) == []
    wait_for(page, f"{site}/dashboard/", r'data-testid="spend-today">\$2\.50<')
    shot(page, "04-overview-moved")

    page.goto(f"{site}/dashboard/logs")
    assert page.get_by_role("row").count() >= 3  # header + two calls
    assert "hi" not in [cell.strip() for cell in page.locator("td").all_inner_texts()]  # no message content
    assert axe_violations(page) == []

    for path in ("keys", "lanes", "alerts", "settings", "clients"):
        page.goto(f"{site}/dashboard/{path}")
        assert axe_violations(page) == [], path

    page.goto(f"{site}/dashboard/reports")
    page.get_by_label("Client").select_option(label="Umbrella Corp")
    page.get_by_role("button", name="Make report").click()
    wait_for(page, f"{site}/dashboard/reports", r">Preview<", seconds=30)
    shot(page, "05-reports")
    page.get_by_role("link", name="Preview").first.click()
    assert "Umbrella Corp" in page.content()
    shot(page, "06-report-preview")
    context.close()


def test_client_portal_sees_only_its_own_client(chromium: Any, site: str, seeded: Seeded, mock_upstream: Mock) -> None:
    context = chromium.new_context()
    agency = context.new_page()
    sign_in(agency, site, seeded.admin_token)
    agency.goto(f"{site}/dashboard/settings")
    agency.get_by_label("Name", exact=True).fill("Acme portal")
    agency.get_by_label("Role", exact=True).select_option("client")
    agency.get_by_label("Client (role client only)").select_option(label="Acme Co")
    agency.get_by_role("button", name="Create token").click()
    invitation = agency.get_by_test_id("secret").input_value()
    agency.goto(f"{site}/dashboard/reports")
    agency.get_by_label("Client").select_option(label="Globex")
    agency.get_by_role("button", name="Make report").click()
    wait_for(agency, f"{site}/dashboard/reports", r">Preview<", seconds=30)
    globex_report = re.search(r"/dashboard/reports/(\w+)/preview", agency.content())
    assert globex_report is not None
    context.close()

    portal = chromium.new_context().new_page()
    sign_in(portal, site, invitation)
    portal.wait_for_url(f"{site}/portal/")
    assert "Acme Co" in portal.content() and "Globex" not in portal.content()
    assert axe_violations(portal) == []
    shot(portal, "07-portal")
    portal.keyboard.press("Tab")
    assert portal.evaluate("document.activeElement.textContent") == "Skip to content"
    portal.keyboard.press("Tab")
    assert portal.evaluate("document.activeElement.textContent") == "Usage"  # then the navigation, in order
    portal.keyboard.press("Shift+Tab")
    portal.keyboard.press("Enter")
    assert portal.evaluate("document.activeElement.id") == "main"  # the skip link lands on the content

    for path in (f"/dashboard/clients/{seeded.other_client_id}", "/dashboard/keys", "/dashboard/logs"):
        portal.goto(site + path)
        assert portal.url == f"{site}/portal/", path  # agency pages send a client back to its portal
    answer = portal.goto(f"{site}/portal/reports/{globex_report.group(1)}/download?format=html")
    assert answer is not None and answer.status == 404
    assert "Globex" not in portal.content()
    portal.goto(f"{site}/portal/reports")
    assert "Globex" not in portal.content()
    byok(portal, site, mock_upstream)
    portal.context.close()


def byok(portal: Any, site: str, mock_upstream: Mock) -> None:
    """The four steps as the client: a key that fails verification, then one that verifies; then back to the
    agency's default. The key typed in never comes back in a page."""
    portal.goto(f"{site}/portal/connect")
    assert "Least access" in portal.content()
    wrong = "sk-wrong-key-for-the-test-000000000000"
    portal.get_by_label("API key").fill(wrong)
    portal.get_by_label("API base URL (optional)").fill(mock_upstream.base_url)
    portal.get_by_role("button", name="Add and verify").click()
    assert "did not verify" in portal.content() and wrong not in portal.content()
    assert portal.get_by_test_id("byok-status").first.inner_text().startswith("failed")
    shot(portal, "08-byok-failed")
    portal.get_by_label("API key").fill(MOCK_PROVIDER_KEY)
    portal.get_by_label("API base URL (optional)").fill(mock_upstream.base_url)
    portal.get_by_role("button", name="Add and verify").click()
    assert "verified and live" in portal.content() and MOCK_PROVIDER_KEY not in portal.content()
    statuses = portal.get_by_test_id("byok-status").all_inner_texts()
    assert any(s.startswith("verified") for s in statuses)
    assert axe_violations(portal) == []
    shot(portal, "09-byok-verified")
    portal.get_by_role("button", name="Switch back to the agency default").click()
    assert "agency's default" in portal.get_by_test_id("byok-use").inner_text()


def test_a_routing_policy_is_dragged_into_a_new_order(
    chromium: Any, app: Flask, site: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    """Drag and drop reorders the default policy (the arrows stay for the keyboard); the lane pages pass axe."""
    from tollgate import provisioning
    from tollgate.extensions import db
    from tollgate.services import services

    with app.app_context():
        svc = services()
        backup = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, "Backup lane", mock_upstream.base_url, "sk-x"
        )
        provisioning.append_route(db.session, seeded.workspace_id, backup)
        db.session.commit()
        backup_id = backup.id
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, site, seeded.admin_token)
    page.wait_for_url(f"{site}/dashboard/")
    page.goto(f"{site}/dashboard/lanes")
    order = page.get_by_test_id("default-routing")
    assert order.locator(".lane-name").all_inner_texts() == ["Agency lane", "Backup lane"]
    order.locator("li", has_text="Backup lane").drag_to(order.locator("li", has_text="Agency lane"))
    page.get_by_text("Routing order saved.").wait_for()
    assert order.locator(".lane-name").all_inner_texts() == ["Backup lane", "Agency lane"]
    answer = requests.get(
        f"{site}/api/v1/routing-policies/default", headers={"Authorization": f"Bearer {seeded.admin_token}"}, timeout=5
    )
    assert answer.json()["lane_ids"] == [backup_id, seeded.lane_id]
    page.get_by_role("button", name="Move up: Agency lane").focus()
    page.keyboard.press("Enter")  # the keyboard's way: the arrow buttons
    page.get_by_text("Routing order saved.").wait_for()
    assert order.locator(".lane-name").all_inner_texts() == ["Agency lane", "Backup lane"]
    shot(page, "10-lanes-routing")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Backup lane").click()
    page.get_by_role("button", name="Save lane").wait_for()
    assert axe_violations(page) == []
    shot(page, "11-lane-edit")
    context.close()
