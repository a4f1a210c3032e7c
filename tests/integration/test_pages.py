"""The admin UI's pages and files over real HTTP: content types, the strict CSP on every
HTML answer, ETag/304, cache headers, and the HTML 404 page. tests/worker/test_worker_pages.py
runs the same tests against the Worker serving from KV."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from support import ROOT

PAGES = ("/", "/admin", "/keys", "/logs", "/settings", "/docs")
SHELL = (ROOT / "static" / "index.html").read_bytes()


def expected_etag(path: str) -> str:
    return '"' + hashlib.sha256((ROOT / "static" / path).read_bytes()).hexdigest()[:32] + '"'


def browser_like(server) -> httpx.Client:
    """No admin token: the pages and files are public."""
    return httpx.Client(base_url=server.url, timeout=30)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_path_serves_the_shell_with_a_strict_policy(local_server, path, fake_siliconflow):
    with browser_like(local_server) as web:
        response = web.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.content == SHELL
        policy = response.headers["content-security-policy"]
        for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                     "frame-ancestors 'none'", "form-action 'self'"):
            assert part in policy
        assert f"connect-src 'self' {fake_siliconflow.url}" in policy  # client-side checks call the upstream
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["etag"] == expected_etag("index.html")


@pytest.mark.parametrize("path, content_type", [
    ("js/app.js", "text/javascript; charset=utf-8"),
    ("css/app.css", "text/css; charset=utf-8"),
    ("i18n/zh.json", "application/json; charset=utf-8"),
    ("img/icon.svg", "image/svg+xml; charset=utf-8"),
    ("vendor/htm-preact-standalone-3.1.1.js", "text/javascript; charset=utf-8"),
])
def test_static_files_have_their_type_an_etag_and_cache_headers(local_server, path, content_type):
    with browser_like(local_server) as web:
        response = web.get(f"/static/{path}")
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert response.content == (ROOT / "static" / path).read_bytes()
        assert response.headers["etag"] == expected_etag(path)
        cache = response.headers["cache-control"]
        assert cache == ("public, max-age=31536000, immutable" if path.startswith("vendor/") else "no-cache")


@pytest.mark.parametrize("path", ["/static/js/app.js", "/keys", "/static/vendor/chart-4.6.1.umd.min.js"])
def test_a_matching_if_none_match_answers_304_without_a_body(local_server, path):
    with browser_like(local_server) as web:
        first = web.get(path)
        etag = first.headers["etag"]
        for tag in (etag, f'W/{etag}', f'"other", {etag}', "*"):
            again = web.get(path, headers={"if-none-match": tag})
            assert again.status_code == 304, tag
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert again.headers["cache-control"] == first.headers["cache-control"]
        assert web.get(path, headers={"if-none-match": '"stale"'}).status_code == 200


def test_unknown_page_paths_get_the_html_404_page(local_server):
    with browser_like(local_server) as web:
        for path in ("/nope", "/keys/extra", "/admin/x/y"):
            response = web.get(path)
            assert response.status_code == 404
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert response.content == SHELL  # its script shows the translated "page not found"
            assert "script-src 'self'" in response.headers["content-security-policy"]
        assert web.head("/nope").status_code == 404


def test_api_v1_and_static_misses_stay_json_404(local_server):
    with browser_like(local_server) as web:
        for path in ("/api/nope", "/static/nope.js"):
            response = web.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["type"] == "not_found_error"
        # a way out of static/ (URL parsers may resolve it first: then it is an unknown page)
        escape = web.get("/static/%2e%2e/src/keypool/app.py")
        assert escape.status_code == 404 and "create_app" not in escape.text
        assert web.get("/v1/nope", headers={"authorization": "Bearer nope"}).status_code in (401, 404)
        assert "text/html" not in web.get("/v1/nope").headers.get("content-type", "")


def test_head_of_a_page_has_the_headers_and_no_body(local_server):
    with browser_like(local_server) as web:
        response = web.head("/keys")
        assert response.status_code == 200 and response.content == b""
        assert response.headers["etag"] == expected_etag("index.html")
