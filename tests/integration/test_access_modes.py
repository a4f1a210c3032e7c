"""Sharing the pool: access modes x {anonymous, guest, admin}, enforced by the API.
tests/worker/test_worker_access_modes.py runs the same tests on the Worker."""

from __future__ import annotations

import httpx
import pytest

from integration.balance_support import wait_job
from support import make_key

GUEST_PASSWORD = "guest-password-1"


@pytest.fixture
def pool(api, fake, set_balance):
    """Three valid keys with balances, one invalid; access mode reset afterwards."""
    keys = [make_key(f"share{i}") for i in range(4)]
    fake.set_key(keys[3], "invalid")
    api.post("/api/keys", json={"keys": keys})
    ids = api.get("/api/keys/ids").json()["ids"]
    response = api.post("/api/keys/check", json={"ids": ids})
    wait_job(api, response.json()["job"])  # else the check could overwrite the balances set below
    for key, balance in zip(keys, (3.5, 12, 0.25)):
        set_balance(key, balance)
    yield keys
    assert api.put("/api/settings", json={"access_mode": "private", "visitor_copy": False}).status_code == 200
    assert api.put("/api/guest-password", json={"password": None}).status_code == 200


def visitor(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def test_private_pool_shows_visitors_nothing(api, pool, local_server):
    anonymous = visitor(local_server)
    assert anonymous.get("/api/public/info").json()["access_mode"] == "private"
    response = anonymous.get("/api/public/keys")
    assert response.status_code == 403 and response.json()["error"]["code"] == "pool_private"
    assert anonymous.post("/api/guest/login", json={"password": "x"}).status_code == 403
    assert api.get("/api/public/keys").status_code == 200  # the admin sees the public view too


def test_open_pool_shows_usable_keys_masked_with_counts_and_sorting(api, pool, local_server):
    assert api.put("/api/settings", json={"access_mode": "open"}).status_code == 200
    anonymous = visitor(local_server)
    body = anonymous.get("/api/public/keys", params={"sort": "balance", "order": "desc"}).json()
    assert [item["balance"] for item in body["items"]] == [12, 3.5, 0.25]
    assert body["summary"] == {"keys": 4, "valid": 3, "total_balance": 15.75}
    assert not any(key in str(body) for key in pool)
    assert all("..." in item["key"] for item in body["items"])
    paged = anonymous.get("/api/public/keys", params={"sort": "balance", "order": "asc", "page_size": 2,
                                                      "page": 2}).json()
    assert [item["balance"] for item in paged["items"]] == [12] and paged["total"] == 3
    assert anonymous.get("/api/public/keys", params={"sort": "key"}).status_code == 400


def test_visitors_never_reach_admin_routes(api, pool, local_server):
    assert api.put("/api/settings", json={"access_mode": "open", "visitor_copy": True}).status_code == 200
    anonymous = visitor(local_server)
    for method, path in (("GET", "/api/keys"), ("GET", "/api/settings"), ("GET", "/api/logs"),
                         ("GET", "/api/client-keys"), ("GET", "/api/audit"), ("GET", "/api/keys/export"),
                         ("POST", "/api/keys/delete"), ("PUT", "/api/settings"), ("PUT", "/api/guest-password")):
        response = anonymous.request(method, path, json={"all": True})
        assert response.status_code == 401, (method, path, response.status_code)


def test_visitor_copy_is_off_by_default_then_rate_limited_and_audited(api, pool, local_server):
    assert api.put("/api/settings", json={"access_mode": "open"}).status_code == 200
    anonymous = visitor(local_server)
    item = anonymous.get("/api/public/keys").json()["items"][0]
    refused = anonymous.post(f"/api/public/keys/{item['id']}/copy")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "visitor_copy_off"
    assert api.put("/api/settings", json={"visitor_copy": True}).status_code == 200
    copied = anonymous.post(f"/api/public/keys/{item['id']}/copy").json()
    assert copied["key"] in pool
    for _ in range(9):
        assert anonymous.post(f"/api/public/keys/{item['id']}/copy").status_code == 200
    limited = anonymous.post(f"/api/public/keys/{item['id']}/copy")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    trail = api.get("/api/audit", params={"action": "public.copy"}).json()["items"]
    assert len(trail) >= 10 and trail[0]["actor"] == "anonymous" and trail[0]["detail"] == {"id": item["id"]}
    assert copied["key"] not in str(trail)
    invalid_id = max(api.get("/api/keys/ids").json()["ids"])
    assert api.post(f"/api/public/keys/{invalid_id}/copy").status_code == 404  # not a usable key


def test_guest_mode_needs_the_guest_password(api, pool, local_server):
    assert api.put("/api/settings", json={"access_mode": "guest"}).status_code == 200
    assert api.put("/api/guest-password", json={"password": "short"}).status_code == 400
    assert api.put("/api/guest-password", json={"password": GUEST_PASSWORD}).json() == {"set": True}
    assert api.get("/api/public/info").json()["guest_password_set"] is True
    guest = visitor(local_server)
    response = guest.get("/api/public/keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "guest_sign_in_required"
    assert guest.post("/api/guest/login", json={"password": "wrong-guess"}).status_code == 401
    signed = guest.post("/api/guest/login", json={"password": GUEST_PASSWORD})
    assert signed.status_code == 200 and "HttpOnly" in signed.headers["set-cookie"]
    assert guest.get("/api/public/info").json()["guest"] is True
    assert guest.get("/api/public/keys").json()["summary"]["valid"] == 3
    assert guest.get("/api/keys").status_code == 401           # a guest is no admin
    assert guest.get("/api/settings").status_code == 401
    # A new guest password ends every guest session.
    assert api.put("/api/guest-password", json={"password": "another-guest-pw"}).status_code == 200
    assert guest.get("/api/public/keys").status_code == 401
    # Back to private: even a fresh guest session shows nothing.
    again = visitor(local_server)
    assert again.post("/api/guest/login", json={"password": "another-guest-pw"}).status_code == 200
    assert api.put("/api/settings", json={"access_mode": "private"}).status_code == 200
    assert again.get("/api/public/keys").status_code == 403


def test_guest_sign_out(api, pool, local_server):
    api.put("/api/settings", json={"access_mode": "guest"})
    api.put("/api/guest-password", json={"password": GUEST_PASSWORD})
    guest = visitor(local_server)
    guest.post("/api/guest/login", json={"password": GUEST_PASSWORD})
    assert guest.get("/api/public/keys").status_code == 200
    assert "Max-Age=0" in guest.post("/api/guest/logout").headers["set-cookie"]
    assert guest.get("/api/public/keys").status_code == 401
