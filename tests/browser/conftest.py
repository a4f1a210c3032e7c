"""Playwright (Python) driving Debian's Chromium against the local server and the fake
SiliconFlow. No browser is ever downloaded: /usr/bin/chromium is launched directly.

Every page a test opens is watched: a console error (CSP violations are console errors),
an uncaught exception, a failed request or an HTTP error answer fails the test, unless the
test said it expects that answer (`page.guard.expect(401, "/api/login")`)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from support import ADMIN_PASSWORD, ROOT, admin_client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = ROOT / "test-output" / "screenshots"
BASE_SETTINGS = {"strategy": "round_robin", "max_attempts": 3, "upstream_timeout_s": 120, "free_models": [],
                 "page_size": 12, "client_side_checking": False, "check_concurrency": 10, "check_interval_ms": 0,
                 "check_interval_min_ms": 0, "check_interval_max_ms": 0, "check_retries": 2, "check_timeout_s": 15}


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: the browser suite must run in CI (.ci/run installs Chromium)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Guard:
    """What went wrong on a page: console errors, page errors, failed requests, HTTP errors."""

    expected: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def expect(self, status: int, url_part: str) -> None:
        self.expected.append((status, url_part))

    def _expected(self, status: int, url: str) -> bool:
        return any(status == want and part in url for want, part in self.expected)

    def console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        # Chromium logs every HTTP error answer as "Failed to load resource"; those are judged by status.
        if message.text.startswith("Failed to load resource") and re.search(r"status of (\d+)", message.text):
            status = int(re.search(r"status of (\d+)", message.text).group(1))
            if self._expected(status, url):
                return
        self.problems.append(f"console error: {message.text} ({url})")

    def response(self, response: Any) -> None:
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.problems.append(f"HTTP {response.status} from {response.request.method} {response.url}")

    def request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure:  # a fetch cut short by leaving the page, or a stopped check
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught error in the page: {error}")

    def attach(self, page: Any) -> None:
        page.on("console", self.console)
        page.on("response", self.response)
        page.on("requestfailed", self.request_failed)
        page.on("pageerror", self.page_error)
        page.on("dialog", lambda dialog: (self.problems.append(f"a JS dialog opened: {dialog.message}"),
                                          dialog.dismiss()))


@pytest.fixture
def api(local_server, fake):
    """An admin API client on an empty pool, default settings, no running job."""
    with admin_client(local_server.url) as client:
        for job in client.get("/api/jobs").json()["items"]:
            if job["state"] == "running":
                client.post(f"/api/jobs/{job['id']}/stop")
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        assert client.put("/api/settings", json=BASE_SETTINGS).status_code == 200
        yield client


@pytest.fixture
def open_page(chromium, local_server) -> Callable[..., Any]:
    """open_page(path, locale=, viewport=, signed_in=, expected=((404, "/x"),)) -> a watched Playwright page."""
    contexts, guards = [], []

    def open_it(path: str = "/admin", *, locale: str = "en-US", viewport: dict = DESKTOP, signed_in: bool = True,
                server: Any = None, wait: bool = True, expected: tuple[tuple[int, str], ...] = ()) -> Any:
        base = (server or local_server).url
        context = chromium.new_context(base_url=base, locale=locale, viewport=viewport,
                                       accept_downloads=True, permissions=["clipboard-read", "clipboard-write"])
        contexts.append(context)
        if signed_in:
            response = context.request.post("/api/login", data={"username": "admin", "password": ADMIN_PASSWORD})
            assert response.ok, response.text()
        page = context.new_page()
        page.guard = Guard(expected=list(expected))
        guards.append(page.guard)
        page.guard.attach(page)
        if path:
            page.goto(path)
            if wait:
                ready(page)
        return page

    yield open_it
    for context in contexts:
        context.close()
    problems = [problem for guard in guards for problem in guard.problems]
    assert not problems, "the browser saw problems:\n" + "\n".join(problems)


def ready(page: Any) -> None:
    """The page rendered (the app replaced its placeholder) and no request is in flight."""
    page.wait_for_function("() => document.querySelector('#app > *:not(noscript)') !== null")
    page.wait_for_load_state("networkidle")


def shoot(page: Any, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now. axe is test-only: it is
    evaluated through the DevTools protocol, so the page's own CSP stays as strict as it is."""
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: npm ci")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                           " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def chromium_present() -> bool:
    return CHROMIUM.exists() and shutil.which("node") is not None
