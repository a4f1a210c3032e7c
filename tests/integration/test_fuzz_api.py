"""Property-based fuzzing of the admin and public JSON API and of query strings:
whatever the body, the query or the path id, the answer is never a 500, never a
traceback, and the server logs none. The routes come from the app itself.
tests/worker/test_worker_fuzz_api.py runs the same on the Worker."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.test_auth_matrix import app_routes
from support import ADMIN_TOKEN, LocalServerProcess

# Every field name the API reads, so fuzzed bodies reach the validation code, not just "unknown field".
FIELDS = sorted({
    "ids", "all", "status", "q", "min_balance", "max_balance", "zero_balance", "keys", "name", "models",
    "rpm_limit", "request_quota", "token_quota", "expires_at", "enabled", "allow_upstream_key", "username",
    "password", "current", "new", "format", "sep", "custom_sep", "concurrency", "interval_ms", "interval_min_ms",
    "interval_max_ms", "retries", "budget", "timeout_s", "results", "id", "body", "endpoint", "strategy",
    "max_attempts", "free_models", "page_size", "access_mode", "visitor_copy", "admin_ip_allowlist",
    "alert_webhook_url", "alert_min_total_balance", "log_retention_days", "candidate_window", "check_budget",
})
QUERY_FIELDS = sorted({"status", "q", "sort", "order", "page", "page_size", "min_balance", "max_balance",
                       "format", "sep", "custom_sep", "download", "range", "ids", "limit", "after", "key_id",
                       "client_key_id", "model", "errors", "error_class", "action", "actor"})
EXAMPLES = 25
# Routes that would end the fuzzing's own access or take long by design.
SKIP = {("POST", "/api/jobs/tick")}

numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=40),
                    st.sampled_from(["all", "valid", "invalid", "sk-" + "a" * 48, "", " ", "\u0000", "1e999",
                                     "-1", "99999999999999999999", "[]", "{}", "*", "../..", "%00"]))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.sampled_from(FIELDS), children, max_size=5)), max_leaves=20)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b"[" * depth + b"]" * depth),
)
queries = st.dictionaries(st.sampled_from(QUERY_FIELDS), st.one_of(
    st.text(max_size=30), numbers.map(lambda n: repr(n) if isinstance(n, float) and not math.isfinite(n) else str(n)),
    st.sampled_from(["", "all", "valid", "custom", "with_balance", "balance", "asc", "7d", "1,2,x", "\u00e9"])),
    max_size=5)
path_ids = st.one_of(st.integers(min_value=0, max_value=10**30).map(str),
                     st.sampled_from(["abc", "-1", "1.5", "%2e%2e", "0x10", ""]))

ROUTES = [(m, p) for p, m in app_routes() if m != "HEAD" and (m, p) not in SKIP
          and (p.startswith("/api/") or p == "/healthz")]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, fake_siliconflow):
    server = LocalServerProcess(tmp_path_factory.mktemp("fuzz"), env={"UPSTREAM_BASE_URL": fake_siliconflow.url})
    server.start()
    yield server
    server.stop()
    assert "Traceback" not in server.log(), server.log()[-3000:]


def check(response: httpx.Response, what: str) -> None:
    """No internal error: a 5xx only where the pool says why on purpose (503 no usable key, 502/504 upstream)."""
    assert response.status_code != 500, f"{what}: {response.text[:300]}"
    if response.status_code > 500:
        assert response.json()["error"]["code"], f"{what}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text, what


@pytest.mark.parametrize("method, pattern", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(body=bodies, query=queries, path_id=path_ids)
def test_no_body_query_or_id_makes_a_500(fuzz_server, method, pattern, body, query, path_id):
    fuzz_one(fuzz_server.url, method, pattern, body, query, path_id)


def fuzz_one(url: str, method: str, pattern: str, body: bytes, query: dict, path_id: str) -> None:
    path = pattern.replace("{id:int}", path_id)
    response = httpx.request(method, f"{url}{path}", params=query, timeout=60,
                             content=body if method not in ("GET", "OPTIONS") else None,
                             headers={"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"})
    check(response, f"{method} {path}?{query} body={body[:80]!r}")


@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
       raw=st.sampled_from(["/static/%00", "/static/%2e%2e/%2e%2e/etc/passwd", "/api/%00", "/%ff%fe", "/static/a%0ab",
                            "/api/keys/%31", "//api//keys", "/static/" + "a" * 2000]))
def test_no_path_makes_a_500(fuzz_server, path, raw):
    for target in (raw, "/" + path):
        try:
            response = httpx.get(f"{fuzz_server.url}{target}", timeout=60,
                                 headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        except httpx.InvalidURL:
            continue  # not sendable at all
        check(response, target)


def test_cookies_and_headers_of_any_shape_make_no_500(fuzz_server):
    odd = ["kp_session=\u00e9\u00e9", "kp_session=a.\u00e9", "kp_guest=\udcff", "kp_session=" + "x" * 8000,
           "=;;;==", "kp_session=a.b; kp_session=c.d", "__Host-kp_session=x.y"]
    for cookie in odd:
        for path in ("/api/keys", "/api/session", "/api/public/keys", "/api/login"):
            response = httpx.get(f"{fuzz_server.url}{path}",
                                 headers={"cookie": cookie.encode("utf-8", "surrogateescape")})
            check(response, f"{path} cookie={cookie[:30]!r}")
    for auth in ("Bearer \u00e9", "Bearer " + "x" * 10000, "bearer", "Basic Zm9vOmJhcg=="):
        response = httpx.get(f"{fuzz_server.url}/api/keys", headers={"authorization": auth.encode("utf-8")})
        check(response, auth[:30])
