"""Take the README's screenshots from a running demo server (`make demo` first).

    .venv/bin/python scripts/screenshots.py --base-url http://localhost:8000

Signs in as the demo customer (portal home) and as the operator's staff (admin index) in the system
headless Chromium and writes PNGs to docs/img/. The logins are the ones `manage.py load_demo` prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from selfcare.tests.browser import chromium_launch  # noqa: E402

CUSTOMER = ("claire.donovan", "demo-claire")
OPERATOR = ("acme.admin", "demo-acme-admin")


def sign_in(page: Page, url: str, credentials: tuple[str, str], username_label: str, password_label: str) -> None:
    page.goto(url)
    page.get_by_label(username_label).fill(credentials[0])
    page.get_by_label(password_label).fill(credentials[1])
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            portal = browser.new_context(viewport={"width": 1200, "height": 900}, device_scale_factor=1).new_page()
            sign_in(portal, f"{base}/selfcare/login/", CUSTOMER, "Username", "Password")
            portal.screenshot(path=str(args.out / "selfcare-home.png"), full_page=True)

            admin = browser.new_context(viewport={"width": 1200, "height": 800}, device_scale_factor=1).new_page()
            sign_in(admin, f"{base}/admin/login/", OPERATOR, "Username:", "Password:")
            admin.screenshot(path=str(args.out / "admin-index.png"), full_page=False)
        finally:
            browser.close()
    print(f"wrote {args.out / 'selfcare-home.png'} and {args.out / 'admin-index.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
