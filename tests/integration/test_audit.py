"""The audit trail: admin actions are recorded with who, where and how many,
never a secret. tests/worker/test_worker_audit.py runs the same tests on the Worker."""

from __future__ import annotations

import httpx

from support import ADMIN_PASSWORD, ADMIN_TOKEN, make_key


def trail(api, **params) -> list[dict]:
    response = api.get("/api/audit", params={"page_size": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def newest(api, action: str) -> dict:
    items = trail(api, action=action)
    assert items, f"no {action} entry in the audit trail"
    return items[0]


def test_sign_ins_are_recorded_with_the_address_and_never_the_password(api, local_server):
    before = len(trail(api, action="login"))
    assert httpx.post(f"{local_server.url}/api/login",
                      json={"username": "admin", "password": "not-the-password-123"}).status_code == 401
    browser = httpx.Client(base_url=local_server.url)
    assert browser.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200
    entries = trail(api, action="login")
    assert len(entries) == before + 2
    ok, failed = entries[0], entries[1]
    assert (ok["action"], ok["actor"]) == ("login", "admin")
    assert (failed["action"], failed["actor"]) == ("login.failed", "anonymous")
    assert ok["address"] == failed["address"] == "127.0.0.1"
    text = str(trail(api))
    assert "not-the-password-123" not in text and ADMIN_PASSWORD not in text


def test_key_actions_are_recorded_with_counts_and_no_key(api):
    keys = [make_key(f"audit{i}") for i in range(3)]
    api.post("/api/keys", json={"keys": keys + keys[:1] + ["junk"]})
    entry = newest(api, "keys.import")
    assert (entry["actor"], entry["count"], entry["detail"]) == ("token", 3, {"duplicates": 1, "invalid": 1})
    assert api.get("/api/keys/export", params={"status": "unchecked"}).status_code == 200
    assert (newest(api, "keys.export")["count"], newest(api, "keys.export")["detail"]) == (3, {"format": "plain"})
    api.post("/api/keys/disable", json={"all": True})
    assert newest(api, "keys.disable")["count"] == 3
    api.post("/api/keys/delete", json={"all": True})
    assert newest(api, "keys.delete")["count"] == 3
    text = str(trail(api))
    assert not any(key in text for key in keys)
    assert ADMIN_TOKEN not in text


def test_settings_and_client_key_changes_are_recorded(api):
    assert api.put("/api/settings", json={"max_attempts": 4, "strategy": "random"}).status_code == 200
    assert newest(api, "settings")["detail"] == {"names": ["max_attempts", "strategy"]}
    created = api.post("/api/client-keys", json={"name": "friend"}).json()
    assert newest(api, "client_keys")["detail"] == {"id": created["id"], "name": "friend"}
    api.patch(f"/api/client-keys/{created['id']}", json={"enabled": False})
    assert newest(api, "client_keys")["action"] == "client_keys.update"
    api.delete(f"/api/client-keys/{created['id']}")
    assert newest(api, "client_keys")["action"] == "client_keys.delete"
    assert created["key"] not in str(trail(api))
    api.put("/api/settings", json={"max_attempts": 3, "strategy": "round_robin"})


def test_the_trail_is_newest_first_paged_and_admin_only(api, local_server):
    for i in range(3):
        api.post("/api/keys", json={"keys": [make_key(f"page{i}")]})
    first = api.get("/api/audit", params={"page_size": 2}).json()
    second = api.get("/api/audit", params={"page_size": 2, "page": 2}).json()
    assert first["total"] == second["total"] >= 3
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert httpx.get(f"{local_server.url}/api/audit").status_code == 401
    assert api.get("/api/audit", params={"page_size": 0}).status_code == 400
