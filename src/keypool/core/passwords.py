"""Stored password verifiers: PBKDF2-SHA256, salted, in a self-describing text.

At most 100,000 iterations: the Worker verifies with WebCrypto, which refuses
more. The derivation itself runs through the KeyDerivation port (hashlib
locally, WebCrypto in the Worker); this module only formats and checks.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import string
from dataclasses import dataclass

ITERATIONS = 100_000
SCHEME = "pbkdf2_sha256"
MIN_LENGTH = 8
MAX_LENGTH = 200
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Verifier:
    iterations: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        return "$".join((SCHEME, str(self.iterations), _b64(self.salt), _b64(self.digest)))

    def matches(self, digest: bytes) -> bool:
        return hmac.compare_digest(digest, self.digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decode(text: str) -> Verifier | None:
    """A stored verifier, or None if the text is not one."""
    parts = text.split("$") if isinstance(text, str) else []
    if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
        return None
    iterations = int(parts[1])
    if not 1 <= iterations <= ITERATIONS:
        return None
    try:
        salt, digest = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except ValueError:
        return None
    return Verifier(iterations, salt, digest) if salt and len(digest) == 32 else None


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def generate_password(length: int = 20) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def weakness(password: object) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if not isinstance(password, str):
        return "the password must be text"
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    if password.strip() != password:
        return "the password must not start or end with spaces"
    return None
