"""The API docs in a real browser: this deployment's own URL, copy buttons that copy exactly the
examples shown (and the copied curl and Python examples work against this pool), the admin API
for the admin only, and visitors let in by the access mode see the docs without admin parts."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from browser.ui_support import checked_pool
from support import make_key

EXAMPLES = ("docs-curl", "docs-python", "docs-javascript", "docs-anthropic", "docs-upstream", "docs-admin-token")


def copied(page, example: str) -> str:
    section = page.locator(f"[data-example={example}]")
    section.get_by_role("button", name="Copy").click()
    text = page.evaluate("navigator.clipboard.readText()")
    assert text == section.locator("pre code").inner_text(), example
    return text


def test_the_docs_show_this_deployments_url_and_copy_working_examples(api, fake, open_page, local_server):
    checked_pool(api, fake, [make_key("docsok")], lambda i: "3")
    key = api.post("/api/client-keys", json={"name": "docs"}).json()["key"]
    page = open_page("/docs")
    expect(page.locator("[data-base-url]")).to_have_text(f"{local_server.url}/v1")
    texts = {example: copied(page, example) for example in EXAMPLES}
    assert all(local_server.url in text for text in texts.values())
    assert f'base_url="{local_server.url}"' in texts["docs-anthropic"]  # the SDK adds /v1/messages itself
    expect(page.locator("#endpoints-v1")).to_contain_text("/v1/messages")
    expect(page.locator("#endpoints-admin")).to_contain_text("/api/logs/export")

    curl = texts["docs-curl"].replace("$CLIENT_KEY", key)
    answer = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0 and '"choices"' in answer.stdout, answer.stderr
    python = texts["docs-python"].replace("sk-kp-...", key)
    ran = subprocess.run([sys.executable, "-c", python], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and ran.stdout.strip(), ran.stderr


@pytest.fixture
def open_mode(api):
    assert api.put("/api/settings", json={"access_mode": "open"}).status_code == 200
    yield
    assert api.put("/api/settings", json={"access_mode": "private"}).status_code == 200


def test_visitors_let_in_see_the_docs_without_the_admin_parts(open_mode, open_page, local_server):
    page = open_page("/docs", signed_in=False)
    expect(page.locator("[data-base-url]")).to_have_text(f"{local_server.url}/v1")
    expect(page.locator("[data-example=docs-python]")).to_be_visible()
    expect(page.locator("#endpoints-admin")).to_have_count(0)
    expect(page.locator("[data-example=docs-admin-token]")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)  # no admin navigation
    expect(page.get_by_role("link", name="Admin sign-in")).to_be_visible()
    expect(page.get_by_text("ask the pool's admin for one")).to_be_visible()
    copied(page, "docs-curl")


def test_a_private_pool_sends_visitors_to_the_sign_in(api, open_page):
    page = open_page("/docs", signed_in=False, wait=False)
    page.wait_for_url(f"**/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("[data-example]")).to_have_count(0)
