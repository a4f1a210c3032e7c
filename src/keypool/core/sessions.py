"""Admin sessions: signed, expiring cookie tokens and their CSRF tokens.

Stateless (HMAC-SHA256), so every Worker isolate and the local server verify
them without a database read. Without SESSION_SECRET the signing key derives
from ADMIN_PASSWORD, so changing the password ends every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

COOKIE = "kp_session"
TTL_S = 7 * 86400


def signing_key(session_secret: str | None, admin_password: str) -> bytes:
    material = session_secret or f"derived-from-password:{admin_password}"
    return hashlib.sha256(b"keypool-session\x00" + material.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def make_session(key: bytes, username: str, now: float, ttl: int = TTL_S) -> str:
    payload = _b64(json.dumps({"u": username, "exp": int(now) + ttl, "n": secrets.token_hex(8)}).encode())
    return f"{payload}.{_sign(key, payload)}"


def session_user(key: bytes, token: str, now: float) -> str | None:
    """The username of a valid, unexpired session token, else None."""
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    try:
        data = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] <= now:
        return None
    user = data.get("u")
    return user if isinstance(user, str) else None


def csrf_token(key: bytes, session: str) -> str:
    """Bound to one session: a page that can read it is our own page."""
    return _sign(key, "csrf:" + session)


def cookie_value(cookie_header: str, name: str = COOKIE) -> str | None:
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None
