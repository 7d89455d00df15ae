"""Refresh the dashboard screenshots in docs/screenshots/ from a running demo.

    export DATABASE_URL=sqlite:////tmp/demo.db
    export SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")
    .venv/bin/flask --app wsgi db upgrade
    .venv/bin/flask --app wsgi run-demo --port 5050
    DEMO_OPERATOR_PASSWORD=… DEMO_PARTNER_PASSWORD=… .venv/bin/python docs/screenshots.py \
        http://127.0.0.1:5050

Uses Debian's Chromium (CHROMIUM to override) through Playwright, like the browser tests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
PETITION, PARTNER = "safe-online", "kinderschutz-demo"
# run-demo prints the demo accounts' passwords (random at every start): pass them here.
OPERATOR = ("operator@demo.example", os.environ.get("DEMO_OPERATOR_PASSWORD", ""))
PARTNER_USER = ("partner@demo.example", os.environ.get("DEMO_PARTNER_PASSWORD", ""))
OPERATOR_PAGES = {
    "dashboard-overview": "/dashboard/",
    "dashboard-petition": f"/dashboard/petitions/{PETITION}",
    "dashboard-breakdown": f"/dashboard/petitions/{PETITION}/breakdown",
    "dashboard-embed-codes": f"/dashboard/partners/{PARTNER}/embed?widget_lang=de",
    "dashboard-fraud": f"/dashboard/petitions/{PETITION}/fraud",
}
PARTNER_PAGES = {
    "dashboard-partner-view": f"/dashboard/petitions/{PETITION}",
}


def log_in(browser, base: str, account: tuple[str, str]):
    page = browser.new_page(viewport={"width": 1280, "height": 640})
    page.goto(f"{base}/dashboard/login")
    page.get_by_label("Email").fill(account[0])
    page.get_by_label("Password").fill(account[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/dashboard/")
    return page


def shoot(page, base: str, pages: dict[str, str]) -> None:
    for name, path in pages.items():
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / f"{name}.png", full_page=True)
        print(OUT / f"{name}.png")


def main() -> None:
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    OUT.mkdir(exist_ok=True)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        shoot(log_in(browser, base, OPERATOR), base, OPERATOR_PAGES)
        shoot(log_in(browser, base, PARTNER_USER), base, PARTNER_PAGES)
        browser.close()


if __name__ == "__main__":
    main()
