"""The authorization matrix: every route the app has x every kind of caller.

The routes come from the app itself, so a route added later is checked as
admin-only unless this table says otherwise: a new public route has to be
declared here on purpose. Each request comes from an address of its own
(X-Forwarded-For behind a trusted proxy locally, CF-Connecting-IP in the
Worker), so the throttles never decide an answer; admin and guest sessions
are fresh for every request, so sign-out and "sign out everywhere" can be
tried like any other route. tests/worker/test_worker_auth_matrix.py runs it
on the Worker.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from support import ADMIN_PASSWORD, ADMIN_TOKEN, LocalServerProcess, make_key

GUEST_PASSWORD = "matrix-guest-password"
PRINCIPALS = ("anonymous", "guest", "client", "client_upstream", "session_no_csrf", "session", "token",
              "foreign_origin")
# Routes open to every caller (what they answer depends on the body, never 401/403 for want of a credential).
PUBLIC = {"/healthz", "/", "/api/login", "/api/logout", "/api/public/info", "/api/guest/login", "/api/guest/logout"}
PUBLIC_PREFIXES = ("/static/",)
SESSION = {"/api/session"}                      # about the signed-in admin's session
VISITOR = {"/api/public/keys", "/api/public/keys/{id:int}/copy"}   # the public view (guest mode here)
UPSTREAM_KEY = {"/api/key"}                     # admin, or a client key allowed to fetch upstream keys
CLIENT = {"/v1/{rest:path}"}                    # client keys only; cookies never count
SAFE = ("GET", "HEAD", "OPTIONS")
BODIES = {"/api/guest-password": {"password": "x"}}  # would otherwise clear the guest password
_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), range(250), range(1, 250)))


def app_routes() -> list[tuple[str, str]]:
    """(path pattern, method) of every route, read from a freshly built app."""
    from keypool.adapters.file_assets import FileAssets
    from keypool.adapters.hashlib_kdf import HashlibKeyDerivation
    from keypool.adapters.sqlite import SQLiteDatabase
    from keypool.adapters.system_clock import SystemClock
    from keypool.adapters.system_resolver import SystemResolver
    from keypool.app import create_app
    from keypool.server import STATIC_DIR
    from keypool.settings import Settings

    async def build():
        return create_app(Settings(), SQLiteDatabase(":memory:"), None, FileAssets(STATIC_DIR), SystemClock(),
                          HashlibKeyDerivation(), SystemResolver())

    app = asyncio.run(build())
    return [(route.path, method) for route in app.router.routes for method in route.methods]


def concrete(pattern: str) -> str:
    return (pattern.replace("{id:int}", "999999").replace("{rest:path}", "models")
            .replace("{name:path}", "js/nothing-here.js"))


def kind_of(pattern: str) -> str:
    for kind, paths in (("public", PUBLIC), ("session", SESSION), ("visitor", VISITOR),
                        ("upstream_key", UPSTREAM_KEY), ("client", CLIENT)):
        if pattern in paths:
            return kind
    if pattern.startswith(PUBLIC_PREFIXES):
        return "public"
    if pattern.startswith("/api/"):
        return "admin"
    return "page"  # the UI's pages: HTML for anyone; their data comes from the API above


def expected(kind: str, principal: str, method: str) -> str | int:
    """"allow" (anything but 401/403), or the exact refusal."""
    safe = method in SAFE
    admin_cookie = principal in ("session", "session_no_csrf", "foreign_origin")
    admin = principal in ("session", "token") or (admin_cookie and safe)
    if kind in ("public", "page"):
        return "allow"
    if method == "OPTIONS" and kind == "client":
        return "allow"  # CORS preflight, for browser chat apps
    if kind == "admin":
        if admin:
            return "allow"
        return 403 if admin_cookie else 401
    if kind == "session":
        return "allow" if admin_cookie and (safe or principal == "session") else 401
    if kind == "visitor":
        return "allow" if admin or principal == "guest" else 401
    if kind == "upstream_key":
        if admin or principal == "client_upstream":
            return "allow"
        return 403 if principal == "client" else 401
    if kind == "client":
        return "allow" if principal in ("client", "client_upstream") else 401
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory, fake_siliconflow):
    server = LocalServerProcess(tmp_path_factory.mktemp("matrix"), env={
        "UPSTREAM_BASE_URL": fake_siliconflow.url, "TRUSTED_PROXIES": "127.0.0.1/32"}).start()
    yield server
    server.stop()


class Callers:
    def __init__(self, url: str):
        self.url = url
        admin = self.admin()
        assert admin.post("/api/keys", json={"keys": [make_key("matrix")]}).status_code == 200
        assert admin.put("/api/settings", json={"access_mode": "guest", "visitor_copy": True, "admin_ip_allowlist": [],
                                                "client_side_checking": True}).status_code == 200
        assert admin.put("/api/guest-password", json={"password": GUEST_PASSWORD}).status_code == 200
        self.client_key = admin.post("/api/client-keys", json={"name": "matrix"}).json()["key"]
        self.upstream_key = admin.post("/api/client-keys", json={"name": "matrix-up", "allow_upstream_key": True}
                                       ).json()["key"]

    def _address(self) -> dict[str, str]:
        address = next(_addresses)
        return {"x-forwarded-for": address, "cf-connecting-ip": address}

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"authorization": f"Bearer {ADMIN_TOKEN}", **self._address()})

    def headers(self, principal: str) -> dict[str, str]:
        headers = self._address()
        if principal in ("session", "session_no_csrf", "foreign_origin"):
            signed = httpx.post(f"{self.url}/api/login", headers=headers,
                                json={"username": "admin", "password": ADMIN_PASSWORD})
            assert signed.status_code == 200, signed.text
            headers["cookie"] = signed.headers["set-cookie"].split(";")[0]
            if principal != "session_no_csrf":
                headers["x-csrf-token"] = signed.json()["csrf_token"]
            if principal == "foreign_origin":
                headers["origin"] = "https://evil.example"
        elif principal == "guest":
            signed = httpx.post(f"{self.url}/api/guest/login", headers=headers, json={"password": GUEST_PASSWORD})
            assert signed.status_code == 200, signed.text
            headers["cookie"] = signed.headers["set-cookie"].split(";")[0]
        elif principal == "client":
            headers["authorization"] = f"Bearer {self.client_key}"
        elif principal == "client_upstream":
            headers["authorization"] = f"Bearer {self.upstream_key}"
        elif principal == "token":
            headers["authorization"] = f"Bearer {ADMIN_TOKEN}"
        return headers


def test_every_route_for_every_kind_of_caller(matrix_server, fake):
    callers = Callers(matrix_server.url)
    routes = [(p, m) for p, m in app_routes() if m != "HEAD"]
    assert len(routes) > 40
    wrong = []
    for (pattern, method), principal in itertools.product(routes, PRINCIPALS):
        want = expected(kind_of(pattern), principal, method)
        body = BODIES.get(pattern, {}) if method not in SAFE else None
        response = httpx.request(method, f"{matrix_server.url}{concrete(pattern)}", json=body, timeout=60,
                                 headers=callers.headers(principal))
        got = response.status_code
        if got >= 500 or (want == "allow" and got in (401, 403)) or (want != "allow" and got != want):
            wrong.append(f"{method} {pattern} as {principal}: expected {want}, got {got} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
