"""Issue 14, item 6, in a real browser: the language switch of the 404 page at
``//evil.example/login`` keeps Chromium on the portal (before, its link was
``//evil.example/login?lang=en`` and a click landed on the other host)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn

from phancong.bootstrap import bootstrap
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.e2e.portal_server import free_port
from tests.portal_support import seed_ledger

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def portal_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, through=dt.date(2026, 3, 31), now=NOW)
    port = free_port()
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="b" * 40,  # type: ignore[arg-type]
                        portal_url=f"http://127.0.0.1:{port}")
    app = create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        factory.kw["bind"].dispose()


def test_language_switch_of_an_error_page_stays_on_the_portal(portal_url: str) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox"])
        try:
            page: Any = browser.new_page()
            left: list[str] = []
            page.on("request", lambda r: left.append(r.url)
                    if urlsplit(r.url).hostname != "127.0.0.1" else None)
            response = page.goto(f"{portal_url}//evil.example/login")
            assert response is not None and response.status == 404
            page.click("#lang-switch")
            page.wait_for_load_state()
            landed = urlsplit(page.url)
            assert landed.hostname == "127.0.0.1", page.url
            assert landed.path == "//evil.example/login"
            assert parse_qs(landed.query) == {"lang": ["en"]}
            assert page.locator("html").get_attribute("lang") == "en"
            assert left == [], left
        finally:
            browser.close()
