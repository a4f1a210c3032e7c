"""The admin IP allowlist on the shared server (tests/worker/test_worker_admin_allowlist.py
runs it on the Worker, where the address is CF-Connecting-IP). Addresses other than
the test's own are tried in test_sign_in_limits.py, behind a trusted proxy."""

from __future__ import annotations

import httpx

from support import ADMIN_PASSWORD


def test_an_allowlist_that_leaves_you_out_is_refused(api):
    response = api.put("/api/settings", json={"admin_ip_allowlist": ["10.0.0.0/8"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "admin_ip_allowlist" and "lock you out" in error["message"]
    assert api.get("/api/settings").json()["admin_ip_allowlist"] == []


def test_bad_ranges_are_refused_with_the_field_named(api):
    for value in (["10.0.0.0/33"], ["not-an-ip"], "10.0.0.0/8", [""], [1]):
        response = api.put("/api/settings", json={"admin_ip_allowlist": value})
        assert response.status_code == 400 and response.json()["error"]["param"] == "admin_ip_allowlist", value


def test_inside_the_allowlist_everything_works(api, local_server):
    try:
        assert api.put("/api/settings", json={"admin_ip_allowlist": ["127.0.0.0/8", "10.0.0.0/8"]}).status_code == 200
        assert api.get("/api/keys").status_code == 200
        login = httpx.post(f"{local_server.url}/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200
    finally:
        assert api.put("/api/settings", json={"admin_ip_allowlist": []}).status_code == 200
