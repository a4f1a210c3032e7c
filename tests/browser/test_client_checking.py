"""Client-side checking: with `client_side_checking` on, the browser asks SiliconFlow (the fake,
which answers CORS) about each key itself, at the chosen concurrency, posts the raw answers to
/api/keys/check-results, and shows the same panel; the server makes no upstream call."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from support import make_key


def pool(api, fake) -> dict[str, str]:
    kinds = {}
    for i in range(12):
        key = make_key(f"{i:02d}client")
        kinds[key] = "invalid" if i % 4 == 0 else "no_balance" if i % 4 == 1 else "ok"
        fake.set_key(key, kinds[key])
    api.post("/api/keys", json={"keys": list(kinds)})
    assert api.put("/api/settings", json={"client_side_checking": True}).status_code == 200
    return kinds


def run_in_browser(page, count: int, concurrency: str = "3"):
    page.get_by_role("button", name=re.compile(r"^Check all")).click()
    dialog = page.get_by_role("dialog", name=f"Check {count} keys")
    expect(dialog.get_by_text("Client-side checking is on")).to_be_visible()
    dialog.get_by_label("Concurrency").fill(concurrency)
    dialog.get_by_role("button", name=f"Check {count} keys").click()
    panel = page.locator(".job-panel")
    expect(panel.get_by_role("heading", name=re.compile("Check in this browser"))).to_be_visible()
    expect(panel.locator('[data-figure="percent"]')).to_have_text("100%", timeout=30_000)
    expect(panel).to_have_attribute("data-state", "done")
    return panel


def statuses(api) -> dict[str, int]:
    by_status: dict[str, int] = {}
    for item in api.get("/api/keys", params={"page_size": 100}).json()["items"]:
        by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    return by_status


def test_the_browser_checks_every_key_itself_and_the_server_applies_the_answers(api, fake, open_page):
    kinds = pool(api, fake)
    page = open_page("/keys", expected=((401, fake.url),))
    panel = run_in_browser(page, 12)
    for figure, count in (("valid", 6), ("invalid", 3), ("exhausted", 3), ("errors", 0)):
        expect(panel.locator(f'[data-figure="{figure}"]')).to_have_text(str(count))
    assert all(fake.count(key, "/v1/user/info") == 1 for key in kinds)  # once each, all from the browser
    assert statuses(api) == {"valid": 6, "invalid": 3, "exhausted": 3}
    balances = {item["balance"] for item in api.get("/api/keys", params={"status": "valid"}).json()["items"]}
    assert balances == {10.0}


def test_when_user_info_is_gone_the_browser_asks_models(api, fake, open_page):
    kinds = pool(api, fake)
    fake.configure(user_info_gone=True)
    page = open_page("/keys", expected=((401, fake.url), (410, fake.url)))
    panel = run_in_browser(page, 12, concurrency="1")
    expect(panel.locator('[data-figure="valid"]')).to_have_text("9")  # /v1/models cannot tell exhausted keys
    expect(panel.locator('[data-figure="invalid"]')).to_have_text("3")
    expect(panel.get_by_text("SiliconFlow no longer reports balances")).to_be_visible()
    assert all(fake.count(key, "/v1/models") == 1 for key in kinds)
    # after the first 410 the browser stops asking /v1/user/info (one key at a time here)
    assert sum(fake.count(key, "/v1/user/info") for key in kinds) == 1
    assert statuses(api) == {"valid": 9, "invalid": 3}
