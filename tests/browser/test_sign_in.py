"""Signing in and out in a real browser: messages for a wrong password and the throttle,
the instructions when sign-in is off, the session surviving a reload, the way back after sign-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from support import ADMIN_PASSWORD, LocalServerProcess
from worker.conftest import WorkerHarness, harness_prerequisites


def sign_in(page, password: str) -> None:
    page.fill("#username", "admin")
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_wrong_password_shows_a_message_and_the_right_one_lands_on_admin(api, open_page):
    page = open_page("/", signed_in=False)
    page.guard.expect(401, "/api/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/$"))
    sign_in(page, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # the session survives a reload
    expect(page.locator(".user")).to_have_text("admin")


def test_signed_in_the_sign_in_page_goes_to_admin(api, open_page):
    page = open_page("/", wait=False)
    expect(page).to_have_url(re.compile(r"/admin$"))


def test_sign_out_ends_the_session_and_pages_send_back_to_sign_in_with_a_return_path(api, open_page):
    page = open_page("/keys")
    page.guard.expect(401, "/api/session")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/keys?status=valid")
    expect(page).to_have_url(re.compile(r"/\?next=%2Fkeys%3Fstatus%3Dvalid$"))
    sign_in(page, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/keys\?status=valid$"))
    expect(page.get_by_role("heading", name="Keys", exact=True)).to_be_visible()


def test_next_never_leads_off_the_site(api, open_page):
    page = open_page("/?next=//evil.example/x", signed_in=False)
    sign_in(page, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))


@pytest.fixture(scope="module")
def servers(tmp_path_factory, fake_siliconflow):
    """Servers of their own: a Worker without ADMIN_PASSWORD (the local server makes one up
    at its first start, so only the Worker can be without), one whose throttle the test trips."""
    reason = harness_prerequisites()
    if reason:
        pytest.skip(reason)
    off = WorkerHarness(tmp_path_factory.mktemp("sign-in-off"), env={"UPSTREAM_BASE_URL": fake_siliconflow.url})
    off.start()
    throttled = LocalServerProcess(tmp_path_factory.mktemp("sign-in-throttle")).start()
    try:
        yield {"off": off, "throttled": throttled}
    finally:
        off.stop()
        throttled.stop()


def test_without_admin_password_the_page_says_how_to_set_it(servers, open_page):
    page = open_page("/", signed_in=False, server=servers["off"])
    expect(page.get_by_role("heading", name="Sign-in is off")).to_be_visible()
    expect(page.get_by_text("npx wrangler secret put ADMIN_PASSWORD")).to_be_visible()
    expect(page.get_by_text("ADMIN_PASSWORD='…' scripts/serve.sh")).to_be_visible()
    assert page.locator("#password").count() == 0


def test_the_throttle_shows_as_a_wait(servers, open_page):
    page = open_page("/", signed_in=False, server=servers["throttled"])
    page.guard.expect(401, "/api/login")
    page.guard.expect(429, "/api/login")
    for _ in range(5):
        sign_in(page, "wrong")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, "wrong")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile(r"Too many failed sign-ins\. Try again in \d+ s\."))
    seconds = int(re.search(r"in (\d+) s", alert.inner_text()).group(1))
    assert 1 <= seconds <= 2  # a growing delay, starting small: the rightful admin is not locked out
    expect(page.locator("button[type=submit]")).to_be_disabled()
    expect(page.locator("button[type=submit]")).to_be_enabled(timeout=5000)  # the countdown ends
    sign_in(page, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
