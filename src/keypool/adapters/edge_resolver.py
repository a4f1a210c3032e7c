"""The Resolver port in the Worker: Workers have no DNS lookup to ask.

Alert webhooks are still checked by address where the URL names an IP, and
Cloudflare's edge does not route a Worker's fetch into a private network.
"""

from __future__ import annotations


class EdgeResolver:
    async def addresses(self, host: str) -> list[str]:
        return []
