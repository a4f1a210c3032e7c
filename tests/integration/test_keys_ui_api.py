"""What the admin UI's keys page needs from the API: a key's full text for its copy button,
export of a selection (POST) with a preview, list items with per-model exclusions and why a
balance is unknown, sorting by every column, and the page_size setting.
tests/worker/test_worker_keys_ui.py runs these same tests against the Worker."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from support import make_key

MODEL = "deepseek-ai/DeepSeek-V3"


def add(api, *keys: str) -> list[dict]:
    assert api.post("/api/keys", json={"keys": list(keys)}).json()["added"] == len(keys)
    items = api.get("/api/keys", params={"sort": "added", "order": "asc", "page_size": 1000}).json()["items"]
    return [item for item in items if any(item["key"] == masked(k) for k in keys)]


def masked(key: str) -> str:
    return f"{key[:7]}...{key[-4:]}"


def audit_actions(api) -> list[dict]:
    return api.get("/api/audit", params={"page_size": 50}).json()["items"]


def chat_through_pool(api, local_server, model=MODEL, tries=1):
    client_key = api.post("/api/client-keys", json={"name": "ui-test"}).json()["key"]
    client = openai.OpenAI(base_url=f"{local_server.url}/v1", api_key=client_key, max_retries=0)
    for _ in range(tries):
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        except openai.APIStatusError:
            pass


def test_the_full_key_is_for_admins_only_never_cached_and_every_copy_is_audited(api, local_server):
    key = make_key("copyme")
    (item,) = add(api, key)
    response = api.get(f"/api/keys/{item['id']}/key")
    assert response.status_code == 200
    assert response.json() == {"id": item["id"], "key": key}
    assert response.headers["cache-control"] == "no-store"
    copy = next(entry for entry in audit_actions(api) if entry["action"] == "keys.copy")
    assert copy["detail"] == {"id": item["id"]}
    assert key not in str(audit_actions(api))
    assert httpx.get(f"{local_server.url}/api/keys/{item['id']}/key").status_code == 401
    assert api.get("/api/keys/999999999/key").status_code == 404


def test_export_of_a_selection_by_post_is_the_same_text_as_the_get(api):
    keys = [make_key(f"exp{i}") for i in range(4)]
    items = add(api, *keys)
    chosen = [items[1]["id"], items[3]["id"]]
    response = api.post("/api/keys/export", json={"ids": chosen, "sep": "custom", "custom_sep": " | "})
    assert response.status_code == 200
    assert response.text == f"{keys[1]} | {keys[3]}"
    assert response.headers["cache-control"] == "no-store"
    for body, query in (({"all": True, "sep": "comma"}, {"sep": "comma"}),
                        ({"status": "unchecked", "format": "with_balance"}, {"status": "unchecked", "format": "with_balance"})):
        assert api.post("/api/keys/export", json=body).text == api.get("/api/keys/export", params=query).text
    exports = [entry for entry in audit_actions(api) if entry["action"] == "keys.export"]
    assert exports[-1]["count"] == 2 or any(entry["count"] == 2 for entry in exports)


def test_a_download_is_named_after_the_pool_the_keys_and_the_day(api):
    items = add(api, make_key("nameda"), make_key("namedb"))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    response = api.post("/api/keys/export", json={"ids": [items[0]["id"]], "download": True})
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="keypool-') and disposition.endswith(f'selected-1-{today}.txt"')
    by_filter = api.get("/api/keys/export", params={"status": "valid", "min_balance": "1", "download": "1",
                                                     "format": "with_balance"})
    assert by_filter.headers["content-disposition"].endswith(f'-valid-min-1-with-balance-{today}.txt"')
    assert api.post("/api/keys/export", json={"download": True, "all": True}).headers[
        "content-disposition"].endswith(f'-all-{today}.txt"')


def test_bad_export_requests_are_400(api):
    for body in ({}, {"all": True, "format": "xml"}, {"all": True, "sep": "custom", "custom_sep": ""},
                 {"ids": ["1"]}, {"all": True, "sep": 5}):
        response = api.post("/api/keys/export", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["message"]


def test_the_export_preview_shows_the_first_keys_masked_and_the_count(api):
    keys = [make_key(f"p{i}rev") for i in range(7)]
    add(api, *keys)
    preview = api.post("/api/keys/export/preview", json={"all": True, "sep": "semicolon", "format": "with_balance"}).json()
    assert preview["total"] == 7 and preview["shown"] == 5
    assert preview["text"] == ";".join(f"{masked(k)}----unknown" for k in keys[:5])
    assert all(key not in str(preview) for key in keys)
    assert not any(entry["action"] == "keys.export" and entry["ts"] > time.time() - 5 for entry in audit_actions(api)
                   if entry.get("count") == 7)


def test_items_say_why_a_balance_is_unknown(api, fake):
    never, gone, known = make_key("neverchecked"), make_key("infogone"), make_key("knownbalance")
    items = {item["key"]: item for item in add(api, never, gone, known)}
    assert items[masked(never)]["balance_unknown"] == "never_checked"
    assert api.post(f"/api/keys/{items[masked(known)]['id']}/check").status_code == 200
    fake.configure(user_info_gone=True)
    assert api.post(f"/api/keys/{items[masked(gone)]['id']}/check").status_code == 200
    listed = {item["key"]: item for item in api.get("/api/keys", params={"page_size": 100}).json()["items"]}
    assert listed[masked(never)]["balance_unknown"] == "never_checked"
    assert listed[masked(gone)]["balance"] is None and listed[masked(gone)]["balance_unknown"] == "not_reported"
    assert listed[masked(known)]["balance"] == 10.0 and listed[masked(known)]["balance_unknown"] is None


def test_items_list_the_models_a_key_is_excluded_from_or_cooling_for(api, fake, local_server):
    forbidden, limited, fine = make_key("forbiddenkey"), make_key("limitedkey"), make_key("finekey")
    fake.set_key(forbidden, "forbidden", reason="real_name")
    fake.set_key(limited, "rate_limited", limit="RPM", retry_after=120)
    add(api, forbidden, limited, fine)
    chat_through_pool(api, local_server, tries=3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exclusions are written after the answer
        listed = {item["key"]: item for item in api.get("/api/keys", params={"page_size": 100}).json()["items"]}
        if listed[masked(forbidden)]["blocks"] and listed[masked(limited)]["blocks"]:
            break
        time.sleep(0.1)
    (excluded,) = listed[masked(forbidden)]["blocks"]
    assert excluded["model"] == MODEL and excluded["reason"] == "forbidden" and excluded["until"] > time.time()
    (cooling,) = listed[masked(limited)]["blocks"]
    assert cooling["model"] == MODEL and cooling["reason"] == "rate_limited"
    assert time.time() + 60 < cooling["until"] <= time.time() + 121
    assert listed[masked(fine)]["blocks"] == []
    by_blocks = api.get("/api/keys", params={"sort": "blocks", "order": "desc", "page_size": 1}).json()["items"]
    assert by_blocks[0]["blocks"]


@pytest.mark.parametrize("sort, value", [
    ("key", lambda item: item["key"]),
    ("requests", lambda item: item["request_count"]),
    ("added", lambda item: item["id"]),
])
def test_sort_by_key_requests_and_added(api, sort, value):
    add(api, *(make_key(name) for name in ("mango", "apple", "zebra", "kiwi")))
    for order in ("asc", "desc"):
        items = api.get("/api/keys", params={"sort": sort, "order": order}).json()["items"]
        values = [value(item) for item in items]
        assert values == sorted(values, reverse=order == "desc")


def test_sort_by_status_puts_the_healthiest_first(api, fake):
    valid, invalid, plain, off = (make_key(n) for n in ("vstatus", "istatus", "pstatus", "ostatus"))
    fake.set_key(invalid, "invalid")
    items = {item["key"]: item for item in add(api, valid, invalid, plain, off)}
    for key in (valid, invalid):
        api.post(f"/api/keys/{items[masked(key)]['id']}/check")
    api.post("/api/keys/disable", json={"ids": [items[masked(off)]["id"]]})
    asc = [item["status"] for item in api.get("/api/keys", params={"sort": "status", "order": "asc"}).json()["items"]]
    assert asc == ["valid", "unchecked", "invalid", "disabled"]
    desc = [item["status"] for item in api.get("/api/keys", params={"sort": "status", "order": "desc"}).json()["items"]]
    assert desc == asc[::-1]


def test_page_size_is_a_pool_setting_with_the_ui_choices(api):
    assert api.get("/api/settings").json()["page_size"] == 12
    try:
        assert api.put("/api/settings", json={"page_size": 24}).json()["page_size"] == 24
        response = api.put("/api/settings", json={"page_size": 13})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "page_size must be one of 12, 24, 50, 100"
        assert api.get("/api/keys").json()["page_size"] == 50  # the API's own default stays
    finally:
        api.put("/api/settings", json={"page_size": 12})
