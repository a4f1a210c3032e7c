"""Client keys: the bearer tokens our users' apps send to /v1."""

from __future__ import annotations

import hashlib
import secrets
import string

PREFIX = "sk-kp-"  # the dash keeps a client key from ever parsing as an upstream key
_ALPHABET = string.ascii_letters + string.digits


def new_client_key() -> str:
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(40))


def hash_client_key(key: str) -> str:
    # 238 bits of randomness: a fast hash is enough, no password stretching needed.
    return hashlib.sha256(key.encode()).hexdigest()


def hint(key: str) -> str:
    return f"{key[:9]}...{key[-4:]}"
