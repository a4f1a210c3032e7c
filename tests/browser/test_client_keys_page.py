"""The client keys page in a real browser: a created key is shown once (with a copy button) and
works with the openai SDK; disabled from the page, it is refused; edits and refused values show
the API's answer; deleting asks first; names render as text."""

from __future__ import annotations

import openai
import pytest
from playwright.sync_api import expect

from browser.ui_support import checked_pool, shoot
from support import make_key

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def served(api, fake):
    checked_pool(api, fake, [make_key(f"{i}ckpage") for i in range(2)], lambda i: "5")


def chat(server, key: str, model: str = "deepseek-ai/DeepSeek-V3") -> str:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello"}])
    return reply.choices[0].message.content


def test_a_new_key_is_shown_once_works_and_is_refused_once_disabled(api, served, open_page, local_server):
    page = open_page("/client-keys")
    page.get_by_role("button", name="Create client key").first.click()
    dialog = page.get_by_role("dialog", name="Create client key")
    dialog.get_by_label("Name").fill(f"friend {XSS}")
    dialog.get_by_label("Allowed models").fill("deepseek-ai/DeepSeek-V3\nQwen/Qwen2.5-7B-Instruct")
    dialog.get_by_label("Requests per minute").fill("30")
    shoot(page, "dialog-client-key-create-en-desktop", full_page=False)
    dialog.get_by_role("button", name="Create", exact=True).click()
    shown = page.get_by_role("dialog", name="Client key created")
    key = shown.locator("[data-new-key]").inner_text()
    assert key.startswith("sk-kp-") and len(key) == 46
    shoot(page, "dialog-client-key-created-en-desktop", full_page=False)
    shown.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == key
    shown.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert key not in page.content()  # shown once: nowhere on the page any more
    row = page.locator("table.client-keys-table tbody tr").filter(has_text="friend")
    expect(row.locator(".client-name")).to_have_text(f"friend {XSS}")  # text, not markup
    assert page.locator("img[src=x]").count() == 0
    expect(row).to_contain_text(f"{key[:9]}...{key[-4:]}")
    item = next(i for i in api.get("/api/client-keys").json()["items"] if i["name"] == f"friend {XSS}")
    assert (item["models"], item["rpm_limit"], item["expires_at"]) == (
        ["deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-7B-Instruct"], 30, None)

    assert chat(local_server, key)  # the openai SDK, as a friend's app would call
    with pytest.raises(openai.PermissionDeniedError):
        chat(local_server, key, model="some-other-model")  # not on its list

    row.get_by_role("button", name=f"Disable friend {XSS}").click()
    expect(row.locator(".badge")).to_have_text("Disabled")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        chat(local_server, key)
    assert refused.value.status_code == 403 and "disabled" in str(refused.value)
    row.get_by_role("button", name=f"Enable friend {XSS}").click()
    expect(row.locator(".badge")).to_have_text("Active")
    assert chat(local_server, key)


def test_editing_shows_the_apis_message_and_saves(api, open_page):
    created = api.post("/api/client-keys", json={"name": "editable"}).json()
    page = open_page("/client-keys", expected=((400, "/api/client-keys/"),))
    row = page.locator(f"[data-client-key='{created['id']}']")
    row.get_by_role("button", name="Edit editable").click()
    dialog = page.get_by_role("dialog", name="Edit editable")
    dialog.get_by_label("Request quota").fill("-5")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("#ck-request_quota-error")).to_contain_text("request_quota must be between 0 and")
    dialog.get_by_label("Request quota").fill("1000")
    dialog.get_by_label("Token quota").fill("50000")
    dialog.get_by_label("Expires").fill("2030-01-02T03:04")
    dialog.get_by_label("May fetch an upstream key").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    item = next(i for i in api.get("/api/client-keys").json()["items"] if i["id"] == created["id"])
    assert (item["request_quota"], item["token_quota"], item["allow_upstream_key"]) == (1000, 50000, True)
    expires = page.evaluate("() => new Date('2030-01-02T03:04').getTime() / 1000")
    assert item["expires_at"] == expires
    expect(row).to_contain_text("1,000")
    expect(row).to_contain_text("may fetch upstream keys")


def test_deleting_asks_first(api, open_page):
    created = api.post("/api/client-keys", json={"name": "to delete"}).json()
    page = open_page("/client-keys")
    row = page.locator(f"[data-client-key='{created['id']}']")
    row.get_by_role("button", name="Delete to delete").click()
    dialog = page.get_by_role("dialog", name="Delete client key")
    expect(dialog).to_contain_text("to delete")
    dialog.get_by_role("button", name="Cancel").click()
    assert any(i["id"] == created["id"] for i in api.get("/api/client-keys").json()["items"])
    row.get_by_role("button", name="Delete to delete").click()
    page.get_by_role("dialog", name="Delete client key").get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert not any(i["id"] == created["id"] for i in api.get("/api/client-keys").json()["items"])
