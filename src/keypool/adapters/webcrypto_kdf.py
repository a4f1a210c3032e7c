"""The KeyDerivation port on WebCrypto (Worker).

Pyodide's hashlib has no PBKDF2 in workerd's offline runtime, and WebCrypto
runs it natively, outside the Python interpreter.
"""

from __future__ import annotations

import js
from pyodide.ffi import to_js


def _object(**fields):
    return to_js(fields, dict_converter=js.Object.fromEntries)


class WebCryptoKeyDerivation:
    async def pbkdf2_sha256(self, password: bytes, salt: bytes, iterations: int) -> bytes:
        subtle = js.crypto.subtle
        material = await subtle.importKey("raw", to_js(password), _object(name="PBKDF2"), False,
                                          to_js(["deriveBits"]))
        bits = await subtle.deriveBits(
            _object(name="PBKDF2", hash="SHA-256", salt=to_js(salt), iterations=iterations), material, 256)
        return bytes(js.Uint8Array.new(bits).to_py())
