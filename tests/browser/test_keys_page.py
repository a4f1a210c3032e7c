"""The keys page in a real browser against the local server and the fake SiliconFlow:
import (textarea, .txt, chunks), the table against the API's answer for the same query,
selection across pages, bulk checks with the job panel, stop, re-attach, export, copy."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from browser.ui_support import PHONE, checked_pool, no_sideways_scroll, ready, shoot, wait_for_check
from support import make_key

TABLE_ROWS = "table.keys-table tbody tr"


def numbered_keys(n: int, tag: str = "k", start: int = 0) -> list[str]:
    """Keys whose masked form differs (it shows the first 7 characters)."""
    return [make_key(f"{i:04d}{tag}") for i in range(start, start + n)]


def shown_keys(page) -> list[str]:
    return page.locator(f"{TABLE_ROWS} code.key").all_inner_texts()


def api_keys(api, **params) -> list[str]:
    response = api.get("/api/keys", params={"page_size": 12, "sort": "added", "order": "desc", **params})
    return [item["key"] for item in response.json()["items"]]


def wait_until_shown(page, expected: list[str]) -> None:
    page.wait_for_function("(want) => JSON.stringify([...document.querySelectorAll("
                           "'table.keys-table tbody code.key')].map(e => e.textContent)) === JSON.stringify(want)",
                           arg=expected, timeout=10_000)


def open_import(page):
    page.get_by_role("button", name="Add keys").first.click()
    return page.get_by_role("dialog", name="Add keys")


def paste(field, text: str) -> None:
    """What a paste does: the whole text at once, one input event (Playwright's fill types it, slowly)."""
    field.evaluate("(el, text) => { el.value = text; el.dispatchEvent(new Event('input', {bubbles: true})); }", text)


def summary(dialog) -> tuple[int, int, int]:
    expect(dialog.get_by_text("Import finished")).to_be_visible(timeout=60_000)
    return tuple(int(dialog.locator(f'[data-count="{name}"]').inner_text().replace(",", ""))
                 for name in ("added", "duplicates", "invalid"))


# --- import ------------------------------------------------------------------------------------

def test_import_250_through_the_textarea_and_a_txt_file_shows_the_exact_summary(api, open_page, tmp_path):
    typed = numbered_keys(125, "t")
    uploaded = numbered_keys(105, "u") + typed[:20]  # 20 already in the textarea: duplicates
    text = "\n".join(typed + typed[:5] + ["sk-short", "not a key"])
    file = tmp_path / "keys.txt"
    file.write_text(", ".join(uploaded + ["sk-bad!", "sk-x", "garbage"]), encoding="utf-8")
    page = open_page("/keys")
    dialog = open_import(page)
    dialog.get_by_label("Keys", exact=True).fill(text)
    dialog.get_by_label("Or upload .txt files").set_input_files(str(file))
    expect(dialog.get_by_text("262 entries to send")).to_be_visible()
    dialog.get_by_role("button", name="Add", exact=True).click()
    assert summary(dialog) == (230, 25, 7)  # "not a key" is three tokens
    samples = dialog.locator(".samples li").all_inner_texts()
    assert len(samples) == 5 and all("*" in s or "..." in s for s in samples)  # masked
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 230
    dialog.get_by_role("button", name="Done").click()
    wait_until_shown(page, api_keys(api))


def test_a_big_import_goes_in_chunks_and_sums_them_exactly(api, open_page):
    keys = numbered_keys(4500, "b")
    lines = keys[:2500] + [keys[0]] + keys[2500:] + ["sk-nope"]  # a repeat in the second chunk
    page = open_page("/keys")
    posts = []
    page.on("request", lambda r: posts.append(len(r.post_data or "")) if r.method == "POST"
            and r.url.endswith("/api/keys") else None)
    dialog = open_import(page)
    paste(dialog.get_by_label("Keys", exact=True), "\n".join(lines))
    dialog.get_by_role("button", name="Add", exact=True).click()
    assert summary(dialog) == (4500, 1, 1)
    assert len(posts) == 3 and max(posts) < 200_000  # 2,000 lines a request
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 4500


def test_100k_keys_import_through_the_page(api, open_page):
    keys = [f"sk-{i:06d}{'h' * 42}" for i in range(100_000)]
    page = open_page("/keys")
    dialog = open_import(page)
    started = time.monotonic()
    paste(dialog.get_by_label("Keys", exact=True), "\n".join(keys))
    dialog.get_by_role("button", name="Add", exact=True).click()
    assert summary(dialog) == (100_000, 0, 0)
    print(f"\n[browser] 100k keys imported through the page in {time.monotonic() - started:.1f}s (50 requests)")
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 100_000


# --- the table ---------------------------------------------------------------------------------

@pytest.fixture
def mixed_pool(api, fake):
    """40 checked keys: 25 valid with balances 1..25, 8 invalid, 7 exhausted; names alpha/beta for search."""
    keys = numbered_keys(40, "alpha")[:20] + numbered_keys(20, "beta", start=20)
    checked_pool(api, fake, keys, lambda i: "invalid" if i % 5 == 1 else "no_balance" if i % 6 == 2
                 else f"{(i * 7) % 23 + 1}.5")
    return keys


def test_filter_search_sort_and_pages_show_what_the_api_returns(api, mixed_pool, open_page):
    page = open_page("/keys")
    wait_until_shown(page, api_keys(api))
    page.get_by_role("button", name=re.compile(r"^Valid\b")).click()
    wait_until_shown(page, api_keys(api, status="valid"))
    expect(page).to_have_url(re.compile(r"/keys\?status=valid$"))
    page.locator("th button", has_text="Balance").click()
    wait_until_shown(page, api_keys(api, status="valid", sort="balance", order="desc"))
    page.locator("th button", has_text="Balance").click()
    wait_until_shown(page, api_keys(api, status="valid", sort="balance", order="asc"))
    expect(page.locator("th", has_text="Balance")).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("button", name=re.compile(r"^Next$")).click()
    wait_until_shown(page, api_keys(api, status="valid", sort="balance", order="asc", page=2))
    page.reload()
    ready(page)
    wait_until_shown(page, api_keys(api, status="valid", sort="balance", order="asc", page=2))
    page.go_back()
    wait_until_shown(page, api_keys(api, status="valid", sort="balance", order="asc"))
    page.get_by_role("button", name=re.compile(r"^All\b")).click()
    page.get_by_label("Search keys").fill("beta")
    wait_until_shown(page, api_keys(api, q="beta", sort="balance", order="asc"))
    page.get_by_label("Per page").select_option("24")
    wait_until_shown(page, api_keys(api, q="beta", sort="balance", order="asc", page_size=24))
    expect(page).to_have_url(re.compile(r"q=beta.*page_size=24"))
    for column, sort in (("Last checked", "checked"), ("Status", "status"), ("Requests", "requests"), ("Key", "key")):
        page.locator("th button", has_text=column).click()
        wait_until_shown(page, api_keys(api, q="beta", sort=sort, order="desc", page_size=24))


def test_on_a_phone_the_keys_sort_by_every_column_with_the_sort_choice(api, mixed_pool, open_page):
    page = open_page("/keys", viewport=PHONE)
    wait_until_shown(page, api_keys(api))
    expect(page.locator("table.keys-table thead")).to_be_hidden()  # cards: no column headers to click
    choice = page.get_by_label("Sort")
    expect(choice).to_have_value("added-desc")
    assert len(choice.locator("option").all()) == 16  # 8 columns, both ways
    for column, sort in (("Balance", "balance"), ("Last checked", "checked"), ("Requests", "requests")):
        choice.select_option(label=f"{column}, ascending")
        wait_until_shown(page, api_keys(api, sort=sort, order="asc"))
        expect(page).to_have_url(re.compile(rf"sort={sort}&order=asc"))
    page.reload()
    ready(page)
    expect(page.get_by_label("Sort")).to_have_value("requests-asc")
    assert no_sideways_scroll(page)


def test_unknown_balances_show_as_unknown_with_the_reason_never_as_zero(api, fake, open_page):
    checked_gone, never = numbered_keys(2, "unk")
    api.post("/api/keys", json={"keys": [checked_gone, never]})
    fake.configure(user_info_gone=True)
    first = api.get("/api/keys", params={"q": checked_gone[:12]}).json()["items"][0]
    api.post(f"/api/keys/{first['id']}/check")
    page = open_page("/keys")
    rows = page.locator(TABLE_ROWS)
    expect(rows.filter(has_text="SiliconFlow did not report it")).to_have_count(1)
    expect(rows.filter(has_text="never checked")).to_have_count(1)
    assert "0.00" not in page.locator("table.keys-table").inner_text()


# --- selection and checks ----------------------------------------------------------------------

def select_rows(page, count: int) -> list[str]:
    boxes = page.locator(f"{TABLE_ROWS} input[type=checkbox]")
    chosen = []
    for i in range(count):
        boxes.nth(i).check()
        chosen.append(page.locator(f"{TABLE_ROWS} code.key").nth(i).inner_text())
    return chosen


def test_select_across_pages_then_a_bulk_check_reaches_100_percent_with_the_fakes_counts(api, fake, open_page):
    keys = numbered_keys(30, "sel")
    behaviour = {key: ("invalid" if i % 4 == 0 else "no_balance" if i % 4 == 1 else "ok") for i, key in enumerate(keys)}
    for key, kind in behaviour.items():
        fake.set_key(key, kind)
    api.post("/api/keys", json={"keys": keys})
    page = open_page("/keys")
    chosen = select_rows(page, 12)
    page.get_by_role("button", name=re.compile(r"^Next$")).click()
    wait_until_shown(page, api_keys(api, page=2))
    chosen += select_rows(page, 5)
    expect(page.locator("[data-selected]")).to_have_text("17 selected")
    page.get_by_role("region", name="Selected keys").get_by_role("button", name="Check").click()
    dialog = page.get_by_role("dialog", name="Check 17 keys")
    dialog.get_by_label("Concurrency").fill("4")
    dialog.get_by_role("button", name="Check 17 keys").click()
    panel = page.locator(".job-panel")
    expect(panel.locator('[data-figure="percent"]')).to_have_text("100%", timeout=30_000)
    expect(panel).to_have_attribute("data-state", "done")
    full = {f"{k[:7]}...{k[-4:]}": k for k in keys}
    picked = [full[m] for m in chosen]
    want = {"valid": sum(behaviour[k] == "ok" for k in picked), "invalid": sum(behaviour[k] == "invalid" for k in picked),
            "exhausted": sum(behaviour[k] == "no_balance" for k in picked)}
    for name, count in want.items():
        expect(panel.locator(f'[data-figure="{name}"]')).to_have_text(str(count))
    expect(panel.locator('[data-figure="done"]')).to_have_text("17 / 17")
    shoot(page, "keys-job-done-en-desktop")
    assert {k for k in keys if fake.count(k, "/v1/user/info")} == set(picked)  # exactly the selection, once each
    assert all(fake.count(k, "/v1/user/info") == 1 for k in picked)


def test_select_all_matching_selects_every_key_of_the_filter(api, fake, open_page):
    api.post("/api/keys", json={"keys": numbered_keys(30, "all")})
    page = open_page("/keys")
    page.locator(f"{TABLE_ROWS} input[type=checkbox]").first.check()
    page.get_by_role("button", name="Select all 30 matching").click()
    expect(page.locator("[data-selected]")).to_have_text("30 selected")


def start_slow_check(api, fake, page, count: int):
    fake.configure(latency_ms=400)
    api.put("/api/settings", json={"check_concurrency": 1})
    page.get_by_role("button", name=re.compile(r"^Check all")).click()
    dialog = page.get_by_role("dialog", name=f"Check {count} keys")
    dialog.get_by_role("button", name=f"Check {count} keys").click()
    panel = page.locator(".job-panel")
    expect(panel).to_have_attribute("data-state", "running")
    return panel


def test_stop_a_running_job(api, fake, open_page):
    api.post("/api/keys", json={"keys": numbered_keys(40, "stop")})
    page = open_page("/keys")
    panel = start_slow_check(api, fake, page, 40)
    shoot(page, "keys-job-running-en-desktop", full_page=False)
    panel.get_by_role("button", name="Stop").click()
    expect(panel).to_have_attribute("data-state", "stopped", timeout=15_000)
    job = api.get("/api/jobs").json()["items"][0]
    assert job["state"] == "stopped" and job["done"] < 40


def test_a_reload_during_a_job_reattaches_the_panel(api, fake, open_page):
    api.post("/api/keys", json={"keys": numbered_keys(12, "reload")})
    page = open_page("/keys")
    start_slow_check(api, fake, page, 12)
    job_id = api.get("/api/jobs").json()["items"][0]["id"]
    page.reload()
    panel = page.locator(".job-panel")
    expect(panel.get_by_role("heading", name=re.compile(f"Check job #{job_id}"))).to_be_visible()
    expect(panel).to_have_attribute("data-state", "running")
    fake.configure(latency_ms=0)
    expect(panel.locator('[data-figure="percent"]')).to_have_text("100%", timeout=30_000)
    expect(panel.locator('[data-figure="done"]')).to_have_text("12 / 12")


def test_check_one_key_now(api, fake, open_page):
    (key,) = numbered_keys(1, "one")
    fake.set_key(key, "invalid")
    api.post("/api/keys", json={"keys": [key]})
    page = open_page("/keys")
    page.get_by_role("button", name=re.compile(r"^Check now: sk-")).click()
    expect(page.locator(f"{TABLE_ROWS} .badge")).to_have_text("Invalid")
    assert fake.count(key, "/v1/user/info") == 1


def test_delete_invalid_keys_confirms_with_the_count(api, fake, open_page):
    keys = numbered_keys(5, "del")
    for key in keys[:3]:
        fake.set_key(key, "invalid")
    api.post("/api/keys", json={"keys": keys})
    wait_for_check(api, api.post("/api/keys/check", json={"all": True}).json()["job"])
    page = open_page("/keys")
    page.get_by_role("button", name="Delete invalid keys").click()
    dialog = page.get_by_role("dialog", name="Delete invalid keys")
    expect(dialog).to_contain_text("Delete 3 keys from the pool?")
    dialog.get_by_role("button", name="Delete 3 keys").click()
    expect(page.get_by_text("3 keys deleted")).to_be_visible()
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 2


# --- export and copy -----------------------------------------------------------------------------

def test_export_with_a_custom_separator_copies_and_downloads_exactly_the_selection(api, open_page):
    keys = numbered_keys(20, "exp")
    api.post("/api/keys", json={"keys": keys})
    page = open_page("/keys")
    chosen = select_rows(page, 4)
    full = {f"{k[:7]}...{k[-4:]}": k for k in keys}
    expected = [full[m] for m in sorted(chosen)]  # exports run in id (added) order; these were added in name order
    page.get_by_role("region", name="Selected keys").get_by_role("button", name="Export").click()
    dialog = page.get_by_role("dialog", name="Export keys")
    expect(dialog.get_by_label("The selection (4)")).to_be_checked()
    dialog.get_by_label("Separator").select_option("custom")
    dialog.get_by_label("Custom separator").fill(" ## ")
    expect(dialog.locator(".preview")).to_have_text(" ## ".join(sorted(chosen)))
    expect(dialog.locator("[data-export-total]")).to_have_attribute("data-export-total", "4")
    dialog.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("4 keys copied to the clipboard")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == " ## ".join(expected)
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download .txt").click()
    saved = download.value
    assert open(saved.path(), encoding="utf-8").read() == " ## ".join(expected)
    assert re.fullmatch(r"keypool-127\.0\.0\.1-\d+-selected-4-\d{4}-\d{2}-\d{2}\.txt", saved.suggested_filename)


def test_export_valid_with_balance_by_threshold(api, mixed_pool, open_page):
    page = open_page("/keys")
    page.get_by_role("button", name="Export", exact=True).click()
    dialog = page.get_by_role("dialog", name="Export keys")
    dialog.get_by_label("Lowest balance").fill("10")
    dialog.get_by_label("Format").select_option("with_balance")
    expected = api.get("/api/keys/export", params={"min_balance": 10, "format": "with_balance"}).text
    expect(dialog.locator("[data-export-total]")).to_have_attribute("data-export-total", str(len(expected.split("\n"))))
    dialog.get_by_role("button", name="Copy").click()
    expect(page.get_by_text(re.compile(r"keys copied to the clipboard"))).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_the_copy_button_copies_the_full_key(api, open_page):
    (key,) = numbered_keys(1, "copy")
    api.post("/api/keys", json={"keys": [key]})
    page = open_page("/keys")
    page.get_by_role("button", name=re.compile(r"^Copy the full key ")).click()
    expect(page.get_by_text(re.compile(r"Key sk-.* copied"))).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key


# --- data renders as text ----------------------------------------------------------------------

XSS = "<img src=x onerror=alert(1)>"


def test_model_names_and_upstream_errors_render_as_text(api, fake, open_page, local_server):
    import openai

    import sqlite3

    blocked, broken = numbered_keys(2, "xss")
    fake.set_key(broken, "custom", status=401, body={"message": XSS})
    api.post("/api/keys", json={"keys": [blocked, broken]})
    client_key = api.post("/api/client-keys", json={"name": XSS}).json()["key"]
    client = openai.OpenAI(base_url=f"{local_server.url}/v1", api_key=client_key, max_retries=0)
    with pytest.raises(openai.APIStatusError):  # /v1 refuses such a model name (400) ...
        client.chat.completions.create(model=XSS, messages=[{"role": "user", "content": "hi"}])
    for _ in range(2):  # ... the upstream's error text still reaches the pool
        client.chat.completions.create(model="deepseek-ai/DeepSeek-V3", messages=[{"role": "user", "content": "hi"}])
    with sqlite3.connect(local_server.db_path) as conn:  # a stored model name from before names were checked
        conn.execute("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, ?, 'forbidden', ? FROM keys "
                     "WHERE key = ?", (XSS, time.time() + 3600, blocked))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        items = api.get("/api/keys").json()["items"]
        if any(item["blocks"] for item in items) and any(item["last_error"] for item in items):
            break
        time.sleep(0.1)
    page = open_page("/keys")
    expect(page.locator(".model", has_text=XSS)).to_have_count(1)
    expect(page.locator(".error-text", has_text=XSS)).to_have_count(1)
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0
