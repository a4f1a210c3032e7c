"""Session tokens (admin and guest): signed, expiring, revocable; and their CSRF tokens.

A token is `payload.signature` (HMAC-SHA256). Its payload names the role,
the user, a random session id and a fingerprint of what the session was
granted on. The server refuses a token whose

- signature or expiry is wrong;
- user is not the configured admin username (a renamed admin's sessions end);
- fingerprint differs from the current one: it is derived from the password
  verifier and a generation counter, so a new password, or "sign out
  everywhere" (generation + 1), ends every session at once, with no list;
- session id was revoked (sign-out ends that one session).

Only the last needs state; the app keeps it cached (see auth.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

ADMIN_COOKIE = "kp_session"
GUEST_COOKIE = "kp_guest"
SECURE_PREFIX = "__Host-"   # on https: Secure, Path=/, no Domain, so no other site or path can set it
TTL_S = 7 * 86400
GUEST_TTL_S = 86400
MAX_TOKEN = 1024


@dataclass(frozen=True)
class Session:
    role: str          # "admin" or "guest"
    user: str
    sid: str           # random; revocation is by this id
    expires: int
    fingerprint: str


def derive_key(secret: str | bytes) -> bytes:
    """The signing key from SESSION_SECRET (or the stored/derived secret)."""
    material = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(b"keypool-session\x00" + material).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def fingerprint(key: bytes, role: str, user: str, verifier: str, generation: int) -> str:
    """What a session is granted on: the role's password verifier and the generation."""
    return _sign(key, f"fp\x00{role}\x00{user}\x00{verifier}\x00{generation}")[:22]


def make_session(key: bytes, role: str, user: str, fp: str, now: float, ttl: int = TTL_S) -> str:
    claims = {"r": role, "u": user, "s": secrets.token_urlsafe(12), "exp": int(now) + ttl, "f": fp}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, payload)}"


def read_session(key: bytes, token: str, now: float) -> Session | None:
    """The claims of a well-signed, unexpired token, else None. Anything odd
    (non-ASCII, oversized, malformed) is simply not a session."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature.encode(), _sign(key, payload).encode()):
        return None
    try:
        data = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    role, user, sid, expires, fp = (data.get(name) for name in ("r", "u", "s", "exp", "f"))
    if not (isinstance(role, str) and isinstance(user, str) and isinstance(sid, str) and isinstance(fp, str)):
        return None
    if not isinstance(expires, int) or isinstance(expires, bool) or expires <= now:
        return None
    return Session(role, user, sid, expires, fp)


def csrf_token(key: bytes, token: str) -> str:
    """Bound to one session: a page that can read it is our own page."""
    return _sign(key, "csrf:" + token)


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two secrets; False if either is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def cookie_name(base: str, secure: bool) -> str:
    return SECURE_PREFIX + base if secure else base


def cookie_value(cookie_header: str, name: str) -> str | None:
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None
