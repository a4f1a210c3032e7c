"""Server-sent event framing the pool writes itself."""

from __future__ import annotations

import json


def error_event(message: str, code: str = "stream_broken") -> bytes:
    """Ends a broken stream: an OpenAI-shaped error as the last event, and no `[DONE]`,
    so clients see a failure rather than a silently short answer."""
    payload = {"error": {"message": message, "type": "upstream_error", "code": code}}
    return f"data: {json.dumps(payload)}\n\n".encode()
