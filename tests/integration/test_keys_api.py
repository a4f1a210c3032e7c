"""The admin key API through real HTTP on a running local server and a real SQLite file.

tests/worker/test_worker_keys.py runs these same tests against the Worker in the
offline harness (Pyodide + Miniflare's D1): both runtimes must answer alike.
`local_server` is whichever runtime serves; `set_balance` writes a balance as a
balance check would, through that runtime's database.
"""

from __future__ import annotations

import time

import httpx
import pytest

from support import ADMIN_TOKEN, ROOT


def make_keys(n: int, prefix: str = "k") -> list[str]:
    return [f"sk-{prefix}{i:020d}{'x' * 24}" for i in range(n)]


def keys_on_page(api: httpx.Client, **params) -> dict:
    response = api.get("/api/keys", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_healthz(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response.headers["content-type"].startswith("application/json")


def test_admin_api_refuses_missing_or_wrong_token(api, local_server):
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "Basic abc"}):
        response = httpx.get(f"{local_server.url}/api/keys", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"
        assert ADMIN_TOKEN not in response.text
    assert httpx.post(f"{local_server.url}/api/keys", json={"keys": make_keys(1)}).status_code == 401
    assert keys_on_page(api)["total"] == 0


def test_unknown_path_is_404_and_wrong_method_405_as_json(api):
    response = api.get("/api/nope")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    response = api.delete("/api/keys")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["error"]["message"]


def test_import_counts_added_duplicates_and_invalid(api):
    a, b, c = make_keys(3)
    first = api.post("/api/keys", json={"keys": f"{a}\n{b}, {a} not-a-key"}).json()
    assert (first["added"], first["duplicates"], first["invalid"]) == (2, 1, 1)
    # against the pool: b is already in it
    second = api.post("/api/keys", json={"keys": f"{b} {c};{c}|sk-short"}).json()
    assert (second["added"], second["duplicates"], second["invalid"]) == (1, 2, 1)
    assert keys_on_page(api)["total"] == 3


def test_import_accepts_a_list_too(api):
    keys = make_keys(2)
    assert api.post("/api/keys", json={"keys": keys}).json()["added"] == 2
    assert api.post("/api/keys", json={"keys": []}).json() == {
        "added": 0, "duplicates": 0, "invalid": 0, "invalid_samples": [], "job": None}


def test_list_masks_keys_and_reports_unknown_balance(api):
    (key,) = make_keys(1)
    api.post("/api/keys", json={"keys": key})
    (item,) = keys_on_page(api)["items"]
    assert key not in str(item)
    assert item["key"].startswith("sk-k0") and "..." in item["key"]
    assert item["balance"] is None
    assert item["status"] == "unchecked"
    assert item["enabled"] is True
    assert isinstance(item["id"], int) and isinstance(item["added_at"], int)


def test_list_filters_by_status(api):
    api.post("/api/keys", json={"keys": make_keys(5)})
    ids = [item["id"] for item in keys_on_page(api, sort="added", order="asc")["items"]]
    api.post("/api/keys/disable", json={"ids": ids[:2]})
    disabled = keys_on_page(api, status="disabled")
    assert disabled["total"] == 2
    assert {item["id"] for item in disabled["items"]} == set(ids[:2])
    assert all(item["status"] == "disabled" and item["enabled"] is False for item in disabled["items"])
    assert keys_on_page(api, status="unchecked")["total"] == 3
    assert keys_on_page(api, status="valid")["total"] == 0
    assert keys_on_page(api, status="all")["total"] == 5
    assert api.get("/api/keys", params={"status": "weird"}).status_code == 400


def test_search_finds_by_fragment(api):
    api.post("/api/keys", json={"keys": make_keys(5, "aa") + make_keys(3, "bb")})
    assert keys_on_page(api, q="sk-bb")["total"] == 3
    assert keys_on_page(api, q="aa0000")["total"] == 5
    assert keys_on_page(api, q="nothing-like-this")["total"] == 0


def test_sort_by_balance_puts_unknown_last(api, set_balance):
    keys = make_keys(4)
    api.post("/api/keys", json={"keys": keys})
    set_balance(keys[0], 5)
    set_balance(keys[1], 9.25)
    set_balance(keys[2], -0.5)
    for order, expected in (("desc", [9.25, 5, -0.5, None]), ("asc", [-0.5, 5, 9.25, None])):
        items = keys_on_page(api, sort="balance", order=order)["items"]
        assert [item["balance"] for item in items] == expected


def test_sort_by_added_and_pagination_cover_every_key_once(api):
    keys = make_keys(25)
    api.post("/api/keys", json={"keys": keys})
    newest_first = [item["id"] for item in keys_on_page(api, page_size=100)["items"]]
    assert newest_first == sorted(newest_first, reverse=True)  # default: added, desc
    seen = []
    for page in (1, 2, 3):
        body = keys_on_page(api, page=page, page_size=10, sort="added", order="asc")
        assert body["total"] == 25 and body["page"] == page and body["page_size"] == 10
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == 25 == len(set(seen))
    assert seen == sorted(seen)
    assert keys_on_page(api, page=4, page_size=10)["items"] == []


def test_disable_enable_delete_by_ids_and_by_filter(api):
    api.post("/api/keys", json={"keys": make_keys(6)})
    ids = [item["id"] for item in keys_on_page(api, sort="added", order="asc")["items"]]

    assert api.post("/api/keys/disable", json={"ids": ids[:2]}).json() == {"changed": 2}
    assert api.post("/api/keys/disable", json={"ids": ids[:2]}).json() == {"changed": 0}
    assert keys_on_page(api, status="disabled")["total"] == 2
    assert keys_on_page(api, status="unchecked")["total"] == 4

    assert api.post("/api/keys/enable", json={"status": "disabled"}).json() == {"changed": 2}
    assert keys_on_page(api, status="disabled")["total"] == 0

    assert api.post("/api/keys/delete", json={"ids": ids[:3]}).json() == {"changed": 3}
    assert keys_on_page(api)["total"] == 3
    assert api.post("/api/keys/delete", json={"status": "unchecked"}).json() == {"changed": 3}
    assert keys_on_page(api)["total"] == 0


def test_bulk_actions_by_search_and_by_all(api):
    api.post("/api/keys", json={"keys": make_keys(4, "aa") + make_keys(2, "bb")})
    assert api.post("/api/keys/disable", json={"q": "sk-aa"}).json() == {"changed": 4}
    assert api.post("/api/keys/enable", json={"all": True}).json() == {"changed": 4}
    assert api.post("/api/keys/delete", json={"all": True}).json() == {"changed": 6}


def test_bulk_action_needs_an_explicit_selection(api):
    api.post("/api/keys", json={"keys": make_keys(2)})
    response = api.post("/api/keys/delete", json={})
    assert response.status_code == 400
    assert "ids" in response.json()["error"]["message"]
    assert keys_on_page(api)["total"] == 2


def test_ids_endpoint_selects_across_pages(api):
    api.post("/api/keys", json={"keys": make_keys(30, "aa") + make_keys(5, "bb")})
    body = api.get("/api/keys/ids", params={"q": "sk-aa"}).json()
    assert body["total"] == 30 == len(set(body["ids"]))


def test_export_plain_with_every_separator(api):
    keys = make_keys(3)
    api.post("/api/keys", json={"keys": keys})
    for sep, joiner in [("newline", "\n"), ("comma", ","), ("space", " "), ("semicolon", ";"), ("tab", "\t"),
                        ("custom", "@@")]:
        response = api.get("/api/keys/export", params={"sep": sep, "custom_sep": "@@"})
        assert response.status_code == 200
        assert response.text == joiner.join(keys)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"].startswith("text/plain")


def test_export_with_balance_round_trips_through_import(api, set_balance):
    keys = make_keys(3)
    api.post("/api/keys", json={"keys": keys})
    set_balance(keys[1], 12.5)
    set_balance(keys[2], 3)
    text = api.get("/api/keys/export", params={"format": "with_balance"}).text
    assert text.splitlines() == [f"{keys[0]}----unknown", f"{keys[1]}----12.5", f"{keys[2]}----3"]
    assert api.get("/api/keys/export", params={"format": "with_balance", "sep": "comma"}).text == text.replace("\n", ",")
    api.post("/api/keys/delete", json={"all": True})
    assert api.post("/api/keys", json={"keys": text}).json() == {
        "added": 3, "duplicates": 0, "invalid": 0, "invalid_samples": [], "job": None}


def test_export_filters_by_status_and_min_balance(api, set_balance):
    keys = make_keys(4)
    api.post("/api/keys", json={"keys": keys})
    set_balance(keys[0], 0.5)
    set_balance(keys[1], 1)
    set_balance(keys[2], 20)
    assert api.get("/api/keys/export", params={"status": "valid"}).text == ""
    assert api.get("/api/keys/export", params={"min_balance": "1"}).text == "\n".join(keys[1:3])
    assert api.get("/api/keys/export", params={"min_balance": "1", "sep": "space",
                                               "format": "with_balance"}).text == f"{keys[1]}----1 {keys[2]}----20"
    assert api.get("/api/keys/export", params={"min_balance": "100"}).text == ""
    assert api.get("/api/keys/export", params={"min_balance": "lots"}).status_code == 400
    ids = [item["id"] for item in keys_on_page(api, q=keys[3])["items"]]
    api.post("/api/keys/disable", json={"ids": ids})
    assert api.get("/api/keys/export", params={"status": "disabled"}).text == keys[3]


def test_export_download_sets_attachment(api):
    api.post("/api/keys", json={"keys": make_keys(1)})
    response = api.get("/api/keys/export", params={"download": "1"})
    assert "attachment" in response.headers["content-disposition"]


def test_get_one_key_returns_a_usable_key(api, local_server):
    assert api.get("/api/key").status_code == 503
    keys = make_keys(2)
    api.post("/api/keys", json={"keys": keys})
    response = api.get("/api/key")
    assert response.status_code == 200
    assert response.json()["key"] in keys
    assert response.headers["cache-control"] == "no-store"
    assert httpx.get(f"{local_server.url}/api/key").status_code == 401
    api.post("/api/keys/disable", json={"all": True})
    assert api.get("/api/key").status_code == 503


def test_bad_input_gets_a_clear_400(api):
    cases = [
        api.post("/api/keys", content=b"{not json"),
        api.post("/api/keys", json=["a"]),
        api.post("/api/keys", json={"keys": 5}),
        api.post("/api/keys/delete", json={"ids": ["1"]}),
        api.get("/api/keys", params={"sort": "nonsense"}),
        api.get("/api/keys", params={"status": "weird"}),
        api.get("/api/keys", params={"page": "0"}),
        api.get("/api/keys", params={"page_size": "100000"}),
        api.get("/api/keys/export", params={"format": "xml"}),
    ]
    for response in cases:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"]


def test_oversized_body_is_refused_with_413(api):
    big = b"x" * (33 * 1024 * 1024)
    response = api.post("/api/keys", content=big)  # with a content-length: refused before reading
    assert response.status_code == 413
    assert "exceeds" in response.json()["error"]["message"]

    def chunks():  # no content-length (chunked): refused once past the limit
        for _ in range(33):
            yield b"y" * (1024 * 1024)

    response = api.post("/api/keys", content=chunks())
    assert response.status_code == 413
    assert "exceeds" in response.json()["error"]["message"]


def test_import_of_100k_keys(api, local_server, capsys):
    keys = make_keys(100_000, "big")
    payload = {"keys": "\n".join(keys)}
    started = time.perf_counter()
    response = api.post("/api/keys", json=payload)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["duplicates"], body["invalid"]) == (100_000, 0, 0)
    assert keys_on_page(api, page_size=1)["total"] == 100_000
    again = api.post("/api/keys", json={"keys": "\n".join(keys[:1000])}).json()
    assert (again["added"], again["duplicates"]) == (0, 1000)
    started = time.perf_counter()
    exported = api.get("/api/keys/export")
    export_s = time.perf_counter() - started
    assert exported.text.count("\n") == 99_999
    started = time.perf_counter()
    assert api.post("/api/keys/delete", json={"all": True}).json() == {"changed": 100_000}
    delete_s = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[{type(local_server).__name__}] import of 100k keys: {elapsed:.2f}s, "
              f"export: {export_s:.2f}s, delete all: {delete_s:.2f}s")


def test_serves_the_ui_page_and_refuses_path_traversal(local_server):
    page = httpx.get(f"{local_server.url}/")
    assert page.status_code == 200 and "Silicon Key Pool" in page.text
    assert page.content == (ROOT / "static" / "index.html").read_bytes()
    assert page.headers["content-type"].startswith("text/html")
    assert httpx.get(f"{local_server.url}/static/index.html").status_code == 200
    assert httpx.get(f"{local_server.url}/static/../pyproject.toml").status_code == 404
    assert httpx.get(f"{local_server.url}/static/%2e%2e/pyproject.toml").status_code == 404
    assert httpx.get(f"{local_server.url}/static/nope.css").status_code == 404


@pytest.mark.parametrize("path", ["/api/keys/export", "/api/keys"])
def test_head_answers_without_a_body(api, path):
    response = api.head(path)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path, body", [
    ("/api/keys", b'{"keys": "sk-abc\\udcff"}'),
    ("/api/client-keys", b'{"name": "\\ud800"}'),
])
def test_unpaired_surrogate_is_400_and_stores_nothing(api, path, body):
    response = api.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "surrogate" in response.json()["error"]["message"]
    assert keys_on_page(api)["total"] == 0
    assert all(item["name"] != "\ud800" for item in api.get("/api/client-keys").json()["items"])
