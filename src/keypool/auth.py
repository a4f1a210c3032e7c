"""Who may call the admin API, and sign-in itself.

A caller is the admin when it sends the bearer ADMIN_TOKEN or an admin
session cookie (from POST /api/login; unsafe methods also need the session's
CSRF token and, when the browser names one, our own Origin). An optional
allowlist of addresses (`admin_ip_allowlist`) applies to both.

What a session check needs from the database (password verifiers, the
session generation, revoked session ids, the allowlist) is read in one round
trip and cached for `STATE_TTL_S`, so admin calls cost at most one read per
few seconds per process or isolate; a change made here applies here at once,
and in other Worker isolates within `STATE_TTL_S`.

Wrong passwords and wrong bearer tokens are throttled per address (and
sign-ins per username too) with growing delays, per process (per isolate in
the Worker).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import replace
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .audit import AuditTrail
from .core.addresses import in_networks, parse_networks
from .core.passwords import ITERATIONS, Verifier, decode, generate_password, new_salt, weakness
from .core.sessions import (ADMIN_COOKIE, GUEST_COOKIE, GUEST_TTL_S, TTL_S, Session, cookie_name, cookie_value,
                            csrf_token, derive_key, fingerprint, make_session, read_session, same_secret)
from .core.throttle import Throttle
from .http import HTTPError, Request, Response
from .ports import Clock, KeyDerivation
from .settings import Settings
from .store import Store

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "x-csrf-token"
STATE_TTL_S = 5.0
MAX_CREDENTIAL = 1000
# Names in the secrets table.
ADMIN_PASSWORD = "admin_password"      # {"verifier": "pbkdf2_sha256$...", "source": "changed" | "generated"}
GUEST_PASSWORD = "guest_password"      # {"verifier": "pbkdf2_sha256$..."}
SESSION_SECRET = "session_secret"      # the local server's generated signing secret
GENERATION = "session_generation"      # + 1 on "sign out everywhere"
# Settings (config table) a session check needs.
STATE_SETTINGS = ("admin_ip_allowlist", "access_mode", "visitor_copy")
# Without SESSION_SECRET (Worker), the signing key is derived from the password.
SESSION_KEY_SALT = b"keypool-session-key"


def is_admin(request: Request, settings: Settings) -> bool:
    if request.admin_blocked:
        return False
    if request.session_user is not None:
        return True
    if same_secret(request.bearer_token(), settings.admin_token):
        request.principal = "token"
        return True
    return False


def require_admin(request: Request, settings: Settings) -> None:
    if is_admin(request, settings):
        return
    if request.admin_blocked:
        raise HTTPError(403, "admin access is not allowed from this address (admin_ip_allowlist)",
                        code="address_not_allowed")
    if request.csrf_failed:
        raise HTTPError(403, f"missing or wrong {CSRF_HEADER} header (or a foreign Origin) for this session",
                        code="csrf_failed")
    if settings.admin_token_refused and request.bearer_token() is not None:
        raise HTTPError(401, settings.admin_token_refused, code="invalid_admin_token")
    raise HTTPError(401, "sign in (POST /api/login) or send 'Authorization: Bearer <ADMIN_TOKEN>'",
                    code="invalid_admin_token")


@dataclass
class AuthState:
    """A snapshot of the database's part of the decision."""

    secrets: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    config: dict[str, Any] = field(default_factory=dict)
    loaded_at: float = float("-inf")

    def stored(self, name: str) -> dict[str, Any] | None:
        try:
            value = json.loads(self.secrets[name])
        except (KeyError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    @property
    def access_mode(self) -> str:
        return self.config.get("access_mode") or "private"

    @property
    def generation(self) -> int:
        value = self.secrets.get(GENERATION, "0")
        return int(value) if value.isdigit() else 0


@dataclass(frozen=True)
class Credential:
    """What a password is checked against: a stored verifier, or ADMIN_PASSWORD itself."""

    verifier: Verifier | None = None
    plain: str | None = None

    @property
    def ident(self) -> str:
        """Names the credential without revealing it (sessions are bound to it)."""
        if self.verifier is not None:
            return self.verifier.encode()
        return "env:" + hmac.new(b"keypool-env-password", (self.plain or "").encode(), "sha256").hexdigest()


def throttled(wait: float, message: str) -> HTTPError:
    return HTTPError(429, message, code="login_throttled", headers=[("retry-after", str(int(wait) + 1))])


async def make_verifier(kdf: KeyDerivation, password: str) -> Verifier:
    salt = new_salt()
    return Verifier(ITERATIONS, salt, await kdf.pbkdf2_sha256(password.encode(), salt, ITERATIONS))


class Auth:
    def __init__(self, settings: Settings, store: Store, clock: Clock, audit: AuditTrail, kdf: KeyDerivation):
        self.settings, self.store, self.clock, self.audit, self.kdf = settings, store, clock, audit, kdf
        self._state = AuthState()
        self._keys: dict[str, bytes] = {}  # signing keys by what they derive from
        self.login_throttle = Throttle(free=5, base_s=1.0, cap_s=900.0)
        self.user_throttle = Throttle(free=10, base_s=1.0, cap_s=60.0)   # many addresses, one username
        self.token_throttle = Throttle(free=10, base_s=1.0, cap_s=300.0)

    # --- state -------------------------------------------------------------

    async def state(self) -> AuthState:
        now = self.clock.now()
        if now - self._state.loaded_at > STATE_TTL_S:
            secrets, revoked, config = await self.store.db.read(self.store.secrets.state_queries(now, STATE_SETTINGS))
            self._state = AuthState(
                secrets={row["name"]: row["value"] for row in secrets},
                revoked={row["id"] for row in revoked},
                config=self.store.config.decode(config),
                loaded_at=now,
            )
        return self._state

    def invalidate(self) -> None:
        """Settings or secrets changed here: read them again on the next check."""
        self._state.loaded_at = float("-inf")

    def admin_credential(self, state: AuthState) -> Credential | None:
        """A password changed in the UI wins over ADMIN_PASSWORD, which wins over a generated one."""
        stored = state.stored(ADMIN_PASSWORD)
        verifier = decode(stored.get("verifier", "")) if stored else None
        if verifier is not None and stored.get("source") == "changed":
            return Credential(verifier=verifier)
        if self.settings.admin_password:
            return Credential(plain=self.settings.admin_password)
        return Credential(verifier=verifier) if verifier is not None else None

    def guest_credential(self, state: AuthState) -> Credential | None:
        stored = state.stored(GUEST_PASSWORD)
        verifier = decode(stored.get("verifier", "")) if stored else None
        return Credential(verifier=verifier) if verifier is not None else None

    async def signing_key(self, credential: Credential | None) -> bytes | None:
        """SESSION_SECRET (the local server always has one: set, or generated and
        stored); else, in the Worker, derived from the password: from a stored
        verifier directly, from ADMIN_PASSWORD by PBKDF2 (100,000 iterations)."""
        if self.settings.session_secret:
            source = "secret"
        elif credential is None:
            return None
        else:
            source = credential.ident
        key = self._keys.get(source)
        if key is None:
            if source == "secret":
                key = derive_key(self.settings.session_secret)
            elif credential.verifier is not None:
                key = derive_key(credential.verifier.digest)
            else:
                key = derive_key(await self.kdf.pbkdf2_sha256(credential.plain.encode(), SESSION_KEY_SALT, ITERATIONS))
            self._keys = {source: key}
        return key

    async def check_password(self, password: str, credential: Credential) -> bool:
        if credential.verifier is None:
            return same_secret(password, credential.plain)
        verifier = credential.verifier
        digest = await self.kdf.pbkdf2_sha256(password.encode("utf-8", "surrogatepass"), verifier.salt,
                                              verifier.iterations)
        return verifier.matches(digest)

    # --- per request -------------------------------------------------------

    def _secure(self, request: Request) -> bool:
        return request.scheme == "https"

    def _same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin:
            return True  # not a browser, or a same-origin GET
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme == request.scheme and parts.netloc == request.headers.get("host", "")

    async def authenticate(self, request: Request) -> None:
        """Mark the request with what its credentials prove (see require_admin)."""
        cookies = request.headers.get("cookie", "")
        secure = self._secure(request)
        token = cookie_value(cookies, cookie_name(ADMIN_COOKIE, secure)) if cookies else None
        guest = cookie_value(cookies, cookie_name(GUEST_COOKIE, secure)) if cookies else None
        if token is None and guest is None and request.bearer_token() is None and request.path != "/api/login":
            return
        state = await self.state()
        if guest is not None and await self._guest_session(guest, state) is not None:
            request.principal = "guest"
        allowlist = state.config.get("admin_ip_allowlist") or []
        if allowlist and not in_networks(request.client_ip, parse_networks(allowlist)):
            request.admin_blocked = True
            return
        if token is None:
            return
        session = await self._admin_session(token, state)
        if session is None:
            return
        if request.method not in SAFE_METHODS:
            key = await self.signing_key(self.admin_credential(state))
            if not (key and same_secret(request.headers.get(CSRF_HEADER), csrf_token(key, token))
                    and self._same_origin(request)):
                request.csrf_failed = True
                return
        request.session_user = session.user
        request.session = session

    async def _admin_session(self, token: str, state: AuthState) -> Session | None:
        credential = self.admin_credential(state)
        key = await self.signing_key(credential)
        if key is None or credential is None:
            return None
        session = read_session(key, token, self.clock.now())
        if (session is None or session.role != "admin" or session.user != self.settings.admin_username
                or session.sid in state.revoked):
            return None
        expected = fingerprint(key, "admin", session.user, credential.ident, state.generation)
        return session if hmac.compare_digest(session.fingerprint, expected) else None

    async def _guest_session(self, token: str, state: AuthState) -> Session | None:
        """A guest session counts while the pool is in guest mode and the guest password is the one it was given on."""
        credential = self.guest_credential(state)
        key = await self.signing_key(self.admin_credential(state))
        if state.access_mode != "guest" or credential is None or key is None:
            return None
        session = read_session(key, token, self.clock.now())
        if session is None or session.role != "guest" or session.sid in state.revoked:
            return None
        expected = fingerprint(key, "guest", "guest", credential.ident, state.generation)
        return session if hmac.compare_digest(session.fingerprint, expected) else None

    def bearer_wait(self, request: Request) -> float:
        """Seconds a caller must wait after too many wrong bearer tokens (0: go on)."""
        if request.bearer_token() is None:
            return 0.0
        return self.token_throttle.wait_s(request.client_ip or "unknown", self.clock.now())

    def bearer_failed(self, request: Request) -> None:
        self.token_throttle.fail(request.client_ip or "unknown", self.clock.now())

    # --- cookies -----------------------------------------------------------

    def cookie(self, request: Request, base: str, value: str, max_age: int) -> tuple[str, str]:
        secure = self._secure(request)
        flags = "; Secure" if secure else ""
        return ("set-cookie", f"{cookie_name(base, secure)}={value}; Path=/; HttpOnly; SameSite=Strict; "
                              f"Max-Age={max_age}{flags}")

    async def _issue(self, request: Request, state: AuthState, username: str) -> Response:
        credential = self.admin_credential(state)
        key = await self.signing_key(credential)
        fp = fingerprint(key, "admin", username, credential.ident, state.generation)
        token = make_session(key, "admin", username, fp, self.clock.now(), TTL_S)
        return Response.json({"username": username, "csrf_token": csrf_token(key, token)},
                             headers=[self.cookie(request, ADMIN_COOKIE, token, TTL_S), ("cache-control", "no-store")])

    # --- handlers ----------------------------------------------------------

    async def info(self, request: Request) -> Response:
        """What the sign-in page needs: whether sign-in is on, and whether this browser is
        signed in already (asked once, without a 401 in everyone's console)."""
        enabled = self.admin_credential(await self.state()) is not None
        return Response.json({"enabled": enabled, "signed_in": request.session_user is not None},
                             headers=[("cache-control", "no-store")])

    async def login(self, request: Request) -> Response:
        state = await self.state()
        credential = self.admin_credential(state)
        if credential is None:
            raise HTTPError(403, "sign-in is off: set ADMIN_PASSWORD (a Worker secret: `npx wrangler secret put "
                                 "ADMIN_PASSWORD`; locally an environment variable) and restart", code="login_disabled")
        if request.admin_blocked:
            raise HTTPError(403, "admin sign-in is not allowed from this address (admin_ip_allowlist)",
                            code="address_not_allowed")
        body = request.json_object()
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise HTTPError(400, '"username" and "password" must be strings')
        if len(username) > MAX_CREDENTIAL or len(password) > MAX_CREDENTIAL:
            raise HTTPError(400, f'"username" and "password" must be at most {MAX_CREDENTIAL} characters')
        now = self.clock.now()
        address = "addr:" + (request.client_ip or "unknown")
        right_user = same_secret(username, self.settings.admin_username)
        user = "user:" + self.settings.admin_username
        wait = max(self.login_throttle.wait_s(address, now), self.user_throttle.wait_s(user, now) if right_user else 0)
        if wait:
            raise throttled(wait, "too many failed sign-ins; try again later")
        # The password is always checked, so timing does not tell which one was wrong.
        right_password = await self.check_password(password, credential)
        if not (right_user and right_password):
            self.login_throttle.fail(address, now)
            if right_user:
                self.user_throttle.fail(user, now)
            await self.audit.record(request, "login.failed")
            raise HTTPError(401, "wrong username or password", code="invalid_credentials")
        self.login_throttle.succeed(address)
        self.user_throttle.succeed(user)
        await self.audit.record(request, "login", actor=self.settings.admin_username)
        return await self._issue(request, state, self.settings.admin_username)

    async def logout(self, request: Request) -> Response:
        session = request.session
        if session is not None:
            await self.store.secrets.revoke(session.sid, session.expires)
            self._state.revoked.add(session.sid)
            await self.audit.record(request, "logout")
        return Response.json({"ok": True}, headers=[self.cookie(request, ADMIN_COOKIE, "", 0)])

    async def current(self, request: Request) -> Response:
        """The signed-in admin and the CSRF token, for a page that was reloaded."""
        if request.session_user is None:
            raise HTTPError(401, "not signed in", code="not_signed_in")
        state = await self.state()
        key = await self.signing_key(self.admin_credential(state))
        token = cookie_value(request.headers.get("cookie", ""), cookie_name(ADMIN_COOKIE, self._secure(request)))
        return Response.json({"username": request.session_user, "csrf_token": csrf_token(key, token)},
                             headers=[("cache-control", "no-store")])

    async def sign_out_everywhere(self, request: Request) -> Response:
        """Every admin session ends, this one too."""
        require_admin(request, self.settings)
        await self.store.secrets.bump(GENERATION, self.clock.now())
        self.invalidate()
        await self.audit.record(request, "sessions.revoke_all")
        return Response.json({"ok": True}, headers=[self.cookie(request, ADMIN_COOKIE, "", 0)])

    # --- guests (access_mode "guest") ----------------------------------------

    async def guest_login(self, request: Request) -> Response:
        state = await self.state()
        credential = self.guest_credential(state)
        key = await self.signing_key(self.admin_credential(state))
        if state.access_mode != "guest" or credential is None:
            raise HTTPError(403, "guest sign-in is off: the pool is not shared with a guest password",
                            code="guest_login_disabled")
        if key is None:
            raise HTTPError(403, "guest sign-in needs SESSION_SECRET (or ADMIN_PASSWORD) to be set",
                            code="guest_login_disabled")
        password = request.json_object().get("password")
        if not isinstance(password, str) or len(password) > MAX_CREDENTIAL:
            raise HTTPError(400, '"password" must be a string')
        now = self.clock.now()
        address = "guest:" + (request.client_ip or "unknown")
        if wait := self.login_throttle.wait_s(address, now):
            raise throttled(wait, "too many wrong guest passwords; try again later")
        if not await self.check_password(password, credential):
            self.login_throttle.fail(address, now)
            await self.audit.record(request, "guest.login_failed")
            raise HTTPError(401, "wrong guest password", code="invalid_credentials")
        self.login_throttle.succeed(address)
        await self.audit.record(request, "guest.login", actor="guest")
        fp = fingerprint(key, "guest", "guest", credential.ident, state.generation)
        token = make_session(key, "guest", "guest", fp, now, GUEST_TTL_S)
        return Response.json({"ok": True}, headers=[self.cookie(request, GUEST_COOKIE, token, GUEST_TTL_S),
                                                    ("cache-control", "no-store")])

    async def guest_logout(self, request: Request) -> Response:
        return Response.json({"ok": True}, headers=[self.cookie(request, GUEST_COOKIE, "", 0)])

    async def set_guest_password(self, request: Request) -> Response:
        """`{"password": "..."}` sets the guest password (every guest session ends); null removes it."""
        require_admin(request, self.settings)
        password = request.json_object().get("password")
        now = self.clock.now()
        if password is None:
            await self.store.secrets.delete(GUEST_PASSWORD)
        else:
            if (reason := weakness(password)) is not None:
                raise HTTPError(400, reason, code="weak_password", param="password")
            verifier = await make_verifier(self.kdf, password)
            await self.store.secrets.put(GUEST_PASSWORD, json.dumps({"verifier": verifier.encode()}), now)
        self.invalidate()
        await self.audit.record(request, "guest.password", detail={"set": password is not None})
        return Response.json({"set": password is not None})

    async def change_password(self, request: Request) -> Response:
        """The admin password, stored as a PBKDF2 verifier; every other session ends
        (the caller's own session, if any, goes on with a fresh cookie)."""
        require_admin(request, self.settings)
        body = request.json_object()
        current, new = body.get("current"), body.get("new")
        if not isinstance(current, str) or len(current) > MAX_CREDENTIAL:
            raise HTTPError(400, '"current" must be the current password')
        if (reason := weakness(new)) is not None:
            raise HTTPError(400, reason, code="weak_password")
        state = await self.state()
        credential = self.admin_credential(state)
        now = self.clock.now()
        address = "addr:" + (request.client_ip or "unknown")
        if (wait := self.login_throttle.wait_s(address, now)):
            raise throttled(wait, "too many wrong passwords; try again later")
        if credential is not None and not await self.check_password(current, credential):
            self.login_throttle.fail(address, now)
            await self.audit.record(request, "password.change_failed")
            raise HTTPError(403, "the current password is wrong", code="wrong_password")
        await reset_password(self.store, self.kdf, now, new)
        self.invalidate()
        await self.audit.record(request, "password.change")
        if request.session_user is None:
            return Response.json({"ok": True})
        return await self._issue(request, await self.state(), request.session_user)


async def first_start(settings: Settings, store: Store, kdf: KeyDerivation, now: float) -> tuple[Settings, str | None]:
    """The local server's own secrets, made once and kept in the database (a 0600 file):
    a session secret when SESSION_SECRET is not set, and, when no admin password
    exists anywhere, a generated one. Returns the settings to run with and the
    generated password (None unless it was made just now)."""
    if not settings.session_secret:
        secret = await store.secrets.put_once(SESSION_SECRET, secrets.token_hex(32), now)
        settings = replace(settings, session_secret=secret)
    if settings.admin_password or await store.secrets.get(ADMIN_PASSWORD):
        return settings, None
    password = generate_password()
    verifier = await make_verifier(kdf, password)
    stored = await store.secrets.put_once(ADMIN_PASSWORD, json.dumps({"verifier": verifier.encode(),
                                                                      "source": "generated"}), now)
    return settings, password if verifier.encode() in stored else None


async def reset_password(store: Store, kdf: KeyDerivation, now: float, password: str | None = None) -> str:
    """`python -m keypool reset-password`: a new admin password (given, or generated),
    which wins over ADMIN_PASSWORD like one changed in the UI; every session ends."""
    password = password or generate_password()
    if (reason := weakness(password)) is not None:
        raise ValueError(reason)
    verifier = await make_verifier(kdf, password)
    await store.secrets.put(ADMIN_PASSWORD, json.dumps({"verifier": verifier.encode(), "source": "changed"}), now)
    return password
