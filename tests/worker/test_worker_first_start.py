"""The Worker's sign-in set-up, on harnesses of their own: without ADMIN_PASSWORD
sign-in is refused and says how to set it; a short ADMIN_TOKEN is refused and the
proxy still serves; without SESSION_SECRET the session key is derived from the
password with PBKDF2 (WebCrypto) and sessions work as with one."""

from __future__ import annotations

import httpx
import pytest

from support import ADMIN_PASSWORD

from worker.conftest import WorkerHarness, harness_prerequisites


@pytest.fixture(scope="module")
def harness_factory(tmp_path_factory, fake_siliconflow):
    reason = harness_prerequisites()
    if reason:
        pytest.skip(reason)
    started: list[WorkerHarness] = []

    def start(env: dict[str, str]) -> WorkerHarness:
        harness = WorkerHarness(tmp_path_factory.mktemp("worker-first-start"),
                                env={"UPSTREAM_BASE_URL": fake_siliconflow.url, **env}).start()
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.stop()


def test_without_admin_password_sign_in_is_refused_with_how_to_set_it(harness_factory):
    worker = harness_factory({"ADMIN_TOKEN": "too-short"})
    assert httpx.get(f"{worker.url}/api/login").json() == {"enabled": False, "signed_in": False}
    response = httpx.post(f"{worker.url}/api/login", json={"username": "admin", "password": ""})
    assert response.status_code == 403
    assert "wrangler secret put ADMIN_PASSWORD" in response.json()["error"]["message"]
    refused = httpx.get(f"{worker.url}/api/keys", headers={"authorization": "Bearer too-short"})
    assert refused.status_code == 401 and "at least 16 characters" in refused.json()["error"]["message"]
    assert "too-short" not in refused.text
    assert httpx.get(f"{worker.url}/healthz").json() == {"ok": True}
    assert "at least 16 characters" in worker.log() and "too-short" not in worker.log()


def test_without_session_secret_the_key_is_derived_and_sessions_work(harness_factory):
    worker = harness_factory({"ADMIN_PASSWORD": ADMIN_PASSWORD})
    browser = httpx.Client(base_url=worker.url, timeout=60)
    signed = browser.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed.status_code == 200, signed.text
    csrf = signed.json()["csrf_token"]
    assert browser.get("/api/keys").status_code == 200
    assert browser.post("/api/keys", json={"keys": []}, headers={"x-csrf-token": csrf}).status_code == 200
    stolen = browser.cookies["kp_session"]
    assert browser.post("/api/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert httpx.get(f"{worker.url}/api/keys", cookies={"kp_session": stolen}).status_code == 401
    assert browser.post("/api/login", json={"username": "admin", "password": "wrong"}).status_code == 401
