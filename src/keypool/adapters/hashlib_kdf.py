"""The KeyDerivation port on hashlib (local server, CLI)."""

from __future__ import annotations

import asyncio
import hashlib


class HashlibKeyDerivation:
    async def pbkdf2_sha256(self, password: bytes, salt: bytes, iterations: int) -> bytes:
        # ~50 ms of CPU at 100,000 iterations: off the event loop.
        return await asyncio.to_thread(hashlib.pbkdf2_hmac, "sha256", password, salt, iterations, 32)
