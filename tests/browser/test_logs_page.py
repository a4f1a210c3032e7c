"""The logs page in a real browser: each filter narrows the rows to exactly what the API returns
for the same query, the filters live in the URL, the CSV download holds every filtered row,
clearing asks first, and the audit trail is a tab away."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from browser.ui_support import proxied, ready, shoot
from integration.stats_support import write  # noqa: F401  (fixture)
from support import make_key

HOUR = 3600


@pytest.fixture
def traffic(api, fake, local_server, write):
    """Real requests through /v1 from two client keys (successes and a 400), and older rows."""
    keys = [make_key(f"{i}logpage") for i in range(3)]
    api.post("/api/keys", json={"keys": keys})
    ids = api.get("/api/keys/ids").json()["ids"]
    laptop = api.post("/api/client-keys", json={"name": "laptop"}).json()
    phone = api.post("/api/client-keys", json={"name": "phone"}).json()
    now = time.time()
    write.logs([{"ts": now - (48 - i) * HOUR, "client_key_id": phone["id"], "key_id": ids[i % 3],
                 "model": "old-model", "status": 429 if i % 2 else 200, "error_class": "rate_limited" if i % 2 else None}
                for i in range(6)])
    proxied(api, local_server.url, laptop["key"], ["deepseek-ai/DeepSeek-V3", "no-such-model"])
    proxied(api, local_server.url, phone["key"], ["Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-V3"])
    return {"keys": keys, "laptop": laptop, "phone": phone}


def shown_ids(page) -> list[int]:
    return [int(i) for i in page.locator("table.logs-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.log)")]


def api_ids(api, **params) -> list[int]:
    return [item["id"] for item in api.get("/api/logs", params={"page_size": 50, **params}).json()["items"]]


def wait_for_rows(page, want: list[int]) -> None:
    page.wait_for_function("(want) => JSON.stringify([...document.querySelectorAll('table.logs-table tbody tr')]"
                           ".map(r => Number(r.dataset.log))) === JSON.stringify(want)", arg=want)


def test_filters_narrow_the_rows_to_what_the_api_returns(api, traffic, open_page):
    page = open_page("/logs")
    wait_for_rows(page, api_ids(api))
    assert len(shown_ids(page)) == 10
    page.get_by_label("Errors only").check()
    wait_for_rows(page, api_ids(api, errors=1))
    expect(page).to_have_url(re.compile(r"errors=1"))
    page.get_by_label("Client key", exact=True).select_option(label="phone")
    wait_for_rows(page, api_ids(api, errors=1, client_key_id=traffic["phone"]["id"]))
    assert len(shown_ids(page)) == 3
    page.get_by_label("Errors only").uncheck()
    page.get_by_label("Time").select_option("1h")
    wait_for_rows(page, api_ids(api, client_key_id=traffic["phone"]["id"], since=int(time.time() - HOUR)))
    assert len(shown_ids(page)) == 2
    page.reload()  # the filters are in the URL
    ready(page)
    wait_for_rows(page, api_ids(api, client_key_id=traffic["phone"]["id"], since=int(time.time() - HOUR)))
    expect(page.get_by_label("Time")).to_have_value("1h")
    page.get_by_role("button", name="Clear filters").click()
    wait_for_rows(page, api_ids(api))
    masked = page.locator("table.logs-table tbody tr").first.locator("code.key").inner_text()
    page.get_by_label("Upstream key").fill(masked)  # as the page shows it
    wait_for_rows(page, api_ids(api, key=masked))
    page.get_by_label("Upstream key").fill("")
    page.get_by_label("Model").fill("old-model")
    wait_for_rows(page, api_ids(api, model="old-model"))
    page.get_by_label("Status code").fill("429")
    wait_for_rows(page, api_ids(api, model="old-model", status=429))
    assert len(shown_ids(page)) == 3
    shoot(page, "logs-en-desktop-filtered")


def test_clicking_a_key_or_client_filters_by_it(api, traffic, open_page):
    page = open_page("/logs")
    row = page.locator("table.logs-table tbody tr").first
    key_id = api.get("/api/logs", params={"page_size": 1}).json()["items"][0]["key_id"]
    row.locator("button.key-link").click()
    wait_for_rows(page, api_ids(api, key_id=key_id))
    expect(page.locator(".chip")).to_contain_text("Upstream key")
    page.get_by_role("button", name="Remove this filter").click()
    wait_for_rows(page, api_ids(api))


def test_the_csv_holds_the_filtered_rows(api, traffic, open_page):
    page = open_page("/logs?client_key_id=%d" % traffic["phone"]["id"])
    want = api.get("/api/logs", params={"client_key_id": traffic["phone"]["id"], "page_size": 500}).json()["items"]
    wait_for_rows(page, [item["id"] for item in want])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    assert re.fullmatch(r"keypool-requests-\d{8}-\d{4}\.csv", download.value.suggested_filename)
    text = open(path, encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["id"]) for row in rows] == [item["id"] for item in want] and len(rows) == 8
    assert {row["client_key"] for row in rows} == {"phone"}
    assert [row["upstream_key"] for row in rows] == [item["upstream_key"] for item in want]
    assert not any(key in text for key in traffic["keys"])


def test_clearing_asks_first_and_the_audit_trail_shows_it(api, traffic, open_page):
    page = open_page("/logs")
    page.get_by_role("button", name="Clear logs").click()
    dialog = page.get_by_role("dialog", name="Clear the request log")
    expect(dialog).to_be_visible()
    shoot(page, "dialog-logs-clear-en-desktop", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    assert api.get("/api/logs").json()["total"] == 10  # nothing happened
    page.get_by_role("button", name="Clear logs").click()
    page.get_by_role("dialog", name="Clear the request log").get_by_role("button", name="Clear logs").click()
    expect(page.get_by_role("heading", name="No requests yet")).to_be_visible()
    assert api.get("/api/logs").json()["total"] == 0
    page.get_by_role("tab", name="Audit trail").click()
    expect(page).to_have_url(re.compile(r"tab=audit"))
    first = page.locator("table.audit-table tbody tr").first
    expect(first).to_contain_text("logs.clear")
    expect(first).to_contain_text("10")
    page.get_by_label("Action").fill("client_keys")
    expect(page.locator("table.audit-table tbody tr").first).to_contain_text("client_keys.create")
    shoot(page, "logs-audit-en-desktop")
