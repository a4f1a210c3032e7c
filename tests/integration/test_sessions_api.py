"""Admin sign-in: a session cookie with a CSRF token, beside the bearer ADMIN_TOKEN.
tests/worker/test_worker_sessions.py runs the same tests against the Worker."""

from __future__ import annotations

import httpx
import pytest

from support import ADMIN_PASSWORD, make_key


def signed_in(server) -> tuple[httpx.Client, str]:
    browser = httpx.Client(base_url=server.url, timeout=30)
    response = browser.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    return browser, response.json()["csrf_token"]


def test_sign_in_sets_a_locked_down_cookie_that_opens_the_admin_api(api, local_server):
    browser, _ = signed_in(local_server)
    cookie = next(v for k, v in browser.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
                  .headers.multi_items() if k == "set-cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert ADMIN_PASSWORD not in cookie
    assert browser.get("/api/keys").status_code == 200
    assert browser.get("/api/session").json()["username"] == "admin"


def test_unsafe_methods_need_the_csrf_token(api, local_server):
    browser, csrf = signed_in(local_server)
    keys = {"keys": make_key("csrf")}
    refused = browser.post("/api/keys", json=keys)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert browser.post("/api/keys", json=keys, headers={"x-csrf-token": "forged"}).status_code == 403
    assert api.get("/api/keys").json()["total"] == 0
    assert browser.post("/api/keys", json=keys, headers={"x-csrf-token": csrf}).json()["added"] == 1
    assert browser.get("/api/session").json()["csrf_token"] == csrf  # a reloaded page gets it back


@pytest.mark.parametrize("username, password", [("admin", "wrong"), ("root", ADMIN_PASSWORD), ("", "")])
def test_wrong_credentials_get_401_and_no_cookie(api, local_server, username, password):
    response = httpx.post(f"{local_server.url}/api/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert response.json()["error"]["message"] == "wrong username or password"


def test_a_tampered_or_missing_cookie_is_not_a_session(api, local_server):
    browser, _ = signed_in(local_server)
    token = browser.cookies["kp_session"]
    flipped = token[:-1] + ("y" if token[-1] == "x" else "x")
    forged = httpx.Client(base_url=local_server.url, cookies={"kp_session": flipped})
    assert forged.get("/api/keys").status_code == 401
    assert httpx.get(f"{local_server.url}/api/session").status_code == 401


def test_sign_out_clears_the_cookie(api, local_server):
    browser, csrf = signed_in(local_server)
    response = browser.post("/api/logout", headers={"x-csrf-token": csrf})
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert browser.get("/api/keys").status_code == 401


def test_the_session_cookie_is_no_key_for_v1(api, fake, local_server):
    api.post("/api/keys", json={"keys": make_key("v1")})
    browser, csrf = signed_in(local_server)
    response = browser.post("/v1/chat/completions", json={"model": "m", "messages": []},
                            headers={"x-csrf-token": csrf})
    assert response.status_code == 401
    assert fake.calls["total"] == 0


def test_the_sign_in_page_can_ask_whether_sign_in_is_on_and_whether_it_is_signed_in(api, local_server):
    response = httpx.get(f"{local_server.url}/api/login")
    assert response.status_code == 200 and response.json() == {"enabled": True, "signed_in": False}
    with httpx.Client(base_url=local_server.url) as browser:
        assert browser.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200
        assert browser.get("/api/login").json() == {"enabled": True, "signed_in": True}


def test_bad_login_bodies_are_400(api, local_server):
    for body in ({"username": "admin"}, {"username": 1, "password": 2}, []):
        assert httpx.post(f"{local_server.url}/api/login", json=body).status_code == 400
