"""The audit trail of admin and guest actions (GET /api/audit shows it).

An entry says who (the session's username, "token" for the bearer
ADMIN_TOKEN, "guest", "anonymous"), from which address, what, and how many
things it touched. Details are counts, ids and short labels; anything that
looks like a key is masked before it is stored, so no secret reaches the
trail even by mistake.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from .core.keys import mask_key
from .http import Request
from .ports import Clock
from .store import Store

log = logging.getLogger("keypool.audit")

MAX_TEXT = 200
MAX_DETAIL = 2000
# Upstream keys, client keys and long opaque tokens.
_SECRET_LIKE = re.compile(r"sk-[A-Za-z0-9-]{8,}|[A-Za-z0-9_\-]{32,}")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_LIKE.sub(lambda m: mask_key(m.group(0)), value)[:MAX_TEXT]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in list(value)[:50]]
    if isinstance(value, dict):
        return {str(k)[:50]: _clean(v) for k, v in list(value.items())[:50]}
    return _clean(str(value))


def actor_of(request: Request) -> str:
    """Who made the request, as the trail names them."""
    if request.session_user is not None:
        return _clean(request.session_user)
    return request.principal or "anonymous"


class AuditTrail:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    async def record(self, request: Request, action: str, *, count: int | None = None,
                     detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
        """Write one entry now. A failure to write is logged, never raised: the
        action it describes has already happened."""
        text = json.dumps(_clean(detail), ensure_ascii=False) if detail else None
        if text and len(text) > MAX_DETAIL:
            text = json.dumps({"truncated": True})
        entry = {"ts": self.clock.now(), "actor": actor or actor_of(request),
                 "address": (request.client_ip or "unknown")[:64], "action": action,
                 "count": count, "detail": text}
        try:
            await self.store.audit.write(entry)
        except Exception:
            log.exception("could not write the audit entry for %s", action)
