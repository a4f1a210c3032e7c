"""Who may call the admin API: the bearer ADMIN_TOKEN, or an admin session
(cookie from POST /api/login, with its CSRF token on every unsafe method)."""

from __future__ import annotations

import hmac
from collections import deque

from .core.sessions import COOKIE, TTL_S, cookie_value, csrf_token, make_session, session_user, signing_key
from .audit import AuditTrail
from .http import HTTPError, Request, Response
from .ports import Clock
from .settings import Settings

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "x-csrf-token"
MAX_FAILURES = 5        # failed logins per client address ...
FAILURE_WINDOW_S = 300  # ... within this window, then 429 until the oldest ages out


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected and hmac.compare_digest(given.encode(), expected.encode()))


def is_admin(request: Request, settings: Settings) -> bool:
    if request.session_user is not None:
        return True
    if _same(request.bearer_token(), settings.admin_token):
        request.principal = "token"
        return True
    return False


def require_admin(request: Request, settings: Settings) -> None:
    if is_admin(request, settings):
        return
    if request.csrf_failed:
        raise HTTPError(403, f"missing or wrong {CSRF_HEADER} header for this session", code="csrf_failed")
    if not settings.admin_token and not settings.admin_password:
        raise HTTPError(401, "the admin API is locked: set ADMIN_PASSWORD (to sign in) or ADMIN_TOKEN "
                             "(for 'Authorization: Bearer <token>') as Worker secrets or environment variables")
    raise HTTPError(401, "sign in (POST /api/login) or send 'Authorization: Bearer <ADMIN_TOKEN>'",
                    code="invalid_admin_token")


class AdminSessions:
    """Login, logout and the per-request session check. Failed logins are
    throttled per client address (per process; per isolate in the Worker)."""

    def __init__(self, settings: Settings, clock: Clock, audit: AuditTrail):
        self.settings = settings
        self.clock = clock
        self.audit = audit
        self.key = signing_key(settings.session_secret, settings.admin_password) if settings.admin_password else None
        self._failures: dict[str, deque[float]] = {}

    def authenticate(self, request: Request) -> None:
        token = cookie_value(request.headers.get("cookie", "")) if self.key else None
        if not token:
            return
        user = session_user(self.key, token, self.clock.now())
        if user is None:
            return
        if request.method not in SAFE_METHODS and not _same(request.headers.get(CSRF_HEADER),
                                                            csrf_token(self.key, token)):
            request.csrf_failed = True
            return
        request.session_user = user

    def _cookie(self, request: Request, value: str, max_age: int) -> tuple[str, str]:
        secure = "; Secure" if request.scheme == "https" else ""
        return ("set-cookie", f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")

    def _throttled(self, address: str, now: float) -> float:
        failures = self._failures.get(address)
        while failures and failures[0] <= now - FAILURE_WINDOW_S:
            failures.popleft()
        return failures[0] + FAILURE_WINDOW_S - now if failures and len(failures) >= MAX_FAILURES else 0.0

    async def login(self, request: Request) -> Response:
        if self.key is None:
            raise HTTPError(403, "sign-in is off: set ADMIN_PASSWORD (a Worker secret: `npx wrangler secret put "
                                 "ADMIN_PASSWORD`; locally an environment variable) and restart", code="login_disabled")
        body = request.json_object()
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise HTTPError(400, '"username" and "password" must be strings')
        now = self.clock.now()
        address = request.client_ip or "unknown"
        wait = self._throttled(address, now)
        if wait:
            raise HTTPError(429, "too many failed sign-ins; try again later", code="login_throttled",
                            headers=[("retry-after", str(int(wait) + 1))])
        # Both compared, always, so timing does not tell which one was wrong.
        right_user = _same(username, self.settings.admin_username)
        right_password = _same(password, self.settings.admin_password)
        if not (right_user and right_password):
            self._failures.setdefault(address, deque()).append(now)
            await self.audit.record(request, "login.failed")
            raise HTTPError(401, "wrong username or password", code="invalid_credentials")
        self._failures.pop(address, None)
        token = make_session(self.key, username, now)
        await self.audit.record(request, "login", actor=username)
        return Response.json({"username": username, "csrf_token": csrf_token(self.key, token)},
                             headers=[self._cookie(request, token, TTL_S), ("cache-control", "no-store")])

    async def info(self, request: Request) -> Response:
        """What the sign-in page needs before anyone signs in: whether sign-in is on at all."""
        return Response.json({"enabled": self.key is not None}, headers=[("cache-control", "no-store")])

    async def logout(self, request: Request) -> Response:
        if request.session_user is not None:
            await self.audit.record(request, "logout")
        return Response.json({"ok": True}, headers=[self._cookie(request, "", 0)])

    async def current(self, request: Request) -> Response:
        """The signed-in admin and the CSRF token, for a page that was reloaded."""
        token = cookie_value(request.headers.get("cookie", "")) if self.key else None
        if request.session_user is None or token is None:
            raise HTTPError(401, "not signed in", code="not_signed_in")
        return Response.json({"username": request.session_user, "csrf_token": csrf_token(self.key, token)},
                             headers=[("cache-control", "no-store")])
