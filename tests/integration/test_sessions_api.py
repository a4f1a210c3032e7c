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


def test_sign_out_clears_the_cookie_and_ends_the_session_for_good(api, local_server):
    browser, csrf = signed_in(local_server)
    other, _ = signed_in(local_server)
    stolen = browser.cookies["kp_session"]
    response = browser.post("/api/logout", headers={"x-csrf-token": csrf})
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert browser.get("/api/keys").status_code == 401
    # A copy of the cookie kept from before (a stolen one) is refused too ...
    replay = httpx.Client(base_url=local_server.url, cookies={"kp_session": stolen})
    assert replay.get("/api/keys").status_code == 401
    assert replay.get("/api/session").status_code == 401
    # ... and the admin's other sessions go on.
    assert other.get("/api/keys").status_code == 200


def test_sign_out_everywhere_ends_every_session(api, local_server):
    first, csrf = signed_in(local_server)
    second, _ = signed_in(local_server)
    response = first.post("/api/sessions/revoke", headers={"x-csrf-token": csrf})
    assert response.status_code == 200 and "Max-Age=0" in response.headers["set-cookie"]
    assert first.get("/api/keys").status_code == 401
    assert second.get("/api/keys").status_code == 401
    assert signed_in(local_server)[0].get("/api/keys").status_code == 200  # signing in again works
    assert api.get("/api/keys").status_code == 200  # the bearer token is no session


def test_a_password_change_ends_the_other_sessions_and_the_new_password_signs_in(api, local_server):
    mine, csrf = signed_in(local_server)
    other, _ = signed_in(local_server)
    new = "a-new-admin-password"
    try:
        wrong = mine.post("/api/account/password", json={"current": "not-it", "new": new},
                          headers={"x-csrf-token": csrf})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
        weak = mine.post("/api/account/password", json={"current": ADMIN_PASSWORD, "new": "short"},
                         headers={"x-csrf-token": csrf})
        assert weak.status_code == 400 and "at least 8" in weak.json()["error"]["message"]
        assert other.get("/api/keys").status_code == 200  # nothing changed yet
        changed = mine.post("/api/account/password", json={"current": ADMIN_PASSWORD, "new": new},
                            headers={"x-csrf-token": csrf})
        assert changed.status_code == 200, changed.text
        assert other.get("/api/keys").status_code == 401                 # the other session ended
        csrf = changed.json()["csrf_token"]
        assert mine.get("/api/keys").status_code == 200                   # this one goes on (a new cookie)
        assert mine.post("/api/keys", json={"keys": []}, headers={"x-csrf-token": csrf}).status_code == 200
        assert httpx.post(f"{local_server.url}/api/login",
                          json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 401
        assert httpx.post(f"{local_server.url}/api/login",
                          json={"username": "admin", "password": new}).status_code == 200
        assert new not in str(api.get("/api/audit").json()) and "password.change" in str(api.get("/api/audit").json())
    finally:
        assert api.post("/api/account/password", json={"current": new, "new": ADMIN_PASSWORD}).status_code == 200


def test_a_foreign_origin_cannot_use_the_session_even_with_the_csrf_token(api, local_server):
    browser, csrf = signed_in(local_server)
    keys = {"keys": make_key("origin")}
    evil = browser.post("/api/keys", json=keys, headers={"x-csrf-token": csrf, "origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"]["code"] == "csrf_failed"
    ours = browser.post("/api/keys", json=keys, headers={"x-csrf-token": csrf, "origin": local_server.url})
    assert ours.status_code == 200 and ours.json()["added"] == 1


@pytest.mark.parametrize("cookie", ["kp_session=\u00e9\u00e9.x", "kp_session=a.\u00e9", "kp_session=" + "x" * 5000,
                                    "kp_session=%00.%ff", "kp_session=a.b.c.d"])
def test_odd_cookies_are_no_session_and_no_error(api, local_server, cookie):
    for path in ("/api/keys", "/api/session", "/api/login"):
        response = httpx.get(f"{local_server.url}{path}", headers={"cookie": cookie.encode("utf-8")})
        assert response.status_code in (200, 401), (path, response.status_code)
        assert "Traceback" not in response.text


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
