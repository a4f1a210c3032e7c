"""Regression tests for the 500s an attack review found (issue 9, finding 6): each is a
clear 4xx now, and the server keeps answering. tests/worker/test_worker_bad_input.py
runs them on the Worker, where a deeply nested body used to stop the isolate."""

from __future__ import annotations

import httpx
import pytest

from support import make_key

HUGE = 2**63  # one past SQLite's largest integer
JS_UNSAFE = 2**53 - 1  # the Worker binds integers as JS numbers: Pyodide makes this one a BigInt


@pytest.mark.parametrize("depth", [100, 400, 100_000])
def test_deeply_nested_json_is_refused_and_the_server_goes_on(api, local_server, depth):
    body = b"[" * depth + b"]" * depth
    for path in ("/api/login", "/api/keys", "/api/settings"):
        method = "PUT" if path == "/api/settings" else "POST"
        response = api.request(method, path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400 and "nested deeper" in response.json()["error"]["message"], path
    assert httpx.get(f"{local_server.url}/healthz", timeout=10).json() == {"ok": True}


def test_integers_beyond_64_bits_are_400_or_404(api):
    api.post("/api/keys", json={"keys": [make_key("huge")]})
    for method, path, body in (
        ("POST", "/api/keys/delete", {"ids": [HUGE]}),
        ("POST", "/api/keys/delete", {"ids": [JS_UNSAFE]}),
        ("POST", "/api/keys/check", {"ids": [HUGE]}),
        ("POST", "/api/client-keys", {"name": "x", "rpm_limit": HUGE}),
        ("POST", "/api/client-keys", {"name": "x", "request_quota": HUGE}),
        ("GET", f"/api/keys?page={HUGE}", None),
        ("GET", f"/api/logs?page={HUGE}", None),
        ("GET", f"/api/logs?key_id={HUGE}", None),
    ):
        response = api.request(method, path, json=body)
        assert response.status_code == 400, (method, path, response.status_code, response.text)
    for path in (f"/api/keys/{HUGE}/history", f"/api/jobs/{HUGE}", f"/api/keys/{10**30}/history",
                 f"/api/jobs/{JS_UNSAFE}", f"/api/keys/{JS_UNSAFE}/history"):
        assert api.get(path).status_code == 404, path
    assert api.patch(f"/api/client-keys/{HUGE}", json={"name": "x"}).status_code == 404
    assert api.get("/api/keys").json()["total"] == 1  # nothing was deleted


def test_a_list_or_an_object_as_a_filter_value_is_400(api):
    for body in ({"status": ["valid"]}, {"status": {"x": 1}}, {"q": ["a"]}, {"min_balance": [1]},
                 {"min_balance": "nan"}, {"max_balance": "inf"}, {"ids": "1,2"}, {"ids": [True]}):
        response = api.post("/api/keys/delete", json=body)
        assert response.status_code == 400, (body, response.text)


@pytest.mark.parametrize("path", ["/static/%00", "/static/a%00b.js", "/%00", "/api/%00", "/static/" + "a" * 5000])
def test_control_characters_and_overlong_names_in_paths_are_no_500(api, path):
    response = api.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
