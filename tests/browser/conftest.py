"""Playwright (Python) driving Debian's Chromium against the local server and the fake
SiliconFlow. No browser is ever downloaded: /usr/bin/chromium is launched directly.

Every page a test opens is watched: a console error (CSP violations are console errors),
an uncaught exception, a failed request or an HTTP error answer fails the test, unless the
test said it expects that answer (`open_page(..., expected=((401, "/api/login"),))`)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from browser.ui_support import DESKTOP, Guard, launch_chromium, ready
from support import ADMIN_PASSWORD, admin_client

BASE_SETTINGS = {"strategy": "round_robin", "max_attempts": 3, "upstream_timeout_s": 120, "free_models": [],
                 "page_size": 12, "client_side_checking": False, "check_concurrency": 10, "check_interval_ms": 0,
                 "check_interval_min_ms": 0, "check_interval_max_ms": 0, "check_retries": 2, "check_timeout_s": 15,
                 "check_on_import": False}  # the pages' own checks are what these tests count


@pytest.fixture(scope="module")
def chromium():
    # Per module, not per session: Playwright's sync API keeps an event loop running while it is
    # open, and later suites that call asyncio.run() must not find one.
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def api(local_server, fake):
    """An admin API client on an empty pool, default settings, no running job, no request logs."""
    with admin_client(local_server.url) as client:
        for job in client.get("/api/jobs").json()["items"]:
            if job["state"] == "running":
                client.post(f"/api/jobs/{job['id']}/stop")
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        assert client.put("/api/settings", json=BASE_SETTINGS).status_code == 200
        assert client.delete("/api/logs").status_code == 200
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
