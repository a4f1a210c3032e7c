"""Sign-in on local servers of their own: the first start without ADMIN_PASSWORD,
the throttles (which would lock other tests out of a shared server), proxies,
renamed admins and changed passwords across restarts."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys

import httpx
import pytest

from support import ADMIN_PASSWORD, ADMIN_TOKEN, ROOT, LocalServerProcess

LOOPBACK_PROXY = {"TRUSTED_PROXIES": "127.0.0.1/32"}


def login(url: str, password: str, username: str = "admin", **headers) -> httpx.Response:
    return httpx.post(f"{url}/api/login", json={"username": username, "password": password}, headers=headers)


def printed_password(log: str) -> str | None:
    found = re.findall(r"password: (\S+)", log)
    return found[-1] if found else None


def test_first_start_without_admin_password_generates_one_prints_it_once_and_keeps_only_its_hash(tmp_path):
    server = LocalServerProcess(tmp_path, env={"ADMIN_PASSWORD": ""}).start()
    try:
        password = printed_password(server.log())
        assert password and len(password) >= 16
        assert server.url in server.log()  # printed with the URL to open
        assert httpx.get(f"{server.url}/api/login").json() == {"enabled": True, "signed_in": False}
        assert login(server.url, password).status_code == 200
        assert login(server.url, "not-it-at-all").status_code == 401
    finally:
        server.stop()
    with sqlite3.connect(server.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert password not in dump and "pbkdf2_sha256$100000$" in dump
    server.start()  # the same database again: nothing new to print, the same password
    try:
        assert server.log().count("password: ") == 1
        assert login(server.url, password).status_code == 200
    finally:
        server.stop()


def test_the_database_file_and_its_wal_are_owner_only(tmp_path):
    legacy = tmp_path / "pool.sqlite3"
    legacy.touch(mode=0o644)  # a database made before this fix
    os.chmod(legacy, 0o644)
    server = LocalServerProcess(tmp_path).start()
    try:
        assert httpx.get(f"{server.url}/api/keys", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
        for suffix in ("", "-wal", "-shm"):
            path = tmp_path / f"pool.sqlite3{suffix}"
            assert path.exists(), suffix
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    finally:
        server.stop()


def test_a_short_admin_token_is_refused_at_start(tmp_path):
    result = subprocess.run([sys.executable, "-m", "keypool", "serve", "--port", "0", "--db", str(tmp_path / "x")],
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "ADMIN_TOKEN": "short-token"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "at least 16 characters" in result.stderr and "secrets.token_urlsafe" in result.stderr
    assert "short-token" not in result.stderr + result.stdout


def test_repeated_failures_are_throttled_even_for_the_right_password(tmp_path):
    server = LocalServerProcess(tmp_path).start()
    try:
        for _ in range(5):
            assert login(server.url, "guess").status_code == 401
        throttled = login(server.url, ADMIN_PASSWORD)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
    finally:
        server.stop()


def test_forwarded_for_is_not_believed_from_an_untrusted_peer(tmp_path):
    """Rotating X-Forwarded-For used to escape the throttle (uvicorn trusted it from loopback)."""
    server = LocalServerProcess(tmp_path).start()
    try:
        for i in range(5):
            assert login(server.url, "guess", **{"x-forwarded-for": f"198.51.100.{i}"}).status_code == 401
        assert login(server.url, "guess", **{"x-forwarded-for": "198.51.100.99"}).status_code == 429
        entries = httpx.get(f"{server.url}/api/audit", params={"action": "login"},
                            headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).json()["items"]
        assert {e["address"] for e in entries} == {"127.0.0.1"}
    finally:
        server.stop()


def test_a_trusted_proxy_names_the_client_and_a_spoofed_victim_is_not_locked_out(tmp_path):
    server = LocalServerProcess(tmp_path, env=LOOPBACK_PROXY).start()
    try:
        attacker, victim = {"x-forwarded-for": "203.0.113.66"}, {"x-forwarded-for": "198.51.100.7"}
        for _ in range(5):
            assert login(server.url, "guess", **attacker).status_code == 401
        assert login(server.url, "guess", **attacker).status_code == 429
        # The victim's own address has no failures: the right password works at once.
        assert login(server.url, ADMIN_PASSWORD, **victim).status_code == 200
        # A client's own X-Forwarded-For is left of what the proxy appended: it cannot pick its address.
        spoofed = {"x-forwarded-for": "198.51.100.7, 203.0.113.66"}
        assert login(server.url, "guess", **spoofed).status_code == 429
    finally:
        server.stop()


def test_many_addresses_guessing_one_username_meet_growing_delays(tmp_path):
    server = LocalServerProcess(tmp_path, env=LOOPBACK_PROXY).start()
    try:
        for i in range(10):  # each address stays under its own limit
            assert login(server.url, "guess", **{"x-forwarded-for": f"203.0.113.{i}"}).status_code == 401
        response = login(server.url, "guess", **{"x-forwarded-for": "203.0.113.200"})
        assert response.status_code == 429 and int(response.headers["retry-after"]) <= 61
    finally:
        server.stop()


def test_wrong_bearer_tokens_are_throttled(tmp_path):
    server = LocalServerProcess(tmp_path).start()
    try:
        statuses = [httpx.get(f"{server.url}/api/keys", headers={"authorization": f"Bearer guess-{i:012d}"})
                    .status_code for i in range(12)]
        assert statuses[:10] == [401] * 10 and statuses[-1] == 429
        # Other callers (and a signed-in browser) are not held up by it... but this address is:
        response = httpx.get(f"{server.url}/api/keys", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    finally:
        server.stop()


def test_behind_a_trusted_https_proxy_cookies_are_host_prefixed_and_secure(tmp_path):
    server = LocalServerProcess(tmp_path, env=LOOPBACK_PROXY).start()
    try:
        https = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7"}
        response = login(server.url, ADMIN_PASSWORD, **https)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-kp_session=") and "; Secure" in cookie and "Path=/" in cookie
        assert "max-age=31536000" in response.headers["strict-transport-security"]
        token = cookie.split(";")[0].split("=", 1)[1]
        session = httpx.get(f"{server.url}/api/session", headers={**https, "cookie": f"__Host-kp_session={token}"})
        assert session.status_code == 200
        plain = login(server.url, ADMIN_PASSWORD)  # a plain-http request gets neither
        assert plain.headers["set-cookie"].startswith("kp_session=") and "Secure" not in plain.headers["set-cookie"]
        assert "strict-transport-security" not in plain.headers
    finally:
        server.stop()


@pytest.mark.parametrize("change", ["ADMIN_USERNAME", "ADMIN_PASSWORD"])
def test_a_renamed_admin_or_a_new_password_ends_sessions_even_with_a_session_secret(tmp_path, change):
    env = {"SESSION_SECRET": "a-fixed-session-secret-for-this-test"}
    server = LocalServerProcess(tmp_path, env=env).start()
    try:
        cookie = login(server.url, ADMIN_PASSWORD).headers["set-cookie"].split(";")[0]
        assert httpx.get(f"{server.url}/api/session", headers={"cookie": cookie}).status_code == 200
    finally:
        server.stop()
    server.env[change] = "someone-else" if change == "ADMIN_USERNAME" else "a-brand-new-password"
    server.start()
    try:
        assert httpx.get(f"{server.url}/api/session", headers={"cookie": cookie}).status_code == 401
    finally:
        server.stop()


def test_reset_password_from_the_command_line_ends_every_session(tmp_path):
    server = LocalServerProcess(tmp_path).start()
    try:
        cookie = login(server.url, ADMIN_PASSWORD).headers["set-cookie"].split(";")[0]
        result = subprocess.run([sys.executable, "-m", "keypool", "reset-password", "--db", str(server.db_path)],
                                env=server.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        new = result.stdout.strip().rsplit(" ", 1)[-1]
        # Another process changed the database: this one sees it within the state cache's few seconds.
        import time
        time.sleep(5.5)
        assert httpx.get(f"{server.url}/api/session", headers={"cookie": cookie}).status_code == 401
        assert login(server.url, ADMIN_PASSWORD).status_code == 401  # the new one wins over ADMIN_PASSWORD
        assert login(server.url, new).status_code == 200
    finally:
        server.stop()


def test_the_admin_allowlist_shuts_out_other_addresses_behind_a_trusted_proxy(tmp_path):
    server = LocalServerProcess(tmp_path, env=LOOPBACK_PROXY).start()
    inside, outside = {"x-forwarded-for": "198.51.100.7"}, {"x-forwarded-for": "203.0.113.9"}
    token = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        settings = httpx.put(f"{server.url}/api/settings", json={"admin_ip_allowlist": ["198.51.100.0/24"]},
                             headers={**token, **inside})
        assert settings.status_code == 200, settings.text
        refused = httpx.get(f"{server.url}/api/keys", headers={**token, **outside})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "address_not_allowed"
        assert login(server.url, ADMIN_PASSWORD, **outside).status_code == 403
        assert httpx.get(f"{server.url}/api/keys", headers={**token, **inside}).status_code == 200
        signed = login(server.url, ADMIN_PASSWORD, **inside)
        assert signed.status_code == 200
        cookie = {"cookie": signed.headers["set-cookie"].split(";")[0]}
        assert httpx.get(f"{server.url}/api/keys", headers={**cookie, **outside}).status_code == 403
        assert httpx.get(f"{server.url}/healthz", headers=outside).status_code == 200
    finally:
        server.stop()
