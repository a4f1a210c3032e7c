"""The admin IP allowlist on the Worker: the local suite unchanged, and other
addresses through CF-Connecting-IP (which Cloudflare's edge sets; the harness
passes the test's own)."""

from __future__ import annotations

import httpx

from integration import test_admin_allowlist as local_suite
from support import ADMIN_PASSWORD, ADMIN_TOKEN, rerun

rerun(local_suite, globals())


def test_outside_the_allowlist_no_admin_credential_counts(api, worker_url):
    outside, inside = {"cf-connecting-ip": "203.0.113.9"}, {"cf-connecting-ip": "10.1.2.3"}
    token = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        assert api.put("/api/settings", json={"admin_ip_allowlist": ["127.0.0.1/32", "10.0.0.0/8"]}).status_code == 200
        refused = httpx.get(f"{worker_url}/api/keys", headers={**token, **outside})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "address_not_allowed"
        assert httpx.get(f"{worker_url}/api/keys", headers={**token, **inside}).status_code == 200
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        assert httpx.post(f"{worker_url}/api/login", json=login, headers=outside).status_code == 403
        assert httpx.post(f"{worker_url}/api/login", json=login, headers=inside).status_code == 200
        assert httpx.get(f"{worker_url}/healthz", headers=outside).status_code == 200
    finally:
        assert api.put("/api/settings", json={"admin_ip_allowlist": []}).status_code == 200
