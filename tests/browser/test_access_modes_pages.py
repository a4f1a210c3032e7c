"""Sharing the pool, in the browser: each access mode x {anonymous, guest, admin}, what each sees
at `/` and on the other pages and what each may do. (The API side, every route for every caller
with the guest principal too, is tests/integration/test_auth_matrix.py and test_access_modes.py.)
A server of its own: modes, guest sessions and the copy limit of one address stay here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser.ui_support import shoot, wait_for_check
from support import LocalServerProcess, admin_client, make_key

GUEST_PASSWORD = "guest-password-for-pages"
BALANCES = [f"{1 + i * 0.5}" for i in range(14)]  # 14 valid keys: more than a page of 12


@pytest.fixture(scope="module")
def shared(tmp_path_factory, fake_siliconflow):
    server = LocalServerProcess(tmp_path_factory.mktemp("sharing"), env={"UPSTREAM_BASE_URL": fake_siliconflow.url}).start()
    keys = [make_key(f"{i:02d}shared") for i in range(len(BALANCES) + 1)]
    fake_siliconflow.reset()
    for key, balance in zip(keys, BALANCES):
        fake_siliconflow.set_key(key, "ok", balance=balance)
    fake_siliconflow.set_key(keys[-1], "invalid")
    with admin_client(server.url) as api:
        api.post("/api/keys", json={"keys": keys})
        wait_for_check(api, api.post("/api/keys/check", json={"all": True}).json()["job"])
    yield server, keys
    server.stop()


@pytest.fixture
def mode(shared):
    """mode(access_mode, visitor_copy=False): the pool shared that way (a guest password set)."""
    server, _ = shared
    api = admin_client(server.url)

    def set_mode(access_mode: str, visitor_copy: bool = False) -> None:
        assert api.put("/api/settings", json={"access_mode": access_mode, "visitor_copy": visitor_copy}).status_code == 200
        assert api.put("/api/guest-password", json={"password": GUEST_PASSWORD}).status_code == 200

    yield set_mode
    api.put("/api/settings", json={"access_mode": "private", "visitor_copy": False})
    api.put("/api/guest-password", json={"password": None})
    api.close()


def visit(open_page, shared, path="/", who="anonymous", **options):
    server, _ = shared
    page = open_page(path, server=server, signed_in=who == "admin", **options)
    return page


def guest_sign_in(page, password=GUEST_PASSWORD) -> None:
    page.get_by_label("Guest password").fill(password)
    page.get_by_role("button", name="Enter").click()


def listed_keys(page) -> list[str]:
    return page.locator("table.shared-table tbody code.key").all_inner_texts()


def test_private_anyone_sees_only_the_sign_in(mode, shared, open_page):
    mode("private")
    page = visit(open_page, shared)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("table.shared-table")).to_have_count(0)
    docs = visit(open_page, shared, "/docs", wait=False)
    docs.wait_for_url(re.compile(r"/$"))
    expect(docs.get_by_role("heading", name="Sign in")).to_be_visible()
    keys = visit(open_page, shared, "/keys", wait=False, expected=((401, "/api/session"),))
    keys.wait_for_url(re.compile(r"/login\?next=%2Fkeys$"))
    admin = visit(open_page, shared, "/", who="admin", wait=False)
    admin.wait_for_url(re.compile(r"/admin$"))  # the admin goes on to the dashboard


def test_guest_mode_asks_visitors_for_the_guest_password(mode, shared, open_page):
    mode("guest")
    page = visit(open_page, shared, expected=((401, "/api/guest/login"),))
    expect(page.get_by_role("heading", name="This pool is shared with guests")).to_be_visible()
    expect(page.get_by_role("link", name="Admin sign-in")).to_have_attribute("href", "/login")
    shoot(page, "guest-sign-in-en-desktop")
    guest_sign_in(page, "not-the-guest-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong guest password.")
    expect(page.locator("table.shared-table")).to_have_count(0)
    guest_sign_in(page)
    expect(page.get_by_role("heading", name="Shared keys", exact=True)).to_be_visible()
    expect(page.locator("table.shared-table tbody tr")).to_have_count(12)
    assert all("..." in key for key in listed_keys(page))
    expect(page.locator("table.shared-table .icon-button")).to_have_count(0)  # copying is off
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)        # no admin navigation
    # a guest is no admin: admin pages send it to the admin sign-in
    page.guard.expect(401, "/api/session")
    page.goto("/logs")
    page.wait_for_url(re.compile(r"/login\?next=%2Flogs$"))
    page.goto("/docs")
    expect(page.get_by_role("heading", name="API docs")).to_be_visible()
    page.get_by_role("link", name="Shared keys").click()
    page.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("heading", name="This pool is shared with guests")).to_be_visible()


def test_guest_copies_go_through_the_api_and_are_rate_limited(mode, shared, open_page):
    server, keys = shared
    mode("guest", visitor_copy=True)
    page = visit(open_page, shared, expected=((429, "/copy"),))
    guest_sign_in(page)
    first = page.locator("table.shared-table tbody tr").first
    masked = first.locator("code.key").inner_text()
    first.get_by_role("button", name=f"Copy the full key {masked}").click()
    expect(page.locator(".notices")).to_contain_text(f"Key {masked} copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied in keys and f"{copied[:7]}...{copied[-4:]}" == masked
    for _ in range(12):  # at most 10 a minute per visitor
        first.get_by_role("button", name=f"Copy the full key {masked}").click()
    expect(page.locator(".notices")).to_contain_text("Too many copies. Try again in")
    with admin_client(server.url) as api:
        trail = api.get("/api/audit", params={"action": "public.copy"}).json()["items"]
    assert trail[0]["actor"] == "guest" and len(trail) >= 10


def test_the_admin_sees_the_shared_page_with_a_way_to_the_dashboard(mode, shared, open_page):
    mode("guest")
    page = visit(open_page, shared, who="admin")
    expect(page.get_by_role("heading", name="Shared keys", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(page.locator("table.shared-table .icon-button").first).to_be_visible()  # the admin may always copy


def test_open_mode_shows_anyone_the_keys_sorted_and_paged(mode, shared, open_page):
    server, _ = shared
    mode("open")
    page = visit(open_page, shared)
    with admin_client(server.url) as api:
        by_balance = api.get("/api/public/keys", params={"page_size": 100}).json()
    cards = page.locator(".cards .card-value").all_inner_texts()
    assert cards[:2] == [str(by_balance["summary"]["keys"]), str(by_balance["summary"]["valid"])]
    assert listed_keys(page) == [item["key"] for item in by_balance["items"][:12]]
    balances = page.locator("table.shared-table tbody .balance").all_inner_texts()
    assert balances[0] == "7.50" and balances[-1] == "2.00"  # highest first
    page.get_by_role("button", name="Balance").click()  # the other way round
    page.wait_for_function("() => document.querySelector('table.shared-table tbody .balance').textContent === '1.00'")
    expect(page).to_have_url(re.compile(r"order=asc"))
    page.get_by_role("button", name="Next").click()
    expect(page.locator("table.shared-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Added").click()
    expect(page.locator("table.shared-table tbody tr")).to_have_count(12)
    expect(page.locator("table.shared-table .icon-button")).to_have_count(0)
    expect(page.get_by_role("link", name="Admin sign-in")).to_be_visible()
    shoot(page, "shared-open-en-desktop")
    # a guest session means nothing in the open mode, and the public page is what anyone sees
    mode("open", visitor_copy=True)
    page.reload()
    expect(page.locator("table.shared-table .icon-button")).to_have_count(12)


def test_on_a_phone_the_shared_keys_sort_with_the_sort_choice(mode, shared, open_page):
    from browser.ui_support import PHONE, no_sideways_scroll

    mode("open")
    page = visit(open_page, shared, viewport=PHONE)
    expect(page.locator("table.shared-table thead")).to_be_hidden()  # cards: no column headers to click
    page.get_by_label("Sort").select_option("added-asc")
    page.wait_for_function("() => document.querySelector('table.shared-table tbody .balance').textContent === '1.00'")
    expect(page).to_have_url(re.compile(r"sort=added&order=asc"))
    assert no_sideways_scroll(page)
