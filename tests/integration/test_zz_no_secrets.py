"""After everything the integration suites did to the shared local server (every proxy
error path, sign-ins right and wrong, imports, exports, copies, guest sessions,
password changes), no secret is in its log, its request log or its audit trail.

Named to run after the other integration modules (pytest takes files in name
order); tests/worker/test_zz_worker_no_secrets.py does the same for the Worker."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest

from support import ADMIN_PASSWORD, ADMIN_TOKEN, admin_client, make_key

# An upstream key in full (masked ones read "sk-abcd...wxyz"), a client key in full.
FULL_KEY = re.compile(r"sk-(?!kp-)[A-Za-z0-9]{16,}")
FULL_CLIENT_KEY = re.compile(r"sk-kp-[A-Za-z0-9]{20,}")
# Passwords and tokens the suites use.
SECRETS = (ADMIN_TOKEN, ADMIN_PASSWORD, "test-session-secret", "a-new-admin-password", "guest-password-1",
           "another-guest-pw", "matrix-guest-password", "not-the-password-123", "wrong-guess")


def leaks(text: str) -> list[str]:
    found = FULL_KEY.findall(text) + FULL_CLIENT_KEY.findall(text)
    return found + [secret for secret in SECRETS if secret in text]


def stored_text(rows) -> str:
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


@pytest.fixture(scope="module")
def exercised(local_server, fake_siliconflow):
    """A few error paths of its own, so the module means something when run alone too."""
    key = make_key("zzleak")
    fake_siliconflow.set_key(key, "invalid")
    with admin_client(local_server.url) as api:
        api.post("/api/keys", json={"keys": [key]})
        client_key = api.post("/api/client-keys", json={"name": "zz"}).json()["key"]
        httpx.post(f"{local_server.url}/v1/chat/completions", json={"model": "m", "messages": []},
                   headers={"authorization": f"Bearer {client_key}"})
        httpx.post(f"{local_server.url}/v1/chat/completions", json={"model": "m"},
                   headers={"authorization": f"Bearer {client_key}x"})
        httpx.post(f"{local_server.url}/api/login", json={"username": "admin", "password": "wrong-guess"})
        api.get("/api/keys/export")
    return local_server


def test_no_secret_in_the_server_log(exercised):
    log = exercised.log()
    assert log, "no server log to read"
    assert leaks(log) == []


def test_no_secret_in_the_request_log_or_the_audit_trail(exercised):
    local_server = exercised
    with sqlite3.connect(local_server.db_path) as conn:
        requests = conn.execute("SELECT * FROM request_logs UNION ALL SELECT * FROM request_logs_old").fetchall()
        audit = conn.execute("SELECT * FROM audit_log").fetchall()
    assert audit, "the suites left no audit entry: is this the shared server's database?"
    assert leaks(stored_text(requests)) == []
    assert leaks(stored_text(audit)) == []
