"""End-to-end smoke test in a real headless Chromium against a live server loaded with the demo data.

The back-office login renders, a demo customer signs in to the portal and sees a balance, and the
OpenAPI document answers. Skipped only when the system Chromium is absent (CI installs it).
"""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from accounts.demo import CUSTOMER_LOGIN
from accounts.models import Wallet
from accounts.tests.factories import unit
from selfcare.templatetags.portal import unit_amount

from .browser import CHROMIUM, chromium_launch

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (run: bash scripts/system_deps.sh)"),
]
SEEDED_UNITS = [row[0] for row in importlib.import_module("accounts.migrations.0003_seed_units").UNITS]


@pytest.fixture
def demo_balance(transactional_db) -> str:
    """Load the demo (committed, so the live server's thread sees it); the portal customer's balance as shown."""
    for code in SEEDED_UNITS:  # an earlier transactional test may have flushed the seeded units
        unit(code)
    call_command("load_demo", "--no-progress", stdout=StringIO())
    main = Wallet.objects.select_related("unit").get(billing_account__number="AC0001-1", code="main")
    return unit_amount(main.balance, main.unit)


def test_back_office_portal_and_api_answer_in_a_real_browser(live_server, demo_balance):
    # Database reads happen in the fixture, before the browser opens: Playwright's sync API runs an event
    # loop in this thread, and Django refuses ORM calls under a running loop.
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            page = browser.new_page()

            page.goto(f"{live_server.url}/admin/login/")
            expect(page.locator("#login-form")).to_be_visible()
            expect(page.get_by_label("Username:")).to_be_visible()

            page.goto(f"{live_server.url}/selfcare/login/")
            expect(page.get_by_role("heading", name="Sign in to your account")).to_be_visible()
            page.get_by_label("Username").fill(CUSTOMER_LOGIN[0])
            page.get_by_label("Password").fill(CUSTOMER_LOGIN[1])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/selfcare/")
            expect(page.get_by_role("heading", name="Hello, Claire")).to_be_visible()
            expect(page.get_by_test_id("main-balance").first).to_have_text(demo_balance)

            schema = page.request.get(f"{live_server.url}/api/schema/")
            assert schema.status == 200
            assert "openapi:" in schema.text()
        finally:
            browser.close()
