"""Helpers of the browser suite (and of the real-workerd smoke test's browser pass): launching
Debian's Chromium, the Guard that fails a test on console errors and failed requests, screenshots,
and axe-core. Fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from integration.balance_support import wait_job
from support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: the browser suite must run in CI (.ci/run installs Chromium)", pytrace=False)
    pytest.skip(what)


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; never a downloaded browser. Skips (fails in CI) without it."""
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


def checked_pool(api: Any, fake: Any, keys: list[str], kind: Any) -> None:
    """Import `keys`, make the fake answer each as `kind(i)` says ("invalid", "no_balance", or a
    balance for a valid key), then check them all and wait for the job."""
    for i, key in enumerate(keys):
        answer = kind(i)
        if answer in ("invalid", "no_balance"):
            fake.set_key(key, answer)
        else:
            fake.set_key(key, "ok", balance=answer)
    api.post("/api/keys", json={"keys": keys})
    wait_for_check(api, api.post("/api/keys/check", json={"all": True}).json()["job"])


def wait_for_check(api: Any, job: int, timeout: float = 30) -> None:
    wait_job(api, job, timeout)


def proxied(api: Any, server_url: str, client_key: str, models: list[str], timeout: float = 10) -> None:
    """A chat request through /v1 per model (as a client app sends them), then wait until each is logged."""
    import httpx

    before = api.get("/api/logs").json()["total"]
    for model in models:
        httpx.post(f"{server_url}/v1/chat/completions", headers={"authorization": f"Bearer {client_key}"},
                   json={"model": model, "messages": [{"role": "user", "content": "hello there"}]}, timeout=30)
    deadline = time.monotonic() + timeout
    while api.get("/api/logs").json()["total"] < before + len(models):
        assert time.monotonic() < deadline, "the requests were not logged"
        time.sleep(0.1)
