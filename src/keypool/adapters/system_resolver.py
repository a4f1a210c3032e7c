"""The Resolver port on the host's resolver (local server)."""

from __future__ import annotations

import asyncio
import socket


class SystemResolver:
    async def addresses(self, host: str) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return []
        return sorted({info[4][0] for info in infos})
