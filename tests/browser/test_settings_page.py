"""The settings page in a real browser: a changed page size changes the keys page, a refused
value shows the API's message by its field, a setting the page does not know yet still shows,
the test alert reaches the webhook, a password change ends the other sessions (their next call
gets 401) while this one goes on and the new password signs in, and backups download and restore."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from browser.ui_support import ready, shoot
from integration.balance_support import WebhookReceiver
from support import ADMIN_PASSWORD, LocalServerProcess, make_key

NEW_PASSWORD = "a-new-admin-password"


def save(page, group: str) -> None:
    page.locator(f"[data-group={group}]").get_by_role("button", name="Save").click()


def test_a_changed_page_size_changes_the_keys_page(api, open_page):
    api.post("/api/keys", json={"keys": [make_key(f"{i:02d}size") for i in range(30)]})
    page = open_page("/settings")
    page.locator("#setting-check_retries").fill("5")  # an edit in another panel, not saved yet
    page.get_by_label("Keys per page").select_option("24")
    save(page, "sharing")
    expect(page.locator(".notices")).to_contain_text("Sharing and display: saved")
    assert api.get("/api/settings").json()["page_size"] == 24
    expect(page.locator("#setting-check_retries")).to_have_value("5")  # still there, still unsaved
    assert api.get("/api/settings").json()["check_retries"] == 2
    page.goto("/keys")
    ready(page)
    expect(page.locator("table.keys-table tbody tr")).to_have_count(24)
    expect(page.get_by_label("Per page")).to_have_value("24")


def test_a_refused_value_shows_the_apis_message_by_its_field(api, open_page):
    page = open_page("/settings", expected=((400, "/api/settings"),))
    field = page.locator("#setting-max_attempts")
    field.fill("99")
    save(page, "pool")
    message = page.locator("#setting-max_attempts-error")
    expect(message).to_have_text("max_attempts must be between 1 and 10")  # the API's words
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "setting-max_attempts-error" in field.get_attribute("aria-describedby")
    assert api.get("/api/settings").json()["max_attempts"] == 3  # nothing saved
    shoot(page, "settings-en-desktop-refused", full_page=False)
    field.fill("4")
    save(page, "pool")
    expect(message).to_have_count(0)
    assert api.get("/api/settings").json()["max_attempts"] == 4
    api.put("/api/settings", json={"max_attempts": 3})


def test_every_setting_shows_and_an_unknown_one_goes_under_other(api, open_page):
    values = api.get("/api/settings").json()
    page = open_page(None)

    def with_a_future_setting(route):  # the API of a later version, with a setting this page does not know
        answer = route.fetch()
        body = answer.json()
        body.update({"future_knob": 7} if route.request.url.endswith("/api/settings") else
                    {"future_knob": {"type": "int", "default": 5, "min": 1, "max": 9}})
        route.fulfill(response=answer, body=json.dumps(body), headers={**answer.headers, "content-type": "application/json"})

    page.route("**/api/settings", with_a_future_setting)
    page.route("**/api/settings/schema", with_a_future_setting)
    page.goto("/settings")
    ready(page)
    for name in values:
        expect(page.locator(f"[data-setting={name}]")).to_have_count(1)
    other = page.locator("[data-group=other]")
    expect(other.get_by_role("heading")).to_have_text("Other")
    expect(other.locator("#setting-future_knob")).to_have_value("7")
    expect(other).to_contain_text("From 1 to 9.")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory, fake_siliconflow):
    """A server of its own: its admin password changes, and its webhooks may go to loopback."""
    server = LocalServerProcess(tmp_path_factory.mktemp("settings-page"), env={
        "UPSTREAM_BASE_URL": fake_siliconflow.url, "ALLOW_PRIVATE_WEBHOOKS": "1"}).start()
    yield server
    server.stop()


def test_the_test_alert_button_reaches_the_webhook(own_server, open_page):
    with WebhookReceiver() as hook:
        page = open_page("/settings", server=own_server)
        page.get_by_label("Webhook URL").fill(f"{hook.url}/alerts")
        save(page, "alerts")
        expect(page.locator(".notices")).to_contain_text("Alerts: saved")
        page.get_by_role("button", name="Send a test alert").click()
        expect(page.locator("[data-alert-result]")).to_have_text("Sent: the webhook answered 200.")
        assert [post["path"] for post in hook.posts] == ["/alerts"]
        hook.status = 500
        page.get_by_role("button", name="Send a test alert").click()
        expect(page.locator("[data-alert-result]")).to_contain_text("Not sent")


def test_a_password_change_ends_the_other_sessions_and_the_new_one_signs_in(own_server, open_page, chromium):
    other = chromium.new_context(base_url=own_server.url)
    try:
        assert other.request.post("/api/login", data={"username": "admin", "password": ADMIN_PASSWORD}).ok
        assert other.request.get("/api/keys").status == 200
        page = open_page("/settings", server=own_server)
        page.guard.expect(403, "/api/account/password")
        page.get_by_label("Current password").fill("not-the-password")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.locator("#password-current-error")).to_have_text("The current password is wrong.")
        page.get_by_label("Current password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".notices")).to_contain_text("Password changed")
        assert other.request.get("/api/keys").status == 401  # the other session has ended
        save_button = page.locator("[data-group=pool]").get_by_role("button", name="Save")
        page.locator("#setting-max_attempts").fill("5")
        save_button.click()  # this session goes on, with its fresh CSRF token
        expect(page.locator(".notices")).to_contain_text("Pool and failover: saved")
        fresh = chromium.new_context(base_url=own_server.url)
        assert fresh.request.post("/api/login", data={"username": "admin", "password": ADMIN_PASSWORD}).status == 401
        assert fresh.request.post("/api/login", data={"username": "admin", "password": NEW_PASSWORD}).ok
        fresh.close()
    finally:
        other.close()
        with httpx.Client(base_url=own_server.url, timeout=30) as client:  # back to the password the suite knows
            signed = client.post("/api/login", json={"username": "admin", "password": NEW_PASSWORD})
            if signed.status_code == 200:
                client.post("/api/account/password", json={"current": NEW_PASSWORD, "new": ADMIN_PASSWORD},
                            headers={"x-csrf-token": signed.json()["csrf_token"]})


def test_a_backup_downloads_and_restores(api, open_page, tmp_path):
    keys = [make_key(f"{i}backuppage") for i in range(4)]
    api.post("/api/keys", json={"keys": keys})
    page = open_page("/settings")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download backup").click()
    text = open(download.value.path(), encoding="utf-8").read()
    document = json.loads(text)
    assert document["end"]["keys"] == 4 and all(key in text for key in keys)
    api.post("/api/keys/delete", json={"all": True})
    backup = tmp_path / "pool.json"
    backup.write_text(json.dumps(document), encoding="utf-8")
    page.get_by_label("Backup file (.json)").set_input_files(str(backup))
    page.get_by_role("button", name="Restore").click()
    result = page.locator("[data-restore-result]")
    expect(result).to_contain_text("Restored")
    expect(result.locator("tbody tr").first).to_contain_text("4")
    assert api.get("/api/keys").json()["total"] == 4
    page.get_by_label("Replace: the pool becomes the backup").check()
    page.get_by_role("button", name="Restore").click()
    dialog = page.get_by_role("dialog", name="Replace the pool")
    expect(dialog).to_contain_text("pool.json")
    shoot(page, "dialog-restore-replace-en-desktop", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
