"""Sign-in on servers of their own: one without ADMIN_PASSWORD, and the
failed-login throttle (which would lock other tests out of a shared server)."""

from __future__ import annotations

import httpx

from support import ADMIN_PASSWORD, LocalServerProcess


def test_without_admin_password_sign_in_is_refused_and_says_how_to_enable_it(tmp_path):
    server = LocalServerProcess(tmp_path, env={"ADMIN_PASSWORD": ""}).start()
    try:
        assert httpx.get(f"{server.url}/api/login").json() == {"enabled": False, "signed_in": False}
        response = httpx.post(f"{server.url}/api/login", json={"username": "admin", "password": ""})
        assert response.status_code == 403
        assert "ADMIN_PASSWORD" in response.json()["error"]["message"]
    finally:
        server.stop()


def test_repeated_failures_are_throttled_even_for_the_right_password(tmp_path):
    server = LocalServerProcess(tmp_path).start()
    try:
        login = f"{server.url}/api/login"
        for _ in range(5):
            assert httpx.post(login, json={"username": "admin", "password": "guess"}).status_code == 401
        throttled = httpx.post(login, json={"username": "admin", "password": ADMIN_PASSWORD})
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
    finally:
        server.stop()
